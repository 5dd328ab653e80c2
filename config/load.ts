/**
 * Parse, don't validate: the deployment file is read, checked and defaulted here once, and
 * everything downstream receives a `Deployment` that needs no further checks.
 */
import { readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import type { z } from "zod";
import { MAX_FILE_BYTES, parseFile } from "./document";
import { DeploymentError, Problem, formatPath } from "./problems";
import { type ContainerAppsParts, Parts, checkRules, modelSource, requirementLines, shipRulesFor } from "./rules";
import { canonicalReference } from "./model-reference";
import { EnvironmentTranslation, PythonPin, fitPython, loadEnvironment, requirementName } from "./conda";
import {
  DEFAULT_BASE_IMAGE_REPOSITORY,
  DEFAULT_PYTHON_VERSION,
  DeploymentFile,
  PYTHON_VERSIONS,
  PythonVersion,
  EnvironmentConfig,
  FunctionConfig,
  NetworkConfig,
  SmokeTester,
  StateConfig,
  containerAppsSchema,
  revisionsSchema,
  deploymentSchema,
  environmentSchema,
  functionSchema,
  jsonSchema,
  modelSchema,
  networkSchema,
  shipSchema,
  stateSchema,
} from "./schema";
import { ResourceNames, imageStackName, imageStackNames, resourceNames } from "./naming";
import { ShipRules } from "./ship";
import { Hosting, PlanKind, WORKLOAD_PROFILES, defaultReplicaSize, maxInstances as tierMaxInstances, planKind, premiumMaxInstances } from "./hosting";
import { Inbound, ZoneKey, appServiceSubnetPrefix, containerAppsSubnetPrefix, neededZones, parseCidr, subnetLayout } from "./network";
import { MLFLOW_PACKAGES, MlflowFolder, mlflowServing, mlflowTriggerProblems } from "./mlflow";

export const DEFAULT_CONFIG = "mlfunc.yaml";

/** One environment: everything its stack needs, names derived and defaults applied. */
export interface EnvironmentDeployment {
  readonly name: string;
  /** `<app>-<env>`: the stack's name and its folder under cdktf.out/stacks. */
  readonly stackName: string;
  readonly location: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly plan: { readonly sku: string; readonly kind: PlanKind; readonly minInstances: number; readonly maxInstances: number };
  /** shared: pulls from the image stack's registry; own: its own registry, which imports the image by digest. */
  readonly registry: "shared" | "own";
  readonly registrySku: Sku;
  readonly serviceBusSku: Sku;
  readonly names: ResourceNames;
  /** appService: `plan` applies; containerApps: `containerApps` does (and `plan` keeps its defaults, unused). */
  readonly hosting: Hosting;
  readonly containerApps?: ContainerAppsDeployment;
  /** Principals granted what `npm run smoke` needs. */
  readonly smokeTesters: readonly SmokeTester[];
  /** Data-holding resources carry prevent_destroy (`protect`, default true). */
  readonly protect: boolean;
  /** Present when the environment sits behind a virtual network; `network.inbound` says whether the app answers publicly. */
  readonly network?: NetworkDeployment;
}

export type Sku = "Basic" | "Standard" | "Premium";

/** A networked environment: the network mlfunc creates, or subnets (and zones) brought from elsewhere. */
export type NetworkDeployment = {
  readonly inbound: Inbound;
  /** Private DNS zones the environment's endpoints register in. */
  readonly zones: readonly ZoneKey[];
  /** SKUs the file left unset that the network raised to Premium, for the cost note. */
  readonly premiumByDefault: readonly ("registrySku" | "serviceBusSku")[];
} & (
  | {
      readonly kind: "created";
      readonly addressSpace: string;
      /** The app's subnet (App Service integration or the Container Apps environment), sized for scale-out. */
      readonly appSubnet: string;
      readonly privateEndpointSubnet: string;
    }
  | {
      readonly kind: "existing";
      readonly appSubnetId: string;
      readonly privateEndpointSubnetId: string;
      /** Zones managed elsewhere: none is created or linked. Without them mlfunc creates the zones and links them to the subnets' network. */
      readonly privateDnsZoneIds?: Readonly<Partial<Record<ZoneKey, string>>>;
    }
);

/** Container Apps hosting of one environment, defaults applied. */
export interface ContainerAppsDeployment {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly cpu: number;
  readonly memory: string;
  readonly workloadProfile: string;
  readonly ingress: "external" | "internal";
  readonly cooldownPeriod?: number;
  readonly revisions: { readonly mode: "single" | "multiple"; readonly latestWeight: number; readonly stableRevision?: string };
}

/** The one image of a deployment: built and pushed once by its own stack, run by digest everywhere. */
export interface ImageDeployment {
  /** `<app>-image`. */
  readonly stackName: string;
  readonly location: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly names: ReturnType<typeof imageStackNames>;
  /** The Dockerfile's FROM. */
  readonly baseImage: string;
  /** Whether `baseImage` names a digest, so a rebuild gets the same base. */
  readonly baseImagePinned: boolean;
}

export interface Deployment {
  readonly name: string;
  /** Mixed into the hash of globally unique names, when the file sets it. */
  readonly nameSeed?: string;
  /** Absolute path of the deployment file; relative paths in it are resolved against its folder. */
  readonly file: string;
  readonly model: {
    /** Absolute path of the model file or folder. */
    readonly path: string;
    /** Absolute path of the scoring script; without one, the MLflow folder `mlflow` is served. */
    readonly scoringScript?: string;
    /** What the MLflow model folder `path` gives the image, when it is one. */
    readonly mlflow?: MlflowFolder;
    /** Absolute path of the folder copied with the script, when the file names one. */
    readonly sourceDir?: string;
    readonly pythonVersion: PythonVersion;
    /** Azure ML registered-model identity, when the file names one: the image reproduces its folder layout. */
    readonly registered?: { readonly name: string; readonly version: number };
    /** The registered model version model.path names (its full azureml:// form), when it names one. */
    readonly reference?: string;
    /** pip requirement lines of the image: an MLflow model's own (unless model.environment replaces them), model.environment's translation, then model.requirements, each in its file's order. */
    readonly requirements: readonly string[];
    /** model.environment, translated, when the file names one. */
    readonly environment?: EnvironmentInput;
    /** Notes for the synth output: a pythonVersion that overrides an MLflow model's. */
    readonly warnings: readonly string[];
  };
  readonly functions: readonly FunctionConfig[];
  readonly environments: readonly EnvironmentDeployment[];
  readonly image: ImageDeployment;
  readonly state: StateConfig;
  /** What may ship: the project folder, the file's allow entries and .mlfuncignore. */
  readonly ship: ShipRules;
  /** Deletes the review lets through, each with its reason. */
  readonly review: { readonly allowDelete: readonly { readonly address: string; readonly reason: string }[] };
  /** Absolute path of the example request `npm run smoke` sends, when the file names one. */
  readonly smokeRequest?: string;
}

/** The deployment file every command uses: $MLFUNC_CONFIG, else mlfunc.yaml. */
export function deploymentFile(): string {
  return process.env.MLFUNC_CONFIG ?? DEFAULT_CONFIG;
}

/** Where a deployment's own files live by default: next to its deployment file, so apps sharing one
 * mlfunc checkout never touch each other's output, state or build contexts. */
export function projectPaths(file: string = deploymentFile()): { readonly dir: string; readonly outdir: string; readonly contextsDir: string; readonly stateOutdir: string } {
  const dir = dirname(resolve(file));
  return { dir, outdir: join(dir, "cdktf.out"), contextsDir: join(dir, ".mlfunc", "contexts"), stateOutdir: join(dir, "cdktf.out.state") };
}

/** Reads, validates and normalizes a deployment file; throws `DeploymentError` listing every problem. */
export function loadDeployment(file: string = deploymentFile()): Deployment {
  const path = resolve(file);
  const shown = relative(process.cwd(), path) || path;
  let text: string;
  try {
    // Size and kind first: a huge file or a FIFO would be read whole, or block, before any check.
    const stat = statSync(path);
    if (!stat.isFile()) throw new DeploymentError(shown, [{ path: "", value: file, message: "not a regular file; point MLFUNC_CONFIG at the deployment file" }]);
    if (stat.size > MAX_FILE_BYTES) throw new DeploymentError(shown, [{ path: "", value: file, message: `the file is ${stat.size} bytes; a deployment file may be at most ${MAX_FILE_BYTES} bytes (256 KiB): it describes one app, not data` }]);
    const bytes = readFileSync(path);
    const decoded = decodeUtf8(bytes);
    if (typeof decoded !== "string") throw new DeploymentError(shown, [decoded]);
    text = decoded;
  } catch (e) {
    if (e instanceof DeploymentError) throw e;
    throw new DeploymentError(shown, [{ path: "", value: file, message: "cannot read the deployment file; check the path (set MLFUNC_CONFIG to use another file)" }]);
  }
  return parseDeployment(text, path, shown);
}

/**
 * The file as strict UTF-8, or the problem naming the first line with an invalid byte: a lenient
 * decode would turn it into U+FFFD silently, and that character would reach tags and names.
 */
export function decodeUtf8(bytes: Buffer): string | Problem {
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  try {
    return decoder.decode(bytes);
  } catch {
    // A line break byte never occurs inside a multi-byte sequence: decode line by line to find it.
    let start = 0;
    for (let line = 1; ; line++) {
      const end = bytes.indexOf(0x0a, start);
      const chunk = bytes.subarray(start, end < 0 ? bytes.length : end);
      try {
        new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(chunk);
      } catch {
        const valid = validPrefix(chunk);
        const byte = chunk[valid] ?? 0;
        return {
          path: "",
          value: undefined,
          line,
          message: `not valid UTF-8: byte 0x${byte.toString(16).padStart(2, "0")} at column ${Buffer.from(chunk.subarray(0, valid)).toString("utf8").length + 1}; save the file as UTF-8`,
        };
      }
      if (end < 0) return { path: "", value: undefined, message: "not valid UTF-8; save the file as UTF-8" };
      start = end + 1;
    }
  }
}

/** Where the first invalid UTF-8 sequence of `chunk` starts. */
function validPrefix(chunk: Uint8Array): number {
  let lo = 0;
  let hi = chunk.length;
  // A prefix that cuts a multi-byte character also fails, so search for the last prefix that decodes in streaming mode.
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(chunk.subarray(0, mid), { stream: true });
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  // The prefix may end inside a character whose next byte is the bad one: start at that character.
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(chunk.subarray(0, lo));
  } catch {
    while (lo > 0 && ((chunk[lo - 1] ?? 0) & 0xc0) === 0x80) lo--;
    if (lo > 0) lo--;
  }
  return lo;
}

