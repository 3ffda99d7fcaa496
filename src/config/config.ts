/**
 * Phantom's configuration: the YAML schema, its validation with precise messages, and the typed
 * result the rest of the program reads. Unknown keys and unknown drivers are errors.
 */
import { z } from "zod";

/** A simulated cloud in this process (the demo default). */
export interface SimulatedSiteConfig {
  readonly name: string;
  readonly driver: "simulated";
  /** Most VMs not terminated at once; launches beyond it fail with InsufficientInstanceCapacity. */
  readonly capacity: number;
  readonly bootSeconds: number;
  /** Fraction (0..1) of launched VMs that never boot: `pending`, then `terminated`. */
  readonly launchFailureRate: number;
  /** Fraction (0..1) of cloud API calls that fail with a transient error. */
  readonly apiErrorRate: number;
  /** Milliseconds each cloud API call takes. */
  readonly apiLatencyMs: number;
  /** Chance per running VM per hour of dying behind Phantom's back. */
  readonly deathRatePerHour: number;
}

/** An EC2-compatible cloud reached over its Query API. */
export interface Ec2SiteConfig {
  readonly name: string;
  readonly driver: "ec2";
  readonly endpoint: string;
  readonly region: string;
}

/** An OpenStack cloud reached through Keystone v3 and Nova. */
export interface OpenStackSiteConfig {
  readonly name: string;
  readonly driver: "openstack";
  /** Keystone's v3 URL, e.g. `https://keystone.example:5000/v3`. */
  readonly authUrl: string;
  /** The catalog region whose public endpoints the site uses. */
  readonly region: string;
  /** The network (name or id) VMs are attached to; without one, Nova's `auto`. */
  readonly network: string | null;
}

/**
 * One configured site. `retired: true` (any driver) keeps a site that is being given up: it
 * takes no new VMs, its VMs are replaced elsewhere make-before-break and then terminated, and
 * once it holds none it can be removed from the configuration.
 */
export type SiteConfig = (SimulatedSiteConfig | Ec2SiteConfig | OpenStackSiteConfig) & { readonly retired?: boolean };

/** The whole configuration, validated and with defaults applied. */
export interface PhantomConfig {
  readonly listen: { readonly host: string; readonly port: number };
  /** Serve HTTPS with this certificate and key (PEM files); null: plain HTTP. */
  readonly tls: { readonly certFile: string; readonly keyFile: string } | null;
  /** `sqlite:PATH`, `sqlite::memory:` or `postgres://…`. */
  readonly db: string;
  /** The region written into ARNs. */
  readonly region: string;
  /** Where the server key that seals secrets lives when `PHANTOM_MASTER_KEY` is unset. */
  readonly masterKeyFile: string;
  readonly defaultSite: string | null;
  /** In configuration order: the order `phantom` lists them in messages. */
  readonly sites: readonly SiteConfig[];
  readonly limits: { readonly launchConfigurations: number; readonly groups: number };
  /** CloudWatch-style metrics: how long they are kept, how many series and alarms a user may have. */
  readonly metrics: { readonly retentionMs: number; readonly maxSeriesPerUser: number; readonly maxAlarmsPerUser: number };
  /** The reconcile loop's timing, in milliseconds. */
  readonly controller: {
    readonly intervalMs: number;
    readonly bootTimeoutMs: number;
    readonly missingGraceMs: number;
    readonly backoffInitialMs: number;
    readonly backoffMaxMs: number;
    readonly orphanGraceMs: number;
    /**
     * The lifetime of a shard lease, renewed every third of it: after a crash or a pause, the
     * restarted process (or another replica) takes the shards over after this long.
     */
    readonly leaseMs: number;
    /**
     * How many shards the groups are spread over (`controller.shards`); each is driven by one
     * replica at a time. Every replica on one database must use the same number.
     */
    readonly shards: number;
  };
}

