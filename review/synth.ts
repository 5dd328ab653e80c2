/**
 * Synthesized trees to compare: the working tree's, and a git ref's. The ref is looked up in the
 * repository that holds the deployment file, which need not be this mlfunc checkout.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import type { Message } from "esbuild";
import { parse as parseYaml } from "yaml";
import { PROJECT_ROOT } from "../build-context/generate";
import { DeploymentError } from "../config/problems";
import { synthForReview } from "../commands/synth";
import { ReviewInputError } from "./errors";

/** Synthesizes the working tree's deployment file into `outdir`. */
export function synthWorkingTree(config: string, outdir: string): void {
  // The review reports policy findings itself; synth must not stop at them.
  synthForReview(config, outdir);
}

function git(args: readonly string[], cwd: string): { ok: boolean; out: string; err: string } {
  const r = spawnSync("git", args, { cwd, encoding: "utf8" });
  return { ok: r.status === 0, out: (r.stdout ?? "").trim(), err: (r.stderr ?? "").trim() };
}

export function gitRoot(cwd: string = process.cwd()): string | undefined {
  if (!existsSync(cwd)) return undefined;
  const r = git(["rev-parse", "--show-toplevel"], cwd);
  return r.ok && r.out !== "" ? realpathSync(r.out) : undefined;
}

