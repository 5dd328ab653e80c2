/** Reads shared by the network rules: a stack is networked when it has private endpoints. */
import type { JsonObject, RuleContext } from "./types";
import { readBlock, wholeReference } from "./values";

export const PRIVATE_ENDPOINT = "azurerm_private_endpoint";
export const ZONE_LINK = "azurerm_private_dns_zone_virtual_network_link";

/** True when the stack puts anything behind a private endpoint. */
export function networked(ctx: RuleContext): boolean {
  return ctx.resources(PRIVATE_ENDPOINT).length > 0;
}

/** The resource address (`type.name`) a private endpoint connects to, when it is a reference to one's id. */
export function endpointTarget(endpoint: JsonObject): string | undefined {
  const connection = readBlock(endpoint, "private_service_connection");
  if (connection.kind !== "value") return undefined;
  const target = connection.value.private_connection_resource_id;
  const ref = typeof target === "string" ? wholeReference(target) : undefined;
  return ref?.endsWith(".id") ? ref.slice(0, -".id".length) : undefined;
}

/** Addresses of the private endpoints that connect to `address`. */
export function endpointsTo(ctx: RuleContext, address: string): string[] {
  return ctx
    .resources(PRIVATE_ENDPOINT)
    .filter((e) => endpointTarget(e.attrs) === address)
    .map((e) => `${PRIVATE_ENDPOINT}.${e.name}`);
}

/** `depends_on` entries as resource addresses, or undefined when it is not a list. */
export function dependsOn(attrs: JsonObject): Set<string> | undefined {
  const d = attrs.depends_on;
  if (d === undefined || d === null) return new Set();
  if (!Array.isArray(d)) return undefined;
  return new Set(d.filter((x): x is string => typeof x === "string").map((x) => wholeReference(x) ?? x.trim()));
}
