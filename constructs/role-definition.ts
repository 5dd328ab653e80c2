import { Construct } from "constructs";
import { RoleDefinition } from "@cdktf/provider-azurerm/lib/role-definition";
import type { ResourceGroup } from "./resource-group";

export interface CustomRoleProps {
  /** Display name; Azure requires it to be unique in the whole Entra ID tenant. */
  readonly name: string;
  readonly description: string;
  /** The resource group the role is defined in and assignable within. */
  readonly resourceGroup: ResourceGroup;
  /** Control-plane actions, e.g. `Microsoft.Storage/storageAccounts/blobServices/read`. */
  readonly actions: readonly string[];
  /** Data-plane actions.
   * @default none */
  readonly dataActions?: readonly string[];
}

/**
 * A custom Azure role holding exactly the actions given, for a need no built-in role meets without
 * granting more (e.g. the blob trigger's blob service properties without Storage Account Contributor,
 * which can also list keys). Assignable only inside its resource group.
 */
export class CustomRole extends Construct {
  readonly resource: RoleDefinition;

  constructor(scope: Construct, id: string, props: CustomRoleProps) {
    super(scope, id);
    const scopeId = props.resourceGroup.resource.id;
    this.resource = new RoleDefinition(this, "role", {
      name: props.name,
      description: props.description,
      scope: scopeId,
      permissions: [{ actions: [...props.actions], ...(props.dataActions?.length ? { dataActions: [...props.dataActions] } : {}) }],
      assignableScopes: [scopeId],
    });
  }

  /** The `/subscriptions/.../roleDefinitions/<guid>` id a role assignment names (not the resource's Terraform id). */
  get roleDefinitionId(): string {
    return this.resource.roleDefinitionResourceId;
  }
}
