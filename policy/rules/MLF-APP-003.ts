/**
 * MLF-APP-003: FTP deployment is off. The image is the deployment, so FTP only adds a way in:
 * `AllAllowed` (plain FTP, credentials in clear text) is high, `FtpsOnly` medium. Absent passes:
 * azurerm 4.x defaults `ftps_state` to Disabled.
 */
import type { PolicyRule } from "../types";
import { FUNCTION_APP, siteConfig } from "../function-app";
import { readString, unresolved } from "../values";

export const rule: PolicyRule = {
  id: "MLF-APP-003",
  severity: "high",
  title: "Function app has FTP and FTPS disabled",
  resourceTypes: [FUNCTION_APP],
  fix: 'Set site_config.ftps_state = "Disabled"; deploy by pushing a new image tag.',
  check(attrs) {
    const site = siteConfig(attrs);
    if (site.kind === "unresolved") return unresolved("site_config", site);
    if (site.kind === "absent") return "compliant";
    const r = readString(site.value, "ftps_state");
    if (r.kind === "unresolved") return unresolved("site_config.ftps_state", r);
    if (r.kind === "absent" || r.value === "Disabled") return "compliant";
    if (r.value === "FtpsOnly") return { noncompliant: 'site_config.ftps_state is "FtpsOnly": FTPS deployment is enabled', severity: "medium" };
    if (r.value === "AllAllowed") return { noncompliant: 'site_config.ftps_state is "AllAllowed": plain FTP is enabled' };
    return { noncompliant: `site_config.ftps_state is "${r.value}", not "Disabled"` };
  },
};
