/**
 * `phantom simcloud`: the simulated cloud as an EC2-compatible endpoint, until SIGINT or
 * SIGTERM. Point an `ec2` site (or `aws ec2 --endpoint-url`) at it to run Phantom's real EC2
 * path locally, and kill VMs behind Phantom's back with `aws ec2 terminate-instances`. With
 * `--openstack` the same cloud is an OpenStack too (Keystone at `/identity/v3`): point an
 * `openstack` site, or the `openstack` command, at it. Any credentials work unless
 * `--credentials KEY:SECRET,…` names the only keys, whose signatures are then verified.
 */
import { InvalidArgumentError, type Command } from "commander";
import { parseListen } from "../config/config.js";
import { createLogger } from "../observability/logger.js";
import { SimulatedCloud } from "../clouds/simulated/simulated-cloud.js";
import { startSimcloud } from "../simcloud/simcloud-server.js";

interface SimcloudOptions {
  readonly listen: { host: string; port: number };
  readonly capacity: number;
  readonly bootSeconds: number;
  readonly launchFailureRate: number;
  readonly apiErrorRate: number;
  readonly apiLatencyMs: number;
  readonly launchAnswerDelayMs: number;
  readonly deathRate: number;
  readonly quota?: number;
  readonly openstack?: boolean;
  readonly region: string;
  readonly credentials?: ReadonlyMap<string, string>;
}

/** A commander parser for a number in [min, max]. */
function number(min: number, max = Infinity) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(max === Infinity ? `expected a number ≥ ${min}` : `expected a number from ${min} to ${max}`);
    }
    return n;
  };
}

function wholeNumber(value: string): number {
  const n = number(0)(value);
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError("expected a whole number ≥ 0");
  return n;
}

function address(value: string): { host: string; port: number } {
  const parsed = parseListen(value);
  if (parsed === null) throw new InvalidArgumentError("expected HOST:PORT, e.g. 127.0.0.1:8599");
  return parsed;
}

/** `KEY:SECRET,…` as access key → secret; an access key is 16 to 128 word characters, as in AWS. */
function credentialList(value: string): ReadonlyMap<string, string> {
  const keys = new Map<string, string>();
  for (const pair of value.split(",")) {
    const at = pair.indexOf(":");
    const key = pair.slice(0, at);
    if (at < 0 || !/^\w{16,128}$/.test(key) || at === pair.length - 1) {
      throw new InvalidArgumentError("expected KEY:SECRET[,KEY:SECRET…], each key 16 to 128 letters, digits or _");
    }
    keys.set(key, pair.slice(at + 1));
  }
  return keys;
}

/** Adds `simcloud` to the program. */
export function registerSimcloud(program: Command): void {
  program
    .command("simcloud")
    .description(
      "serve a simulated cloud as an EC2-compatible endpoint, and with --openstack as an OpenStack; each access key or project is its own account. " +
        "Any credentials work (signatures are not checked) unless --credentials is given",
    )
    .requiredOption("--listen <host:port>", "address to listen on (port 0 picks a free one)", address)
    .option("--capacity <n>", "most VMs not terminated at once; launches beyond it get InsufficientInstanceCapacity", wholeNumber, 100)
    .option("--boot-seconds <s>", "seconds from launch until a VM is running", number(0), 2)
    .option("--launch-failure-rate <r>", "fraction of launched VMs that never come up", number(0, 1), 0)
    .option("--api-error-rate <r>", "fraction of API calls that fail with InternalError or Unavailable", number(0, 1), 0)
    .option("--api-latency-ms <ms>", "milliseconds each API call waits before it answers", number(0), 0)
    .option(
      "--launch-answer-delay-ms <ms>",
      "milliseconds a launch waits after making its VMs, before it answers (the VMs exist, the caller does not know them yet)",
      number(0),
      0,
    )
    .option("--death-rate <r>", "chance per running VM per hour of dying behind its owner's back", number(0), 0)
    .option("--quota <n>", "most VMs per account (OpenStack: per project, failed servers counted until deleted); beyond it InstanceLimitExceeded, or 403 Quota exceeded", wholeNumber)
    .option("--openstack", "also serve the cloud through Keystone v3 (/identity/v3), Nova, Glance and Neutron; when full, servers go to ERROR")
    .option("--region <name>", "the OpenStack catalog's region", "RegionOne")
    .option(
      "--credentials <KEY:SECRET,...>",
      "verify EC2 signatures (SigV4, SigV2) against these keys only: another key or a wrong signature gets AuthFailure (default: any credentials work)",
      credentialList,
    )
    .action(async (options: SimcloudOptions) => {
      const logger = createLogger();
      const cloud = new SimulatedCloud({
        capacity: options.capacity,
        bootSeconds: options.bootSeconds,
        launchFailureRate: options.launchFailureRate,
        apiErrorRate: options.apiErrorRate,
        apiLatencyMs: options.apiLatencyMs,
        launchAnswerDelayMs: options.launchAnswerDelayMs,
        deathRatePerHour: options.deathRate,
        quotaPerAccount: options.quota,
        // One line per launch that made VMs: tests count launches per token from it.
        onLaunch: (launch) => logger.info(launch, "launched"),
      });
      const openstack = options.openstack === true ? { region: options.region } : undefined;
      const simcloud = await startSimcloud(cloud, options.listen, { logger, openstack, credentials: options.credentials });
      logger.info(
        {
          url: simcloud.url,
          capacity: options.capacity,
          bootSeconds: options.bootSeconds,
          signatures: options.credentials === undefined ? "any credentials" : `verified for ${options.credentials.size} access keys`,
          ...(openstack !== undefined && { authUrl: `${simcloud.url}/identity/v3`, region: openstack.region }),
        },
        "serving",
      );
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      logger.info("stopping");
      await simcloud.close();
    });
}
