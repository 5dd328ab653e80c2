/** Synthesized trees to compare: the working tree's, and a git ref's built with that ref's own code. */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, relative, resolve } from "node:path";
import { buildApp } from "../main";
import { ReviewInputError } from "./errors";

/** Synthesizes the working tree's deployment file into `outdir`. */
export function synthWorkingTree(config: string, outdir: string): void {
  // The review reports policy findings itself; synth must not stop at them.
  buildApp({ config, outdir, policyErrorAt: "none", policyErrorRules: [] }).synth();
}

function git(args: readonly string[], cwd: string): { ok: boolean; out: string; err: string } {
  const r = spawnSync("git", args, { cwd, encoding: "utf8" });
  return { ok: r.status === 0, out: (r.stdout ?? "").trim(), err: (r.stderr ?? "").trim() };
}

export function gitRoot(cwd: string = process.cwd()): string | undefined {
  const r = git(["rev-parse", "--show-toplevel"], cwd);
  return r.ok ? r.out : undefined;
}

export function refExists(ref: string, cwd: string = process.cwd()): boolean {
  return git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], cwd).ok;
}

/** The default base: origin/main, else main, when present. */
export function defaultBase(cwd: string = process.cwd()): string | undefined {
  return ["origin/main", "main"].find((ref) => refExists(ref, cwd));
}

/**
 * Checks `ref` out into a temporary worktree, builds it with its own code and synthesizes its own
 * copy of the deployment file into `outdir`, so code changes show in the diff as well as file changes.
 */
export function synthGitRef(ref: string, config: string, outdir: string): string[] {
  const notes: string[] = [];
  const root = gitRoot();
  if (!root) throw new ReviewInputError("--base", `"${ref}" needs a git checkout, and ${process.cwd()} is not one; use --base-out <cdktf.out dir> instead`);
  if (!refExists(ref, root)) throw new ReviewInputError("--base", `unknown git ref "${ref}"; fetch it first (git fetch origin main) or name a branch, tag or commit that exists`);
  const configPath = resolve(config);
  const inRepo = !relative(root, configPath).startsWith("..") && !isAbsolute(relative(root, configPath));
  const worktree = mkdtempSync(join(tmpdir(), "mlfunc-base-"));
  const added = git(["worktree", "add", "--detach", "--quiet", worktree, ref], root);
  if (!added.ok) throw new ReviewInputError("--base", `cannot check out "${ref}": ${added.err}`);
  try {
    if (!existsSync(join(worktree, "main.ts"))) throw new ReviewInputError("--base", `"${ref}" has no mlfunc app (no main.ts); pick a later base`);
    symlinkSync(join(root, "node_modules"), join(worktree, "node_modules"), "dir");
    const tsconfig = existsSync(join(worktree, "tsconfig.build.json")) ? "tsconfig.build.json" : "tsconfig.json";
    const tsc = spawnSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", tsconfig], { cwd: worktree, encoding: "utf8" });
    // tsc still emits on type errors; only a base it could not emit at all is unusable.
    if (!existsSync(join(worktree, "dist", "main.js"))) throw new ReviewInputError("--base", `"${ref}" does not compile:\n${tsc.stdout}${tsc.stderr}`);
    if (tsc.status !== 0) notes.push(`The base "${ref}" has type errors; it was synthesized from the JavaScript tsc emitted anyway.`);
    // A file inside the repository is taken as the base ref has it; one outside it is used as is.
    const baseConfig = inRepo ? join(worktree, relative(root, configPath)) : configPath;
    const run = spawnSync(process.execPath, [join(worktree, "dist", "main.js")], {
      cwd: worktree,
      encoding: "utf8",
      env: { ...process.env, MLFUNC_CONFIG: baseConfig, CDKTF_OUTDIR: resolve(outdir), MLFUNC_POLICY_ERROR_AT: "none", MLFUNC_POLICY_ERRORS: "" },
    });
    if (run.status !== 0) throw new ReviewInputError("--base", `synth of "${ref}" failed:\n${run.stderr || run.stdout}`);
    return notes;
  } finally {
    git(["worktree", "remove", "--force", worktree], root);
    rmSync(worktree, { recursive: true, force: true });
  }
}
