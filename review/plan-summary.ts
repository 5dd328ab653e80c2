import { readFile } from "node:fs/promises";
import * as path from "node:path";
import { ReviewInputError } from "./errors";
import { isJsonObject, parseJsonText, type JsonObject, type JsonValue } from "./json-text";
import { attributeChanges, isWithinPath, renderReplacePath, SecretScrubber, type PathSegment } from "./values";
import type { ActionCounts, AttributeChange, ChangeAction, PlanResourceChange, PlanSummary, ReplaceOrder } from "./types";

/**
 * Reads `terraform show -json <planfile>` output (format_version 0.x or 1.x)
 * and turns it into a masked, ordered summary.
 *
 * Decisions worth knowing:
 * - `actions: []` never comes from Terraform itself, but converters and
 *   hand-written plans use it for unchanged resources: it counts as no-op and
 *   the entry is flagged `emptyActions`.
 * - Import and move are counted on top of the change action, so the change
 *   actions add up to the number of entries and an imported resource that also
 *   gets an update is in both columns.
 * - `["forget"]` (a `removed` block with `destroy = false`) has its own count;
 *   `["create","forget"]` is a replacement that leaves the old object in Azure.
 * - A missing `resource_changes` is accepted only next to `planned_values`:
 *   Terraform omits the empty list for a configuration with no resources, while
 *   state output (`terraform show -json` without a plan) never has it.
 */

export interface PlanSummaryOptions {
  /** File name or label used in messages and headings. */
  readonly source: string;
  /** Stack the plan belongs to. @default the file name without `.json`/`.plan.json` */
  readonly stack?: string;
}

export function emptyCounts(): ActionCounts {
  return { create: 0, update: 0, replace: 0, delete: 0, forget: 0, read: 0, "no-op": 0, import: 0, move: 0 };
}

/** `plans/mlfunc-prod.plan.json` → `mlfunc-prod`. */
export function stackNameFromFile(file: string): string {
  return path.basename(file).replace(/\.json$/i, "").replace(/\.(tf)?plan$/i, "");
}

const KNOWN_ACTIONS = new Set(["create", "read", "update", "delete", "no-op", "forget"]);

const REPLACE_ORDERS: Record<string, ReplaceOrder> = {
  "delete,create": "destroy-before-create",
  "create,delete": "create-before-destroy",
  "create,forget": "create-then-forget",
  "forget,create": "forget-then-create",
};

export interface Classified {
  readonly action: ChangeAction;
  readonly replaceOrder?: ReplaceOrder;
}

/** Maps `change.actions` to one action; undefined for combinations Terraform does not produce. */
export function classifyActions(actions: readonly string[]): Classified | undefined {
  if (actions.length === 0) return { action: "no-op" };
  if (actions.length === 1) {
    const only = actions[0];
    return KNOWN_ACTIONS.has(only) ? { action: only as ChangeAction } : undefined;
  }
  const order = actions.length === 2 ? REPLACE_ORDERS[actions.join(",")] : undefined;
  return order ? { action: "replace", replaceOrder: order } : undefined;
}

/** Order of the list: what destroys things first. */
const RANK: Record<ChangeAction, number> = { delete: 0, replace: 1, forget: 2, create: 3, update: 4, read: 5, "no-op": 6 };

function rankOf(change: PlanResourceChange): number {
  // A moved or imported resource with no change still needs a reader's eye.
  if (change.action === "no-op" && !change.moved && !change.imported) return RANK["no-op"] + 1;
  return RANK[change.action];
}

interface RawEntry {
  readonly index: number;
  readonly address: string;
  readonly entry: JsonObject;
  readonly change: JsonObject;
  readonly classified: Classified;
  readonly emptyActions: boolean;
}

