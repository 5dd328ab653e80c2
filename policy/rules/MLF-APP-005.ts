/**
 * MLF-APP-005, high: the app has a managed identity. Without one, registry pulls, storage and
 * Service Bus need keys or passwords, which the other rules forbid.
 */
import type { PolicyRule } from "../types";
import { FUNCTION_APP } from "../function-app";
import { readBlock, readString, unresolved } from "../values";

export const rule: PolicyRule = {
  id: "MLF-APP-005",
  severity: "high",
  title: "Function app has a managed identity",
  resourceTypes: [FUNCTION_APP],
  fix: 'Add an identity block: type = "UserAssigned" with identity_ids (the ManagedIdentity construct), or "SystemAssigned".',
  check(attrs) {
    const identity = readBlock(attrs, "identity");
    if (identity.kind === "unresolved") return unresolved("identity", identity);
    if (identity.kind === "absent") return { noncompliant: "no identity block: the app has no managed identity" };
    const type = readString(identity.value, "type");
    if (type.kind === "unresolved") return unresolved("identity.type", type);
    if (type.kind === "absent") return { noncompliant: "identity.type is not set" };
    const kinds = type.value.split(",").map((k) => k.trim());
    if (!kinds.includes("SystemAssigned") && !kinds.includes("UserAssigned")) {
      return { noncompliant: `identity.type is "${type.value}", neither SystemAssigned nor UserAssigned` };
    }
    if (!kinds.includes("UserAssigned")) return "compliant";
    const ids = identity.value.identity_ids;
    if (typeof ids === "string") return unresolved("identity.identity_ids", { shown: JSON.stringify(ids) });
    if (!Array.isArray(ids) || ids.length === 0) return { noncompliant: `identity.type is "${type.value}" but identity.identity_ids is empty` };
    return "compliant";
  },
};
