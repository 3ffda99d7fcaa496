/**
 * Phantom's placement tags on a group: `PHANTOM_DEFINITION`, `clouds` and `n_preserve` (the
 * sensor tags of a `sensor_engine` group are parsed in `sensor-tags.ts`), and the plain-AWS fallback that places a group by its AvailabilityZones. Pure parsing: each violation
 * is a ValidationError whose message tells the user what to write instead.
 */
import { ValidationError } from "./errors.js";
import { describeSites, requireSite, type SiteCatalog } from "./sites.js";
import { parseSensorTags, type SensorDefinition } from "./sensor-tags.js";
import type { CloudSlot, GroupDefinition } from "./types.js";

/** The tag that selects Phantom's placement for a group. */
export const TAG_DEFINITION = "PHANTOM_DEFINITION";
/** `site:max,…` in order of preference; `-1` = no cap. */
export const TAG_CLOUDS = "clouds";
/** How many VMs to keep; the group's desired capacity. */
export const TAG_N_PRESERVE = "n_preserve";
/** `false` stops VMs from moving back to a preferred site that has room again. */
export const TAG_REBALANCE = "rebalance";

/** The definitions Phantom implements. */
export const DEFINITIONS: readonly GroupDefinition[] = ["error_overflow_n_preserving", "sensor_engine"];

/** A group's placement: how its size is decided and where its VMs go. */
export interface Placement {
  /** `null` for a plain AWS group placed by its AvailabilityZones. */
  readonly definition: GroupDefinition | null;
  readonly clouds: readonly CloudSlot[];
  /** The `n_preserve` tag of an `error_overflow_n_preserving` group; `null` otherwise. */
  readonly nPreserve: number | null;
  /** The metric settings of a `sensor_engine` group; `null` otherwise. */
  readonly sensor: SensorDefinition | null;
}

const INT32_MAX = 2 ** 31 - 1;
const CLOUDS_EXAMPLE = "clouds=hotel:8,ec2:-1";

/** Parses `site:max,…`; each entry splits on its last `:`. */
export function parseCloudsTag(value: string, catalog: SiteCatalog): CloudSlot[] {
  const entries = value.split(",").map((e) => e.trim());
  if (value.trim() === "" || entries.some((e) => e === "")) {
    throw new ValidationError(
      `The tag clouds='${value}' must list site:max entries separated by commas, in order of preference ` +
        `(max -1 = unlimited), e.g. ${CLOUDS_EXAMPLE}. Configured sites: ${describeSites(catalog)}.`,
    );
  }
  const seen = new Set<string>();
  return entries.map((entry) => {
    const colon = entry.lastIndexOf(":");
    const site = colon < 0 ? entry : entry.slice(0, colon).trim();
    const maxText = colon < 0 ? "" : entry.slice(colon + 1).trim();
    if (colon < 0 || site === "" || !/^-?\d+$/.test(maxText)) {
      throw new ValidationError(
        `The entry '${entry}' of the tag clouds must be site:max with an integer max (-1 = unlimited), e.g. ${CLOUDS_EXAMPLE}.`,
      );
    }
    const max = Number(maxText);
    if (max < -1 || max > INT32_MAX) {
      throw new ValidationError(
        `The maximum of site ${site} in the tag clouds is ${maxText}; it must be an integer >= 0, or -1 for unlimited.`,
      );
    }
    requireSite(catalog, site, `The tag clouds`);
    if (seen.has(site)) {
      throw new ValidationError(`The tag clouds lists site ${site} twice; list each site once, in order of preference.`);
    }
    seen.add(site);
    return { site, max };
  });
}

/** Parses the `n_preserve` tag: an integer >= 0. */
export function parseNPreserve(value: string): number {
  // Exactly digits: the tag is echoed as written and must read the same as DesiredCapacity.
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n > INT32_MAX) {
    throw new ValidationError(`The tag n_preserve='${value}' must be a whole number of VMs to keep (0 or more).`);
  }
  return n;
}

