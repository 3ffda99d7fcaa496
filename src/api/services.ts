/**
 * The AWS services Phantom answers on its one endpoint: Auto Scaling (2011-01-01) and the
 * metrics part of CloudWatch (2010-08-01). A request names its service by its `Version`
 * parameter, by its `X-Amz-Target` prefix (JSON protocol), or else by the service of its SigV4
 * credential scope; Auto Scaling is the default.
 */
import type { AwsErrorCode, PhantomError } from "../core/errors.js";
import { AUTOSCALING_ACTIONS } from "./actions/index.js";
import { MONITORING_ACTIONS } from "./actions/metrics.js";
import { ALARM_ACTIONS } from "./actions/alarms.js";
import { AlarmValidationError } from "../core/metric-alarms.js";
import type { Action } from "./actions/action.js";
import { MissingMemberError } from "../aws-wire/query/decode-input.js";
import { extendModel, loadModel, type Model } from "../aws-wire/query/model.js";
import autoscalingModel from "../aws-wire/models/autoscaling-2011-01-01.json" with { type: "json" };
import phantomExtensions from "../aws-wire/models/phantom-autoscaling-extensions.json" with { type: "json" };
import cloudwatchModel from "../aws-wire/models/cloudwatch-2010-08-01.json" with { type: "json" };

/** One service: its model, its actions and how it names errors. */
export interface Service {
  /** The signing name (SigV4 scope service). */
  readonly signingName: string;
  readonly model: Model;
  readonly actions: Readonly<Record<string, Action>>;
  /** The `X-Amz-Target` prefix of its JSON protocol; null when it speaks Query only. */
  readonly jsonTarget: string | null;
  /**
   * Parameters real clients send that the model does not list, accepted and ignored, per
   * action.
   */
  readonly quirks: Readonly<Record<string, readonly string[]>>;
  /** The code this service answers an error with. */
  errorCode(e: PhantomError): AwsErrorCode;
}

/** Auto Scaling: the default service, with Phantom's own read-only actions (`DescribePhantomSites`). */
export const AUTOSCALING: Service = {
  signingName: "autoscaling",
  model: loadModel(extendModel(autoscalingModel, phantomExtensions)),
  actions: AUTOSCALING_ACTIONS,
  jsonTarget: null,
  // boto 2 adds a top-level `DeleteOnTermination` to CreateLaunchConfiguration.
  quirks: { CreateLaunchConfiguration: ["DeleteOnTermination"] },
  errorCode: (e) => e.code,
};

/**
 * CloudWatch's metrics and metric alarms. Its input violations are `InvalidParameterValue` (a
 * required member missing: `MissingParameter`), not Auto Scaling's `ValidationError`, except for
 * the alarm rules CloudWatch itself answers with `ValidationError`.
 */
export const MONITORING: Service = {
  signingName: "monitoring",
  model: loadModel(cloudwatchModel),
  actions: { ...MONITORING_ACTIONS, ...ALARM_ACTIONS },
  jsonTarget: "GraniteServiceVersion20100801",
  quirks: {},
  errorCode(e) {
    // A few of CloudWatch's own rules (the alarms') are answered as ValidationError.
    if (e.code !== "ValidationError" || e instanceof AlarmValidationError) return e.code;
    return e instanceof MissingMemberError ? "MissingParameter" : "InvalidParameterValue";
  },
};

const BY_VERSION = new Map([AUTOSCALING, MONITORING].map((s) => [s.model.apiVersion, s]));
const BY_TARGET = new Map([AUTOSCALING, MONITORING].flatMap((s) => (s.jsonTarget === null ? [] : [[s.jsonTarget, s] as const])));

/** The service of a Query request's `Version`; undefined for a version Phantom does not speak. */
export function serviceByVersion(version: string): Service | undefined {
  return BY_VERSION.get(version);
}

/** The service of a JSON request's `X-Amz-Target` prefix. */
export function serviceByTarget(prefix: string): Service | undefined {
  return BY_TARGET.get(prefix);
}

/** The service a request without `Version` is for: by its signing name, else Auto Scaling. */
export function serviceBySigningName(name: string | undefined): Service {
  return name === MONITORING.signingName ? MONITORING : AUTOSCALING;
}

/** Whether any served service has an action of this name. */
export function isKnownAction(name: string): boolean {
  return Object.hasOwn(AUTOSCALING.actions, name) || Object.hasOwn(MONITORING.actions, name);
}
