/**
 * MLF-SUP-001, high: every suppression is valid: it names a known rule and gives a reason. An
 * invalid one is not honoured, and this finding says why, so a typo never hides a failure silently.
 */
import type { PolicyRule } from "../types";
import { readSuppressions, suppressionProblem } from "../suppression-json";

export const rule: PolicyRule = {
  id: "MLF-SUP-001",
  severity: "high",
  title: "Suppressions name a known rule and give a reason",
  resourceTypes: ["*"],
  fix: "Give the suppression a reason (suppress(construct, ruleId, reason)) or remove it; check the rule id.",
  check(attrs, ctx) {
    if (ctx.kind !== "resource" && ctx.kind !== "data") return "not-applicable";
    const problems = readSuppressions(attrs).flatMap((e) => suppressionProblem(e, ctx.ruleIds) ?? []);
    return problems.length === 0 ? "compliant" : { noncompliant: problems.join("; ") };
  },
};
