/**
 * MLF-ST-003, high: no container in the account can be made public. azurerm 4.x defaults
 * `allow_nested_items_to_be_public` to true (provider docs, storage_account), so absence fails:
 * one container flipped to "blob" would then publish model inputs and outputs.
 */
import type { PolicyRule } from "../types";
import { readBool, unresolved } from "../values";

export const rule: PolicyRule = {
  id: "MLF-ST-003",
  severity: "high",
  title: "Storage account forbids public blobs",
  resourceTypes: ["azurerm_storage_account"],
  fix: "Set allow_nested_items_to_be_public = false.",
  check(attrs) {
    const r = readBool(attrs, "allow_nested_items_to_be_public");
    if (r.kind === "unresolved") return unresolved("allow_nested_items_to_be_public", r);
    if (r.kind === "absent") return { noncompliant: "allow_nested_items_to_be_public is not set (the provider default is true): containers can be made public" };
    return r.value ? { noncompliant: "allow_nested_items_to_be_public is true: containers can be made public" } : "compliant";
  },
};
