/** The AcrPull grants of an identity, shared by the rules that check an app waits for them. */
import type { JsonObject, RuleContext } from "./types";

const ROLE_ASSIGNMENT = "azurerm_role_assignment";
/** Built-in AcrPull role definition id, for assignments made by id rather than name. */
const ACR_PULL_ID = "7f951dda-4ed3-4680-a7ca-43fe172d538d";

function isAcrPull(a: JsonObject): boolean {
  const name = a.role_definition_name;
  const id = a.role_definition_id;
  return (typeof name === "string" && name.toLowerCase() === "acrpull") || (typeof id === "string" && id.toLowerCase().endsWith(ACR_PULL_ID));
}

/** Addresses of the AcrPull role assignments whose principal is `identity` (a resource address). */
export function acrPullGrants(ctx: RuleContext, identity: string): string[] {
  const principal = `\${${identity}.principal_id}`;
  return ctx
    .resources(ROLE_ASSIGNMENT)
    .filter((a) => isAcrPull(a.attrs) && typeof a.attrs.principal_id === "string" && a.attrs.principal_id.trim() === principal)
    .map((a) => `${ROLE_ASSIGNMENT}.${a.name}`);
}
