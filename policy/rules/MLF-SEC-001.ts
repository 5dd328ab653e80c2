/**
 * MLF-SEC-001, high: no secret written into the stack. Synthesized JSON is committed, diffed in
 * review and copied into state, so a literal key there is a leaked key. Scans every string of
 * resources, data sources, providers, outputs, locals, modules, the backend and variables'
 * defaults. Messages name the path and the kind of secret, never the value.
 */
import type { JsonValue, PolicyRule } from "../types";
import { isExpression, isObject } from "../values";

/** A key after `AccountKey=` and friends that is not an interpolation. */
const CONNECTION_KEY = /\b(AccountKey|SharedAccessKey|InstrumentationKey)\s*=\s*(?!\$\{)[^;\s"]/i;
const PEM_PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
/** Attribute (or map key) names whose value is a credential: `password`, `registry_password`, `client_secret`, ... */
const SECRET_NAME = /(?:^|_)(password|client_secret|access_key)$/i;

function secretIn(key: string, value: JsonValue): string | undefined {
  if (typeof value === "string") {
    if (PEM_PRIVATE_KEY.test(value)) return "a PEM private key";
    const conn = CONNECTION_KEY.exec(value);
    if (conn) return `a connection string with a literal ${conn[1]}`;
  }
  const name = SECRET_NAME.exec(key);
  if (!name) return undefined;
  const literal = (typeof value === "string" && value !== "" && !isExpression(value)) || typeof value === "number";
  return literal ? `a literal ${name[1]!.toLowerCase()}` : undefined;
}

function scan(value: JsonValue, path: string, key: string, out: string[]): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => scan(v, `${path}[${i}]`, key, out));
    return;
  }
  if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      // "//" holds cdktf metadata and policy suppressions, not configuration.
      if (k === "//") continue;
      scan(v, path === "" ? k : `${path}.${k}`, k, out);
    }
    return;
  }
  const what = secretIn(key, value);
  if (what) out.push(`${path} holds ${what}`);
}

export const rule: PolicyRule = {
  id: "MLF-SEC-001",
  severity: "high",
  title: "No secret literal in the stack",
  resourceTypes: ["*"],
  fix: "Rotate the exposed secret, then reference it instead: a managed identity, a Key Vault reference, or a sensitive variable set outside the code.",
  check(attrs, ctx) {
    const out: string[] = [];
    if (ctx.kind === "variable") {
      // The variable's name says what its default is.
      if (attrs.default !== undefined) scan(attrs.default, "default", ctx.name, out);
    } else if (ctx.kind === "local") {
      scan(attrs.value ?? null, "value", ctx.name, out);
    } else {
      scan(attrs, "", "", out);
    }
    return out.length === 0 ? "compliant" : { noncompliant: out.join("; ") };
  },
};
