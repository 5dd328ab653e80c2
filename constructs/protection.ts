/**
 * Defence in depth behind the review's delete gate: resources that hold data carry Terraform's
 * `lifecycle.prevent_destroy`, so a `cdktf deploy` run outside the pull-request flow cannot delete or
 * replace them either. An allow pattern (the deployment file's `review.allowDelete`) lifts it for the
 * resources it names; an environment with `protect: false` opts out as a whole.
 */
import { Aspects, type IAspect, TerraformResource, TerraformStack } from "cdktf";
import type { IConstruct } from "constructs";
import { matchesPattern } from "../config/patterns";

/** Resource types whose destroy loses data (a subset of the review gate's: identities and telemetry can be recreated). */
export const DATA_HOLDING_TYPES: ReadonlySet<string> = new Set([
  "azurerm_storage_account",
  "azurerm_storage_container",
  "azurerm_storage_queue",
  "azurerm_storage_share",
  "azurerm_storage_table",
  "azurerm_servicebus_namespace",
  "azurerm_servicebus_queue",
  "azurerm_servicebus_topic",
  "azurerm_servicebus_subscription",
  "azurerm_container_registry",
  "azurerm_key_vault",
]);

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
