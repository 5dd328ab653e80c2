/** The review command: argument parsing, exit codes, and what it prints or writes. */
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { stringify } from "yaml";
import { loadDeployment } from "../config/load";
import { buildApp } from "../main";
import { main, parseReviewArgs, type ReviewArgs } from "../review/cli";
import { ReviewInputError } from "../review/errors";
import { REPORT_MARKER, reviewExitCode, type JsonReport } from "../review/report";
import type { PolicyFinding, Review } from "../review/types";
import { appServiceOnly, defaultConfig, scratch, type Json } from "./support/synth";
import { type Run, captured } from "./support/capture";

// Each case synthesizes the app; on a shared, busy machine that takes seconds.
jest.setTimeout(60_000);

/** Where the first synth of each deployment file is kept; removed after the suite. */
const mockSynthCache = mkdtempSync(join(tmpdir(), "mlfunc-review-cli-synth-"));
afterAll(() => rmSync(mockSynthCache, { recursive: true, force: true }));

/**
 * main synthesizes the working tree on every run, and the cases run it a dozen times on three
 * deployment files. The first run of each file (path and content) synthesizes for real; later runs
 * get a copy of that output, which is byte for byte what a new synth writes (it names no outdir).
 */
jest.mock("../review/synth", () => {
  const actual = jest.requireActual<typeof import("../review/synth")>("../review/synth");
  const fs = jest.requireActual<typeof import("node:fs")>("node:fs");
  const path = jest.requireActual<typeof import("node:path")>("node:path");
  const done = new Map<string, string>();
  return {
    ...actual,
    synthWorkingTree: (config: string, outdir: string): void => {
      const key = `${path.resolve(config)}\n${fs.readFileSync(config, "utf8")}`;
      const kept = done.get(key);
      if (kept !== undefined) {
        fs.cpSync(kept, outdir, { recursive: true });
        return;
      }
      actual.synthWorkingTree(config, outdir);
      const copy = path.join(mockSynthCache, String(done.size));
      fs.cpSync(outdir, copy, { recursive: true });
      done.set(key, copy);
    },
  };
});

const USAGE =
  "usage: mlfunc review [--base <git-ref>] [--base-out <cdktf.out dir>] [--plan <plan.json>]... [--format md|json] [--fail-on low|medium|high|none] [--allow-delete <address-pattern>]... [--fail-on-delete] [--fail-on-replace] [--out <file>] [--offline]";
const PLANS = join(__dirname, "fixtures", "plans");

function argError(argv: readonly string[]): ReviewInputError {
  try {
    parseReviewArgs(argv);
  } catch (e) {
    if (e instanceof ReviewInputError) return e;
    throw e;
  }
  throw new Error(`expected ${argv.join(" ")} to be rejected`);
}

