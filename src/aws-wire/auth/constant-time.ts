/** Signature comparison that does not reveal, through timing, how much of a guess was right. */
import { timingSafeEqual } from "node:crypto";

/**
 * True when the signature the client `provided` equals the `expected` one (hex or base64).
 * Only a difference in length returns early, and the length of a valid signature is public.
 */
export function signaturesEqual(expected: string, provided: string): boolean {
  const a = Buffer.from(expected, "utf8");
  const b = Buffer.from(provided, "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}
