/**
 * MLF-ACA-004, high: no public ingress without TLS. External ingress on `transport: tcp`, or an
 * external additional port mapping, publishes a raw TCP port that skips the platform's HTTPS
 * termination, whatever allowInsecure says.
 */
import type { PolicyRule } from "../types";
import { AZAPI_RESOURCE, CONTAINER_APP_TYPE, azapiBody, isBodyResult, listAt, objectAt } from "../container-app";

export const rule: PolicyRule = {
  id: "MLF-ACA-004",
  severity: "high",
  title: "No public ingress without TLS",
  resourceTypes: [AZAPI_RESOURCE],
  fix: 'Keep external ingress on transport "auto", "http" or "http2"; put raw TCP ports on internal ingress (external = false) only.',
  check(attrs) {
    const body = azapiBody(attrs, CONTAINER_APP_TYPE);
    if (isBodyResult(body)) return body;
    const ingress = objectAt(body, "properties.configuration.ingress");
    if (!ingress) return "not-applicable";
    const problems: string[] = [];
    const external = ingress.external === true || ingress.external === "true";
    if (external && typeof ingress.transport === "string" && ingress.transport.toLowerCase() === "tcp") {
      problems.push("external ingress uses transport tcp, which the platform does not terminate with TLS");
    }
    listAt(body, "properties.configuration.ingress.additionalPortMappings").forEach((m, i) => {
      if (m.external === true || m.external === "true") problems.push(`ingress.additionalPortMappings[${i}] publishes port ${String(m.targetPort)} externally as raw TCP`);
    });
    return problems.length > 0 ? { noncompliant: problems.join("; ") } : "compliant";
  },
};
