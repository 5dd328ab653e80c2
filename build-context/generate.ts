/**
 * The function image's Docker build context, generated from the deployment file: same input, same
 * bytes, so its content hash is a faithful image tag.
 */
import { createHash } from "node:crypto";
import { closeSync, constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import type { Deployment } from "../config/load";
import { DeploymentError } from "../config/problems";
import { requirementName } from "../config/conda";
import { isSecret, listShipped } from "../config/ship";
import type { FunctionConfig } from "../config/schema";
import { CONNECTIONS } from "../constructs/connections";

/** A file of the context: its path inside the context (forward slashes) and its bytes. */
export interface ContextFile {
  readonly path: string;
  /** The bytes. For the user's files they are read from `source` when asked for, never by synth. */
  readonly content: Buffer;
  /** The user's file the bytes come from: hashed and copied by streaming, so a model of any size fits. */
  readonly source?: string;
  readonly size: number;
}

/** How much of a file is in memory at once while hashing. */
export const HASH_CHUNK_BYTES = 4 * 1024 * 1024;

function inMemory(path: string, content: Buffer): ContextFile {
  return { path, content, size: content.length };
}

function onDisk(path: string, source: string, size: number): ContextFile {
  return {
    path,
    source,
    size,
    get content() {
      return readFileSync(source);
    },
  };
}

export interface BuildContext {
  /** Sorted by path. */
  readonly files: readonly ContextFile[];
  /** sha256 over every relative path and content, in order. */
  readonly hash: string;
  /** The user's files left out because they never ship (keys, state, .env*, ...), by context path. */
  readonly withheld: ReadonlyArray<{ readonly path: string; readonly why: string }>;
  /** Files that ship although such names never do, because ship.allow names them, by context path. */
  readonly allowedNeverShip: ReadonlyArray<{ readonly path: string; readonly why: string }>;
}

/** The image label naming the registered model version inside. */
export const MODEL_REFERENCE_LABEL = "mlfunc.model.reference";

/** Where the project's own files (templates, Python runtime) are, in source and compiled form alike. */
export const PROJECT_ROOT = findProjectRoot(__dirname);

const TEXT_FILE = /(\.(py|txt|json|cfg|toml|ini|md)|Dockerfile|\.dockerignore)$/;

/** Where the scoring script sits in the context: `scoring/` plus its path inside sourceDir; undefined without one. */
export function scoringScriptPath(deployment: Deployment): string | undefined {
  const { sourceDir, scoringScript } = deployment.model;
  if (scoringScript === undefined) return undefined;
  const inside = sourceDir === undefined ? basename(scoringScript) : relative(sourceDir, scoringScript).split("\\").join("/");
  return `scoring/${inside}`;
}

/** Where the MLflow folder that mlfunc serves sits in the context; undefined when a scoring script serves the model. */
export function mlflowModelPath(deployment: Deployment): string | undefined {
  const { scoringScript, mlflow } = deployment.model;
  return scoringScript === undefined && mlflow !== undefined ? `${modelDir(deployment)}/${mlflow.name}` : undefined;
}

/** The runtime's one setting: the scoring script to serve, else the MLflow folder. */
function serving(deployment: Deployment): { SERVE_VAR: string; SERVE_PATH: string } {
  const script = scoringScriptPath(deployment);
  if (script !== undefined) return { SERVE_VAR: "MLFUNC_SCORING_SCRIPT", SERVE_PATH: script };
  const folder = mlflowModelPath(deployment);
  if (folder === undefined) throw new Error("internal: a deployment without a scoring script must have an MLflow model folder");
  return { SERVE_VAR: "MLFUNC_MLFLOW_MODEL", SERVE_PATH: folder };
}

/**
 * Where the model sits in the context (and under /home/site/wwwroot): `model/`, or Azure ML v1's
 * registered-model layout `azureml-models/<name>/<version>/` when the file names the model.
 */
export function modelDir(deployment: Deployment): string {
  const r = deployment.model.registered;
  return r === undefined ? "model" : `azureml-models/${r.name}/${r.version}`;
}

/** Every method: a @rawhttp run() takes any; otherwise the runtime answers GET/OPTIONS and 405s the rest. */
const HTTP_METHODS = ["get", "post", "put", "patch", "delete", "head", "options"];

/** The function.json of one function: bindings as data, connection names as the stack's app settings. */
export function functionJson(fn: FunctionConfig): object {
  const t = fn.trigger;
  switch (t.type) {
    case "http":
      return {
        scriptFile: "__init__.py",
        bindings: [
          // <name> scores (GET: health); the optional segment carries swagger.json, as Azure ML's GET /swagger.json.
          { type: "httpTrigger", direction: "in", name: "req", authLevel: t.authLevel, methods: HTTP_METHODS, route: `${fn.name}/{mlfuncpath?}` },
          { type: "http", direction: "out", name: "$return" },
        ],
      };
    case "blob":
      return {
        scriptFile: "__init__.py",
        bindings: [
          {
            type: "blobTrigger",
            direction: "in",
            name: "inputblob",
            path: t.inputPath,
            connection: CONNECTIONS.triggerStorage,
            dataType: t.dataType === "binary" ? "binary" : "string",
            // The host's default source (LogsAndContainerScan) is polling; only EventGrid is written.
            ...(t.source === "eventGrid" ? { source: "EventGrid" } : {}),
          },
          { type: "blob", direction: "out", name: "outputblob", path: t.outputPath, connection: CONNECTIONS.triggerStorage },
        ],
      };
    case "serviceBus":
      return {
        scriptFile: "__init__.py",
        bindings: [
          { type: "serviceBusTrigger", direction: "in", name: "msg", queueName: t.queue, connection: CONNECTIONS.triggerServiceBus, dataType: t.dataType === "binary" ? "binary" : "string" },
          ...(t.outputQueue === undefined ? [] : [{ type: "serviceBus", direction: "out", name: "outmsg", queueName: t.outputQueue, connection: CONNECTIONS.triggerServiceBus }]),
        ],
      };
  }
}

/** The one-line entry module: the host loads it by path, it hands over to the runtime. */
export function entryModule(fn: FunctionConfig): string {
  const t = fn.trigger;
  const entry = t.type === "http" ? "http_main" : t.type === "blob" ? "blob_main" : t.outputQueue === undefined ? "servicebus_main" : "servicebus_to_queue_main";
  return `from mlfunc_runtime.entry import ${entry} as main  # noqa: F401\n`;
}

/**
 * The context is the same for every environment, so the image tested in one is the image that runs
 * in the next; what differs per plan (the function timeout) is an app setting of the function app.
 */
export function buildContext(deployment: Deployment): BuildContext {
  const files = new Map<string, ContextFile>();
  // Project files and Python sources ship with LF, so a CRLF checkout builds the same image; the
  // user's data files ship byte for byte. Either way the hash covers exactly what ships.
  const add = (path: string, content: Buffer | string) => {
    const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : content;
    const ownText = TEXT_FILE.test(path) && (!path.startsWith("scoring/") || path.endsWith(".py"));
    files.set(path, inMemory(path, ownText ? toLf(bytes) : bytes));
  };
  const dockerfile = fill(template("Dockerfile"), { PYTHON_VERSION: deployment.model.pythonVersion, ...serving(deployment), MODEL_DIR: modelDir(deployment) });
  // Which registered model version the image holds, for whoever inspects it and for the review. JSON
  // quoting is Dockerfile quoting for these characters; validation keeps references to [A-Za-z0-9:/._()-].
  const reference = deployment.model.reference;
  add("Dockerfile", reference === undefined ? dockerfile : `${dockerfile}LABEL ${MODEL_REFERENCE_LABEL}=${JSON.stringify(reference)}\n`);
  add(".dockerignore", template("dockerignore"));
  add("host.json", template("host.json"));
  add("requirements.txt", requirements(deployment));
  for (const fn of deployment.functions) {
    add(`${fn.name}/function.json`, `${JSON.stringify(functionJson(fn), null, 2)}\n`);
    add(`${fn.name}/__init__.py`, entryModule(fn));
  }
  // The azureml stand-ins live inside it (mlfunc_runtime/standins), behind any installed azureml-* package.
  for (const f of walk(join(PROJECT_ROOT, "runtime", "mlfunc_runtime"), RUNTIME_SKIP)) add(`mlfunc_runtime/${f.path}`, f.content);
  // What ships from the user's disk is decided in one place, the same one validation asked.
  const { sourceDir, scoringScript } = deployment.model;
  const withheld: Array<{ path: string; why: string }> = [];
  const allowedNeverShip: Array<{ path: string; why: string }> = [];
  const shipped = (root: string, into: string) => {
    const listing = listShipped(root, deployment.ship);
    if (listing.problems.length > 0) throw new DeploymentError(deployment.file, listing.problems.map((message) => ({ path: "model", value: root, message })));
    withheld.push(...listing.omitted.filter((o) => isSecret(o.why)).map((o) => ({ path: `${into}${o.path}`, why: o.why })));
    allowedNeverShip.push(...listing.allowedNeverShip.map((a) => ({ path: `${into}${a.path}`, why: a.why })));
    return listing.files;
  };
  const scoring = sourceDir ?? scoringScript;
  for (const f of scoring === undefined ? [] : shipped(scoring, "scoring/")) {
    const path = `scoring/${f.path}`;
    if (f.path.endsWith(".py")) add(path, readFileSync(f.source));
    else files.set(path, onDisk(path, f.source, f.size));
  }
  const model = deployment.model.path;
  const modelRoot = modelDir(deployment);
  const into = statSync(model).isDirectory() ? `${modelRoot}/${basename(model)}/` : `${modelRoot}/`;
  for (const f of shipped(model, into)) files.set(`${into}${f.path}`, onDisk(`${into}${f.path}`, f.source, f.size));
  const sorted = [...files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files: sorted, hash: hashFiles(sorted), withheld, allowedNeverShip };
}

/** sha256 over each path and content in order: exactly the bytes that ship, files read in chunks. */
export function hashFiles(files: readonly ContextFile[], chunkBytes: number = HASH_CHUNK_BYTES): string {
  const h = createHash("sha256");
  let buffer: Buffer | undefined;
  for (const f of files) {
    h.update(`${f.path}\0${f.size}\0`);
    if (f.source === undefined) {
      h.update(f.content);
      continue;
    }
    buffer ??= Buffer.allocUnsafe(chunkBytes);
    const fd = openSync(f.source, "r");
    try {
      let total = 0;
      for (let n: number; (n = readSync(fd, buffer, 0, buffer.length, null)) > 0; ) {
        h.update(buffer.subarray(0, n));
        total += n;
      }
      if (total !== f.size) throw new Error(`${f.source} changed while it was read (${f.size} bytes, then ${total}); run synth again`);
    } finally {
      closeSync(fd);
    }
  }
  return h.digest("hex");
}

/**
 * Writes the context under `root/<hash>` and returns that folder. Content-addressed, so parallel
 * synths of the same input share it and a half-written folder is never used.
 */
export function writeBuildContext(context: BuildContext, root: string): string {
  const dir = resolve(root, context.hash);
  if (existsSync(dir)) {
    try {
      // Marks it as in use for pruneBuildContexts.
      const now = new Date();
      utimesSync(dir, now, now);
      return dir;
    } catch {
      // Pruned in between: write it again.
    }
  }
  mkdirSync(root, { recursive: true });
  removeAbandoned(root);
  // The pid in the name lets the next synth remove what an interrupted one left behind.
  const tmp = mkdtempSync(`${dir}.tmp-${process.pid}-`);
  try {
    for (const f of context.files) {
      const target = join(tmp, f.path);
      mkdirSync(dirname(target), { recursive: true });
      // A copy-on-write clone where the file system has them, a streamed copy elsewhere.
      if (f.source !== undefined) copyFileSync(f.source, target, constants.COPYFILE_FICLONE);
      else writeFileSync(target, f.content);
    }
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(dir)) throw e;
  }
  return dir;
}

