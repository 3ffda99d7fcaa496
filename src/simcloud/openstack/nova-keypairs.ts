/**
 * Nova's key pairs (`/os-keypairs`), kept per user as Nova keeps them: import a public key, or
 * have one made (an RSA key, its private half returned once, before microversion 2.92 as in
 * Nova); list, show, delete. A server may be launched only with a key pair its user has.
 */
import { createHash, generateKeyPairSync } from "node:crypto";
import { empty, json, objectAt, OpenStackApiError, type FaceResponse } from "./openstack-http.js";

/** One key pair. */
interface Keypair {
  readonly name: string;
  readonly publicKey: string;
  readonly fingerprint: string;
  readonly type: "ssh" | "x509";
  readonly createdAt: Date;
  readonly id: number;
}

/** Nova's default quota of key pairs per user. */
const MAX_PER_USER = 100;
const NAME = /^[a-zA-Z0-9 @._-]{1,255}$/;
/** An OpenSSH public key: its type, its base64 blob, an optional comment. */
const PUBLIC_KEY = /^(ssh-rsa|ssh-ed25519|ssh-dss|ecdsa-sha2-nistp(?:256|384|521)) ([A-Za-z0-9+/]+={0,2})(?: [^\n]*)?\n?$/;
const MAX_PUBLIC_KEY = 16_384;

/** Every user's key pairs. */
export class NovaKeypairs {
  readonly #byUser = new Map<string, Map<string, Keypair>>();
  #nextId = 1;

  /** Whether `userId` has a key pair named `name`. */
  has(userId: string, name: string): boolean {
    return this.#byUser.get(userId)?.has(name) ?? false;
  }

  /** `GET /os-keypairs`. */
  list(userId: string, version: number): FaceResponse {
    const pairs = [...(this.#byUser.get(userId)?.values() ?? [])];
    return json(200, { keypairs: pairs.map((k) => ({ keypair: this.#view(k, version) })) });
  }

  /** `GET /os-keypairs/{name}`. */
  show(userId: string, name: string, version: number): FaceResponse {
    const pair = this.#find(userId, name);
    return json(200, {
      keypair: {
        ...this.#view(pair, version),
        user_id: userId,
        deleted: false,
        created_at: pair.createdAt.toISOString().slice(0, 19),
        updated_at: null,
        deleted_at: null,
        id: pair.id,
      },
    });
  }

  /** `POST /os-keypairs`: imports `public_key`, or makes a key pair and returns its private key once. */
  create(userId: string, body: Record<string, unknown>, version: number, now: Date): FaceResponse {
    const request = objectAt(body, "keypair", "keypair");
    const name = request.name;
    if (typeof name !== "string" || !NAME.test(name)) {
      throw new OpenStackApiError(400, "Keypair data is invalid: Keypair name must be string and between 1 and 255 characters long");
    }
    const type = request.type === undefined ? "ssh" : request.type;
    if (type !== "ssh" && type !== "x509") throw new OpenStackApiError(400, "Invalid input for field/attribute type.");
    let users = this.#byUser.get(userId);
    if (users?.has(name)) throw new OpenStackApiError(409, `Key pair '${name}' already exists.`);
    if ((users?.size ?? 0) >= MAX_PER_USER) throw new OpenStackApiError(403, "Quota exceeded, too many key pairs.");
    let publicKey: string;
    let privateKey: string | undefined;
    if (typeof request.public_key === "string") {
      publicKey = request.public_key;
      if (publicKey.length > MAX_PUBLIC_KEY || !PUBLIC_KEY.test(publicKey)) {
        throw new OpenStackApiError(400, "Keypair data is invalid: failed to generate fingerprint");
      }
    } else if (version < 92) {
      ({ publicKey, privateKey } = newRsaKeypair());
    } else {
      throw new OpenStackApiError(400, "Invalid input for field/attribute keypair. Value: public_key is a required property");
    }
    const pair: Keypair = { name, publicKey, fingerprint: fingerprintOf(publicKey), type, createdAt: now, id: this.#nextId++ };
    if (users === undefined) this.#byUser.set(userId, (users = new Map()));
    users.set(name, pair);
    const view = { ...this.#view(pair, version), user_id: userId, ...(privateKey !== undefined && { private_key: privateKey }) };
    return json(version >= 2 ? 201 : 200, { keypair: view });
  }

  /** `DELETE /os-keypairs/{name}`. */
  delete(userId: string, name: string, version: number): FaceResponse {
    this.#find(userId, name);
    this.#byUser.get(userId)!.delete(name);
    return empty(version >= 2 ? 204 : 202);
  }

  #find(userId: string, name: string): Keypair {
    const pair = this.#byUser.get(userId)?.get(name);
    if (pair === undefined) throw new OpenStackApiError(404, `Keypair ${name} not found for user ${userId}`);
    return pair;
  }

  #view(pair: Keypair, version: number) {
    return { name: pair.name, public_key: pair.publicKey, fingerprint: pair.fingerprint, ...(version >= 2 && { type: pair.type }) };
  }
}

/** Nova's fingerprint: the MD5 of the key's blob, as colon-separated hex. */
function fingerprintOf(publicKey: string): string {
  const blob = Buffer.from(publicKey.split(" ")[1] ?? "", "base64");
  return (createHash("md5").update(blob).digest("hex").match(/../g) ?? []).join(":");
}

/** A new RSA key pair: the public half in OpenSSH's format, the private half in PEM (as Nova returns it). */
function newRsaKeypair(): { publicKey: string; privateKey: string } {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = publicKey.export({ format: "jwk" });
  const blob = Buffer.concat([sshString(Buffer.from("ssh-rsa")), sshString(mpint(jwk.e!)), sshString(mpint(jwk.n!))]);
  return {
    publicKey: `ssh-rsa ${blob.toString("base64")} Generated-by-Nova\n`,
    privateKey: privateKey.export({ format: "pem", type: "pkcs1" }).toString(),
  };
}

function sshString(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** An SSH mpint from base64url: big-endian, with a zero byte first when the top bit is set. */
function mpint(base64url: string): Buffer {
  const bytes = Buffer.from(base64url, "base64url");
  return bytes[0]! & 0x80 ? Buffer.concat([Buffer.alloc(1), bytes]) : bytes;
}
