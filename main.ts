import { Annotations, App } from "cdktf";
import { resolve } from "node:path";
import { DeploymentError } from "./config/problems";
import { loadDeployment } from "./config/load";
import { scriptWarnings } from "./config/rules";
import { buildContext, pruneBuildContexts, writeBuildContext } from "./build-context/generate";
import { MlfuncStack } from "./constructs/mlfunc-stack";
import { PolicyConfigError, enforcePolicy } from "./policy/aspect";
import { type FailOn, isFailOn } from "./review/types";

export interface SynthOptions {
  /** Deployment file. @default $MLFUNC_CONFIG, else mlfunc.yaml */
  readonly config?: string;
  /** Where cdktf writes the stacks. @default $CDKTF_OUTDIR (set by the cdktf CLI), else cdktf.out */
  readonly outdir?: string;
  /** Where generated build contexts are kept. @default .mlfunc/contexts */
  readonly contextsDir?: string;
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

/** Builds the app: one stack per environment of the deployment file. Validation happens first, so
 * an invalid file never yields a partial app. */
export function buildApp(options: SynthOptions = {}): App {
  const deployment = loadDeployment(options.config);
  const contextsDir = resolve(options.contextsDir ?? ".mlfunc/contexts");
  // No stack traces in annotations: they would put this machine's paths into manifest.json.
  const app = new App({ outdir: options.outdir ?? process.env.CDKTF_OUTDIR ?? "cdktf.out", skipValidation: false, stackTraces: false });
  // One image for every environment: what dev tested is what prod runs.
  const context = buildContext(deployment);
  const contextDir = writeBuildContext(context, contextsDir);
  pruneBuildContexts(contextsDir);
  for (const env of deployment.environments) {
    const stack = new MlfuncStack(app, env.stackName, {
      environment: env,
      functions: deployment.functions,
      buildContext: { dir: contextDir, hash: context.hash },
      state: deployment.state,
    });
    if (deployment.nameSeed === undefined) {
      Annotations.of(stack).addWarning(
        `nameSeed is not set: the registry, storage, function app and Service Bus names of "${deployment.name}" are the same for anyone who deploys an app of that name; set nameSeed in ${deployment.file.split("/").pop()} before the first deploy`,
      );
    }
    for (const warning of scriptWarnings(deployment.model.scoringScript, deployment.model.requirements)) Annotations.of(stack).addWarning(warning);
  }
  enforcePolicy(app, {
    errorAt: options.policyErrorAt ?? policyLevel(process.env.MLFUNC_POLICY_ERROR_AT),
    errorRules: options.policyErrorRules ?? ruleIds(process.env.MLFUNC_POLICY_ERRORS),
  });
  return app;
}

if (require.main === module) {
  try {
    buildApp().synth();
  } catch (e) {
    // A user's mistake (an invalid file, a policy error): the message alone, no stack trace.
    const policyFailure = e instanceof Error && e.message.startsWith("Encountered Annotations with level");
    if (!(e instanceof DeploymentError || e instanceof PolicyConfigError || policyFailure)) throw e;
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
}
