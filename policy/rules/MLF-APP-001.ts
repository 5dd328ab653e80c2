/**
 * MLF-APP-001, high: the function app accepts HTTPS only. Plain HTTP exposes function keys and
 * scoring payloads on the wire. azurerm defaults `https_only` to false, so absence fails.
 */
import type { PolicyRule } from "../types";
import { FUNCTION_APP } from "../function-app";
import { readBool, unresolved } from "../values";

export const rule: PolicyRule = {
  id: "MLF-APP-001",
  severity: "high",
  title: "Function app accepts HTTPS only",
  resourceTypes: [FUNCTION_APP],
  fix: "Set https_only = true on the function app (httpsOnly: true in the FunctionApp construct).",
  check(attrs) {
    const r = readBool(attrs, "https_only");
    if (r.kind === "unresolved") return unresolved("https_only", r);
    if (r.kind === "absent") return { noncompliant: "https_only is not set (the provider default is false): the app also answers plain HTTP" };
    return r.value ? "compliant" : { noncompliant: "https_only is false: the app also answers plain HTTP" };
  },
};
