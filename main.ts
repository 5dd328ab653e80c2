import { Annotations, AnnotationMetadataEntryType, App, Aspects, type IAspect, TerraformStack } from "cdktf";
import type { IConstruct } from "constructs";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { loadDeployment, projectPaths } from "./config/load";
import { environmentMessages, scriptWarnings } from "./config/rules";
import { mlflowInfo } from "./config/mlflow";
import { buildContext, pruneBuildContexts, writeBuildContext } from "./build-context/generate";
import { MlfuncStack } from "./constructs/mlfunc-stack";
import { ImageStack } from "./constructs/image-stack";
import { PolicyConfigError, enforcePolicy } from "./policy/aspect";
import { type FailOn, isFailOn } from "./review/types";

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
  const { scoringScript, requirements, warnings, sourceDir } = deployment.model;
  const localDirs = (script: string): string[] => (sourceDir === undefined ? [dirname(script)] : [dirname(script), sourceDir]);
  const scriptProblems = [
    ...warnings,
    ...(scoringScript === undefined ? [] : scriptWarnings(scoringScript, requirements, { fromEnvironment: deployment.model.environment?.path, localDirs: localDirs(scoringScript) })),
  ];
  const environment = environmentMessages(deployment.model);
  const mlflow = mlflowInfo(deployment.model);
  const { image } = deployment;
  const allowDelete = deployment.review.allowDelete.map((a) => a.address);
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
    allowDelete,
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
      allowDelete,
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
