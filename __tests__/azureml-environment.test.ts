/**
 * model.environment end to end: Azure ML's model-1 example (its score.py, model folder and conda
 * file, unchanged) synthesizes, its image requirements parse under pip's own parser, and the
 * validation rules around environment files.
 */
import { spawnSync } from "node:child_process";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { stringify } from "yaml";
import { buildApp, checkApp, formatAnnotation } from "../main";
import { loadDeployment } from "../config/load";
import { DeploymentError } from "../config/problems";
import { buildContext, writeBuildContext } from "../build-context/generate";
import { PYTHON, requireTestPackages } from "./support/python";
import { Json, scratch } from "./support/synth";

const MODEL_1 = join(__dirname, "fixtures", "azureml-examples", "model-1");
const work = scratch();
afterAll(() => work.cleanup());

let count = 0;
/** model-1 copied into its own scratch folder, with the deployment file changed by `edit`. */
function model1(edit: (c: Json) => void = () => undefined, files: Record<string, string> = {}): string {
  const dir = join(work.dir, `model-1-${++count}`);
  cpSync(MODEL_1, dir, { recursive: true });
  const file = join(dir, "mlfunc.yaml");
  if (edit.length > 0 || Object.keys(files).length > 0) {
    const { parse } = require("yaml") as typeof import("yaml");
    const c = parse(readFileSync(file, "utf8")) as Json;
    edit(c);
    writeFileSync(file, stringify(c));
  }
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return file;
}

function problems(file: string): string[] {
  try {
    loadDeployment(file);
  } catch (e) {
    if (e instanceof DeploymentError) return e.message.split("\n").slice(1);
    throw e;
  }
  throw new Error("expected problems, got a valid file");
}

const model = (c: Json) => c.model as Json;

