/**
 * `npm run bootstrap-state -- --principal-id <object-id> [--deploy] [--auto-approve]`: synthesizes (and
 * deploys) the `<app>-state` stack holding the azurerm backend's storage, then prints the `state:`
 * block for the deployment file.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { App } from "cdktf";
import { stringify } from "yaml";
import { loadDeployment, Deployment, projectPaths } from "../config/load";
import { DeploymentError } from "../config/problems";
import { stateStackName, stateStorageNames } from "../config/naming";
import { StateStack } from "../constructs/state-stack";
import { PROJECT_ROOT } from "../build-context/generate";
import { cdktfJson } from "./init";
import { BOOTSTRAP_STATE, parseOptions, printedHelp, usageLine } from "./spec";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** @param outdir default: cdktf.out.state next to the deployment file, so its local state sits beside the file too */
export function buildStateApp(deployment: Deployment, principalId: string, outdir: string = projectPaths(deployment.file).stateOutdir): App {
  const names = stateStorageNames(deployment.name, deployment.nameSeed);
  const app = new App({ outdir });
  const first = deployment.environments[0];
  new StateStack(app, stateStackName(deployment.name), {
    resourceGroupName: names.resourceGroup,
    accountName: names.storageAccount,
    containerName: names.container,
    location: first?.location ?? "westeurope",
    principalId,
    tags: { app: deployment.name, "managed-by": "mlfunc", purpose: "terraform-state" },
    allowDelete: deployment.review.allowDelete.map((a) => a.address),
  });
  return app;
}

/** The block to paste into the deployment file once the state stack exists. */
export function stateBlock(deployment: Deployment): string {
  const names = stateStorageNames(deployment.name, deployment.nameSeed);
  return stringify({
    state: { backend: "azurerm", resourceGroup: names.resourceGroup, storageAccount: names.storageAccount, container: names.container, keyPrefix: `${deployment.name}/` },
  });
}

export interface BootstrapArgs {
  readonly principalId: string;
  readonly deploy: boolean;
  readonly autoApprove: boolean;
}

/** Parses the command line; throws a usage message naming the flag and the fix. */
export function parseBootstrapArgs(argv: readonly string[]): BootstrapArgs {
  const { values, positionals } = parseOptions(BOOTSTRAP_STATE, argv, (_option, message) => new Error(message));
  if (positionals.length > 0) throw new Error(`unknown argument "${positionals[0]}"; ${usageLine(BOOTSTRAP_STATE)}`);
  const principalId = values["principal-id"] as string | undefined;
  const deploy = values.deploy === true;
  const autoApprove = values["auto-approve"] === true;
  if (principalId === undefined) {
    throw new Error("--principal-id is required: the object id of who runs Terraform (az ad signed-in-user show --query id -o tsv, or a service principal's object id)");
  }
  if (!GUID.test(principalId)) throw new Error(`--principal-id "${principalId}" is not an object id (a GUID like 00000000-0000-0000-0000-000000000000)`);
  return { principalId, deploy, autoApprove };
}

function main(argv: readonly string[]): number {
  let args: BootstrapArgs;
  let deployment: Deployment;
  try {
    args = parseBootstrapArgs(argv);
    deployment = loadDeployment();
  } catch (e) {
    if (e instanceof DeploymentError || !(e instanceof Error) || e.message.startsWith("internal")) throw e;
    process.stderr.write(`bootstrap-state: ${e.message}\n`);
    return 2;
  }
  // Called back by the cdktf CLI as its app command: synthesize only.
  if (process.env.CDKTF_OUTDIR) {
    buildStateApp(deployment, args.principalId, process.env.CDKTF_OUTDIR).synth();
    return 0;
  }
  const outdir = projectPaths(deployment.file).stateOutdir;
  buildStateApp(deployment, args.principalId, outdir).synth();
  const stack = stateStackName(deployment.name);
  process.stdout.write(`Synthesized ${relative(process.cwd(), outdir) || "."}/stacks/${stack}/cdk.tf.json\n`);
  if (args.deploy) {
    // The CLI calls this same command back as its app, through the launcher.
    const app = `"${process.execPath}" "${join(PROJECT_ROOT, "scripts", "mlfunc.js")}" bootstrap-state --principal-id ${args.principalId}`;
    const cli = [require.resolve("cdktf-cli/bundle/bin/cdktf"), "deploy", stack, "--app", app, "--output", outdir, ...(args.autoApprove ? ["--auto-approve"] : [])];
    // The CLI wants a cdktf.json in its working folder: one of its own next to the deployment file, never
    // in mlfunc's folder (an installed package is not ours to write); MLFUNC_CONFIG names the file.
    const cwd = join(projectPaths(deployment.file).dir, ".mlfunc", "cdktf-state");
    mkdirSync(cwd, { recursive: true });
    writeFileSync(join(cwd, "cdktf.json"), cdktfJson(app));
    const run = spawnSync(process.execPath, cli, { stdio: "inherit", cwd, env: { ...process.env, MLFUNC_CONFIG: deployment.file } });
    if (run.status !== 0) {
      process.stderr.write(`bootstrap-state: cdktf deploy ${stack} failed (exit ${run.status ?? "signal"})\n`);
      return 1;
    }
  } else {
    process.stdout.write(`Deploy it with: mlfunc bootstrap-state --principal-id ${args.principalId} --deploy\n`);
  }
  process.stdout.write(`\nThen add this to ${deployment.file.split("/").pop()} and run \`cdktf deploy --migrate-state <stack>\` per stack:\n\n${stateBlock(deployment)}`);
  return 0;
}

/** What `node scripts/mlfunc.js bootstrap-state` runs: exit 1 for an invalid deployment file. */
export function run(argv: readonly string[]): number {
  if (printedHelp(BOOTSTRAP_STATE, argv)) return 0;
  try {
    return main(argv);
  } catch (e) {
    if (!(e instanceof DeploymentError)) throw e;
    process.stderr.write(`${e.message}\n`);
    return 1;
  }
}
