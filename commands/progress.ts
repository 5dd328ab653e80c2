/** Progress lines of long steps, on stderr so stdout stays the command's result; `--quiet` (MLFUNC_QUIET=1) silences them. */
export function progress(message: string): void {
  if (process.env.MLFUNC_QUIET !== "1") process.stderr.write(`${message}\n`);
}
