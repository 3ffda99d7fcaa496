/**
 * A benchmark's server (`bench/api-server.ts`) as a child process, pinned to CPU 1 when
 * `taskset` exists while the load generator (this process) is pinned to CPU 0, so client and
 * server do not share a core. Every child started here is killed when this process exits.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

/** Whether `taskset` exists here, and so whether servers and load generator are pinned. */
export const hasTaskset = spawnSync("taskset", ["-p", String(process.pid)]).status === 0;

/** Pins this process (the load generator) to CPU 0 when `taskset` exists. */
export function pinLoadGenerator(): void {
  if (hasTaskset) spawnSync("taskset", ["-cp", "0", String(process.pid)]);
}

/** A started server: its process id and the JSON line it printed (URL, credentials). */
export interface ServerProcess {
  readonly pid: number;
  readonly info: Record<string, string>;
  /** The child's stderr as lines, when it was started with `pipeStderr`; else it is inherited. */
  readonly stderrLines: readonly string[];
}

const serverScript = new URL("./api-server.js", import.meta.url).pathname;
const children: ChildProcess[] = [];
process.on("exit", () => children.forEach((c) => c.kill()));

/**
 * Starts `api-server.js ARGS…` and resolves once it has printed its first line. `taskset -c 1`
 * execs node, so the pid is the server's own.
 */
export async function startServer(args: readonly string[], options: { pipeStderr?: boolean } = {}): Promise<ServerProcess> {
  const command = hasTaskset ? ["taskset", "-c", "1", process.execPath] : [process.execPath];
  const child = spawn(command[0]!, [...command.slice(1), serverScript, ...args], {
    stdio: ["ignore", "pipe", options.pipeStderr === true ? "pipe" : "inherit"],
  });
  children.push(child);
  const stderrLines: string[] = [];
  if (options.pipeStderr === true) createInterface({ input: child.stderr! }).on("line", (line) => stderrLines.push(line));
  const first = await createInterface({ input: child.stdout! })[Symbol.asyncIterator]().next();
  if (first.done === true) throw new Error(`api-server.js ${args.join(" ")} exited before printing its address`);
  return { pid: child.pid!, info: JSON.parse(first.value as string) as Record<string, string>, stderrLines };
}
