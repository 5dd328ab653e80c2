/**
 * An MLflow model folder as model.path: the deployment it loads to (Python, requirements, problems),
 * the build context it gives, the synth warning, and `npm run invoke` answering every payload form
 * through the runtime with the mlflow.pyfunc stand-in of runtime/tests/standins.
 */
import { AnnotationMetadataEntryType, TerraformStack } from "cdktf";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { stringify } from "yaml";
import { buildContext } from "../build-context/generate";
import { Deployment, loadDeployment } from "../config/load";
import { DeploymentError } from "../config/problems";
import { buildApp } from "../main";
import { runInContext, contextFor } from "../commands/invoke";
import { Json, ROOT, allowing, defaultConfig, devOnly, scratch } from "./support/synth";
import { PYTHON, requireTestPackages } from "./support/python";

const work = scratch();
afterAll(() => work.cleanup());

const MLMODEL = [
  "flavors:",
  "  python_function:",
  "    loader_module: mlflow.sklearn",
  "    model_path: model.pkl",
  "    python_version: 3.11.2",
  "  sklearn:",
  "    pickled_model: model.pkl",
  "mlflow_version: 2.12.2",
  "",
].join("\n");
const REQUIREMENTS = "mlflow==2.12.2\ncloudpickle==2.2.0\nscikit-learn==1.2.1\n";
const CONDA = ["channels:", "- conda-forge", "dependencies:", "- python=3.11.2", "- pip<=23.0.1", "- pip:", "  - cloudpickle==2.2.0", "  - scikit-learn==1.2.1", "name: mlflow-env", ""].join("\n");

let count = 0;

/** A project folder holding an MLflow model folder `name` with `files` (MLmodel and requirements.txt by default). */
function project(files: Readonly<Record<string, string | undefined>> = {}, name = "diabetes-mlflow"): { dir: string; model: string } {
  const dir = join(work.dir, `p${++count}`);
  const model = join(dir, name);
  mkdirSync(model, { recursive: true });
  const all: Record<string, string | undefined> = { MLmodel: MLMODEL, "requirements.txt": REQUIREMENTS, "python_env.yaml": "python: 3.11.2\n", "model.pkl": "not a real pickle", ...files };
  for (const [file, text] of Object.entries(all)) if (text !== undefined) writeFileSync(join(model, file), text);
  return { dir, model };
}

function config(dir: string, model: Json, edit: (c: Json) => void = () => undefined): string {
  const c = devOnly(defaultConfig());
  c.model = model;
  edit(c);
  c.nameSeed = "test";
  const file = join(dir, "mlfunc.yaml");
  writeFileSync(file, stringify(c));
  return file;
}

function load(files: Readonly<Record<string, string | undefined>> = {}, model: Json = {}, name?: string): Deployment {
  const p = project(files, name);
  return loadDeployment(config(p.dir, { path: name ?? "diabetes-mlflow", ...model }));
}

function problems(files: Readonly<Record<string, string | undefined>>, model: Json = {}, name?: string): string[] {
  try {
    load(files, model, name);
  } catch (e) {
    if (e instanceof DeploymentError) return e.problems.map((p) => `${p.path}: ${p.message}`);
    throw e;
  }
  throw new Error("expected problems");
}