export function parseDeployment(text: string, path: string, shown: string = path): Deployment {
  const file = parseFile(text);
  if (Array.isArray(file)) throw new DeploymentError(shown, file);
  const { doc, lines, value: raw } = file;
  const lineOf = (p: readonly PropertyKey[]): number | undefined => {
    const node = doc.getIn(p as unknown[], true) as { range?: [number, number, number] } | undefined;
    return node?.range ? lines.linePos(node.range[0]).line : undefined;
  };

  const problems: Problem[] = [];
  const parsed = deploymentSchema.safeParse(raw);
  if (!parsed.success) problems.push(...withoutMisspelledRequired(parsed.error.issues.flatMap((issue) => fromIssue(issue, raw, lineOf))));
  const dir = dirname(path);
  // The rules see the file as if unknown keys were not there, so a typo elsewhere hides nothing.
  const known = parsed.success ? raw : withoutUnknownKeys(raw, parsed.error.issues);
  const parts = partsOf(known, dir);
  problems.push(...checkRules(parts).map((p) => ({ ...p, line: lineOf(splitPath(p.path)) })));
  const model = parts.model ?? {};
  const serving = mlflowServing(dir, model, model.pythonVersion, model.environment === undefined);
  if (serving.folder !== undefined && model.scoringScript === undefined) {
    const functions = isRecord(known) && Array.isArray(known.functions) ? known.functions.map((f) => validFields(functionSchema, f)) : [];
    serving.problems.push(...mlflowTriggerProblems(functions));
  }
  problems.push(...serving.problems.map((p) => ({ ...p, line: lineOf(splitPath(p.path)) })));
  if (serving.folder && parsed.success) problems.push(...duplicateRequirements(serving.folder, parsed.data.model.requirements, dir).map((p) => ({ ...p, line: lineOf(splitPath(p.path)) })));
  if (problems.length > 0 || !parsed.success) throw new DeploymentError(shown, sortProblems(problems));
  return normalize(parsed.data, path, parts.modelEnvironment, serving.folder, serving.warnings);
}

