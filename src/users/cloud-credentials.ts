/**
 * A user's credentials for one site, sealed for the store and opened for the controller.
 *
 * An access key keeps its id in the clear and its secret sealed, as the API's users do.
 * Keystone credentials are sealed whole, as JSON (the password or the application
 * credential's secret, with whom and what project they sign in as); only who they name
 * ({@link credentialsIdentity}, never a secret) is kept in the clear. Each seal is bound to
 * its (user, site), so a sealed value copied to another row does not open.
 */
import {
  credentialsIdentity,
  type AccessKeyCredentials,
  type DriverCredentials,
  type OpenStackAuth,
  type OpenStackCredentials,
} from "../clouds/driver.js";
import type { SecretBox } from "../secrets/secret-box.js";
import type { CloudCredentialsRecord } from "../store/store.js";

/** Which kind of credentials a site takes: Keystone's for `openstack`, an access key otherwise. */
export type CredentialsKind = "access-key" | "openstack";

/** The sealing context of a user's credentials for one site. */
export function cloudSecretContext(userId: string, site: string): string {
  return `cloud-secret:${userId}:${site}`;
}

/** The columns of `cloud_credentials` for `credentials`, the secret part sealed. */
export function sealCloudCredentials(
  box: SecretBox,
  userId: string,
  site: string,
  credentials: DriverCredentials,
): Pick<CloudCredentialsRecord, "accessKeyId" | "secretSealed" | "keyName"> {
  const context = cloudSecretContext(userId, site);
  const keyName = credentials.keyName ?? null;
  if (credentials.kind !== "openstack") {
    return { accessKeyId: credentials.accessKeyId, secretSealed: box.seal(credentials.secretAccessKey, context), keyName };
  }
  const sealed: SealedOpenStack = { kind: "openstack", auth: credentials.auth };
  return { accessKeyId: credentialsIdentity(credentials), secretSealed: box.seal(JSON.stringify(sealed), context), keyName };
}

/**
 * The credentials a stored row holds, read as the site's kind takes them; undefined when the
 * row cannot be read so (set for the site while it had another driver): the user sets them
 * again.
 */
export function openCloudCredentials(
  box: SecretBox,
  userId: string,
  site: string,
  kind: CredentialsKind,
  record: CloudCredentialsRecord,
): DriverCredentials | undefined {
  const secret = box.open(record.secretSealed, cloudSecretContext(userId, site));
  const keyName = record.keyName ?? undefined;
  if (kind === "access-key") {
    const keys: AccessKeyCredentials = { accessKeyId: record.accessKeyId, secretAccessKey: secret, keyName };
    return keys;
  }
  const auth = parseSealedOpenStack(secret);
  if (auth === undefined) return undefined;
  const openstack: OpenStackCredentials = { kind: "openstack", auth, keyName };
  return openstack;
}

/** What is sealed for Keystone credentials. */
interface SealedOpenStack {
  readonly kind: "openstack";
  readonly auth: OpenStackAuth;
}

function parseSealedOpenStack(text: string): OpenStackAuth | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(value) || value.kind !== "openstack" || !isRecord(value.auth)) return undefined;
  const a = value.auth;
  if (a.method === "application_credential" && strings(a, "id", "secret")) {
    return { method: "application_credential", id: a.id as string, secret: a.secret as string };
  }
  if (a.method === "password" && strings(a, "username", "password", "userDomain", "project", "projectDomain")) {
    return {
      method: "password",
      username: a.username as string,
      password: a.password as string,
      userDomain: a.userDomain as string,
      project: a.project as string,
      projectDomain: a.projectDomain as string,
    };
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function strings(record: Record<string, unknown>, ...keys: string[]): boolean {
  return keys.every((k) => typeof record[k] === "string");
}