describe("Azure ML's model-1 with model.environment", () => {
  const file = model1();
  const deployment = loadDeployment(file);
  const context = buildContext(deployment);
  const text = (path: string) => context.files.find((f) => f.path === path)?.content.toString("utf8");

  test("the conda file's python=3.12 picks the base image", () => {
    expect(deployment.model.pythonVersion).toBe("3.12");
    expect(text("Dockerfile")).toContain("FROM --platform=linux/amd64 mcr.microsoft.com/azure-functions/python:4-python3.12\n");
  });

  test("the build context's requirements.txt is the translation, marked as such", () => {
    expect(text("requirements.txt")).toBe(
      [
        '# the first 5 line(s): model.environment "environment/conda.yaml", translated from conda (docs/azureml-inputs.md)',
        "numpy==2.3.1.*",
        "scikit-learn==1.7.0.*",
        "scipy==1.16.0.*",
        "inference-schema[numpy-support]",
        "joblib",
        "azure-functions",
        "",
      ].join("\n"),
    );
  });

  test("every requirement line parses under pip's own requirement parser", () => {
    const lines = (text("requirements.txt") ?? "").split("\n").filter((l) => l !== "" && !l.startsWith("#"));
    const check = [
      "import json, sys",
      "try:",
      "    from pip._vendor.packaging.requirements import Requirement",
      "except ImportError:",
      "    from packaging.requirements import Requirement",
      "print(json.dumps([[r.name, str(r.specifier), sorted(r.extras)] for r in map(Requirement, sys.argv[1:])]))",
    ].join("\n");
    const r = spawnSync(PYTHON, ["-c", check, ...lines], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual([
      ["numpy", "==2.3.1.*", []],
      ["scikit-learn", "==1.7.0.*", []],
      ["scipy", "==1.16.0.*", []],
      ["inference-schema", "", ["numpy-support"]],
      ["joblib", "", []],
      ["azure-functions", "", []],
    ]);
  });

  test("the model folder lands where score.py looks: $AZUREML_MODEL_DIR/model/sklearn_regression_model.pkl", () => {
    expect(text("Dockerfile")).toContain("AZUREML_MODEL_DIR=/home/site/wwwroot/model ");
    expect(context.files.map((f) => f.path)).toContain("model/model/sklearn_regression_model.pkl");
    expect(context.files.map((f) => f.path)).toContain("scoring/score.py");
  });

  test("synth writes the stack, and says what the environment became", () => {
    const outdir = join(work.dir, "model-1-out");
    const app = buildApp({ config: file, outdir, contextsDir: join(work.dir, "model-1-contexts") });
    const lines = checkApp(app).map(formatAnnotation);
    expect(lines).toContain(
      "INFO [model1-dev]: model.environment environment/conda.yaml gives the image 5 requirements: numpy==2.3.1.*, scikit-learn==1.7.0.*, scipy==1.16.0.*, inference-schema[numpy-support], joblib",
    );
    expect(lines).toContain(
      "WARN [model1-dev]: model.environment: dropped 3 of the environment's dependencies: python=3.12 (the Functions base image provides Python); pip=25.1.1 (the base image has its own); azureml-inference-server-http==1.4.1 (Azure ML's HTTP server: mlfunc's runtime serves its role, and it would add Flask and gunicorn to the image)",
    );
    app.synth();
    const stack = JSON.parse(readFileSync(join(outdir, "stacks", "model1-dev", "cdk.tf.json"), "utf8")) as Json;
    expect(Object.keys((stack.resource as Json).azurerm_linux_function_app as Json)).toHaveLength(1);
  });

  test("the scoring script answers the sample request from the written context, unchanged", () => {
    requireTestPackages("the model-1 invoke test");
    const ctx = writeBuildContext(context, join(work.dir, "model-1-run"));
    const r = spawnSync(
      PYTHON,
      ["-m", "mlfunc_runtime.local", "--function", "predict", "--trigger", "http", "--script", join(ctx, "scoring", "score.py"), "--model-dir", join(ctx, "model"), "--input", join(MODEL_1, "sample-request.json")],
      { cwd: ctx, encoding: "utf8", env: { PATH: process.env.PATH ?? "", PYTHONPATH: ctx, PYTHONDONTWRITEBYTECODE: "1", PYTHONWARNINGS: "ignore" } },
    );
    expect(r.status).toBe(0);
    const [status, body] = r.stdout.split("\n");
    expect(status).toBe("HTTP 200");
    const predictions = JSON.parse(body ?? "") as number[];
    expect(predictions).toHaveLength(2);
    // The model's own answer for the first row, computed once with joblib from the pickle.
    expect(predictions[0]).toBeCloseTo(11055.97724553, 4);
  });
});

describe("environment rules", () => {
  test("requirements naming a conda file is a problem pointing to model.environment", () => {
    const file = model1((c) => {
      delete model(c).environment;
      model(c).requirements = "environment/conda.yaml";
    });
    expect(problems(file)).toEqual([
      '  model.requirements (line 7): "environment/conda.yaml" — is a conda or Azure ML environment file, which pip cannot read; name it as model.environment: "environment/conda.yaml" (translated to pip requirements) and remove model.requirements',
    ]);
  });

  test("a conda file with another name is recognised by its keys", () => {
    const file = model1(
      (c) => {
        delete model(c).environment;
        model(c).requirements = "deps.txt";
      },
      { "deps.txt": "name: x\ndependencies:\n  - numpy\n" },
    );
    expect(problems(file)).toEqual([
      '  model.requirements (line 7): "deps.txt" — is a conda or Azure ML environment file, which pip cannot read; name it as model.environment: "deps.txt" (translated to pip requirements) and remove model.requirements',
    ]);
  });

  test("environment and requirements merge, environment first", () => {
    const file = model1((c) => {
      model(c).requirements = ["pandas==2.2.3"];
    });
    expect(loadDeployment(file).model.requirements).toEqual(["numpy==2.3.1.*", "scikit-learn==1.7.0.*", "scipy==1.16.0.*", "inference-schema[numpy-support]", "joblib", "pandas==2.2.3"]);
  });

  test("a project in both is refused, naming the environment's spec", () => {
    const file = model1((c) => {
      model(c).requirements = ["pandas", "NumPy>=2"];
    });
    expect(problems(file)).toEqual(['  model.requirements[1] (line 10): "NumPy>=2" — numpy is also in model.environment (numpy=2.3.1); keep one of the two']);
  });

  test("an unsupported python pin without pythonVersion is a problem naming the file, the pin, the versions and the fix", () => {
    const file = model1(() => undefined, { "environment/conda.yaml": "name: e\ndependencies:\n  - python=3.10\n  - pip:\n    - joblib\n" });
    expect(problems(file)).toEqual([
      '  model.environment (line 7): "environment/conda.yaml" — environment/conda.yaml pins python=3.10, and Azure Functions runs Python 3.11, 3.12, 3.13; set model.pythonVersion: "3.12" (it wins over the pin; check that the packages install on it) or change the pin',
    ]);
  });

  test("pythonVersion wins over the pin, with a warning naming both", () => {
    const file = model1((c) => {
      model(c).pythonVersion = "3.11";
    });
    const app = buildApp({ config: file, dryRun: true, contextsDir: join(work.dir, "ctx-py") });
    expect(checkApp(app).map(formatAnnotation)).toContain(
      'WARN [model1-dev]: model.environment pins python=3.12, model.pythonVersion is "3.11": the image uses Python 3.11; check that the packages install on it',
    );
    expect(loadDeployment(file).model.pythonVersion).toBe("3.11");
  });

  test("the pin chooses among supported versions: a range takes the newest it allows", () => {
    const file = model1(() => undefined, { "environment/conda.yaml": "dependencies:\n  - python>=3.9,<3.12\n  - numpy\n" });
    expect(loadDeployment(file).model.pythonVersion).toBe("3.11");
  });

  test("environment lines go through the requirement rules, with the conda file's line", () => {
    const file = model1(() => undefined, {
      "environment/conda.yaml": "dependencies:\n  - numpy\n  - pip:\n    - -e ../mypkg\n    - https://user:secret@example.org/pkg.whl\n",
    });
    expect(problems(file)).toEqual([
      '  model.environment (line 4 of environment/conda.yaml): "-e ../mypkg" — editable installs are not in the image; publish the package to an index pip can reach, or vendor it into model.sourceDir',
      '  model.environment (line 5 of environment/conda.yaml): "https://***@example.org/pkg.whl" — a credential in a URL would be baked into the image; use an index that needs none, or pass pip credentials as a Docker build secret outside the file',
    ]);
  });

  test("an Azure ML environment YAML: its conda_file is read next to it and its image is replaced, with a note", () => {
    const file = model1(
      (c) => {
        model(c).environment = "environment/env.yml";
      },
      { "environment/env.yml": "$schema: https://azuremlschemas.azureedge.net/latest/environment.schema.json\nname: model-env\nimage: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04\nconda_file: conda.yaml\n" },
    );
    const d = loadDeployment(file);
    expect(d.model.environment?.condaFile).toBe("environment/conda.yaml");
    expect(d.model.requirements[0]).toBe("numpy==2.3.1.*");
    const app = buildApp({ config: file, dryRun: true, contextsDir: join(work.dir, "ctx-env") });
    const lines = checkApp(app).map(formatAnnotation);
    expect(lines).toContain("INFO [model1-dev]: model.environment: image mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04 is replaced by the Azure Functions Python base image");
    expect(lines.some((l) => l.startsWith("INFO [model1-dev]: model.environment environment/env.yml (conda_file environment/conda.yaml) gives the image 5 requirements"))).toBe(true);
  });

  test("a missing environment file is a problem", () => {
    const file = model1((c) => {
      model(c).environment = "nope.yml";
    });
    expect(problems(file)).toEqual(['  model.environment (line 7): "nope.yml" — no such file (paths are relative to the file that names them); fix the path']);
  });

  test("the top-level import warning reads the translated list and says so", () => {
    const file = model1(() => undefined, {
      "environment/conda.yaml": "dependencies:\n  - python=3.12\n  - pip:\n    - joblib\n",
      "onlinescoring/score.py": "from inference_schema.schema_decorators import input_schema\n\ndef init():\n    pass\n\ndef run(data):\n    return data\n",
    });
    const app = buildApp({ config: file, dryRun: true, contextsDir: join(work.dir, "ctx-imports") });
    expect(checkApp(app).map(formatAnnotation)).toContain(
      'WARN [model1-dev]: model.scoringScript: score.py imports inference_schema at top level, but neither model.requirements nor model.environment (environment/conda.yaml, as translated) lists inference-schema; every call would fail with ScriptLoadFailed. Add "inference-schema" to the requirements',
    );
    expect(relative(work.dir, file)).toMatch(/^model-1-\d+\/mlfunc\.yaml$/);
  });
});
