/**
 * `mlfunc init [dir]`: the files an app repository needs to use an installed mlfunc. Flags or defaults
 * only, never a question, so CI can run it. The deployment file is validated before anything is written;
 * an existing file is never overwritten without --force.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { PROJECT_ROOT } from "../build-context/generate";
import { parseDeployment } from "../config/load";
import { DeploymentError } from "../config/problems";
import { NOT_DOWNLOADED, isModelReference, parseModelReference } from "../config/model-reference";
import { INIT, parseOptions, printedHelp, usageLine } from "./spec";

export class InitError extends Error {}

export interface InitArgs {
  readonly dir: string;
  /** @default model.pkl in the folder */
  readonly model?: string;
  /** @default score.py in the folder */
  readonly script?: string;
  readonly requirements?: string;
  readonly environment?: string;
  /** The Azure ML workspace's resource id, for an `azureml:<name>:<version>` model. */
  readonly workspace?: string;
  readonly name?: string;
  readonly location: string;
  readonly force: boolean;
}

export function parseInitArgs(argv: readonly string[]): InitArgs {
  const { values, positionals } = parseOptions(INIT, argv, (_option, message) => new InitError(message));
  if (positionals.length > 1) throw new InitError(`one folder at most, not ${positionals.length}; ${usageLine(INIT)}`);
  const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
  if (values.requirements !== undefined && values.environment !== undefined) {
    throw new InitError("--requirements and --environment both name the dependencies; give one");
  }
  return {
    dir: resolve(positionals[0] ?? "."),
    model: str(values.model),
    script: str(values.script),
    requirements: str(values.requirements),
    environment: str(values.environment),
    workspace: str(values.workspace),
    name: str(values.name),
    location: str(values.location) ?? "westeurope",
    force: values.force === true,
  };
}

/** A path as the deployment file writes it: relative to its folder, forward slashes, inside that folder. */
function inside(dir: string, flag: string, given: string): string {
  const full = resolve(given);
  const rel = relative(dir, full);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) {
    throw new InitError(`${flag} "${given}" is outside ${dir}; only files inside the app's folder ship in the image: copy it there first`);
  }
  if (!existsSync(full)) throw new InitError(`${flag} "${given}" does not exist`);
  return rel.split(sep).join("/");
}

/** An app name from a folder name: lowercase letters, digits and single hyphens, starting with a letter. */
export function appName(folder: string): string {
  const name = folder.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^[^a-z]+/, "").slice(0, 40).replace(/-+$/, "");
  return name.length >= 2 ? name : "mlapp";
}

const yamlString = (s: string): string => JSON.stringify(s);

export function deploymentText(a: { name: string; location: string; seed: string; model: string; workspace?: string; script: string; requirements?: string; environment?: string }): string {
  return [
    "# yaml-language-server: $schema=./node_modules/mlfunc/mlfunc.schema.json",
    "# The deployment file: `npx mlfunc validate` checks it, `npx mlfunc synth` turns it into Terraform.",
    `name: ${yamlString(a.name)}`,
    `location: ${yamlString(a.location)}`,
    "# Keeps the worldwide-unique names (registry, storage, function app) yours; never change it after the first deploy.",
    `nameSeed: ${yamlString(a.seed)}`,
    "model:",
    `  path: ${yamlString(a.model)}`,
    ...(a.workspace !== undefined ? [`  workspace: ${yamlString(a.workspace)}`] : []),
    `  scoringScript: ${yamlString(a.script)}`,
    ...(a.requirements !== undefined ? [`  requirements: ${yamlString(a.requirements)}`] : []),
    ...(a.environment !== undefined ? [`  environment: ${yamlString(a.environment)}`] : []),
    "functions:",
    "  - name: predict",
    "    trigger:",
    "      type: http",
    "      authLevel: function",
    "environments:",
    "  dev:",
    "    plan:",
    "      sku: B1",
    "  # A second environment on Azure Functions on Container Apps: scales to zero when idle, billed per",
    "  # second of use (docs/container-apps.md in the mlfunc package). Uncomment to add it:",
    "  # canary:",
    "  #   hosting: containerApps",
    "  #   containerApps:",
    "  #     minReplicas: 0",
    "  #     maxReplicas: 10",
    "  #     cpu: 1",
    "  #     memory: 2Gi",
    "# Team state, which the deploy workflow needs (its smoke job reads what the deploy job wrote):",
    "# npx mlfunc bootstrap-state creates the storage and prints this block with its names.",
    "# state:",
    "#   backend: azurerm",
    "#   resourceGroup: rg-<app>-tfstate",
    "#   storageAccount: <account>",
    "#   container: tfstate",
    "",
  ].join("\n");
}

