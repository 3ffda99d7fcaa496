/**
 * Groups are spread over a fixed number of shards (`controller.shards`) by a hash of their id;
 * each shard has one controller replica at a time. The hash is stored with the group
 * (`groups.shard_key`), so a replica reads only its shards' groups: `shard_key % shards`.
 */

/**
 * The group's shard key: FNV-1a (32 bits) of its id, kept below 2³¹ so that both databases
 * store and divide it as a plain integer.
 */
export function shardKey(groupId: string): number {
  let hash = 0x811c9dc5;
  for (let k = 0; k < groupId.length; k++) {
    hash ^= groupId.charCodeAt(k);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % 0x80000000;
}

/** The shard (0 ≤ shard < `shards`) of a group. */
export function shardOf(groupId: string, shards: number): number {
  return shardKey(groupId) % shards;
}

/**
 * How many shards one replica may hold when `replicas` replicas are live: an even share,
 * rounded up so that together they hold every shard.
 */
export function fairShare(shards: number, replicas: number): number {
  return Math.ceil(shards / Math.max(1, replicas));
}

/**
 * The value of the `phantom:shard` tag of a VM whose group is in `shard` of `shards`: a replica
 * lists its shards' VMs by it. The deployment makes it unique to this Phantom; the shard count
 * makes a tag written under another `controller.shards` match no shard (such VMs are looked
 * up by id, or found by the deployment-wide listing).
 */
export function shardTag(deploymentId: string, shard: number, shards: number): string {
  return `${deploymentId}:${shard}/${shards}`;
}