/** The file's requirement lines, as the image gets them. */
function fileRequirements(requirements: DeploymentFile["model"]["requirements"], dir: string): string[] {
  if (requirements === undefined) return [];
  if (typeof requirements === "string") return requirementLines(readFileSync(resolve(dir, requirements), "utf8")).map((l) => l.text);
  return requirements.map((l) => l.trim());
}

/** A package both the MLflow model and model.requirements name: pip refuses double requirements. */
function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function duplicateRequirements(folder: MlflowFolder, requirements: DeploymentFile["model"]["requirements"], dir: string): Problem[] {
  // A missing or unreadable file is the rules' problem to report, with the rest.
  if (typeof requirements === "string" && !isFile(resolve(dir, requirements))) return [];
  const own = new Map(folder.requirements.map((l) => [requirementName(l), l] as const));
  own.delete("");
  return fileRequirements(requirements, dir)
    .filter((l) => requirementName(l) !== "" && own.has(requirementName(l)))
    .map((l) => ({
      path: "model.requirements",
      value: l,
      message: `the MLflow model's ${folder.requirementsFrom ?? "requirements"} already has "${own.get(requirementName(l)) ?? ""}"; list each package once: remove it here, or change the model's own pin`,
    }));
}

/** The fields of a possibly invalid file that pass the schema on their own, so the rules can check them. */
function partsOf(raw: unknown, dir: string): Parts {
  const obj = isRecord(raw) ? raw : {};
  const model = validFields(modelSchema, obj.model);
  const functions = Array.isArray(obj.functions) ? obj.functions.map((f, i) => [i, validFields(functionSchema, f)] as const) : [];
  const environments = isRecord(obj.environments) ? Object.entries(obj.environments).map(([k, v]) => [k, validFields(environmentSchema, v ?? {})] as const) : [];
  const state = stateSchema.safeParse(obj.state ?? { backend: "local" });
  const networks = new Map(
    isRecord(obj.environments)
      ? Object.entries(obj.environments).flatMap(([k, v]) =>
          isRecord(v) && isRecord(v.network) ? [[k, { keys: Object.keys(v.network), valid: validFields(networkSchema, v.network) }] as const] : [],
        )
      : [],
  );
  const containerApps = new Map(
    isRecord(obj.environments)
      ? Object.entries(obj.environments).flatMap(([k, v]) =>
          isRecord(v) && isRecord(v.containerApps) ? [[k, { ...validFields(containerAppsSchema, v.containerApps), revisions: validRevisions(v.containerApps.revisions) }] as const] : [],
        )
      : [],
  );
  return {
    containerApps,
    networks,
    dir,
    name: typeof obj.name === "string" ? obj.name : undefined,
    tags: isRecord(obj.tags) ? Object.fromEntries(Object.entries(obj.tags).filter((e): e is [string, string] => typeof e[1] === "string")) : undefined,
    nameSeed: typeof obj.nameSeed === "string" ? obj.nameSeed : undefined,
    location: typeof obj.location === "string" ? obj.location : undefined,
    smokeRequest: isRecord(obj.smoke) && typeof obj.smoke.request === "string" ? obj.smoke.request : undefined,
    model,
    modelEnvironment: model.environment === undefined ? undefined : loadEnvironment(resolve(dir, model.environment)),
    ship: validFields(shipSchema, obj.ship),
    functions,
    environments,
    state: state.success ? state.data : undefined,
  };
}

