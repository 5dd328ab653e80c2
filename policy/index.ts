/** Security policy for synthesized stacks: rules, engine, suppressions and the synth-time aspect. */
export type { BlockKind, CheckResult, JsonObject, JsonValue, PolicyReport, PolicyRule, RuleContext, SuppressedFinding } from "./types";
export { RULES } from "./rules";
export { evaluate, evaluateStack, evaluateOutdir, evaluateOutdirStacks } from "./engine";
export { suppress } from "./suppressions";
export { SUPPRESSION_RULE_ID } from "./suppression-json";
export { PolicyAspect, enforcePolicy, stackJson, type PolicyAspectOptions } from "./aspect";
