/**
 * `npm run invoke -- <function-name> <input-file> [--env <env>] [--out <dir>]`, or
 * `npm run invoke -- <function-name> --swagger [--version 2|3|3.1]`: runs one function
 * locally with the Python that ./python.ts picks, from the environment's generated build context: the same runtime,
 * script, model and files that the image gets, so what works here works there.
 */
import { spawnSync } from "node:child_process";
import { closeSync, cpSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { Deployment, loadDeployment, projectPaths } from "../config/load";
import { DeploymentError } from "../config/problems";
import { buildContext, mlflowModelPath, modelDir, scoringScriptPath, writeBuildContext } from "../build-context/generate";
import { visible } from "../review/escape";
import { choosePython, describePython, pythonVersion } from "./python";
import { INVOKE, parseOptions, parseSeconds, printedHelp, usageLine } from "./spec";

export interface InvokeArgs {
  readonly functionName: string;
  /** Payload file; only an HTTP GET goes without one. */
  readonly input?: string;
  /** HTTP method for an HTTP function. @default "POST" */
  readonly method?: "GET" | "POST";
  readonly env?: string;
  readonly out: string;
  /** Print the function's OpenAPI document (GET <function>/swagger.json) instead of scoring. */
  readonly swagger?: boolean;
  /** OpenAPI version for --swagger. @default "2" */
  readonly swaggerVersion?: string;
  /** Seconds the run may take before it is stopped. @default 300, as Azure ML's scoring timeout */
  readonly timeoutSeconds?: number;
}

export const DEFAULT_INVOKE_TIMEOUT_SECONDS = 300;

export class UsageError extends Error {}

export function parseInvokeArgs(argv: readonly string[]): InvokeArgs {
  const { values, positionals: positional } = parseOptions(INVOKE, argv, (_option, message) => new UsageError(message));
  const USAGE = usageLine(INVOKE);
  const env = values.env as string | undefined;
  const out = (values.out as string | undefined) ?? "out";
  const swagger = values.swagger === true;
  const swaggerVersion = values.version as string | undefined;
  if (swaggerVersion !== undefined && !["2", "3", "3.1"].includes(swaggerVersion)) throw new UsageError(`--version must be 2, 3 or 3.1, not "${visible(swaggerVersion)}"`);
  const timeoutSeconds = parseSeconds(values.timeout, DEFAULT_INVOKE_TIMEOUT_SECONDS, (message) => new UsageError(message));
  let method: InvokeArgs["method"];
  if (typeof values.method === "string") {
    const m = values.method.toUpperCase();
    if (m !== "GET" && m !== "POST") throw new UsageError(`--method must be GET or POST, not "${visible(values.method)}"`);
    method = m;
  }
  if (swaggerVersion !== undefined && !swagger) throw new UsageError(`--version applies to --swagger; ${USAGE}`);
  if (swagger) {
    if (positional.length !== 1 || method !== undefined) throw new UsageError(`--swagger takes the function name only; ${USAGE}`);
    return { functionName: positional[0] ?? "", env, out, swagger, swaggerVersion, timeoutSeconds };
  }
  // A GET is the health route: it needs no payload.
  if (positional.length !== 2 && !(method === "GET" && positional.length === 1)) throw new UsageError(USAGE);
  const [functionName = "", input] = positional;
  return { functionName, input, env, out, method, timeoutSeconds };
}

/** The `python -m mlfunc_runtime.local` arguments for one function, run from the build context `contextDir`. */
export function runtimeArgs(deployment: Deployment, args: InvokeArgs, contextDir: string): string[] {
  const fn = deployment.functions.find((f) => f.name === args.functionName);
  if (!fn) {
    throw new UsageError(`no function "${args.functionName}" in ${deployment.file}; the functions are: ${deployment.functions.map((f) => f.name).join(", ")}`);
  }
  if (args.input !== undefined && !existsSync(args.input)) throw new UsageError(`input file "${args.input}" does not exist`);
  const t = fn.trigger;
  if (args.method !== undefined && t.type !== "http") throw new UsageError(`--method applies to HTTP functions; "${fn.name}" has a ${t.type} trigger`);
  if (args.swagger === true && t.type !== "http") throw new UsageError(`--swagger applies to HTTP functions; "${fn.name}" has a ${t.type} trigger`);
  const common = [
    "-m", "mlfunc_runtime.local",
    "--function", fn.name,
    "--trigger", t.type,
    ...serveArgs(deployment, contextDir),
    "--model-dir", join(contextDir, modelDir(deployment)),
    ...(args.input === undefined ? [] : ["--input", args.input]),
    "--out", args.out,
  ];
  switch (t.type) {
    case "http":
      if (args.swagger === true) return [...common, "--swagger", ...(args.swaggerVersion === undefined ? [] : ["--swagger-version", args.swaggerVersion])];
      return args.method === undefined ? common : [...common, "--method", args.method];
    case "blob":
      return [...common, "--data-type", t.dataType, "--input-path", t.inputPath, "--output-path", t.outputPath];
    case "serviceBus":
      return [...common, "--data-type", t.dataType, ...(t.outputQueue === undefined ? [] : ["--output-queue", t.outputQueue])];
  }
}

/** The scoring script, else the MLflow folder served without one, inside the build context. */
function serveArgs(deployment: Deployment, contextDir: string): string[] {
  const script = scoringScriptPath(deployment);
  if (script !== undefined) return ["--script", join(contextDir, script)];
  return ["--mlflow-model", join(contextDir, mlflowModelPath(deployment) ?? modelDir(deployment))];
}

/** Writes the build context (the same for every environment; `--env` must name one) and returns its folder. */
export function contextFor(deployment: Deployment, env: string | undefined, root: string = projectPaths(deployment.file).contextsDir): string {
  if (env !== undefined && !deployment.environments.some((e) => e.name === env)) {
    throw new UsageError(`no environment "${env}"; the environments are: ${deployment.environments.map((e) => e.name).join(", ")}`);
  }
  return writeBuildContext(buildContext(deployment), resolve(root));
}

/** Runs the function; returns the exit code (0 ok, 1 failed invocation, 2 bad input). */
export function invoke(argv: readonly string[]): number {
  let deployment: Deployment;
  let args: InvokeArgs;
  let shared: string;
  try {
    args = parseInvokeArgs(argv);
    deployment = loadDeployment();
    shared = contextFor(deployment, args.env);
    runtimeArgs(deployment, args, shared);
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
  const chosen = choosePython();
  const version = pythonVersion(chosen);
  if (version === undefined) {
    process.stderr.write(
      `invoke: cannot run Python "${chosen.command}" (${chosen.reason}): install Python ${deployment.model.pythonVersion} there or set MLFUNC_PYTHON to an interpreter with the model's requirements\n`,
    );
    return 2;
  }
  process.stderr.write(`${describePython(chosen, version)}\n`);
  const local = version.split(".").slice(0, 2).join(".");
  if (local !== deployment.model.pythonVersion) {
    process.stderr.write(`invoke: note: local Python is ${local}, the image uses ${deployment.model.pythonVersion}\n`);
  }
  const run = runInContext(deployment, args, shared, "inherit");
  if (run.timedOut) {
    process.stderr.write(`invoke: ${args.functionName} did not finish within ${run.timeoutSeconds} s and was stopped; raise --timeout if the model needs longer\n`);
    return 1;
  }
  return run.status ?? 1;
}

export interface ContextRun {
  /** Exit code; null when the run was stopped (timeout) or could not start. */
  readonly status: number | null;
  /** Output when captured (`pipe`), whatever its size; empty otherwise. */
  readonly stdout: string;
  readonly stderr: string;
  /** The interpreter could not be started. */
  readonly error?: Error;
  readonly timedOut: boolean;
  readonly timeoutSeconds: number;
}

/**
 * Runs the function from a private copy of the build context `shared`: whatever the script writes
 * next to itself or its model must not reach the shared context, which is the docker build context
 * of the next synth. `stdio: "pipe"` captures the result (the smoke test compares it).
 */
export function runInContext(deployment: Deployment, args: InvokeArgs, shared: string, stdio: "inherit" | "pipe"): ContextRun {
  const contextDir = mkdtempSync(join(tmpdir(), "mlfunc-invoke-"));
  // Captured output goes to files, not a pipe buffer: a script may print any amount.
  const outDir = stdio === "pipe" ? mkdtempSync(join(tmpdir(), "mlfunc-invoke-out-")) : undefined;
  const timeoutSeconds = args.timeoutSeconds ?? DEFAULT_INVOKE_TIMEOUT_SECONDS;
  try {
    cpSync(shared, contextDir, { recursive: true });
    // The context's own runtime, as /home/site/wwwroot is on the worker's path in the image.
    const pythonPath = [contextDir, process.env.PYTHONPATH].filter(Boolean).join(delimiter);
    const fds = outDir === undefined ? undefined : [openSync(join(outDir, "stdout"), "w"), openSync(join(outDir, "stderr"), "w")];
    let run: ReturnType<typeof spawnSync>;
    try {
      // The shared context's requirements.txt outlives this private copy: a hint may name it in a command.
      run = spawnSync(choosePython().command, [...runtimeArgs(deployment, args, contextDir), "--requirements", join(shared, "requirements.txt")], {
        stdio: fds === undefined ? "inherit" : ["ignore", fds[0] ?? "ignore", fds[1] ?? "ignore"],
        timeout: Math.ceil(timeoutSeconds * 1000),
        killSignal: "SIGKILL",
        env: { ...process.env, PYTHONPATH: pythonPath, PYTHONDONTWRITEBYTECODE: "1", AML_APP_ROOT: contextDir },
      });
    } finally {
      for (const fd of fds ?? []) closeSync(fd);
    }
    const timedOut = (run.error as NodeJS.ErrnoException | undefined)?.code === "ETIMEDOUT";
    const read = (name: string) => (outDir === undefined ? "" : readFileSync(join(outDir, name), "utf8"));
    return { status: run.status, stdout: read("stdout"), stderr: read("stderr"), error: timedOut ? undefined : run.error, timedOut, timeoutSeconds };
  } finally {
    rmSync(contextDir, { recursive: true, force: true });
    if (outDir !== undefined) rmSync(outDir, { recursive: true, force: true });
  }
}

/** What `mlfunc invoke` runs. */
export function run(argv: readonly string[]): number {
  return printedHelp(INVOKE, argv) ? 0 : invoke(argv);
}
