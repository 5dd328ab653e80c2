/**
 * MLflow model folders (one holding an `MLmodel` file): what the image needs from them. The Python
 * comes from `python_env.yaml`, else MLmodel's `python_version`; the requirements from
 * `requirements.txt`, else `conda.yaml` through the conda translator (./conda.ts); `mlflow` is added
 * (config/load.ts) when the image's requirements lack it.
 * MLflow writes all of these into every model folder ("Dependency management in MLflow models",
 * mlflow.org/docs/latest/model/dependencies.html).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { parse } from "yaml";
import type { Problem } from "./problems";
import { droppedWarning, requirementName, translateConda } from "./conda";
import { checkRequirement, modelSource, requirementLines } from "./rules";
import { DEFAULT_PYTHON_VERSION, PYTHON_VERSIONS } from "./schema";

export const MLMODEL = "MLmodel";

/** What an MLflow folder gives the image, read once at the edge. */
export interface MlflowFolder {
  /** The folder's name: the image keeps it, as Azure ML's MLFLOW_MODEL_FOLDER. */
  readonly name: string;
  /** Flavors named in MLmodel, in its order. */
  readonly flavors: readonly string[];
  /** MLmodel's mlflow_version, when it has one. */
  readonly mlflowVersion?: string;
  /** The Python the model was saved with ("3.12"), and the file that says so. */
  readonly python?: { readonly version: string; readonly from: string };
  /** The model's own pip requirement lines ([] when model.environment replaces them), and the file they come from. */
  readonly requirements: readonly string[];
  readonly requirementsFrom?: string;
  /** `mlflow==<the version that saved the model>`: what the image gets when no requirement names mlflow. */
  readonly mlflowPin: string;
}

/** Either provides mlflow.pyfunc. */
export const MLFLOW_PACKAGES: readonly string[] = ["mlflow", "mlflow-skinny"];

export function isMlflowFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory() && statSync(join(path, MLMODEL)).isFile();
  } catch {
    return false;
  }
}

