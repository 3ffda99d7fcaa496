/**
 * The shape of an action handler. A handler gets the decoded, model-validated input (AWS member
 * names) and returns the action's result object, which the encoder renders in model order.
 * Handlers read and write the store; they never call a cloud.
 */
import type { SiteCatalog } from "../../core/sites.js";
import type { User } from "../../core/types.js";
import type { Store } from "../../store/store.js";

/** What the operator configured that actions need. */
export interface ApiSettings {
  readonly region: string;
  readonly catalog: SiteCatalog;
  readonly limits: { readonly launchConfigurations: number; readonly groups: number };
  /**
   * How long metrics are kept, how many series a user may have, and how many alarms (default
   * `DEFAULT_MAX_ALARMS_PER_USER`, AWS's quota).
   */
  readonly metrics: { readonly retentionMs: number; readonly maxSeriesPerUser: number; readonly maxAlarmsPerUser?: number };
}

/** Everything a handler may use for one request. */
export interface ActionContext {
  readonly user: User;
  readonly store: Store;
  readonly settings: ApiSettings;
  readonly now: Date;
  /** Tells the controller that a group changed, so it reconciles it now rather than next pass. */
  readonly groupChanged: (groupId: string) => void;
}

/** One Query API action. */
export interface Action {
  /**
   * Whether answers may be cached until the user's resources change (their generation): true
   * for reads of groups, configurations, policies; false for writes and for metrics.
   */
  readonly cacheable: boolean;
  /**
   * A faster decoder for the action's most common input (a hot path's): what `decodeInput`
   * returns for the parameters it takes, null for any others, which `decodeInput` then decodes.
   */
  readonly decodeCommon?: (params: ReadonlyMap<string, string>) => Record<string, unknown> | null;
  handle(input: Record<string, unknown>, ctx: ActionContext): Promise<Record<string, unknown> | undefined>;
}

/** A group that is not there, in AWS's words. */
export function groupNotFound(name: string): string {
  return `AutoScalingGroup name not found - AutoScalingGroup '${name}' not found`;
}
