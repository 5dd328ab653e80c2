import { readFile } from "node:fs/promises";
import * as path from "node:path";
import { ReviewInputError } from "./errors";
import { isJsonObject, parseJsonText, type JsonObject, type JsonValue } from "./json-text";
import { SENSITIVE, type AttributeChange, type ResourceDiff, type StackDiff } from "./types";
import { attributeChanges } from "./values";

/**
 * Offline diff of two synthesized cdktf outputs (`cdktf.out/stacks/<stack>/cdk.tf.json`):
 * which resources a pull request adds, removes or changes, and which of those
 * changes make Terraform destroy and re-create the resource. Needs no Azure
 * access, so it runs on every pull request; the plan, when there is one, is
 * the authority.
 *
 * Replacement rules cover what mlfunc deploys (see FORCE_NEW): rules the
 * provider applies conditionally (storage `account_kind`,
 * `account_replication_type`) are mirrored from its CustomizeDiff. A resource
 * that disappears under one logical id and appears under another with the same
 * type and `name` is a renamed construct: a replacement, unless a `moved`
 * block maps the two.
 */

/** Synthesized stacks by name. */
export type SynthTree = ReadonlyMap<string, JsonObject>;

/** A synthesized stack as cdktf's manifest lists it. */
export interface ManifestStack {
  readonly name: string;
  /** Absolute path of the stack's `cdk.tf.json`. */
  readonly file: string;
  /** Absolute path of the folder Terraform runs in. */
  readonly workingDirectory: string;
}

/**
 * The stacks of a cdktf output folder, from its `manifest.json`: folders are not the list, as a
 * stack left over from an earlier synth of another deployment file still has its folder.
 */
