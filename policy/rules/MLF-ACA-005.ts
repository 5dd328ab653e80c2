/**
 * MLF-ACA-005, medium: a container app waits for the AcrPull role of the identity it pulls with.
 * Without `depends_on`, Terraform may create the app first; the first revision then fails to pull
 * its image. An availability risk rather than an exposure, hence medium.
 */
import type { PolicyRule } from "../types";
import { acrPullGrants } from "../acr-pull";
import { AZAPI_RESOURCE, CONTAINER_APP_TYPE, azapiBody, isBodyResult, listAt } from "../container-app";
import { wholeReference } from "../values";

export const rule: PolicyRule = {
  id: "MLF-ACA-005",
  severity: "medium",
  title: "Container app depends on its AcrPull role assignment",
  resourceTypes: [AZAPI_RESOURCE],
  fix: "Use a user-assigned identity for registries[].identity, grant it AcrPull on the registry, and list that azurerm_role_assignment in the app's depends_on.",
  check(attrs, ctx) {
    const body = azapiBody(attrs, CONTAINER_APP_TYPE);
    if (isBodyResult(body)) return body;
    const ids = listAt(body, "properties.configuration.registries").map((r) => r.identity);
    if (ids.length === 0) return "not-applicable";
    const dependsOn = Array.isArray(attrs.depends_on) ? attrs.depends_on.filter((d): d is string => typeof d === "string").map((d) => wholeReference(d) ?? d.trim()) : [];
    const problems: string[] = [];
    for (const id of ids) {
      if (id === "system") {
        problems.push("registries pull with the system-assigned identity, which exists only once the app does: no AcrPull assignment can precede the first pull");
        continue;
      }
      const ref = typeof id === "string" ? wholeReference(id) : undefined;
      if (!ref?.endsWith(".id")) return { unresolved: `registries[].identity is ${JSON.stringify(id)}, not a reference to an identity's id in this stack` };
      const identity = ref.slice(0, -".id".length);
      const grants = acrPullGrants(ctx, identity);
      if (grants.length === 0) problems.push(`no AcrPull role assignment for ${identity} in this stack`);
      else if (!grants.some((g) => dependsOn.includes(g))) problems.push(`depends_on does not list ${grants.join(" or ")}`);
    }
    return problems.length > 0 ? { noncompliant: problems.join("; ") } : "compliant";
  },
};