function validRevisions(value: unknown): ContainerAppsParts["revisions"] {
  if (value === undefined) return { mode: "single" };
  if (!isRecord(value)) return undefined;
  const valid = validFields(revisionsSchema, value);
  // A latestWeight the schema refused is reported there; the rules must not judge a default in its place.
  return value.latestWeight !== undefined && valid.latestWeight === undefined ? { ...valid, latestWeightRefused: true } : valid;
}

/** Each field of an object schema parsed on its own: the valid ones, defaults applied. */
function validFields<S extends z.ZodObject>(schema: S, value: unknown): Partial<z.output<S>> {
  const obj = isRecord(value) ? value : {};
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    const r = field.safeParse(obj[key]);
    if (r.success && r.data !== undefined) out[key] = r.data;
  }
  return out as Partial<z.output<S>>;
}

/** model.environment as the build sees it. */
export interface EnvironmentInput {
  /** As the deployment file names it. */
  readonly path: string;
  /** The conda file translated, relative to the deployment file's folder (`/`-separated); absent for an inline conda_file. */
  readonly condaFile?: string;
  readonly requirements: readonly string[];
  readonly dropped: EnvironmentTranslation["dropped"];
  readonly notes: readonly string[];
  readonly python?: PythonPin;
}

function environmentInput(dir: string, path: string, t: EnvironmentTranslation): EnvironmentInput {
  return {
    path,
    condaFile: t.condaFile === undefined ? undefined : relative(dir, t.condaFile).split(sep).join("/"),
    requirements: t.requirements.map((r) => r.text),
    dropped: t.dropped,
    notes: t.notes,
    python: t.python,
  };
}

