import { Construct } from "constructs";
import { PrivateDnsZone as AzPrivateDnsZone } from "@cdktf/provider-azurerm/lib/private-dns-zone";
import { PrivateDnsZoneVirtualNetworkLink } from "@cdktf/provider-azurerm/lib/private-dns-zone-virtual-network-link";
import type { ResourceGroup } from "./resource-group";

export interface PrivateDnsZoneProps {
  /** The zone, e.g. privatelink.blob.core.windows.net. */
  readonly name: string;
  readonly resourceGroup: ResourceGroup;
  /** The network whose resolver answers from this zone. */
  readonly virtualNetworkId: string;
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
  }

  get id(): string {
    return this.resource.id;
  }
}
