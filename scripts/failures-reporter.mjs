// A node:test reporter that writes only the failed tests: file, name and the error's first
// lines. scripts/run-tests.mjs prints what it wrote after the TAP output, so that a CI log of
// which only the tail is kept still names every failure.
import { inspect } from "node:util";

/** @param {AsyncIterable<{type: string, data: any}>} source */
export default async function* failuresReporter(source) {
  for await (const { type, data } of source) {
    if (type !== "test:fail") continue;
    const error = data.details?.error;
    // A suite fails when one of its tests does, and a suite's failed hook cancels its tests:
    // the test or the suite that failed is reported on its own.
    if (error?.failureType === "subtestsFailed" || error?.failureType === "cancelledByParent") continue;
    const cause = error?.cause ?? error;
    const text = (cause instanceof Error ? (cause.stack ?? cause.message) : inspect(cause, { depth: 3 }))
      .split("\n")
      .slice(0, 12)
      .map((line) => `    ${line}`)
      .join("\n");
    yield `not ok - ${data.name}\n  file: ${data.file ?? "?"}\n${text}\n`;
  }
}
