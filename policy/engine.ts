/** Runs the rule set over one stack's synthesized Terraform JSON. Pure: no cdktf, no files. */
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import type { BlockKind, CheckResult, JsonObject, PolicyFinding, PolicyReport, PolicyRule, RuleContext, SuppressedFinding } from "./types";
import { RULES } from "./rules";
import { isObject } from "./values";
import { SUPPRESSION_RULE_ID, validSuppressions } from "./suppression-json";

interface Block {
  readonly kind: BlockKind;
  readonly type: string;
  readonly name: string;
  readonly address: string;
  readonly attrs: JsonObject;
}

function objectEntries(v: unknown): [string, JsonObject][] {
  if (!isObject(v)) return [];
  return Object.entries(v).filter((e): e is [string, JsonObject] => isObject(e[1]));
}

/** Every block of the stack that a rule can look at, with its Terraform-style address. */
function blocksOf(tf: JsonObject): Block[] {
  const blocks: Block[] = [];
  for (const [type, byName] of objectEntries(tf.resource)) {
    for (const [name, attrs] of objectEntries(byName)) blocks.push({ kind: "resource", type, name, address: `${type}.${name}`, attrs });
  }
  for (const [type, byName] of objectEntries(tf.data)) {
    for (const [name, attrs] of objectEntries(byName)) blocks.push({ kind: "data", type, name, address: `data.${type}.${name}`, attrs });
  }
  if (isObject(tf.provider)) {
    for (const [type, configs] of Object.entries(tf.provider)) {
      const list = Array.isArray(configs) ? configs : [configs];
      list.forEach((attrs, i) => {
        if (!isObject(attrs)) return;
        // An alias is how Terraform tells provider configurations apart; the index is the fallback.
        const alias = typeof attrs.alias === "string" ? attrs.alias : list.length > 1 ? String(i) : undefined;
        const name = alias ?? type;
        blocks.push({ kind: "provider", type, name, address: alias === undefined ? `provider.${type}` : `provider.${type}.${alias}`, attrs });
      });
    }
  }
  for (const [name, attrs] of objectEntries(tf.output)) blocks.push({ kind: "output", type: "output", name, address: `output.${name}`, attrs });
  if (isObject(tf.locals)) {
    for (const [name, value] of Object.entries(tf.locals)) blocks.push({ kind: "local", type: "local", name, address: `local.${name}`, attrs: { value } });
  }
  for (const [name, attrs] of objectEntries(tf.variable)) blocks.push({ kind: "variable", type: "variable", name, address: `var.${name}`, attrs });
  for (const [name, attrs] of objectEntries(tf.module)) blocks.push({ kind: "module", type: "module", name, address: `module.${name}`, attrs });
  const terraform = tf.terraform;
  if (isObject(terraform)) {
    for (const [type, attrs] of objectEntries(terraform.backend)) blocks.push({ kind: "backend", type, name: type, address: `terraform.backend.${type}`, attrs });
  }
  return blocks;
}

function applies(rule: PolicyRule, block: Block): boolean {
  if (rule.resourceTypes.includes("*")) return true;
  return block.kind === "resource" && rule.resourceTypes.includes(block.type);
}

function run(rule: PolicyRule, block: Block, ctx: RuleContext): CheckResult {
  try {
    return rule.check(block.attrs, ctx);
  } catch (e) {
    // A rule that breaks on odd input must not pass the resource silently.
    return { unresolved: `the rule failed on this block: ${(e as Error).message}` };
  }
}

/** Code-unit order, not locale order: the same everywhere. */
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compare(a: PolicyFinding, b: PolicyFinding): number {
  return cmp(a.stack ?? "", b.stack ?? "") || cmp(a.address, b.address) || cmp(a.id, b.id) || cmp(a.message, b.message);
}

