/**
 * Why the image tag changed: the build-context files that differ between the base's and the head's
 * synthesized image assets (`docker_image.*.build.context`, in the image stack), with their sizes;
 * which environments run the new digest; and which start running an image built before (promotions).
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat, readFile, readdir } from "node:fs/promises";
import * as path from "node:path";
import { MODEL_REFERENCE_LABEL } from "../build-context/generate";
import { manifestStacks, type SynthTree } from "./diff";
import { isJsonObject, type JsonObject, type JsonValue } from "./json-text";
import { mlflowModelChanges } from "./mlflow-models";
import type { ContextFileChange, ImageChange, ImagePromotion } from "./types";

const ASSET_PREFIX = "${path.module}/";

/** The build-context folders a stack's docker_image resources point at, relative to the stack folder. */
function contextsOf(doc: JsonObject | undefined): string[] {
  const images = isJsonObject(doc?.resource) ? doc.resource.docker_image : undefined;
  if (!isJsonObject(images)) return [];
  const out: string[] = [];
  for (const body of Object.values(images)) {
    const build = isJsonObject(body) ? body.build : undefined;
    const first = Array.isArray(build) ? build[0] : build;
    const context = isJsonObject(first) ? first.context : undefined;
    if (typeof context === "string" && context.startsWith(ASSET_PREFIX)) out.push(context.slice(ASSET_PREFIX.length));
  }
  return out.sort();
}

interface FileInfo {
  readonly bytes: number;
  readonly full: string;
}

/** Every regular file below `dir`, by path relative to it; undefined when the folder is missing. */
async function listFiles(dir: string): Promise<Map<string, FileInfo> | undefined> {
  const files = new Map<string, FileInfo>();
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(path.join(dir, rel), { withFileTypes: true });
    for (const e of entries) {
      const childRel = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) await walk(childRel);
      else if (e.isFile()) files.set(childRel, { bytes: (await lstat(path.join(dir, childRel))).size, full: path.join(dir, childRel) });
    }
  };
  try {
    await walk("");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  return files;
}

/** sha256 by streaming: a model of any size is compared without reading it into memory. */
function fileHash(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(file)
      .on("data", (chunk) => hash.update(chunk))
      .on("error", reject)
      .on("end", () => resolve(hash.digest("hex")));
  });
}

/** Files added, removed and changed between two build contexts, sorted by path. */
export async function compareContexts(baseDir: string, headDir: string): Promise<ContextFileChange[] | undefined> {
  const [before, after] = await Promise.all([listFiles(baseDir), listFiles(headDir)]);
  if (before === undefined || after === undefined) return undefined;
  return compareListings(before, after);
}

async function compareListings(before: ReadonlyMap<string, FileInfo>, after: ReadonlyMap<string, FileInfo>): Promise<ContextFileChange[]> {
  const out: ContextFileChange[] = [];
  for (const p of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const b = before.get(p);
    const a = after.get(p);
    if (b === undefined && a !== undefined) out.push({ path: p, kind: "added", afterBytes: a.bytes });
    else if (a === undefined && b !== undefined) out.push({ path: p, kind: "removed", beforeBytes: b.bytes });
    else if (a !== undefined && b !== undefined && (a.bytes !== b.bytes || (await fileHash(a.full)) !== (await fileHash(b.full)))) {
      out.push({ path: p, kind: "changed", beforeBytes: b.bytes, afterBytes: a.bytes });
    }
  }
  return out;
}

/** Whether a stack reads `imageStack`'s state (a terraform_remote_state whose state file, key or workspace is that stack's). */
function readsStateOf(doc: JsonObject | undefined, imageStack: string): boolean {
  const data = isJsonObject(doc?.data) ? doc.data.terraform_remote_state : undefined;
  if (!isJsonObject(data)) return false;
  const names = (v: JsonValue | undefined): string[] => (typeof v === "string" ? [v] : isJsonObject(v) ? Object.values(v).flatMap(names) : []);
  return Object.values(data).some((ds) => {
    const config = isJsonObject(ds) ? ds.config : undefined;
    return names(config).some((n) => n === imageStack || n.endsWith(`.${imageStack}.tfstate`) || n.endsWith(`/${imageStack}.tfstate`) || n === `${imageStack}.tfstate` || n.endsWith(`-${imageStack}`));
  });
}

/** Whether a stack imports its image into its own registry (ACR importImage). */
function importsImage(doc: JsonObject | undefined): boolean {
  const actions = isJsonObject(doc?.resource) ? doc.resource.azapi_resource_action : undefined;
  return isJsonObject(actions) && Object.values(actions).some((a) => isJsonObject(a) && a.action === "importImage");
}

/** The image a Dockerfile starts FROM. */
function baseImageIn(dockerfile: string): string | undefined {
  const from = dockerfile.split(/\r?\n/).find((l) => /^FROM\s/i.test(l));
  return from?.split(/\s+/).filter((w) => !w.startsWith("--"))[1];
}

/** What a build context's Dockerfile says of its image; nothing when the file is missing. */
async function dockerfileFacts(contextDir: string): Promise<{ baseImage?: string; modelReference?: string }> {
  let text: string;
  try {
    text = await readFile(path.join(contextDir, "Dockerfile"), "utf8");
  } catch {
    return {};
  }
  return { baseImage: baseImageIn(text), modelReference: modelReferenceIn(text) };
}

