/**
 * The `openstack` command (Debian's python3-openstackclient) as a user runs it: one process
 * per call, a private home, credentials in `OS_*` variables only, JSON output.
 */
import assert from "node:assert/strict";
import { probeClient, run, type ProcessResult } from "../../api/interop/interop.test-support.js";

/** Debian's OpenStack client. */
export const OPENSTACK_CLI = "/usr/bin/openstack";

/** Whether the `openstack` command is installed, and if not, why. */
export const openstackCli = await probeClient("openstack (python3-openstackclient)", OPENSTACK_CLI, ["--version"], "apt-get install -y python3-openstackclient");

/** How the command signs in: a password scoped to a project, or an application credential. */
export type OpenStackLogin =
  | { readonly user: string; readonly password: string; readonly project: string }
  | { readonly applicationCredentialId: string; readonly secret: string };

/** `openstack …` against one Keystone, as one login. */
export class OpenStackCli {
  constructor(
    private readonly authUrl: string,
    private readonly home: string,
    private readonly login: OpenStackLogin,
  ) {}

  /** The environment of the command: nothing of the caller's (no clouds.yaml, no OS_* of the machine). */
  env(): NodeJS.ProcessEnv {
    const auth: Record<string, string> =
      "user" in this.login
        ? {
            OS_AUTH_TYPE: "password",
            OS_USERNAME: this.login.user,
            OS_PASSWORD: this.login.password,
            OS_PROJECT_NAME: this.login.project,
            OS_USER_DOMAIN_NAME: "Default",
            OS_PROJECT_DOMAIN_NAME: "Default",
          }
        : {
            OS_AUTH_TYPE: "v3applicationcredential",
            OS_APPLICATION_CREDENTIAL_ID: this.login.applicationCredentialId,
            OS_APPLICATION_CREDENTIAL_SECRET: this.login.secret,
          };
    return {
      PATH: "/usr/bin:/bin",
      LANG: "C.UTF-8",
      PYTHONDONTWRITEBYTECODE: "1",
      HOME: this.home,
      XDG_CONFIG_HOME: `${this.home}/.config`,
      XDG_CACHE_HOME: `${this.home}/.cache`,
      OS_AUTH_URL: this.authUrl,
      OS_IDENTITY_API_VERSION: "3",
      OS_REGION_NAME: "RegionOne",
      OS_INTERFACE: "public",
      ...auth,
    };
  }

  /** Runs a command. */
  run(args: readonly string[]): Promise<ProcessResult> {
    return run(OPENSTACK_CLI, args, this.env());
  }

  /** Runs a command that must succeed and print JSON (`-f json` is added). */
  async json<T>(args: readonly string[]): Promise<T> {
    const result = await this.run([...args, "-f", "json"]);
    assert.equal(result.code, 0, `openstack ${args.join(" ")} exited ${result.code}:\n${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  }

  /** Runs a command that must succeed (and may print nothing). */
  async ok(args: readonly string[]): Promise<string> {
    const result = await this.run(args);
    assert.equal(result.code, 0, `openstack ${args.join(" ")} exited ${result.code}:\n${result.stderr}`);
    return result.stdout;
  }
}
