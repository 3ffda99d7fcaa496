/**
 * The demo that `npm start` runs with no configuration: a user `demo` whose keys persist in the
 * database, printed with the exact AWS CLI commands to try against this Phantom.
 */
import type { PhantomConfig } from "../config/config.js";
import type { UserWithSecret } from "../core/types.js";
import type { SecretBox } from "../secrets/secret-box.js";
import type { Store } from "../store/store.js";
import { addUser, openUserSecret } from "../users/user-accounts.js";

/** The demo user's name. */
export const DEMO_USER = "demo";

/** Returns the demo user, creating it with fresh keys on first start. */
export async function ensureDemoUser(store: Store, box: SecretBox): Promise<UserWithSecret> {
  const existing = await store.users.findUserByName(DEMO_USER);
  if (existing !== null) return openUserSecret(box, existing);
  return addUser(store, box, DEMO_USER);
}

/** The text printed at start: keys, and commands that run the multi-cloud example. */
export function demoBanner(config: PhantomConfig, url: string, user: UserWithSecret): string {
  const sites = config.sites.map((s) => s.name);
  const first = sites[0] ?? "hotel";
  const second = sites.at(-1) ?? first;
  const aws = `aws autoscaling --endpoint-url ${url}`;
  const tags = JSON.stringify([
    { Key: "PHANTOM_DEFINITION", Value: "error_overflow_n_preserving" },
    { Key: "clouds", Value: `${first}:8,${second}:-1` },
    { Key: "n_preserve", Value: "10" },
  ]);
  return [
    `Phantom is serving the AWS Auto Scaling API at ${url}`,
    `Dashboard: ${url}/ui/ (sign in with the demo user's keys below)`,
    `Sites (simulated clouds): ${sites.join(", ")}; state in ${config.db}`,
    ``,
    `Demo user '${user.name}':`,
    `  export AWS_ACCESS_KEY_ID=${user.accessKeyId}`,
    `  export AWS_SECRET_ACCESS_KEY=${user.secretAccessKey}`,
    `  export AWS_DEFAULT_REGION=us-east-1`,
    ``,
    `Try:`,
    `  ${aws} create-launch-configuration --launch-configuration-name mylaunch@${first} --image-id ami-demo --instance-type m1.small`,
    `  ${aws} create-launch-configuration --launch-configuration-name mylaunch@${second} --image-id ami-demo --instance-type m1.small`,
    `  ${aws} create-auto-scaling-group --auto-scaling-group-name mygroup --launch-configuration-name mylaunch --min-size 0 --max-size 20 --tags '${tags}'`,
    `  ${aws} describe-auto-scaling-groups`,
    `  ${aws} set-desired-capacity --auto-scaling-group-name mygroup --desired-capacity 4`,
    `  ${aws} delete-auto-scaling-group --auto-scaling-group-name mygroup`,
    ``,
  ].join("\n");
}
