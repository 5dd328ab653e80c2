/**
 * `npm run invoke`: argument parsing, the runtime command line, how the runtime is started, and the
 * failures. The example model's own local runs (HTTP, blob, Service Bus, GET health, --swagger) are the
 * README's `npm run invoke` lines: readme-commands.test.ts runs each once, as written, and asserts its
 * exact output (predictions against a reference from the pickle, the blob output file, the queue
 * message, the health answer, the OpenAPI document, and what invoke writes to stderr).
 */
import childProcess = require("node:child_process");
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { stringify } from "yaml";
import { loadDeployment } from "../config/load";
import { InvokeArgs, UsageError, contextFor, invoke, parseInvokeArgs, runtimeArgs } from "../commands/invoke";
import { scoringScriptPath } from "../build-context/generate";
import { EXAMPLE, Json, allowing, defaultConfig, scratch } from "./support/synth";
import { PYTHON, invokePreamble as preamble } from "./support/python";

const SAMPLE = join(EXAMPLE, "sample.json");
const USAGE = "usage: mlfunc invoke <function> [<input-file>] [--env <env>] [--out <dir>] [--method GET|POST] [--swagger] [--version 2|3|3.1] [--timeout <seconds>]";

const work = scratch();
let config: string;

function writeConfig(name: string, c: Json): string {
  const dir = join(work.dir, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "mlfunc.yaml"), stringify(c));
  return join(dir, "mlfunc.yaml");
}

/** A deployment with one HTTP function served by `script` (which must define init() and run()). */
function scriptConfig(name: string, script: string): string {
  const dir = join(work.dir, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "score.py"), script);
  const c = defaultConfig();
  c.model = { ...(c.model as Json), scoringScript: join(dir, "score.py") };
  c.functions = [{ name: "predict", trigger: { type: "http" } }];
  return writeConfig(name, c);
}

beforeAll(() => {
  config = writeConfig("default", defaultConfig());
});
afterAll(() => work.cleanup());

interface ChildRun {
  command: string;
  args: readonly string[];
  env: NodeJS.ProcessEnv | undefined;
  status: number | null;
  stdout: string;
  stderr: string;
}

interface Outcome {
  code: number;
  /** What invoke itself wrote to stderr. */
  message: string;
  /** Every process invoke started: the version probe, then the runtime. */
  children: ChildRun[];
}

/**
 * Runs `invoke(argv)` in-process. Its children's stdio is piped instead of inherited, so their
 * output can be asserted; everything else (env, arguments, exit status) is what invoke passes.
 */
