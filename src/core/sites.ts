/**
 * The sites a group may use and how launch configuration names refer to them. Phantom names a
 * launch configuration `<name>@<site>`; one base name has at most one configuration per site.
 */
import { ValidationError } from "./errors.js";

/** The configured sites, in configuration order, and the optional default for plain AWS use. */
export interface SiteCatalog {
  readonly names: readonly string[];
  /** When set, a name without `@` means `@defaultSite` and plain AWS groups are allowed. */
  readonly defaultSite: string | null;
  /** Sites kept with `retired: true`: they take no new VMs and are being emptied. */
  readonly retired?: readonly string[];
}

/** A launch configuration name split into its parts. */
export interface LaunchConfigurationName {
  readonly base: string;
  readonly site: string;
  /** `<base>@<site>`: the name Phantom stores and shows. */
  readonly full: string;
}

/** `<base>@<site>`. */
export function fullLaunchConfigurationName(base: string, site: string): string {
  return `${base}@${site}`;
}

/** The configured sites, quoted for a message. */
export function describeSites(catalog: SiteCatalog): string {
  return catalog.names.join(", ");
}

/** Throws a ValidationError unless `site` is configured. */
export function requireSite(catalog: SiteCatalog, site: string, context: string): void {
  if (!catalog.names.includes(site)) {
    throw new ValidationError(
      `${context}: '${site}' is not a configured site. Configured sites: ${describeSites(catalog)}.`,
    );
  }
}

/**
 * Splits a launch configuration name at its last `@`. Without `@` the name means
 * `@defaultSite` when one is configured, and is an error that explains the convention otherwise.
 */
export function parseLaunchConfigurationName(name: string, catalog: SiteCatalog): LaunchConfigurationName {
  const at = name.lastIndexOf("@");
  if (at < 0) {
    if (catalog.defaultSite === null) {
      throw new ValidationError(
        `Launch configuration name '${name}' has no site. Phantom names launch configurations ` +
          `<name>@<site>, one per site a group may use, e.g. '${name}@${catalog.names[0] ?? "site"}'. ` +
          `Configured sites: ${describeSites(catalog)}.`,
      );
    }
    return { base: name, site: catalog.defaultSite, full: fullLaunchConfigurationName(name, catalog.defaultSite) };
  }
  const base = name.slice(0, at);
  const site = name.slice(at + 1);
  if (base.length === 0) {
    throw new ValidationError(`Launch configuration name '${name}' has an empty name before '@'; use <name>@<site>.`);
  }
  requireSite(catalog, site, `Launch configuration name '${name}'`);
  return { base, site, full: name };
}

/**
 * The base name a group refers to: `<name>` or the `<name>` of `<name>@<site>` (the site part is
 * then only a hint; the group uses `<name>@S` on each of its sites S).
 */
export function launchConfigurationBase(name: string, catalog: SiteCatalog): string {
  const at = name.lastIndexOf("@");
  if (at < 0) return name;
  return parseLaunchConfigurationName(name, catalog).base;
}
