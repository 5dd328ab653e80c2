/**
 * Every command's options, declared once: the parser (node:util parseArgs), `<command> --help`, the
 * overview `mlfunc --help` prints (the `help` file) and the README's command table all come from here.
 */
import { parseArgs } from "node:util";
import { visible } from "../review/escape";

export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly short?: string;
  /** A string option given more than once collects every value. */
  readonly multiple?: boolean;
  /** The value's placeholder in help, e.g. "<dir>". */
  readonly value?: string;
  readonly help: string;
}

export interface CommandSpec {
  readonly name: string;
  /** Positional arguments as the usage line shows them. */
  readonly args: string;
  /** One line for the overview and the README's table. */
  readonly summary: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Lines after the options in `<command> --help`. */
  readonly notes?: readonly string[];
}

const HELP: OptionSpec = { type: "boolean", short: "h", help: "show this help and exit" };
const QUIET: OptionSpec = { type: "boolean", help: "no progress lines on stderr" };
const OFFLINE: OptionSpec = { type: "boolean", help: "use only downloaded registered models; nothing contacts Azure" };

export const SYNTH: CommandSpec = {
  name: "synth",
  args: "",
  summary: "validate the deployment file and write cdktf.out/stacks/<app>-<env> next to it",
  options: {
    output: { type: "string", value: "<dir>", help: "write the stacks there (default cdktf.out next to the deployment file)" },
    contexts: { type: "string", value: "<dir>", help: "keep build contexts there (default .mlfunc/contexts next to the deployment file)" },
    offline: OFFLINE,
    quiet: QUIET,
  },
  notes: ["exit 0 ok, 1 an invalid deployment file or a policy error, 2 bad arguments; one synth per output folder at a time"],
};

export const VALIDATE: CommandSpec = {
  name: "validate",
  args: "",
  summary: "validation and policy only, nothing written",
  options: {
    offline: OFFLINE,
    contexts: { type: "string", value: "<dir>", help: "accepted as synth takes it; validate writes nothing" },
    output: { type: "string", value: "<dir>", help: "accepted as synth takes it; validate writes nothing" },
    quiet: QUIET,
  },
  notes: ["exit 0 ok, 1 problems (every one listed), 2 bad arguments"],
};

export const INVOKE: CommandSpec = {
  name: "invoke",
  args: "<function> [<input-file>]",
  summary: "run one function locally from its build context with the chosen Python",
  options: {
    env: { type: "string", value: "<env>", help: "the environment whose settings apply (default the first)" },
    out: { type: "string", value: "<dir>", help: "where blob and queue outputs are written (default out)" },
    method: { type: "string", value: "GET|POST", help: "GET needs no input file: the health route, or run() of a @rawhttp script" },
    swagger: { type: "boolean", help: "print an HTTP function's OpenAPI document instead" },
    version: { type: "string", value: "2|3|3.1", help: "OpenAPI version for --swagger (default 2)" },
    timeout: { type: "string", value: "<seconds>", help: "stop the run after this long (default 300, as Azure ML's scoring timeout)" },
  },
  notes: ["exit 0 ok, 1 failed, 2 bad input"],
};

export const SMOKE: CommandSpec = {
  name: "smoke",
  args: "<stack>",
  summary: "test a deployed stack end to end, compared with the local invoke answers",
  options: {
    input: { type: "string", value: "<file>", help: "the request to send (default smoke.request, else sample.json beside score.py)" },
    function: { type: "string", multiple: true, value: "<name>", help: "test only this function (repeatable; default every function)" },
    timeout: { type: "string", value: "<seconds>", help: "bound the whole run: state reads, local answers, health wait and each answer (default 600)" },
    json: { type: "boolean", help: "print the result as JSON" },
  },
  notes: [
    "outputs come from the stack's state; signs in with DefaultAzureCredential (az login, AZURE_*, workload or managed identity);",
    "MLFUNC_FUNCTION_KEY overrides the listed function key; exit 0 ok, 1 a function failed, 2 bad input or not deployed",
  ],
};

export const BOOTSTRAP_STATE: CommandSpec = {
  name: "bootstrap-state",
  args: "",
  summary: "synthesize (and deploy) <app>-state, the azurerm backend's storage; prints the state: block",
  options: {
    "principal-id": { type: "string", value: "<object-id>", help: "object id of who runs Terraform (az ad signed-in-user show --query id -o tsv)" },
    deploy: { type: "boolean", help: "deploy the state stack with the cdktf CLI" },
    "auto-approve": { type: "boolean", help: "deploy without asking" },
  },
};

