/**
 * Rules that span fields or touch the file system: what the schema alone cannot say. They run on
 * every part of the file that passed the schema, so all problems surface in one run.
 */
import { existsSync, lstatSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { ShipRules, allowEntryProblem, listShipped, shipRules } from "./ship";
import { AZURE_REGIONS } from "./regions";
import { DEAD_LETTER_CONTAINER, NAME_RULES, OVERRIDABLE_NAMES, ResourceNames, imageStackName, imageStackNames, nameProblem, resourceNames, stateStackName, stateStorageNames, suggestName } from "./naming";
import { DEFAULT_MAX_REPLICAS, WORKLOAD_PROFILES, defaultReplicaSize, maxInstances, planKind, premiumMaxInstances, replicaSizeProblem } from "./hosting";
import type { ContainerAppsConfig, EnvironmentConfig, FunctionConfig, ModelConfig, NetworkConfig, ShipConfig, StateConfig } from "./schema";
import { PRIVATE_DNS_ZONES, PRIVATE_ENDPOINT_SUBNET_PREFIX, appServiceSubnetPrefix, containerAppsSubnetPrefix, neededZones, parseCidr, reservedOverlap, subnetLayout } from "./network";
import type { Problem } from "./problems";
import { unprovidedImports } from "./imports";
import { type EnvironmentTranslation, droppedWarning, fitPython, requirementName } from "./conda";
import { type ModelReference, NOT_DOWNLOADED, cachedModel, isModelReference, modelCacheRoot, parseModelReference, parseWorkspaceId } from "./model-reference";
import { DEFAULT_PYTHON_VERSION, PYTHON_VERSIONS } from "./schema";
import { mergedTagProblems } from "./tags";

export interface Parts {
  readonly dir: string;
  readonly name?: string;
  /** Top-level tags (string values only). */
  readonly tags?: Readonly<Record<string, string>>;
  readonly nameSeed?: string;
  readonly location?: string;
  readonly model?: Partial<ModelConfig>;
  /** model.environment read and translated, when the file names one: once for the rules and the build. */
  readonly modelEnvironment?: EnvironmentTranslation;
  readonly functions: ReadonlyArray<readonly [number, Partial<FunctionConfig>]>;
  readonly environments: ReadonlyArray<readonly [string, Partial<EnvironmentConfig>]>;
  /** Each environment's `containerApps` block, when the file has one: its valid fields, defaults applied. */
  readonly containerApps?: ReadonlyMap<string, ContainerAppsParts>;
  /** Each environment's `network` block, when the file has one: the keys it sets and its valid fields. */
  readonly networks?: ReadonlyMap<string, NetworkParts>;
  readonly state?: StateConfig;
  readonly ship?: Partial<ShipConfig>;
  /** `smoke.request`, when it is a string. */
  readonly smokeRequest?: string;
}

/** A `containerApps` block's valid fields; its revisions' valid fields too. */
export type ContainerAppsParts = Partial<Omit<ContainerAppsConfig, "revisions">> & {
  /** Valid fields; `latestWeightRefused` when the file gave a latestWeight the schema refused. */
  readonly revisions?: Partial<ContainerAppsConfig["revisions"]> & { readonly latestWeightRefused?: boolean };
};

/** A `network` block: which keys the file sets (valid or not) and the fields that are valid. */
export interface NetworkParts {
  readonly keys: readonly string[];
  readonly valid: Partial<NetworkConfig>;
}

export type Report = (path: string, value: unknown, message: string) => void;

export function withSuggestion(problem: string, suggestion: string | undefined): string {
  return suggestion === undefined ? problem : `${problem}; try "${suggestion}"`;
}

export function checkRules(parts: Parts): Problem[] {
  const problems: Problem[] = [];
  const report: Report = (path, value, message) => problems.push({ path, value, message });
  if (parts.location !== undefined) checkLocation("location", parts.location, report);
  (parts.ship?.allow ?? []).forEach((a, i) => {
    const roots = [parts.model?.path, parts.model?.sourceDir].filter((p): p is string => typeof p === "string");
    const problem = allowEntryProblem(parts.dir, a.path, roots);
    if (problem !== undefined) report(`ship.allow[${i}].path`, a.path, problem);
  });
  if (parts.model) checkModel(parts.dir, parts.model, parts.modelEnvironment, shipRulesFor(parts.dir, parts.ship?.allow, parts.model.path), report);
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

/** The model a deployment file names: its path on disk (a downloaded registered model's in the cache), or a problem. */
export function modelSource(dir: string, model: { readonly path: string; readonly workspace?: string }): { path: string; reference?: ModelReference } | { problem: string } {
  if (!isModelReference(model.path)) return { path: resolve(dir, model.path) };
  const ref = parseModelReference(model.path, model.workspace);
  if ("problem" in ref) return ref;
  const cached = cachedModel(modelCacheRoot(dir), ref);
  return cached === undefined ? { problem: NOT_DOWNLOADED } : { path: cached, reference: ref };
}

/** The ship rules, with the model cache allowed when it lies outside the project (a review's base revision). */
export function shipRulesFor(dir: string, allow: ReadonlyArray<{ path: string; reason: string }> | undefined, modelPath: string | undefined): ShipRules {
  const cache = modelCacheRoot(dir);
  const extra = modelPath !== undefined && isModelReference(modelPath) ? [{ path: cache, reason: "registered models downloaded by synth" }] : [];
  return shipRules(dir, [...(allow ?? []), ...extra]);
}

function checkModel(dir: string, model: Partial<ModelConfig>, environment: EnvironmentTranslation | undefined, ship: ShipRules, report: Report): void {
  const isReference = model.path !== undefined && isModelReference(model.path);
  if (model.workspace !== undefined && !(model.path !== undefined && /^azureml:[^/]/.test(model.path))) {
    report("model.workspace", model.workspace, "belongs to a short model reference, model.path: azureml:<name>:<version>; remove it, or use that form");
  } else if (model.workspace !== undefined) {
    const w = parseWorkspaceId(model.workspace);
    if ("problem" in w) report("model.workspace", model.workspace, w.problem);
  }
  if (model.path !== undefined && isReference) {
    const source = modelSource(dir, { path: model.path, workspace: model.workspace });
    // A bad workspace id is model.workspace's problem, listed above.
    if ("problem" in source) {
      if (!source.problem.startsWith("model.workspace ")) report("model.path", model.path, source.problem);
    } else {
      for (const p of listShipped(source.path, ship).problems) report("model.path", model.path, p);
    }
  } else if (model.path !== undefined) {
    const modelPath = resolve(dir, model.path);
    if (!lexists(modelPath)) {
      report("model.path", model.path, "no such file or folder (paths are relative to the deployment file); fix the path or train the model first");
    } else {
      const listing = listShipped(modelPath, ship);
      for (const p of listing.problems) report("model.path", model.path, p);
      if (listing.problems.length === 0 && (listing.files.length === 0 || (listing.files.length === 1 && listing.files[0]?.path === basename(modelPath) && listing.files[0].size === 0))) {
        report("model.path", model.path, "the model is empty (or every file in it is left out of the image); point it at the trained model file or a folder holding it");
      }
    }
  }
  if (model.version !== undefined && model.name === undefined && !isReference) {
    report("model.version", model.version, "a version belongs to a registered model name; set model.name too, or remove model.version");
  }
  if (model.scoringScript !== undefined) checkScript(dir, model as Partial<ModelConfig> & { scoringScript: string }, ship, report);
  const fromEnvironment = model.environment === undefined || environment === undefined ? new Map<string, string>() : checkEnvironment(dir, model.environment, environment, model.pythonVersion, report);
  // Environment first, then requirements: a project in both would be two pins pip must reconcile.
  const duplicate = (path: string, line: string) => {
    const spec = fromEnvironment.get(requirementName(line));
    if (spec !== undefined) report(path, maskRequirement(line), `${requirementName(line)} is also in model.environment (${spec}); keep one of the two`);
  };
  if (typeof model.requirements === "string") {
    const req = resolve(dir, model.requirements);
    if (!existsSync(req) || !statSync(req).isFile()) {
      report("model.requirements", model.requirements, "no such requirements file (paths are relative to the deployment file); fix the path or list the packages inline");
    } else if (isEnvironmentFile(req)) {
      report("model.requirements", model.requirements, `is a conda or Azure ML environment file, which pip cannot read; name it as model.environment: ${JSON.stringify(model.requirements)} (translated to pip requirements) and remove model.requirements`);
    } else {
      for (const { line, text } of requirementLines(readFileSync(req, "utf8"))) {
        const path = `model.requirements (line ${line} of ${model.requirements})`;
        checkRequirement(path, text, report);
        duplicate(path, text);
      }
    }
  } else if (model.requirements !== undefined) {
    model.requirements.forEach((line, i) => {
      checkRequirement(`model.requirements[${i}]`, line, report);
      duplicate(`model.requirements[${i}]`, line);
    });
  }
}

/** A .yml/.yaml file, or one whose top-level keys are a conda file's. */
function isEnvironmentFile(path: string): boolean {
  if (/\.ya?ml$/i.test(path)) return true;
  const head = readFileSync(path, "utf8").slice(0, 64 * 1024);
  return /^(dependencies|channels|conda_file)\s*:/m.test(head);
}

/**
 * model.environment: the translation's problems, each line through the requirement rules, the python
 * pin against the supported versions. Returns the translated projects by name, with their conda spec.
 */
function checkEnvironment(dir: string, environment: string, t: EnvironmentTranslation, pythonVersion: string | undefined, report: Report): Map<string, string> {
  for (const p of t.problems) report("model.environment", environment, p);
  const shown = t.condaFile === undefined ? environment : relative(dir, t.condaFile).split(sep).join("/");
  const names = new Map<string, string>();
  for (const r of t.requirements) {
    checkRequirement(`model.environment (line ${r.line ?? "?"} of ${shown})`, r.text, report);
    const name = requirementName(r.text);
    if (name !== "") names.set(name, r.spec);
  }
  if (pythonVersion === undefined && t.python !== undefined && fitPython(t.python, PYTHON_VERSIONS) === undefined) {
    report(
      "model.environment",
      environment,
      `${shown} pins ${t.python.spec}, and Azure Functions runs Python ${PYTHON_VERSIONS.join(", ")}; set model.pythonVersion: "${DEFAULT_PYTHON_VERSION}" (it wins over the pin; check that the packages install on it) or change the pin`,
    );
  }
  return names;
}

function lexists(path: string): boolean {
  return lstatSync(path, { throwIfNoEntry: false }) !== undefined;
}

/** Characters a scoring script's path may have: it is written into the Dockerfile's ENV line. */
const SAFE_SCRIPT_PATH = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;

/** The scoring script: a .py file that exists, defines init() and run(), and has its imports in the image. */
function checkScript(dir: string, model: Partial<ModelConfig> & { scoringScript: string }, ship: ShipRules, report: Report): void {
  const script = resolve(dir, model.scoringScript);
  const source = model.sourceDir === undefined ? undefined : resolve(dir, model.sourceDir);
  const inImage = source === undefined ? basename(script) : relative(source, script).split(sep).join("/");
  if (!model.scoringScript.endsWith(".py")) {
    report("model.scoringScript", model.scoringScript, "the scoring script must be a Python file ending in .py");
  } else if (!lexists(script)) {
    report("model.scoringScript", model.scoringScript, "no such file (paths are relative to the deployment file); fix the path");
  } else if (!inImage.startsWith("..") && !SAFE_SCRIPT_PATH.test(inImage)) {
    report("model.scoringScript", model.scoringScript, `its path in the image, ${JSON.stringify(inImage)}, must be letters, digits, '.', '_', '-' and '/' (it is written into the Dockerfile); rename the file`);
  } else {
    const listing = listShipped(script, ship);
    for (const p of listing.problems) report("model.scoringScript", model.scoringScript, p);
    if (listing.problems.length === 0 && !statSync(script).isFile()) {
      report("model.scoringScript", model.scoringScript, "is a folder, not a file; point it at the .py file (and set model.sourceDir to ship its folder)");
    } else if (listing.problems.length === 0) {
      const text = readFileSync(script, "utf8");
      const missing = ["init", "run"].filter((fn) => !new RegExp(`^def ${fn}\\s*\\(`, "m").test(text));
      if (missing.length > 0) {
        report("model.scoringScript", model.scoringScript, `the script must define ${missing.map((m) => `${m}()`).join(" and ")} at top level, as Azure ML scoring scripts do`);
      }
      if (model.sourceDir === undefined) checkSiblingImports(model.scoringScript, script, text, report);
    }
  }
  if (model.sourceDir !== undefined && source !== undefined) {
    if (!existsSync(source) || !statSync(source).isDirectory()) {
      report("model.sourceDir", model.sourceDir, "no such folder (paths are relative to the deployment file); fix the path");
    } else if (relative(source, script).startsWith("..")) {
      report("model.sourceDir", model.sourceDir, `the scoring script ${model.scoringScript} must be inside this folder; point sourceDir at the folder that holds it`);
    } else {
      const listing = listShipped(source, ship);
      for (const p of listing.problems) report("model.sourceDir", model.sourceDir, p);
      if (listing.problems.length === 0 && !listing.files.some((f) => f.path === inImage)) {
        report("model.scoringScript", model.scoringScript, `the script is left out of sourceDir (${listing.omitted.find((o) => inImage.startsWith(o.path))?.why ?? "never ships"}); rename it or move it`);
      }
    }
  }
}

/**
 * A requirements file's lines as pip reads them: `\` continuations joined, comments and blanks
 * dropped. The image gets exactly these lines, so the rules check exactly these.
 */
export function requirementLines(text: string): Array<{ line: number; text: string }> {
  const out: Array<{ line: number; text: string }> = [];
  let pending: { line: number; text: string } | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const part = raw.replace(/(^|\s)#.*$/, "");
    const joined = pending ? { line: pending.line, text: pending.text + part } : { line: i + 1, text: part };
    if (/\\\s*$/.test(part)) pending = { line: joined.line, text: joined.text.replace(/\\\s*$/, "") };
    else {
      pending = undefined;
      if (joined.text.trim() !== "") out.push({ line: joined.line, text: joined.text.trim() });
    }
  });
  if (pending && pending.text.trim() !== "") out.push({ line: pending.line, text: pending.text.trim() });
  return out;
}

/** `user:password@` or a bare `token@` after a scheme: either is a credential once in the image. */
const URL_CREDENTIAL = /:\/\/[^/\s@]+@/g;

/** The line as it may be printed: credentials in URLs masked. */
export function maskRequirement(line: string): string {
  return line.replace(URL_CREDENTIAL, "://***@");
}

/** pip's option spellings (`-r x`, `-rx`, `--requirement x`, `--requirement=x`) as name and value. */
function pipOption(line: string): { name: string; value: string } | undefined {
  const long = /^(--[a-z][a-z-]*)(?:=|\s+|$)(.*)$/.exec(line);
  if (long) return { name: long[1] ?? "", value: (long[2] ?? "").trim() };
  const short = /^(-[a-zA-Z])\s*(.*)$/.exec(line);
  if (short) return { name: short[1] ?? "", value: (short[2] ?? "").trim() };
  return undefined;
}

const INCLUDES = ["-r", "--requirement", "-c", "--constraint"];
const EDITABLE = ["-e", "--editable"];
/** Options whose value is where pip finds packages: fine as a URL, not as a local path. */
const LOCATIONS = ["-f", "--find-links", "-i", "--index-url", "--extra-index-url"];
const isLocal = (value: string) => /^(file:|\.{0,2}\/|~|[A-Za-z]:[\\/])/.test(value) || !/^[a-z][a-z0-9+.-]*:\/\//i.test(value);

/** Lines pip would resolve against files that the image does not have, or that carry a credential. */
export function checkRequirement(path: string, line: string, report: Report): void {
  const l = line.trim();
  const shown = maskRequirement(l);
  const option = pipOption(l);
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(l)) {
    report(path, shown, "one requirement per line, without line breaks or control characters; split it into separate list items");
  } else if (shown !== l) {
    report(path, shown, "a credential in a URL would be baked into the image; use an index that needs none, or pass pip credentials as a Docker build secret outside the file");
  } else if (option && INCLUDES.includes(option.name)) {
    report(path, shown, "includes of other requirement files are not copied into the image; list their packages in this file instead");
  } else if (option && EDITABLE.includes(option.name)) {
    report(path, shown, "editable installs are not in the image; publish the package to an index pip can reach, or vendor it into model.sourceDir");
  } else if (option && LOCATIONS.includes(option.name) && isLocal(option.value)) {
    report(path, shown, `${option.name} points at this machine's files, which the image does not have; use an index or a links page pip can reach over HTTPS`);
  } else if (/^(\.{1,2}\/|\/|~|file:)/.test(l) || /@\s*file:/i.test(l)) {
    report(path, shown, "local paths are not in the image; publish the package to an index pip can reach, or vendor it into model.sourceDir");
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
const RESERVED_FUNCTION_NAMES = ["Dockerfile", "mlfunc_runtime", "azureml", "azureml-models", "model", "scoring"];

/** A blob path's container and the `{tokens}` it binds, or what is wrong with it. */
export function parseBlobPath(path: string): { container: string; tokens: string[]; problem?: string } {
  const slash = path.indexOf("/");
  const container = slash < 0 ? path : path.slice(0, slash);
  const rest = slash < 0 ? "" : path.slice(slash + 1);
  const tokens = [...path.matchAll(TOKEN)].map((m) => m[1] ?? "");
  let problem: string | undefined;
  if (/[\x00-\x1f\x7f]/.test(path)) problem = "a blob path must not contain line breaks or control characters";
  else if (slash < 0 || rest.length === 0) problem = 'a blob path is "<container>/<blob name pattern>", e.g. "input/{blobname}.json"';
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
      for (const [field, parsed, path] of [["inputPath", input, t.inputPath], ["outputPath", output, t.outputPath]] as const) {
        if (!parsed.problem && parsed.container === DEAD_LETTER_CONTAINER) {
          report(`${at}.trigger.${field}`, path, `"${DEAD_LETTER_CONTAINER}" holds the events Event Grid could not deliver; use another container`);
        }
      }
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

/**
 * Who holds a stack name, a state location or a resource group: the state stack first, then each
 * environment in file order. Two holders of one value would share state or resources, so that
 * destroying one destroys the other.
 */
class Claims {
  private readonly held = new Map<string, { owner: string; label: string }>();

  /** Records `value` for `owner`; returns the earlier holder's label when another owner has it. */
  claim(kind: string, value: string, owner: string, label: string): string | undefined {
    const key = `${kind}:${value.toLowerCase()}`;
    const first = this.held.get(key);
    if (first === undefined) this.held.set(key, { owner, label });
    return first !== undefined && first.owner !== owner ? first.label : undefined;
  }
}

/** Not an environment name (those are letters and digits), so the state stack is its own owner. */
const STATE_OWNER = "(state)";

/** Where a stack's state lives, as one comparable string per backend. */
function stateLocation(state: StateConfig | undefined, stack: string): string {
  switch (state?.backend ?? "local") {
    case "azurerm": {
      const s = state as Extract<StateConfig, { backend: "azurerm" }>;
      return `azurerm:${s.storageAccount}/${s.container}/${s.keyPrefix ?? ""}${stack}.tfstate`;
    }
    case "remote": {
      const s = state as Extract<StateConfig, { backend: "remote" }>;
      return `remote:${s.hostname}/${s.organization}/${s.workspaces.replace(/\{stack\}/g, stack)}`;
    }
    default:
      return `local:terraform.${stack}.tfstate`;
  }
}

/** The state stack's claims (npm run bootstrap-state), made before any environment's. */
function stateClaims(parts: Parts & { name: string }, claims: Claims): void {
  const stack = stateStackName(parts.name);
  const storage = stateStorageNames(parts.name, parts.nameSeed);
  const label = "the state stack of npm run bootstrap-state";
  claims.claim("stack", stack, STATE_OWNER, `${label}, whose state file terraform.${stack}.tfstate tracks the storage that holds every stack's state: deploying this one would plan to destroy it`);
  // The state stack always keeps its own state in a local file.
  claims.claim("state", `local:terraform.${stack}.tfstate`, STATE_OWNER, `${label} (terraform.${stack}.tfstate)`);
  claims.claim("resourceGroup", storage.resourceGroup, STATE_OWNER, `${label}, which holds everyone's state`);
  claims.claim("storageAccount", storage.storageAccount, STATE_OWNER, `${label}, which holds everyone's state`);
  if (parts.state?.backend === "azurerm") {
    claims.claim("resourceGroup", parts.state.resourceGroup, STATE_OWNER, "state.resourceGroup, which holds the state storage");
    claims.claim("storageAccount", parts.state.storageAccount, STATE_OWNER, "state.storageAccount, the state storage");
  }
}

/** Not an environment name either: the image stack's own claims. */
const IMAGE_OWNER = "(image)";

/** The image stack's claims: its stack, state, resource group and the shared registry's worldwide name. */
function imageClaims(parts: Parts & { name: string }, claims: Claims): void {
  const stack = imageStackName(parts.name);
  const names = imageStackNames(parts.name, parts.nameSeed);
  const label = `the image stack ${stack}, which builds the image every environment runs`;
  claims.claim("stack", stack, IMAGE_OWNER, label);
  claims.claim("state", stateLocation(parts.state, stack), IMAGE_OWNER, label);
  claims.claim("resourceGroup", names.resourceGroup, IMAGE_OWNER, label);
  claims.claim("registry", names.registry, IMAGE_OWNER, `${label} (its registry)`);
}

/** An environment's stack, state location and resource group must be its own. */
function environmentClaims(parts: Parts & { name: string }, env: string, names: ResourceNames, overridden: boolean, claims: Claims, report: Report): void {
  const at = `environments.${env}`;
  const stack = `${parts.name}-${env}`;
  const stackOwner = claims.claim("stack", stack, env, `environments.${env}`);
  if (stackOwner) {
    report(at, env, `its stack "${stack}" is taken by ${stackOwner}; rename the environment`);
    return;
  }
  const state = stateLocation(parts.state, stack);
  const stateOwner = claims.claim("state", state, env, `environments.${env}`);
  if (stateOwner) report(at, env, `its state (${state}) is already used by ${stateOwner}; rename the environment`);
  const rgAt = overridden ? `${at}.names.resourceGroup` : at;
  const rgOwner = claims.claim("resourceGroup", names.resourceGroup, env, `environments.${env}`);
  if (rgOwner) {
    report(rgAt, names.resourceGroup, `the resource group is already used by ${rgOwner}; destroying one stack would delete the other's resources, so give each environment its own resource group${overridden ? "" : " (set names.resourceGroup)"}`);
  }
}

function checkEnvironments(parts: Parts, report: Report): void {
  const globalNames = new Map<string, string>();
  const claims = new Claims();
  const app = parts.name !== undefined && !nameProblem("app", parts.name) ? { ...parts, name: parts.name } : undefined;
  if (app) {
    stateClaims(app, claims);
    imageClaims(app, claims);
  }
  for (const [env, cfg] of parts.environments) {
    const at = `environments.${env}`;
    const envProblem = nameProblem("environment", env);
    if (envProblem) report(at, env, withSuggestion(envProblem, suggestName("environment", env)));
    if (cfg.location !== undefined) checkLocation(`${at}.location`, cfg.location, report);
    const merged = { ...parts.tags, ...cfg.tags, app: parts.name ?? "", environment: env, "managed-by": "mlfunc" };
    for (const problem of mergedTagProblems(merged)) report(`${at}.tags`, "(merged)", problem);

    const containerApps = parts.containerApps?.get(env);
    if (cfg.hosting === "containerApps") {
      if (cfg.plan !== undefined) report(`${at}.plan`, cfg.plan, "plan is for hosting: appService; on Container Apps set containerApps.minReplicas, maxReplicas, cpu and memory instead, and remove plan");
      checkContainerApps(at, containerApps ?? {}, cfg.location ?? parts.location, report);
      if ((containerApps?.ingress ?? "external") === "internal") {
        for (const [i, fn] of parts.functions) {
          if (fn.trigger?.type === "blob" && fn.trigger.source === "eventGrid") {
            report(
              `functions[${i}].trigger.source`,
              "eventGrid",
              `environments.${env} has containerApps.ingress: internal, and Event Grid delivers only to a public HTTPS endpoint, so new blobs would never reach this function; use source: polling (with minReplicas: 1) or set ingress: external`,
            );
          }
        }
      }
    } else if (cfg.hosting === "appService" && containerApps !== undefined) {
      report(`${at}.containerApps`, "(settings)", 'containerApps settings need hosting: containerApps; add "hosting: containerApps" or remove the containerApps block');
    }

    const network = parts.networks?.get(env);
    if (network) {
      checkNetwork(at, cfg, network, containerApps, parts, report);
      const reason =
        network.valid.inbound === "private"
          ? `environments.${env}.network.inbound is private, and Event Grid delivers only to a public HTTPS endpoint (never through a private endpoint or into an internal environment), so new blobs would never reach this function`
          : `environments.${env} has a network, so the trigger storage account takes no public traffic, and Event Grid cannot write the events it fails to deliver (dead letters) there with the app's user-assigned identity`;
      for (const [i, fn] of parts.functions) {
        if (fn.trigger?.type === "blob" && fn.trigger.source === "eventGrid") {
          report(`functions[${i}].trigger.source`, "eventGrid", `${reason}; use source: polling in a networked environment (docs/event-grid.md)`);
        }
      }
    }

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
    if (app) environmentClaims(app, env, names, cfg.names?.resourceGroup !== undefined, claims, report);
    const stable = containerApps?.revisions?.stableRevision;
    if (cfg.hosting === "containerApps" && stable !== undefined && !stable.startsWith(`${names.containerApp}--`)) {
      report(`${at}.containerApps.revisions.stableRevision`, stable, `revisions of this app are named "${names.containerApp}--<suffix>"; copy the latest_revision output of the previous deploy`);
    }
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
      const stateOwner =
        kind === "storageAccount"
          ? claims.claim("storageAccount", value, env, `environments.${env}`)
          : kind === "registry" && cfg.registry === "own"
            ? claims.claim("registry", value, env, `environments.${env}`)
            : undefined;
      if (stateOwner) {
        report(`${at}.names.${field}`, value, `already used by ${stateOwner}; give this environment its own`);
      } else if (other && !other.startsWith(`${env}.`)) {
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

const ZONE_ENDPOINTS: Readonly<Record<string, string>> = {
  blob: "storage accounts' blob",
  queue: "storage accounts' queue",
  table: "host storage's table",
  registry: "registry's",
  serviceBus: "Service Bus namespace's",
  sites: "app's (inbound: private)",
};

/** A network block: created or brought, never both; a created one big enough; a zone map that covers every endpoint. */
function checkNetwork(at: string, cfg: Partial<EnvironmentConfig>, network: NetworkParts, containerApps: ContainerAppsParts | undefined, parts: Parts, report: Report): void {
  const net = `${at}.network`;
  const has = (key: string) => network.keys.includes(key);
  const { valid } = network;
  const serviceBus = parts.functions.some(([, f]) => f.trigger?.type === "serviceBus");
  if (!has("addressSpace") && !has("appSubnetId") && !has("privateEndpointSubnetId")) {
    report(net, "(settings)", "set addressSpace (mlfunc creates the network, e.g. 10.20.0.0/16), or appSubnetId and privateEndpointSubnetId (subnets you bring)");
  }
  if (has("addressSpace")) {
    for (const key of ["appSubnetId", "privateEndpointSubnetId", "privateDnsZoneIds"]) {
      if (has(key)) report(`${net}.${key}`, key === "privateDnsZoneIds" ? "(settings)" : "(subnet id)", `addressSpace creates the network, its subnets and zones; ${key} belongs to a network you bring: remove one of the two`);
    }
  } else {
    if (has("appSubnetId") && !has("privateEndpointSubnetId")) {
      report(`${net}.privateEndpointSubnetId`, undefined, "required with appSubnetId: add the id of a subnet without delegation for the private endpoints (not the app subnet)");
    }
    if (has("privateEndpointSubnetId") && !has("appSubnetId")) {
      const hosting = cfg.hosting === "containerApps" ? "delegated to Microsoft.App/environments, /27 or larger" : "delegated to Microsoft.Web/serverFarms";
      report(`${net}.appSubnetId`, undefined, `required with privateEndpointSubnetId: add the id of the app's subnet (${hosting})`);
    }
    if (valid.appSubnetId !== undefined && valid.privateEndpointSubnetId !== undefined && valid.appSubnetId.toLowerCase() === valid.privateEndpointSubnetId.toLowerCase()) {
      report(`${net}.privateEndpointSubnetId`, valid.privateEndpointSubnetId, "must differ from appSubnetId: a delegated subnet cannot hold private endpoints; give the endpoints their own subnet");
    }
  }
  if (valid.privateDnsZoneIds !== undefined && !has("addressSpace") && cfg.hosting !== undefined) {
    const inbound = valid.inbound ?? (has("inbound") ? undefined : "public");
    const needed = neededZones(cfg.hosting, inbound ?? "public", serviceBus).filter((k) => inbound !== undefined || k !== "sites");
    for (const key of needed) {
      if (valid.privateDnsZoneIds[key] !== undefined) continue;
      report(
        `${net}.privateDnsZoneIds.${key}`,
        undefined,
        `the ${ZONE_ENDPOINTS[key]} private endpoint registers in ${PRIVATE_DNS_ZONES[key]}: add that zone's id, or remove privateDnsZoneIds so mlfunc creates and links the zones`,
      );
    }
  }
  if (cfg.registry === "shared") {
    report(`${at}.registry`, "shared", "a networked environment pulls its image through a private endpoint to a registry of its own, which receives the image by import; remove registry (own is the default with network) or set registry: own");
  }
  for (const [field, label] of [["registrySku", "registry"], ["serviceBusSku", "Service Bus namespace"]] as const) {
    const value = cfg[field];
    if (value === undefined || value === "Premium" || (field === "serviceBusSku" && !serviceBus)) continue;
    report(`${at}.${field}`, value, `private endpoints need a Premium ${label}; set ${field}: Premium, or remove it (a networked environment defaults to Premium)`);
  }

  const space = valid.addressSpace === undefined ? undefined : parseCidr(valid.addressSpace);
  if (space === undefined || !("base" in space)) return;
  if (cfg.hosting === "containerApps") {
    const reserved = reservedOverlap(space);
    if (reserved) report(`${net}.addressSpace`, valid.addressSpace, `overlaps ${reserved}, which Container Apps reserves for itself; pick another block, e.g. 10.20.0.0/16`);
  }
  let appPrefix: number;
  let why: string;
  if (cfg.hosting === "containerApps") {
    // Without a containerApps block every default applies; with one, only its valid fields count.
    const c = containerApps ?? { maxReplicas: DEFAULT_MAX_REPLICAS, workloadProfile: "Consumption" };
    const profile = c.workloadProfile === undefined ? undefined : WORKLOAD_PROFILES[c.workloadProfile];
    if (c.maxReplicas === undefined || !profile) return;
    appPrefix = containerAppsSubnetPrefix(c.maxReplicas, profile.gpu !== undefined);
    why = `for maxReplicas ${c.maxReplicas}`;
  } else {
    const sku = cfg.plan?.sku ?? (cfg.plan === undefined ? "B1" : undefined);
    if (sku === undefined) return;
    const premium = planKind(sku) === "premium";
    const instances = premium ? premiumMaxInstances(cfg.plan ?? {}) : maxInstances(sku);
    appPrefix = appServiceSubnetPrefix(instances);
    why = premium ? `for maxInstances ${instances}, twice that while scaling` : `for ${sku}'s ${instances} instances, twice that while scaling`;
  }
  const layout = subnetLayout(space, appPrefix);
  if ("needsPrefix" in layout) {
    report(
      `${net}.addressSpace`,
      valid.addressSpace,
      `a /${space.prefix} holds ${2 ** (32 - space.prefix)} addresses; this environment needs a /${appPrefix} app subnet (${why}) and a /${PRIVATE_ENDPOINT_SUBNET_PREFIX} private-endpoint subnet: use a /${layout.needsPrefix} or larger`,
    );
  }
}

/** Cross-field rules of Container Apps hosting: replica bounds, the replica size the profile takes, GPU regions, revisions. */
function checkContainerApps(at: string, c: ContainerAppsParts, location: string | undefined, report: Report): void {
  const ca = `${at}.containerApps`;
  if (c.minReplicas !== undefined && c.maxReplicas !== undefined && c.minReplicas > c.maxReplicas) {
    report(`${ca}.minReplicas`, c.minReplicas, `must not exceed maxReplicas (${c.maxReplicas}); raise maxReplicas or lower minReplicas`);
  }
  const profileType = c.workloadProfile;
  const profile = profileType === undefined ? undefined : WORKLOAD_PROFILES[profileType];
  if (profileType !== undefined && profile) {
    const size = defaultReplicaSize(profileType);
    const problem = replicaSizeProblem(profileType, c.cpu ?? size.cpu, c.memory ?? size.memory);
    if (problem) report(`${ca}.${problem.field}`, problem.field === "cpu" ? (c.cpu ?? size.cpu) : (c.memory ?? size.memory), problem.message);
    if (profile.regions && location !== undefined && !profile.regions.includes(location)) {
      report(
        `${ca}.workloadProfile`,
        profileType,
        `${profile.gpu} serverless GPUs are not offered in ${location}; deploy this environment to one of ${profile.regions.join(", ")} (set environments.<env>.location), or check az containerapp env workload-profile list-supported --location ${location}`,
      );
    }
  }
  const r = c.revisions;
  if (r?.mode === "single") {
    if (r.latestWeight !== undefined) report(`${ca}.revisions.latestWeight`, r.latestWeight, 'a traffic split needs mode: multiple; single mode sends all traffic to the newest revision');
    if (r.stableRevision !== undefined) report(`${ca}.revisions.stableRevision`, r.stableRevision, "a stable revision needs mode: multiple; single mode deactivates older revisions");
  } else if (r?.mode === "multiple" && r.latestWeightRefused !== true) {
    const weight = r.latestWeight ?? 100;
    if (weight < 100 && r.stableRevision === undefined) {
      report(`${ca}.revisions`, "(settings)", `stableRevision is required when latestWeight is below 100: name the revision that takes the other ${100 - weight}% (the latest_revision output of the previous deploy)`);
    }
    if (weight === 100 && r.stableRevision !== undefined) {
      report(`${ca}.revisions.latestWeight`, weight, "with latestWeight 100 the stable revision gets no traffic; lower latestWeight (e.g. 10 for a 10% canary) or remove stableRevision");
    }
  }
}

/**
 * Synth-time warnings about the scoring script: a top-level import that neither the standard library,
 * the base image, mlfunc's runtime, a module shipped beside the script nor the requirements (with what
 * pip installs along with them) provide fails every call with ScriptLoadFailed in the image.
 * `localDirs`: where modules of the app's own sit (the script's folder, model.sourceDir).
 */
export function scriptWarnings(
  scoringScript: string,
  requirements: readonly string[],
  options: { readonly fromEnvironment?: string; readonly localDirs?: readonly string[] } = {},
): string[] {
  const shown = scoringScript.split(/[\\/]/).pop() ?? scoringScript;
  const listed = requirements.map(requirementName).filter((n) => n !== "");
  const localDirs = options.localDirs ?? [dirname(scoringScript)];
  const isLocal = (top: string): boolean => localDirs.some((d) => existsSync(join(d, `${top}.py`)) || existsSync(join(d, top, "__init__.py")) || (existsSync(join(d, top)) && statSync(join(d, top)).isDirectory()));
  const lists = options.fromEnvironment === undefined ? "model.requirements does not list" : `neither model.requirements nor model.environment (${options.fromEnvironment}, as translated) lists`;
  return unprovidedImports(readFileSync(scoringScript, "utf8"), listed, isLocal).map(
    ({ module, distribution }) =>
      `model.scoringScript: ${shown} imports ${module} at top level, but ${lists} ${distribution}; every call would fail with ScriptLoadFailed. Add "${distribution}" to the requirements`,
  );
}

/**
 * What synth and validate say about model.environment: the translated lines, what was dropped, the
 * notes, and a python pin that pythonVersion overrides.
 */
export function environmentMessages(model: {
  readonly pythonVersion: string;
  readonly environment?: {
    readonly path: string;
    readonly condaFile?: string;
    readonly requirements: readonly string[];
    readonly dropped: ReadonlyArray<{ readonly spec: string; readonly why: string }>;
    readonly notes: readonly string[];
    readonly python?: { readonly spec: string; readonly pip: string };
  };
}): { info: string[]; warnings: string[] } {
  const env = model.environment;
  if (env === undefined) return { info: [], warnings: [] };
  const from = env.condaFile === undefined || env.condaFile === env.path ? env.path : `${env.path} (conda_file ${env.condaFile})`;
  const lines = env.requirements.map(maskRequirement);
  const info = [`model.environment ${from} gives the image ${lines.length} requirement${lines.length === 1 ? "" : "s"}: ${lines.length === 0 ? "none" : lines.join(", ")}`, ...env.notes.map((n) => `model.environment: ${n}`)];
  const warnings: string[] = [];
  const dropped = droppedWarning(env);
  if (dropped !== undefined) warnings.push(`model.environment: ${dropped}`);
  const pin = env.python;
  if (pin !== undefined && fitPython(pin, [model.pythonVersion]) === undefined) {
    warnings.push(`model.environment pins ${pin.spec}, model.pythonVersion is "${model.pythonVersion}": the image uses Python ${model.pythonVersion}; check that the packages install on it`);
  }
  return { info, warnings };
}
