/** The function image's build context: bindings, entry modules, Dockerfile, host.json, contents, determinism, and a real Python run. */
import { spawnSync } from "node:child_process";
import fs = require("node:fs");
import { join, relative } from "node:path";
import { stringify } from "yaml";
import { BuildContext, ContextFile, buildContext, hashFiles, writeBuildContext } from "../../build-context/generate";
import { Deployment, EnvironmentDeployment, loadDeployment } from "../../config/load";
import { CONNECTIONS } from "../../constructs/connections";
import { EXAMPLE, Json, ROOT, allowing, defaultConfig, scratch } from "../support/synth";
import { PYTHON, expectSamePredictions, requireTestPackages, runContext } from "../support/python";

const MODEL = join(EXAMPLE, "sklearn_regression_model.pkl");
const SCRIPT = join(EXAMPLE, "score.py");
const SEED = '{"data": [[1,2,3,4,5,6,7,8,9,10],[10,9,8,7,6,5,4,3,2,1]]}';

const work = scratch();
afterAll(() => work.cleanup());

let configCount = 0;
/** Writes `config` as YAML to its own scratch folder and loads it like the CLI does. */
function deploymentFrom(config: Json): Deployment {
  const dir = join(work.dir, `config-${++configCount}`);
  fs.mkdirSync(dir, { recursive: true });
  const file = join(dir, "mlfunc.yaml");
  fs.writeFileSync(file, stringify(allowing(config, work.dir)));
  return loadDeployment(file);
}

function envOf(d: Deployment, name: string): EnvironmentDeployment {
  const env = d.environments.find((e) => e.name === name);
  if (!env) throw new Error(`no environment ${name}`);
  return env;
}

function withModel(patch: Json): Json {
  const c = defaultConfig();
  c.model = { ...(c.model as Json), ...patch };
  return c;
}

function file(ctx: BuildContext, path: string): Buffer {
  const f = ctx.files.find((x) => x.path === path);
  if (!f) throw new Error(`no ${path} in the context; it has ${ctx.files.map((x) => x.path).join(", ")}`);
  return f.content;
}

const text = (ctx: BuildContext, path: string) => file(ctx, path).toString("utf8");
const json = (ctx: BuildContext, path: string) => JSON.parse(text(ctx, path)) as Json;

/** Paths whose bytes differ, or that only one side has. */
function changedPaths(a: BuildContext, b: BuildContext): string[] {
  const paths = new Set([...a.files, ...b.files].map((f) => f.path));
  const bytes = (ctx: BuildContext, p: string) => ctx.files.find((f) => f.path === p)?.content;
  return [...paths].filter((p) => !(bytes(a, p)?.equals(bytes(b, p) ?? Buffer.alloc(0)) ?? false)).sort();
}

/** Every regular file under `dir`, as context-relative paths with their bytes, sorted by path. */
function readTree(dir: string): ContextFile[] {
  const out: ContextFile[] = [];
  const visit = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) visit(full);
      else {
        const content = fs.readFileSync(full);
        out.push({ path: relative(dir, full).split("\\").join("/"), content, size: content.length });
      }
    }
  };
  visit(dir);
  return out.sort((x, y) => (x.path < y.path ? -1 : 1));
}

