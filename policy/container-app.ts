/** Reads shared by the Container Apps rules: azapi resources of the Microsoft.App types, by their body. */
import type { CheckResult, JsonObject } from "./types";
import { isObject } from "./values";

export const AZAPI_RESOURCE = "azapi_resource";
export const CONTAINER_APP_TYPE = "Microsoft.App/containerApps";
export const MANAGED_ENVIRONMENT_TYPE = "Microsoft.App/managedEnvironments";

/** The ARM type of an azapi resource without its API version, or undefined when `type` is not a literal. */
export function azapiType(attrs: JsonObject): string | undefined {
  return typeof attrs.type === "string" && !attrs.type.includes("${") ? attrs.type.split("@")[0] : undefined;
}

/**
 * The `body` of an azapi resource of `armType`: not-applicable for other types, unresolved when the
 * body is an expression (e.g. `jsonencode(...)` in azapi 1.x style) the rule cannot read.
 */
export function azapiBody(attrs: JsonObject, armType: string): JsonObject | CheckResult {
  const type = azapiType(attrs);
  if (type === undefined) return typeof attrs.type === "string" ? { unresolved: `type is ${JSON.stringify(attrs.type)}, not a literal the rule can check` } : "not-applicable";
  if (type.toLowerCase() !== armType.toLowerCase()) return "not-applicable";
  const body = attrs.body;
  if (body === undefined || body === null) return {};
  if (!isObject(body)) return { unresolved: `body is ${JSON.stringify(body).slice(0, 80)}, not an object the rule can read` };
  return body;
}

/** The object at a dotted path of `obj`, or undefined when any step is absent or not an object. */
export function objectAt(obj: JsonObject, path: string): JsonObject | undefined {
  let cur: JsonObject | undefined = obj;
  for (const key of path.split(".")) {
    const next: unknown = cur?.[key];
    cur = isObject(next) ? next : undefined;
  }
  return cur;
}

/** The objects of a list at a dotted path; a non-list reads as empty. */
export function listAt(obj: JsonObject, path: string): JsonObject[] {
  const dot = path.lastIndexOf(".");
  const parent = dot < 0 ? obj : objectAt(obj, path.slice(0, dot));
  const v = parent?.[path.slice(dot + 1)];
  return Array.isArray(v) ? v.filter(isObject) : [];
}

export function isBodyResult(v: JsonObject | CheckResult): v is CheckResult {
  return typeof v === "string" || "noncompliant" in v || "unresolved" in v;
}