/**
 * One entry per distinct image change: stacks sharing the same base and head context are listed
 * together and compared once. A stack that builds in the head but not in the base (the image moved
 * into its own stack) is compared with the context the base's stacks built.
 */
export async function imageChanges(baseDir: string, headDir: string, base: SynthTree, head: SynthTree): Promise<ImageChange[]> {
  const [baseStacks, headStacks] = await Promise.all([manifestStacks(baseDir), manifestStacks(headDir)]);
  const building = baseStacks.filter((s) => contextsOf(base.get(s.name)).length === 1);
  const groups = new Map<string, { stacks: string[]; before: string; after: string; beforeDir: string; afterDir: string }>();
  for (const stack of headStacks) {
    const after = contextsOf(head.get(stack.name));
    if (after.length !== 1) continue;
    const from = building.find((s) => s.name === stack.name) ?? (base.has(stack.name) ? undefined : building[0]);
    if (from === undefined) continue;
    const before = contextsOf(base.get(from.name));
    if (before.length !== 1 || path.basename(before[0]) === path.basename(after[0])) continue;
    const key = `${path.basename(before[0])}\u0000${path.basename(after[0])}`;
    const group = groups.get(key);
    if (group) group.stacks.push(stack.name);
    else groups.set(key, { stacks: [stack.name], before: before[0], after: after[0], beforeDir: path.join(from.workingDirectory, before[0]), afterDir: path.join(stack.workingDirectory, after[0]) });
  }
  const out: ImageChange[] = [];
  for (const g of groups.values()) {
    const [before, after] = await Promise.all([listFiles(g.beforeDir), listFiles(g.afterDir)]);
    const files = before === undefined || after === undefined ? undefined : await compareListings(before, after);
    const models = files === undefined || before === undefined || after === undefined ? [] : await mlflowModelChanges(g.beforeDir, g.afterDir, files, new Set([...before.keys(), ...after.keys()]));
    const [{ modelReference: beforeRef, baseImage: fromBefore }, { modelReference: afterRef, baseImage: fromAfter }] = await Promise.all([dockerfileFacts(g.beforeDir), dockerfileFacts(g.afterDir)]);
    const runs = headStacks.filter((s) => g.stacks.some((builder) => readsStateOf(head.get(s.name), builder))).map((s) => s.name);
    out.push({
      stacks: g.stacks,
      runs,
      beforeHash: path.basename(g.before),
      afterHash: path.basename(g.after),
      ...(files === undefined ? {} : { files }),
      ...(models.length === 0 ? {} : { mlflowModels: models }),
      ...(beforeRef === afterRef ? {} : { modelReference: { ...(beforeRef === undefined ? {} : { before: beforeRef }), ...(afterRef === undefined ? {} : { after: afterRef }) } }),
      ...(fromBefore !== undefined && fromAfter !== undefined && fromBefore !== fromAfter ? { baseImage: { before: fromBefore, after: fromAfter } } : {}),
    });
  }
  return out;
}

/**
 * Environments that start running an image their image stack already built, with no build: an
 * environment new in the head, one that ran its own build in the base, or one that now imports the
 * digest into its own registry. Nothing is listed for an image stack whose context changed: that is
 * a new image (imageChanges), which every environment runs.
 */
export function imagePromotions(base: SynthTree, head: SynthTree): ImagePromotion[] {
  const out: ImagePromotion[] = [];
  // A base that built in each environment (before the image stack) is compared by the context they built.
  const built = [...base.values()].map(contextsOf).find((c) => c.length === 1) ?? [];
  for (const [imageStack, doc] of head) {
    const after = contextsOf(doc);
    if (after.length !== 1) continue;
    const before = base.has(imageStack) ? contextsOf(base.get(imageStack)) : built;
    if (before.length !== 1 || path.basename(before[0]) !== path.basename(after[0])) continue;
    const tag = path.basename(after[0]).slice(0, 16);
    for (const [stack, envDoc] of head) {
      if (stack === imageStack || !readsStateOf(envDoc, imageStack)) continue;
      const old = base.get(stack);
      const via = importsImage(envDoc) ? "import" : "pull";
      const promoted = old === undefined || !readsStateOf(old, imageStack) || (via === "import" && !importsImage(old));
      if (promoted) out.push({ stack, imageStack, tag, via });
    }
  }
  return out.sort((a, b) => (a.stack < b.stack ? -1 : a.stack > b.stack ? 1 : 0));
}

/** The registered model version a Dockerfile labels, if any. */
function modelReferenceIn(text: string): string | undefined {
  const m = new RegExp(`^LABEL ${MODEL_REFERENCE_LABEL.replace(/\./g, "\\.")}=("(?:[^"\\\\]|\\\\.)*")$`, "m").exec(text);
  if (!m) return undefined;
  try {
    const value = JSON.parse(m[1] ?? "") as unknown;
    return typeof value === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}

/** `1.2 MB`: decimal units, one decimal from kB on. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 999.95 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** `model/iris.joblib changed (1.2 MB → 1.3 MB)`. */
export function describeFileChange(c: ContextFileChange): string {
  if (c.kind === "added") return `added (${formatBytes(c.afterBytes ?? 0)})`;
  if (c.kind === "removed") return `removed (${formatBytes(c.beforeBytes ?? 0)})`;
  return `changed (${formatBytes(c.beforeBytes ?? 0)} → ${formatBytes(c.afterBytes ?? 0)})`;
}
