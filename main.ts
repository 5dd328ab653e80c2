import { Annotations, AnnotationMetadataEntryType, App, Aspects, type IAspect, TerraformStack } from "cdktf";
import type { IConstruct } from "constructs";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { DeploymentError } from "./config/problems";
import { deploymentFile, loadDeployment, projectPaths } from "./config/load";
import { type ModelFetchOptions, prepareModel } from "./build-context/registered-model";
import { environmentMessages, scriptWarnings } from "./config/rules";
import { mlflowInfo } from "./config/mlflow";
import { buildContext, pruneBuildContexts, writeBuildContext } from "./build-context/generate";
import { MlfuncStack } from "./constructs/mlfunc-stack";
import { ImageStack } from "./constructs/image-stack";
import { PolicyConfigError, enforcePolicy } from "./policy/aspect";
import { type FailOn, isFailOn } from "./review/types";
import { OutputLockedError, removeOrphanStacks, withOutputLock } from "./commands/synth-output";
import { progress } from "./commands/progress";

export interface SynthOptions {
  /** Deployment file. @default $MLFUNC_CONFIG, else mlfunc.yaml */
  readonly config?: string;
  /** Where cdktf writes the stacks. @default $CDKTF_OUTDIR (set by the cdktf CLI), else cdktf.out next to the deployment file */
  readonly outdir?: string;
  /** Where generated build contexts are kept. @default .mlfunc/contexts next to the deployment file */
  readonly contextsDir?: string;
  /** Build the stacks in memory only, writing no build context (validation and policy); such an app is
   * never synthesized. @default false */
  readonly dryRun?: boolean;
  /** Lowest policy severity that fails synth; lower ones are printed as warnings.
   * @default $MLFUNC_POLICY_ERROR_AT, else "high" */
  readonly policyErrorAt?: FailOn;
  /** Policy rules whose findings fail synth whatever their severity.
   * @default $MLFUNC_POLICY_ERRORS (comma-separated ids), else none */
  readonly policyErrorRules?: readonly string[];
}

function policyLevel(value: string | undefined): FailOn {
  const level = value ?? "high";
  if (!isFailOn(level)) throw new PolicyConfigError(`MLFUNC_POLICY_ERROR_AT="${value}" is not a level; use low, medium, high or none`);
  return level;
}

function ruleIds(value: string | undefined): string[] {
  return (value ?? "").split(",").map((id) => id.trim()).filter(Boolean);
}

/** Builds the app: the image stack, then one stack per environment of the deployment file. Validation happens first, so
 * an invalid file never yields a partial app. */
export function buildApp(options: SynthOptions = {}): App {
  const deployment = loadDeployment(options.config);
  const paths = projectPaths(deployment.file);
  const contextsDir = resolve(options.contextsDir ?? paths.contextsDir);
  // No stack traces in annotations: they would put this machine's paths into manifest.json.
  // App creates its outdir, and a stacks folder in it, at once: a dry run never synthesizes, so it gets a
  // throwaway folder, removed as soon as App has made it.
  const outdir = options.dryRun ? mkdtempSync(join(tmpdir(), "mlfunc-validate-")) : (options.outdir ?? process.env.CDKTF_OUTDIR ?? paths.outdir);
  let app: App;
  try {
    app = new App({ outdir, skipValidation: false, stackTraces: false });
  } finally {
    if (options.dryRun) rmSync(outdir, { recursive: true, force: true });
  }
  // One image for every environment: what dev tested is what prod runs.
  const context = buildContext(deployment);
  let contextDir: string;
  if (options.dryRun) {
    // The asset only needs an existing folder to point at until synth copies it, which a dry run never does.
    const existing = resolve(contextsDir, context.hash);
    contextDir = existsSync(existing) ? existing : paths.dir;
  } else {
    contextDir = writeBuildContext(context, contextsDir);
    pruneBuildContexts(contextsDir);
  }
  const { scoringScript, requirements, warnings } = deployment.model;
  const scriptProblems = [...warnings, ...(scoringScript === undefined ? [] : scriptWarnings(scoringScript, requirements, deployment.model.environment?.path))];
  const environment = environmentMessages(deployment.model);
  const mlflow = mlflowInfo(deployment.model);
  const { image } = deployment;
  // The one build: every environment runs this stack's digest.
  const imageStack = new ImageStack(app, image.stackName, {
    resourceGroupName: image.names.resourceGroup,
    location: image.location,
    registryName: image.names.registry,
    registryTokenName: image.names.registryToken,
    repository: image.names.repository,
    buildContext: { dir: contextDir, hash: context.hash },
    state: deployment.state,
    tags: image.tags,
    allowDelete: deployment.review.allowDelete.map((a) => a.address),
  });
  if (!image.baseImagePinned) {
    Annotations.of(imageStack).addWarning(
      `model.baseImage ${image.baseImage} is a tag, which its publisher moves: two builds of the same context can differ. Pin it by digest: docker buildx imagetools inspect ${image.baseImage} prints the Digest; set model.baseImage to ${image.baseImage}@sha256:<that digest> (docs/image-promotion.md)`,
    );
  }
  if (context.withheld.length > 0) {
    const list = context.withheld.map((w) => `${w.path} (${w.why})`).join(", ");
    Annotations.of(imageStack).addWarning(`left out of the image, as such files never ship: ${list}; to ship one on purpose, add it to ship.allow with a reason`);
  }
  // One line a file: a key or state shipped on purpose stays visible in every synth, not only when allowed.
  for (const a of context.allowedNeverShip) {
    Annotations.of(imageStack).addWarning(`${a.path} ships in the image although it is ${a.why}, because ship.allow names it; anyone who can pull the image can read it`);
  }
  for (const env of deployment.environments) {
    const stack = new MlfuncStack(app, env.stackName, {
      environment: env,
      functions: deployment.functions,
      image: imageStack,
      state: deployment.state,
      allowDelete: deployment.review.allowDelete.map((a) => a.address),
    });
    if (deployment.nameSeed === undefined) {
      Annotations.of(stack).addWarning(
        `nameSeed is not set: the registry, storage, function app and Service Bus names of "${deployment.name}" are the same for anyone who deploys an app of that name; set nameSeed in ${deployment.file.split("/").pop()} before the first deploy`,
      );
    }
    for (const warning of [...scriptProblems, ...environment.warnings]) Annotations.of(stack).addWarning(warning);
    for (const info of environment.info) Annotations.of(stack).addInfo(info);
    if (mlflow !== undefined) Annotations.of(stack).addInfo(mlflow);
  }
  enforcePolicy(app, {
    errorAt: options.policyErrorAt ?? policyLevel(process.env.MLFUNC_POLICY_ERROR_AT),
    errorRules: options.policyErrorRules ?? ruleIds(process.env.MLFUNC_POLICY_ERRORS),
  });
  return app;
}

