/** Runs a generated build context under real Python, as the Functions worker would load it. */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./synth";
import { choosePython, describePython, pythonVersion, testPythonProblem } from "../../commands/python";

/** The Python the tests run, by the same rule as invoke and bench (commands/python.ts). */
export const PYTHON = choosePython().command;

/**
 * Fails, naming the fix, unless PYTHON has scikit-learn, joblib and numpy (the runtime tests' own check).
 * The modules are looked up, not imported: importing scikit-learn costs a second of CPU, and the test's
 * own run imports them anyway.
 */
export function requireTestPackages(who: string): void {
  const problem = testPythonProblem(choosePython(), who);
  if (problem !== undefined) throw new Error(problem);
}

/**
 * The model's predictions for the payload's `data`, as JSON text, computed straight from the pickle
 * (joblib and numpy, no mlfunc code): the reference a scoring run is compared with. One scikit-learn
 * import, about a second of CPU: compute it once per suite.
 */
export function referencePredictions(modelFile: string, payloadFile: string): string {
  const r = spawnSync(
    PYTHON,
    ["-c", "import json, sys, joblib, numpy; print(json.dumps(joblib.load(sys.argv[1]).predict(numpy.array(json.load(open(sys.argv[2]))['data'])).tolist()))", modelFile, payloadFile],
    { encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`cannot compute the reference predictions:\n${r.stderr}`);
  return r.stdout.trim();
}

/**
 * What invoke itself writes to stderr before it starts the runtime, when the tests pass PYTHON as
 * MLFUNC_PYTHON: the Python the one rule picked, then a note only when its version is not the image's.
 */
export function invokePreamble(imageVersion: string): string {
  const choice = { command: PYTHON, reason: "MLFUNC_PYTHON" };
  const version = pythonVersion(choice);
  const local = (version ?? "").split(".").slice(0, 2).join(".");
  return `${describePython(choice, version)}\n` + (local === imageVersion ? "" : `invoke: note: local Python is ${local}, the image uses ${imageVersion}\n`);
}

/**
 * Predictions, as JSON text, equal the reference within the runtime tests' PREDICTION_RTOL (1e-9
 * relative): BLAS rounding differs between processes, builds and CPUs; a changed model does not hide in it.
 */
export function expectSamePredictions(actualJson: string, expectedJson: string): void {
  const actual = JSON.parse(actualJson) as unknown;
  const expected = JSON.parse(expectedJson) as number[];
  expect(Array.isArray(actual) && actual.length === expected.length).toBe(true);
  (actual as unknown[]).forEach((value, i) => {
    const want = expected[i] ?? Number.NaN;
    expect(typeof value).toBe("number");
    expect(Math.abs((value as number) - want)).toBeLessThanOrEqual(1e-9 * Math.abs(want));
  });
}

/**
 * Imports each function folder of `contextDir` and calls its `main` with fake azure.functions
 * objects for `payload`; prints a JSON report (see fixtures/build-context/run_context.py).
 */
export function runContext(contextDir: string, payload: string, scratchDir: string): SpawnSyncReturns<string> {
  const fake = join(scratchDir, "fake-azure-functions");
  mkdirSync(fake, { recursive: true });
  copyFileSync(join(ROOT, "runtime", "tests", "fake_azure_functions.py"), join(fake, "fake_azure_functions.py"));
  return spawnSync(PYTHON, [join(ROOT, "__tests__", "fixtures", "build-context", "run_context.py"), contextDir, payload], {
    encoding: "utf8",
    env: {
      PATH: process.env.PATH ?? "",
      PYTHONPATH: [contextDir, fake].join(":"),
      PYTHONDONTWRITEBYTECODE: "1",
      MLFUNC_SCORING_SCRIPT: join(contextDir, "scoring", "score.py"),
      AZUREML_MODEL_DIR: join(contextDir, "model"),
    },
  });
}
