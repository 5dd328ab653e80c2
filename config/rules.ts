/**
 * Rules that span fields or touch the file system: what the schema alone cannot say. They run on
 * every part of the file that passed the schema, so all problems surface in one run.
 */
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { AZURE_REGIONS } from "./regions";
import { NAME_RULES, OVERRIDABLE_NAMES, nameProblem, resourceNames, suggestName } from "./naming";
import { maxInstances, planKind } from "./hosting";
import type { EnvironmentConfig, FunctionConfig, ModelConfig, StateConfig } from "./schema";
import type { Problem } from "./problems";

export interface Parts {
  readonly dir: string;
  readonly name?: string;
  readonly nameSeed?: string;
  readonly location?: string;
  readonly model?: Partial<ModelConfig>;
  readonly functions: ReadonlyArray<readonly [number, Partial<FunctionConfig>]>;
  readonly environments: ReadonlyArray<readonly [string, Partial<EnvironmentConfig>]>;
  readonly state?: StateConfig;
  /** `smoke.request`, when it is a string. */
  readonly smokeRequest?: string;
}

type Report = (path: string, value: unknown, message: string) => void;

export function withSuggestion(problem: string, suggestion: string | undefined): string {
  return suggestion === undefined ? problem : `${problem}; try "${suggestion}"`;
}

export function checkRules(parts: Parts): Problem[] {
  const problems: Problem[] = [];
  const report: Report = (path, value, message) => problems.push({ path, value, message });
  if (parts.location !== undefined) checkLocation("location", parts.location, report);
  if (parts.model) checkModel(parts.dir, parts.model, report);
  checkFunctions(parts.functions, report);
  checkEnvironments(parts, report);
  if (parts.smokeRequest !== undefined && !existsSync(resolve(parts.dir, parts.smokeRequest))) {
    report("smoke.request", parts.smokeRequest, "no such file (paths are relative to the deployment file); fix the path, or remove it and pass --input to npm run smoke");
  }
  return problems;
}

function checkLocation(path: string, location: string, report: Report): void {
  if (AZURE_REGIONS.includes(location)) return;
  const squashed = location.toLowerCase().replace(/[^a-z0-9]/g, "");
  const fix = AZURE_REGIONS.includes(squashed) ? `write "${squashed}"` : `use a region name such as "westeurope" or "eastus2" (az account list-locations -o table)`;
  report(path, location, `not an Azure region name; ${fix}`);
}

function checkModel(dir: string, model: Partial<ModelConfig>, report: Report): void {
  if (model.path !== undefined) {
    const modelPath = resolve(dir, model.path);
    if (!existsSync(modelPath)) {
      report("model.path", model.path, "no such file or folder (paths are relative to the deployment file); fix the path or train the model first");
    } else if (statSync(modelPath).isDirectory() ? readdirSync(modelPath).length === 0 : statSync(modelPath).size === 0) {
      report("model.path", model.path, "the model is empty; point it at the trained model file or a folder holding it");
    }
  }
  if (model.scoringScript !== undefined) checkScript(dir, model as Partial<ModelConfig> & { scoringScript: string }, report);
  if (typeof model.requirements === "string") {
    const req = resolve(dir, model.requirements);
    if (!existsSync(req) || !statSync(req).isFile()) {
      report("model.requirements", model.requirements, "no such requirements file (paths are relative to the deployment file); fix the path or list the packages inline");
    } else {
      readFileSync(req, "utf8")
        .split(/\r?\n/)
        .forEach((line, i) => checkRequirement(`model.requirements (line ${i + 1} of ${model.requirements})`, line, report));
    }
  } else if (model.requirements !== undefined) {
    model.requirements.forEach((line, i) => checkRequirement(`model.requirements[${i}]`, line, report));
  }
}

/** The scoring script: a .py file that exists, defines init() and run(), and has its imports in the image. */
function checkScript(dir: string, model: Partial<ModelConfig> & { scoringScript: string }, report: Report): void {
  const script = resolve(dir, model.scoringScript);
  if (!model.scoringScript.endsWith(".py")) {
    report("model.scoringScript", model.scoringScript, "the scoring script must be a Python file ending in .py");
  } else if (!existsSync(script) || !statSync(script).isFile()) {
    report("model.scoringScript", model.scoringScript, "no such file (paths are relative to the deployment file); fix the path");
  } else {
    const text = readFileSync(script, "utf8");
    const missing = ["init", "run"].filter((fn) => !new RegExp(`^def ${fn}\\s*\\(`, "m").test(text));
    if (missing.length > 0) {
      report("model.scoringScript", model.scoringScript, `the script must define ${missing.map((m) => `${m}()`).join(" and ")} at top level, as Azure ML scoring scripts do`);
    }
    if (model.sourceDir === undefined) checkSiblingImports(model.scoringScript, script, text, report);
  }
  if (model.sourceDir !== undefined) {
    const source = resolve(dir, model.sourceDir);
    if (!existsSync(source) || !statSync(source).isDirectory()) {
      report("model.sourceDir", model.sourceDir, "no such folder (paths are relative to the deployment file); fix the path");
    } else if (relative(source, script).startsWith("..")) {
      report("model.sourceDir", model.sourceDir, `the scoring script ${model.scoringScript} must be inside this folder; point sourceDir at the folder that holds it`);
    } else if (!relative(source, dir).startsWith("..")) {
      report("model.sourceDir", model.sourceDir, "holds the deployment file's own folder, and with it Terraform state, node_modules and cdktf.out, which must not go into the image; point sourceDir at the folder with the scoring code");
    }
  }
}

