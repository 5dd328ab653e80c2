/**
 * MLF-ACA-001, high: a container app's ingress is HTTPS only. `allowInsecure: true` answers plain
 * HTTP, so keys and payloads cross the network in clear. An app without ingress fails too: Functions
 * on Container Apps need ingress for trigger-based autoscaling.
 */
import type { PolicyRule } from "../types";
import { AZAPI_RESOURCE, CONTAINER_APP_TYPE, azapiBody, isBodyResult, objectAt } from "../container-app";
import { readBool, unresolved } from "../values";

export const rule: PolicyRule = {
  id: "MLF-ACA-001",
  severity: "high",
  title: "Container app ingress is HTTPS only",
  resourceTypes: [AZAPI_RESOURCE],
  fix: "Set properties.configuration.ingress with allowInsecure = false (the default); keep ingress enabled, since trigger autoscaling needs it.",
  check(attrs) {
    const body = azapiBody(attrs, CONTAINER_APP_TYPE);
    if (isBodyResult(body)) return body;
    const ingress = objectAt(body, "properties.configuration.ingress");
    if (!ingress) return { noncompliant: "no properties.configuration.ingress: the app is unreachable and its triggers cannot scale it" };
    const insecure = readBool(ingress, "allowInsecure");
    if (insecure.kind === "unresolved") return unresolved("properties.configuration.ingress.allowInsecure", insecure);
    return insecure.kind === "value" && insecure.value ? { noncompliant: "properties.configuration.ingress.allowInsecure is true: plain HTTP is accepted" } : "compliant";
  },
};
