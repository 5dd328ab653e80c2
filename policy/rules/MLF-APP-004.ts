/**
 * MLF-APP-004, medium: remote debugging is off. It opens debugger ports on the workers; attaching
 * still needs publishing credentials, hence medium rather than high. Absent passes (default false).
 */
import type { PolicyRule } from "../types";
import { FUNCTION_APP, siteConfig } from "../function-app";
import { readBool, unresolved } from "../values";

export const rule: PolicyRule = {
  id: "MLF-APP-004",
  severity: "medium",
  title: "Function app has remote debugging off",
  resourceTypes: [FUNCTION_APP],
  fix: "Set site_config.remote_debugging_enabled = false (or leave it out).",
  check(attrs) {
    const site = siteConfig(attrs);
    if (site.kind === "unresolved") return unresolved("site_config", site);
    if (site.kind === "absent") return "compliant";
    const r = readBool(site.value, "remote_debugging_enabled");
    if (r.kind === "unresolved") return unresolved("site_config.remote_debugging_enabled", r);
    return r.kind === "value" && r.value ? { noncompliant: "site_config.remote_debugging_enabled is true" } : "compliant";
  },
};
