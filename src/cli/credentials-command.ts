/** `phantom credentials set`: a user's own keys for one cloud site. */
import type { Command } from "commander";
import { setCloudCredentials } from "../users/user-accounts.js";
import { withState, withStateOptions, type StateOptions } from "./shared-options.js";

/** Adds `credentials` and its subcommands to the program. */
export function registerCredentials(program: Command): void {
  const credentials = program.command("credentials").description("manage users' cloud credentials");
  withStateOptions(credentials.command("set <user> <site>").description("set a user's credentials for one site"))
    .requiredOption("--access-key <key>", "the cloud access key id")
    .requiredOption("--secret-key <secret>", "the cloud secret key")
    .option("--key-name <name>", "SSH key pair to launch VMs with on that site")
    .action(async (userName: string, site: string, options: StateOptions & { accessKey: string; secretKey: string; keyName?: string }) => {
      await withState(options, ({ store, box }, { config }) =>
        setCloudCredentials(store, box, config.sites.map((s) => s.name), userName, site, {
          accessKeyId: options.accessKey,
          secretAccessKey: options.secretKey,
          keyName: options.keyName,
        }),
      );
      process.stdout.write(`credentials of ${userName} for ${site} set\n`);
    });
}