/** The runtime source files that belong in the image (bytecode and the runtime's tests do not). */
function runtimeSources(): string[] {
  const out: string[] = [];
  for (const pkg of ["mlfunc_runtime"]) {
    for (const f of readTree(join(ROOT, "runtime", pkg))) {
      if (!/(^|\/)(__pycache__|tests)\//.test(f.path) && !f.path.endsWith(".pyc")) out.push(`${pkg}/${f.path}`);
    }
  }
  return out;
}

/**
 * What the official function.json schema (schemastore) checks: an object with a bindings list whose
 * items have a string name (identifier or $return), type and a direction of in/out/inout.
 */
function functionJsonProblems(doc: unknown): string[] {
  const problems: string[] = [];
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObject(doc)) return ["not an object"];
  if (doc.scriptFile !== undefined && typeof doc.scriptFile !== "string") problems.push("scriptFile is not a string");
  if (doc.disabled !== undefined && typeof doc.disabled !== "boolean") problems.push("disabled is not a boolean");
  if (!Array.isArray(doc.bindings) || doc.bindings.length === 0) return [...problems, "bindings is not a non-empty list"];
  const names = new Set<string>();
  let triggers = 0;
  doc.bindings.forEach((b: unknown, i: number) => {
    if (!isObject(b)) return void problems.push(`bindings[${i}] is not an object`);
    const { name, type, direction } = b;
    if (typeof name !== "string" || !/^([a-zA-Z][a-zA-Z0-9]{0,127}|\$return)$/.test(name)) problems.push(`bindings[${i}].name ${String(name)} is invalid`);
    if (typeof type !== "string" || type === "") problems.push(`bindings[${i}].type is not a string`);
    if (direction !== "in" && direction !== "out" && direction !== "inout") problems.push(`bindings[${i}].direction ${String(direction)} is not in/out/inout`);
    if (typeof name === "string") {
      if (names.has(name)) problems.push(`bindings[${i}].name ${name} is repeated`);
      names.add(name);
      if (name === "$return" && direction !== "out") problems.push(`bindings[${i}]: $return must be an out binding`);
    }
    if (typeof type === "string" && type.endsWith("Trigger")) {
      triggers++;
      if (direction !== "in") problems.push(`bindings[${i}]: a trigger must be an in binding`);
    }
    if (type === "httpTrigger") {
      if (!["anonymous", "function", "admin"].includes(String(b.authLevel))) problems.push(`bindings[${i}].authLevel is invalid`);
      const methods = b.methods;
      if (!Array.isArray(methods) || !methods.every((m) => ["get", "post", "delete", "head", "patch", "put", "options", "trace"].includes(String(m)))) {
        problems.push(`bindings[${i}].methods is invalid`);
      }
    }
    if (b.dataType !== undefined && !["string", "binary", "stream"].includes(String(b.dataType))) problems.push(`bindings[${i}].dataType is invalid`);
    // The storage extension's BlobTriggerSource names; anything else fails the host's binding.
    if (b.source !== undefined && (type !== "blobTrigger" || !["LogsAndContainerScan", "EventGrid"].includes(String(b.source)))) problems.push(`bindings[${i}].source is invalid`);
  });
  if (triggers !== 1) problems.push(`expected exactly one trigger binding, found ${triggers}`);
  return problems;
}