export const REVIEW: CommandSpec = {
  name: "review",
  args: "",
  summary: "one pull-request report: offline diff vs a base, image changes, plans, policy, the delete gate",
  options: {
    base: { type: "string", value: "<git-ref>", help: "compare with this revision of the deployment file's repository (default origin/main, else main)" },
    "base-out": { type: "string", value: "<cdktf.out dir>", help: "compare with an already synthesized tree instead" },
    plan: { type: "string", multiple: true, value: "<plan.json>", help: "summarize a `terraform show -json` plan (repeatable)" },
    format: { type: "string", value: "md|json", help: "report format (default md)" },
    "fail-on": { type: "string", value: "low|medium|high|none", help: "lowest policy severity that fails (default high)" },
    "allow-delete": { type: "string", multiple: true, value: "<address-pattern>", help: "let the gate pass a delete or replacement (* any characters; repeatable)" },
    "fail-on-delete": { type: "boolean", help: "fail on every delete" },
    "fail-on-replace": { type: "boolean", help: "fail on every replacement" },
    out: { type: "string", value: "<file>", help: "write the report there instead of stdout" },
    offline: OFFLINE,
  },
  notes: ["exit 0 ok, 1 a finding at or above --fail-on or a blocked delete, 2 bad input, 3 internal error"],
};

export const SCHEMA: CommandSpec = {
  name: "schema",
  args: "",
  summary: "write mlfunc.schema.json, the deployment file's JSON Schema for editors, next to the deployment file",
  options: {},
};

export const INIT: CommandSpec = {
  name: "init",
  args: "[<dir>]",
  summary: "start an app repository: mlfunc.yaml, cdktf.json, package.json scripts, .gitignore, workflows",
  options: {
    model: { type: "string", value: "<file|azureml reference>", help: "the trained model, or a registered version: azureml:<name>:<version> or an azureml:// URI (default model.pkl in the folder)" },
    script: { type: "string", value: "<score.py>", help: "the Azure ML scoring script (default score.py in the folder)" },
    requirements: { type: "string", value: "<file>", help: "pip requirements of the script (default requirements.txt in the folder, if any)" },
    environment: { type: "string", value: "<file>", help: "a conda or Azure ML environment file instead of --requirements" },
    workspace: { type: "string", value: "<workspace id>", help: "the Azure ML workspace's resource id, for --model azureml:<name>:<version>" },
    name: { type: "string", value: "<app>", help: "the app's name (default the folder's name)" },
    location: { type: "string", value: "<region>", help: "Azure region (default westeurope)" },
    force: { type: "boolean", help: "overwrite files that exist" },
  },
  notes: ["never asks anything; exit 0 written, 2 a file exists (without --force) or bad input"],
};

/** The cdktf CLI commands mlfunc runs for the app's stacks, from the deployment file's folder. */
const passThrough = (name: "deploy" | "diff" | "destroy", summary: string): CommandSpec => ({
  name,
  args: "<stack> [cdktf options]",
  summary,
  options: {},
  notes: [`runs \`cdktf ${name} <stack>\` for the stacks of the deployment file (needs Terraform; deploy needs az login and Docker)`],
});

const deploy = passThrough("deploy", "cdktf deploy of one stack (az login, Docker, Terraform)");
export const DEPLOY: CommandSpec = {
  ...deploy,
  notes: [
    ...(deploy.notes ?? []),
    "<app>-image builds the one image and deploys first (deploy -- <app>-image <app>-dev); an environment alone runs the digest already pushed: add --ignore-missing-stack-dependencies (docs/image-promotion.md)",
  ],
};
export const DIFF = passThrough("diff", "the Terraform plan of one stack");
export const DESTROY = passThrough("destroy", "cdktf destroy of one stack");

/** Every command `mlfunc` runs, in the order help lists them. */
export const COMMANDS: readonly CommandSpec[] = [INIT, VALIDATE, SYNTH, INVOKE, REVIEW, DIFF, DEPLOY, SMOKE, DESTROY, BOOTSTRAP_STATE, SCHEMA];

export function commandSpec(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}

export function usageLine(spec: CommandSpec): string {
  const flags = Object.entries(spec.options).map(([name, o]) => `[--${name}${o.value ? ` ${o.value}` : ""}]${o.multiple ? "..." : ""}`);
  return ["usage: mlfunc", spec.name, spec.args, ...flags].filter(Boolean).join(" ");
}

