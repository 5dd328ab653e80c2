/**
 * MLF-SEC-001, high: no secret written into the stack. Synthesized JSON is committed, diffed in
 * review and copied into state, so a literal key there is a leaked key. Scans every string of
 * resources, data sources, providers, outputs, locals, modules, the backend and variables'
 * defaults. Messages name the path and the kind of secret, never the value.
 */
import { secretIn } from "../secrets";
import type { JsonValue, PolicyRule } from "../types";
import { isObject } from "../values";

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