/**
 * The placement a group's tags ask for, or `null` when the group has no `PHANTOM_DEFINITION`
 * (then `clouds` and `n_preserve` must be absent too, since they would be silently ignored).
 */
export function placementFromTags(
  tags: readonly { readonly key: string; readonly value: string }[],
  catalog: SiteCatalog,
): Placement | null {
  const get = (key: string) => tags.find((t) => t.key === key)?.value;
  const rebalance = get(TAG_REBALANCE);
  if (rebalance !== undefined && rebalance !== "true" && rebalance !== "false") {
    throw new ValidationError(`The tag rebalance='${rebalance}' must be true or false.`);
  }
  const definition = get(TAG_DEFINITION);
  if (definition === undefined) {
    for (const key of [TAG_CLOUDS, TAG_N_PRESERVE]) {
      if (get(key) !== undefined) {
        throw new ValidationError(
          `The tag ${key} only takes effect on a Phantom group: add the tag ${TAG_DEFINITION}=error_overflow_n_preserving.`,
        );
      }
    }
    return null;
  }
  if (!(DEFINITIONS as readonly string[]).includes(definition)) {
    throw new ValidationError(
      `Unknown ${TAG_DEFINITION} '${definition}'; the supported definitions are ${DEFINITIONS.join(" and ")}.`,
    );
  }
  const clouds = get(TAG_CLOUDS);
  if (clouds === undefined) {
    throw new ValidationError(
      `A group with ${TAG_DEFINITION}=${definition} needs the tag clouds=<site>:<max>,… listing its sites in order ` +
        `of preference (max -1 = unlimited), e.g. ${CLOUDS_EXAMPLE}. Configured sites: ${describeSites(catalog)}.`,
    );
  }
  const nPreserve = get(TAG_N_PRESERVE);
  if (definition === "sensor_engine") {
    if (nPreserve !== undefined) {
      throw new ValidationError(
        `The tag ${TAG_N_PRESERVE} does not apply to a ${TAG_DEFINITION}=sensor_engine group: its size follows the metric ` +
          `between minimum_vms and maximum_vms. Remove ${TAG_N_PRESERVE}.`,
      );
    }
    return { definition, clouds: parseCloudsTag(clouds, catalog), nPreserve: null, sensor: parseSensorTags(tags) };
  }
  if (nPreserve === undefined) {
    throw new ValidationError(
      `A group with ${TAG_DEFINITION}=${definition} needs the tag n_preserve=<number of VMs to keep>, e.g. n_preserve=10.`,
    );
  }
  return {
    definition: definition as GroupDefinition,
    clouds: parseCloudsTag(clouds, catalog),
    nPreserve: parseNPreserve(nPreserve),
    sensor: null,
  };
}

/**
 * The placement of a plain AWS group (no `PHANTOM_DEFINITION`): its AvailabilityZones are site
 * names in order of preference, without caps; none given means the default site.
 */
export function plainPlacement(availabilityZones: readonly string[] | undefined, catalog: SiteCatalog): Placement {
  if (catalog.defaultSite === null) {
    throw new ValidationError(
      `This Phantom has no default site, so a group needs the tags ${TAG_DEFINITION}=error_overflow_n_preserving, ` +
        `clouds=<site>:<max>,… (e.g. ${CLOUDS_EXAMPLE}) and n_preserve=<count>. Configured sites: ${describeSites(catalog)}.`,
    );
  }
  const zones = availabilityZones && availabilityZones.length > 0 ? availabilityZones : [catalog.defaultSite];
  const seen = new Set<string>();
  const clouds = zones.map((site) => {
    requireSite(catalog, site, "AvailabilityZones name Phantom sites");
    if (seen.has(site)) throw new ValidationError(`AvailabilityZones lists ${site} twice.`);
    seen.add(site);
    return { site, max: -1 };
  });
  return { definition: null, clouds, nPreserve: null, sensor: null };
}
