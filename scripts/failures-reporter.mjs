// A node:test reporter that writes only the failed tests: file, name and the error's first
// lines. scripts/run-tests.mjs prints what it wrote after the TAP output, so that a CI log of
// which only the tail is kept still names every failure.
import { inspect } from "node:util";

/** Lines of an error shown from its start and from its end. */
const HEAD = 12;
const TAIL = 12;
/** Stack frames shown. */
const FRAMES = 4;

/** @param {AsyncIterable<{type: string, data: any}>} source */
export default async function* failuresReporter(source) {
  for await (const { type, data } of source) {
    if (type !== "test:fail") continue;
    const error = data.details?.error;
    // A suite fails when one of its tests does, and a suite's failed hook cancels its tests:
    // the test or the suite that failed is reported on its own.
    if (error?.failureType === "subtestsFailed" || error?.failureType === "cancelledByParent") continue;
    const cause = error?.cause ?? error;
    // An error's message may be a long capture: its head and its tail, then where it was thrown
    // and, for an assertion, what was compared.
    const lines = (cause instanceof Error ? `${cause.name}: ${cause.message}` : inspect(cause, { depth: 3 })).split("\n");
    const shown = lines.length <= HEAD + TAIL + 1 ? lines : [...lines.slice(0, HEAD), `[… ${lines.length - HEAD - TAIL} lines …]`, ...lines.slice(-TAIL)];
    if (cause instanceof Error) shown.push(...(cause.stack ?? "").split("\n").filter((l) => /^\s+at /.test(l)).slice(0, FRAMES));
    if (cause?.code === "ERR_ASSERTION" && "actual" in cause) {
      shown.push(`actual: ${inspect(cause.actual, { depth: 2, breakLength: Infinity }).slice(0, 300)}`);
      shown.push(`expected: ${inspect(cause.expected, { depth: 2, breakLength: Infinity }).slice(0, 300)}`);
    }
    const text = shown.map((line) => `    ${line}`).join("\n");
    yield `not ok - ${data.name}\n  file: ${data.file ?? "?"}\n${text}\n`;
  }
}
