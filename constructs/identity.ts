import { Construct } from "constructs";
import { UserAssignedIdentity } from "@cdktf/provider-azurerm/lib/user-assigned-identity";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import type { ResourceGroup } from "./resource-group";

export interface ManagedIdentityProps {
  readonly name: string;
  readonly resourceGroup: ResourceGroup;
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * A user-assigned identity for the function app. Unlike a system-assigned one it exists before the
 * app, so its role assignments are in place when the app first pulls its image and starts.
 */
export class ManagedIdentity extends Construct {
  readonly resource: UserAssignedIdentity;
  private readonly grants: RoleAssignment[] = [];

  constructor(scope: Construct, id: string, props: ManagedIdentityProps) {
    super(scope, id);
    this.resource = new UserAssignedIdentity(this, "identity", {
      name: props.name,
      resourceGroupName: props.resourceGroup.name,
      location: props.resourceGroup.location,
      tags: { ...props.tags },
    });
  }

  get id(): string {
    return this.resource.id;
  }

  get clientId(): string {
    return this.resource.clientId;
  }

  get principalId(): string {
    return this.resource.principalId;
  }

  /**
   * Grants a built-in role on `scope`. `id` is the assignment's construct id under `grantee`, so
   * it stays stable when other grants are added or removed.
   */
  grant(grantee: Construct, id: string, role: string, scope: string): RoleAssignment {
    const assignment = new RoleAssignment(grantee, id, {
      scope,
      roleDefinitionName: role,
      principalId: this.principalId,
      principalType: "ServicePrincipal",
      // A new identity can take minutes to replicate in Entra ID; the check would fail on first apply.
      skipServicePrincipalAadCheck: true,
    });
    this.grants.push(assignment);
    return assignment;
  }

  /** Every role assignment made through this identity, for the app to wait on. */
  get roleAssignments(): readonly RoleAssignment[] {
    return this.grants;
  }
}
