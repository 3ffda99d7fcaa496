#!/usr/bin/env node
/**
 * `phantom`: the command line. `serve` runs the service; `user` and `credentials` administer
 * the same database while it runs; `status` is a client of the API. Any failure prints one line on stderr and exits non-zero.
 */
import { Command } from "commander";

// Phantom pins @aws-sdk/client-ec2 to a release that supports Node 20 (see package.json); the
// SDK's warning that later releases will need Node 22 says nothing an operator can act on.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
import { registerServe } from "./serve-command.js";
import { registerUser } from "./user-command.js";
import { registerCredentials } from "./credentials-command.js";
import { registerSimcloud } from "./simcloud-command.js";
import { registerStatus } from "./status-command.js";

const program = new Command("phantom")
  .description("Multi-cloud autoscaling behind the AWS Auto Scaling API")
  .showSuggestionAfterError(true)
  .configureOutput({ outputError: (text, write) => write(text.trimEnd().split("\n")[0] + "\n") });

registerServe(program);
registerUser(program);
registerCredentials(program);
registerSimcloud(program);
registerStatus(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`phantom: ${e instanceof Error ? e.message.split("\n").join("; ") : String(e)}\n`);
  process.exit(1);
});
