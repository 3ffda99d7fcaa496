/** CreateLaunchConfiguration, DeleteLaunchConfiguration, DescribeLaunchConfigurations. */
import { randomUUID } from "node:crypto";
import { LimitExceededError, ValidationError } from "../../core/errors.js";
import { parseLaunchConfigurationName, type SiteCatalog } from "../../core/sites.js";
import type { LaunchConfiguration, LaunchSpec } from "../../core/types.js";
import { launchConfigurationArn } from "../arn.js";
import { nextToken, requestedPage } from "../pagination.js";
import { renderLaunchConfiguration } from "../render.js";
import type { Action } from "./action.js";

/** The stored name a request means: `name` gets the default site when it has no `@`. */
export function storedLaunchConfigurationName(name: string, catalog: SiteCatalog): string {
  return name.includes("@") || catalog.defaultSite === null ? name : `${name}@${catalog.defaultSite}`;
}

/** AWS's own sentence for a request without an image or an instance type. */
const AWS_NEEDS_IMAGE_AND_TYPE =
  "Valid requests must contain either the InstanceID parameter or both the ImageId and InstanceType parameters.";

export const CreateLaunchConfiguration: Action = {
  cacheable: false,
  async handle(input, ctx) {
    const { LaunchConfigurationName, ...spec } = input as { LaunchConfigurationName: string } & Record<string, unknown>;
    const name = parseLaunchConfigurationName(LaunchConfigurationName, ctx.settings.catalog);
    if (spec.InstanceId !== undefined) {
      throw new ValidationError("InstanceId is not supported: Phantom launch configurations name an ImageId and an InstanceType.");
    }
    for (const member of ["ImageId", "InstanceType"]) {
      if (spec[member] === undefined) {
        throw new ValidationError(`${AWS_NEEDS_IMAGE_AND_TYPE} ${member} is what VMs launched on ${name.site} get.`);
      }
    }
    // A name written without `@` is shown (and its ARN made) as written: scripts read back what they wrote.
    const shownName = LaunchConfigurationName === name.full ? undefined : LaunchConfigurationName;
    const lc: LaunchConfiguration = {
      name: name.full,
      ...(shownName === undefined ? {} : { shownName }),
      baseName: name.base,
      site: name.site,
      arn: launchConfigurationArn(ctx.settings.region, ctx.user.accountId, randomUUID(), LaunchConfigurationName),
      createdTime: ctx.now,
      spec: spec as LaunchSpec,
    };
    const limit = ctx.settings.limits.launchConfigurations;
    await ctx.store.write(ctx.user.id, async (tx) => {
      // As for groups: a name that is taken is AlreadyExists (from the insert), even at the limit.
      const count = await tx.countLaunchConfigurations();
      if (count >= limit && (await tx.listLaunchConfigurations([lc.name], { limit: 1 })).items.length === 0) {
        throw new LimitExceededError(`Max number of launch configurations reached: you have ${count}, the limit is ${limit}.`);
      }
      await tx.insertLaunchConfiguration(lc);
    });
    return undefined;
  },
};

export const DeleteLaunchConfiguration: Action = {
  cacheable: false,
  async handle(input, ctx) {
    const requested = input.LaunchConfigurationName as string;
    const name = storedLaunchConfigurationName(requested, ctx.settings.catalog);
    await ctx.store.write(ctx.user.id, async (tx) => {
      // Thrown inside the transaction, so a refused request commits nothing.
      if (!(await tx.deleteLaunchConfiguration(name, requested))) {
        throw new ValidationError(`Launch configuration name not found - Launch configuration ${requested} not found`);
      }
    });
    return undefined;
  },
};

const LC_PAGE = { defaultSize: 50, maxSize: 100 };

export const DescribeLaunchConfigurations: Action = {
  cacheable: true,
  async handle(input, ctx) {
    const given = input.LaunchConfigurationNames as string[] | undefined;
    const names = given && given.length > 0 ? given.map((n) => storedLaunchConfigurationName(n, ctx.settings.catalog)) : null;
    const page = requestedPage("DescribeLaunchConfigurations", names, input, LC_PAGE);
    const result = await ctx.store.reads(ctx.user.id).listLaunchConfigurations(names, page);
    return {
      LaunchConfigurations: result.items.map(renderLaunchConfiguration),
      NextToken: nextToken("DescribeLaunchConfigurations", names, result.next),
    };
  },
};