/** A configuration that cannot be used; the message names the file and the key. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

const SITE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

const listenSchema = z.string().transform((value, ctx) => {
  const parsed = parseListen(value);
  if (parsed === null) {
    ctx.addIssue({ code: "custom", message: `expected HOST:PORT (e.g. 127.0.0.1:8445), got "${value}"` });
    return z.NEVER;
  }
  return parsed;
});

const simulatedSchema = z
  .object({
    driver: z.literal("simulated"),
    capacity: z.number().int().min(0).default(100),
    boot_seconds: z.number().min(0).default(2),
    // Fault knobs, all off by default: they let the demo and tests show overflow and replacement.
    launch_failure_rate: z.number().min(0).max(1).default(0),
    api_error_rate: z.number().min(0).max(1).default(0),
    api_latency_ms: z.number().min(0).max(60_000).default(0),
    death_rate: z.number().min(0).default(0), // per running VM per hour
    retired: z.boolean().default(false),
  })
  .strict();

const ec2Schema = z
  .object({
    driver: z.literal("ec2"),
    endpoint: z.url({ protocol: /^https?$/ }),
    region: z.string().min(1).default("us-east-1"),
    retired: z.boolean().default(false),
  })
  .strict();

const openstackSchema = z
  .object({
    driver: z.literal("openstack"),
    auth_url: z.url({ protocol: /^https?$/ }),
    region: z.string().min(1).max(255).default("RegionOne"),
    network: z.string().min(1).max(255).optional(),
    retired: z.boolean().default(false),
  })
  .strict();

const fileSchema = z
  .object({
    listen: listenSchema.default({ host: "127.0.0.1", port: 8445 }),
    tls: z.object({ cert: z.string().min(1), key: z.string().min(1) }).strict().optional(),
    db: z.string().min(1).default("sqlite:data/phantom.db"),
    region: z.string().regex(/^[a-z0-9-]+$/, "lower-case letters, digits and '-'").default("phantom"),
    master_key_file: z.string().min(1).default("data/master.key"),
    default_site: z.string().optional(),
    sites: z.record(z.string(), z.discriminatedUnion("driver", [simulatedSchema, ec2Schema, openstackSchema])),
    controller: z
      .object({
        interval_seconds: z.number().positive().max(3600).default(5),
        boot_timeout_seconds: z.number().positive().default(600),
        missing_grace_seconds: z.number().min(0).default(60),
        backoff_initial_seconds: z.number().positive().default(30),
        backoff_max_seconds: z.number().positive().default(600),
        orphan_grace_seconds: z.number().min(0).default(120),
        // Default: six intervals, at least 30 s (see parseConfig).
        lease_seconds: z.number().positive().optional(),
        shards: z.number().int().min(1).max(4096).default(64),
      })
      .strict()
      .default({
        interval_seconds: 5,
        boot_timeout_seconds: 600,
        missing_grace_seconds: 60,
        backoff_initial_seconds: 30,
        backoff_max_seconds: 600,
        orphan_grace_seconds: 120,
        shards: 64,
      }),
    limits: z
      .object({
        launch_configurations: z.number().int().min(0).default(200),
        groups: z.number().int().min(0).default(500),
      })
      .strict()
      .default({ launch_configurations: 200, groups: 500 }),
    metrics: z
      .object({
        retention_seconds: z.number().int().min(600).max(14 * 86400).default(7200),
        max_series_per_user: z.number().int().min(1).default(10_000),
        max_alarms_per_user: z.number().int().min(1).default(5000),
      })
      .strict()
      .default({ retention_seconds: 7200, max_series_per_user: 10_000, max_alarms_per_user: 5000 }),
  })
  .strict();

/** Parses `HOST:PORT` (IPv6 hosts in brackets); null when malformed. */
export function parseListen(value: string): { host: string; port: number } | null {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d{1,5})$/.exec(value.trim());
  if (!m) return null;
  const port = Number(m[2]);
  if (port > 65535) return null;
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port };
}

function formatIssues(source: string, error: z.ZodError): string {
  const lines = error.issues.map((issue) => {
    const path = issue.path.map(String).join(".") || "(top level)";
    return `${source}: ${path}: ${issue.message}`;
  });
  return lines.join("\n");
}