describe("parseReviewArgs", () => {
  const defaults: ReviewArgs = {
    base: undefined,
    baseOut: undefined,
    plans: [],
    format: "md",
    failOn: "high",
    out: undefined,
    allowDelete: [],
    failOnDelete: false,
    failOnReplace: false,
  };

  test("defaults: Markdown, fail on high, no base, no plans, no out file", () => {
    expect(parseReviewArgs([])).toStrictEqual(defaults);
  });

  test("every flag", () => {
    expect(
      parseReviewArgs([
        "--base", "origin/main", "--plan", "a.json", "--plan", "b.json", "--format", "json", "--fail-on", "low", "--out", "r.md",
        "--allow-delete", "azurerm_storage_container.*", "--allow-delete", "diabetes-dev/azurerm_storage_*", "--fail-on-delete", "--fail-on-replace",
      ]),
    ).toStrictEqual({
      base: "origin/main",
      baseOut: undefined,
      plans: ["a.json", "b.json"],
      format: "json",
      failOn: "low",
      out: "r.md",
      allowDelete: ["azurerm_storage_container.*", "diabetes-dev/azurerm_storage_*"],
      failOnDelete: true,
      failOnReplace: true,
    });
    expect(parseReviewArgs(["--base-out", "old/cdktf.out"])).toStrictEqual({ ...defaults, baseOut: "old/cdktf.out" });
    for (const failOn of ["low", "medium", "high", "none"] as const) expect(parseReviewArgs(["--fail-on", failOn]).failOn).toBe(failOn);
    for (const format of ["md", "json"] as const) expect(parseReviewArgs(["--format", format]).format).toBe(format);
  });

  test("a repeated single-value flag keeps the last value", () => {
    expect(parseReviewArgs(["--format", "json", "--format", "md"]).format).toBe("md");
  });

  test("an unknown flag or a stray argument", () => {
    for (const flag of ["--verbose", "HEAD", "-x"]) {
      const e = argError([flag]);
      expect(e.message).toBe(`${flag}: unknown argument; ${USAGE}`);
      expect(e.source).toBe(flag);
    }
  });

  test("a flag without a value, at the end or followed by another flag", () => {
    for (const flag of ["--base", "--base-out", "--plan", "--format", "--fail-on", "--out", "--allow-delete"]) {
      expect(argError([flag]).message).toBe(`${flag}: needs a value; ${USAGE}`);
      expect(argError([flag, "--format", "md"]).message).toBe(`${flag}: needs a value; ${USAGE}`);
    }
  });

  test("a bad --format", () => {
    expect(argError(["--format", "html"]).message).toBe('--format: "html" is not a format; use md or json');
    expect(argError(["--format", "MD"]).message).toBe('--format: "MD" is not a format; use md or json');
  });

  test("a bad --fail-on", () => {
    expect(argError(["--fail-on", "critical"]).message).toBe('--fail-on: "critical" is not a level; use low, medium, high or none');
    expect(argError(["--fail-on", "High"]).message).toBe('--fail-on: "High" is not a level; use low, medium, high or none');
  });

  test("--base with --base-out, in either order", () => {
    expect(argError(["--base", "main", "--base-out", "cdktf.out"]).message).toBe("--base: give --base or --base-out, not both");
    expect(argError(["--base-out", "cdktf.out", "--base", "main"]).message).toBe("--base: give --base or --base-out, not both");
  });
});

describe("reviewExitCode", () => {
  const finding = (severity: PolicyFinding["severity"]): PolicyFinding => ({
    id: "MLF-TEST-001",
    severity,
    stack: "diabetes-dev",
    address: "azurerm_linux_function_app.app",
    message: "made by hand",
    fix: "none",
  });
  const review = (findings: PolicyFinding[], failOn: Review["failOn"]): Review => ({ plans: [], findings, failOn });

  test("1 when a finding reaches --fail-on, else 0", () => {
    expect(reviewExitCode(review([finding("high")], "high"))).toBe(1);
    expect(reviewExitCode(review([finding("high")], "low"))).toBe(1);
    expect(reviewExitCode(review([finding("high")], "none"))).toBe(0);
    expect(reviewExitCode(review([finding("medium")], "high"))).toBe(0);
    expect(reviewExitCode(review([finding("medium")], "medium"))).toBe(1);
    expect(reviewExitCode(review([finding("low")], "medium"))).toBe(0);
    expect(reviewExitCode(review([finding("low")], "low"))).toBe(1);
    expect(reviewExitCode(review([], "low"))).toBe(0);
  });
});

/** Runs the review's `main` with stdout and stderr captured. */
const run = (argv: readonly string[]): Promise<Run> => captured(() => main(argv));

