import { App } from "cdktf";
import { resolve } from "node:path";
import { DeploymentError } from "./config/problems";
import { loadDeployment } from "./config/load";
import { buildContext, writeBuildContext } from "./build-context/generate";
import { MlfuncStack } from "./constructs/mlfunc-stack";

export interface SynthOptions {
  /** Deployment file. @default $MLFUNC_CONFIG, else mlfunc.yaml */
  readonly config?: string;
  /** Where cdktf writes the stacks. @default $CDKTF_OUTDIR (set by the cdktf CLI), else cdktf.out */
  readonly outdir?: string;
  /** Where generated build contexts are kept. @default .mlfunc/contexts */
  readonly contextsDir?: string;
}

/** Builds the app: one stack per environment of the deployment file. Validation happens first, so
 * an invalid file never yields a partial app. */
export function buildApp(options: SynthOptions = {}): App {
  const deployment = loadDeployment(options.config);
  const contextsDir = resolve(options.contextsDir ?? ".mlfunc/contexts");
  const app = new App({ outdir: options.outdir ?? process.env.CDKTF_OUTDIR ?? "cdktf.out", skipValidation: false });
  for (const env of deployment.environments) {
    const context = buildContext(deployment, env);
    new MlfuncStack(app, env.stackName, {
      environment: env,
      functions: deployment.functions,
      buildContext: { dir: writeBuildContext(context, contextsDir), hash: context.hash },
      state: deployment.state,
    });
  }
  return app;
}

if (require.main === module) {
  try {
    buildApp().synth();
  } catch (e) {
    if (!(e instanceof DeploymentError)) throw e;
    // A user's mistake: the list of problems, no stack trace.
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
}