function normalize(file: DeploymentFile, path: string, translated: EnvironmentTranslation | undefined, mlflow: MlflowFolder | undefined, warnings: readonly string[]): Deployment {
  const dir = dirname(path);
  const environment = file.model.environment === undefined || translated === undefined ? undefined : environmentInput(dir, file.model.environment, translated);
  const pin = environment?.python;
  // model.environment, when there is one, replaces an MLflow model's own environment.
  const modelOwn = environment === undefined ? mlflow : undefined;
  const pythonVersion =
    file.model.pythonVersion ?? (pin === undefined ? undefined : (fitPython(pin, PYTHON_VERSIONS) as PythonVersion | undefined)) ?? PYTHON_VERSIONS.find((v) => v === modelOwn?.python?.version) ?? DEFAULT_PYTHON_VERSION;
  const listed = [...(modelOwn?.requirements ?? []), ...(environment?.requirements ?? []), ...fileRequirements(file.model.requirements, dir)];
  // The model needs mlflow to load; its own requirements normally pin it.
  const requirements = mlflow !== undefined && !listed.some((l) => MLFLOW_PACKAGES.includes(requirementName(l))) ? [...listed, mlflow.mlflowPin] : listed;
  const baseImage = file.model.baseImage ?? `${DEFAULT_BASE_IMAGE_REPOSITORY}:4-python${pythonVersion}`;
  const serviceBus = file.functions.some((f) => f.trigger.type === "serviceBus");
  const environments = Object.entries(file.environments).map(([env, cfg]): EnvironmentDeployment => {
    const plan = cfg.plan ?? { sku: "B1" };
    const kind = planKind(plan.sku);
    const minInstances = plan.minInstances ?? 1;
    const maxPlanInstances = kind === "premium" ? premiumMaxInstances(plan) : minInstances;
    const containerApps = cfg.hosting === "containerApps" ? containerAppsDeployment(cfg.containerApps) : undefined;
    // Private endpoints need Premium registries and namespaces; the rules refuse a lower SKU that is set.
    const appPrefix = containerApps
      ? containerAppsSubnetPrefix(containerApps.maxReplicas, WORKLOAD_PROFILES[containerApps.workloadProfile]?.gpu !== undefined)
      : // A Dedicated plan's count can be raised up to its tier's ceiling without resizing a subnet in use.
        appServiceSubnetPrefix(kind === "premium" ? maxPlanInstances : tierMaxInstances(plan.sku));
    const premiumByDefault = [
      ...(cfg.registrySku === undefined ? ["registrySku" as const] : []),
      ...(cfg.serviceBusSku === undefined && serviceBus ? ["serviceBusSku" as const] : []),
    ];
    const network = cfg.network && networkDeployment(cfg.network, cfg.hosting, serviceBus, appPrefix, premiumByDefault);
    return {
      name: env,
      stackName: `${file.name}-${env}`,
      location: cfg.location ?? file.location,
      tags: { ...file.tags, ...cfg.tags, app: file.name, environment: env, "managed-by": "mlfunc" },
      plan: { sku: plan.sku, kind, minInstances, maxInstances: maxPlanInstances },
      // A networked environment reaches its registry through its own private endpoint.
      registry: cfg.registry ?? (network ? "own" : "shared"),
      registrySku: cfg.registrySku ?? (network ? "Premium" : "Basic"),
      serviceBusSku: cfg.serviceBusSku ?? (network ? "Premium" : "Standard"),
      names: resourceNames(file.name, env, cfg.names, file.nameSeed),
      hosting: cfg.hosting,
      ...(containerApps ? { containerApps } : {}),
      smokeTesters: cfg.smoke?.testers ?? file.smoke?.testers ?? [],
      protect: cfg.protect,
      ...(network ? { network } : {}),
    };
  });
  const source = modelSource(dir, file.model);
  // Validation reported a reference that is not downloaded; this is only reached with a usable one.
  if ("problem" in source) throw new DeploymentError(path, [{ path: "model.path", value: file.model.path, message: source.problem }]);
  const ref = source.reference;
  const name = file.model.name ?? ref?.name;
  return {
    name: file.name,
    nameSeed: file.nameSeed,
    file: path,
    model: {
      path: source.path,
      reference: ref === undefined ? undefined : canonicalReference(ref),
      scoringScript: file.model.scoringScript === undefined ? undefined : resolve(dir, file.model.scoringScript),
      ...(mlflow === undefined ? {} : { mlflow }),
      sourceDir: file.model.sourceDir === undefined ? undefined : resolve(dir, file.model.sourceDir),
      pythonVersion,
      registered: name === undefined ? undefined : { name, version: file.model.version ?? (ref === undefined ? 1 : Number(ref.version)) },
      requirements,
      environment,
      warnings,
    },
    functions: file.functions,
    environments,
    image: {
      stackName: imageStackName(file.name),
      location: file.location,
      tags: { ...file.tags, app: file.name, environment: "image", "managed-by": "mlfunc" },
      names: imageStackNames(file.name, file.nameSeed),
      baseImage,
      baseImagePinned: /@sha256:[0-9a-f]{64}$/.test(baseImage),
    },
    state: file.state,
    ship: shipRulesFor(dir, file.ship?.allow, file.model.path),
    review: { allowDelete: file.review?.allowDelete ?? [] },
    smokeRequest: file.smoke?.request === undefined ? undefined : resolve(dir, file.smoke.request),
  };
}