const TMP = /^[0-9a-f]{64}\.tmp-(\d+)-\w+$/;

/** Temporary folders of synths that are no longer running: a model-sized copy each. */
function removeAbandoned(root: string): string[] {
  const removed: string[] = [];
  for (const entry of readdirSync(root)) {
    const pid = TMP.exec(entry)?.[1];
    if (pid === undefined || Number(pid) === process.pid || running(Number(pid))) continue;
    rmSync(join(root, entry), { recursive: true, force: true });
    removed.push(entry);
  }
  return removed;
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it runs, as another user.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes contexts under `root` not used for `maxAgeDays`: every model change leaves one behind.
 * Age, not "all but the current one", so concurrent synths of other files keep theirs.
 */
export function pruneBuildContexts(root: string, maxAgeDays = 7, now: number = Date.now()): string[] {
  if (!existsSync(root)) return [];
  const removed: string[] = removeAbandoned(root);
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const full = join(root, entry.name);
    // Contexts, and the temporary folders of synths that crashed while writing one.
    if (entry.isDirectory() && /^[0-9a-f]{64}(\.tmp-[\w-]+)?$/.test(entry.name) && now - statSync(full).mtimeMs > maxAgeDays * 86_400_000) {
      rmSync(full, { recursive: true, force: true });
      removed.push(entry.name);
    }
  }
  return removed;
}

