/**
 * README and docs/ examples run as written: every `npm run …` line of their shell blocks either runs
 * here, unchanged, or is listed below with the reason it cannot (Azure, Terraform plans, another
 * checkout, a git base build that review-cli.test.ts covers).
 *
 * The five `npm run invoke` lines are also where the example model's local runs are checked for what
 * they print and write: the predictions against a reference computed from the pickle, the blob output
 * file, the queue message, the health answer and the OpenAPI document. They run nowhere else:
 * invoke.test.ts covers, in-process, what a README line cannot show (the runtime's arguments and
 * environment, the version probe, the private copy of the context, error cases, other scripts).
 */
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { loadDeployment } from "../config/load";
import { PYTHON, expectSamePredictions, invokePreamble, referencePredictions, requireTestPackages } from "./support/python";
import { EXAMPLE, ROOT } from "./support/synth";

/** Lines that cannot run on a test machine, and why. */
const NOT_HERE: Readonly<Record<string, string>> = {
  "npm run deploy -- diabetes-image diabetes-dev": "needs Azure, Docker and Terraform",
  "npm run deploy -- diabetes-prod --ignore-missing-stack-dependencies": "needs Azure and Terraform, and the image stack deployed",
  "npm run diff -- diabetes-prod": "needs Azure",
  "npm run bootstrap-state -- --principal-id $(az ad signed-in-user show --query id -o tsv)": "needs the Azure CLI, signed in",
  "npm run bootstrap-state -- --principal-id $(az ad signed-in-user show --query id -o tsv) --deploy": "needs Azure",
  "npm run review -- --plan plans/diabetes-dev.json --plan plans/diabetes-prod.json": "needs plans made by terraform plan against Azure",
  "npm run review -- --base-out ../main/cdktf.out": "needs another checkout's synthesized output",
  "npm run review -- --base v1.4.0": "needs a tag of that name; review-cli.test.ts covers --base <ref>",
  "npm run review": "builds and synthesizes the git base (origin/main or main), which depends on the clone's branches; review-cli.test.ts covers it",
  "npm run review -- --format json --out review.json --fail-on medium": "builds the git base like the line above; review-cli.test.ts covers --format, --out and --fail-on",
  "npm run review -- --allow-delete 'diabetes-dev/azurerm_servicebus_queue.*'": "builds the git base like npm run review; review-base.test.ts covers --allow-delete",
  "npm run smoke -- diabetes-dev": "needs a deployed stack in Azure; smoke.test.ts covers the checks against local stand-ins",
  "npm run smoke -- diabetes-dev --function predict --timeout 120": "needs a deployed stack in Azure; smoke.test.ts covers --function and --timeout",
  "npm run smoke -- diabetes-prod --input request.json --json": "needs a deployed stack in Azure; smoke.test.ts covers --input and --json",
};

/** The README and every page under docs/, wherever a command's documentation lives. */
function documentation(): string[] {
  const docs = readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).sort().map((f) => join("docs", f));
  return ["README.md", ...docs];
}

/** The command part of each line of the documentation's sh blocks that runs an npm script. */
function readmeCommands(): string[] {
  const text = documentation().map((f) => readFileSync(join(ROOT, f), "utf8")).join("\n");
  const blocks = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
  return blocks
    .flatMap((b) => b.split("\n"))
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter((line) => line.includes("npm run "));
}

