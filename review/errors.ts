/**
 * Bad input to the review (missing or malformed plan, unknown base). The CLI
 * prints the message without a stack trace and exits with code 2.
 */
export class ReviewInputError extends Error {
  /** File, folder or ref the problem is in. */
  readonly source: string;

  constructor(source: string, problem: string) {
    super(`${source}: ${problem}`);
    this.name = "ReviewInputError";
    this.source = source;
  }
}
