/**
 * CreateOrUpdateTags, DeleteTags, DescribeTags. Changing `PHANTOM_DEFINITION`, `clouds` or
 * `n_preserve` reconfigures the group with the same checks as CreateAutoScalingGroup. A request
 * that touches several groups changes all of them or none.
 */
import { ValidationError } from "../../core/errors.js";
import { changeTags, tagsFromInput, type TagInput } from "../../core/group-changes.js";
import type { TagFilter } from "../../store/store.js";
import { nextToken, requestedPage } from "../pagination.js";
import { renderTag } from "../render.js";
import { groupNotFound, type Action, type ActionContext } from "./action.js";
import { checkLaunchConfigurations } from "./groups.js";

/** The request's tags grouped by the group they name, in request order. */
function byGroup(tags: readonly TagInput[]): Map<string, TagInput[]> {
  const out = new Map<string, TagInput[]>();
  for (const t of tags) {
    if (t.ResourceId === undefined || t.ResourceId === "") {
      throw new ValidationError(`The tag ${t.Key} has no ResourceId: name the Auto Scaling group it belongs to.`);
    }
    out.set(t.ResourceId, [...(out.get(t.ResourceId) ?? []), t]);
  }
  return out;
}

async function retag(ctx: ActionContext, tags: readonly TagInput[], mode: "upsert" | "delete"): Promise<void> {
  const groups = byGroup(tags);
  const changed = await ctx.store.write(ctx.user.id, async (tx) => {
    const ids: string[] = [];
    for (const [name, groupTags] of groups) {
      const group = await tx.getGroupForUpdate(name);
      if (group === null) throw new ValidationError(groupNotFound(name));
      const next =
        mode === "upsert"
          ? changeTags(group, tagsFromInput(name, groupTags), [], ctx.settings.catalog)
          : changeTags(group, [], groupTags.map((t) => t.Key), ctx.settings.catalog);
      await checkLaunchConfigurations(tx, next);
      await tx.updateGroup(next);
      ids.push(group.id);
    }
    return ids;
  });
  for (const id of changed) ctx.groupChanged(id);
}

export const CreateOrUpdateTags: Action = {
  cacheable: false,
  async handle(input, ctx) {
    await retag(ctx, input.Tags as TagInput[], "upsert");
    return undefined;
  },
};

export const DeleteTags: Action = {
  cacheable: false,
  async handle(input, ctx) {
    await retag(ctx, input.Tags as TagInput[], "delete");
    return undefined;
  },
};

/** AWS's DescribeTags filters: `auto-scaling-group`, `key`, `value`, `propagate-at-launch`. */
function tagFilter(filters: readonly { Name?: string; Values?: string[] }[] | undefined): TagFilter {
  const filter: { groupNames?: string[]; keys?: string[]; values?: string[]; propagateAtLaunch?: boolean } = {};
  for (const f of filters ?? []) {
    const values = f.Values ?? [];
    const add = (field: "groupNames" | "keys" | "values") => (filter[field] = [...(filter[field] ?? []), ...values]);
    switch (f.Name) {
      case "auto-scaling-group":
        add("groupNames");
        break;
      case "key":
        add("keys");
        break;
      case "value":
        add("values");
        break;
      case "propagate-at-launch": {
        const v = values[0]?.toLowerCase();
        if (values.length !== 1 || (v !== "true" && v !== "false")) {
          throw new ValidationError("The filter propagate-at-launch takes one value: true or false.");
        }
        filter.propagateAtLaunch = v === "true";
        break;
      }
      default:
        throw new ValidationError(
          `Filter name '${f.Name ?? ""}' is invalid; use auto-scaling-group, key, value or propagate-at-launch.`,
        );
    }
  }
  return filter;
}

const TAG_PAGE = { defaultSize: 50, maxSize: 100 };

export const DescribeTags: Action = {
  cacheable: true,
  async handle(input, ctx) {
    const filter = tagFilter(input.Filters as { Name?: string; Values?: string[] }[] | undefined);
    const page = requestedPage("DescribeTags", filter, input, TAG_PAGE);
    const result = await ctx.store.reads(ctx.user.id).listTags(filter, page);
    return {
      Tags: result.items.map((t) => renderTag(t.groupName, t)),
      NextToken: nextToken("DescribeTags", filter, result.next),
    };
  },
};
