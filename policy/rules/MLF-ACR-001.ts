/**
 * MLF-ACR-001, high: the registry's admin user is off. Its password grants push and pull on every
 * repository and cannot be scoped. Absent passes: azurerm defaults `admin_enabled` to false.
 */
import type { PolicyRule } from "../types";
import { readBool, unresolved } from "../values";

export const rule: PolicyRule = {
  id: "MLF-ACR-001",
  severity: "high",
  title: "Container registry has the admin user off",
  resourceTypes: ["azurerm_container_registry"],
  fix: "Set admin_enabled = false; push with a scoped token and pull by managed identity (AcrPull).",
  check(attrs) {
    const r = readBool(attrs, "admin_enabled");
    if (r.kind === "unresolved") return unresolved("admin_enabled", r);
    return r.kind === "value" && r.value ? { noncompliant: "admin_enabled is true: a registry-wide admin password exists" } : "compliant";
  },
};
