/**
 * Suppressions travel inside the synthesized JSON, under the resource's `"//"` comment key
 * (Terraform ignores it; cdktf keeps its own metadata there too):
 *
 *   "//": { "metadata": {...}, "mlfunc_policy": { "suppressions": { "MLF-APP-004": "<reason>" } } }
 *
 * so the aspect at synth time and `evaluateOutdir` on a folder of stacks see the same ones.
 */
import type { JsonObject } from "./types";
import { isObject } from "./values";

export const SUPPRESSIONS_KEY = "mlfunc_policy";
/** Reports broken suppressions; it cannot itself be suppressed. */
export const SUPPRESSION_RULE_ID = "MLF-SUP-001";

export interface SuppressionEntry {
  readonly ruleId: string;
  /** Raw value from the JSON; valid only when a non-empty string. */
  readonly reason: unknown;
}

/** Every suppression written on a block, valid or not, sorted by rule id. */
export function readSuppressions(attrs: JsonObject): SuppressionEntry[] {
  const meta = attrs["//"];
  const ours = isObject(meta) ? meta[SUPPRESSIONS_KEY] : undefined;
  const list = isObject(ours) ? ours.suppressions : undefined;
  if (!isObject(list)) return [];
  return Object.keys(list)
    .sort()
    .map((ruleId) => ({ ruleId, reason: list[ruleId] }));
}

/** What is wrong with one suppression, or undefined when it can be honoured. */
export function suppressionProblem(entry: SuppressionEntry, ruleIds: ReadonlySet<string>): string | undefined {
  if (entry.ruleId === SUPPRESSION_RULE_ID) return `${SUPPRESSION_RULE_ID} cannot be suppressed`;
  if (!ruleIds.has(entry.ruleId)) return `suppression names unknown rule ${entry.ruleId}`;
  if (typeof entry.reason !== "string" || entry.reason.trim() === "") return `suppression of ${entry.ruleId} has no reason`;
  return undefined;
}

/** Valid suppressions of a block: rule id to reason. */
export function validSuppressions(attrs: JsonObject, ruleIds: ReadonlySet<string>): Map<string, string> {
  const valid = new Map<string, string>();
  for (const e of readSuppressions(attrs)) {
    if (suppressionProblem(e, ruleIds) === undefined) valid.set(e.ruleId, (e.reason as string).trim());
  }
  return valid;
}