/** Lines pip would resolve against files that the image does not have. */
function checkRequirement(path: string, line: string, report: Report): void {
  const l = line.trim();
  if (/^(-r|-c|--requirement|--constraint)\b/.test(l)) {
    report(path, l, "includes of other requirement files are not copied into the image; list their packages in this file instead");
  } else if (/:\/\/[^/\s@]+@/.test(l)) {
    // user:password@ or a bare token@: either is a credential once it is in the image.
    report(path, l.replace(/:\/\/[^/\s@]+@/g, "://***@"), "a credential in a URL would be baked into the image; use an index that needs none, or pass pip credentials as a Docker build secret outside the file");
  } else if (/^(-e|--editable)\b/.test(l) || /^(\.{1,2}\/|\/|file:)/.test(l)) {
    report(path, l, "local paths and editable installs are not in the image; publish the package to an index pip can reach, or vendor it into model.sourceDir");
  }
}

/** A module imported from next to the script works locally but is missing in the image. */
function checkSiblingImports(shown: string, script: string, text: string, report: Report): void {
  const folder = dirname(script);
  const modules = [...text.matchAll(/^\s*(?:from\s+([A-Za-z_]\w*)[\w.]*\s+import|import\s+([A-Za-z_]\w*))/gm)].map((m) => m[1] ?? m[2] ?? "");
  for (const name of [...new Set(modules)].sort()) {
    if (existsSync(join(folder, `${name}.py`)) || existsSync(join(folder, name, "__init__.py"))) {
      report("model.scoringScript", shown, `the script imports "${name}" from its own folder, which is not copied into the image; set model.sourceDir to that folder`);
    }
  }
}

const TOKEN = /\{([^{}]*)\}/g;

/** Top-level names of the image's own files and folders, which a function folder would overwrite. */
const RESERVED_FUNCTION_NAMES = ["Dockerfile", "mlfunc_runtime", "azureml", "model", "scoring"];

/** A blob path's container and the `{tokens}` it binds, or what is wrong with it. */
export function parseBlobPath(path: string): { container: string; tokens: string[]; problem?: string } {
  const slash = path.indexOf("/");
  const container = slash < 0 ? path : path.slice(0, slash);
  const rest = slash < 0 ? "" : path.slice(slash + 1);
  const tokens = [...path.matchAll(TOKEN)].map((m) => m[1] ?? "");
  let problem: string | undefined;
  if (slash < 0 || rest.length === 0) problem = 'a blob path is "<container>/<blob name pattern>", e.g. "input/{blobname}.json"';
  else if (rest.startsWith("/") || rest.includes("//")) problem = "a blob path must not contain empty segments (//)";
  else if (path.replace(TOKEN, "").match(/[{}]/)) problem = "unbalanced { or } in the blob path";
  else if (tokens.some((t) => !/^[A-Za-z][A-Za-z0-9_]*$/.test(t))) problem = "{tokens} must be names of letters, digits and underscores, e.g. {blobname}";
  else if (container.includes("{")) problem = "the container part cannot contain {tokens}; name a fixed container";
  else {
    const containerProblem = nameProblem("container", container);
    if (containerProblem) problem = `the path starts with the container name: ${withSuggestion(containerProblem, suggestName("container", container))}`;
  }
  return { container, tokens, problem };
}

