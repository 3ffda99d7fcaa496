/**
 * Administration of users and their per-site cloud credentials: what `phantom user …` and
 * `phantom credentials set` do, and how the demo user is made. Secrets are sealed here, before
 * they reach the store.
 */
import { randomBytes, randomInt, randomUUID } from "node:crypto";
import { ValidationError } from "../core/errors.js";
import type { UserWithSecret } from "../core/types.js";
import type { DriverCredentials } from "../clouds/driver.js";
import { userSecretContext } from "../api/user-directory.js";
import type { SecretBox } from "../secrets/secret-box.js";
import type { Store, UserRecord } from "../store/store.js";
import { sealCloudCredentials } from "./cloud-credentials.js";

const USER_NAME = /^[A-Za-z0-9_.@+=,-]{1,64}$/;
/** AWS's access key id: 16–128 word characters (letters, digits, underscore). */
const ACCESS_KEY = /^\w{16,128}$/;
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function newAccessKeyId(): string {
  let id = "AKPH";
  for (const byte of randomBytes(16)) id += BASE32[byte % 32];
  return id;
}

function newSecretAccessKey(): string {
  return randomBytes(30).toString("base64");
}

function newAccountId(): string {
  return String(randomInt(100_000_000_000, 1_000_000_000_000));
}

/** Creates a user with fresh keys, or with the given ones. @throws AlreadyExistsError, ValidationError */
export async function addUser(
  store: Store,
  box: SecretBox,
  name: string,
  keys?: { accessKeyId: string; secretAccessKey: string },
): Promise<UserWithSecret> {
  if (!USER_NAME.test(name)) {
    throw new ValidationError(`user name '${name}' must be 1-64 letters, digits or _.@+=,-`);
  }
  const accessKeyId = keys?.accessKeyId ?? newAccessKeyId();
  const secretAccessKey = keys?.secretAccessKey ?? newSecretAccessKey();
  if (!ACCESS_KEY.test(accessKeyId)) throw new ValidationError("an access key is 16-128 letters, digits or underscores");
  if (secretAccessKey.length < 8) throw new ValidationError("a secret key has at least 8 characters");
  const record: UserRecord = {
    id: randomUUID(),
    name,
    accessKeyId,
    accountId: newAccountId(),
    createdAt: new Date(),
    secretSealed: box.seal(secretAccessKey, userSecretContext(accessKeyId)),
  };
  await store.users.createUser(record);
  const { secretSealed: _sealed, ...user } = record;
  return { ...user, secretAccessKey };
}

/** The user's plaintext secret, opened with the server key. */
export function openUserSecret(box: SecretBox, record: UserRecord): UserWithSecret {
  const { secretSealed, ...user } = record;
  return { ...user, secretAccessKey: box.open(secretSealed, userSecretContext(record.accessKeyId)) };
}

/**
 * Stores (replacing) a user's credentials for one site: an access key, or Keystone
 * credentials for an OpenStack site (the caller has checked which the site takes).
 * @throws ValidationError for an unknown user or site
 */
export async function setCloudCredentials(
  store: Store,
  box: SecretBox,
  sites: readonly string[],
  userName: string,
  site: string,
  credentials: DriverCredentials,
): Promise<void> {
  const user = await store.users.findUserByName(userName);
  if (user === null) throw new ValidationError(`no user named ${userName}`);
  if (!sites.includes(site)) throw new ValidationError(`'${site}' is not a configured site; configured sites: ${sites.join(", ")}`);
  await store.users.setCredentials({ userId: user.id, site, ...sealCloudCredentials(box, user.id, site, credentials) });
}