/** Dockerfile instructions with continuation lines joined and comments dropped. */
function dockerInstructions(dockerfile: string): string[] {
  return dockerfile
    .replace(/\\\n\s*/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

function dockerEnv(dockerfile: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of dockerInstructions(dockerfile).filter((l) => l.startsWith("ENV "))) {
    for (const pair of line.slice(4).trim().split(/\s+/)) {
      const eq = pair.indexOf("=");
      env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return env;
}

/** Seven functions covering every trigger, data type, blob source and entry point. */
function allTriggersConfig(): Json {
  const c = defaultConfig();
  c.functions = [
    { name: "predict", trigger: { type: "http" } },
    { name: "predict-anon", trigger: { type: "http", authLevel: "anonymous" } },
    { name: "predict-blob", trigger: { type: "blob", inputPath: "input/{blobname}.json", outputPath: "output/{blobname}_out.json" } },
    { name: "predict-blob-bin", trigger: { type: "blob", inputPath: "raw/{name}.bin", outputPath: "scored/{name}.json", dataType: "binary" } },
    { name: "predict-blob-events", trigger: { type: "blob", inputPath: "events/{name}.json", outputPath: "events-out/{name}.json", source: "eventGrid" } },
    { name: "predict-queue", trigger: { type: "serviceBus", queue: "inqueue", outputQueue: "outqueue" } },
    { name: "drain-queue", trigger: { type: "serviceBus", queue: "jobs" } },
  ];
  return c;
}

const HTTP_OUT = { type: "http", direction: "out", name: "$return" };
/** A @rawhttp run() takes any method; the runtime answers the rest (GET health, 405). */
const ALL_METHODS = ["get", "post", "put", "patch", "delete", "head", "options"];
const EXPECTED_FUNCTION_JSON: Record<string, Json> = {
  predict: {
    scriptFile: "__init__.py",
    bindings: [{ type: "httpTrigger", direction: "in", name: "req", authLevel: "function", methods: ALL_METHODS, route: "predict/{mlfuncpath?}" }, HTTP_OUT],
  },
  "predict-anon": {
    scriptFile: "__init__.py",
    bindings: [{ type: "httpTrigger", direction: "in", name: "req", authLevel: "anonymous", methods: ALL_METHODS, route: "predict-anon/{mlfuncpath?}" }, HTTP_OUT],
  },
  "predict-blob": {
    scriptFile: "__init__.py",
    bindings: [
      { type: "blobTrigger", direction: "in", name: "inputblob", path: "input/{blobname}.json", connection: CONNECTIONS.triggerStorage, dataType: "string" },
      { type: "blob", direction: "out", name: "outputblob", path: "output/{blobname}_out.json", connection: CONNECTIONS.triggerStorage },
    ],
  },
  "predict-blob-bin": {
    scriptFile: "__init__.py",
    bindings: [
      { type: "blobTrigger", direction: "in", name: "inputblob", path: "raw/{name}.bin", connection: CONNECTIONS.triggerStorage, dataType: "binary" },
      { type: "blob", direction: "out", name: "outputblob", path: "scored/{name}.json", connection: CONNECTIONS.triggerStorage },
    ],
  },
  // The Event Grid source is one more field of the blob trigger binding (Functions docs, blob trigger "source").
  "predict-blob-events": {
    scriptFile: "__init__.py",
    bindings: [
      { type: "blobTrigger", direction: "in", name: "inputblob", path: "events/{name}.json", connection: CONNECTIONS.triggerStorage, dataType: "string", source: "EventGrid" },
      { type: "blob", direction: "out", name: "outputblob", path: "events-out/{name}.json", connection: CONNECTIONS.triggerStorage },
    ],
  },
  "predict-queue": {
    scriptFile: "__init__.py",
    bindings: [
      { type: "serviceBusTrigger", direction: "in", name: "msg", queueName: "inqueue", connection: CONNECTIONS.triggerServiceBus, dataType: "string" },
      { type: "serviceBus", direction: "out", name: "outmsg", queueName: "outqueue", connection: CONNECTIONS.triggerServiceBus },
    ],
  },
  "drain-queue": {
    scriptFile: "__init__.py",
    bindings: [{ type: "serviceBusTrigger", direction: "in", name: "msg", queueName: "jobs", connection: CONNECTIONS.triggerServiceBus, dataType: "string" }],
  },
};
const EXPECTED_ENTRY: Record<string, string> = {
  predict: "http_main",
  "predict-anon": "http_main",
  "predict-blob": "blob_main",
  "predict-blob-bin": "blob_main",
  "predict-blob-events": "blob_main",
  "predict-queue": "servicebus_to_queue_main",
  "drain-queue": "servicebus_main",
};

let base: Deployment;
let baseCtx: BuildContext;
let all: Deployment;
let allCtx: BuildContext;

beforeAll(() => {
  base = deploymentFrom(defaultConfig());
  baseCtx = buildContext(base);
  all = deploymentFrom(allTriggersConfig());
  allCtx = buildContext(all);
});

describe("function folders", () => {
  test("the connection names are the stack's app-setting prefixes", () => {
    expect(CONNECTIONS.triggerStorage).toBe("MLFUNC_TRIGGER_STORAGE");
    expect(CONNECTIONS.triggerServiceBus).toBe("MLFUNC_TRIGGER_SERVICEBUS");
  });

  test.each(Object.keys(EXPECTED_FUNCTION_JSON))("%s/function.json has exactly the bindings the deployment file asks for", (name) => {
    expect(json(allCtx, `${name}/function.json`)).toEqual(EXPECTED_FUNCTION_JSON[name]);
  });

  test("the default deployment's function.json files match mlfunc.yaml", () => {
    expect(json(baseCtx, "predict/function.json")).toEqual(EXPECTED_FUNCTION_JSON.predict);
    // The default example's blob function takes the Event Grid source.
    const blob = EXPECTED_FUNCTION_JSON["predict-blob"] as { scriptFile: string; bindings: Json[] };
    expect(json(baseCtx, "predict-blob/function.json")).toEqual({ ...blob, bindings: [{ ...blob.bindings[0], source: "EventGrid" }, blob.bindings[1]] });
    expect(json(baseCtx, "predict-queue/function.json")).toEqual(EXPECTED_FUNCTION_JSON["predict-queue"]);
  });

  test("every function.json passes the structural checks of the function.json schema", () => {
    const fnJsons = allCtx.files.filter((f) => f.path.endsWith("/function.json"));
    expect(fnJsons.map((f) => f.path.split("/")[0]).sort()).toEqual(Object.keys(EXPECTED_FUNCTION_JSON).sort());
    for (const f of fnJsons) expect({ path: f.path, problems: functionJsonProblems(JSON.parse(f.content.toString("utf8"))) }).toEqual({ path: f.path, problems: [] });
  });

  test("the structural check itself rejects broken bindings", () => {
    expect(functionJsonProblems({ bindings: [{ name: "in-put", type: "blobTrigger", direction: "sideways" }, { name: "$return", type: "http", direction: "in" }] })).toEqual([
      "bindings[0].name in-put is invalid",
      "bindings[0].direction sideways is not in/out/inout",
      "bindings[0]: a trigger must be an in binding",
      "bindings[1]: $return must be an out binding",
    ]);
    expect(functionJsonProblems({ bindings: [] })).toEqual(["bindings is not a non-empty list"]);
    expect(functionJsonProblems({ bindings: [{ name: "b", type: "blobTrigger", direction: "in", source: "eventGrid" }] })).toEqual(["bindings[0].source is invalid"]);
  });

  test.each(Object.keys(EXPECTED_ENTRY))("%s/__init__.py hands over to the matching runtime entry", (name) => {
    expect(text(allCtx, `${name}/__init__.py`)).toBe(`from mlfunc_runtime.entry import ${EXPECTED_ENTRY[name]} as main  # noqa: F401\n`);
  });
});

describe("Dockerfile, .dockerignore, host.json", () => {
  test("Dockerfile: base image, app root, model dir, scoring script, pip install", () => {
    const dockerfile = text(baseCtx, "Dockerfile");
    const steps = dockerInstructions(dockerfile);
    expect(steps.filter((s) => s.startsWith("FROM "))).toEqual(["FROM --platform=linux/amd64 mcr.microsoft.com/azure-functions/python:4-python3.12"]);
    expect(dockerEnv(dockerfile)).toMatchObject({
      AzureWebJobsScriptRoot: "/home/site/wwwroot",
      AML_APP_ROOT: "/home/site/wwwroot",
      AZUREML_MODEL_DIR: "/home/site/wwwroot/model",
      MLFUNC_SCORING_SCRIPT: "/home/site/wwwroot/scoring/score.py",
    });
    expect(steps.filter((s) => !s.startsWith("FROM ") && !s.startsWith("ENV "))).toEqual([
      "COPY requirements.txt /tmp/requirements.txt",
      "RUN pip install --no-cache-dir -r /tmp/requirements.txt",
      "COPY . /home/site/wwwroot",
    ]);
    expect(dockerfile).not.toContain("{{");
  });

  // Tags published by Azure (azure-functions-docker host/4/bookworm/python/python311..313).
  test.each([
    ["3.11", "4-python3.11"],
    ["3.12", "4-python3.12"],
    ["3.13", "4-python3.13"],
  ])("pythonVersion %s selects the base image tag %s", (version, tag) => {
    const d = deploymentFrom(withModel({ pythonVersion: version }));
    const steps = dockerInstructions(text(buildContext(d), "Dockerfile"));
    expect(steps.filter((s) => s.startsWith("FROM "))).toEqual([`FROM --platform=linux/amd64 mcr.microsoft.com/azure-functions/python:${tag}`]);
  });

  test("model.name and model.version reproduce Azure ML's registered-model folder", () => {
    const ctx = buildContext(deploymentFrom(withModel({ name: "sklearn_regression_model", version: 3 })));
    const paths = ctx.files.map((f) => f.path);
    expect(paths).toContain("azureml-models/sklearn_regression_model/3/sklearn_regression_model.pkl");
    expect(paths.filter((p) => p.startsWith("model/"))).toEqual([]);
    expect(dockerEnv(text(ctx, "Dockerfile"))).toMatchObject({ AML_APP_ROOT: "/home/site/wwwroot", AZUREML_MODEL_DIR: "/home/site/wwwroot/azureml-models/sklearn_regression_model/3" });
    expect(paths.filter((p) => p.startsWith("azureml-models/"))).toEqual(["azureml-models/sklearn_regression_model/3/sklearn_regression_model.pkl"]);
    expect(buildContext(deploymentFrom(withModel({ name: "m" }))).files.map((f) => f.path)).toContain("azureml-models/m/1/sklearn_regression_model.pkl");
  });

  test("in that layout azureml-core's Model.get_model_path finds the model next to the runtime's azureml stand-ins", () => {
    const ctxDir = writeBuildContext(buildContext(deploymentFrom(withModel({ name: "diabetes-ridge", version: 2 }))), join(work.dir, "registered"));
    const code = [
      "import os, sys",
      "from mlfunc_runtime import core",
      "core.install_aml_api()",
      "from azureml.core.model import Model",
      "import azureml.contrib.services.aml_request as r",
      "print(os.path.relpath(Model.get_model_path('diabetes-ridge'), os.environ['AML_APP_ROOT']))",
      "print(os.path.relpath(os.path.join(os.environ['AZUREML_MODEL_DIR'], 'sklearn_regression_model.pkl'), os.environ['AML_APP_ROOT']))",
      "print(r.__name__)",
    ].join("\n");
    const env = { ...process.env, PYTHONPATH: [join(ROOT, "__tests__", "fixtures", "azureml-core"), ctxDir].join(":"), AML_APP_ROOT: ctxDir, AZUREML_MODEL_DIR: join(ctxDir, "azureml-models", "diabetes-ridge", "2"), PYTHONDONTWRITEBYTECODE: "1" };
    const run = spawnSync(PYTHON, ["-c", code], { encoding: "utf8", env });
    expect(run.stderr).toBe("");
    expect(run.stdout.split("\n")).toEqual(["azureml-models/diabetes-ridge/2/sklearn_regression_model.pkl", "azureml-models/diabetes-ridge/2/sklearn_regression_model.pkl", "azureml_inference_server_http.api.aml_request", ""]);
  });

  test(".dockerignore keeps bytecode and build files out of the image", () => {
    expect(text(baseCtx, ".dockerignore").split("\n").filter(Boolean)).toEqual(["**/__pycache__", "**/*.pyc", "**/.git", "**/.env", "Dockerfile", ".dockerignore"]);
  });

  test("host.json: version, extension bundle, logging; no plan-specific timeout, so one image serves every plan", () => {
    const host = json(baseCtx, "host.json");
    expect(envOf(base, "dev").plan.sku).toBe("B1");
    expect(envOf(base, "prod").plan.sku).toBe("EP1");
    expect(host.version).toBe("2.0");
    expect(host.extensionBundle).toEqual({ id: "Microsoft.Azure.Functions.ExtensionBundle", version: "[4.*, 5.0.0)" });
    expect(host.functionTimeout).toBeUndefined();
    expect(host.logging).toEqual(expect.objectContaining({ applicationInsights: expect.any(Object) }));
  });
});

describe("requirements.txt", () => {
  test("the example's requirements file plus azure-functions", () => {
    expect(text(baseCtx, "requirements.txt")).toBe("scikit-learn==1.6.1\nnumpy==2.2.6\nscipy==1.15.3\njoblib==1.6.0\nazure-functions\n");
  });

  test.each<[string, unknown, string]>([
    ["an inline list", ["numpy==1.24.2", "scikit-learn==1.2.1"], "numpy==1.24.2\nscikit-learn==1.2.1\nazure-functions\n"],
    ["an inline list that pins azure-functions", ["azure-functions==1.18.0", "joblib"], "azure-functions==1.18.0\njoblib\n"],
    ["a differently spelled azure-functions", ["joblib", "Azure_Functions>=1.17"], "joblib\nAzure_Functions>=1.17\n"],
    ["no requirements", undefined, "azure-functions\n"],
  ])("%s", (_label, requirements, expected) => {
    const c = defaultConfig();
    const model = c.model as Json;
    if (requirements === undefined) delete model.requirements;
    else model.requirements = requirements;
    const d = deploymentFrom(c);
    expect(text(buildContext(d), "requirements.txt")).toBe(expected);
  });

  test("a requirements file that already lists azure-functions, with comments and CRLF", () => {
    const req = join(work.dir, "req-with-af.txt");
    fs.writeFileSync(req, "# serving\r\njoblib==1.2.0\r\n\r\nazure-functions==1.18.0  \r\n");
    const d = deploymentFrom(withModel({ requirements: req }));
    expect(text(buildContext(d), "requirements.txt")).toBe("joblib==1.2.0\nazure-functions==1.18.0\n");
  });
});

describe("contents", () => {
  test("exactly the generated files, the model, the script and the runtime sources", () => {
    const generated = [".dockerignore", "Dockerfile", "host.json", "requirements.txt"];
    const functions = ["predict", "predict-blob", "predict-queue"].flatMap((f) => [`${f}/__init__.py`, `${f}/function.json`]);
    const expected = [...generated, ...functions, "model/sklearn_regression_model.pkl", "scoring/score.py", ...runtimeSources()].sort();
    expect(baseCtx.files.map((f) => f.path)).toEqual(expected);
    expect(runtimeSources()).toEqual(expect.arrayContaining(["mlfunc_runtime/__init__.py", "mlfunc_runtime/core.py", "mlfunc_runtime/entry.py", "mlfunc_runtime/local.py", "mlfunc_runtime/standins/azureml/contrib/services/__init__.py", "mlfunc_runtime/standins/azureml_inference_server_http/api/aml_request.py"]));
  });

  test("files are sorted by path and carry the source bytes", () => {
    const paths = baseCtx.files.map((f) => f.path);
    expect(paths).toEqual([...paths].sort());
    expect(file(baseCtx, "model/sklearn_regression_model.pkl").equals(fs.readFileSync(MODEL))).toBe(true);
    expect(file(baseCtx, "scoring/score.py").equals(fs.readFileSync(SCRIPT))).toBe(true);
    for (const p of runtimeSources()) expect({ p, same: file(baseCtx, p).equals(fs.readFileSync(join(ROOT, "runtime", p))) }).toEqual({ p, same: true });
  });

  test("runtime __pycache__, .pyc files and tests/ folders never reach the context", () => {
    // The runtime folder is not ours to litter, so the walk is shown decoy entries instead.
    const decoys = join(work.dir, "decoys");
    fs.mkdirSync(join(decoys, "__pycache__"), { recursive: true });
    fs.mkdirSync(join(decoys, "tests"), { recursive: true });
    fs.writeFileSync(join(decoys, "__pycache__", "core.cpython-311.pyc"), "x");
    fs.writeFileSync(join(decoys, "tests", "test_core.py"), "x");
    fs.writeFileSync(join(decoys, "stale.pyc"), "x");
    const realReaddir = fs.readdirSync;
    const extra = realReaddir(decoys, { withFileTypes: true });
    const runtimeDirs = new Set([join(ROOT, "runtime", "mlfunc_runtime"), join(ROOT, "runtime", "mlfunc_runtime", "standins", "azureml", "contrib")]);
    const seeded = new Set<string>();
    const spy = jest.spyOn(fs, "readdirSync").mockImplementation(((path: fs.PathLike, options?: { withFileTypes?: boolean }) => {
      const entries = realReaddir(path, { withFileTypes: true });
      if (options?.withFileTypes !== true) return entries.map((e) => e.name);
      if (!runtimeDirs.has(String(path))) return entries;
      seeded.add(String(path));
      return [...entries, ...extra];
    }) as unknown as typeof fs.readdirSync);
    let ctx: BuildContext;
    try {
      ctx = buildContext(base);
    } finally {
      spy.mockRestore();
    }
    expect([...seeded].sort()).toEqual([...runtimeDirs].sort());
    expect(ctx.files.filter((f) => /(^|\/)(__pycache__|tests)\/|\.pyc$/.test(f.path)).map((f) => f.path)).toEqual([]);
    expect(ctx.hash).toBe(baseCtx.hash);
  });

  test("a model folder is copied whole, byte for byte, under model/<folder name>/", () => {
    const folder = join(work.dir, "models", "mymodel");
    const tree: Record<string, Buffer> = {
      "config.json": Buffer.from('{\r\n  "layers": 3\r\n}\r\n'),
      "weights.bin": Buffer.from([0, 13, 10, 255, 1]),
      "tests/holdout.csv": Buffer.from("a,b\r\n1,2\r\n"),
      "sub/tokenizer/vocab.txt": Buffer.from("hello\r\nworld\r\n"),
    };
    for (const [p, content] of Object.entries(tree)) {
      fs.mkdirSync(join(folder, p, ".."), { recursive: true });
      fs.writeFileSync(join(folder, p), content);
    }
    const d = deploymentFrom(withModel({ path: folder }));
    const ctx = buildContext(d);
    const model = ctx.files.filter((f) => f.path.startsWith("model/"));
    expect(model.map((f) => f.path)).toEqual(Object.keys(tree).map((p) => `model/mymodel/${p}`).sort());
    for (const [p, content] of Object.entries(tree)) expect(file(ctx, `model/mymodel/${p}`).equals(content)).toBe(true);
  });
});

describe("determinism", () => {
  test("two runs give the same paths, bytes and hash", () => {
    const again = buildContext(deploymentFrom(defaultConfig()));
    expect(again.files.map((f) => f.path)).toEqual(baseCtx.files.map((f) => f.path));
    expect(changedPaths(again, baseCtx)).toEqual([]);
    expect(again.hash).toBe(baseCtx.hash);
    expect(baseCtx.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hashFiles(baseCtx.files)).toBe(baseCtx.hash);
  });

  test("a CRLF scoring script ships with LF, so it builds the same image as an LF checkout", () => {
    const dir = join(work.dir, "crlf");
    fs.mkdirSync(dir, { recursive: true });
    const lf = fs.readFileSync(SCRIPT, "utf8");
    expect(lf).not.toContain("\r");
    fs.writeFileSync(join(dir, "score.py"), lf.replace(/\n/g, "\r\n"));
    const d = deploymentFrom(withModel({ scoringScript: join(dir, "score.py") }));
    const ctx = buildContext(d);
    expect(text(ctx, "scoring/score.py")).toBe(lf);
    expect(ctx.hash).toBe(baseCtx.hash);
  });

  test("one changed byte of the model changes the hash, and only the model differs", () => {
    const dir = join(work.dir, "model-byte");
    fs.mkdirSync(dir, { recursive: true });
    const bytes = Buffer.from(fs.readFileSync(MODEL));
    const at = bytes.length >> 1;
    bytes[at] = (bytes[at] ?? 0) ^ 1;
    fs.writeFileSync(join(dir, "sklearn_regression_model.pkl"), bytes);
    const d = deploymentFrom(withModel({ path: join(dir, "sklearn_regression_model.pkl") }));
    const ctx = buildContext(d);
    expect(ctx.hash).not.toBe(baseCtx.hash);
    expect(changedPaths(ctx, baseCtx)).toEqual(["model/sklearn_regression_model.pkl"]);
  });

  test("renaming the scoring script (same content) changes the hash and the Dockerfile", () => {
    const dir = join(work.dir, "renamed");
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(SCRIPT, join(dir, "predict.py"));
    const d = deploymentFrom(withModel({ scoringScript: join(dir, "predict.py") }));
    const ctx = buildContext(d);
    expect(ctx.hash).not.toBe(baseCtx.hash);
    expect(changedPaths(ctx, baseCtx)).toEqual(["Dockerfile", "scoring/predict.py", "scoring/score.py"]);
    expect(dockerEnv(text(ctx, "Dockerfile")).MLFUNC_SCORING_SCRIPT).toBe("/home/site/wwwroot/scoring/predict.py");
    expect(file(ctx, "scoring/predict.py").equals(fs.readFileSync(SCRIPT))).toBe(true);
  });

  test("writeBuildContext: <root>/<hash>, same folder twice, files equal context.files, no leftovers", () => {
    const root = join(work.dir, "contexts");
    const first = writeBuildContext(baseCtx, root);
    const written = readTree(first);
    const second = writeBuildContext(buildContext(base), root);
    expect(first).toBe(join(root, baseCtx.hash));
    expect(second).toBe(first);
    expect(fs.readdirSync(root)).toEqual([baseCtx.hash]);
    expect(written.map((f) => f.path)).toEqual(baseCtx.files.map((f) => f.path));
    expect(written.filter((f, i) => !f.content.equals(baseCtx.files[i]?.content ?? Buffer.alloc(0))).map((f) => f.path)).toEqual([]);
    expect(changedPaths({ files: readTree(second), hash: "", withheld: [], allowedNeverShip: [] }, { files: written, hash: "", withheld: [], allowedNeverShip: [] })).toEqual([]);
  });
});

interface PythonReport {
  expected: string;
  modules: Record<string, string>;
  entries: Record<string, string[]>;
  functions: Record<string, { entry: string; outputs: Record<string, string>; returned: { status: number; mimetype: string; body: string } | null }>;
}

describe("the generated context runs under real Python", () => {
  let ctxDir: string;
  let report: PythonReport;

  beforeAll(() => {
    requireTestPackages("these tests");
    ctxDir = writeBuildContext(allCtx, join(work.dir, "python-contexts"));
    const payload = join(work.dir, "seed.json");
    fs.writeFileSync(payload, SEED);
    const run = runContext(ctxDir, payload, work.dir);
    if (run.status !== 0) throw new Error(`run_context.py failed (${String(run.status)}):\n${run.stderr}`);
    report = JSON.parse(run.stdout) as PythonReport;
  });

  test("the runtime and the azureml stand-in are imported from the context", () => {
    expect(report.modules).toEqual({
      mlfunc_runtime: join(ctxDir, "mlfunc_runtime", "__init__.py"),
      "mlfunc_runtime.entry": join(ctxDir, "mlfunc_runtime", "entry.py"),
      "azureml.contrib.services.aml_request": join(ctxDir, "mlfunc_runtime", "standins", "azureml_inference_server_http", "api", "aml_request.py"),
    });
  });

  test("each entry exists and its parameters are the binding names (plus context)", () => {
    expect(report.entries).toEqual({
      http_main: ["req", "context"],
      blob_main: ["inputblob", "outputblob", "context"],
      servicebus_main: ["msg", "context"],
      servicebus_to_queue_main: ["msg", "outmsg", "context"],
    });
    for (const [name, entry] of Object.entries(EXPECTED_ENTRY)) {
      const bindings = (EXPECTED_FUNCTION_JSON[name]?.bindings as Array<{ name: string }>).map((b) => b.name).filter((n) => n !== "$return");
      expect({ name, params: report.entries[entry]?.filter((p) => p !== "context") }).toEqual({ name, params: bindings });
      expect(report.functions[name]?.entry).toBe(entry);
    }
  });

  test("the seed payload's predictions are the model's own", () => {
    const predictions = JSON.parse(report.expected) as number[];
    expect(predictions).toHaveLength(2);
    expect(predictions.every((p) => typeof p === "number" && Number.isFinite(p))).toBe(true);
  });

  test("HTTP functions answer 200 with the model's predictions", () => {
    for (const name of ["predict", "predict-anon"]) {
      expect(report.functions[name]).toEqual({ entry: "http_main", outputs: {}, returned: { status: 200, mimetype: "application/json", body: expect.any(String) } });
      expectSamePredictions(String(report.functions[name]?.returned?.body), report.expected);
    }
  });

  test("blob functions (text and binary) write the model's predictions to outputblob", () => {
    for (const name of ["predict-blob", "predict-blob-bin", "predict-blob-events"]) {
      expect(report.functions[name]).toEqual({ entry: "blob_main", outputs: { outputblob: expect.any(String) }, returned: null });
      expectSamePredictions(String(report.functions[name]?.outputs.outputblob), report.expected);
    }
  });

  test("Service Bus functions send the predictions to outmsg, or just consume", () => {
    expect(report.functions["predict-queue"]).toEqual({ entry: "servicebus_to_queue_main", outputs: { outmsg: expect.any(String) }, returned: null });
    expectSamePredictions(String(report.functions["predict-queue"]?.outputs.outmsg), report.expected);
    expect(report.functions["drain-queue"]).toEqual({ entry: "servicebus_main", outputs: {}, returned: null });
  });
});
