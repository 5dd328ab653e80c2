/**
 * Runs the policy at synth time and reports through cdktf annotations.
 *
 * cdktf 0.21 starts aspects at each stack (`invokeAspects(stack)` in synthesizer.js), so an aspect
 * added to the App is never called: use `enforcePolicy(app)`, which adds one aspect to every stack.
 * An error annotation fails synth on its own: `app.synth()` throws "Encountered Annotations with
 * level ERROR" listing each finding; under the cdktf CLI (which sets
 * CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS to print them itself) the CLI prints them and exits
 * non-zero. Setting that variable by hand around a plain `app.synth()` is cdktf's own way out.
 */
import { Annotations, Aspects, type IAspect, TerraformDataSource, TerraformLocal, TerraformOutput, TerraformProvider, TerraformResource, TerraformStack, TerraformVariable } from "cdktf";
import type { IConstruct } from "constructs";
import type { FailOn } from "../review/types";
import type { JsonObject, PolicyReport, PolicyRule, Severity } from "./types";
import { evaluateStack } from "./engine";
import { RULES } from "./rules";
import { isObject } from "./values";

export interface PolicyAspectOptions {
  /** Lowest severity that becomes an error annotation (and fails synth); `none` only warns.
   * @default "high" */
  readonly errorAt?: FailOn;
  /** Rule ids whose findings are errors whatever their severity, e.g. ["MLF-ST-004"].
   * @default none */
  readonly errorRules?: readonly string[];
  /** @default every rule */
  readonly rules?: readonly PolicyRule[];
}

const RANK: Record<Severity, number> = { low: 1, medium: 2, high: 3 };

/** The ids, or an error naming the unknown ones and the known ids. */
function checkedRuleIds(ids: readonly string[], rules: readonly PolicyRule[]): readonly string[] {
  const known = rules.map((r) => r.id);
  const unknown = ids.filter((id) => !known.includes(id));
  if (unknown.length > 0) throw new PolicyConfigError(`unknown policy rule ${unknown.map((u) => `"${u}"`).join(", ")}; the rules are ${known.join(", ")}`);
  return ids;
}

/** A policy option that names something that does not exist: a user's mistake, reported without a stack trace. */
export class PolicyConfigError extends Error {}

/** The stack's Terraform JSON exactly as synth writes it (`toTerraform()` is what the synthesizer serializes), as plain data. */
export function stackJson(stack: TerraformStack): JsonObject {
  const tf: unknown = JSON.parse(JSON.stringify(stack.toTerraform()));
  if (!isObject(tf)) throw new Error(`policy: stack ${stack.node.path} did not synthesize to an object`);
  return tf;
}

/** The construct behind each address the engine reports, for annotating the right node. */
function constructsByAddress(stack: TerraformStack): Map<string, IConstruct> {
  const map = new Map<string, IConstruct>();
  for (const c of stack.node.findAll()) {
    if (TerraformResource.isTerraformResource(c)) map.set(`${c.terraformResourceType}.${c.friendlyUniqueId}`, c);
    else if (TerraformDataSource.isTerraformDataSource(c)) map.set(`data.${c.terraformResourceType}.${c.friendlyUniqueId}`, c);
    else if (TerraformProvider.isTerraformProvider(c)) map.set(c.alias ? `provider.${c.terraformResourceType}.${c.alias}` : `provider.${c.terraformResourceType}`, c);
    else if (TerraformOutput.isTerraformOutput(c)) map.set(`output.${c.friendlyUniqueId}`, c);
    else if (c instanceof TerraformVariable) map.set(`var.${c.friendlyUniqueId}`, c);
    else if (c instanceof TerraformLocal) map.set(`local.${c.friendlyUniqueId}`, c);
  }
  return map;
}

export class PolicyAspect implements IAspect {
  errorAt: FailOn;
  errorRules: readonly string[];
  rules: readonly PolicyRule[];
  /** Report of each visited stack, by construct path. */
  readonly reports = new Map<string, PolicyReport>();
  /** The JSON each stack was checked against, by construct path. */
  readonly checked = new Map<string, JsonObject>();

  constructor(options: PolicyAspectOptions = {}) {
    this.errorAt = options.errorAt ?? "high";
    this.errorRules = checkedRuleIds(options.errorRules ?? [], options.rules ?? RULES);
    this.rules = options.rules ?? RULES;
  }

  visit(node: IConstruct): void {
    if (!TerraformStack.isStack(node)) return;
    // Aspects run again on every synth (Testing.synth, then app.synth); annotate once.
    if (this.reports.has(node.node.path)) return;
    const tf = stackJson(node);
    const report = evaluateStack(node.node.id, tf, this.rules);
    this.checked.set(node.node.path, tf);
    this.reports.set(node.node.path, report);

    const constructs = constructsByAddress(node);
    for (const f of report.findings) {
      const text = `${f.id} (${f.severity}) ${f.address}: ${f.message}. Fix: ${f.fix}`;
      const annotations = Annotations.of(constructs.get(f.address) ?? node);
      const error = this.errorRules.includes(f.id) || (this.errorAt !== "none" && RANK[f.severity] >= RANK[this.errorAt]);
      if (error) annotations.addError(text);
      else annotations.addWarning(text);
    }
    for (const s of report.suppressed) {
      Annotations.of(constructs.get(s.address) ?? node).addInfo(`${s.id} (${s.severity}) suppressed on ${s.address}: ${s.reason}`);
    }
  }
}

const ENFORCED = new WeakMap<IConstruct, PolicyAspect>();

/**
 * Checks every stack under `scope` (usually the App) at synth time. Call it once all stacks exist;
 * a stack added later fails validation instead of going unchecked. Calling it again on the same
 * scope adjusts the one aspect (the last call's options win) rather than checking twice.
 */
export function enforcePolicy(scope: IConstruct, options: PolicyAspectOptions = {}): PolicyAspect {
  const existing = ENFORCED.get(scope);
  if (existing) {
    existing.errorAt = options.errorAt ?? existing.errorAt;
    existing.errorRules = options.errorRules === undefined ? existing.errorRules : checkedRuleIds(options.errorRules, options.rules ?? existing.rules);
    existing.rules = options.rules ?? existing.rules;
    return existing;
  }
  const aspect = new PolicyAspect(options);
  ENFORCED.set(scope, aspect);
  const stacks = (): TerraformStack[] => scope.node.findAll().filter((c): c is TerraformStack => TerraformStack.isStack(c));
  for (const stack of stacks()) Aspects.of(stack).add(aspect);
  scope.node.addValidation({
    validate: () =>
      stacks()
        .filter((s) => !Aspects.of(s).all.includes(aspect))
        .map((s) => `stack ${s.node.path} was added after enforcePolicy(); call enforcePolicy once every stack exists`),
  });
  return aspect;
}
