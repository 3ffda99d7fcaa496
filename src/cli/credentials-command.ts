/**
 * `phantom credentials set`: a user's own credentials for one cloud site. An EC2 (or
 * simulated) site takes an access key; an OpenStack site takes Keystone credentials, an
 * application credential or a password scoped to a project. Flags of the other kind are an
 * error that says which flags the site takes.
 */
import type { Command } from "commander";
import type { SiteConfig } from "../config/config.js";
import type { DriverCredentials } from "../clouds/driver.js";
import { ValidationError } from "../core/errors.js";
import { setCloudCredentials } from "../users/user-accounts.js";
import { withState, withStateOptions, type StateOptions } from "./shared-options.js";

/** The flags of `credentials set`, as commander parses them. */
export interface CredentialsFlags {
  readonly accessKey?: string;
  readonly secretKey?: string;
  readonly applicationCredentialId?: string;
  readonly applicationCredentialSecret?: string;
  readonly username?: string;
  readonly password?: string;
  readonly project?: string;
  readonly userDomain?: string;
  readonly projectDomain?: string;
  readonly keyName?: string;
}

const ACCESS_KEY_FLAGS = { accessKey: "--access-key", secretKey: "--secret-key" } as const;
const APPLICATION_CREDENTIAL_FLAGS = {
  applicationCredentialId: "--application-credential-id",
  applicationCredentialSecret: "--application-credential-secret",
} as const;
const PASSWORD_FLAGS = {
  username: "--username",
  password: "--password",
  project: "--project",
  userDomain: "--user-domain",
  projectDomain: "--project-domain",
} as const;
/** Keystone's default domain, by name. */
const DEFAULT_DOMAIN = "Default";
/** Keystone's names and ids are at most 255 characters. */
const MAX_LENGTH = 255;

type FlagNames = Readonly<Record<string, string>>;

/**
 * The credentials the flags give for `site`.
 * @throws ValidationError naming the flags the site takes when they are wrong for its driver,
 *   missing, or mixed
 */
export function credentialsFromFlags(site: SiteConfig, flags: CredentialsFlags): DriverCredentials {
  const given = (names: FlagNames) => Object.keys(names).filter((k) => flags[k as keyof CredentialsFlags] !== undefined);
  const list = (names: FlagNames) => Object.values(names).join(", ");
  const keyName = flags.keyName;
  if (site.driver !== "openstack") {
    const foreign = [...given(APPLICATION_CREDENTIAL_FLAGS), ...given(PASSWORD_FLAGS)];
    if (foreign.length > 0) {
      throw new ValidationError(
        `${site.name} (driver ${site.driver}) takes --access-key and --secret-key, not ${foreign.map((k) => flagName(k)).join(", ")}`,
      );
    }
    const accessKeyId = required(flags.accessKey, "--access-key", site);
    const secretAccessKey = required(flags.secretKey, "--secret-key", site);
    return { accessKeyId, secretAccessKey, keyName };
  }
  const foreign = given(ACCESS_KEY_FLAGS);
  if (foreign.length > 0) {
    throw new ValidationError(
      `${site.name} (driver openstack) takes ${list(APPLICATION_CREDENTIAL_FLAGS)}, or ${list(PASSWORD_FLAGS)}, not ${foreign.map((k) => flagName(k)).join(", ")}`,
    );
  }
  const applicationCredential = given(APPLICATION_CREDENTIAL_FLAGS).length > 0;
  const password = given(PASSWORD_FLAGS).length > 0;
  if (applicationCredential && password) {
    throw new ValidationError(`${site.name}: give an application credential (${list(APPLICATION_CREDENTIAL_FLAGS)}) or a password (${list(PASSWORD_FLAGS)}), not both`);
  }
  if (applicationCredential) {
    return {
      kind: "openstack",
      auth: {
        method: "application_credential",
        id: required(flags.applicationCredentialId, "--application-credential-id", site),
        secret: required(flags.applicationCredentialSecret, "--application-credential-secret", site),
      },
      keyName,
    };
  }
  if (password) {
    return {
      kind: "openstack",
      auth: {
        method: "password",
        username: required(flags.username, "--username", site),
        password: required(flags.password, "--password", site),
        project: required(flags.project, "--project", site),
        userDomain: required(flags.userDomain ?? DEFAULT_DOMAIN, "--user-domain", site),
        projectDomain: required(flags.projectDomain ?? DEFAULT_DOMAIN, "--project-domain", site),
      },
      keyName,
    };
  }
  throw new ValidationError(
    `${site.name} (driver openstack) needs ${list(APPLICATION_CREDENTIAL_FLAGS)}, or --username, --password and --project`,
  );
}

function required(value: string | undefined, flag: string, site: SiteConfig): string {
  if (value === undefined || value === "") throw new ValidationError(`${site.name}: ${flag} is required`);
  if (value.length > MAX_LENGTH) throw new ValidationError(`${site.name}: ${flag} is at most ${MAX_LENGTH} characters`);
  return value;
}

function flagName(key: string): string {
  return ({ ...ACCESS_KEY_FLAGS, ...APPLICATION_CREDENTIAL_FLAGS, ...PASSWORD_FLAGS } as FlagNames)[key] ?? key;
}

/** Adds `credentials` and its subcommands to the program. */
export function registerCredentials(program: Command): void {
  const credentials = program.command("credentials").description("manage users' cloud credentials");
  withStateOptions(
    credentials
      .command("set <user> <site>")
      .description("set a user's credentials for one site: an access key for an ec2 site, Keystone credentials for an openstack site"),
  )
    .option("--access-key <key>", "ec2: the cloud access key id")
    .option("--secret-key <secret>", "ec2: the cloud secret key")
    .option("--application-credential-id <id>", "openstack: an application credential's id")
    .option("--application-credential-secret <secret>", "openstack: its secret")
    .option("--username <name>", "openstack: a user name (with --password and --project)")
    .option("--password <password>", "openstack: the user's password")
    .option("--project <name>", "openstack: the project to scope to, by name")
    .option("--user-domain <name>", `openstack: the user's domain (default ${DEFAULT_DOMAIN})`)
    .option("--project-domain <name>", `openstack: the project's domain (default ${DEFAULT_DOMAIN})`)
    .option("--key-name <name>", "SSH key pair to launch VMs with on that site")
    .action(async (userName: string, siteName: string, options: StateOptions & CredentialsFlags) => {
      await withState(options, async ({ store, box }, { config }) => {
        const site = config.sites.find((s) => s.name === siteName);
        const names = config.sites.map((s) => s.name);
        if (site === undefined) throw new ValidationError(`'${siteName}' is not a configured site; configured sites: ${names.join(", ")}`);
        await setCloudCredentials(store, box, names, userName, siteName, credentialsFromFlags(site, options));
      });
      process.stdout.write(`credentials of ${userName} for ${siteName} set\n`);
    });
}
