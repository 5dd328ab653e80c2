import { Construct } from "constructs";
import { ManagementLock } from "@cdktf/provider-azurerm/lib/management-lock";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import type { ResourceGroup } from "./resource-group";
import { StorageAccount } from "./storage";

export interface StateStorageProps {
  readonly accountName: string;
  readonly containerName: string;
  readonly resourceGroup: ResourceGroup;
  /** Object id of the user, group or service principal that runs Terraform; it gets Storage Blob Data Contributor. */
  readonly principalId: string;
  /** Days a deleted state blob or container can be restored.
   * @default 30 */
  readonly softDeleteDays?: number;
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * Storage for Terraform state behind the azurerm backend: versioned blobs, soft delete, no keys,
 * and a delete lock, since losing state orphans every resource it tracked.
 */
export class StateStorage extends Construct {
  readonly account: StorageAccount;
  readonly containerName: string;

  constructor(scope: Construct, id: string, props: StateStorageProps) {
    super(scope, id);
    this.containerName = props.containerName;
    this.account = new StorageAccount(this, "storage", {
      name: props.accountName,
      resourceGroup: props.resourceGroup,
      containers: [props.containerName],
      versioning: true,
      softDeleteDays: props.softDeleteDays ?? 30,
      tags: props.tags,
    });
    new ManagementLock(this, "delete-lock", {
      name: "protect-terraform-state",
      scope: this.account.id,
      lockLevel: "CanNotDelete",
      notes: "Holds Terraform state for mlfunc stacks; deleting it orphans every resource they manage.",
    });
    new RoleAssignment(this, "state-writer", {
      scope: this.account.containerId(props.containerName),
      roleDefinitionName: "Storage Blob Data Contributor",
      principalId: props.principalId,
    });
  }
}
