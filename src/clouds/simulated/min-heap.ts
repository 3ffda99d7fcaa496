/**
 * A binary min-heap of values keyed by a number. The simulated cloud keeps its future events
 * (a VM failing its boot or dying, a terminated VM being forgotten) here, so each call only
 * touches the events that are due instead of scanning every VM.
 */
export class MinHeap<T> {
  private readonly keys: number[] = [];
  private readonly values: T[] = [];

  /** How many entries the heap holds. */
  get size(): number {
    return this.keys.length;
  }

  /** The smallest key, or `Infinity` when the heap is empty. */
  peekKey(): number {
    return this.keys.length === 0 ? Infinity : this.keys[0]!;
  }

  /** Adds `value` under `key`. */
  push(key: number, value: T): void {
    const keys = this.keys;
    const values = this.values;
    let i = keys.length;
    keys.push(key);
    values.push(value);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (keys[parent]! <= key) break;
      keys[i] = keys[parent]!;
      values[i] = values[parent]!;
      i = parent;
    }
    keys[i] = key;
    values[i] = value;
  }

  /** Removes and returns the value with the smallest key; undefined when empty. */
  pop(): T | undefined {
    const keys = this.keys;
    const values = this.values;
    if (keys.length === 0) return undefined;
    const top = values[0];
    const lastKey = keys.pop()!;
    const lastValue = values.pop()!;
    const n = keys.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= n) break;
        const right = left + 1;
        const child = right < n && keys[right]! < keys[left]! ? right : left;
        if (keys[child]! >= lastKey) break;
        keys[i] = keys[child]!;
        values[i] = values[child]!;
        i = child;
      }
      keys[i] = lastKey;
      values[i] = lastValue;
    }
    return top;
  }
}
