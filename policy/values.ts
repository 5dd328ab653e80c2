/** Reading Terraform JSON values the way Terraform would, telling literals from expressions. */
import type { CheckResult, JsonObject, JsonValue } from "./types";

/** True when a string holds an interpolation or template directive (`$${` and `%%{` are escapes). */
export function isExpression(s: string): boolean {
  return /\$\{|%\{/.test(s.replace(/\$\$\{|%%\{/g, ""));
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export type Read<T> =
  | { readonly kind: "absent" }
  | { readonly kind: "value"; readonly value: T }
  /** Not a literal of the expected type; `shown` is safe to print (never used for secrets). */
  | { readonly kind: "unresolved"; readonly shown: string };

const ABSENT = { kind: "absent" } as const;

function show(v: JsonValue): string {
  return JSON.stringify(v);
}

/** A boolean argument. Terraform converts the strings "true"/"false", so they count as literals. */
export function readBool(obj: JsonObject, key: string): Read<boolean> {
  const v = obj[key];
  if (v === undefined || v === null) return ABSENT;
  if (typeof v === "boolean") return { kind: "value", value: v };
  if (v === "true" || v === "false") return { kind: "value", value: v === "true" };
  return { kind: "unresolved", shown: show(v) };
}

/** A string argument; numbers count too, since Terraform converts them (`minimum_tls_version = 1.2`). */
export function readString(obj: JsonObject, key: string): Read<string> {
  const v = obj[key];
  if (v === undefined || v === null) return ABSENT;
  if (typeof v === "number") return { kind: "value", value: String(v) };
  if (typeof v === "string" && !isExpression(v)) return { kind: "value", value: v };
  return { kind: "unresolved", shown: show(v) };
}

/**
 * A nested block with at most one instance. cdktf writes those as an object; hand-written JSON
 * may use a list. A `dynamic` block of that name cannot be read.
 */
export function readBlock(obj: JsonObject, key: string): Read<JsonObject> {
  const dynamic = obj.dynamic;
  if (isObject(dynamic) && dynamic[key] !== undefined) return { kind: "unresolved", shown: `a dynamic "${key}" block` };
  const v = obj[key];
  if (v === undefined || v === null) return ABSENT;
  if (isObject(v)) return { kind: "value", value: v };
  if (Array.isArray(v)) {
    if (v.length === 0) return ABSENT;
    const first = v[0];
    if (v.length === 1 && isObject(first)) return { kind: "value", value: first };
  }
  return { kind: "unresolved", shown: show(v) };
}

/** Every instance of a repeatable block (an object or a list of objects). */
export function readBlocks(obj: JsonObject, key: string): Read<readonly JsonObject[]> {
  const dynamic = obj.dynamic;
  if (isObject(dynamic) && dynamic[key] !== undefined) return { kind: "unresolved", shown: `a dynamic "${key}" block` };
  const v = obj[key];
  if (v === undefined || v === null) return ABSENT;
  if (isObject(v)) return { kind: "value", value: [v] };
  if (Array.isArray(v) && v.every(isObject)) return { kind: "value", value: v as JsonObject[] };
  return { kind: "unresolved", shown: show(v) };
}

/** The "cannot evaluate" result for an attribute. */
export function unresolved(path: string, r: { readonly shown: string }): CheckResult {
  return { unresolved: `${path} is ${r.shown}, not a literal the rule can check` };
}

/**
 * Minor TLS version from `1.2`, `TLS1_2` or `tls1.2`; undefined when the text is not a TLS 1.x
 * version at all (then the rule reports the value instead of guessing).
 */
export function tlsMinor(version: string): number | undefined {
  const m = /^(?:tls)?1[._]([0-9])$/i.exec(version.trim());
  return m ? Number(m[1]) : undefined;
}

/**
 * Checks one minimum-TLS attribute. Absent passes: azurerm 4.x defaults every minimum TLS argument
 * these rules read to 1.2.
 */
export function tlsProblem(obj: JsonObject, key: string, path: string): { readonly problem?: string; readonly unresolved?: string } {
  const r = readString(obj, key);
  if (r.kind === "absent") return {};
  if (r.kind === "unresolved") return { unresolved: `${path} is ${r.shown}, not a literal the rule can check` };
  const minor = tlsMinor(r.value);
  if (minor === undefined) return { problem: `${path} is "${r.value}", not a TLS version` };
  return minor >= 2 ? {} : { problem: `${path} is "${r.value}", below TLS 1.2` };
}

/** `${a.b.c}` with nothing around it: the reference's text, for matching resources. */
export function wholeReference(s: string): string | undefined {
  const m = /^\$\{([^{}]+)\}$/.exec(s.trim());
  return m ? m[1]!.trim() : undefined;
}

/** A failure wins over an unreadable value: a known problem is reported even if another value is unknown. */
export function outcome(problems: readonly string[], unknowns: readonly string[] = []): CheckResult {
  if (problems.length > 0) return { noncompliant: problems.join("; ") };
  if (unknowns.length > 0) return { unresolved: unknowns.join("; ") };
  return "compliant";
}
