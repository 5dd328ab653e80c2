/**
 * `npm run invoke -- <function-name> <input-file> [--env <env>] [--out <dir>]`: runs one function
 * locally through the same runtime the image uses, with the local python3 and the local model.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { Deployment, loadDeployment } from "../config/load";
import { DeploymentError } from "../config/problems";
import { PROJECT_ROOT } from "../build-context/generate";

export interface InvokeArgs {
  readonly functionName: string;
  readonly input: string;
  readonly env?: string;
  readonly out: string;
}

export class UsageError extends Error {}

const USAGE = "usage: npm run invoke -- <function-name> <input-file> [--env <env>] [--out <dir>]";

export function parseInvokeArgs(argv: readonly string[]): InvokeArgs {
  const positional: string[] = [];
  let env: string | undefined;
  let out = "out";
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--env" || arg === "--out") {
      const value = argv[++i];
      if (value === undefined) throw new UsageError(`${arg} needs a value; ${USAGE}`);
      if (arg === "--env") env = value;
      else out = value;
    } else if (arg.startsWith("--")) throw new UsageError(`unknown option "${arg}"; ${USAGE}`);
    else positional.push(arg);
  }
  if (positional.length !== 2) throw new UsageError(USAGE);
  const [functionName = "", input = ""] = positional;
  return { functionName, input, env, out };
}

/** The `python -m mlfunc_runtime.local` arguments for one function of the deployment. */
export function runtimeArgs(deployment: Deployment, args: InvokeArgs): string[] {
  const fn = deployment.functions.find((f) => f.name === args.functionName);
  if (!fn) {
    throw new UsageError(`no function "${args.functionName}" in ${deployment.file}; the functions are: ${deployment.functions.map((f) => f.name).join(", ")}`);
  }
  if (args.env !== undefined && !deployment.environments.some((e) => e.name === args.env)) {
    throw new UsageError(`no environment "${args.env}"; the environments are: ${deployment.environments.map((e) => e.name).join(", ")}`);
  }
  if (!existsSync(args.input)) throw new UsageError(`input file "${args.input}" does not exist`);
  const t = fn.trigger;
  const common = [
    "-m", "mlfunc_runtime.local",
    "--function", fn.name,
    "--trigger", t.type,
    "--script", deployment.model.scoringScript,
    // AZUREML_MODEL_DIR is the folder that holds the model file or folder, as in the image.
    "--model-dir", dirname(deployment.model.path),
    "--input", args.input,
    "--out", args.out,
  ];
  switch (t.type) {
    case "http":
      return common;
    case "blob":
      return [...common, "--data-type", t.dataType, "--input-path", t.inputPath, "--output-path", t.outputPath];
    case "serviceBus":
      return [...common, ...(t.outputQueue === undefined ? [] : ["--output-queue", t.outputQueue])];
  }
}

export function pythonInterpreter(): string {
  return process.env.MLFUNC_PYTHON ?? "python3";
}

/** Runs the function; returns the exit code (0 ok, 1 failed invocation, 2 bad input). */
export function invoke(argv: readonly string[]): number {
  let deployment: Deployment;
  let pyArgs: string[];
  try {
    const args = parseInvokeArgs(argv);
    deployment = loadDeployment();
    pyArgs = runtimeArgs(deployment, args);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`invoke: ${e.message}\n`);
      return 2;
    }
    if (e instanceof DeploymentError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const python = pythonInterpreter();
  const version = spawnSync(python, ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"], { encoding: "utf8" });
  if (version.error || version.status !== 0) {
    process.stderr.write(`invoke: cannot run Python "${python}": install Python ${deployment.model.pythonVersion} or set MLFUNC_PYTHON to an interpreter with the model's requirements\n`);
    return 2;
  }
  const local = version.stdout.trim();
  if (local !== deployment.model.pythonVersion) {
    process.stderr.write(`invoke: note: local Python is ${local}, the image uses ${deployment.model.pythonVersion}\n`);
  }
  const pythonPath = [join(PROJECT_ROOT, "runtime"), process.env.PYTHONPATH].filter(Boolean).join(delimiter);
  const run = spawnSync(python, pyArgs, { stdio: "inherit", env: { ...process.env, PYTHONPATH: pythonPath } });
  return run.status ?? 1;
}

if (require.main === module) {
  process.exitCode = invoke(process.argv.slice(2));
}