/** `mlfunc <command> --help`. */
export function helpText(spec: CommandSpec): string {
  const options = { ...spec.options, help: HELP };
  const left = Object.entries(options).map(([name, o]) => `${o.short ? `-${o.short}, ` : "    "}--${name}${o.value ? ` ${o.value}` : ""}`);
  const width = Math.max(...left.map((l) => l.length)) + 2;
  const rows = Object.values(options).map((o, i) => `  ${(left[i] ?? "").padEnd(width)}${o.help}`);
  return [`${usageLine(spec)}`, "", spec.summary, "", "options:", ...rows, ...(spec.notes ? ["", ...spec.notes] : []), ""].join("\n");
}

/** `mlfunc --help`: the commands, one line each. */
export function overviewText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    "usage: mlfunc <command> [options]        (in an mlfunc checkout: npm run <command> -- [options])",
    "",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    "",
    "Every command reads MLFUNC_CONFIG (default mlfunc.yaml) and writes next to that file.",
    "mlfunc <command> --help shows its options; docs/commands.md has them all.",
    "The deployment file (docs/deployment-file.md) also takes: model.environment (a conda or Azure ML",
    "environment) and azureml: registered models (docs/azureml-inputs.md), an MLflow model folder without a",
    "scoring script (docs/mlflow.md), trigger.source: eventGrid for blobs (docs/event-grid.md), a network:",
    "block (docs/networking.md) and registry: own (docs/image-promotion.md).",
    "In an mlfunc checkout also: npm test, npm run bench, npm run build (bundles), npm run typecheck.",
    "",
  ].join("\n");
}

export interface Parsed {
  readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>;
  readonly positionals: readonly string[];
  readonly help: boolean;
}

/**
 * Parses `argv` against the spec. Errors name the option and end with the usage line; `fail` makes
 * them the command's own error type. A string option's value may not start with "--" (a forgotten value).
 */
/** What is wrong with one option, for commands that word their own errors. */
export type OptionProblem = "unknown option" | "takes no value" | "needs a value";

export function parseOptions(spec: CommandSpec, argv: readonly string[], fail: (option: string, message: string, problem: OptionProblem) => Error): Parsed {
  const options = { ...spec.options, help: HELP };
  const { tokens } = parseArgs({ args: [...argv], options: Object.fromEntries(Object.entries(options).map(([k, o]) => [k, { type: o.type, multiple: o.multiple === true, ...(o.short ? { short: o.short } : {}) }])), strict: false, allowPositionals: true, tokens: true });
  const values: Record<string, string | boolean | string[] | undefined> = {};
  const positionals: string[] = [];
  let help = false;
  for (const token of tokens ?? []) {
    if (token.kind === "positional") positionals.push(token.value);
    if (token.kind !== "option") continue;
    const option = (options as Record<string, OptionSpec | undefined>)[token.name];
    if (option === undefined) throw fail(token.rawName, `unknown option "${visible(token.rawName)}"; ${usageLine(spec)}`, "unknown option");
    if (token.name === "help") {
      help = true;
      continue;
    }
    if (option.type === "boolean") {
      if (token.value !== undefined) throw fail(token.rawName, `${token.rawName} takes no value; ${usageLine(spec)}`, "takes no value");
      values[token.name] = true;
      continue;
    }
    if (token.value === undefined || (!token.inlineValue && token.value.startsWith("--"))) throw fail(token.rawName, `${token.rawName} needs a value; ${usageLine(spec)}`, "needs a value");
    if (option.multiple) values[token.name] = [...((values[token.name] as string[] | undefined) ?? []), token.value];
    else values[token.name] = token.value;
  }
  return { values, positionals, help };
}

/** A --timeout value: a positive number of seconds, else `fallback` when not given. */
export function parseSeconds(value: unknown, fallback: number, fail: (message: string) => Error): number {
  if (typeof value !== "string") return fallback;
  const seconds = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || seconds <= 0) throw fail(`--timeout must be a positive number of seconds, not "${visible(value)}"`);
  return seconds;
}

/** Prints the command's help when asked (-h/--help anywhere before `--`); true if it did. */
export function printedHelp(spec: CommandSpec, argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  const head = end === -1 ? argv : argv.slice(0, end);
  if (!head.includes("--help") && !head.includes("-h")) return false;
  process.stdout.write(helpText(spec));
  return true;
}

/** What `mlfunc --help` and `mlfunc <command> --help` run: the launcher's help bundle. */
export function run(argv: readonly string[]): number {
  const [name] = argv;
  if (name === undefined) {
    process.stdout.write(overviewText());
    return 0;
  }
  const spec = commandSpec(name);
  if (spec === undefined) {
    process.stderr.write(`mlfunc: unknown command "${name}"; mlfunc --help lists them\n`);
    return 2;
  }
  process.stdout.write(helpText(spec));
  return 0;
}