function networkDeployment(cfg: NetworkConfig, hosting: Hosting, serviceBus: boolean, appPrefix: number, premiumByDefault: NetworkDeployment["premiumByDefault"]): NetworkDeployment {
  const common = { inbound: cfg.inbound, zones: neededZones(hosting, cfg.inbound, serviceBus), premiumByDefault };
  if (cfg.addressSpace !== undefined) {
    const space = parseCidr(cfg.addressSpace);
    const layout = "base" in space ? subnetLayout(space, appPrefix) : undefined;
    if (!layout || "needsPrefix" in layout) throw new Error(`internal: network.addressSpace ${cfg.addressSpace} passed the rules without room for its subnets`);
    return { ...common, kind: "created", addressSpace: cfg.addressSpace, appSubnet: layout.app, privateEndpointSubnet: layout.privateEndpoints };
  }
  if (cfg.appSubnetId === undefined || cfg.privateEndpointSubnetId === undefined) throw new Error("internal: network without addressSpace or subnets passed the rules");
  return {
    ...common,
    kind: "existing",
    appSubnetId: cfg.appSubnetId,
    privateEndpointSubnetId: cfg.privateEndpointSubnetId,
    ...(cfg.privateDnsZoneIds ? { privateDnsZoneIds: cfg.privateDnsZoneIds } : {}),
  };
}

function containerAppsDeployment(cfg: EnvironmentConfig["containerApps"]): ContainerAppsDeployment {
  const c = cfg ?? containerAppsSchema.parse({});
  const size = defaultReplicaSize(c.workloadProfile);
  const { mode, latestWeight, stableRevision } = c.revisions;
  return {
    minReplicas: c.minReplicas,
    maxReplicas: c.maxReplicas,
    cpu: c.cpu ?? size.cpu,
    memory: c.memory ?? size.memory,
    workloadProfile: c.workloadProfile,
    ingress: c.ingress,
    cooldownPeriod: c.cooldownPeriod,
    revisions: { mode, latestWeight: latestWeight ?? 100, ...(stableRevision === undefined ? {} : { stableRevision }) },
  };
}