export async function manifestStacks(dir: string): Promise<ManifestStack[]> {
  const file = path.join(dir, "manifest.json");
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const problem =
      code === "ENOENT" || code === "ENOTDIR"
        ? "no synthesized stacks here (expected manifest.json and stacks/<name>/cdk.tf.json; run `npm run synth`)"
        : `cannot read manifest.json (${code ?? "unknown error"})`;
    throw new ReviewInputError(dir, problem);
  }
  const doc = parseJsonText(text, file);
  const stacks = isJsonObject(doc) ? doc.stacks : undefined;
  if (!isJsonObject(stacks)) throw new ReviewInputError(file, 'not a cdktf manifest: expected a "stacks" object');
  const root = path.resolve(dir);
  const inside = (rel: JsonValue | undefined, what: string, name: string): string => {
    if (typeof rel !== "string" || rel === "") throw new ReviewInputError(file, `stack "${name}" has no ${what}`);
    const full = path.resolve(root, rel);
    const back = path.relative(root, full);
    if (path.isAbsolute(rel) || back.startsWith("..") || path.isAbsolute(back)) throw new ReviewInputError(file, `stack "${name}": ${what} "${rel}" points outside ${dir}`);
    return full;
  };
  return Object.entries(stacks)
    .map(([name, entry]) => {
      if (!isJsonObject(entry)) throw new ReviewInputError(file, `stack "${name}" must be an object`);
      return { name, file: inside(entry.synthesizedStackPath, "synthesizedStackPath", name), workingDirectory: inside(entry.workingDirectory, "workingDirectory", name) };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Reads every stack `manifest.json` lists below a cdktf output folder. */
export async function loadSynthTree(dir: string): Promise<SynthTree> {
  const tree = new Map<string, JsonObject>();
  for (const stack of await manifestStacks(dir)) {
    let text: string;
    try {
      text = await readFile(stack.file, "utf8");
    } catch (err) {
      throw new ReviewInputError(stack.file, `listed in manifest.json but cannot be read (${(err as NodeJS.ErrnoException).code ?? "unknown error"}); synthesize again`);
    }
    const doc = parseJsonText(text, stack.file);
    if (!isJsonObject(doc)) throw new ReviewInputError(stack.file, "not synthesized Terraform JSON: expected an object at the top level");
    tree.set(stack.name, doc);
  }
  return tree;
}

/** Loads two cdktf output folders and diffs them stack by stack. */
export async function diffSynthDirs(baseDir: string, headDir: string): Promise<StackDiff[]> {
  const [base, head] = await Promise.all([loadSynthTree(baseDir), loadSynthTree(headDir)]);
  return diffSynthTrees(base, head);
}

export function diffSynthTrees(base: SynthTree, head: SynthTree): StackDiff[] {
  const names = [...new Set([...base.keys(), ...head.keys()])].sort();
  return names.map((name) => diffStack(name, base.get(name), head.get(name)));
}

interface Resource {
  readonly address: string;
  readonly type: string;
  readonly body: JsonObject;
}

/** `resource.<type>.<name>` entries, keyed by address `type.name`. */
function resourcesOf(doc: JsonObject | undefined, stack: string): Map<string, Resource> {
  const out = new Map<string, Resource>();
  if (!doc || doc.resource === undefined) return out;
  if (!isJsonObject(doc.resource)) throw new ReviewInputError(stack, '"resource" must be an object of resource types');
  for (const [type, byName] of Object.entries(doc.resource)) {
    if (!isJsonObject(byName)) throw new ReviewInputError(stack, `resource.${type} must be an object of resources`);
    for (const [name, body] of Object.entries(byName)) {
      if (!isJsonObject(body)) throw new ReviewInputError(stack, `resource.${type}.${name} must be an object`);
      out.set(`${type}.${name}`, { address: `${type}.${name}`, type, body });
    }
  }
  return out;
}

/** `moved` blocks (`moveTo` in cdktf) of the head side: from → to. */
function movesOf(doc: JsonObject | undefined): Map<string, string> {
  const out = new Map<string, string>();
  const moved = doc?.moved;
  if (!Array.isArray(moved)) return out;
  for (const entry of moved) {
    if (isJsonObject(entry) && typeof entry.from === "string" && typeof entry.to === "string") out.set(entry.from, entry.to);
  }
  return out;
}

/** Keys that never change what gets deployed: construct metadata and ordering. */
const IGNORED_KEYS = new Set(["//", "depends_on"]);

function comparable(body: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(body)) if (!IGNORED_KEYS.has(key)) out[key] = value;
  return out;
}

/** Rewrites `${old_type.old_name.attr}` references to their renamed address, so a rename is not counted twice. */
function renameReferences(value: JsonValue, renames: ReadonlyMap<string, string>): JsonValue {
  if (renames.size === 0) return value;
  if (typeof value === "string") {
    if (!value.includes("${")) return value;
    return value.replace(/\b([a-z][a-z0-9_]*\.[A-Za-z0-9_-]+)(?=[.[}])/g, (ref) => renames.get(ref) ?? ref);
  }
  if (Array.isArray(value)) return value.map((v) => renameReferences(v, renames));
  if (isJsonObject(value)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) out[k] = renameReferences(v, renames);
    return out;
  }
  return value;
}

/** Attributes whose change replaces the resource, per azurerm type; `*` applies to every azurerm type. */
const FORCE_NEW: Readonly<Record<string, readonly string[]>> = {
  "*": ["name", "location", "resource_group_name"],
  azurerm_storage_account: ["account_tier", "is_hns_enabled"],
  azurerm_storage_container: ["storage_account_id", "storage_account_name"],
  azurerm_service_plan: ["os_type"],
  azurerm_servicebus_queue: ["namespace_id"],
  azurerm_application_insights: ["application_type"],
  azurerm_container_registry_scope_map: ["container_registry_name"],
  azurerm_container_registry_token: ["container_registry_name"],
  azurerm_container_registry_token_password: ["container_registry_token_id"],
  azurerm_role_definition: ["scope", "role_definition_id"],
  azurerm_subnet: ["virtual_network_name"],
  azurerm_private_endpoint: ["subnet_id", "private_service_connection", "custom_network_interface_name"],
  azurerm_private_dns_zone_virtual_network_link: ["private_dns_zone_name", "virtual_network_id"],
  // No update in the provider: any change replaces the assignment.
  azurerm_role_assignment: ["scope", "role_definition_id", "role_definition_name", "principal_id", "principal_type", "condition", "condition_version", "description"],
};

const NON_ZONAL = new Set(["LRS", "GRS", "RAGRS"]);
const ZONAL = new Set(["ZRS", "GZRS", "RAGZRS"]);

