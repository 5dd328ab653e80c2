/**
 * MLF-NET-001, high: in a networked stack (one with private endpoints), nothing answers on a public
 * address. Storage accounts, registries and Service Bus namespaces must have public network access
 * off; so must an app reached through a `sites` endpoint, and a Container Apps environment that is
 * internal. An absent `public_network_access_enabled` fails: azurerm's default is true.
 */
import type { PolicyRule } from "../types";
import { FUNCTION_APP } from "../function-app";
import { AZAPI_RESOURCE, MANAGED_ENVIRONMENT_TYPE, azapiBody, isBodyResult, objectAt } from "../container-app";
import { endpointsTo, networked } from "../network";
import { readBool, unresolved } from "../values";

const ALWAYS_PRIVATE = ["azurerm_storage_account", "azurerm_container_registry", "azurerm_servicebus_namespace"];

export const rule: PolicyRule = {
  id: "MLF-NET-001",
  severity: "high",
  title: "Nothing public in a networked environment",
  resourceTypes: [...ALWAYS_PRIVATE, FUNCTION_APP, AZAPI_RESOURCE],
  fix: 'Set public_network_access_enabled = false (azapi environments: publicNetworkAccess = "Disabled") and reach the resource through its private endpoint.',
  check(attrs, ctx) {
    if (!networked(ctx)) return "not-applicable";
    if (ctx.type === AZAPI_RESOURCE) {
      const body = azapiBody(attrs, MANAGED_ENVIRONMENT_TYPE);
      if (isBodyResult(body)) return body;
      const internal = objectAt(body, "properties.vnetConfiguration")?.internal;
      if (internal !== true && internal !== "true") return "not-applicable";
      const access = objectAt(body, "properties")?.publicNetworkAccess;
      if (typeof access === "string" && access.toLowerCase() === "disabled") return "compliant";
      return { noncompliant: `the environment is internal but publicNetworkAccess is ${access === undefined ? "not set (the service default is Enabled)" : JSON.stringify(access)}` };
    }
    // An app the file leaves public (inbound: public) has no endpoint of its own: its choice, not a leak.
    if (ctx.type === FUNCTION_APP && endpointsTo(ctx, ctx.address).length === 0) return "not-applicable";
    const access = readBool(attrs, "public_network_access_enabled");
    if (access.kind === "unresolved") return unresolved("public_network_access_enabled", access);
    if (access.kind === "value" && !access.value) return "compliant";
    return {
      noncompliant:
        access.kind === "absent"
          ? "public_network_access_enabled is not set (the provider default is true): reachable from the internet next to its private endpoints"
          : "public_network_access_enabled is true: reachable from the internet next to its private endpoints",
    };
  },
};
