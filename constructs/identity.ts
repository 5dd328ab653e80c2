import { Construct } from "constructs";
import { ITerraformDependable, Lazy } from "cdktf";
import { UserAssignedIdentity } from "@cdktf/provider-azurerm/lib/user-assigned-identity";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import type { ResourceGroup } from "./resource-group";
import { TerraformData } from "./terraform-data";

/** A role named by its built-in name (`"AcrPull"`), or by its role definition id (a custom role's). */
export type Role = string | { readonly roleDefinitionId: string };

/** Azure documents up to 10 minutes before a new role assignment takes effect. */
export const DEFAULT_ROLE_PROPAGATION_SECONDS = 600;

export interface ManagedIdentityProps {
  readonly name: string;
  readonly resourceGroup: ResourceGroup;
  /** How long apply waits after the identity's role assignments change before anything that
   * depends on `grantsReady` (the app) is created or updated; 0 turns the wait off.
   * @default 600, the propagation time Azure documents */
  readonly rolePropagationSeconds?: number;
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * A user-assigned identity for the function app. Unlike a system-assigned one it exists before the
 * app, so its role assignments are in place when the app first pulls its image and starts.
 */
export class ManagedIdentity extends Construct {
  readonly resource: UserAssignedIdentity;
  /** Seconds apply waits for new role assignments to take effect (0: no wait). */
  readonly rolePropagationSeconds: number;
  private readonly grants: RoleAssignment[] = [];
  private propagation?: TerraformData;

  constructor(scope: Construct, id: string, props: ManagedIdentityProps) {
    super(scope, id);
    this.rolePropagationSeconds = props.rolePropagationSeconds ?? DEFAULT_ROLE_PROPAGATION_SECONDS;
    if (!Number.isInteger(this.rolePropagationSeconds) || this.rolePropagationSeconds < 0) {
      throw new Error(`ManagedIdentity: rolePropagationSeconds must be a whole number of seconds, 0 or more; got ${this.rolePropagationSeconds}`);
    }
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
   * Grants `role` (a built-in role's name, or `{ roleDefinitionId }` for a custom role) on `scope`.
   * `id` is the assignment's construct id under `grantee`, so it stays stable when other grants are
   * added or removed.
   */
  grant(grantee: Construct, id: string, role: Role, scope: string): RoleAssignment {
    const assignment = new RoleAssignment(grantee, id, {
      scope,
      ...(typeof role === "string" ? { roleDefinitionName: role } : { roleDefinitionId: role.roleDefinitionId }),
      principalId: this.principalId,
      principalType: "ServicePrincipal",
      // A new identity can take minutes to replicate in Entra ID; the check would fail on first apply.
      skipServicePrincipalAadCheck: true,
    });
    this.grants.push(assignment);
    return assignment;
  }

  /** Every role assignment made through this identity. */
  get roleAssignments(): readonly RoleAssignment[] {
    return this.grants;
  }

  /**
   * What a hosting resource (function app, container app) lists in `depends_on` so that its first
   * image pull and host start find every role in effect: each assignment, and the propagation wait
   * after them. Grants made after this is read are still waited for.
   */
  get grantsReady(): readonly ITerraformDependable[] {
    const wait = this.rolePropagationSeconds > 0 ? [this.propagationWait()] : [];
    return [...this.grants, ...wait];
  }

  /**
   * Azure applies a new assignment with a delay (documented: up to 10 minutes), so an app created
   * right after its assignments can fail its first image pull or start its host without them
   * (azurerm users report this for registry pulls). This resource sleeps once after the assignments
   * are made, and again whenever one is added or replaced: its trigger lists their ids. It is
   * Terraform's built-in terraform_data, so no extra provider is needed; the sleep runs with Node.js,
   * which every mlfunc deploy already needs, without a shell.
   */
  private propagationWait(): TerraformData {
    if (this.propagation) return this.propagation;
    const ms = this.rolePropagationSeconds * 1000;
    const message = `mlfunc: waiting ${this.rolePropagationSeconds} s for new role assignments to take effect`;
    this.propagation = new TerraformData(this, "role-propagation", {
      triggersReplace: { roleAssignments: Lazy.listValue({ produce: () => this.grants.map((g) => g.id) }) },
      provisioners: [
        {
          type: "local-exec",
          interpreter: ["node", "-e"],
          command: `console.log(${JSON.stringify(message)}); setTimeout(() => {}, ${ms});`,
        },
      ],
    });
    return this.propagation;
  }
}
