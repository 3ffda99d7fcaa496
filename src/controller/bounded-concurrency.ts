/**
 * Runs many cloud calls with bounded concurrency: at most `total` at once, and at most `perKey`
 * at once for one key (a site and the credentials used on it), so one account's calls cannot
 * flood its cloud's rate limit while other accounts wait. Keys take turns: the next call
 * started is the oldest waiting one of the next key with a free slot.
 */

/** How many calls may run at once, in all and per key. */
export interface ConcurrencyLimits {
  readonly total: number;
  readonly perKey: number;
}

interface KeyQueue<T> {
  readonly items: T[];
  head: number;
  running: number;
  /** Whether the key is in the ready ring (waiting for a free slot overall). */
  ready: boolean;
}

/**
 * Calls `run` on every item, within the limits; resolves when all have finished, or rejects
 * with the first error (calls already started run on; no new one starts).
 */
export function forEachBounded<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  limits: ConcurrencyLimits,
  run: (item: T) => Promise<void>,
): Promise<void> {
  const queues = new Map<string, KeyQueue<T>>();
  for (const item of items) {
    const key = keyOf(item);
    let q = queues.get(key);
    if (q === undefined) queues.set(key, (q = { items: [], head: 0, running: 0, ready: false }));
    q.items.push(item);
  }
  // Keys with an item waiting and a free slot of their own, in turn order (a growing array
  // read from `readyHead`: each start adds at most one entry).
  const ready: KeyQueue<T>[] = [];
  let readyHead = 0;
  const offer = (q: KeyQueue<T>) => {
    if (q.ready || q.head >= q.items.length || q.running >= limits.perKey) return;
    q.ready = true;
    ready.push(q);
  };
  for (const q of queues.values()) offer(q);
  let running = 0;
  let failed = false;
  return new Promise<void>((resolve, reject) => {
    const pump = () => {
      while (!failed && running < limits.total && readyHead < ready.length) {
        const q = ready[readyHead++]!;
        q.ready = false;
        const item = q.items[q.head++]!;
        q.running += 1;
        running += 1;
        offer(q);
        run(item).then(
          () => {
            q.running -= 1;
            running -= 1;
            offer(q);
            pump();
          },
          (e: unknown) => {
            failed = true;
            reject(e);
          },
        );
      }
      if (!failed && running === 0 && readyHead >= ready.length) resolve();
    };
    pump();
  });
}
