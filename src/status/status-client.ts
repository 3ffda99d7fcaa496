/**
 * The API calls behind `phantom status`: DescribeAutoScalingGroups and DescribeScalingActivities
 * through the AWS SDK (credentials from its usual providers: the environment, profiles, …) and
 * Phantom's own DescribePhantomSites as a plain Query request signed with the same credentials.
 */
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, DescribeScalingActivitiesCommand, type AutoScalingGroup } from "@aws-sdk/client-auto-scaling";
import { queryFormBody, signQueryPost } from "../aws-wire/auth/sign-query.js";
import { groupStatus, type GroupStatus, type SiteBackoffAnswer } from "./status-report.js";

/** The value of `<name>…</name>` inside `xml`, unescaped; undefined when absent. */
function element(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
  return m?.[1]?.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, "&");
}

/** Reads Phantom's groups, activities and site backoffs for one user. */
export class StatusClient {
  readonly #client: AutoScalingClient;
  readonly #endpoint: URL;
  readonly #region: string;

  constructor(endpoint: string, options: { readonly profile?: string | undefined } = {}) {
    this.#endpoint = new URL(endpoint);
    // Phantom accepts any region in a signature; the SDK only insists that there is one.
    this.#region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1";
    this.#client = new AutoScalingClient({
      endpoint,
      region: this.#region,
      maxAttempts: 2,
      ...(options.profile !== undefined ? { profile: options.profile } : {}),
    });
  }

  /** Every group (or just `group`), each with its clouds, backoffs and last activity. */
  async read(group?: string): Promise<GroupStatus[]> {
    // One after the other: a refused key or an unreachable endpoint is reported by the SDK's call.
    const groups = await this.#groups(group);
    const backoffs = await this.#backoffs();
    if (group !== undefined && groups.length === 0) throw new Error(`no group named ${group}`);
    return Promise.all(
      groups.map(async (g) => {
        const { Activities } = await this.#client.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: g.AutoScalingGroupName, MaxRecords: 1 }));
        return groupStatus(g, backoffs, Activities?.[0]);
      }),
    );
  }

  close(): void {
    this.#client.destroy();
  }

  async #groups(name: string | undefined): Promise<AutoScalingGroup[]> {
    const groups: AutoScalingGroup[] = [];
    let NextToken: string | undefined;
    do {
      const page = await this.#client.send(
        new DescribeAutoScalingGroupsCommand({ ...(name !== undefined ? { AutoScalingGroupNames: [name] } : {}), MaxRecords: 100, NextToken }),
      );
      groups.push(...(page.AutoScalingGroups ?? []));
      NextToken = page.NextToken;
    } while (NextToken !== undefined);
    return groups;
  }

  /** DescribePhantomSites: the sites backing off for this user. */
  async #backoffs(): Promise<SiteBackoffAnswer[]> {
    const credentials = await this.#client.config.credentials();
    const body = queryFormBody([
      ["Action", "DescribePhantomSites"],
      ["Version", "2011-01-01"],
    ]);
    const headers = signQueryPost(credentials, { url: this.#endpoint, body, service: "autoscaling", region: this.#region, now: new Date() });
    const response = await fetch(new URL("/", this.#endpoint), { method: "POST", headers, body, signal: AbortSignal.timeout(30_000) });
    const xml = await response.text();
    if (!response.ok) throw new Error(`DescribePhantomSites: ${element(xml, "Code") ?? response.status}: ${element(xml, "Message") ?? xml.slice(0, 200)}`);
    const sites: SiteBackoffAnswer[] = [];
    for (const [, member = ""] of xml.matchAll(/<member>([\s\S]*?)<\/member>/g)) {
      if (element(member, "BackingOff") !== "true") continue;
      sites.push({ site: element(member, "SiteName") ?? "", until: new Date(element(member, "BackoffUntil") ?? 0), reason: element(member, "BackoffReason") ?? "" });
    }
    return sites;
  }
}
