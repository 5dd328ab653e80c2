/**
 * Defence in depth behind the review's delete gate: resources that hold data carry Terraform's
 * `lifecycle.prevent_destroy`, so a `cdktf deploy` run outside the pull-request flow cannot delete or
 * replace them either. An allow pattern (the deployment file's `review.allowDelete`) lifts it for the
 * resources it names; an environment with `protect: false` opts out as a whole.
 */
import { Aspects, type IAspect, TerraformResource, TerraformStack } from "cdktf";
import type { IConstruct } from "constructs";
import { GATED_TYPES, matchesPattern } from "../config/patterns";

// Identities and telemetry are guarded by the review but can be recreated, so deploys may replace them.
const RECREATABLE = new Set(["azurerm_user_assigned_identity", "azurerm_log_analytics_workspace", "azurerm_application_insights"]);

/** Resource types whose destroy loses data: the review gate's guarded types but those that can be recreated. */
export const DATA_HOLDING_TYPES: ReadonlySet<string> = new Set(GATED_TYPES.filter((t) => !RECREATABLE.has(t)));

class PreventDestroy implements IAspect {
  constructor(
    private readonly stack: TerraformStack,
    private readonly allow: readonly string[],
  ) {}

  // All at the stack node, before any later aspect (the policy) reads the stack's JSON there.
  visit(node: IConstruct): void {
    if (node !== this.stack) return;
    for (const c of this.stack.node.findAll()) {
      if (!(c instanceof TerraformResource) || !DATA_HOLDING_TYPES.has(c.terraformResourceType) || TerraformStack.of(c) !== this.stack) continue;
      const address = `${c.terraformResourceType}.${this.stack.getLogicalId(c)}`;
      if (this.allow.some((pattern) => matchesPattern(pattern, this.stack.node.id, address))) continue;
      c.lifecycle = { ...c.lifecycle, preventDestroy: true };
    }
  }
}

/** Marks every data-holding resource of `stack` prevent_destroy, except those an allow pattern names. */
export function protectData(stack: TerraformStack, allow: readonly string[] = []): void {
  Aspects.of(stack).add(new PreventDestroy(stack, allow));
}