/** The npm scripts an app runs mlfunc with. */
export const APP_SCRIPTS: Readonly<Record<string, string>> = {
  validate: "mlfunc validate",
  synth: "mlfunc synth",
  invoke: "mlfunc invoke",
  review: "mlfunc review",
  diff: "mlfunc diff",
  deploy: "mlfunc deploy",
  smoke: "mlfunc smoke",
  destroy: "mlfunc destroy",
};

export const GITIGNORE = [
  "# mlfunc's generated files and local Terraform state (which can hold secrets)",
  "cdktf.out*/",
  ".mlfunc/",
  "terraform.*.tfstate*",
  "# what npx mlfunc invoke writes for blob and Service Bus functions (its --out, default out/)",
  "out/",
  "node_modules/",
  "",
].join("\n");

/**
 * This repository's workflows, adapted to an app that installs mlfunc: the npm scripts of an mlfunc
 * checkout become `npx mlfunc`, the example's stack names the app's. Each replacement must apply.
 */
export function adaptWorkflow(text: string, app: string): string {
  const steps: [RegExp, string][] = [
    [/npm run --silent (review|smoke) -- /g, "npx mlfunc $1 "],
    [/npm run (deploy|synth|smoke) -- /g, "npx mlfunc $1 "],
    [/npm run (synth|smoke)\b/g, "npx mlfunc $1"],
    [/- run: npm test\n/g, "- run: npx mlfunc validate\n"],
    [/diabetes-/g, `${app}-`],
  ];
  let out = text;
  for (const [pattern, replacement] of steps) out = out.replace(pattern, replacement);
  return out.replace(/Install scikit-learn for the runtime tests/g, "Python with scikit-learn, for local answers");
}

/** A cdktf.json whose `app` is the given command line. */
export function cdktfJson(app: string): string {
  return `${JSON.stringify({ language: "typescript", app, sendCrashReports: "false", terraformProviders: [], terraformModules: [], context: {} }, null, 2)}\n`;
}

interface Planned {
  readonly file: string;
  readonly text: string;
}

function packageJsonText(dir: string, name: string, force: boolean): { text: string; conflict?: string } {
  const file = join(dir, "package.json");
  if (!existsSync(file)) return { text: `${JSON.stringify({ name, private: true, scripts: APP_SCRIPTS }, null, 2)}\n` };
  let pkg: { scripts?: Record<string, string> } & Record<string, unknown>;
  try {
    pkg = JSON.parse(readFileSync(file, "utf8")) as typeof pkg;
  } catch {
    throw new InitError(`${file} is not valid JSON; fix it, then run init again`);
  }
  const scripts = { ...(pkg.scripts ?? {}) };
  const clash = Object.keys(APP_SCRIPTS).find((k) => scripts[k] !== undefined && scripts[k] !== APP_SCRIPTS[k]);
  for (const [k, v] of Object.entries(APP_SCRIPTS)) if (force || scripts[k] === undefined) scripts[k] = v;
  return { text: `${JSON.stringify({ ...pkg, scripts }, null, 2)}\n`, conflict: clash === undefined || force ? undefined : `${file} (its script "${clash}")` };
}

