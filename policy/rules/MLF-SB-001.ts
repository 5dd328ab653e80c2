/**
 * MLF-SB-001, medium: Service Bus SAS keys are off (Entra ID only). Same reasoning as storage
 * shared keys. azurerm defaults `local_auth_enabled` to true, so absence fails.
 */
import type { PolicyRule } from "../types";
import { readBool, unresolved } from "../values";

export const rule: PolicyRule = {
  id: "MLF-SB-001",
  severity: "medium",
  title: "Service Bus namespace has SAS keys off",
  resourceTypes: ["azurerm_servicebus_namespace"],
  fix: "Set local_auth_enabled = false; connect by identity (the Azure Service Bus Data Receiver/Sender roles).",
  check(attrs) {
    const r = readBool(attrs, "local_auth_enabled");
    if (r.kind === "unresolved") return unresolved("local_auth_enabled", r);
    if (r.kind === "absent") return { noncompliant: "local_auth_enabled is not set (the provider default is true): SAS keys work" };
    return r.value ? { noncompliant: "local_auth_enabled is true: SAS keys work" } : "compliant";
  },
};
