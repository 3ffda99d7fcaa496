/**
 * `phantom` commands run as child processes, as a user runs them: the compiled CLI with the
 * machine's `PHANTOM_*` settings removed, its JSON log lines (stdout) watched. Every process
 * still running when the test file ends is killed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { after } from "node:test";

/** The compiled CLI (this file runs from dist/src/test-support/). */
const MAIN = fileURLToPath(new URL("../cli/main.js", import.meta.url));
/** How long {@link CliProcess.waitFor} waits. */
const WAIT_MS = 60_000;

const children = new Set<ChildProcess>();
after(() => {
  for (const child of children) {
    // A stopped process does not act on SIGKILL until continued on some systems.
    child.kill("SIGCONT");
    child.kill("SIGKILL");
  }
});

/** The environment without the machine's `PHANTOM_*` settings, plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("PHANTOM_")) env[k] = v;
  return { ...env, ...extra };
}

/** A log line of a child. */
export type LogLine = Record<string, unknown>;

/** A long-running `phantom` command (serve, simcloud) whose JSON log lines are watched. */
export class CliProcess {
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  readonly #watchers: { match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];
  /** Every log line with one of the `collect` messages, in order. */
  readonly collected: LogLine[] = [];
  #tail: string[] = [];
  #stderr = "";

  constructor(args: readonly string[], env: Record<string, string> = {}, collect: readonly string[] = []) {
    this.#child = spawn(process.execPath, [MAIN, ...args], { env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] });
    children.add(this.#child);
    this.#exited = new Promise((resolve) => this.#child.once("exit", () => (children.delete(this.#child), resolve())));
    this.#child.stderr!.on("data", (d: Buffer) => (this.#stderr += d.toString()));
    createInterface({ input: this.#child.stdout! }).on("line", (text) => {
      this.#tail = [...this.#tail.slice(-40), text];
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        return;
      }
      if (collect.includes(line.msg as string)) this.collected.push(line);
      for (const w of this.#watchers.filter((w) => w.match(line))) {
        this.#watchers.splice(this.#watchers.indexOf(w), 1);
        w.resolve(line);
      }
    });
  }

  /** The process id. */
  get pid(): number {
    return this.#child.pid!;
  }

  /** The next log line with this `msg` (and, if given, that passes `match`). */
  waitFor(msg: string, match: (line: LogLine) => boolean = () => true): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "${msg}" line in ${WAIT_MS} ms\n${this.output()}`)), WAIT_MS);
      const done = (line: LogLine) => (clearTimeout(timer), resolve(line));
      this.#watchers.push({ match: (line) => line.msg === msg && match(line), resolve: done });
      void this.#exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`the process exited before "${msg}"\n${this.output()}`));
      });
    });
  }

  /** The last lines of its output, for failure messages. */
  output(): string {
    return `stdout (tail):\n${this.#tail.join("\n")}\nstderr:\n${this.#stderr}`;
  }

  /** Sends a signal (SIGSTOP, SIGCONT) and returns at once. */
  signal(signal: NodeJS.Signals): void {
    this.#child.kill(signal);
  }

  /** Sends a signal and waits for the process to end. */
  async kill(signal: NodeJS.Signals): Promise<void> {
    this.#child.kill(signal);
    await this.#exited;
  }
}

/** Runs a `phantom` admin command to completion; returns its stdout. */
export function runCli(args: readonly string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(stdout) : reject(new Error(`phantom ${args.join(" ")}: exit ${code}: ${stderr}`))));
  });
}

/**
 * `phantom simcloud` on a free port, logging every launch that makes VMs (`launched`, with its
 * token and count: launches are counted at the cloud).
 */
export async function startSimcloudProcess(options: {
  capacity: number;
  bootSeconds: number;
  latencyMs: number;
  /** Milliseconds a launch waits after making its VMs, before it answers; default 0. */
  launchAnswerDelayMs?: number;
}): Promise<{
  process: CliProcess;
  url: string;
}> {
  const child = new CliProcess(
    [
      "simcloud",
      "--listen",
      "127.0.0.1:0",
      "--capacity",
      String(options.capacity),
      "--boot-seconds",
      String(options.bootSeconds),
      "--api-latency-ms",
      String(options.latencyMs),
      "--launch-answer-delay-ms",
      String(options.launchAnswerDelayMs ?? 0),
    ],
    {},
    ["launched"],
  );
  const url = (await child.waitFor("serving")).url as string;
  return { process: child, url };
}

/** Launches per token as the simcloud logged them: `token → [VMs made by each launch]`. */
export function launchesByToken(simcloud: CliProcess): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const line of simcloud.collected) {
    const token = String(line.token);
    out.set(token, [...(out.get(token) ?? []), Number(line.count)]);
  }
  return out;
}
