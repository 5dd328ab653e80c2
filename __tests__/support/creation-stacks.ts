/**
 * No creation stacks for cdktf's tokens in in-process synths. cdktf records a complete stack trace for
 * every token it makes (`captureStackTrace` into a plain object, shown only if that token later fails
 * to resolve); under jest each one is source-mapped frame by frame, about a quarter of an in-process
 * synth's CPU. As the launcher's scripts/code-cache.js does for real runs, captures into objects that
 * are not errors come out empty; real errors (failed assertions, thrown exceptions) keep jest's
 * source-mapped stacks.
 *
 * Import it for its effect in a suite that synthesizes in-process.
 */
import { types } from "node:util";
import { runInThisContext } from "node:vm";

// jest installs its source-map formatter on the main realm's Error; a test's own realm has none, so
// Node formats the test realm's stacks with the main realm's.
const sourceMapped = (Error.prepareStackTrace ?? (runInThisContext("Error") as ErrorConstructor).prepareStackTrace) as
  | ((error: Error, frames: NodeJS.CallSite[]) => unknown)
  | undefined;
if (sourceMapped !== undefined) {
  Error.prepareStackTrace = (error: Error, frames: NodeJS.CallSite[]): unknown => (types.isNativeError(error) ? sourceMapped(error, frames) : "");
}