/** A YAML file's content with every scalar a string (so `python: 3.10` stays "3.10"), or why it cannot be read. */
function readYaml(path: string): { value?: unknown; problem?: string } {
  try {
    return { value: parse(readFileSync(path, "utf8"), { schema: "failsafe", version: "1.2" }) };
  } catch (e) {
    return { problem: e instanceof Error ? e.message.split("\n")[0] : String(e) };
  }
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** "3.12" of "3.12.3" or "3.12"; undefined for anything else. */
function minorVersion(value: unknown): string | undefined {
  const m = typeof value === "string" ? /^\s*(\d+)\.(\d+)(\.\d+)?\s*$/.exec(value) : null;
  return m ? `${m[1]}.${m[2]}` : undefined;
}

/**
 * Reads an MLflow folder; `problems` name the file, the rule and the fix. `pythonVersion` is the
 * deployment file's own setting, when it has one: it wins over the model's. Without `ownEnvironment`
 * (model.environment is set) the model's Python and requirements are not used.
 */
export function readMlflowFolder(folder: string, at: string, shown: string, pythonVersion: string | undefined, ownEnvironment: boolean): { folder?: MlflowFolder; problems: Problem[]; warnings: string[] } {
  const problems: Problem[] = [];
  const warnings: string[] = [];
  const report = (message: string, path = at) => problems.push({ path, value: shown, message });
  const mlmodel = readYaml(join(folder, MLMODEL));
  if (mlmodel.problem !== undefined) {
    report(`${MLMODEL} is not readable YAML (${mlmodel.problem}); save the model again with mlflow`);
    return { problems, warnings };
  }
  const flavors = record(record(mlmodel.value).flavors);
  const pyfunc = record(flavors.python_function);
  if (flavors.python_function === undefined) {
    report(
      `${MLMODEL} has no python_function flavor (it has ${Object.keys(flavors).join(", ") || "none"}), so mlflow.pyfunc cannot load it; without a scoring script only pyfunc models are served, as in Azure ML: save it with a flavor that has one, or set model.scoringScript`,
    );
  }

  let python: MlflowFolder["python"];
  const envFile = join(folder, "python_env.yaml");
  if (existsSync(envFile)) {
    const env = readYaml(envFile);
    const version = minorVersion(record(env.value).python);
    if (version !== undefined) python = { version, from: "python_env.yaml" };
  }
  if (python === undefined) {
    const version = minorVersion(pyfunc.python_version);
    if (version !== undefined) python = { version, from: `${MLMODEL} (python_version)` };
  }
  if (python !== undefined && ownEnvironment) {
    const supported = (PYTHON_VERSIONS as readonly string[]).includes(python.version);
    if (pythonVersion !== undefined && pythonVersion !== python.version) {
      warnings.push(`model.pythonVersion "${pythonVersion}" wins over Python ${python.version} of the MLflow model's ${python.from}; check that its requirements install on ${pythonVersion}`);
    } else if (pythonVersion === undefined && !supported) {
      report(
        `the MLflow model was saved with Python ${python.version} (${python.from}), which Azure Functions does not run (supported: ${PYTHON_VERSIONS.join(", ")}); set model.pythonVersion: "${DEFAULT_PYTHON_VERSION}" and check that its requirements install there, or save the model with a supported Python`,
      );
    }
  }

  let lines: string[] | undefined;
  let from: string | undefined;
  const requirementsFile = join(folder, "requirements.txt");
  const condaFile = join(folder, "conda.yaml");
  if (!ownEnvironment) {
    // model.environment gives the image its requirements instead.
  } else if (existsSync(requirementsFile)) {
    from = "requirements.txt";
    const numbered = requirementLines(readFileSync(requirementsFile, "utf8"));
    for (const { line, text } of numbered) checkRequirement(`${at} (line ${line} of ${shown}/${from})`, text, (path, _value, message) => problems.push({ path, value: text, message }));
    lines = numbered.map((l) => l.text);
  } else if (existsSync(condaFile)) {
    from = "conda.yaml";
    const conda = translateConda(readFileSync(condaFile, "utf8"));
    for (const p of conda.problems) report(`${shown}/conda.yaml: ${p}`);
    for (const r of conda.requirements) checkRequirement(`${at} (line ${r.line ?? "?"} of ${shown}/conda.yaml)`, r.text, (path, _value, message) => problems.push({ path, value: r.text, message }));
    lines = conda.requirements.map((r) => r.text);
    // python and pip are always there and never pip requirements: only other drops are news.
    const dropped = droppedWarning({ dropped: conda.dropped.filter((d) => !["python", "pip"].includes(requirementName(d.spec))) });
    if (dropped !== undefined) warnings.push(`model.path: ${shown}/conda.yaml (no requirements.txt): ${dropped}`);
  } else {
    report("the MLflow folder has neither requirements.txt nor conda.yaml; save the model again with mlflow, which writes both, or add requirements.txt to the folder");
  }
  const mlflowVersion = typeof record(mlmodel.value).mlflow_version === "string" ? (record(mlmodel.value).mlflow_version as string) : undefined;
  return {
    folder: {
      name: basename(folder),
      flavors: Object.keys(flavors),
      mlflowVersion,
      python,
      requirements: lines ?? [],
      requirementsFrom: from,
      mlflowPin: mlflowVersion !== undefined && /^[0-9][0-9A-Za-z.+-]*$/.test(mlflowVersion) ? `mlflow==${mlflowVersion}` : "mlflow",
    },
    problems,
    warnings,
  };
}

/** Characters the folder's name may have when mlfunc serves it: it is written into the Dockerfile's ENV line. */
const SAFE_FOLDER_NAME = /^[A-Za-z0-9_.-]+$/;

/**
 * How the model is served: a scoring script, or the MLflow folder `model.path` names when there is
 * none (Azure ML's no-code deployment). Returns the folder, when it is one, and the problems:
 * no scoring script for a model that is not an MLflow folder, and the folder's own.
 */
export function mlflowServing(
  dir: string,
  model: { readonly path?: string; readonly workspace?: string; readonly scoringScript?: string; readonly sourceDir?: string },
  pythonVersion: string | undefined,
  ownEnvironment: boolean,
): { folder?: MlflowFolder; problems: Problem[]; warnings: string[] } {
  // A registered model version is its downloaded folder; one that is not there is model.path's own problem.
  const source = model.path === undefined ? undefined : modelSource(dir, { path: model.path, workspace: model.workspace });
  if (source !== undefined && "problem" in source) return { problems: [], warnings: [] };
  const path = source?.path;
  const noScript = model.scoringScript === undefined;
  if (path === undefined || !isMlflowFolder(path)) {
    const problems: Problem[] = [];
    if (noScript && path !== undefined && existsSync(path)) {
      problems.push({
        path: "model.scoringScript",
        value: undefined,
        message: `required, as model.path is not an MLflow model folder (a folder holding an ${MLMODEL} file); add "scoringScript" (the Azure ML scoring script with init() and run()), or point model.path at the folder mlflow saved`,
      });
    }
    return { problems, warnings: [] };
  }
  const read = readMlflowFolder(path, "model.path", model.path ?? path, pythonVersion, ownEnvironment);
  if (noScript && !SAFE_FOLDER_NAME.test(basename(path))) {
    read.problems.push({ path: "model.path", value: model.path, message: `the MLflow folder's name must be letters, digits, '.', '_' and '-' (the image keeps it and names it in the Dockerfile); rename the folder` });
  }
  if (noScript && model.sourceDir !== undefined) {
    read.problems.push({ path: "model.sourceDir", value: model.sourceDir, message: "sourceDir is the scoring script's folder, and there is no scoringScript; remove sourceDir, or add the script" });
  }
  return read;
}

/**
 * Triggers an MLflow folder served without a scoring script cannot answer: the runtime reads the
 * payload as JSON text, so a binary blob or message gets a 400 every time and is retried until poisoned.
 */
export function mlflowTriggerProblems(functions: readonly { readonly trigger?: { readonly type: string; readonly dataType?: string } }[]): Problem[] {
  return functions.flatMap((f, i) => {
    const t = f.trigger;
    if (t === undefined || t.type === "http" || t.dataType !== "binary") return [];
    const what = t.type === "blob" ? "blob" : "message";
    return [{
      path: `functions[${i}].trigger.dataType`,
      value: t.dataType,
      message: `an MLflow model served without a scoring script reads each ${what} as JSON text, so a binary trigger would fail every ${what} and retry it until it is poisoned; set dataType: text, or add a model.scoringScript whose run() reads bytes`,
    }];
  });
}

/** The synth note that says what the MLflow folder gave the image. */
export function mlflowInfo(model: { readonly mlflow?: MlflowFolder; readonly scoringScript?: string; readonly pythonVersion: string; readonly requirements: readonly string[] }): string | undefined {
  const m = model.mlflow;
  if (m === undefined) return undefined;
  const served = model.scoringScript === undefined ? "served without a scoring script (mlflow.pyfunc)" : "served by the scoring script";
  const python = m.python === undefined ? "" : `; Python ${m.python.version} from ${m.python.from}`;
  const from = m.requirementsFrom === undefined ? "" : `; ${m.requirements.length} requirement${m.requirements.length === 1 ? "" : "s"} from ${m.requirementsFrom}`;
  const added = model.requirements.includes(m.mlflowPin) && !m.requirements.includes(m.mlflowPin) ? `; ${m.mlflowPin} added` : "";
  return `model.path: MLflow model ${m.name} (${m.flavors.join(", ")}), ${served}${python}${from}${added}; the image uses Python ${model.pythonVersion}`;
}