function requirements(deployment: Deployment): string {
  const lines = deployment.model.requirements;
  const env = deployment.model.environment;
  const all = lines.some((l) => requirementName(l) === "azure-functions") ? lines : [...lines, "azure-functions"];
  // Says where the translated lines come from, for whoever reads the context or the missing-module hint.
  // JSON-quoted: a path with a line break must not become a requirement line.
  const head = env === undefined ? [] : [`# the first ${env.requirements.length} line(s): model.environment ${JSON.stringify(env.condaFile ?? env.path)}, translated from conda (docs/azureml-inputs.md)`];
  return `${[...head, ...all].join("\n")}\n`;
}

function template(name: string): string {
  return readFileSync(join(PROJECT_ROOT, "build-context", "templates", name), "utf8");
}

function fill(text: string, values: Record<string, string>): string {
  return text.replace(/\{\{([A-Z_]+)\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`internal: template value ${key} is missing`);
    // Validation keeps these to this set; a value outside it would be Dockerfile syntax (a new line, a space in ENV).
    if (!/^[A-Za-z0-9_./-]+$/.test(value)) throw new Error(`internal: template value ${key} ${JSON.stringify(value)} is not safe in a Dockerfile`);
    return value;
  });
}

/** Byte-exact apart from line endings: latin1 maps every byte to one character and back. */
function toLf(bytes: Buffer): Buffer {
  return bytes.includes(13) ? Buffer.from(bytes.toString("latin1").replace(/\r\n/g, "\n"), "latin1") : bytes;
}

const SKIP_CACHES = (name: string) => name === "__pycache__" || name.endsWith(".pyc");
const RUNTIME_SKIP = (name: string) => SKIP_CACHES(name) || name === "tests";

/** The project's own files under `dir` (the runtime), sorted by path. */
function walk(dir: string, skip: (name: string) => boolean): Array<{ path: string; content: Buffer }> {
  const out: Array<{ path: string; content: Buffer }> = [];
  const visit = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = join(d, entry.name);
      if (skip(entry.name)) continue;
      if (entry.isDirectory()) visit(full);
      else if (entry.isFile()) out.push({ path: relative(dir, full).split("\\").join("/"), content: readFileSync(full) });
    }
  };
  visit(dir);
  return out;
}

function findProjectRoot(start: string): string {
  for (let d = start; ; d = dirname(d)) {
    if (existsSync(join(d, "build-context", "templates", "Dockerfile"))) return d;
    if (dirname(d) === d) throw new Error(`internal: cannot find the project's build-context templates above ${start}`);
  }
}
