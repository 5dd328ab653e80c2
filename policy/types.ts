/** Shapes shared by the policy rules, the engine and the aspect. */
import type { PolicyFinding, Severity } from "../review/types";

export type { PolicyFinding, Severity };

export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/**
 * Which part of a stack's JSON a block comes from. Rules that name resource types see managed
 * resources only; `"*"` rules see every block (a secret can hide in any of them).
 */
export type BlockKind = "resource" | "data" | "provider" | "output" | "local" | "variable" | "module" | "backend";

export interface RuleContext {
  readonly stack: string;
  /** `<type>.<logical id>` for resources; `data.`, `provider.`, `output.`, `local.`, `var.`, `module.`, `terraform.backend.` otherwise. */
  readonly address: string;
  readonly kind: BlockKind;
  /** Resource or data source type; for other kinds the provider, backend or block name. */
  readonly type: string;
  /** Logical id (or output, local, variable name). */
  readonly name: string;
  /** The whole stack, for rules that look across resources. */
  readonly tf: JsonObject;
  /** Every rule id the engine knows, for checking suppressions. */
  readonly ruleIds: ReadonlySet<string>;
  /** Managed resources of one type, by logical id. */
  resources(type: string): ReadonlyArray<{ readonly name: string; readonly attrs: JsonObject }>;
}

export type CheckResult =
  | "compliant"
  | "not-applicable"
  /** `severity` overrides the rule's own for this finding (e.g. FtpsOnly is milder than AllAllowed). */
  | { readonly noncompliant: string; readonly severity?: Severity }
  /** A value the rule cannot read (an expression where a literal is expected): reported, never passed. */
  | { readonly unresolved: string };

export interface PolicyRule {
  /** `MLF-<AREA>-<NNN>`; also the rule's file name. */
  readonly id: string;
  /** Severity of a failure, unless the check says otherwise. */
  readonly severity: Severity;
  readonly title: string;
  /** Managed resource types the rule reads, or `["*"]` for every block of the stack. */
  readonly resourceTypes: readonly string[];
  /** How to fix a failure; shown with every finding. */
  readonly fix: string;
  /** `attrs` is the block's body; a local is presented as `{ value }`. */
  check(attrs: JsonObject, ctx: RuleContext): CheckResult;
}

export interface SuppressedFinding extends PolicyFinding {
  readonly reason: string;
}

export interface PolicyReport {
  /** Failures, sorted by stack, address, rule id and message. */
  readonly findings: readonly PolicyFinding[];
  /** Findings a suppression with a reason took out of `findings`, in the same order. */
  readonly suppressed: readonly SuppressedFinding[];
}
