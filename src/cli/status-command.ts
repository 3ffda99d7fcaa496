/**
 * `phantom status [GROUP]`: a client of the API for the terminal. One table per group (desired
 * capacity; per cloud in order InService/Pending/unhealthy, cap and backoff; the last
 * activity's cause). `--watch` redraws every 2 s in place until Ctrl-C; `--json` is for scripts.
 */
import type { Command } from "commander";
import type { StatusClient } from "../status/status-client.js";
import { DEFAULT_ENDPOINT, renderStatus, type GroupStatus } from "../status/status-report.js";

/** How often `--watch` redraws. */
const WATCH_INTERVAL_MS = 2000;
/** Home the cursor and clear the screen: the next frame replaces the last one. */
const CLEAR = "\x1b[H\x1b[2J";

interface StatusOptions {
  readonly endpoint: string;
  readonly profile?: string;
  readonly watch?: boolean;
  readonly json?: boolean;
}

function frame(groups: readonly GroupStatus[], options: StatusOptions): string {
  return options.json ? `${JSON.stringify(groups)}\n` : renderStatus(groups, options.endpoint, new Date());
}

/** An error as one line (the SDK's network errors carry their cause's code). */
function oneLine(e: unknown, endpoint: string): string {
  const code = (e as { code?: string; cause?: { code?: string } }).code ?? (e as { cause?: { code?: string } }).cause?.code;
  if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "ECONNRESET") return `cannot reach Phantom at ${endpoint} (${code})`;
  const name = e instanceof Error && e.name !== "Error" ? `${e.name}: ` : "";
  return `${name}${e instanceof Error ? e.message : String(e)}`.split("\n").join("; ");
}

/** Adds `status` to the program. */
export function registerStatus(program: Command): void {
  program
    .command("status [group]")
    .description("show each group per cloud, as a client of the API (AWS credentials from the environment or a profile)")
    .option("--endpoint <url>", "Phantom's address (env PHANTOM_ENDPOINT)", process.env.PHANTOM_ENDPOINT ?? DEFAULT_ENDPOINT)
    .option("--profile <name>", "the AWS profile to take credentials from (default: AWS_PROFILE, else the default chain)")
    .option("--watch", "redraw every 2 s in place until Ctrl-C")
    .option("--json", "print the groups as JSON")
    .action(async (group: string | undefined, options: StatusOptions) => {
      // Loaded here: the other commands need none of the AWS SDK.
      const { StatusClient } = await import("../status/status-client.js");
      const client = new StatusClient(options.endpoint, { profile: options.profile });
      try {
        if (!options.watch) {
          process.stdout.write(frame(await client.read(group), options));
          return;
        }
        await watch(client, group, options);
      } catch (e) {
        throw new Error(oneLine(e, options.endpoint), { cause: e });
      } finally {
        client.close();
      }
    });
}

/** Redraws until SIGINT (Ctrl-C) or SIGTERM; a failed read is shown in the frame and retried. */
async function watch(client: StatusClient, group: string | undefined, options: StatusOptions): Promise<void> {
  const inPlace = process.stdout.isTTY === true && !options.json;
  let stopped = false;
  let wake = (): void => {};
  const stop = (): void => {
    stopped = true;
    wake();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  try {
    while (!stopped) {
      let text: string;
      try {
        text = frame(await client.read(group), options);
      } catch (e) {
        text = `phantom: ${oneLine(e, options.endpoint)} (retrying every ${WATCH_INTERVAL_MS / 1000} s)\n`;
      }
      if (stopped) break;
      process.stdout.write(inPlace ? CLEAR + text : text);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, WATCH_INTERVAL_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
  if (inPlace) process.stdout.write("\n");
}