export function refExists(ref: string, cwd: string = process.cwd()): boolean {
  // `--end-of-options` keeps a ref such as `--output=x` from being read as an option.
  return git(["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`], cwd).ok;
}

/** The default base: origin/main, else main, in the repository holding the deployment file. */
export function defaultBase(config: string): string | undefined {
  const repo = gitRoot(dirname(resolve(config)));
  return repo === undefined ? undefined : ["origin/main", "main"].find((ref) => refExists(ref, repo));
}

function shown(file: string): string {
  return relative(process.cwd(), file) || file;
}

export interface GitRefOptions {
  /** The mlfunc checkout whose code builds the app. @default this checkout */
  readonly codeRoot?: string;
  /** Scratch folder for build contexts of the base. */
  readonly scratch: string;
}

/**
 * Synthesizes the deployment file as `ref` has it into `outdir`, and returns notes for the report.
 *
 * - The file's own repository is this mlfunc checkout (the example app, or an app kept inside it):
 *   the ref is built with its own mlfunc code too, so code changes show in the diff as well.
 * - The file lives in another repository (an app in its own repo): that repository does not hold
 *   mlfunc's code, so the ref's revision of the app's files is synthesized with this checkout's code,
 *   and the diff shows what the app's change does.
 *
 * Refuses (exit 2) when the two sides could not differ: a file outside any repository, a file git
 * ignores, or a ref that is the checked-out commit of a repository without uncommitted changes.
 */
export function synthGitRef(ref: string, config: string, outdir: string, options: GitRefOptions): string[] {
  const configPath = realpathSync(resolve(config));
  const file = shown(configPath);
  const repo = gitRoot(dirname(configPath));
  if (repo === undefined) {
    throw new ReviewInputError(
      "--base",
      `${file} is not inside a git repository, so "${ref}" has no earlier revision of it to compare with (comparing the file with itself would always find no change); commit it to a repository, or synthesize the base yourself and pass --base-out <cdktf.out dir>`,
    );
  }
  if (!refExists(ref, repo)) {
    throw new ReviewInputError("--base", `unknown git ref "${ref}" in ${repo}; fetch it first (git fetch origin main) or name a branch, tag or commit that exists`);
  }
  const rel = relative(repo, configPath).split(sep).join("/");
  if (git(["check-ignore", "--quiet", "--", rel], repo).ok) {
    throw new ReviewInputError(
      "--base",
      `${file} is ignored by git in ${repo}, so "${ref}" cannot hold an earlier revision of it and both sides would be the same file; stop ignoring it and commit it, or pass --base-out <cdktf.out dir>`,
    );
  }
  const head = git(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], repo);
  const base = git(["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`], repo);
  if (head.ok && head.out === base.out && git(["status", "--porcelain"], repo).out === "") {
    throw new ReviewInputError(
      "--base",
      `"${ref}" is the commit checked out in ${repo}, and nothing there has changed since: both sides are the same files, so the review could only say "no change"; compare with the branch you will merge into (--base origin/main) or an earlier commit (--base ${ref}~1)`,
    );
  }
  if (!git(["cat-file", "-e", `${base.out}:${rel}`], repo).ok) {
    // A new app: every stack is added. An empty manifest makes an empty base.
    mkdirSync(outdir, { recursive: true });
    writeFileSync(join(outdir, "manifest.json"), JSON.stringify({ stacks: {} }));
    return [`${rel} does not exist at "${ref}": every stack of this deployment is new.`];
  }

  // Not a refusal: the model, the script or mlfunc's code may have changed. But say so.
  const notes = git(["diff", "--quiet", base.out, "--", rel], repo).ok ? [`${rel} itself is the same at "${ref}" as in the working tree.`] : [];
  const codeRoot = realpathSync(options.codeRoot ?? PROJECT_ROOT);
  // An installed mlfunc (node_modules of the app's repository) has no sources: the app is built with it.
  const ownCode = existsSync(join(codeRoot, "main.ts")) && gitRoot(codeRoot) === repo;
  const worktree = mkdtempSync(join(tmpdir(), "mlfunc-base-"));
  const added = git(["worktree", "add", "--detach", "--quiet", worktree, base.out], repo);
  if (!added.ok) {
    rmSync(worktree, { recursive: true, force: true });
    throw new ReviewInputError("--base", `cannot check out "${ref}": ${added.err}`);
  }
  try {
    const baseConfig = join(worktree, rel);
    if (ownCode) {
      synthWithOwnCode(ref, join(worktree, relative(repo, codeRoot)), baseConfig, outdir);
      return notes;
    }
    try {
      synthForReview(baseConfig, outdir, join(options.scratch, "base-contexts"));
    } catch (e) {
      if (e instanceof DeploymentError) throw new ReviewInputError("--base", `the deployment file as "${ref}" has it does not synthesize:\n${e.message}`);
      throw e;
    }
    return [...notes, `The base is "${ref}" of ${repo}, synthesized with the mlfunc code running this review (that repository holds the app, not mlfunc's sources).`];
  } finally {
    git(["worktree", "remove", "--force", worktree], repo);
    rmSync(worktree, { recursive: true, force: true });
  }
}

/** Every TypeScript source of a checkout, as tsc would compile it: not dependencies, output, tests or declarations. */
function sources(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!["node_modules", "dist", "__tests__", ".git"].includes(entry.name)) sources(path, out);
    } else if (entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

/**
 * Builds the ref's own mlfunc code and runs its synth on the ref's deployment file. The code is
 * transpiled file by file (each .ts to dist/<same path>.js, as tsc lays it out), not type-checked:
 * that is `npm test`'s job, and a base with type errors still synthesizes, as it did with tsc.
 */
function synthWithOwnCode(ref: string, codeDir: string, baseConfig: string, outdir: string): void {
  if (!existsSync(join(codeDir, "main.ts"))) throw new ReviewInputError("--base", `"${ref}" has no mlfunc app (no main.ts); pick a later base`);
  // Loaded here, at run time, from the mlfunc checkout's own dependencies: esbuild is a dev dependency
  // (an mlfunc checkout has it installed, an installed library need not), and its API cannot be bundled.
  const esbuild = createRequire(join(PROJECT_ROOT, "package.json"))("esbuild") as typeof import("esbuild");
  try {
    esbuild.buildSync({
      absWorkingDir: codeDir,
      entryPoints: sources(codeDir),
      outbase: codeDir,
      outdir: join(codeDir, "dist"),
      format: "cjs",
      platform: "node",
      target: "node20",
      logLevel: "silent",
    });
  } catch (e) {
    const errors = (e as { errors?: Message[] }).errors;
    if (errors === undefined || errors.length === 0) throw e;
    const text = esbuild.formatMessagesSync(errors, { kind: "error", color: false }).join("").trimEnd();
    throw new ReviewInputError("--base", `"${ref}" does not compile:\n${text}`);
  }
  symlinkSync(join(PROJECT_ROOT, "node_modules"), join(codeDir, "node_modules"), "dir");
  // The synth command's file since commands/ exists; main.ts ran it before.
  const entry = existsSync(join(codeDir, "commands", "synth.ts")) ? join(codeDir, "dist", "commands", "synth.js") : join(codeDir, "dist", "main.js");
  const run = spawnSync(process.execPath, [entry], {
    cwd: codeDir,
    encoding: "utf8",
    env: { ...process.env, MLFUNC_CONFIG: baseConfig, CDKTF_OUTDIR: resolve(outdir), MLFUNC_POLICY_ERROR_AT: "none", MLFUNC_POLICY_ERRORS: "" },
  });
  if (run.status !== 0) throw new ReviewInputError("--base", `synth of "${ref}" failed:\n${run.stderr || run.stdout}`);
}

/**
 * The `review.allowDelete` addresses of the deployment file as `ref` has it: none when the file is
 * new there; undefined when it cannot be read (outside a repository, an unknown ref).
 */
export function baseAllowEntries(ref: string, config: string): string[] | undefined {
  const configPath = realpathSync(resolve(config));
  const repo = gitRoot(dirname(configPath));
  if (repo === undefined || !refExists(ref, repo)) return undefined;
  const rel = relative(repo, configPath).split(sep).join("/");
  const commit = git(["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`], repo).out;
  const shown = spawnSync("git", ["show", `${commit}:${rel}`], { cwd: repo, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (shown.status !== 0) return [];
  let doc: unknown;
  try {
    doc = parseYaml(shown.stdout);
  } catch {
    return [];
  }
  const review = typeof doc === "object" && doc !== null && "review" in doc ? (doc as { review?: { allowDelete?: unknown } }).review : undefined;
  const entries = Array.isArray(review?.allowDelete) ? review.allowDelete : [];
  return entries.flatMap((e: unknown) => (typeof e === "object" && e !== null && "address" in e && typeof e.address === "string" ? [e.address] : []));
}
