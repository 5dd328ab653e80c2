/**
 * MLF-ST-002, high: the storage account refuses plain HTTP. Absent passes: azurerm 4.x defaults
 * `https_traffic_only_enabled` to true.
 */
import type { PolicyRule } from "../types";
import { readBool, unresolved } from "../values";

export const rule: PolicyRule = {
  id: "MLF-ST-002",
  severity: "high",
  title: "Storage account accepts HTTPS only",
  resourceTypes: ["azurerm_storage_account"],
  fix: "Set https_traffic_only_enabled = true (or leave it out).",
  check(attrs) {
    const r = readBool(attrs, "https_traffic_only_enabled");
    if (r.kind === "unresolved") return unresolved("https_traffic_only_enabled", r);
    return r.kind === "value" && !r.value ? { noncompliant: "https_traffic_only_enabled is false: the account accepts plain HTTP" } : "compliant";
  },
};
