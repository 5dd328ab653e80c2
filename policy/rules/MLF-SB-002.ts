/**
 * MLF-SB-002, high: the namespace requires TLS 1.2+. Absent passes: azurerm 4.x defaults
 * `minimum_tls_version` to 1.2.
 */
import type { PolicyRule } from "../types";
import { outcome, tlsProblem } from "../values";

export const rule: PolicyRule = {
  id: "MLF-SB-002",
  severity: "high",
  title: "Service Bus namespace requires TLS 1.2+",
  resourceTypes: ["azurerm_servicebus_namespace"],
  fix: 'Set minimum_tls_version = "1.2" (or leave it out).',
  check(attrs) {
    const c = tlsProblem(attrs, "minimum_tls_version", "minimum_tls_version");
    return outcome(c.problem ? [c.problem] : [], c.unresolved ? [c.unresolved] : []);
  },
};
