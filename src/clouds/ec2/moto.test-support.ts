/**
 * `moto_server` (moto's EC2-compatible endpoint, from this machine's Python) as a child process
 * for the EC2 driver's interop tests: found on PATH, started on a free port, and given a second
 * account. Test support only.
 *
 * moto keeps one account per IAM access key it issued and puts every other key in its default
 * account, so a second tenant needs keys made in another account: they are created through
 * moto's IAM with its `x-moto-account-id` header.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { delimiter, join } from "node:path";
import { XMLParser } from "fast-xml-parser";
import { formEncode, signV4 } from "../../test-support/sign-v4.js";
import type { DriverCredentials } from "../driver.js";

/** A running moto_server. */
export interface MotoServer {
  readonly url: string;
  /** Stops the child process and waits for it to exit. */
  stop(): Promise<void>;
}

/** The account moto puts unknown access keys in, and the one made for a second tenant. */
const OTHER_ACCOUNT = "222222222222";
const START_TIMEOUT_MS = 30_000;

/** The path of `moto_server` on PATH, or null. */
export function findMotoServer(): string | null {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const file = join(dir, "moto_server");
    if (existsSync(file)) return file;
  }
  return null;
}

/**
 * Why moto cannot be used, or null when it can: `moto_server` must be on PATH and start (a
 * pyenv shim without moto in the active Python fails `--help`).
 */
export function motoMissing(): string | null {
  const file = findMotoServer();
  if (file === null) return "moto_server is not on PATH (pip install 'moto[server]')";
  const probe = spawnSync(file, ["--help"], { encoding: "utf8", timeout: 30_000 });
  if (probe.status !== 0) return `${file} --help failed: ${(probe.stderr || probe.stdout || String(probe.error)).trim().split("\n").at(-1)}`;
  return null;
}

/** A free TCP port on 127.0.0.1 (moto_server cannot be told to pick one itself). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts `moto_server -H 127.0.0.1 -p PORT` and waits until it answers. */
export async function startMotoServer(): Promise<MotoServer> {
  const file = findMotoServer();
  if (file === null) throw new Error("moto_server is not on PATH");
  const port = await freePort();
  const child: ChildProcess = spawn(file, ["-H", "127.0.0.1", "-p", String(port)], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}: ${stderr}`);
    try {
      await fetch(`${url}/moto-api/`);
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`moto_server did not answer on ${url} within ${START_TIMEOUT_MS / 1000} s: ${stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    url,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Makes an IAM user with an access key in another moto account: a second, separate tenant. */
export async function motoOtherTenant(url: string): Promise<DriverCredentials> {
  const iam = async (params: Array<[string, string]>): Promise<Record<string, unknown>> => {
    const body = formEncode([...params, ["Version", "2010-05-08"]]);
    const headers = signV4(
      {
        method: "POST",
        path: "/",
        rawQuery: "",
        headers: { host: new URL(url).host, "content-type": "application/x-www-form-urlencoded; charset=utf-8", "x-moto-account-id": OTHER_ACCOUNT },
        body,
      },
      { accessKeyId: "AKIDMOTOADMIN", secretAccessKey: "unchecked" },
      { region: "us-east-1", service: "iam" },
    );
    const res = await fetch(`${url}/`, { method: "POST", headers, body });
    const text = await res.text();
    if (!res.ok) throw new Error(`moto IAM ${params[0]![1]} answered ${res.status}: ${text}`);
    return new XMLParser().parse(text) as Record<string, unknown>;
  };
  const user = `phantom-${Date.now()}`;
  await iam([["Action", "CreateUser"], ["UserName", user]]);
  const created = await iam([["Action", "CreateAccessKey"], ["UserName", user]]);
  const key = (created.CreateAccessKeyResponse as { CreateAccessKeyResult: { AccessKey: { AccessKeyId: string; SecretAccessKey: string } } })
    .CreateAccessKeyResult.AccessKey;
  return { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey };
}