/** The value at a dotted path (`properties.x`) of a body, or undefined. */
function bodyValue(body: JsonValue | undefined, path: string): JsonValue | undefined {
  let cur: JsonValue | undefined = body;
  for (const key of path.split(".")) cur = isJsonObject(cur) ? cur[key] : undefined;
  return cur;
}

/**
 * Body paths the service accepts only at creation, per ARM type (lowercase), whether or not the
 * resource lists them in `replace_triggers_refs`: putting an environment into a network, taking it
 * out, or moving it to another subnet replaces it (x-ms-mutability create, read in Microsoft.App).
 */
const AZAPI_CREATE_ONLY: Readonly<Record<string, readonly string[]>> = {
  "microsoft.app/managedenvironments": ["properties.vnetConfiguration.infrastructureSubnetId", "properties.vnetConfiguration.internal"],
};

/**
 * azapi_resource is replaced when its ARM type (not the API version), name, parent or location
 * changes, or a body path listed in `replace_triggers_refs` or known to be create-only (a container
 * app's `kind`, an environment's network).
 */
function azapiForceNew(before: JsonObject, after: JsonObject): string[] {
  const armType = (v: JsonValue | undefined) => (typeof v === "string" ? v.split("@")[0]?.toLowerCase() : v);
  const set = (key: string) => before[key] !== undefined && after[key] !== undefined;
  const out: string[] = [];
  if (set("type") && armType(before.type) !== armType(after.type)) out.push("type");
  for (const key of AZAPI_FORCE_NEW) if (set(key) && JSON.stringify(before[key]) !== JSON.stringify(after[key])) out.push(key);
  const listed = Array.isArray(after.replace_triggers_refs) ? after.replace_triggers_refs.filter((r): r is string => typeof r === "string") : [];
  const createOnly = typeof after.type === "string" ? (AZAPI_CREATE_ONLY[after.type.split("@")[0]?.toLowerCase() ?? ""] ?? []) : [];
  const refs = [...new Set([...listed, ...createOnly])];
  for (const ref of refs) {
    if (JSON.stringify(bodyValue(before.body, ref) ?? null) !== JSON.stringify(bodyValue(after.body, ref) ?? null)) out.push(`body.${ref}`);
  }
  return out;
}

const AZAPI_FORCE_NEW = ["name", "parent_id", "location"];

/** Attribute names of `before` → `after` that make Terraform replace an azurerm (or azapi) resource. */
export function forceNewAttributes(type: string, before: JsonObject, after: JsonObject): string[] {
  if (type === "azapi_resource") return azapiForceNew(before, after);
  if (!type.startsWith("azurerm_")) return [];
  const changed = (key: string): boolean => JSON.stringify(before[key] ?? null) !== JSON.stringify(after[key] ?? null);
  // Name, location and group can be left to defaults; only a change between two set values is certain.
  const differs = (key: string): boolean => before[key] !== undefined && after[key] !== undefined && changed(key);
  // A role definition's name (its display name) is updated in place.
  const common = type === "azurerm_role_definition" ? FORCE_NEW["*"].filter((k) => k !== "name") : FORCE_NEW["*"];
  const out = [...common.filter(differs), ...(FORCE_NEW[type] ?? []).filter(changed)];
  // Azure cannot migrate a namespace to or from Premium: the provider replaces it, queues and messages too.
  if (type === "azurerm_servicebus_namespace" && differs("sku") && (before.sku === "Premium") !== (after.sku === "Premium")) out.push("sku");
  if (type === "azurerm_storage_account") {
    // Mirrors the provider's CustomizeDiff: only upgrades to StorageV2, or from general-purpose v1, stay in place.
    if (differs("account_kind") && before.account_kind !== "Storage" && after.account_kind !== "StorageV2") out.push("account_kind");
    if (differs("account_replication_type")) {
      const from = String(before.account_replication_type).toUpperCase();
      const to = String(after.account_replication_type).toUpperCase();
      if ((NON_ZONAL.has(from) && ZONAL.has(to)) || (ZONAL.has(from) && NON_ZONAL.has(to))) out.push("account_replication_type");
    }
  }
  return out;
}

/** Function app types whose image tag change means a new container gets deployed. */
const FUNCTION_APP_TYPES = new Set(["azurerm_linux_function_app", "azurerm_linux_function_app_slot", "azurerm_linux_web_app"]);
const IMAGE_TAG_PATH = "site_config.application_stack.docker.image_tag";

