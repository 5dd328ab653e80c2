/**
 * mlfunc as an app team uses it: the packed package installed offline into a new git repository with
 * its own package.json, then init, validate, synth, a commit, a change, review --base HEAD, --help for
 * every command and a second init. Nothing may be written into the installed package or this checkout,
 * and git sees no generated file in the app.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { COMMANDS, helpText } from "../commands/spec";
import { EXAMPLE, ROOT, scratch } from "./support/synth";
import { buildLibrary } from "./support/package";
import { PYTHON, expectSamePredictions, referencePredictions, requireTestPackages } from "./support/python";

const work = scratch();
const CACHE = join(work.dir, "cache");
// The app's own mlfunc.yaml, found from its folder, and every progress line.
const { MLFUNC_CONFIG: _config, MLFUNC_QUIET: _quiet, ...inherited } = process.env;
const ENV = { ...inherited, MLFUNC_PYTHON: PYTHON, XDG_CACHE_HOME: CACHE, npm_config_offline: "true", npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false", CHECKPOINT_DISABLE: "1" };

function sh(cmd: string, args: readonly string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", env: ENV });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(cmd: string, args: readonly string[], cwd: string): string {
  const r = sh(cmd, args, cwd);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Every file under `dir` with its size and modification time. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const s = statSync(p);
        out[relative(dir, p)] = `${s.size}:${s.mtimeMs}`;
      }
    }
  };
  walk(dir);
  return out;
}

const git = (app: string, ...args: string[]): string => ok("git", ["-c", "user.name=app", "-c", "user.email=app@example.invalid", "-c", "commit.gpgsign=false", ...args], app);

describe("an app repository with mlfunc installed from the packed package", () => {
  const app = join(work.dir, "scoring");
  const installed = join(app, "node_modules", "mlfunc");
  let before: Record<string, string>;
  let checkoutStatus: string;
  const steps: Record<string, { status: number | null; stdout: string; stderr: string }> = {};

  beforeAll(() => {
    requireTestPackages("the app's invoke");
    // Tracked files only: other suites running alongside write untracked files here on purpose (README lines).
    checkoutStatus = ok("git", ["status", "--porcelain", "--untracked-files=no"], ROOT);
    buildLibrary();
    // The bundles the package ships, brought up to date as `npm pack`'s prepack step does.
    ok(process.execPath, ["-e", `const l = require(${JSON.stringify(join(ROOT, "scripts", "mlfunc.js"))}); (async () => { for (const n of Object.keys(l.ENTRIES)) await l.ensureBundle(n); })()`], ROOT);
    const packed = JSON.parse(ok("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work.dir], ROOT)) as { filename: string }[];
    const tarball = join(work.dir, packed[0]?.filename ?? "");

    mkdirSync(app);
    for (const f of ["sklearn_regression_model.pkl", "score.py", "requirements.txt", "sample.json"]) copyFileSync(join(EXAMPLE, f), join(app, f));
    // Offline: mlfunc's dependencies and peers, and the cdktf CLI, come from this checkout's installed
    // copies (file: links), so npm resolves the tarball without a registry.
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string>; peerDependencies: Record<string, string> };
    const linked = [...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies), "cdktf-cli"];
    writeFileSync(join(app, "package.json"), `${JSON.stringify({ name: "scoring", private: true, devDependencies: Object.fromEntries(linked.map((d) => [d, `file:${join(ROOT, "node_modules", d)}`])) }, null, 2)}\n`);
    git(app, "init", "--quiet", "--initial-branch=main");
    ok("npm", ["install", "--offline", "--no-audit", "--no-fund"], app);
    ok("npm", ["install", "--offline", "--no-audit", "--no-fund", "-D", tarball], app);
    before = snapshot(installed);

    steps.init = sh("npx", ["mlfunc", "init", "--model", "sklearn_regression_model.pkl", "--script", "score.py", "--requirements", "requirements.txt"], app);
    steps.validate = sh("npx", ["mlfunc", "validate"], app);
    steps.synth = sh("npx", ["mlfunc", "synth"], app);
    steps.invoke = sh("npx", ["mlfunc", "invoke", "predict", "sample.json"], app);
    git(app, "add", "-A");
    git(app, "commit", "--quiet", "-m", "scoring app");
    steps.statusAfterCommit = { status: 0, stdout: git(app, "status", "--porcelain", "--untracked-files=all"), stderr: "" };
    writeFileSync(join(app, "mlfunc.yaml"), readFileSync(join(app, "mlfunc.yaml"), "utf8").replace("sku: B1", "sku: B2"));
    steps.review = sh("npx", ["mlfunc", "review", "--base", "HEAD"], app);
    steps.secondInit = sh("npx", ["mlfunc", "init", "--model", "sklearn_regression_model.pkl", "--script", "score.py", "--requirements", "requirements.txt"], app);
  }, 300_000);
  afterAll(() => work.cleanup());

  test("init writes the app's files; validate and synth pass, with the outputs in the app's folder", () => {
    expect(steps.init?.status).toBe(0);
    expect(steps.init?.stdout).toContain("wrote mlfunc.yaml\nwrote cdktf.json\nwrote package.json\nwrote .gitignore\nwrote .github/workflows/review.yml\nwrote .github/workflows/deploy.yml\n");
    expect(steps.validate).toMatchObject({ status: 0 });
    expect(steps.validate?.stderr).toContain("valid: scoring-image, scoring-dev (policy checked; nothing written)");
    expect(steps.synth).toMatchObject({ status: 0 });
    expect(steps.synth?.stderr).toContain("synthesized scoring-image, scoring-dev into cdktf.out");
    expect(existsSync(join(app, "cdktf.out", "stacks", "scoring-dev", "cdk.tf.json"))).toBe(true);
    expect(readdirSync(join(app, ".mlfunc", "contexts"))).toHaveLength(1);
    // The app's package.json kept its dependencies and gained the scripts.
    const pkg = JSON.parse(readFileSync(join(app, "package.json"), "utf8")) as { scripts: Record<string, string>; devDependencies: Record<string, string> };
    expect(pkg.scripts.synth).toBe("mlfunc synth");
    expect(pkg.devDependencies.mlfunc).toMatch(/^file:.*mlfunc-.*\.tgz$/);
  });

  test("invoke runs the function locally with the installed runtime", () => {
    expect(steps.invoke?.status).toBe(0);
    const [head, body = ""] = (steps.invoke?.stdout ?? "").split("\n");
    expect(head).toBe("HTTP 200");
    expectSamePredictions(body, referencePredictions(join(EXAMPLE, "sklearn_regression_model.pkl"), join(EXAMPLE, "sample.json")));
  });

  test("the commit holds no generated file, and git status is clean after it", () => {
    expect(steps.statusAfterCommit?.stdout).toBe("");
    const tracked = git(app, "ls-files").trim().split("\n");
    expect(tracked.filter((f) => /^(cdktf\.out|\.mlfunc|node_modules)\/|tfstate/.test(f))).toEqual([]);
    expect(tracked).toEqual(expect.arrayContaining(["mlfunc.yaml", "cdktf.json", "package.json", "package-lock.json", ".gitignore", ".github/workflows/review.yml", ".github/workflows/deploy.yml", "score.py"]));
  });

  test("review --base HEAD reports the change against the commit, built with the installed mlfunc", () => {
    expect(steps.review?.stderr).not.toMatch(/Error|at \S+ \(/);
    expect(steps.review?.status).toBe(0);
    expect(steps.review?.stdout).toContain("scoring-dev");
    expect(steps.review?.stdout).toMatch(/sku_name[^\n]*B1[^\n]*B2/);
    expect(steps.review?.stdout).toContain("synthesized with the mlfunc code running this review");
  });

  test("every command answers --help with its usage and options, exit 0", () => {
    const bin = join(app, "node_modules", ".bin", "mlfunc");
    for (const c of COMMANDS) expect([c.name, sh(bin, [c.name, "--help"], app)]).toEqual([c.name, { status: 0, stdout: helpText(c), stderr: "" }]);
    expect(sh(bin, ["--help"], app)).toMatchObject({ status: 0, stdout: readFileSync(join(ROOT, "help"), "utf8") });
  });

  test("a second init refuses, naming the file, and writes nothing", () => {
    expect(steps.secondInit).toEqual({ status: 2, stdout: "", stderr: "init: mlfunc.yaml exists; nothing written (rerun with --force to overwrite)\n" });
  });

  test("nothing was written into the installed package or this checkout", () => {
    // Every run above, --help included, has finished: the package's files are the ones npm installed.
    sh(join(app, "node_modules", ".bin", "mlfunc"), ["--help"], app);
    expect(snapshot(installed)).toEqual(before);
    // The code cache of the installed bundles went to the user's cache folder instead.
    expect(readdirSync(join(CACHE, "mlfunc")).filter((f) => f.endsWith(".cache")).length).toBeGreaterThan(0);
    expect(ok("git", ["status", "--porcelain", "--untracked-files=no"], ROOT)).toBe(checkoutStatus);
    expect(existsSync(join(ROOT, "cdktf.out", "stacks", "scoring-dev"))).toBe(false);
    expect(readdirSync(ROOT).filter((f) => f.includes("scoring"))).toEqual([]);
    // The app's git status shows only the change made on purpose.
    expect(git(app, "status", "--porcelain", "--untracked-files=all")).toBe(" M mlfunc.yaml\n");
  });
});