export interface Annotation {
  readonly level: "INFO" | "WARN" | "ERROR";
  readonly path: string;
  readonly message: string;
}

const LEVELS: Readonly<Record<string, Annotation["level"]>> = {
  [AnnotationMetadataEntryType.INFO]: "INFO",
  [AnnotationMetadataEntryType.WARN]: "WARN",
  [AnnotationMetadataEntryType.ERROR]: "ERROR",
};

/** Runs every stack's aspects (the policy among them) in memory and returns the annotations, as synth would record them. */
export function checkApp(app: App): Annotation[] {
  const stacks = app.node.findAll().filter((c): c is TerraformStack => TerraformStack.isStack(c));
  const visit = (node: IConstruct, inherited: readonly IAspect[]): void => {
    const aspects = [...inherited, ...Aspects.of(node).all];
    for (const aspect of aspects) aspect.visit(node);
    for (const child of node.node.children) visit(child, aspects);
  };
  for (const stack of stacks) visit(stack, []);
  return stacks.flatMap((stack) =>
    stack.node.findAll().flatMap((c) =>
      c.node.metadata.flatMap((m) => {
        const level = LEVELS[m.type];
        return level ? [{ level, path: c.node.path, message: String(m.data) }] : [];
      }),
    ),
  );
}

/** The line the cdktf CLI prints for an annotation, so both ways of running the app read the same. */
export function formatAnnotation(a: Annotation): string {
  return `${a.level} [${a.path}]: ${a.message}`;
}

export interface CliArgs {
  readonly validate: boolean;
  /** --offline: use only downloaded registered models; nothing contacts Azure. */
  readonly offline: boolean;
  readonly outdir?: string;
  readonly contextsDir?: string;
}

const USAGE = "usage: npm run synth -- [--output <dir>] [--contexts <dir>] [--offline] [--quiet]  |  npm run validate [-- --offline]";

export class UsageError extends Error {}

export function parseCliArgs(argv: readonly string[]): CliArgs {
  let validate = false;
  let offline = false;
  let outdir: string | undefined;
  let contextsDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--validate") validate = true;
    else if (arg === "--offline") offline = true;
    else if (arg === "--quiet") process.env.MLFUNC_QUIET = "1";
    else if (arg === "--output" || arg === "--contexts") {
      const value = argv[++i];
      if (value === undefined || value.startsWith("--")) throw new UsageError(`${arg} needs a folder; ${USAGE}`);
      if (arg === "--output") outdir = resolve(value);
      else contextsDir = resolve(value);
    } else throw new UsageError(`unknown argument "${arg}"; ${USAGE}`);
  }
  return { validate, offline, outdir, contextsDir };
}

/**
 * `npm run synth` / `npm run validate` / cdktf.json's app. Returns the exit code: 0 ok, 1 an invalid
 * deployment file or a policy error, 2 bad arguments.
 */
export function cli(argv: readonly string[]): number {
  // Set only by the cdktf CLI, which prints the app's annotations itself and echoes its stderr twice.
  const underCdktf = process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS === "true";
  let args: CliArgs;
  try {
    args = parseCliArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`synth: ${e.message}\n`);
    return 2;
  }
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
  let offline = false;
  try {
    offline = parseCliArgs(argv).offline;
  } catch (e) {
    // cli reports the usage error.
    if (!(e instanceof UsageError)) throw e;
    return cli(argv);
  }
  try {
    await prepareModel(deploymentFile(), { ...fetchOptions, offline });
  } catch (e) {
    if (!(e instanceof DeploymentError)) throw e;
    process.stderr.write(`${e.message}\n`);
    return 1;
  }
  return cli(argv);
}

/** What `node scripts/mlfunc.js synth|validate|app` runs, in the launcher's own process. */
export const run = (argv: readonly string[]): Promise<number> => cliWithModels(argv);

// `review --base` runs a ref's own code as `node dist/main.js`, transpiled file by file, not bundled.
if (require.main === module) {
  void cliWithModels(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
