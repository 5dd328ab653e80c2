// Progress lines (commands/progress.ts) would interleave with the exact stderr the tests assert; tests
// that check progress pass their own environment to the command they run.
process.env.MLFUNC_QUIET = "1";
