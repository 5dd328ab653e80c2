/**
 * MLF-ST-004, medium: shared keys are off, so every client uses Entra ID. A key is full access
 * that never expires, but it still has to leak first, hence medium. azurerm defaults
 * `shared_access_key_enabled` to true, so absence fails.
 */
import type { PolicyRule } from "../types";
import { readBool, unresolved } from "../values";

export const rule: PolicyRule = {
  id: "MLF-ST-004",
  severity: "medium",
  title: "Storage account has shared keys off",
  resourceTypes: ["azurerm_storage_account"],
  fix: "Set shared_access_key_enabled = false and storage_use_azuread = true on the azurerm provider; connect by identity.",
  check(attrs) {
    const r = readBool(attrs, "shared_access_key_enabled");
    if (r.kind === "unresolved") return unresolved("shared_access_key_enabled", r);
    if (r.kind === "absent") return { noncompliant: "shared_access_key_enabled is not set (the provider default is true): account keys work" };
    return r.value ? { noncompliant: "shared_access_key_enabled is true: account keys work" } : "compliant";
  },
};
