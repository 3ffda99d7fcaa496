/**
 * Reading errors of the two database drivers (pg, better-sqlite3) in one vocabulary.
 */

/** A constraint that a statement broke. */
export type Violation = "unique" | "foreign-key";

/** Which constraint `e` reports as broken, or null when it is another error. */
export function violationOf(e: unknown): Violation | null {
  switch (codeOf(e)) {
    case "23505":
    case "SQLITE_CONSTRAINT_UNIQUE":
    case "SQLITE_CONSTRAINT_PRIMARYKEY":
      return "unique";
    case "23503":
    case "SQLITE_CONSTRAINT_FOREIGNKEY":
      return "foreign-key";
    // SQLite reports an ON DELETE RESTRICT refusal as a trigger failure.
    case "SQLITE_CONSTRAINT_TRIGGER":
      return e instanceof Error && e.message.startsWith("FOREIGN KEY") ? "foreign-key" : null;
    default:
      return null;
  }
}

/**
 * Text that names the broken constraint: PostgreSQL's constraint name, or SQLite's message
 * (`UNIQUE constraint failed: users.access_key_id`), which names the columns instead.
 */
export function constraintText(e: unknown): string {
  const constraint = e instanceof Error && "constraint" in e ? e.constraint : undefined;
  return typeof constraint === "string" ? constraint : e instanceof Error ? e.message : "";
}

/**
 * One line describing `e`. Node's `connect` reports a host with several addresses (`localhost`:
 * ::1 and 127.0.0.1) as an AggregateError with an empty message, so that case lists its errors.
 */
export function errorText(e: unknown): string {
  let text: string;
  if (e instanceof AggregateError && e.message === "") {
    text = [...new Set(e.errors.map(errorText))].join("; ");
  } else if (e instanceof Error) {
    text = e.message || (codeOf(e) ?? e.name);
  } else {
    text = String(e);
  }
  return text.replace(/\s+/g, " ").trim();
}

function codeOf(e: unknown): string | undefined {
  const code = e instanceof Error && "code" in e ? e.code : undefined;
  return typeof code === "string" ? code : undefined;
}