function isImageTagPath(p: string): boolean {
  return p.replace(/\[\d+\]/g, "") === IMAGE_TAG_PATH;
}

/** A new image for an App Service app, or a new revision of a container app (a changed container image). */
function isRedeploy(type: string, changes: readonly AttributeChange[]): boolean {
  if (FUNCTION_APP_TYPES.has(type)) return changes.some((c) => isImageTagPath(c.path));
  return type === "azapi_resource" && changes.some((c) => /^body\.properties\.template\.containers\[\d+\]\.image$/.test(c.path));
}

/** Literal values under these names are credentials; references (`${...}`) are shown. */
const SECRET_NAME = /(password|secret|access_key|connection_string|sas_token|_token$|^token$|_key$)/i;

function maskLikelySecrets(change: AttributeChange): AttributeChange {
  const leaf = /([A-Za-z0-9_]+)(?:\[\d+\])*$/.exec(change.path)?.[1] ?? "";
  if (!SECRET_NAME.test(leaf)) return change;
  const isReference = (v: string): boolean => v === "null" || /^"\$\{[^}]*\}"$/.test(v);
  if (isReference(change.before) && isReference(change.after)) return change;
  return { ...change, before: isReference(change.before) ? change.before : SENSITIVE, after: isReference(change.after) ? change.after : SENSITIVE, sensitive: true };
}

