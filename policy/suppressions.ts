/** `suppress()`: accepting a rule's findings on a construct, with a written reason. */
import { TerraformDataSource, TerraformResource } from "cdktf";
import type { IConstruct } from "constructs";
import { RULES } from "./rules";
import { SUPPRESSIONS_KEY, SUPPRESSION_RULE_ID } from "./suppression-json";

type Suppressible = TerraformResource | TerraformDataSource;

function suppressible(c: IConstruct): c is Suppressible {
  return TerraformResource.isTerraformResource(c) || TerraformDataSource.isTerraformDataSource(c);
}

/**
 * Accepts findings of `ruleId` on `scope`: a resource or data source, or every one under a
 * construct (those that exist now, so call it after building them). The reason is required and
 * lands in the JSON next to the resource, where reviewers see it.
 */
export function suppress(scope: IConstruct, ruleId: string, reason: string): void {
  const where = `suppress(${scope.node.path}, ${ruleId})`;
  if (ruleId === SUPPRESSION_RULE_ID) throw new Error(`${where}: ${SUPPRESSION_RULE_ID} cannot be suppressed`);
  if (!RULES.some((r) => r.id === ruleId)) throw new Error(`${where}: unknown rule; known: ${RULES.map((r) => r.id).join(", ")}`);
  if (typeof reason !== "string" || reason.trim() === "") throw new Error(`${where}: a reason is required`);
  const targets = suppressible(scope) ? [scope] : scope.node.findAll().filter(suppressible);
  if (targets.length === 0) throw new Error(`${where}: no resource under this construct`);
  for (const t of targets) t.addOverride(`//.${SUPPRESSIONS_KEY}.suppressions.${ruleId}`, reason.trim());
}
