/** Reads shared by the function app rules. */
import type { CheckResult, JsonObject } from "./types";
import { isObject, readBlock, readBlocks, unresolved, type Read } from "./values";

export const FUNCTION_APP = "azurerm_linux_function_app";

/** `site_config` is a required block; an absent one means every setting is at its default. */
export function siteConfig(attrs: JsonObject): Read<JsonObject> {
  const r = readBlock(attrs, "site_config");
  return r.kind === "absent" ? { kind: "value", value: {} } : r;
}

/** The `application_stack.docker` blocks, absent for a code (non-container) app. */
export function dockerBlocks(site: JsonObject): Read<readonly JsonObject[]> {
  const stack = readBlock(site, "application_stack");
  if (stack.kind !== "value") return stack;
  return readBlocks(stack.value, "docker");
}

/** App setting names, or the raw value when `app_settings` is an expression. */
export function appSettingNames(attrs: JsonObject): Read<readonly string[]> {
  const v = attrs.app_settings;
  if (v === undefined || v === null) return { kind: "absent" };
  if (isObject(v)) return { kind: "value", value: Object.keys(v) };
  return { kind: "unresolved", shown: JSON.stringify(v) };
}

/**
 * A container app's site config and docker blocks; or, for the rule to return, not-applicable (no
 * docker stack) or the unresolved value that stops it.
 */
export function containerApp(attrs: JsonObject): { readonly site: JsonObject; readonly docker: readonly JsonObject[] } | CheckResult {
  const site = siteConfig(attrs);
  if (site.kind === "unresolved") return unresolved("site_config", site);
  if (site.kind === "absent") return "not-applicable";
  const docker = dockerBlocks(site.value);
  if (docker.kind === "unresolved") return unresolved("site_config.application_stack.docker", docker);
  if (docker.kind === "absent" || docker.value.length === 0) return "not-applicable";
  return { site: site.value, docker: docker.value };
}
