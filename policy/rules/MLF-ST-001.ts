/**
 * MLF-ST-001, high: the storage account requires TLS 1.2+. Absent passes: azurerm 4.x defaults
 * `min_tls_version` to TLS1_2 for new accounts (provider docs, storage_account).
 */
import type { PolicyRule } from "../types";
import { outcome, tlsProblem } from "../values";

export const rule: PolicyRule = {
  id: "MLF-ST-001",
  severity: "high",
  title: "Storage account requires TLS 1.2+",
  resourceTypes: ["azurerm_storage_account"],
  fix: 'Set min_tls_version = "TLS1_2" (the StorageAccount construct does).',
  check(attrs) {
    const c = tlsProblem(attrs, "min_tls_version", "min_tls_version");
    return outcome(c.problem ? [c.problem] : [], c.unresolved ? [c.unresolved] : []);
  },
};
