/**
 * `mlfunc synth` / `mlfunc validate` / cdktf.json's app, and the synth API review builds both sides with.
 */
import { TerraformStack } from "cdktf";
import { rmSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { DeploymentError } from "../config/problems";
import { deploymentFile, projectPaths } from "../config/load";
import { type ModelFetchOptions, prepareModel } from "../build-context/registered-model";
import { buildApp, checkApp, formatAnnotation } from "../main";
import { PolicyConfigError } from "../policy/aspect";
import { OutputLockedError, removeOrphanStacks, withOutputLock } from "./synth-output";
import { progress } from "./progress";
import { SYNTH, VALIDATE, parseOptions, printedHelp } from "./spec";

/** Synthesizes `config` into `outdir` for a review: policy findings are reported, never fatal. */
export function synthForReview(config: string, outdir: string, contextsDir?: string): void {
  buildApp({ config, outdir, contextsDir, policyErrorAt: "none", policyErrorRules: [] }).synth();
}

export interface CliArgs {
  readonly validate: boolean;
  /** --offline: use only downloaded registered models; nothing contacts Azure. */
  readonly offline: boolean;
  readonly outdir?: string;
  readonly contextsDir?: string;
}

export class UsageError extends Error {}

/** `argv` of synth, or of validate when it holds the launcher's "--validate". */
export function parseCliArgs(argv: readonly string[]): CliArgs {
  const validate = argv.includes("--validate");
  const { values, positionals } = parseOptions(validate ? VALIDATE : SYNTH, argv.filter((a) => a !== "--validate"), (_option, message) => new UsageError(message));
  if (positionals.length > 0) throw new UsageError(`unknown argument "${positionals[0]}"; takes no arguments`);
  if (values.quiet === true) process.env.MLFUNC_QUIET = "1";
  const path = (v: unknown): string | undefined => (typeof v === "string" ? resolve(v) : undefined);
  return { validate, offline: values.offline === true, outdir: path(values.output), contextsDir: path(values.contexts) };
}

/** The parsed arguments, or the exit code when --help or a usage error ends the run. */
function start(argv: readonly string[]): CliArgs | number {
  const name = argv.includes("--validate") ? "validate" : "synth";
  if (printedHelp(name === "validate" ? VALIDATE : SYNTH, argv)) return 0;
  try {
    return parseCliArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`${name}: ${e.message}\n`);
    return 2;
  }
}

/**
 * Returns the exit code: 0 ok, 1 an invalid deployment file or a policy error, 2 bad arguments.
 */
export function cli(argv: readonly string[]): number {
  const args = start(argv);
  return typeof args === "number" ? args : synthesize(args);
}

function synthesize(args: CliArgs): number {
  // Set only by the cdktf CLI, which prints the app's annotations itself and echoes its stderr twice.
  const underCdktf = process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS === "true";
  const outdir = args.outdir ?? process.env.CDKTF_OUTDIR ?? projectPaths().outdir;
  try {
    const app = buildApp({ outdir, contextsDir: args.contextsDir, dryRun: args.validate });
    if (underCdktf && !args.validate) {
      // The cdktf CLI reads the manifest and prunes stack folders after the app exits, outside any lock:
      // a second synth into the same folder is refused rather than queued, and each synth prunes its own.
      withOutputLock(
        outdir,
        () => {
          app.synth();
          removeOrphanStacks(outdir);
        },
        { waitMs: 0 },
      );
      return 0;
    }
    const annotations = checkApp(app);
    for (const a of annotations) process.stderr.write(`${formatAnnotation(a)}\n`);
    const errors = annotations.filter((a) => a.level === "ERROR").length;
    if (errors > 0) {
      process.stderr.write(`${errors} policy error${errors === 1 ? "" : "s"}: nothing written (MLFUNC_POLICY_ERROR_AT and MLFUNC_POLICY_ERRORS set which findings fail)\n`);
      return 1;
    }
    const stacks = app.node.findAll().filter((c): c is TerraformStack => TerraformStack.isStack(c)).map((s) => s.node.id);
    if (args.validate) {
      progress(`valid: ${stacks.join(", ")} (policy checked; nothing written)`);
      return 0;
    }
    withOutputLock(
      outdir,
      () => {
        app.synth();
        removeOrphanStacks(outdir);
      },
      { onWait: (pid) => progress(`waiting for another synth into ${outdir} (process ${pid})`) },
    );
    progress(`synthesized ${stacks.join(", ")} into ${relative(process.cwd(), outdir) || "."}`);
    return 0;
  } catch (e) {
    // A user's mistake (an invalid file, a policy option): the message alone, no stack trace.
    if (!(e instanceof DeploymentError || e instanceof PolicyConfigError || e instanceof OutputLockedError)) throw e;
    process.stderr.write(`${e.message}\n`);
    // Another synth's output stays as it is: its manifest is not this run's to remove.
    if (e instanceof OutputLockedError) return 1;
    if (underCdktf && !args.validate) {
      // The cdktf CLI prints a failing app's stderr twice (live and in its summary). Exiting 0 with no
      // manifest makes it stop with its "manifest.json was not created" error instead, each problem shown once.
      rmSync(join(outdir, "manifest.json"), { force: true });
      process.stderr.write("synth stopped: no manifest.json written\n");
      return 0;
    }
    return 1;
  }
}

/**
 * `cli`, after downloading the registered model the deployment file names (unless it is cached, or
 * --offline / MLFUNC_OFFLINE=1). `fetchOptions` lets tests point the download at local stand-ins.
 */
export async function cliWithModels(argv: readonly string[], fetchOptions: ModelFetchOptions = {}): Promise<number> {
  const args = start(argv);
  if (typeof args === "number") return args;
  try {
    await prepareModel(deploymentFile(), { ...fetchOptions, offline: args.offline });
  } catch (e) {
    if (!(e instanceof DeploymentError)) throw e;
    process.stderr.write(`${e.message}\n`);
    return 1;
  }
  return synthesize(args);
}

/** What `mlfunc synth|validate` and cdktf.json's app run, in the launcher's own process. */
export const run = (argv: readonly string[]): Promise<number> => cliWithModels(argv);

// `review --base` runs a ref's own code as `node dist/commands/synth.js`, transpiled file by file, not bundled.
if (require.main === module) {
  void cliWithModels(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
