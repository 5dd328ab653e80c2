/**
 * MLF-APP-002, high: the app and its SCM (Kudu) site require TLS 1.2 or later; TLS 1.0 and 1.1
 * are broken and Azure is retiring them. Absent passes: azurerm 4.x defaults both to 1.2.
 */
import type { PolicyRule } from "../types";
import { FUNCTION_APP, siteConfig } from "../function-app";
import { outcome, tlsProblem, unresolved } from "../values";

export const rule: PolicyRule = {
  id: "MLF-APP-002",
  severity: "high",
  title: "Function app requires TLS 1.2+",
  resourceTypes: [FUNCTION_APP],
  fix: 'Set site_config.minimum_tls_version and site_config.scm_minimum_tls_version to "1.2" (or "1.3").',
  check(attrs) {
    const site = siteConfig(attrs);
    if (site.kind === "unresolved") return unresolved("site_config", site);
    if (site.kind === "absent") return "compliant";
    const checks = [
      tlsProblem(site.value, "minimum_tls_version", "site_config.minimum_tls_version"),
      tlsProblem(site.value, "scm_minimum_tls_version", "site_config.scm_minimum_tls_version"),
    ];
    return outcome(
      checks.flatMap((c) => (c.problem ? [c.problem] : [])),
      checks.flatMap((c) => (c.unresolved ? [c.unresolved] : [])),
    );
  },
};