/** Validates a parsed plan document and summarizes it. */
export function summarizePlan(doc: JsonValue, options: PlanSummaryOptions): PlanSummary {
  const source = options.source;
  const fail = (problem: string): never => {
    throw new ReviewInputError(source, problem);
  };
  if (!isJsonObject(doc)) {
    fail(`not a Terraform plan: expected a JSON object at the top level, found ${Array.isArray(doc) ? "an array" : doc === null ? "null" : typeof doc}`);
  }
  const top = doc as JsonObject;
  const formatVersion = top.format_version;
  if (formatVersion === undefined) fail('not a Terraform plan: missing "format_version" (expected `terraform show -json <planfile>` output)');
  if (typeof formatVersion !== "string") fail('"format_version" must be a string');
  const version = formatVersion as string;
  if (!/^[01]\.\d+$/.test(version)) fail(`unsupported format_version "${version}" (supported: 0.x and 1.x)`);

  let rawChanges = top.resource_changes;
  if (rawChanges === undefined) {
    if (!isJsonObject(top.planned_values)) {
      fail('not a Terraform plan: missing "resource_changes" (state output has no plan; run `terraform show -json <planfile>`)');
    }
    rawChanges = [];
  }
  if (!Array.isArray(rawChanges)) fail('"resource_changes" must be an array');

  const entries: RawEntry[] = [];
  (rawChanges as JsonValue[]).forEach((entry, index) => {
    const where = `resource_changes[${index}]`;
    if (!isJsonObject(entry)) fail(`${where}: expected an object`);
    const obj = entry as JsonObject;
    const address = obj.address;
    if (typeof address !== "string" || address === "") fail(`${where}: missing "address"`);
    const at = `${where} (${address as string})`;
    const change = obj.change;
    if (!isJsonObject(change)) fail(`${at}: missing "change"`);
    const actions = (change as JsonObject).actions;
    if (!Array.isArray(actions)) fail(`${at}: missing "change.actions"`);
    const list = actions as JsonValue[];
    for (const action of list) {
      if (typeof action !== "string" || !KNOWN_ACTIONS.has(action)) fail(`${at}: unknown action ${JSON.stringify(action)} in "change.actions"`);
    }
    const classified = classifyActions(list as string[]);
    if (!classified) fail(`${at}: unsupported "change.actions" ${JSON.stringify(list)}`);
    entries.push({
      index,
      address: address as string,
      entry: obj,
      change: change as JsonObject,
      classified: classified as Classified,
      emptyActions: list.length === 0,
    });
  });

  // Secrets from any entry are masked in every entry: a key copied into another resource stays hidden.
  const scrubber = new SecretScrubber();
  for (const { change } of entries) {
    scrubber.collect(change.before, change.before_sensitive);
    scrubber.collect(change.after, change.after_sensitive);
  }

  const counts = emptyCounts();
  const resources = entries.map((raw) => {
    const summary = summarizeEntry(raw, source, scrubber);
    counts[summary.action]++;
    if (summary.imported) counts.import++;
    if (summary.moved) counts.move++;
    return summary;
  });
  const order = new Map(resources.map((r, i) => [r, i]));
  resources.sort((x, y) => rankOf(x) - rankOf(y) || (order.get(x) ?? 0) - (order.get(y) ?? 0));

  return {
    source,
    stack: options.stack ?? stackNameFromFile(source),
    formatVersion: version,
    terraformVersion: typeof top.terraform_version === "string" ? top.terraform_version : undefined,
    errored: top.errored === true,
    incomplete: top.complete === false,
    counts,
    total: resources.length,
    resources,
  };
}

function optionalString(obj: JsonObject, key: string, where: string, source: string): string | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new ReviewInputError(source, `${where}: "${key}" must be a string`);
  return value;
}

function parseReplacePaths(value: JsonValue | undefined, where: string, source: string): PathSegment[][] {
  if (value === undefined || value === null) return [];
  const bad = (): never => {
    throw new ReviewInputError(source, `${where}: "change.replace_paths" must be a list of paths (lists of names and indexes)`);
  };
  if (!Array.isArray(value)) bad();
  return (value as JsonValue[]).map((p) => {
    if (!Array.isArray(p)) bad();
    return (p as JsonValue[]).map((segment) => (typeof segment === "string" || typeof segment === "number" ? segment : bad()));
  });
}

