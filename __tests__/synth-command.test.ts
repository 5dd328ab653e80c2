/**
 * The commands as a user runs them, through the launcher (scripts/mlfunc.js): synth without the
 * cdktf CLI and with it, validate, output next to the deployment file, one synth per output folder.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { stringify } from "yaml";
import { cli } from "../commands/synth";
import { LOCK_FILE, OutputLockedError, manifestStacks, withOutputLock } from "../commands/synth-output";
import { ROOT, defaultConfig, devOnly, scratch, type Json } from "./support/synth";

const LAUNCHER = join(ROOT, "scripts", "mlfunc.js");
const Y1_PROBLEM =
  '"Y1" — Consumption (Y1) plans cannot run custom containers (Linux Consumption is retired); use EP1-EP3 (Elastic Premium) or a Dedicated Linux SKU such as B1, S1 or P1v3';

/** Runs a launcher command with progress lines on (the jest setup turns them off). */
function mlfunc(args: readonly string[], env: NodeJS.ProcessEnv = {}, cwd: string = ROOT): { code: number | null; stdout: string; stderr: string } {
  const { MLFUNC_QUIET: _quiet, CDKTF_OUTDIR: _out, ...rest } = process.env;
  const r = spawnSync(process.execPath, [LAUNCHER, ...args], { cwd, encoding: "utf8", env: { ...rest, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs main.ts's command line in this process (cheap: the modules are loaded once), capturing stderr. */
function inProcess(args: readonly string[], env: Record<string, string>): { code: number; stderr: string } {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  let stderr = "";
  const spy = jest.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    return { code: cli(args), stderr };
  } finally {
    spy.mockRestore();
    process.env = saved;
  }
}

/** Every file below `dir` with its bytes, by relative path. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p, "latin1");
    }
  };
  walk(dir);
  return out;
}

function writeYaml(dir: string, name: string, doc: Json): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, stringify(doc));
  return file;
}

function invalidConfig(): Json {
  const doc = devOnly(defaultConfig());
  ((doc.environments as Record<string, Json>).dev?.plan as Json).sku = "Y1";
  return doc;
}

const work = scratch();
afterAll(() => work.cleanup());

describe("npm run synth and npx cdktf synth", () => {
  test("write identical cdktf.out trees", () => {
    const config = join(ROOT, "mlfunc.yaml");
    const direct = mlfunc(["synth", "--output", join(work.dir, "direct")], { MLFUNC_CONFIG: config });
    expect(direct.code).toBe(0);
    expect(direct.stderr).toContain(`synthesized diabetes-image, diabetes-dev, diabetes-prod, diabetes-canary into ${relative(ROOT, join(work.dir, "direct"))}\n`);
    const cli = spawnSync(process.execPath, [require.resolve("cdktf-cli/bundle/bin/cdktf"), "synth", "--output", join(work.dir, "cli")], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, MLFUNC_CONFIG: config, CHECKPOINT_DISABLE: "1", CI: "true" },
    });
    expect(cli.status).toBe(0);
    const a = tree(join(work.dir, "direct"));
    expect(Object.keys(a)).toEqual(expect.arrayContaining(["manifest.json", join("stacks", "diabetes-dev", "cdk.tf.json"), join("stacks", "diabetes-prod", "cdk.tf.json")]));
    expect(tree(join(work.dir, "cli"))).toEqual(a);
  }, 120_000);

  test("under cdktf synth each validation problem is printed once, and synth fails", () => {
    const file = writeYaml(join(work.dir, "cli-invalid"), "mlfunc.yaml", invalidConfig());
    const cli = spawnSync(process.execPath, [require.resolve("cdktf-cli/bundle/bin/cdktf"), "synth", "--output", join(work.dir, "cli-invalid", "out")], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, MLFUNC_CONFIG: file, CHECKPOINT_DISABLE: "1", CI: "true" },
    });
    expect(cli.status).not.toBe(0);
    const all = `${cli.stdout}${cli.stderr}`;
    expect(all.split(Y1_PROBLEM).length - 1).toBe(1);
    expect(all).toContain("1 problem\n");
    expect(existsSync(join(work.dir, "cli-invalid", "out", "manifest.json"))).toBe(false);
  }, 120_000);

  test("npm run synth prints each problem once and exits 1", () => {
    const file = writeYaml(join(work.dir, "direct-invalid"), "mlfunc.yaml", invalidConfig());
    const r = inProcess([], { MLFUNC_CONFIG: file });
    expect(r.code).toBe(1);
    expect(r.stderr.split(Y1_PROBLEM).length - 1).toBe(1);
    expect(existsSync(join(work.dir, "direct-invalid", "cdktf.out"))).toBe(false);
  });
});

describe("npm run validate", () => {
  test("checks the file and the policy, writes nothing, exits 0", () => {
    const dir = join(work.dir, "validate-ok");
    const file = writeYaml(dir, "mlfunc.yaml", devOnly(defaultConfig()));
    const r = inProcess(["--validate"], { MLFUNC_CONFIG: file, MLFUNC_QUIET: "" });
    expect(r).toEqual({ code: 0, stderr: expect.stringContaining("valid: diabetes-image, diabetes-dev (policy checked; nothing written)\n") as string });
    expect(readdirSync(dir)).toEqual(["mlfunc.yaml"]);
  });

  test("run by the cdktf CLI (an app line with --validate): still validates only, synthesizes nothing", () => {
    const dir = join(work.dir, "validate-under-cdktf");
    const file = writeYaml(dir, "mlfunc.yaml", devOnly(defaultConfig()));
    const r = inProcess(["--validate"], { MLFUNC_CONFIG: file, MLFUNC_QUIET: "", CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS: "true" });
    expect(r).toEqual({ code: 0, stderr: expect.stringContaining("valid: diabetes-image, diabetes-dev (policy checked; nothing written)\n") as string });
    expect(readdirSync(dir)).toEqual(["mlfunc.yaml"]);
  });

  test("an invalid file: exit 1, each problem once, nothing written", () => {
    const dir = join(work.dir, "validate-bad");
    const file = writeYaml(dir, "mlfunc.yaml", invalidConfig());
    const r = inProcess(["--validate"], { MLFUNC_CONFIG: file });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^${relative(ROOT, file)}: 1 problem\n  environments\\.dev\\.plan\\.sku \\(line \\d+\\): `));
    expect(r.stderr.endsWith(`${Y1_PROBLEM}\n`)).toBe(true);
    expect(readdirSync(dir)).toEqual(["mlfunc.yaml"]);
  });

  test("a bad policy setting: exit 1 with its message", () => {
    const dir = join(work.dir, "validate-policy");
    const file = writeYaml(dir, "mlfunc.yaml", devOnly(defaultConfig()));
    const r = inProcess(["--validate"], { MLFUNC_CONFIG: file, MLFUNC_POLICY_ERROR_AT: "bogus" });
    expect(r).toEqual({ code: 1, stderr: 'MLFUNC_POLICY_ERROR_AT="bogus" is not a level; use low, medium, high or none\n' });
    expect(readdirSync(dir)).toEqual(["mlfunc.yaml"]);
  });

  test("bad arguments: exit 2", () => {
    expect(inProcess(["--validate", "--frobnicate"], {})).toEqual({
      code: 2,
      stderr: 'validate: unknown option "--frobnicate"; usage: mlfunc validate [--offline] [--contexts <dir>] [--output <dir>] [--quiet]\n',
    });
  });

  test("through the launcher; a second run rebuilds nothing: no compile on the run path", () => {
    // The first run brings the bundle up to date; an invalid file makes it stop right after loading.
    const file = writeYaml(join(work.dir, "launcher-first"), "mlfunc.yaml", invalidConfig());
    expect(mlfunc(["validate", "--quiet"], { MLFUNC_CONFIG: file }).code).toBe(1);
    // Nothing written to the temp folder either: cdktf's App makes its outdir the moment it is created.
    const temp = join(work.dir, "launcher-temp");
    mkdirSync(temp);
    const again = mlfunc(["validate"], { TMPDIR: temp });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("valid: diabetes-image, diabetes-dev, diabetes-prod, diabetes-canary (policy checked; nothing written)\n");
    expect(again.stderr).not.toContain("bundling");
    expect(readdirSync(temp)).toEqual([]);
  }, 60_000);
});

describe("a deployment file outside this checkout", () => {
  test("output, local state and build contexts live next to it; this checkout's cdktf.out is untouched", () => {
    const app = join(work.dir, "myapp");
    const doc = devOnly(defaultConfig());
    doc.name = "outside";
    const file = writeYaml(app, "mlfunc.yaml", doc);
    const r = inProcess([], { MLFUNC_CONFIG: relative(process.cwd(), file) });
    expect(r.code).toBe(0);
    expect(manifestStacks(join(app, "cdktf.out"))?.sort()).toEqual(["outside-dev", "outside-image"]);
    expect(readdirSync(join(app, ".mlfunc", "contexts"))).toHaveLength(1);
    const stack = JSON.parse(readFileSync(join(app, "cdktf.out", "stacks", "outside-dev", "cdk.tf.json"), "utf8")) as Json;
    const statePath = ((stack.terraform as Json).backend as Record<string, Json>).local?.path as string;
    // Resolved from the stack's folder, where Terraform runs.
    expect(join(app, "cdktf.out", "stacks", "outside-dev", statePath)).toBe(join(app, "terraform.outside-dev.tfstate"));
    expect(existsSync(join(ROOT, "cdktf.out", "stacks", "outside-dev"))).toBe(false);
    expect(manifestStacks(join(ROOT, "cdktf.out")) ?? []).not.toContain("outside-dev");
    expect(existsSync(join(ROOT, "terraform.outside-dev.tfstate"))).toBe(false);
  });

  test("the cdktf CLI pass-through (diff) runs for it from its folder: cdktf.out there, this checkout's untouched", () => {
    const app = join(work.dir, "passthrough");
    const doc = devOnly(defaultConfig());
    doc.name = "passthrough";
    const file = writeYaml(app, "mlfunc.yaml", doc);
    // An unknown stack: the CLI synthesizes the app, then stops before Terraform.
    const r = mlfunc(["diff", "no-such-stack"], { MLFUNC_CONFIG: file, CHECKPOINT_DISABLE: "1", CI: "1" });
    expect(r.code).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toContain("Could not find stack: no-such-stack");
    expect(manifestStacks(join(app, "cdktf.out"))?.sort()).toEqual(["passthrough-dev", "passthrough-image"]);
    // Without a cdktf.json beside the file, the CLI's project is one mlfunc writes under .mlfunc/.
    expect(JSON.parse(readFileSync(join(app, ".mlfunc", "cdktf", "cdktf.json"), "utf8")).app).toBe(`"${process.execPath}" "${LAUNCHER}" app`);
    expect(existsSync(join(ROOT, "cdktf.out", "stacks", "passthrough-dev"))).toBe(false);
  });

  test("--output and --contexts move them", () => {
    const app = join(work.dir, "flags");
    const file = writeYaml(app, "mlfunc.yaml", devOnly(defaultConfig()));
    const r = inProcess(["--output", join(work.dir, "flags-out"), "--contexts", join(work.dir, "flags-ctx")], { MLFUNC_CONFIG: file });
    expect(r.code).toBe(0);
    expect(manifestStacks(join(work.dir, "flags-out"))?.sort()).toEqual(["diabetes-dev", "diabetes-image"]);
    expect(readdirSync(join(work.dir, "flags-ctx"))).toHaveLength(1);
    expect(readdirSync(app)).toEqual(["mlfunc.yaml"]);
  });
});

describe("one output folder, two deployment files", () => {
  function runAsync(file: string, out: string): Promise<number | null> {
    const { MLFUNC_QUIET: _q, ...env } = process.env;
    return new Promise((done) => {
      const child = spawn(process.execPath, [LAUNCHER, "synth", "--quiet", "--output", out], { cwd: ROOT, env: { ...env, MLFUNC_CONFIG: file }, stdio: "ignore" });
      child.on("exit", (code) => done(code));
    });
  }

  test("concurrent synths leave exactly the stacks manifest.json lists", async () => {
    const out = join(work.dir, "shared-out");
    const a = devOnly(defaultConfig());
    a.name = "alpha";
    const b = defaultConfig();
    b.name = "beta";
    const fileA = writeYaml(join(work.dir, "alpha"), "mlfunc.yaml", a);
    const fileB = writeYaml(join(work.dir, "beta"), "mlfunc.yaml", b);
    // A synth of alpha first, so the race below starts from a folder holding another app's stack.
    expect(await runAsync(fileA, out)).toBe(0);
    expect(await Promise.all([runAsync(fileB, out), runAsync(fileA, out)])).toEqual([0, 0]);
    const listed = manifestStacks(out) ?? [];
    expect([["alpha-dev", "alpha-image"], ["beta-canary", "beta-dev", "beta-image", "beta-prod"]]).toContainEqual(listed.sort());
    expect(readdirSync(join(out, "stacks")).sort()).toEqual(listed.sort());
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  }, 60_000);

  test("under the cdktf CLI a second synth into a folder another synth holds is refused, and that synth's output is left alone", () => {
    const out = join(work.dir, "cdktf-busy");
    mkdirSync(join(out, "stacks", "alpha-dev"), { recursive: true });
    writeFileSync(join(out, "manifest.json"), JSON.stringify({ stacks: { "alpha-dev": {} } }));
    writeFileSync(join(out, LOCK_FILE), String(process.pid));
    const file = writeYaml(join(work.dir, "cdktf-busy-app"), "mlfunc.yaml", devOnly(defaultConfig()));
    const r = inProcess([], { MLFUNC_CONFIG: file, CDKTF_OUTDIR: out, CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS: "true" });
    expect(r).toEqual({ code: 1, stderr: `${out} is locked by another synth (process ${process.pid}); wait for it to finish, or synthesize into another folder with --output <dir>\n` });
    expect(manifestStacks(out)).toEqual(["alpha-dev"]);
    expect(readdirSync(join(out, "stacks"))).toEqual(["alpha-dev"]);
  });

  test("under the cdktf CLI a synth removes the stack folders its manifest does not list", () => {
    const out = join(work.dir, "cdktf-orphan");
    mkdirSync(join(out, "stacks", "beta-prod"), { recursive: true });
    const file = writeYaml(join(work.dir, "cdktf-orphan-app"), "mlfunc.yaml", devOnly(defaultConfig()));
    const r = inProcess([], { MLFUNC_CONFIG: file, CDKTF_OUTDIR: out, CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS: "true" });
    expect(r.code).toBe(0);
    expect(manifestStacks(out)?.sort()).toEqual(["diabetes-dev", "diabetes-image"]);
    expect(readdirSync(join(out, "stacks")).sort()).toEqual(["diabetes-dev", "diabetes-image"]);
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  });

  test("the lock: a live holder makes a synth wait and then give up with a message; a dead one's lock is taken over", () => {
    const out = join(work.dir, "locked");
    mkdirSync(out);
    writeFileSync(join(out, LOCK_FILE), String(process.pid));
    let waitedFor: number | undefined;
    expect(() => withOutputLock(out, () => "ran", { waitMs: 150, onWait: (pid) => (waitedFor = pid) })).toThrow(
      new OutputLockedError(`${out} is locked by another synth (process ${process.pid}); wait for it to finish, or synthesize into another folder with --output <dir>`),
    );
    expect(waitedFor).toBe(process.pid);
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout;
    writeFileSync(join(out, LOCK_FILE), dead);
    expect(withOutputLock(out, () => readFileSync(join(out, LOCK_FILE), "utf8"))).toBe(String(process.pid));
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  });
});