describe("main: exit codes and output", () => {
  let work: { dir: string; cleanup: () => void };
  let config: string;
  let baseOut: string;
  const saved = { config: process.env.MLFUNC_CONFIG, policy: process.env.MLFUNC_POLICY_ERROR_AT };

  const restore = (name: "MLFUNC_CONFIG" | "MLFUNC_POLICY_ERROR_AT", value: string | undefined): void => {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  };

  /** A deployment file in the scratch folder, for MLFUNC_CONFIG. */
  const writeConfig = (name: string, doc: Json | string): string => {
    const file = join(work.dir, name);
    writeFileSync(file, typeof doc === "string" ? doc : stringify(doc));
    return file;
  };

  beforeAll(() => {
    work = scratch();
    config = writeConfig("mlfunc.yaml", appServiceOnly(defaultConfig()));
    baseOut = join(work.dir, "base-out");
    buildApp({ config, outdir: baseOut, contextsDir: join(work.dir, "contexts") }).synth();
  });

  afterAll(() => work.cleanup());

  beforeEach(() => {
    process.env.MLFUNC_CONFIG = config;
    delete process.env.MLFUNC_POLICY_ERROR_AT;
  });

  afterEach(() => {
    restore("MLFUNC_CONFIG", saved.config);
    restore("MLFUNC_POLICY_ERROR_AT", saved.policy);
  });

  test("--base-out of the same deployment: exit 0, a Markdown report led by the one-line verdict", async () => {
    const r = await run(["--base-out", baseOut]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe("**mlfunc review: ✅ 0 replacements, 0 deletes, 0 high findings (offline diff, no plan)**");
    expect(r.stdout).toContain(`| Synth diff vs \`${baseOut}\` | added | removed | changed | replace | redeploy |`);
    expect(r.stdout).toContain("| `diabetes-dev` | 0 | 0 | 0 | 0 | 0 |");
    expect(r.stdout).toContain("| `diabetes-prod` | 0 | 0 | 0 | 0 | 0 |");
    expect(r.stdout).toContain("Policy findings: **0 high**, 0 medium, 0 low (fails at high and above).");
    expect(r.stdout).toContain("> No Terraform plan given: the report shows the offline diff and policy only.");
    expect(r.stdout).toContain(`> Every stack in ${baseOut} is identical to this working tree's synth: if that folder was synthesized from this working tree, nothing was compared; synthesize the base revision there, or use --base \\<ref\\>.`);
    expect(r.stdout.endsWith(`${REPORT_MARKER}\n`)).toBe(true);
  });

  test("--format json: one parseable JSON document", async () => {
    const r = await run(["--base-out", baseOut, "--format", "json"]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const report = JSON.parse(r.stdout) as JsonReport;
    expect(report).toMatchObject({
      tool: "mlfunc-review",
      schemaVersion: 1,
      status: "ok",
      exitCode: 0,
      failOn: "high",
      base: baseOut,
      plans: [],
      findings: [],
      counts: { findings: { high: 0, medium: 0, low: 0 } },
    });
    expect(report.diff).toEqual([
      { stack: "diabetes-dev", status: "unchanged", resources: [] },
      { stack: "diabetes-image", status: "unchanged", resources: [] },
      { stack: "diabetes-prod", status: "unchanged", resources: [] },
    ]);
    expect(report.notes).toEqual([
      `Every stack in ${baseOut} is identical to this working tree's synth: if that folder was synthesized from this working tree, nothing was compared; synthesize the base revision there, or use --base <ref>.`,
      "No Terraform plan given: the report shows the offline diff and policy only.",
    ]);
  });

  test("--out writes the report to the file and nothing to stdout", async () => {
    const file = join(work.dir, "report.md");
    const r = await run(["--base-out", baseOut, "--out", file]);
    expect(r).toEqual({ code: 0, stdout: "", stderr: "" });
    const text = readFileSync(file, "utf8");
    expect(text.startsWith("**mlfunc review: ✅ 0 replacements, 0 deletes, 0 high findings (offline diff, no plan)**\n")).toBe(true);
    expect(text.endsWith(REPORT_MARKER)).toBe(true);

    const json = join(work.dir, "report.json");
    expect((await run(["--base-out", baseOut, "--format", "json", "--out", json])).code).toBe(0);
    expect((JSON.parse(readFileSync(json, "utf8")) as JsonReport).tool).toBe("mlfunc-review");
  });

  test("a plan JSON fixture given with --plan shows in the report, drives the verdict and meets the delete gate", async () => {
    const plan = join(PLANS, "mlfunc-dev.json");
    const r = await run(["--base-out", baseOut, "--plan", plan]);
    // The plan deletes Application Insights and replaces a storage account: both hold data.
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "review: blocked delete of mlfunc-dev/azurerm_application_insights.old (Application Insights: its telemetry and connection string)\n" +
        "review: blocked replace of mlfunc-dev/azurerm_storage_account.models (storage account: its blobs, queues, tables and files (the state stack's too))\n",
    );
    expect(r.stdout.split("\n")[0]).toBe(
      "**mlfunc review: ❌ FAIL: 2 replacements, 1 delete, 1 resource removed from state only, 2 blocked deletes/replacements, 0 high findings**",
    );
    expect(r.stdout).toContain("- ❌ **delete** `azurerm_application_insights.old` in `mlfunc-dev`: Application Insights: its telemetry and connection string (plan)");
    expect(r.stdout).toContain("<details><summary>Plan <code>mlfunc-dev</code>: ");
    expect(r.stdout).toContain(`Source: \`${plan}\``);
    expect(r.stdout).not.toContain("No Terraform plan given");

    const allowed = await run(["--base-out", baseOut, "--plan", plan, "--allow-delete", "azurerm_application_insights.old", "--allow-delete", "mlfunc-dev/azurerm_storage_account.*"]);
    expect(allowed).toMatchObject({ code: 0, stderr: "" });
    expect(allowed.stdout.split("\n")[0]).toBe("**mlfunc review: ⚠️ 2 replacements, 1 delete, 1 resource removed from state only, 0 high findings**");
    expect(allowed.stdout).toContain("- ✔️ **replace** `azurerm_storage_account.models` in `mlfunc-dev`: allowed by --allow-delete `mlfunc-dev/azurerm_storage_account.*`");

    const json = JSON.parse((await run(["--base-out", baseOut, "--plan", plan, "--format", "json"])).stdout) as JsonReport;
    expect(json.plans.map((p) => [p.source, p.stack])).toEqual([[plan, "mlfunc-dev"]]);
    expect(json.counts.plans).toMatchObject({ replace: 2, delete: 1, forget: 1 });
    expect(json.exitCode).toBe(1);
    expect(json.gates.map((g) => `${g.action} ${g.address} ${g.allowedBy ?? "blocked"}`)).toEqual([
      "delete azurerm_application_insights.old blocked",
      "replace azurerm_storage_account.models blocked",
    ]);
  });

  test("a malformed plan file: exit 2, the message names the file, line and column", async () => {
    const bad = join(work.dir, "bad.json");
    writeFileSync(bad, "{bad");
    const r = await run(["--base-out", baseOut, "--plan", bad]);
    expect(r).toEqual({ code: 2, stdout: "", stderr: `review: ${bad}: not valid JSON at line 1, column 2: unexpected 'b' (expected a property name in double quotes)\n` });

    const trailing = join(PLANS, "malformed-trailing-comma.json");
    expect(await run(["--base-out", baseOut, "--plan", trailing])).toEqual({
      code: 2,
      stdout: "",
      stderr: `review: ${trailing}: not valid JSON at line 5, column 3: unexpected ']'\n`,
    });
  });

  test("a missing plan file: exit 2", async () => {
    const missing = join(work.dir, "no-such-plan.json");
    expect(await run(["--base-out", baseOut, "--plan", missing])).toEqual({ code: 2, stdout: "", stderr: `review: ${missing}: plan file not found\n` });
  });

  test("--base for a deployment file outside any git repository: exit 2, never a comparison of the file with itself", async () => {
    const r = await run(["--base", "nosuchref"]);
    expect(r).toEqual({
      code: 2,
      stdout: "",
      stderr: `review: --base: ${relative(process.cwd(), realpathSync(config))} is not inside a git repository, so "nosuchref" has no earlier revision of it to compare with (comparing the file with itself would always find no change); commit it to a repository, or synthesize the base yourself and pass --base-out <cdktf.out dir>\n`,
    });
  });

  test("--base-out to a folder without manifest.json: exit 2", async () => {
    const empty = join(work.dir, "not-synthesized");
    mkdirSync(empty);
    expect(await run(["--base-out", empty])).toEqual({
      code: 2,
      stdout: "",
      stderr: `review: --base-out: "${empty}" is not a synthesized cdktf.out folder (no manifest.json inside); run npm run synth on the base first\n`,
    });
    const missing = join(work.dir, "no-such-folder");
    expect((await run(["--base-out", missing])).code).toBe(2);
  });

  test("--out naming a directory or a file in a missing folder: exit 2 with a message, no stack trace", async () => {
    expect(await run(["--base-out", baseOut, "--out", work.dir])).toEqual({
      code: 2,
      stdout: "",
      stderr: `review: --out: "${work.dir}" is a directory; give a file name, e.g. --out ${join(work.dir, "review.md")}\n`,
    });
    const missing = join(work.dir, "no-such-folder", "review.md");
    expect(await run(["--base-out", baseOut, "--out", missing])).toEqual({
      code: 2,
      stdout: "",
      stderr: `review: --out: the folder of "${missing}" does not exist; create it first or write the report elsewhere\n`,
    });
  });

  test("terminal escapes in a message are written out, not sent to the terminal", async () => {
    const evil = join(work.dir, "plan\u001b[2J\u009b31m.json");
    const r = await run(["--base-out", baseOut, "--plan", evil]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`review: ${join(work.dir, "plan")}\\u001b[2J\\u009b31m.json: plan file not found\n`);
  });

  test("bad arguments: exit 2 before any synth", async () => {
    expect(await run(["--format", "html"])).toEqual({ code: 2, stdout: "", stderr: 'review: --format: "html" is not a format; use md or json\n' });
    expect(await run(["--verbose"])).toEqual({ code: 2, stdout: "", stderr: `review: --verbose: unknown argument; ${USAGE}\n` });
    expect(await run(["--base", "main", "--base-out", baseOut])).toEqual({ code: 2, stdout: "", stderr: "review: --base: give --base or --base-out, not both\n" });
  });

  test("an invalid deployment file: exit 2 with the DeploymentError text", async () => {
    const doc = defaultConfig();
    ((doc.environments as Record<string, Json>).dev?.plan as Json).sku = "Y1";
    const invalid = writeConfig("invalid.yaml", doc);
    process.env.MLFUNC_CONFIG = invalid;
    let expected = "";
    try {
      loadDeployment(invalid);
    } catch (e) {
      expected = (e as Error).message;
    }
    expect(expected).toContain("environments.dev.plan.sku");
    expect(expected).toContain("Consumption (Y1) plans cannot run custom containers");
    const r = await run(["--base-out", baseOut]);
    expect(r).toEqual({ code: 2, stdout: "", stderr: `review: ${expected}\n` });
    // The file is named relative to the working directory, with the line of the bad value.
    expect(r.stderr).toBe(
      `review: ${relative(process.cwd(), invalid)}: 1 problem\n  environments.dev.plan.sku (line 29): "Y1" — Consumption (Y1) plans cannot run custom containers (Linux Consumption is retired); use EP1-EP3 (Elastic Premium) or a Dedicated Linux SKU such as B1, S1 or P1v3\n`,
    );
  });

  test("the default deployment has no finding at any level: --fail-on low still exits 0", async () => {
    const r = await run(["--base-out", baseOut, "--fail-on", "low", "--format", "json"]);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as JsonReport).findings).toEqual([]);
  });

  describe("a deployment file that validates but leaks a secret into every tagged resource (MLF-SEC-001, high)", () => {
    let leaky: string;
    beforeAll(() => {
      const doc = appServiceOnly(defaultConfig());
      (doc.tags as Json).db_password = "hunter2";
      leaky = writeConfig("leaky.yaml", doc);
    });

    // Synth itself fails at a high finding unless MLFUNC_POLICY_ERROR_AT lowers the bar; see found-bugs-review.test.ts.
    beforeEach(() => {
      process.env.MLFUNC_CONFIG = leaky;
      process.env.MLFUNC_POLICY_ERROR_AT = "none";
    });

    test("exit 1 at the default --fail-on high, with the findings in the report", async () => {
      const r = await run(["--base-out", baseOut]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^\*\*mlfunc review: ❌ FAIL: 0 replacements, 0 deletes, \d+ high findings \(offline diff, no plan\)\*\*\n/);
      expect(r.stdout).toContain("MLF-SEC-001");
      expect(r.stdout).not.toContain("hunter2");

      const json = JSON.parse((await run(["--base-out", baseOut, "--format", "json"])).stdout) as JsonReport;
      expect(json).toMatchObject({ status: "fail", exitCode: 1 });
      expect(json.findings.length).toBeGreaterThan(0);
      for (const f of json.findings) expect(f).toMatchObject({ id: "MLF-SEC-001", severity: "high", message: "tags.db_password holds a literal password" });
      expect(json.findings.map((f) => `${f.stack} ${f.address}`)).toEqual(
        expect.arrayContaining(["diabetes-dev azurerm_resource_group.resource-group_F5C22916", "diabetes-prod azurerm_resource_group.resource-group_F5C22916"]),
      );
    });

    test("exit 1 at --fail-on low and medium, 0 at --fail-on none", async () => {
      expect((await run(["--base-out", baseOut, "--fail-on", "low"])).code).toBe(1);
      expect((await run(["--base-out", baseOut, "--fail-on", "medium"])).code).toBe(1);
      const none = await run(["--base-out", baseOut, "--fail-on", "none"]);
      expect(none.code).toBe(0);
      expect(none.stdout.split("\n")[0]).toMatch(/^\*\*mlfunc review: ✅ /);
    });
  });
});
