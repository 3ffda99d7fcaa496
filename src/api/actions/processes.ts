/**
 * SuspendProcesses, ResumeProcesses, DescribeScalingProcessTypes. What each suspended process
 * pauses is in `core/scaling-processes.ts`; the controller reads them from the group.
 */
import { requireActive } from "../../core/group-changes.js";
import { resumeProcesses, SCALING_PROCESSES, suspendProcesses } from "../../core/scaling-processes.js";
import type { Group } from "../../core/types.js";
import type { Action } from "./action.js";
import { changeGroup } from "./groups.js";

/** An action that changes the group's suspended processes with `change`. */
function processesAction(change: (group: Group, processes: string[] | undefined, now: Date) => Group): Action {
  return {
    cacheable: false,
    async handle(input, ctx) {
      await changeGroup(ctx, input.AutoScalingGroupName as string, (g) => {
        requireActive(g);
        return change(g, input.ScalingProcesses as string[] | undefined, ctx.now);
      });
      return undefined;
    },
  };
}

export const SuspendProcesses = processesAction(suspendProcesses);

export const ResumeProcesses = processesAction((g, processes) => resumeProcesses(g, processes));

export const DescribeScalingProcessTypes: Action = {
  cacheable: true,
  handle() {
    return Promise.resolve({ Processes: SCALING_PROCESSES.map((ProcessName) => ({ ProcessName })) });
  },
};