/**
 * Validates a parsed YAML document (`source` names it in messages) and returns the config.
 * @throws ConfigError listing every problem, one per line, each with its key path.
 */
export function parseConfig(document: unknown, source: string): PhantomConfig {
  const result = fileSchema.safeParse(document ?? {});
  if (!result.success) throw new ConfigError(formatIssues(source, result.error));
  const raw = result.data;
  const sites: SiteConfig[] = Object.entries(raw.sites).map(([name, s]) => {
    if (!SITE_NAME.test(name)) {
      throw new ConfigError(
        `${source}: sites.${name}: a site name is letters, digits, '_', '.' or '-' (it is written after '@' and in the clouds tag)`,
      );
    }
    // Present only when true: a retired site is the exception.
    const retired = s.retired ? { retired: true } : {};
    switch (s.driver) {
      case "simulated":
        return {
          ...retired,
          name,
          driver: "simulated",
          capacity: s.capacity,
          bootSeconds: s.boot_seconds,
          launchFailureRate: s.launch_failure_rate,
          apiErrorRate: s.api_error_rate,
          apiLatencyMs: s.api_latency_ms,
          deathRatePerHour: s.death_rate,
        };
      case "ec2":
        return { ...retired, name, driver: "ec2", endpoint: s.endpoint, region: s.region };
      case "openstack":
        return { ...retired, name, driver: "openstack", authUrl: s.auth_url, region: s.region, network: s.network ?? null };
    }
  });
  if (sites.length === 0) throw new ConfigError(`${source}: sites: configure at least one site`);
  if (raw.controller.backoff_max_seconds < raw.controller.backoff_initial_seconds) {
    throw new ConfigError(`${source}: controller.backoff_max_seconds must be at least controller.backoff_initial_seconds`);
  }
  // A shard lease must outlive a pass and the wait for the next.
  const leaseSeconds = raw.controller.lease_seconds ?? Math.max(30, raw.controller.interval_seconds * 6);
  if (leaseSeconds < raw.controller.interval_seconds * 2) {
    throw new ConfigError(`${source}: controller.lease_seconds must be at least twice controller.interval_seconds`);
  }
  const defaultSite = raw.default_site ?? null;
  if (defaultSite !== null && !sites.some((s) => s.name === defaultSite)) {
    throw new ConfigError(
      `${source}: default_site: '${defaultSite}' is not one of the sites (${sites.map((s) => s.name).join(", ")})`,
    );
  }
  if (defaultSite !== null && sites.some((s) => s.name === defaultSite && s.retired === true)) {
    throw new ConfigError(`${source}: default_site: '${defaultSite}' is retired; name a site that takes new VMs`);
  }
  return {
    listen: raw.listen,
    tls: raw.tls === undefined ? null : { certFile: raw.tls.cert, keyFile: raw.tls.key },
    db: raw.db,
    region: raw.region,
    masterKeyFile: raw.master_key_file,
    defaultSite,
    sites,
    limits: { launchConfigurations: raw.limits.launch_configurations, groups: raw.limits.groups },
    metrics: {
      retentionMs: raw.metrics.retention_seconds * 1000,
      maxSeriesPerUser: raw.metrics.max_series_per_user,
      maxAlarmsPerUser: raw.metrics.max_alarms_per_user,
    },
    controller: {
      intervalMs: raw.controller.interval_seconds * 1000,
      bootTimeoutMs: raw.controller.boot_timeout_seconds * 1000,
      missingGraceMs: raw.controller.missing_grace_seconds * 1000,
      backoffInitialMs: raw.controller.backoff_initial_seconds * 1000,
      backoffMaxMs: raw.controller.backoff_max_seconds * 1000,
      orphanGraceMs: raw.controller.orphan_grace_seconds * 1000,
      leaseMs: leaseSeconds * 1000,
      shards: raw.controller.shards,
    },
  };
}
