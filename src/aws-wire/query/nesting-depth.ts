/**
 * How deep a JSON or CBOR body nests, found by one linear scan with no recursion, before any
 * parser sees it: a megabyte of `[[[[…` is refused in a millisecond instead of occupying a
 * recursive parser (and the event loop).
 */

const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether the JSON text in `bytes` nests arrays and objects at most `max` deep. Brackets inside
 * strings do not count. Malformed JSON may pass: the parser that follows reports it.
 */
export function jsonNestingWithin(bytes: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > max) return false;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
  }
  return true;
}

const CBOR_BREAK = 0xff;
const INDEFINITE = Infinity;

/**
 * Whether the CBOR item in `bytes` nests arrays, maps, tags and indefinite-length strings at
 * most `max` deep. Reads only the item heads and skips string contents. Malformed CBOR may
 * pass: the decoder that follows reports it.
 */
export function cborNestingWithin(bytes: Uint8Array, max: number): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length;
  /** Items still expected by each open container, innermost last (INDEFINITE until a break). */
  const open: number[] = [];
  let i = 0;
  const itemDone = (): void => {
    while (open.length > 0) {
      const top = open.length - 1;
      if (open[top] === INDEFINITE || --open[top]! > 0) return;
      open.pop();
    }
  };
  do {
    if (i >= n) return true;
    const head = bytes[i++]!;
    if (head === CBOR_BREAK) {
      if (open.at(-1) !== INDEFINITE) return true;
      open.pop();
      itemDone();
      continue;
    }
    const major = head >> 5;
    const info = head & 31;
    let arg: number;
    if (info < 24) arg = info;
    else if (info === 31) arg = INDEFINITE;
    else if (info > 27) return true;
    else {
      const size = 1 << (info - 24);
      if (i + size > n) return true;
      arg = size === 1 ? view.getUint8(i) : size === 2 ? view.getUint16(i) : size === 4 ? view.getUint32(i) : Number(view.getBigUint64(i));
      i += size;
    }
    let children = 0;
    if (major === 2 || major === 3) {
      if (arg === INDEFINITE) children = INDEFINITE;
      else i += arg;
    } else if (major === 4) children = arg;
    else if (major === 5) children = arg * 2;
    else if (major === 6) children = 1;
    if (children === 0) itemDone();
    else {
      open.push(children);
      if (open.length > max) return false;
    }
  } while (open.length > 0);
  return true;
}
