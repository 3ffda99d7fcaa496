/**
 * `phantom simcloud --openstack` in a process of its own, for `bench/controller.ts
 * --openstack`: the face's work (rendering and paging Nova's listings) then stays out of the
 * controller's CPU figures. It is seeded through IPC — the controller benchmark sends each
 * launch and gets the VMs back — and serves until told to stop.
 *
 * Messages in: `{ type: "launch", id, account, request }`, `{ type: "count", id, account }`,
 * `{ type: "stop" }`. Out: `{ type: "ready", url }`, then `{ id, result }` for each request.
 */
import { SimulatedCloud, type RunInstancesRequest } from "../src/clouds/simulated/simulated-cloud.js";
import { seededRandom } from "../src/clouds/simulated/seeded-random.js";
import { startSimcloud } from "../src/simcloud/simcloud-server.js";

/** A message from the benchmark. */
export type FaceCommand =
  | { readonly type: "launch"; readonly id: number; readonly account: string; readonly request: RunInstancesRequest }
  | { readonly type: "count"; readonly id: number; readonly account: string }
  | { readonly type: "stop" };

/** A launched VM, as sent back. */
export interface SeededVm {
  readonly id: string;
  readonly instanceType: string;
  readonly launchedAt: string;
}

const send = (message: unknown) => process.send!(message);
const cloud = new SimulatedCloud({ capacity: Infinity, bootSeconds: 0, random: seededRandom(11) });
const simcloud = await startSimcloud(cloud, { host: "127.0.0.1", port: 0 }, { openstack: {} });
process.on("message", (message: FaceCommand) => {
  void (async () => {
    switch (message.type) {
      case "launch": {
        const vms = await cloud.runInstances(message.account, message.request);
        const result: SeededVm[] = vms.map((vm) => ({ id: vm.id, instanceType: vm.instanceType, launchedAt: vm.launchedAt.toISOString() }));
        send({ id: message.id, result });
        break;
      }
      case "count":
        send({ id: message.id, result: (await cloud.describeInstances(message.account)).length });
        break;
      case "stop":
        await simcloud.close();
        process.disconnect();
        break;
    }
  })();
});
send({ type: "ready", url: simcloud.url });