/** `module.a.module.b.azurerm_x.y["k"]` → type and name, for plans that leave them out. */
function typeAndNameFromAddress(address: string): { type: string; name: string } {
  const withoutModules = address.replace(/^(module\.[^.[]+(\[[^\]]*\])?\.)+/, "").replace(/^data\./, "");
  const match = /^([^.]+)\.([^.[]+)/.exec(withoutModules);
  return match ? { type: match[1], name: match[2] } : { type: "", name: withoutModules };
}

function summarizeEntry(raw: RawEntry, source: string, scrubber: SecretScrubber): PlanResourceChange {
  const { entry, change, classified } = raw;
  // Every string from the plan is scrubbed: a secret can sit in an address, a map key or a reason.
  const scrub = (value: string | undefined): string | undefined => (value === undefined ? undefined : scrubber.text(value));
  const address = scrubber.text(raw.address);
  const where = `resource_changes[${raw.index}] (${address})`;
  const fromAddress = typeAndNameFromAddress(address);
  const previous = optionalString(entry, "previous_address", where, source);
  const moved = previous !== undefined && previous !== raw.address;
  const importing = change.importing;
  const imported = isJsonObject(importing);
  const importId = imported && typeof importing.id === "string" ? scrubber.text(importing.id) : undefined;

  const replacePaths = parseReplacePaths(change.replace_paths, where, source).map((segments) =>
    scrubber.text(renderReplacePath(segments, change.before_sensitive, change.after_sensitive, change.before, change.after)),
  );

  let changes: AttributeChange[] = [];
  if (classified.action === "update" || classified.action === "replace") {
    changes = attributeChanges({
      before: change.before,
      after: change.after,
      beforeSensitive: change.before_sensitive,
      afterSensitive: change.after_sensitive,
      afterUnknown: change.after_unknown,
    }).map((c) => {
      const clean = scrubber.change(c);
      return replacePaths.some((p) => isWithinPath(clean.path, p)) ? { ...clean, forcesReplacement: true } : clean;
    });
  }

  const type = scrub(optionalString(entry, "type", where, source)) ?? fromAddress.type;
  const result: PlanResourceChange = {
    address,
    mode: entry.mode === "data" ? "data" : "managed",
    type,
    name: scrub(optionalString(entry, "name", where, source)) ?? fromAddress.name,
    action: classified.action,
    imported,
    moved,
    replacePaths,
    changes,
  };
  return withOptional(result, {
    previousAddress: moved ? scrub(previous) : undefined,
    moduleAddress: scrub(optionalString(entry, "module_address", where, source)),
    providerName: scrub(optionalString(entry, "provider_name", where, source)),
    replaceOrder: classified.replaceOrder,
    actionReason: scrub(optionalString(entry, "action_reason", where, source)),
    deposed: scrub(optionalString(entry, "deposed", where, source)),
    importId,
    emptyActions: raw.emptyActions ? true : undefined,
    armType: scrub(armTypeOf(type, change)),
  });
}

/** The ARM resource type an `azapi_*` resource manages (`Microsoft.App/containerApps`), without its API version. */
function armTypeOf(type: string, change: JsonObject): string | undefined {
  if (!type.startsWith("azapi_")) return undefined;
  for (const side of [change.before, change.after]) {
    if (isJsonObject(side) && typeof side.type === "string") return side.type.split("@")[0];
  }
  return undefined;
}

/** Adds only the fields that have a value, so JSON output has no `"x": undefined` noise. */
function withOptional<T extends object>(base: T, extra: Partial<T>): T {
  const result: T = { ...base };
  for (const key of Object.keys(extra) as (keyof T)[]) {
    const value = extra[key];
    if (value !== undefined) result[key] = value as T[keyof T];
  }
  return result;
}

/** Parses and summarizes plan JSON text. */
export function summarizePlanText(text: string, options: PlanSummaryOptions): PlanSummary {
  if (text.trim() === "") {
    throw new ReviewInputError(options.source, "file is empty (did `terraform show -json` fail?)");
  }
  // A saved plan is a zip archive; people pass it instead of its JSON rendering.
  if (text.startsWith("PK\u0003\u0004")) {
    throw new ReviewInputError(
      options.source,
      "this is a binary plan file; convert it with `terraform show -json <planfile> > plan.json` and pass the JSON",
    );
  }
  return summarizePlan(parseJsonText(text, options.source), options);
}

/** Reads a plan JSON file and summarizes it. */
export async function loadPlanSummary(file: string, options: { readonly stack?: string } = {}): Promise<PlanSummary> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const problem =
      code === "ENOENT"
        ? "plan file not found"
        : code === "EISDIR"
          ? "is a directory; pass the JSON file written by `terraform show -json`"
          : `cannot read plan file (${code ?? "unknown error"})`;
    throw new ReviewInputError(file, problem);
  }
  return summarizePlanText(text, { source: file, stack: options.stack });
}