function checkFunctions(functions: Parts["functions"], report: Report): void {
  const seenNames = new Map<string, number>();
  const queueConsumers = new Map<string, number>();
  // Service Bus queue names are case-insensitive: two spellings are one queue.
  const queueSpellings = new Map<string, string>();
  const sameQueue = (path: string, queue: string) => {
    const first = queueSpellings.get(queue.toLowerCase());
    if (first !== undefined && first !== queue) report(path, queue, `Service Bus treats "${first}" and "${queue}" as one queue; spell it the same way everywhere`);
    else queueSpellings.set(queue.toLowerCase(), queue);
  };
  for (const [i, fn] of functions) {
    const at = `functions[${i}]`;
    if (fn.name !== undefined) {
      const reserved = RESERVED_FUNCTION_NAMES.find((r) => r.toLowerCase() === fn.name?.toLowerCase());
      if (reserved) report(`${at}.name`, fn.name, `"${reserved}" is taken by the image's own files (${RESERVED_FUNCTION_NAMES.join(", ")}); rename the function`);
      const key = fn.name.toLowerCase();
      const first = seenNames.get(key);
      if (first !== undefined) report(`${at}.name`, fn.name, `functions[${first}] already has this name (names are case-insensitive); rename one`);
      else seenNames.set(key, i);
    }

    const t = fn.trigger;
    if (t?.type === "blob") {
      const input = parseBlobPath(t.inputPath);
      const output = parseBlobPath(t.outputPath);
      if (input.problem) report(`${at}.trigger.inputPath`, t.inputPath, input.problem);
      if (output.problem) report(`${at}.trigger.outputPath`, t.outputPath, output.problem);
      if (!input.problem && !output.problem) {
        if (t.inputPath === t.outputPath) {
          report(`${at}.trigger.outputPath`, t.outputPath, 'input and output paths must differ; write results elsewhere, e.g. "output/{blobname}_out.json"');
        } else if (input.container === output.container) {
          report(`${at}.trigger.outputPath`, t.outputPath, `results written to the trigger's own container "${input.container}" would trigger the function again; use another container, e.g. "output/..."`);
        }
        const unknown = output.tokens.filter((tok) => !input.tokens.includes(tok));
        if (unknown.length > 0) {
          report(`${at}.trigger.outputPath`, t.outputPath, `${unknown.map((u) => `{${u}}`).join(", ")} not in inputPath; output tokens must come from the input path (${input.tokens.map((u) => `{${u}}`).join(", ") || "it has none"})`);
        }
      }
    } else if (t?.type === "serviceBus") {
      sameQueue(`${at}.trigger.queue`, t.queue);
      if (t.outputQueue !== undefined && t.outputQueue.toLowerCase() === t.queue.toLowerCase()) {
        report(`${at}.trigger.outputQueue`, t.outputQueue, "results sent to the trigger's own queue would trigger the function again; use another queue, e.g. \"outqueue\"");
      } else if (t.outputQueue !== undefined) sameQueue(`${at}.trigger.outputQueue`, t.outputQueue);
      const owner = queueConsumers.get(t.queue.toLowerCase());
      if (owner !== undefined) report(`${at}.trigger.queue`, t.queue, `functions[${owner}] already reads this queue and they would split its messages; give each function its own queue`);
      else queueConsumers.set(t.queue.toLowerCase(), i);
    }
  }
}

function checkEnvironments(parts: Parts, report: Report): void {
  const globalNames = new Map<string, string>();
  for (const [env, cfg] of parts.environments) {
    const at = `environments.${env}`;
    const envProblem = nameProblem("environment", env);
    if (envProblem) report(at, env, withSuggestion(envProblem, suggestName("environment", env)));
    if (cfg.location !== undefined) checkLocation(`${at}.location`, cfg.location, report);

    const { sku, minInstances, maxInstances: max } = cfg.plan ?? { sku: undefined };
    if (sku === undefined) {
      // The plan failed the schema; its problem is already listed.
    } else if (planKind(sku) === "dedicated") {
      if (max !== undefined) report(`${at}.plan.maxInstances`, max, `Dedicated plans (${sku}) run a fixed number of instances; remove maxInstances and set minInstances, or use EP1-EP3 for elastic scale-out`);
      if (minInstances !== undefined && minInstances > maxInstances(sku)) report(`${at}.plan.minInstances`, minInstances, `${sku} allows at most ${maxInstances(sku)} instances; lower it or pick a larger tier`);
    } else {
      if (max !== undefined && max > maxInstances(sku)) report(`${at}.plan.maxInstances`, max, `Elastic Premium scales out to at most ${maxInstances(sku)} instances; lower it`);
      if (minInstances !== undefined && minInstances > maxInstances(sku)) report(`${at}.plan.minInstances`, minInstances, `Elastic Premium runs at most ${maxInstances(sku)} instances; lower it`);
      if (max !== undefined && (minInstances ?? 1) > max) report(`${at}.plan.minInstances`, minInstances, `must not exceed maxInstances (${max}); raise maxInstances or lower minInstances`);
    }

    if (parts.name === undefined || nameProblem("app", parts.name) || envProblem) continue;
    const names = resourceNames(parts.name, env, cfg.names, parts.nameSeed);
    if (names.hostStorageAccount === names.dataStorageAccount) {
      report(`${at}.names.dataStorageAccount`, names.dataStorageAccount, "the host and data storage accounts must be different accounts; give each its own name");
    }
    // Names Azure requires to be unique worldwide must differ between our own environments too.
    for (const field of Object.keys(OVERRIDABLE_NAMES) as Array<keyof typeof OVERRIDABLE_NAMES>) {
      const kind = OVERRIDABLE_NAMES[field];
      const rule = NAME_RULES[kind];
      if (!("global" in rule)) continue;
      const value = names[field];
      const key = `${kind}:${value.toLowerCase()}`;
      const other = globalNames.get(key);
      if (other && !other.startsWith(`${env}.`)) {
        report(`${at}.names.${field}`, value, `already used by environments.${other}; ${rule.label}s are globally unique, so give each environment its own`);
      } else if (!other) globalNames.set(key, `${env}.names.${field}`);
    }
    if (parts.state?.backend === "remote") {
      const workspace = parts.state.workspaces.replace(/\{stack\}/g, `${parts.name}-${env}`);
      const problem = nameProblem("tfcWorkspace", workspace);
      if (problem) report("state.workspaces", parts.state.workspaces, `gives "${workspace}" for environment ${env}: ${problem}`);
    }
  }
}
