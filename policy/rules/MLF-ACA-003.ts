/**
 * MLF-ACA-003, high: no secret in a Container Apps body. A literal `configuration.secrets[].value`
 * or a secret-looking environment variable is stored in the JSON, the plan and the state; so is a
 * Log Analytics shared key in the environment's log configuration, which the Azure Monitor
 * destination and a diagnostic setting avoid.
 *
 * One exception: a Functions host key (the master key `host-master`, a host key `host-function-*`,
 * a system key `host-systemkey-*`) whose value is a Terraform `sensitive(...)` expression. The host
 * reads its keys only from the Container Apps secrets mounted for the `containerapp` key store, and
 * it generates none itself; a value Terraform generates is masked in plans and kept in state only,
 * as any generated credential is.
 */
import type { PolicyRule } from "../types";
import { AZAPI_RESOURCE, CONTAINER_APP_TYPE, MANAGED_ENVIRONMENT_TYPE, azapiBody, azapiType, isBodyResult, listAt, objectAt } from "../container-app";
import { isExpression } from "../values";

/** Environment variable names whose literal value would be a credential. */
const SECRET_ENV = /(PASSWORD|SECRET|ACCOUNTKEY|ACCESS_KEY|API_KEY|_KEY$|SAS_TOKEN|CONNECTION_STRING$)/i;
/** Settings whose names look secret but hold none: the Functions host's key store type. */
const NOT_SECRET_ENV = new Set(["azurewebjobssecretstoragetype"]);
/** The secret names of the host's master, host and system keys. */
const HOST_KEY_SECRET = /^host-(master$|function-|systemkey-)/;
/** A generated host key, given as a sensitive Terraform value and nothing else. */
const hostKey = (name: unknown, value: unknown) =>
  typeof name === "string" && HOST_KEY_SECRET.test(name) && typeof value === "string" && /^\$\{sensitive\(.*\)\}$/s.test(value);

export const rule: PolicyRule = {
  id: "MLF-ACA-003",
  severity: "high",
  title: "No secret in a Container Apps body",
  resourceTypes: [AZAPI_RESOURCE],
  fix: "Reach services with the managed identity; keep unavoidable secrets in Key Vault (secrets[] with keyVaultUrl and identity); send environment logs with destination azure-monitor and a diagnostic setting instead of a workspace shared key.",
  check(attrs) {
    if (azapiType(attrs)?.toLowerCase() === MANAGED_ENVIRONMENT_TYPE.toLowerCase()) {
      const env = azapiBody(attrs, MANAGED_ENVIRONMENT_TYPE);
      if (isBodyResult(env)) return env;
      const logs = objectAt(env, "properties.appLogsConfiguration.logAnalyticsConfiguration");
      return logs?.sharedKey !== undefined
        ? { noncompliant: "properties.appLogsConfiguration.logAnalyticsConfiguration holds the workspace shared key" }
        : "compliant";
    }
    const body = azapiBody(attrs, CONTAINER_APP_TYPE);
    if (isBodyResult(body)) return body;
    const problems: string[] = [];
    listAt(body, "properties.configuration.secrets").forEach((s, i) => {
      if (s.value !== undefined && s.keyVaultUrl === undefined && !hostKey(s.name, s.value)) problems.push(`properties.configuration.secrets[${i}] (${String(s.name)}) holds its value instead of a Key Vault reference`);
    });
    const containers = [...listAt(body, "properties.template.containers"), ...listAt(body, "properties.template.initContainers")];
    containers.forEach((c) => {
      const env = Array.isArray(c.env) ? c.env : [];
      env.forEach((e) => {
        if (typeof e !== "object" || e === null || Array.isArray(e)) return;
        const name = typeof e.name === "string" ? e.name : "";
        const value = e.value;
        if (SECRET_ENV.test(name) && !NOT_SECRET_ENV.has(name.toLowerCase()) && typeof value === "string" && value !== "" && !isExpression(value)) {
          problems.push(`container ${String(c.name)} env ${name} holds a literal secret`);
        }
      });
    });
    return problems.length > 0 ? { noncompliant: problems.join("; ") } : "compliant";
  },
};