function run(argv: readonly string[], env: Record<string, string> = {}): Outcome {
  const children: ChildRun[] = [];
  const stderr: string[] = [];
  const realSpawnSync = childProcess.spawnSync;
  const saved = new Map<string, string | undefined>();
  // Bytecode would otherwise land in the repository's runtime folder.
  const vars: Record<string, string> = { MLFUNC_CONFIG: config, MLFUNC_PYTHON: PYTHON, PYTHONDONTWRITEBYTECODE: "1", ...env };
  for (const [k, v] of Object.entries(vars)) {
    saved.set(k, process.env[k]);
    process.env[k] = v;
  }
  const spawnSpy = jest.spyOn(childProcess, "spawnSync").mockImplementation(((command: string, args: readonly string[], options: childProcess.SpawnSyncOptions) => {
    const r = realSpawnSync(command, args, { ...options, stdio: "pipe", encoding: "utf8" });
    children.push({ command, args, env: options.env, status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" });
    return r;
  }) as unknown as typeof childProcess.spawnSync);
  const stderrSpy = jest.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
  try {
    return { code: invoke(argv), message: stderr.join(""), children };
  } finally {
    stderrSpy.mockRestore();
    spawnSpy.mockRestore();
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** The runtime's run: the one after the version probe. */
function runtimeRun(o: Outcome): ChildRun {
  expect(o.children).toHaveLength(2);
  const r = o.children[1];
  if (!r) throw new Error("no runtime run");
  return r;
}

describe("parseInvokeArgs", () => {
  test("positional function and input, --env and --out, default out", () => {
    expect(parseInvokeArgs(["predict", "in.json"])).toEqual({ functionName: "predict", input: "in.json", env: undefined, out: "out", timeoutSeconds: 300 });
    expect(parseInvokeArgs(["--env", "prod", "predict", "in.json", "--out", "o"])).toEqual({ functionName: "predict", input: "in.json", env: "prod", out: "o", timeoutSeconds: 300 });
  });

  test("--timeout in seconds, 5 minutes by default as Azure ML's scoring timeout", () => {
    expect(parseInvokeArgs(["predict", "in.json", "--timeout", "2.5"]).timeoutSeconds).toBe(2.5);
    expect(() => parseInvokeArgs(["predict", "in.json", "--timeout", "0"])).toThrow(new UsageError('--timeout must be a positive number of seconds, not "0"'));
    expect(() => parseInvokeArgs(["predict", "in.json", "--timeout", "\u001b[2J"])).toThrow(new UsageError('--timeout must be a positive number of seconds, not "\\u001b[2J"'));
  });

  test.each<[string[], string]>([
    [[], USAGE],
    [["predict"], USAGE],
    [["predict", "a.json", "b.json"], USAGE],
    [["predict", "a.json", "--env"], `--env needs a value; ${USAGE}`],
    [["predict", "a.json", "--out"], `--out needs a value; ${USAGE}`],
    [["--verbose", "predict", "a.json"], `unknown option "--verbose"; ${USAGE}`],
  ])("%j is a usage error", (argv, message) => {
    expect(() => parseInvokeArgs(argv)).toThrow(UsageError);
    expect(() => parseInvokeArgs(argv)).toThrow(message);
  });
});

describe("runtimeArgs", () => {
  test.each<[string, string[]]>([
    ["predict", []],
    ["predict-blob", ["--data-type", "text", "--input-path", "input/{blobname}.json", "--output-path", "output/{blobname}_out.json"]],
    ["predict-queue", ["--data-type", "text", "--output-queue", "outqueue"]],
  ])("%s", (functionName, extra) => {
    const d = loadDeployment(config);
    const trigger = d.functions.find((f) => f.name === functionName)?.trigger.type;
    const args: InvokeArgs = { functionName, input: SAMPLE, out: "out-dir" };
    // Runs from the build context: the script and model as the image has them.
    expect(runtimeArgs(d, args, "/ctx")).toEqual([
      "-m", "mlfunc_runtime.local",
      "--function", functionName,
      "--trigger", trigger,
      "--script", "/ctx/scoring/score.py",
      "--model-dir", "/ctx/model",
      "--input", SAMPLE,
      "--out", "out-dir",
      ...extra,
    ]);
  });
});

/*
 * Where each local run of the example model is covered (each runs once, in readme-commands.test.ts,
 * as the README line shows it): HTTP prints HTTP 200 and the predictions; blob writes
 * <out>/output/<name>_out.json with the predictions and prints its path; Service Bus prints the
 * message for outqueue; GET answers the health route; --swagger prints the OpenAPI document. Their
 * exit codes and invoke's own stderr (the Python line, the version note) are asserted there too.
 */
describe("invoke starts the runtime", () => {
  test("with PYTHON, after the version probe, from a private copy of the build context that is removed afterwards", () => {
    // A script that answers with the file it was loaded from: the example model's runs are the README lines.
    const cfg = scriptConfig("where", 'def init():\n    pass\n\n\ndef run(data):\n    return {"script": __file__}\n');
    const o = run(["predict", SAMPLE, "--env", "dev"], { MLFUNC_CONFIG: cfg });
    const r = runtimeRun(o);
    expect(r.command).toBe(PYTHON);
    const d = loadDeployment(cfg);
    const shared = contextFor(d, "dev");
    // It runs from a private copy of the context, removed afterwards, never from the shared one.
    const copy = r.env?.PYTHONPATH?.split(":")[0] ?? "";
    expect(copy).not.toBe(shared);
    expect({ code: o.code, status: r.status, stdout: r.stdout }).toEqual({
      code: 0,
      status: 0,
      stdout: `HTTP 200\n{"script": ${JSON.stringify(join(copy, scoringScriptPath(d) ?? ""))}}\n`,
    });
    // The shared context's requirements.txt, which outlives the copy, is what a missing-package hint names.
    expect(r.args).toEqual([...runtimeArgs(d, { functionName: "predict", input: SAMPLE, env: "dev", out: "out" }, copy), "--requirements", join(shared, "requirements.txt")]);
    expect(existsSync(copy)).toBe(false);
    expect(existsSync(join(shared, "mlfunc_runtime", "entry.py"))).toBe(true);
    expect(r.env?.PYTHONDONTWRITEBYTECODE).toBe("1");
    expect(r.env?.AML_APP_ROOT).toBe(copy);
    expect(o.message).toBe(preamble(d.model.pythonVersion));
  });
});

describe("invoke exits 2 on bad input", () => {
  test("unknown function: lists the functions", () => {
    const o = run(["nope", SAMPLE]);
    expect(o).toEqual({ code: 2, message: `invoke: no function "nope" in ${config}; the functions are: predict, predict-blob, predict-queue\n`, children: [] });
  });

  test("unknown --env: lists the environments", () => {
    const o = run(["predict", SAMPLE, "--env", "staging"]);
    expect(o).toEqual({ code: 2, message: 'invoke: no environment "staging"; the environments are: dev, prod, canary\n', children: [] });
  });

  test("missing input file", () => {
    const missing = join(work.dir, "absent.json");
    expect(run(["predict", missing])).toEqual({ code: 2, message: `invoke: input file "${missing}" does not exist\n`, children: [] });
  });

  test("bad arguments print the usage", () => {
    expect(run(["predict"])).toEqual({ code: 2, message: `invoke: ${USAGE}\n`, children: [] });
    expect(run(["predict", SAMPLE, "--bogus"])).toEqual({ code: 2, message: `invoke: unknown option "--bogus"; ${USAGE}\n`, children: [] });
  });

  test("a deployment file that cannot be read", () => {
    const o = run(["predict", SAMPLE], { MLFUNC_CONFIG: join(work.dir, "nowhere.yaml") });
    expect(o.code).toBe(2);
    expect(o.message).toContain("cannot read the deployment file");
    expect(o.children).toEqual([]);
  });

  test("missing Python", () => {
    const o = run(["predict", SAMPLE], { MLFUNC_PYTHON: "/nonexistent" });
    expect(o.code).toBe(2);
    expect(o.message).toBe('invoke: cannot run Python "/nonexistent" (MLFUNC_PYTHON): install Python 3.12 there or set MLFUNC_PYTHON to an interpreter with the model\'s requirements\n');
    expect(o.children.map((c) => c.command)).toEqual(["/nonexistent"]);
  });

  test("a blob input whose name does not match the input path: exit 2 from the runtime, nothing written", () => {
    const input = join(work.dir, "sample.txt");
    copyFileSync(SAMPLE, input);
    const out = join(work.dir, "mismatch-out");
    const o = run(["predict-blob", input, "--out", out]);
    const r = runtimeRun(o);
    expect({ code: o.code, status: r.status, stdout: r.stdout }).toEqual({ code: 2, status: 2, stdout: "" });
    expect(r.stderr).toContain("error: input file name 'sample.txt' does not match the blob path pattern '{blobname}.json'");
    expect(existsSync(out)).toBe(false);
  });
});

/** Whether the tests' Python carries the PEP 668 marker: its missing-package hints take the venv route. */
function externallyManaged(): boolean {
  const probe = "import os, sysconfig; print(os.path.isfile(os.path.join(sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED')))";
  return childProcess.spawnSync(PYTHON, ["-c", probe], { encoding: "utf8" }).stdout.trim() === "True";
}

describe("invoke exits 1 when the invocation fails", () => {
  test("a run() that hangs is stopped at --timeout with a message naming it", () => {
    const cfg = scriptConfig("hangs", "import time\n\n\ndef init():\n    pass\n\n\ndef run(data):\n    time.sleep(3600)\n");
    const o = run(["predict", SAMPLE, "--timeout", "2"], { MLFUNC_CONFIG: cfg });
    expect(runtimeRun(o).status).toBeNull();
    expect(o.code).toBe(1);
    expect(o.message).toContain("invoke: predict did not finish within 2 s and was stopped; raise --timeout if the model needs longer\n");
  }, 60_000);

  test("a scoring script importing a missing module", () => {
    const cfg = scriptConfig("missing-module", "import not_a_real_module_xyz\n\n\ndef init():\n    pass\n\n\ndef run(data):\n    return data\n");
    const o = run(["predict", SAMPLE], { MLFUNC_CONFIG: cfg });
    const r = runtimeRun(o);
    expect({ code: o.code, status: r.status }).toEqual({ code: 1, status: 1 });
    expect(r.stdout.split("\n")[0]).toBe("HTTP 500");
    // The example's requirements.txt lists no package for it: the image would lack it too.
    const [executable = "", version = ""] = childProcess.spawnSync(PYTHON, ["-c", "import sys; print(sys.executable); print('%d.%d.%d' % sys.version_info[:3])"], { encoding: "utf8" }).stdout.split("\n");
    const fix = externallyManaged()
      ? `then ${executable} is externally managed (PEP 668), so pip will not install into it; make a virtual environment with the model's requirements and point MLFUNC_PYTHON at it: ` +
        `${executable} -m venv ~/.venvs/mlfunc && ~/.venvs/mlfunc/bin/pip install -r ${join(contextFor(loadDeployment(cfg), undefined), "requirements.txt")} && export MLFUNC_PYTHON=~/.venvs/mlfunc/bin/python (on Debian/Ubuntu, apt-get install python3-venv first)\n`
      : `then install it into that Python (${executable} -m pip install <package>), or set MLFUNC_PYTHON to a Python that has it\n`;
    expect(r.stderr).toContain(
      `error: could not import scoring script score.py: module 'not_a_real_module_xyz' is not installed in ${executable} (Python ${version}), the Python running it, ` +
        "and requirements.txt lists no package that provides it, so the image would lack it too: add that package to requirements.txt, " +
        fix,
    );
  });

  test("a package requirements.txt lists but the chosen Python lacks: names that Python and the two fixes, not requirements.txt", () => {
    const cfg = scriptConfig("listed-module", "import mlfunc_listed_pkg\n\n\ndef init():\n    pass\n\n\ndef run(data):\n    return data\n");
    const c = loadDeployment(cfg);
    const script = c.model.scoringScript ?? "";
    const doc = allowing({ ...defaultConfig(), model: { ...(defaultConfig().model as Json), scoringScript: script, requirements: ["numpy==1.24.2", "mlfunc-listed-pkg==1.0"] } }, dirname(script));
    (doc as Json).functions = [{ name: "predict", trigger: { type: "http" } }];
    const listedConfig = writeConfig("listed-module-list", doc);
    const o = run(["predict", SAMPLE], { MLFUNC_CONFIG: listedConfig });
    const r = runtimeRun(o);
    const [executable = "", version = ""] = childProcess.spawnSync(PYTHON, ["-c", "import sys; print(sys.executable); print('%d.%d.%d' % sys.version_info[:3])"], { encoding: "utf8" }).stdout.split("\n");
    expect({ code: o.code, message: o.message }).toEqual({ code: 1, message: preamble(c.model.pythonVersion) });
    const fix = externallyManaged()
      ? `. ${executable} is externally managed (PEP 668), so pip will not install into it; make a virtual environment with the model's requirements and point MLFUNC_PYTHON at it: ` +
        `${executable} -m venv ~/.venvs/mlfunc && ~/.venvs/mlfunc/bin/pip install -r ${join(contextFor(loadDeployment(listedConfig), undefined), "requirements.txt")} && export MLFUNC_PYTHON=~/.venvs/mlfunc/bin/python (on Debian/Ubuntu, apt-get install python3-venv first)\n`
      : `: install it into that Python (${executable} -m pip install mlfunc-listed-pkg==1.0), or set MLFUNC_PYTHON to a Python that has the model's requirements\n`;
    expect(r.stderr).toContain(
      `error: could not import scoring script score.py: module 'mlfunc_listed_pkg' is not installed in ${executable} (Python ${version}), the Python running it; ` +
        "requirements.txt lists it (mlfunc-listed-pkg==1.0), so the image will have it" +
        fix,
    );
    expect(r.stderr).not.toContain("add that package");
  });

  test("a failing init()", () => {
    const cfg = scriptConfig("failing-init", 'def init():\n    raise RuntimeError("model store unreachable")\n\n\ndef run(data):\n    return data\n');
    const o = run(["predict", SAMPLE], { MLFUNC_CONFIG: cfg });
    const r = runtimeRun(o);
    expect({ code: o.code, status: r.status }).toEqual({ code: 1, status: 1 });
    expect(r.stdout.split("\n")[0]).toBe("HTTP 500");
    expect(r.stderr).toContain("init() of");
    expect(r.stderr).toContain("error: init() of score.py failed: RuntimeError: model store unreachable\n");
  });
});

describe("--method", () => {
  test("GET needs no input file and maps to the runtime's --method", () => {
    expect(parseInvokeArgs(["predict", "--method", "get"])).toEqual({ functionName: "predict", input: undefined, env: undefined, out: "out", method: "GET", timeoutSeconds: 300 });
    const d = loadDeployment(config);
    expect(runtimeArgs(d, { functionName: "predict", out: "out", method: "GET" }, "/ctx")).toEqual([
      "-m", "mlfunc_runtime.local", "--function", "predict", "--trigger", "http",
      "--script", "/ctx/scoring/score.py", "--model-dir", "/ctx/model", "--out", "out", "--method", "GET",
    ]);
  });

  test("POST without an input file, a bad method, and a method on a blob function are usage errors", () => {
    expect(() => parseInvokeArgs(["predict", "--method", "POST"])).toThrow(USAGE);
    expect(() => parseInvokeArgs(["predict", "a.json", "--method", "PUT"])).toThrow('--method must be GET or POST, not "PUT"');
    const d = loadDeployment(config);
    expect(() => runtimeArgs(d, { functionName: "predict-blob", input: SAMPLE, out: "out", method: "GET" }, "/ctx")).toThrow(
      '--method applies to HTTP functions; "predict-blob" has a blob trigger',
    );
  });

  // GET answering the example's health route: readme-commands.test.ts, `npm run invoke -- predict --method GET`.
});

describe("--swagger", () => {
  test("parses to the function name alone, with an optional OpenAPI version", () => {
    expect(parseInvokeArgs(["predict", "--swagger"])).toEqual({ functionName: "predict", env: undefined, out: "out", swagger: true, swaggerVersion: undefined, timeoutSeconds: 300 });
    expect(parseInvokeArgs(["predict", "--swagger", "--version", "3"])).toMatchObject({ swagger: true, swaggerVersion: "3" });
    expect(() => parseInvokeArgs(["predict", "in.json", "--swagger"])).toThrow(`--swagger takes the function name only; ${USAGE}`);
    expect(() => parseInvokeArgs(["predict", "--swagger", "--version", "4"])).toThrow('--version must be 2, 3 or 3.1, not "4"');
    expect(() => parseInvokeArgs(["predict", "in.json", "--version", "3"])).toThrow(`--version applies to --swagger; ${USAGE}`);
  });

  test("maps to the runtime's --swagger, for HTTP functions only", () => {
    const d = loadDeployment(config);
    expect(runtimeArgs(d, { functionName: "predict", out: "o", swagger: true, swaggerVersion: "3.1" }, "/ctx").slice(-3)).toEqual(["--swagger", "--swagger-version", "3.1"]);
    expect(() => runtimeArgs(d, { functionName: "predict-blob", out: "o", swagger: true }, "/ctx")).toThrow('--swagger applies to HTTP functions; "predict-blob" has a blob trigger');
  });

  // The example's OpenAPI document through the local runtime: readme-commands.test.ts,
  // `npm run --silent invoke -- predict --swagger > swagger.json`.

  test("a scoring script's own swagger.json wins", () => {
    const dir = join(work.dir, "own-swagger");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "swagger.json"), '{"swagger": "2.0", "info": {"title": "mine", "version": "1"}, "paths": {}}');
    writeFileSync(join(dir, "score.py"), "def init():\n    pass\n\n\ndef run(data):\n    return data\n");
    const c = defaultConfig();
    c.model = { ...(c.model as Json), scoringScript: join(dir, "score.py"), sourceDir: dir };
    c.functions = [{ name: "predict", trigger: { type: "http" } }];
    allowing(c, dir);
    const o = run(["predict", "--swagger"], { MLFUNC_CONFIG: writeConfig("own-swagger-config", c) });
    expect(JSON.parse(runtimeRun(o).stdout)).toEqual({ swagger: "2.0", info: { title: "mine", version: "1" }, paths: {} });
  });
});