describe("the deployment", () => {
  test("an MLflow folder needs no scoring script; the model's Python and requirements, mlflow kept as pinned", () => {
    const d = load();
    expect(d.model.scoringScript).toBeUndefined();
    expect(d.model.pythonVersion).toBe("3.11");
    expect(d.model.requirements).toEqual(["mlflow==2.12.2", "cloudpickle==2.2.0", "scikit-learn==1.2.1"]);
    expect(d.model.mlflow).toMatchObject({ name: "diabetes-mlflow", flavors: ["python_function", "sklearn"], python: { version: "3.11", from: "python_env.yaml" }, requirementsFrom: "requirements.txt", mlflowPin: "mlflow==2.12.2" });
    expect(d.model.warnings).toEqual([]);
  });

  test("without python_env.yaml, MLmodel's python_version; without requirements.txt, conda.yaml through the conda translator plus mlflow at the saving version", () => {
    const d = load({ "python_env.yaml": undefined, "requirements.txt": undefined, "conda.yaml": CONDA });
    expect(d.model.pythonVersion).toBe("3.11");
    expect(d.model.mlflow?.python).toEqual({ version: "3.11", from: "MLmodel (python_version)" });
    expect(d.model.requirements).toEqual(["cloudpickle==2.2.0", "scikit-learn==1.2.1", "mlflow==2.12.2"]);
    expect(d.model.mlflow?.requirementsFrom).toBe("conda.yaml");
    expect(d.model.warnings).toEqual([]);
  });

  test("mlflow-skinny counts as mlflow; model.requirements come after the model's own", () => {
    const d = load({ "requirements.txt": "mlflow-skinny==2.12.2\nscikit-learn==1.2.1\n" }, { requirements: ["azure-identity==1.19.0"] });
    expect(d.model.requirements).toEqual(["mlflow-skinny==2.12.2", "scikit-learn==1.2.1", "azure-identity==1.19.0"]);
  });

  test("conda.yaml's conda packages translate as in model.environment; what is dropped besides python and pip is a warning", () => {
    const conda = CONDA.replace("- pip<=23.0.1\n", "- pip<=23.0.1\n- numpy=1.26\n- mkl\n");
    const d = load({ "requirements.txt": undefined, "conda.yaml": conda });
    expect(d.model.requirements).toEqual(["numpy==1.26.*", "cloudpickle==2.2.0", "scikit-learn==1.2.1", "mlflow==2.12.2"]);
    expect(d.model.warnings).toHaveLength(1);
    expect(d.model.warnings[0]).toMatch(/^model\.path: diabetes-mlflow\/conda\.yaml \(no requirements\.txt\): dropped 1 of the environment's dependencies: mkl \(/);
  });

  test("model.environment replaces the model's own environment; mlflow is still added when it lacks it", () => {
    const p = project({ "python_env.yaml": "python: 3.10\n" });
    writeFileSync(join(p.dir, "env.yml"), "dependencies:\n- python=3.13\n- pip:\n  - scikit-learn==1.5.2\n");
    const d = loadDeployment(config(p.dir, { path: "diabetes-mlflow", environment: "env.yml" }));
    expect(d.model.pythonVersion).toBe("3.13");
    expect(d.model.requirements).toEqual(["scikit-learn==1.5.2", "mlflow==2.12.2"]);
  });

  test("a Python the model pins that Functions does not run is a problem with the fix; pythonVersion wins with a warning", () => {
    expect(problems({ "python_env.yaml": "python: 3.10\n" })).toEqual([
      'model.path: the MLflow model was saved with Python 3.10 (python_env.yaml), which Azure Functions does not run (supported: 3.11, 3.12, 3.13); set model.pythonVersion: "3.12" and check that its requirements install there, or save the model with a supported Python',
    ]);
    const d = load({ "python_env.yaml": "python: 3.10\n" }, { pythonVersion: "3.12" });
    expect(d.model.pythonVersion).toBe("3.12");
    expect(d.model.warnings).toEqual(['model.pythonVersion "3.12" wins over Python 3.10 of the MLflow model\'s python_env.yaml; check that its requirements install on 3.12']);
  });

  test("model.requirements naming a missing file next to an MLflow folder is a problem, not a crash", () => {
    expect(problems({}, { requirements: "missing.txt" }).filter((p) => p.startsWith("model.requirements"))).toEqual([
      "model.requirements: no such requirements file (paths are relative to the deployment file); fix the path or list the packages inline",
    ]);
  });

  test("a folder without MLmodel still needs a scoring script", () => {
    expect(problems({ MLmodel: undefined })).toEqual([
      'model.scoringScript: required, as model.path is not an MLflow model folder (a folder holding an MLmodel file); add "scoringScript" (the Azure ML scoring script with init() and run()), or point model.path at the folder mlflow saved',
    ]);
  });

  test("without a scoring script a binary blob or Service Bus trigger is refused: the model reads JSON text", () => {
    const binary = (c: Json) => {
      for (const f of c.functions as { trigger: Json }[]) if (f.trigger.type !== "http") f.trigger.dataType = "binary";
    };
    const p = project();
    let thrown: unknown;
    try {
      loadDeployment(config(p.dir, { path: "diabetes-mlflow" }, binary));
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(DeploymentError);
    expect((thrown as DeploymentError).problems.map((x) => `${x.path}: ${x.message}`)).toEqual([
      "functions[1].trigger.dataType: an MLflow model served without a scoring script reads each blob as JSON text, so a binary trigger would fail every blob and retry it until it is poisoned; set dataType: text, or add a model.scoringScript whose run() reads bytes",
      "functions[2].trigger.dataType: an MLflow model served without a scoring script reads each message as JSON text, so a binary trigger would fail every message and retry it until it is poisoned; set dataType: text, or add a model.scoringScript whose run() reads bytes",
    ]);
    // A scoring script reads the bytes itself.
    writeFileSync(join(p.dir, "score.py"), "def init():\n    pass\n\n\ndef run(data):\n    return len(data)\n");
    const d = loadDeployment(config(p.dir, { path: "diabetes-mlflow", scoringScript: "score.py" }, binary));
    expect(d.functions.filter((f) => f.trigger.type !== "http").map((f) => "dataType" in f.trigger && f.trigger.dataType)).toEqual(["binary", "binary"]);
  });

  test("every problem of the folder at once", () => {
    expect(
      problems(
        { MLmodel: "flavors:\n  tensorflow:\n    saved_model_dir: tf\n", "requirements.txt": undefined, "python_env.yaml": undefined },
        { sourceDir: "src" },
        "my model",
      ),
    ).toEqual([
      "model.path: MLmodel has no python_function flavor (it has tensorflow), so mlflow.pyfunc cannot load it; without a scoring script only pyfunc models are served, as in Azure ML: save it with a flavor that has one, or set model.scoringScript",
      "model.path: the MLflow folder has neither requirements.txt nor conda.yaml; save the model again with mlflow, which writes both, or add requirements.txt to the folder",
      "model.path: the MLflow folder's name must be letters, digits, '.', '_' and '-' (the image keeps it and names it in the Dockerfile); rename the folder",
      "model.sourceDir: sourceDir is the scoring script's folder, and there is no scoringScript; remove sourceDir, or add the script",
    ]);
  });

  test("the model's requirement lines pass the same rules as the file's, and a package both list is refused", () => {
    expect(problems({ "requirements.txt": "mlflow==2.12.2\n-r other.txt\nhttps://user:secret@example.com/pkg.whl\n" }, { requirements: ["MLflow>=2"] })).toEqual([
      "model.path (line 2 of diabetes-mlflow/requirements.txt): includes of other requirement files are not copied into the image; list their packages in this file instead",
      "model.path (line 3 of diabetes-mlflow/requirements.txt): a credential in a URL would be baked into the image; use an index that needs none, or pass pip credentials as a Docker build secret outside the file",
      'model.requirements: the MLflow model\'s requirements.txt already has "mlflow==2.12.2"; list each package once: remove it here, or change the model\'s own pin',
    ]);
  });
});

describe("the build context", () => {
  test("serves the folder from its place under AZUREML_MODEL_DIR, on the model's Python, installing the model's pins", () => {
    const ctx = buildContext(load());
    const text = (path: string) => ctx.files.find((f) => f.path === path)?.content.toString("utf8");
    const dockerfile = text("Dockerfile") ?? "";
    expect(dockerfile).toContain("FROM --platform=linux/amd64 mcr.microsoft.com/azure-functions/python:4-python3.11\n");
    expect(dockerfile).toContain("    AZUREML_MODEL_DIR=/home/site/wwwroot/model \\\n    MLFUNC_MLFLOW_MODEL=/home/site/wwwroot/model/diabetes-mlflow \\\n");
    expect(dockerfile).not.toContain("MLFUNC_SCORING_SCRIPT");
    expect(text("requirements.txt")).toBe("mlflow==2.12.2\ncloudpickle==2.2.0\nscikit-learn==1.2.1\nazure-functions\n");
    expect(ctx.files.filter((f) => f.path.startsWith("scoring/"))).toEqual([]);
    expect(ctx.files.map((f) => f.path).filter((p) => p.startsWith("model/"))).toEqual(
      ["MLmodel", "model.pkl", "python_env.yaml", "requirements.txt"].map((f) => `model/diabetes-mlflow/${f}`),
    );
  });

  test("a registered model keeps Azure ML's azureml-models/<name>/<version>/<folder> layout", () => {
    const ctx = buildContext(load({}, { name: "diabetes", version: 3 }));
    const dockerfile = ctx.files.find((f) => f.path === "Dockerfile")?.content.toString("utf8") ?? "";
    expect(dockerfile).toContain("    AZUREML_MODEL_DIR=/home/site/wwwroot/azureml-models/diabetes/3 \\\n    MLFUNC_MLFLOW_MODEL=/home/site/wwwroot/azureml-models/diabetes/3/diabetes-mlflow \\\n");
    expect(ctx.files.some((f) => f.path === "azureml-models/diabetes/3/diabetes-mlflow/MLmodel")).toBe(true);
  });

  test("a registered model version that is an MLflow folder is served like a local one, in its azureml-models place", () => {
    const p = project();
    const cached = join(p.dir, ".mlfunc", "models", "registries", "shared", "diabetes", "4", "model");
    mkdirSync(cached, { recursive: true });
    renameSync(p.model, join(cached, "diabetes-mlflow"));
    const d = loadDeployment(config(p.dir, { path: "azureml://registries/shared/models/diabetes/versions/4" }));
    expect(d.model.scoringScript).toBeUndefined();
    expect(d.model.mlflow?.name).toBe("diabetes-mlflow");
    const dockerfile = buildContext(d).files.find((f) => f.path === "Dockerfile")?.content.toString("utf8") ?? "";
    expect(dockerfile).toContain("    MLFUNC_MLFLOW_MODEL=/home/site/wwwroot/azureml-models/diabetes/4/diabetes-mlflow \\\n");
    expect(dockerfile).toContain("python:4-python3.11\n");
  });

  test("with a scoring script the script serves the model, on the model's environment", () => {
    const p = project();
    writeFileSync(join(p.dir, "score.py"), "def init():\n    pass\n\n\ndef run(data):\n    return data\n");
    const ctx = buildContext(loadDeployment(config(p.dir, { path: "diabetes-mlflow", scoringScript: "score.py" })));
    const dockerfile = ctx.files.find((f) => f.path === "Dockerfile")?.content.toString("utf8") ?? "";
    expect(dockerfile).toContain("    MLFUNC_SCORING_SCRIPT=/home/site/wwwroot/scoring/score.py \\\n");
    expect(dockerfile).not.toContain("MLFUNC_MLFLOW_MODEL");
    expect(dockerfile).toContain("python:4-python3.11\n");
    expect(ctx.files.find((f) => f.path === "requirements.txt")?.content.toString("utf8")).toBe(`${REQUIREMENTS}azure-functions\n`);
  });
});

test("synth notes what the MLflow folder gave the image", () => {
  const p = project({ "requirements.txt": "cloudpickle==2.2.0\nscikit-learn==1.2.1\n" });
  const file = config(p.dir, { path: "diabetes-mlflow" });
  const app = buildApp({ config: file, outdir: join(p.dir, "out"), contextsDir: join(p.dir, "contexts") });
  // The environment stacks; the image stack has notes of its own (base image, withheld files).
  const stacks = app.node.children.filter((c): c is TerraformStack => c instanceof TerraformStack && !c.node.id.endsWith("-image"));
  expect(stacks.map((s) => s.node.metadata.filter((m) => m.type === AnnotationMetadataEntryType.INFO).map((m) => String(m.data)))).toEqual([
    ["model.path: MLflow model diabetes-mlflow (python_function, sklearn), served without a scoring script (mlflow.pyfunc); Python 3.11 from python_env.yaml; 2 requirements from requirements.txt; mlflow==2.12.2 added; the image uses Python 3.11"],
  ]);
});

test("synth shows a pythonVersion that overrides the model's on every stack", () => {
  const p = project({ "python_env.yaml": "python: 3.10.4\n" });
  const file = config(p.dir, { path: "diabetes-mlflow", pythonVersion: "3.12" });
  const app = buildApp({ config: file, outdir: join(p.dir, "out"), contextsDir: join(p.dir, "contexts") });
  // The environment stacks; the image stack has notes of its own (base image, withheld files).
  const stacks = app.node.children.filter((c): c is TerraformStack => c instanceof TerraformStack && !c.node.id.endsWith("-image"));
  expect(stacks.map((s) => s.node.metadata.filter((m) => m.type === AnnotationMetadataEntryType.WARN).map((m) => String(m.data)).filter((w) => w.startsWith("model.pythonVersion")))).toEqual([
    ['model.pythonVersion "3.12" wins over Python 3.10 of the MLflow model\'s python_env.yaml; check that its requirements install on 3.12'],
  ]);
});

describe("npm run invoke on an MLflow folder, through the mlflow.pyfunc stand-in", () => {
  requireTestPackages("the MLflow invoke tests");
  const dir = join(work.dir, "invoke");
  let deployment: Deployment;
  let shared: string;
  beforeAll(() => {
    mkdirSync(dir, { recursive: true });
    const made = spawnSync(PYTHON, ["-c", "import sys; from tests import mlflow_fixture; mlflow_fixture.make_model(sys.argv[1])", join(dir, "model")], { cwd: join(ROOT, "runtime"), encoding: "utf8" });
    if (made.status !== 0) throw new Error(made.stderr);
    const c = allowing(devOnly(defaultConfig()), dir);
    c.model = { path: "model" };
    c.functions = [
      { name: "predict", trigger: { type: "http" } },
      { name: "predict-blob", trigger: { type: "blob", inputPath: "input/{name}.json", outputPath: "output/{name}.json" } },
      { name: "predict-queue", trigger: { type: "serviceBus", queue: "inqueue", outputQueue: "outqueue" } },
    ];
    writeFileSync(join(dir, "mlfunc.yaml"), stringify(c));
    deployment = loadDeployment(join(dir, "mlfunc.yaml"));
    shared = contextFor(deployment, undefined, join(dir, "contexts"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const rows = [
    [0.0380759064334241, 0.0506801187398187, 0.0616962065186885, 0.0218723549949558, -0.0442234984244464, -0.0348207628376986, -0.0434008456520269, -0.00259226199818282, 0.0199084208763183, -0.0176461251598052],
    [-0.00188201652779104, -0.044641636506989, -0.0514740612388061, -0.0263278347173518, -0.00844872411121698, -0.019163339748222, 0.0744115640787594, -0.0394933828740919, -0.0683297436244215, -0.09220404962683],
  ];
  const columns = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"];

  function answer(fn: string, payload: Json): { status: number | null; stdout: string; stderr: string } {
    const input = join(dir, `${fn}-${++count}.json`);
    writeFileSync(input, JSON.stringify(payload));
    const standins = join(ROOT, "runtime", "tests", "standins");
    const saved = process.env.PYTHONPATH;
    process.env.PYTHONPATH = [saved, standins].filter(Boolean).join(delimiter);
    try {
      return runInContext(deployment, { functionName: fn, input, out: join(dir, "out") }, shared, "pipe");
    } finally {
      if (saved === undefined) delete process.env.PYTHONPATH;
      else process.env.PYTHONPATH = saved;
    }
  }

  /** The estimator's own predictions for `rows`, from the pickle the folder holds. */
  function reference(): number[] {
    const r = spawnSync(PYTHON, ["-c", "import json, pickle, sys, pandas as pd\nm = pickle.load(open(sys.argv[1], 'rb'))\nprint(json.dumps(m.predict(pd.DataFrame(json.loads(sys.argv[2]), columns=json.loads(sys.argv[3]))).tolist()))", join(dir, "model", "model.pkl"), JSON.stringify(rows), JSON.stringify(columns)], { encoding: "utf8" });
    return JSON.parse(r.stdout) as number[];
  }

  function expectClose(actual: unknown): void {
    const want = reference();
    expect(Array.isArray(actual)).toBe(true);
    const got = actual as number[];
    expect(got).toHaveLength(want.length);
    got.forEach((g, i) => expect(Math.abs(g - (want[i] ?? NaN))).toBeLessThanOrEqual(1e-9 * Math.abs(want[i] ?? 0)));
  }

  const split = { columns, index: [0, 1], data: rows };
  const records = rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]])));

  test.each([
    ["input_data (split frame)", { input_data: split }, false],
    ["dataframe_split", { dataframe_split: split }, true],
    ["dataframe_records", { dataframe_records: records }, true],
  ])("HTTP: %s", (_name, payload, wrapped) => {
    const r = answer("predict", payload);
    expect(r.status).toBe(0);
    const [status, body = ""] = r.stdout.split("\n", 2);
    expect(status).toBe("HTTP 200");
    const parsed = JSON.parse(body) as unknown;
    expectClose(wrapped ? (parsed as { predictions: unknown }).predictions : parsed);
  });

  test("blob and Service Bus answer as HTTP does", () => {
    const blob = answer("predict-blob", { input_data: split });
    expect(blob.status).toBe(0);
    expectClose(JSON.parse(readFileSync(blob.stdout.trim(), "utf8")) as unknown);
    const queue = answer("predict-queue", { dataframe_split: split });
    expect(queue.stdout.split("\n")[0]).toBe("Service Bus output for queue outqueue:");
    expectClose((JSON.parse(queue.stdout.split("\n")[1] ?? "") as { predictions: unknown }).predictions);
  });

  test("a missing column is a 400 naming it, and invoke exits 1", () => {
    const r = answer("predict", { dataframe_split: { columns: columns.slice(1), data: rows.map((x) => x.slice(1)) } });
    expect(r.status).toBe(1);
    const [status, body = ""] = r.stdout.split("\n", 2);
    expect({ status, body: JSON.parse(body) as unknown }).toEqual({
      status: "HTTP 400",
      body: { error: { code: "InvalidInput", message: "the input lacks column 'age', which the model's signature requires (it expects age, sex, bmi, bp, s1, s2, s3, s4, s5, s6)" } },
    });
  });
});
