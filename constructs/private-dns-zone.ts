import { Construct } from "constructs";
import { PrivateDnsZone as AzPrivateDnsZone } from "@cdktf/provider-azurerm/lib/private-dns-zone";
import { PrivateDnsZoneVirtualNetworkLink } from "@cdktf/provider-azurerm/lib/private-dns-zone-virtual-network-link";
import { PrivateDnsARecord } from "@cdktf/provider-azurerm/lib/private-dns-a-record";
import type { ResourceGroup } from "./resource-group";
import { idPart } from "./construct-id";

export interface PrivateDnsZoneProps {
  /** The zone, e.g. privatelink.blob.core.windows.net. */
  readonly name: string;
  readonly resourceGroup: ResourceGroup;
  /** The network whose resolver answers from this zone. */
  readonly virtualNetworkId: string;
  /** A records written here rather than by private endpoints' zone groups.
   * @default none */
  readonly records?: readonly { readonly name: string; readonly addresses: readonly string[] }[];
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * A private DNS zone linked to the app's network, so that the public names of storage, registry and
 * Service Bus resolve to their private endpoints from inside it (Azure-provided DNS, no custom server).
 */
export class PrivateDnsZone extends Construct {
  readonly resource: AzPrivateDnsZone;
  readonly link: PrivateDnsZoneVirtualNetworkLink;

  constructor(scope: Construct, id: string, props: PrivateDnsZoneProps) {
    super(scope, id);
    this.resource = new AzPrivateDnsZone(this, "zone", {
      name: props.name,
      resourceGroupName: props.resourceGroup.name,
      tags: { ...props.tags },
    });
    this.link = new PrivateDnsZoneVirtualNetworkLink(this, "link", {
      name: "app-network",
      resourceGroupName: props.resourceGroup.name,
      privateDnsZoneName: this.resource.name,
      virtualNetworkId: props.virtualNetworkId,
      // The endpoints' zone groups write the records; nothing registers itself.
      registrationEnabled: false,
      tags: { ...props.tags },
    });
    for (const record of props.records ?? []) {
      // Named by the record, so adding one never renames another.
      new PrivateDnsARecord(this, `record-${record.name === "*" ? "wildcard" : idPart(record.name)}`, {
        name: record.name,
        zoneName: this.resource.name,
        resourceGroupName: props.resourceGroup.name,
        ttl: 300,
        records: [...record.addresses],
        tags: { ...props.tags },
      });
    }
  }

  get id(): string {
    return this.resource.id;
  }
}