/** Findings and suppressed findings of one stack. */
export function evaluateStack(stackName: string, tfJson: unknown, rules: readonly PolicyRule[] = RULES): PolicyReport {
  if (!isObject(tfJson)) throw new Error(`policy: stack ${stackName} is not a JSON object`);
  const tf = tfJson;
  const ruleIds = new Set(RULES.map((r) => r.id).concat(rules.map((r) => r.id)));
  const byType = new Map<string, { name: string; attrs: JsonObject }[]>();
  for (const [type, byName] of objectEntries(tf.resource)) byType.set(type, objectEntries(byName).map(([name, attrs]) => ({ name, attrs })));

  const findings: PolicyFinding[] = [];
  const suppressed: SuppressedFinding[] = [];
  for (const block of blocksOf(tf)) {
    const ctx: RuleContext = {
      stack: stackName,
      address: block.address,
      kind: block.kind,
      type: block.type,
      name: block.name,
      tf,
      ruleIds,
      resources: (type) => byType.get(type) ?? [],
    };
    const accepted = block.kind === "resource" || block.kind === "data" ? validSuppressions(block.attrs, ruleIds) : new Map<string, string>();
    for (const rule of rules) {
      if (!applies(rule, block)) continue;
      const result = run(rule, block, ctx);
      if (result === "compliant" || result === "not-applicable") continue;
      const finding: PolicyFinding =
        "noncompliant" in result
          ? { id: rule.id, severity: result.severity ?? rule.severity, stack: stackName, address: block.address, message: result.noncompliant, fix: rule.fix }
          : {
              id: rule.id,
              severity: "low",
              stack: stackName,
              address: block.address,
              message: `cannot evaluate: ${result.unresolved}`,
              fix: `Use a literal value so ${rule.id} can check it, or check by hand and suppress ${rule.id} here with the reason. (${rule.fix})`,
            };
      const reason = rule.id === SUPPRESSION_RULE_ID ? undefined : accepted.get(rule.id);
      if (reason === undefined) findings.push(finding);
      else suppressed.push({ ...finding, reason });
    }
  }
  return { findings: findings.sort(compare), suppressed: suppressed.sort(compare) };
}

/** Failing findings of one stack (suppressed ones left out), sorted by address, rule id and message. */
export function evaluate(stackName: string, tfJson: unknown, rules: readonly PolicyRule[] = RULES): PolicyFinding[] {
  return [...evaluateStack(stackName, tfJson, rules).findings];
}

/** Every stack under `<outdir>/stacks/<name>/cdk.tf.json`, by name. Throws when there is none. */
export function evaluateOutdirStacks(outdir: string, rules: readonly PolicyRule[] = RULES): PolicyReport {
  const stacksDir = join(outdir, "stacks");
  const names = existsSync(stacksDir)
    ? readdirSync(stacksDir, { withFileTypes: true })
        .filter((d) => d.isDirectory() && existsSync(join(stacksDir, d.name, "cdk.tf.json")))
        .map((d) => d.name)
        .sort()
    : [];
  // An empty folder would otherwise pass every rule.
  if (names.length === 0) throw new Error(`policy: no synthesized stacks in ${stacksDir} (expected <stack>/cdk.tf.json); run synth first`);
  const findings: PolicyFinding[] = [];
  const suppressed: SuppressedFinding[] = [];
  for (const name of names) {
    const file = join(stacksDir, name, "cdk.tf.json");
    let tf: unknown;
    try {
      tf = JSON.parse(readFileSync(file, "utf8"));
    } catch (e) {
      throw new Error(`policy: cannot read ${file}: ${(e as Error).message}`);
    }
    const report = evaluateStack(name, tf, rules);
    findings.push(...report.findings);
    suppressed.push(...report.suppressed);
  }
  return { findings, suppressed };
}

/** Failing findings of every synthesized stack in a cdktf output folder. */
export function evaluateOutdir(outdir: string, rules: readonly PolicyRule[] = RULES): PolicyFinding[] {
  return [...evaluateOutdirStacks(outdir, rules).findings];
}