type Issue = z.core.$ZodIssue;

function fromIssue(issue: Issue, raw: unknown, lineOf: (p: readonly PropertyKey[]) => number | undefined): Problem[] {
  const path = issue.path;
  const at = (p: readonly PropertyKey[], value: unknown, message: string): Problem => ({ path: formatPath(p), value, message, line: lineOf(p) });
  const value = valueAt(raw, path);
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => {
        const allowed = allowedKeys(raw, path);
        const near = closest(key, allowed);
        const hint = near ? `did you mean "${near}"?` : `remove it`;
        return at([...path, key], valueAt(raw, [...path, key]), `unknown key; ${hint} (allowed here: ${allowed.join(", ")})`);
      });
    case "invalid_type": {
      if (value === undefined) {
        const key = String(path[path.length - 1] ?? "");
        return [at(path, value, `required; add "${key}" (${article(issue.expected)})`)];
      }
      const got = value === null ? "null" : Array.isArray(value) ? "list" : typeof value;
      const hint = issue.expected === "string" && typeof value === "number" ? ` (quote it: "${String(value)}")` : "";
      return [at(path, value, `must be ${article(issue.expected)}, not ${article(got)}${hint}`)];
    }
    default:
      return [at(path, value, issue.message)];
  }
}

function article(type: string): string {
  const word = type === "record" || type === "object" ? "mapping" : type === "array" ? "list" : type;
  return `${/^[aeiou]/.test(word) ? "an" : "a"} ${word}`;
}

/** Keys the JSON Schema allows at `path`, following the discriminated union the data selects. */
function allowedKeys(raw: unknown, path: readonly PropertyKey[]): string[] {
  type Node = { properties?: Record<string, Node>; items?: Node; additionalProperties?: Node | boolean; oneOf?: Node[]; anyOf?: Node[]; const?: unknown };
  const pick = (node: Node | undefined, data: unknown): Node | undefined => {
    const options = node?.oneOf ?? node?.anyOf;
    if (!options) return node;
    return (
      options.find((o) => o.properties && isRecord(data) && Object.entries(o.properties).some(([k, p]) => p.const !== undefined && p.const === data[k])) ??
      options.find((o) => o.properties)
    );
  };
  let node = pick(jsonSchema() as Node, raw);
  for (let i = 0; i < path.length && node; i++) {
    const seg = path[i];
    const next = typeof seg === "number" ? node.items : (node.properties?.[String(seg)] ?? (typeof node.additionalProperties === "object" ? node.additionalProperties : undefined));
    node = pick(next, valueAt(raw, path.slice(0, i + 1)));
  }
  return Object.keys(node?.properties ?? {});
}

function closest(word: string, options: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const o of options) {
    const d = distance(word.toLowerCase(), o.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [o, d];
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = raw;
  for (const seg of path) {
    if (Array.isArray(cur) && typeof seg === "number") cur = cur[seg];
    else if (isRecord(cur)) cur = cur[String(seg)];
    else return undefined;
  }
  return cur;
}

function splitPath(path: string): PropertyKey[] {
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : (m[1] ?? "")));
}

function withoutUnknownKeys(raw: unknown, issues: readonly Issue[]): unknown {
  const copy = structuredClone(raw);
  for (const issue of issues) {
    if (issue.code !== "unrecognized_keys") continue;
    const parent = valueAt(copy, issue.path);
    if (isRecord(parent)) for (const key of issue.keys) delete parent[key];
  }
  return copy;
}

/** A required key that is only misspelled is one problem, not two: keep the "did you mean". */
function withoutMisspelledRequired(problems: Problem[]): Problem[] {
  const suggested = new Set(
    problems.flatMap((p) => {
      const m = /^unknown key; did you mean "([^"]+)"/.exec(p.message);
      return m ? [p.path.replace(/[^.[\]]+$/, m[1] ?? "")] : [];
    }),
  );
  return problems.filter((p) => !(p.value === undefined && p.message.startsWith("required;") && suggested.has(p.path)));
}

/** File order (by line), so the list reads top to bottom like the file. */
function sortProblems(problems: Problem[]): Problem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (a.p.line ?? 0) - (b.p.line ?? 0) || a.i - b.i)
    .map(({ p }) => p);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
