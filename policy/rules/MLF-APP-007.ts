/**
 * MLF-APP-007, high: no DOCKER_REGISTRY_* app settings. They carry registry credentials (the
 * password in clear text in the portal and in state) and override the identity-based pull.
 */
import type { PolicyRule } from "../types";
import { FUNCTION_APP, appSettingNames } from "../function-app";
import { unresolved } from "../values";

export const rule: PolicyRule = {
  id: "MLF-APP-007",
  severity: "high",
  title: "No DOCKER_REGISTRY_* app settings",
  resourceTypes: [FUNCTION_APP],
  fix: "Remove the DOCKER_REGISTRY_* app settings; pull by managed identity (site_config.container_registry_use_managed_identity).",
  check(attrs) {
    const names = appSettingNames(attrs);
    if (names.kind === "unresolved") return unresolved("app_settings", names);
    if (names.kind === "absent") return "compliant";
    const bad = names.value.filter((n) => n.toUpperCase().startsWith("DOCKER_REGISTRY_")).sort();
    return bad.length === 0 ? "compliant" : { noncompliant: `app_settings sets ${bad.join(", ")}` };
  },
};