function changesBetween(before: JsonObject, after: JsonObject, forceNew: readonly string[]): AttributeChange[] {
  return attributeChanges({ before, after }).map((c) => {
    const masked = maskLikelySecrets(c);
    const top = /^[^.[]+/.exec(masked.path)?.[0] ?? masked.path;
    const forces = forceNew.includes(top) || forceNew.some((f) => masked.path === f || masked.path.startsWith(`${f}.`));
    return forces ? { ...masked, forcesReplacement: true } : masked;
  });
}

/** Pairs removed and added resources of one type and `name` attribute: a changed construct id. */
function findRenames(removed: readonly Resource[], added: readonly Resource[]): Map<string, string> {
  const key = (r: Resource): string | undefined => (typeof r.body.name === "string" ? `${r.type}\u0000${r.body.name}` : undefined);
  const group = (list: readonly Resource[]): Map<string, Resource[]> => {
    const out = new Map<string, Resource[]>();
    for (const r of list) {
      const k = key(r);
      if (k !== undefined) out.set(k, [...(out.get(k) ?? []), r]);
    }
    return out;
  };
  const before = group(removed);
  const after = group(added);
  const pairs = new Map<string, string>();
  for (const [k, olds] of before) {
    const news = after.get(k);
    // Only a one-to-one match is certain enough to call a rename.
    if (olds.length === 1 && news?.length === 1) pairs.set(olds[0].address, news[0].address);
  }
  return pairs;
}

const KIND_ORDER: Record<ResourceDiff["kind"], number> = { removed: 0, renamed: 1, changed: 2, added: 3 };

const WHOLE_REFERENCE = /^\$\{([a-z][a-z0-9_]*\.[A-Za-z0-9_-]+)\.([A-Za-z0-9_]+)\}$/;

function forceNewKeys(type: string): string[] {
  if (type === "azapi_resource") return ["type", ...AZAPI_FORCE_NEW];
  return [...(FORCE_NEW["*"] ?? []), ...(FORCE_NEW[type] ?? []), "account_kind", "account_replication_type"];
}

/**
 * The body with each force-new attribute that is exactly a reference to another resource's literal
 * attribute replaced by that literal: a location taken from the resource group changes with it.
 */
function resolveForceNew(r: Resource, resources: ReadonlyMap<string, Resource>, depth = 0): JsonObject {
  const out: JsonObject = { ...r.body };
  for (const key of forceNewKeys(r.type)) {
    const value = out[key];
    const m = typeof value === "string" ? WHOLE_REFERENCE.exec(value) : null;
    const target = m ? resources.get(m[1] ?? "") : undefined;
    if (!m || !target || depth > 8) continue;
    const resolved = resolveForceNew(target, resources, depth + 1)[m[2] ?? ""];
    if (resolved !== undefined && !(typeof resolved === "string" && resolved.includes("${"))) out[key] = resolved;
  }
  return out;
}

/**
 * Replacements spread: a resource whose force-new attribute references an attribute that a replaced
 * resource will only know after apply (its id, or any attribute whose value changes) is replaced too.
 */
function propagateReplacements(diffs: ResourceDiff[], head: ReadonlyMap<string, Resource>, base: ReadonlyMap<string, Resource>): ResourceDiff[] {
  const byAddress = new Map(diffs.map((d) => [d.address, d]));
  // Renamed and moved resources are compared with what they were at their old address.
  const previous = new Map(diffs.flatMap((d) => (d.previousAddress === undefined ? [] : [[d.address, d.previousAddress] as const])));
  const baseOf = (address: string) => base.get(previous.get(address) ?? address);
  const unknownAfterApply = (address: string, attr: string): boolean => {
    const now = head.get(address)?.body[attr];
    const before = baseOf(address)?.body[attr];
    return now === undefined || typeof now !== "string" || now.includes("${") || now !== before;
  };
  for (let changed = true; changed; ) {
    changed = false;
    const replaced = new Set([...byAddress.values()].filter((d) => d.replace && d.kind !== "removed").map((d) => d.address));
    for (const r of head.values()) {
      const current = byAddress.get(r.address);
      if (current?.replace || current?.kind === "added" || !baseOf(r.address)) continue;
      const reasons = forceNewKeys(r.type).flatMap((key) => {
        const value = r.body[key];
        if (typeof value !== "string") return [];
        const refs = [...value.matchAll(/\$\{([a-z][a-z0-9_]*\.[A-Za-z0-9_-]+)\.([A-Za-z0-9_]+)/g)];
        const hit = refs.find((ref) => replaced.has(ref[1] ?? "") && unknownAfterApply(ref[1] ?? "", ref[2] ?? ""));
        return hit ? [`${key} (follows the replaced ${hit[1]})`] : [];
      });
      if (reasons.length === 0) continue;
      const entry: ResourceDiff = current ?? { address: r.address, type: r.type, kind: "changed", replace: false, replaceReasons: [], redeploy: false, changes: [] };
      byAddress.set(r.address, { ...entry, replace: true, replaceReasons: [...entry.replaceReasons, ...reasons] });
      changed = true;
    }
  }
  return [...byAddress.values()];
}

/** A whole `${type.name.attr}` reference replaced by that attribute's value, followed through a chain of references. */
function resolveReference(value: unknown, resources: ReadonlyMap<string, Resource>, depth = 0): unknown {
  const m = typeof value === "string" ? WHOLE_REFERENCE.exec(value) : null;
  const next = m ? resources.get(m[1] ?? "")?.body[m[2] ?? ""] : undefined;
  return next === undefined || depth > 8 ? value : resolveReference(next, resources, depth + 1);
}

/** `body.properties.template.containers[i].image` of a container app, by path. */
function containerImages(r: Resource | undefined): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (r?.type !== "azapi_resource" || !isJsonObject(r.body.body)) return out;
  const properties = r.body.body.properties;
  const template = isJsonObject(properties) ? properties.template : undefined;
  const containers = isJsonObject(template) ? template.containers : undefined;
  if (!Array.isArray(containers)) return out;
  containers.forEach((c, i) => {
    if (isJsonObject(c) && c.image !== undefined) out.set(`body.properties.template.containers[${i}].image`, c.image);
  });
  return out;
}

/**
 * A container app names its image by reference (`${docker_registry_image.push.name}`), so a new image
 * tag leaves its JSON unchanged; Terraform still sends the new image. Each such reference is followed
 * to the literal it ends in on both sides, and a difference there is a redeploy with the values shown.
 */
function followImageReferences(diffs: ResourceDiff[], head: ReadonlyMap<string, Resource>, base: ReadonlyMap<string, Resource>): ResourceDiff[] {
  const byAddress = new Map(diffs.map((d) => [d.address, d]));
  for (const r of head.values()) {
    const current = byAddress.get(r.address);
    if (current?.kind === "added" || current?.kind === "removed") continue;
    const old = base.get(current?.previousAddress ?? r.address);
    const before = containerImages(old);
    const followed: AttributeChange[] = [];
    for (const [p, now] of containerImages(r)) {
      // A changed reference itself is already among the changes.
      if (!old || current?.changes.some((c) => c.path === p) || JSON.stringify(before.get(p)) !== JSON.stringify(now)) continue;
      const from = resolveReference(before.get(p), base);
      const to = resolveReference(now, head);
      if (JSON.stringify(from) !== JSON.stringify(to)) followed.push({ path: p, before: JSON.stringify(from), after: JSON.stringify(to) });
    }
    if (followed.length === 0) continue;
    const entry: ResourceDiff = current ?? { address: r.address, type: r.type, kind: "changed", replace: false, replaceReasons: [], redeploy: false, changes: [] };
    byAddress.set(r.address, { ...entry, redeploy: true, changes: [...entry.changes, ...followed] });
  }
  return [...byAddress.values()];
}

/** azapi resources name the ARM type they manage in `type` (`Microsoft.App/containerApps@2025-02-02-preview`). */
function withArmType(d: ResourceDiff, r: Resource | undefined): ResourceDiff {
  if (!d.type.startsWith("azapi_") || typeof r?.body.type !== "string") return d;
  return { ...d, armType: r.body.type.split("@")[0] };
}

export function diffStack(stack: string, baseDoc: JsonObject | undefined, headDoc: JsonObject | undefined): StackDiff {
  const base = resourcesOf(baseDoc, stack);
  const head = resourcesOf(headDoc, stack);
  const moved = movesOf(headDoc);

  const removed = [...base.values()].filter((r) => !head.has(r.address));
  const added = [...head.values()].filter((r) => !base.has(r.address));
  const renames = new Map([...findRenames(removed, added)]);
  for (const [from, to] of moved) if (base.has(from) && head.has(to) && !head.has(from)) renames.set(from, to);
  const renamedTo = new Set(renames.values());

  const diffs: ResourceDiff[] = [];
  for (const r of removed) {
    if (renames.has(r.address)) continue;
    diffs.push({ address: r.address, type: r.type, kind: "removed", replace: false, replaceReasons: [], redeploy: false, changes: [] });
  }
  for (const [from, to] of renames) {
    const old = base.get(from);
    const now = head.get(to);
    if (!old || !now) continue;
    const before = renameReferences(comparable(old.body), renames) as JsonObject;
    const after = comparable(now.body);
    const forceNew = forceNewAttributes(now.type, renameReferences(resolveForceNew(old, base), renames) as JsonObject, resolveForceNew(now, head));
    const changes = changesBetween(before, after, forceNew);
    const isMove = moved.get(from) === to;
    diffs.push({
      address: to,
      previousAddress: from,
      type: now.type,
      kind: "renamed",
      // Without a moved block Terraform destroys the old address and creates the new one.
      replace: !isMove || forceNew.length > 0,
      replaceReasons: forceNew,
      redeploy: isRedeploy(now.type, changes),
      changes,
    });
  }
  for (const [address, now] of head) {
    const old = base.get(address);
    if (!old) {
      if (!renamedTo.has(address)) diffs.push({ address, type: now.type, kind: "added", replace: false, replaceReasons: [], redeploy: false, changes: [] });
      continue;
    }
    const before = renameReferences(comparable(old.body), renames) as JsonObject;
    const after = comparable(now.body);
    const forceNew = forceNewAttributes(now.type, renameReferences(resolveForceNew(old, base), renames) as JsonObject, resolveForceNew(now, head));
    const changes = changesBetween(before, after, forceNew);
    if (changes.length === 0 && forceNew.length === 0) continue;
    diffs.push({
      address,
      type: now.type,
      kind: "changed",
      replace: forceNew.length > 0,
      replaceReasons: forceNew,
      redeploy: isRedeploy(now.type, changes),
      changes,
    });
  }
  const all = propagateReplacements(followImageReferences(diffs, head, base), head, base).map((d) => withArmType(d, head.get(d.address) ?? base.get(d.address)));
  all.sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || Number(b.replace) - Number(a.replace) || a.address.localeCompare(b.address));

  const status: StackDiff["status"] = !baseDoc ? "added" : !headDoc ? "removed" : all.length > 0 ? "changed" : "unchanged";
  return { stack, status, resources: all };
}