/** Every file init writes, validated; throws InitError naming the first file it would overwrite. */
export function planInit(args: InitArgs): Planned[] {
  const dir = args.dir;
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new InitError(`"${dir}" is not a folder`);
  // An existing file first: a second init is refused before anything else is looked at.
  const targets = ["mlfunc.yaml", "cdktf.json", ".gitignore", join(".github", "workflows", "review.yml"), join(".github", "workflows", "deploy.yml")].map((f) => join(dir, f));
  const existing = args.force ? undefined : targets.find((f) => existsSync(f));
  if (existing !== undefined) throw new InitError(`${relative(process.cwd(), existing) || existing} exists; nothing written (rerun with --force to overwrite)`);
  const name = args.name ?? appName(basename(dir));
  // A registered model stays a reference: synth downloads it on first use (docs/azureml-inputs.md).
  const registered = args.model !== undefined && isModelReference(args.model);
  if (registered) {
    const ref = parseModelReference(args.model ?? "", args.workspace);
    if ("problem" in ref) throw new InitError(`--model "${args.model}": ${ref.problem.replace("model.workspace", "--workspace")}`);
  } else if (args.workspace !== undefined) {
    throw new InitError("--workspace goes with an --model azureml:<name>:<version> reference");
  }
  const model = registered ? (args.model ?? "").trim() : inside(dir, "--model", args.model ?? join(dir, "model.pkl"));
  const workspace = registered && (args.model ?? "").trim().startsWith("azureml://") ? undefined : args.workspace;
  const script = inside(dir, "--script", args.script ?? join(dir, "score.py"));
  let requirements: string | undefined;
  let environment: string | undefined;
  if (args.requirements !== undefined) requirements = inside(dir, "--requirements", args.requirements);
  else if (args.environment !== undefined) environment = inside(dir, "--environment", args.environment);
  else if (existsSync(join(dir, "requirements.txt"))) requirements = "requirements.txt";
  const yamlFile = join(dir, "mlfunc.yaml");
  const text = deploymentText({ name, location: args.location, seed: `${name}-${randomBytes(3).toString("hex")}`, model, workspace, script, requirements, environment });
  try {
    parseDeployment(text, yamlFile, relative(process.cwd(), yamlFile) || yamlFile);
  } catch (e) {
    // Everything must validate now but the registered model, which only the first synth downloads.
    const rest = e instanceof DeploymentError && registered ? e.problems.filter((p) => !(p.path === "model.path" && p.message === NOT_DOWNLOADED)) : undefined;
    if (rest === undefined || rest.length > 0) throw rest === undefined ? e : new DeploymentError((e as DeploymentError).file, rest);
  }
  const workflows = join(PROJECT_ROOT, ".github", "workflows");
  const pkg = packageJsonText(dir, name, args.force);
  const planned: Planned[] = [
    { file: yamlFile, text },
    { file: join(dir, "cdktf.json"), text: cdktfJson("node node_modules/mlfunc/scripts/mlfunc.js app") },
    { file: join(dir, "package.json"), text: pkg.text },
    { file: join(dir, ".gitignore"), text: GITIGNORE },
    { file: join(dir, ".github", "workflows", "review.yml"), text: adaptWorkflow(readFileSync(join(workflows, "review.yml"), "utf8"), name) },
    { file: join(dir, ".github", "workflows", "deploy.yml"), text: adaptWorkflow(readFileSync(join(workflows, "deploy.yml"), "utf8"), name) },
  ];
  if (pkg.conflict !== undefined) throw new InitError(`${pkg.conflict} exists with other content; rerun with --force to overwrite`);
  return planned;
}

/** What `mlfunc init` runs: exit 0 written, 1 the deployment file would not validate, 2 bad input or a file exists. */
export function run(argv: readonly string[]): number {
  if (printedHelp(INIT, argv)) return 0;
  let planned: Planned[];
  let args: InitArgs;
  try {
    args = parseInitArgs(argv);
    planned = planInit(args);
  } catch (e) {
    if (e instanceof InitError) {
      process.stderr.write(`init: ${e.message}\n`);
      return 2;
    }
    if (e instanceof DeploymentError) {
      process.stderr.write(`init: the deployment file would not validate; nothing written\n${e.message}\n`);
      return 1;
    }
    throw e;
  }
  for (const p of planned) {
    mkdirSync(dirname(p.file), { recursive: true });
    writeFileSync(p.file, p.text);
    process.stdout.write(`wrote ${relative(process.cwd(), p.file) || p.file}\n`);
  }
  if (args.model !== undefined && isModelReference(args.model)) {
    process.stdout.write("\nThe registered model is downloaded into .mlfunc/models at the first synth: sign in first (az login).\n");
  }
  process.stdout.write("\nNext: npx mlfunc validate, npx mlfunc invoke predict <input.json>, npx mlfunc synth\n");
  return 0;
}
