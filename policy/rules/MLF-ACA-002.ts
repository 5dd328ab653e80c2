/**
 * MLF-ACA-002, high: a container app pulls its images with a managed identity it carries. A
 * registry user name with a password secret is a long-lived credential in the app's configuration.
 */
import type { PolicyRule } from "../types";
import { AZAPI_RESOURCE, CONTAINER_APP_TYPE, azapiBody, isBodyResult, listAt } from "../container-app";
import { readBlock } from "../values";

export const rule: PolicyRule = {
  id: "MLF-ACA-002",
  severity: "high",
  title: "Container app pulls images by managed identity",
  resourceTypes: [AZAPI_RESOURCE],
  fix: 'Give each properties.configuration.registries[] entry identity = the user-assigned identity\'s id (listed in the identity block) or "system", and no username or passwordSecretRef.',
  check(attrs) {
    const body = azapiBody(attrs, CONTAINER_APP_TYPE);
    if (isBodyResult(body)) return body;
    const registries = listAt(body, "properties.configuration.registries");
    if (registries.length === 0) return "not-applicable";
    const identity = readBlock(attrs, "identity");
    const assigned = identity.kind === "value" && Array.isArray(identity.value.identity_ids) ? identity.value.identity_ids : [];
    const type = identity.kind === "value" && typeof identity.value.type === "string" ? identity.value.type : "";
    const problems: string[] = [];
    registries.forEach((r, i) => {
      const at = `properties.configuration.registries[${i}]`;
      if (r.passwordSecretRef !== undefined || r.username !== undefined) problems.push(`${at} signs in with a user name and password secret`);
      const id = r.identity;
      if (id === undefined || id === null || id === "") {
        problems.push(`${at} has no identity`);
      } else if (id === "system") {
        if (!type.includes("SystemAssigned")) problems.push(`${at} pulls with the system-assigned identity, which the app does not have`);
      } else if (!assigned.includes(id)) {
        problems.push(`${at} pulls with ${JSON.stringify(id)}, which is not in the app's identity.identity_ids`);
      }
    });
    return problems.length > 0 ? { noncompliant: problems.join("; ") } : "compliant";
  },
};