function sh(command: string): { code: number | null; stdout: string; stderr: string } {
  const { MLFUNC_QUIET: _quiet, MLFUNC_CONFIG: _config, CHECKPOINT_DISABLE: _checkpoint, ...env } = process.env;
  const r = spawnSync("sh", ["-c", command], { cwd: ROOT, encoding: "utf8", env: { ...env, MLFUNC_PYTHON: PYTHON, PYTHONDONTWRITEBYTECODE: "1" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const SCRIPTS = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;

/**
 * The line as npm would run it, without npm: `npm run <name> -- <args>` is `<script> <args>` from the
 * package root when package.json's script is `node scripts/mlfunc.js <name>` (checked here, so a script
 * that comes to do more runs through npm again), and the launcher reads no npm_* variable. That saves
 * npm's start-up, about 0.4 s of CPU a line. Lines with `--silent` still go through npm: what they
 * prove is that npm prints nothing of its own.
 */
function withoutNpm(line: string): string {
  const m = /^npm run ([\w-]+)(?: -- (.*))?$/.exec(line);
  if (m === null) return line;
  const [, name = "", args] = m;
  const script = SCRIPTS[name];
  return script === `node scripts/mlfunc.js ${name}` ? (args === undefined ? script : `${script} ${args}`) : line;
}

const commands = readmeCommands();
const runnable = commands.filter((c) => NOT_HERE[c] === undefined);
const invokeLines = runnable.filter((c) => /^npm run (--silent )?invoke/.test(c));

/** The example model's predictions for sample.json, from the pickle itself (set in beforeAll). */
let expected: string;
/** What invoke writes before the runtime starts, for the repository's mlfunc.yaml (set in beforeAll). */
let preamble: string;

/** Output of one header line, then the predictions (within tolerance of the reference), then nothing. */
function headedPredictions(stdout: string, header: string): void {
  const [head, body = "", rest] = stdout.split("\n");
  expect({ head, rest }).toEqual({ head: header, rest: "" });
  expectSamePredictions(body, expected);
}

/**
 * For each README invoke line: the runtime's log line (without its duration) and what the line
 * prints and writes, exactly. The one place these runs happen in the test suite.
 */
const INVOKE_CHECKS: Readonly<Record<string, { log: string; output: (stdout: string) => void }>> = {
  "npm run invoke -- predict examples/diabetes/sample.json": {
    log: "function=predict trigger=http outcome=success status=200",
    output: (stdout) => headedPredictions(stdout, "HTTP 200"),
  },
  // The blob trigger's output path output/{blobname}_out.json, under --out.
  "npm run invoke -- predict-blob examples/diabetes/sample.json --out out": {
    log: "function=predict-blob trigger=blob outcome=success status=200",
    output: (stdout) => {
      expect(stdout).toBe("out/output/sample_out.json\n");
      expectSamePredictions(readFileSync(join(ROOT, "out", "output", "sample_out.json"), "utf8"), expected);
    },
  },
  "npm run invoke -- predict-queue examples/diabetes/sample.json": {
    log: "function=predict-queue trigger=serviceBus outcome=success status=200",
    output: (stdout) => headedPredictions(stdout, "Service Bus output for queue outqueue:"),
  },
  // The health route: needs no input file.
  "npm run invoke -- predict --method GET": {
    log: "function=predict trigger=http outcome=health status=200",
    output: (stdout) => expect(stdout).toBe('HTTP 200\n{"status": "ok", "function": "predict", "scoringScript": "score.py"}\n'),
  },
  // The file is the document alone (no npm banner): Swagger 2.0 for the health and scoring routes.
  "npm run --silent invoke -- predict --swagger > swagger.json": {
    log: "function=predict trigger=http outcome=swagger status=200",
    output: (stdout) => {
      expect(stdout).toBe("");
      const doc = JSON.parse(readFileSync(join(ROOT, "swagger.json"), "utf8")) as {
        swagger: string;
        paths: Record<string, Record<string, unknown>>;
        definitions: Record<string, unknown>;
      };
      expect(doc.swagger).toBe("2.0");
      expect(Object.keys(doc.paths)).toEqual(["/api/predict", "/api/predict/swagger.json"]);
      expect(Object.keys(doc.paths["/api/predict"] ?? {}).sort()).toEqual(["get", "post"]);
      // The example's run() is not decorated: any JSON object in and out, as Azure ML documents it.
      expect(doc.definitions.ServiceInput).toEqual({ type: "object", example: {} });
    },
  },
};

test("every README npm line is either run below or listed with its reason", () => {
  expect(commands.length).toBeGreaterThan(10);
  expect(documentation()).toEqual(expect.arrayContaining(["README.md", "docs/commands.md", "docs/smoke.md", "docs/review-and-gates.md"]));
  expect(Object.keys(NOT_HERE).filter((c) => !commands.includes(c))).toEqual([]);
  expect(runnable).toEqual([
    "npm ci && npm run synth",
    "MLFUNC_CONFIG=examples/private/mlfunc.yaml npm run synth",
    "npm run invoke -- predict examples/diabetes/sample.json",
    "npm run invoke -- predict-blob examples/diabetes/sample.json --out out",
    "npm run invoke -- predict-queue examples/diabetes/sample.json",
    "npm run invoke -- predict --method GET",
    "npm run --silent invoke -- predict --swagger > swagger.json",
    "MLFUNC_CONFIG=examples/private/mlfunc.yaml npm run synth",
  ]);
  expect(Object.keys(INVOKE_CHECKS)).toEqual(invokeLines);
});

describe("README lines, run as written", () => {
  /** The files the blob and swagger lines write into the checkout. */
  const written = [join(ROOT, "out", "output", "sample_out.json"), join(ROOT, "swagger.json")];
  beforeAll(() => {
    requireTestPackages("the README's invoke lines");
    // No file left by an earlier run can stand in for one these lines must write.
    written.forEach((f) => rmSync(f, { force: true }));
    expected = referencePredictions(join(EXAMPLE, "sklearn_regression_model.pkl"), join(EXAMPLE, "sample.json"));
    preamble = invokePreamble(loadDeployment(join(ROOT, "mlfunc.yaml")).model.pythonVersion);
  });
  afterAll(() => written.forEach((f) => rmSync(f, { force: true })));

  test("npm ci && npm run synth (the synth half: npm ci would reinstall this checkout's node_modules)", () => {
    expect(withoutNpm("npm run synth")).toBe("node scripts/mlfunc.js synth");
    const r = sh(withoutNpm("npm run synth"));
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("synthesized diabetes-image, diabetes-dev, diabetes-prod, diabetes-canary into cdktf.out\n");
    // The npm script sets CHECKPOINT_DISABLE itself: no version check error without internet access.
    expect(r.stderr).not.toMatch(/checkpoint|ENOTFOUND/i);
  });

  test.each(invokeLines)("%s", (command) => {
    const r = sh(withoutNpm(command));
    expect([r.code, r.stderr]).toEqual([0, expect.any(String)]);
    const check = INVOKE_CHECKS[command];
    if (check === undefined) throw new Error(`no checks for ${command}`);
    // What invoke wrote itself (after the launcher's note if it rebuilt the bundle), then the runtime's
    // one log line: no warning, no error.
    expect(r.stderr.replace(/^(mlfunc: bundling .*\n)*/, "").replace(/ duration_ms=[0-9.]+\n/g, " duration_ms=…\n")).toBe(
      `${preamble}INFO mlfunc.invocation: ${check.log} duration_ms=…\n`,
    );
    check.output(r.stdout);
  });

  test("MLFUNC_CONFIG=examples/private/mlfunc.yaml npm run synth (docs/networking.md): its stacks next to that file", () => {
    const example = join(ROOT, "examples", "private");
    const written = [join(example, "cdktf.out"), join(example, ".mlfunc")];
    try {
      const r = sh(`MLFUNC_CONFIG=examples/private/mlfunc.yaml ${withoutNpm("npm run synth")}`);
      expect(r.code).toBe(0);
      const deployment = loadDeployment(join(example, "mlfunc.yaml"));
      const stacks = [deployment.image.stackName, ...deployment.environments.map((e) => e.stackName)];
      expect(r.stderr).toContain(`synthesized ${stacks.join(", ")} into examples/private/cdktf.out\n`);
    } finally {
      written.forEach((f) => rmSync(f, { recursive: true, force: true }));
    }
  });

  test("npm run help prints help", () => {
    const r = sh("npm run --silent help");
    expect(r).toEqual({ code: 0, stdout: readFileSync(join(ROOT, "help"), "utf8"), stderr: "" });
  });
});
