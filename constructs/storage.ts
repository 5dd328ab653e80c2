import { Construct } from "constructs";
import { StorageAccount as AzStorageAccount } from "@cdktf/provider-azurerm/lib/storage-account";
import { StorageContainer } from "@cdktf/provider-azurerm/lib/storage-container";
import type { ResourceGroup } from "./resource-group";

export interface StorageAccountProps {
  readonly name: string;
  readonly resourceGroup: ResourceGroup;
  /** Private blob containers to create. */
  readonly containers?: readonly string[];
  /** Keep overwritten and deleted blobs as versions.
   * @default false */
  readonly versioning?: boolean;
  /** Days deleted blobs and containers can be restored.
   * @default 7 */
  readonly softDeleteDays?: number;
  /** Reachable from the internet, or only through private endpoints.
   * @default true */
  readonly publicNetworkAccess?: boolean;
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * A StorageV2 account reachable only over HTTPS with TLS 1.2+, with no public blobs and no shared
 * keys: every client authenticates with Entra ID (the azurerm provider too, via `storage_use_azuread`).
 */
export class StorageAccount extends Construct {
  readonly resource: AzStorageAccount;
  readonly containers: ReadonlyMap<string, StorageContainer>;

  constructor(scope: Construct, id: string, props: StorageAccountProps) {
    super(scope, id);
    const softDeleteDays = props.softDeleteDays ?? 7;
    this.resource = new AzStorageAccount(this, "account", {
      name: props.name,
      resourceGroupName: props.resourceGroup.name,
      location: props.resourceGroup.location,
      accountKind: "StorageV2",
      accountTier: "Standard",
      accountReplicationType: "LRS",
      minTlsVersion: "TLS1_2",
      httpsTrafficOnlyEnabled: true,
      allowNestedItemsToBePublic: false,
      sharedAccessKeyEnabled: false,
      defaultToOauthAuthentication: true,
      crossTenantReplicationEnabled: false,
      ...(props.publicNetworkAccess === false ? { publicNetworkAccessEnabled: false } : {}),
      blobProperties: {
        versioningEnabled: props.versioning ?? false,
        deleteRetentionPolicy: { days: softDeleteDays },
        containerDeleteRetentionPolicy: { days: softDeleteDays },
      },
      tags: { ...props.tags },
    });
    const containers = new Map<string, StorageContainer>();
    for (const name of [...new Set(props.containers ?? [])].sort()) {
      containers.set(
        name,
        // storage_account_id manages the container through ARM, which works with shared keys off.
        new StorageContainer(this, `container-${name}`, { name, storageAccountId: this.resource.id, containerAccessType: "private" }),
      );
    }
    this.containers = containers;
  }

  get id(): string {
    return this.resource.id;
  }

  get name(): string {
    return this.resource.name;
  }

  /** Resource id of one of this account's containers, for role assignments scoped to it. */
  containerId(name: string): string {
    const container = this.containers.get(name);
    if (!container) throw new Error(`internal: storage account ${this.node.id} has no container "${name}"`);
    return container.id;
  }
}
