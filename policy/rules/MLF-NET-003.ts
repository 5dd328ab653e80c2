/**
 * MLF-NET-003, medium: the app waits for the private endpoints and zone links. Created before them,
 * its first image pull and host start resolve storage, registry and Service Bus to their public
 * addresses, are refused, and the app starts broken until a restart. An endpoint to the app itself
 * comes after the app and is not waited for.
 */
import type { PolicyRule } from "../types";
import { FUNCTION_APP } from "../function-app";
import { AZAPI_RESOURCE, CONTAINER_APP_TYPE, azapiBody, isBodyResult } from "../container-app";
import { PRIVATE_ENDPOINT, ZONE_LINK, dependsOn, endpointTarget, networked } from "../network";

export const rule: PolicyRule = {
  id: "MLF-NET-003",
  severity: "medium",
  title: "The app waits for the private endpoints and DNS zone links",
  resourceTypes: [FUNCTION_APP, AZAPI_RESOURCE],
  fix: "List every azurerm_private_endpoint (but the app's own) and azurerm_private_dns_zone_virtual_network_link of the stack in the app's depends_on.",
  check(attrs, ctx) {
    if (ctx.type === AZAPI_RESOURCE) {
      const body = azapiBody(attrs, CONTAINER_APP_TYPE);
      if (isBodyResult(body)) return body;
    }
    if (!networked(ctx)) return "not-applicable";
    const listed = dependsOn(attrs);
    if (!listed) return { unresolved: `depends_on is ${JSON.stringify(attrs.depends_on)}, not a list the rule can read` };
    const needed = [
      ...ctx.resources(PRIVATE_ENDPOINT).filter((e) => endpointTarget(e.attrs) !== ctx.address).map((e) => `${PRIVATE_ENDPOINT}.${e.name}`),
      ...ctx.resources(ZONE_LINK).map((l) => `${ZONE_LINK}.${l.name}`),
    ];
    const missing = needed.filter((n) => !listed.has(n));
    return missing.length === 0 ? "compliant" : { noncompliant: `depends_on does not list ${missing.join(", ")}` };
  },
};
