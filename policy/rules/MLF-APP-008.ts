/**
 * MLF-APP-008, medium: no FUNCTIONS_WORKER_RUNTIME app setting. A container image brings its own
 * worker (the Functions base image sets the variable); with application_stack set, azurerm treats a
 * hand-set value as conflicting, and it can start the wrong worker. A correctness risk more than an
 * exposure, hence medium.
 */
import type { PolicyRule } from "../types";
import { FUNCTION_APP, appSettingNames } from "../function-app";
import { unresolved } from "../values";

export const rule: PolicyRule = {
  id: "MLF-APP-008",
  severity: "medium",
  title: "No FUNCTIONS_WORKER_RUNTIME app setting",
  resourceTypes: [FUNCTION_APP],
  fix: "Remove FUNCTIONS_WORKER_RUNTIME from app_settings; the image and site_config.application_stack decide the runtime.",
  check(attrs) {
    const names = appSettingNames(attrs);
    if (names.kind === "unresolved") return unresolved("app_settings", names);
    if (names.kind === "absent") return "compliant";
    return names.value.some((n) => n.toUpperCase() === "FUNCTIONS_WORKER_RUNTIME")
      ? { noncompliant: "app_settings sets FUNCTIONS_WORKER_RUNTIME" }
      : "compliant";
  },
};
