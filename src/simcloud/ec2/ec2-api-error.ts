/**
 * An error the simcloud answers in EC2's words: a code, a message, and the HTTP status EC2
 * sends that code with (from the EC2 driver's table, so both sides agree).
 */
import { EC2_ERROR_CODES } from "../../clouds/ec2/ec2-error-codes.js";

/** Codes the simcloud sends that Phantom's driver never has to classify. */
const OTHER_STATUSES: Readonly<Record<string, number>> = {
  /** A `DryRun` request that would have succeeded. */
  DryRunOperation: 412,
  InvalidPaginationToken: 400,
  MethodNotAllowed: 405,
  RequestEntityTooLarge: 413,
};

/** An EC2 API error, answered as `<Response><Errors><Error>…`. */
export class Ec2ApiError extends Error {
  override readonly name = "Ec2ApiError";
  /** The HTTP status EC2 uses for `code` (400 for codes not listed). */
  readonly status: number;

  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.status = Object.hasOwn(EC2_ERROR_CODES, code) ? EC2_ERROR_CODES[code]!.status : (OTHER_STATUSES[code] ?? 400);
  }
}
