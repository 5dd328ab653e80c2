/**
 * MLF-APP-009, medium: the app waits for its AcrPull role assignment. Without `depends_on`,
 * Terraform may create the app first; the first image pull then fails and the app starts broken
 * until a restart. An availability risk rather than an exposure, hence medium.
 */
import type { PolicyRule } from "../types";
import { acrPullGrants } from "../acr-pull";
import { FUNCTION_APP, containerApp } from "../function-app";
import { isExpression, readBool, readString, unresolved, wholeReference } from "../values";

export const rule: PolicyRule = {
  id: "MLF-APP-009",
  severity: "medium",
  title: "Function app depends on its AcrPull role assignment",
  resourceTypes: [FUNCTION_APP],
  fix: "Grant AcrPull to the identity named by container_registry_managed_identity_client_id and list that azurerm_role_assignment in the app's depends_on.",
  check(attrs, ctx) {
    const app = containerApp(attrs);
    if (typeof app === "string" || !("site" in app)) return app;
    const useIdentity = readBool(app.site, "container_registry_use_managed_identity");
    // Pulling with credentials is MLF-APP-006's finding; there is no role to wait for.
    if (useIdentity.kind !== "value" || !useIdentity.value) return "not-applicable";

    const clientIdRaw = app.site.container_registry_managed_identity_client_id;
    if (clientIdRaw === undefined || clientIdRaw === null) {
      return { noncompliant: "the image is pulled with the system-assigned identity, which exists only once the app does: no AcrPull assignment can precede the first pull" };
    }
    const clientId = readString(app.site, "container_registry_managed_identity_client_id");
    const ref = typeof clientIdRaw === "string" && isExpression(clientIdRaw) ? wholeReference(clientIdRaw) : undefined;
    const identity = ref?.endsWith(".client_id") ? ref.slice(0, -".client_id".length) : undefined;
    if (identity === undefined) {
      const shown = clientId.kind === "value" ? `the literal "${clientId.value}"` : JSON.stringify(clientIdRaw);
      return { unresolved: `site_config.container_registry_managed_identity_client_id is ${shown}, not a reference to an identity's client_id in this stack` };
    }

    const grants = acrPullGrants(ctx, identity);
    if (grants.length === 0) return { noncompliant: `no AcrPull role assignment for ${identity} in this stack` };

    const dependsOn = attrs.depends_on;
    if (dependsOn !== undefined && dependsOn !== null && !Array.isArray(dependsOn)) return unresolved("depends_on", { shown: JSON.stringify(dependsOn) });
    const listed = new Set((dependsOn ?? []).filter((d): d is string => typeof d === "string").map((d) => wholeReference(d) ?? d.trim()));
    return grants.some((g) => listed.has(g)) ? "compliant" : { noncompliant: `depends_on does not list ${grants.join(" or ")}` };
  },
};
