/** `phantom user add|list|remove`. */
import type { Command } from "commander";
import { addUser } from "../users/user-accounts.js";
import { withState, withStateOptions, type StateOptions } from "./shared-options.js";

/** Adds `user` and its subcommands to the program. */
export function registerUser(program: Command): void {
  const user = program.command("user").description("manage API users");
  withStateOptions(user.command("add <name>").description("create a user and print their keys"))
    .option("--access-key <key>", "use this access key id instead of a fresh one")
    .option("--secret-key <secret>", "use this secret key instead of a fresh one")
    .option("--json", "print {user, accessKeyId, secretAccessKey} as JSON")
    .action(async (name: string, options: StateOptions & { accessKey?: string; secretKey?: string; json?: boolean }) => {
      if ((options.accessKey === undefined) !== (options.secretKey === undefined)) {
        throw new Error("give both --access-key and --secret-key, or neither");
      }
      const keys =
        options.accessKey !== undefined && options.secretKey !== undefined
          ? { accessKeyId: options.accessKey, secretAccessKey: options.secretKey }
          : undefined;
      const created = await withState(options, ({ store, box }) => addUser(store, box, name, keys));
      const out = { user: created.name, accessKeyId: created.accessKeyId, secretAccessKey: created.secretAccessKey };
      process.stdout.write(
        options.json
          ? JSON.stringify(out) + "\n"
          : `user ${out.user}\naccess key id:     ${out.accessKeyId}\nsecret access key: ${out.secretAccessKey}\n`,
      );
    });
  withStateOptions(user.command("list").description("list users and their access keys"))
    .option("--json", "print a JSON array")
    .action(async (options: StateOptions & { json?: boolean }) => {
      const users = await withState(options, ({ store }) => store.users.listUsers());
      const rows = users.map((u) => ({ user: u.name, accessKeyId: u.accessKeyId, createdAt: u.createdAt.toISOString() }));
      process.stdout.write(
        options.json ? JSON.stringify(rows) + "\n" : rows.map((r) => `${r.user}\t${r.accessKeyId}\t${r.createdAt}\n`).join(""),
      );
    });
  withStateOptions(user.command("remove <name>").description("remove a user who owns no groups"))
    .action(async (name: string, options: StateOptions) => {
      const removed = await withState(options, ({ store }) => store.users.removeUser(name));
      if (!removed) throw new Error(`no user named ${name}`);
      process.stdout.write(`removed user ${name}\n`);
    });
}
