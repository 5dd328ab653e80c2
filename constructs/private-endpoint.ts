import { Construct } from "constructs";
import { PrivateEndpoint as AzPrivateEndpoint } from "@cdktf/provider-azurerm/lib/private-endpoint";
import type { ResourceGroup } from "./resource-group";

export interface PrivateEndpointProps {
  readonly name: string;
  readonly resourceGroup: ResourceGroup;
  /** The subnet the endpoint's address comes from. */
  readonly subnetId: string;
  /** The resource reached through the endpoint. */
  readonly targetId: string;
  /** Its sub-resource (group id): blob, queue, table, registry, namespace, sites. A storage account takes one per endpoint. */
  readonly subresource: string;
  /** The zone the endpoint's A records are written to. */
  readonly privateDnsZoneId: string;
  readonly tags?: Readonly<Record<string, string>>;
}

/** A private endpoint whose DNS zone group keeps the zone's records in step with the endpoint's addresses. */
export class PrivateEndpoint extends Construct {
  readonly resource: AzPrivateEndpoint;

  constructor(scope: Construct, id: string, props: PrivateEndpointProps) {
    super(scope, id);
    this.resource = new AzPrivateEndpoint(this, "endpoint", {
      name: props.name,
      resourceGroupName: props.resourceGroup.name,
      location: props.resourceGroup.location,
      subnetId: props.subnetId,
      // Named after the endpoint, so the network interface Azure creates is recognisable too.
      customNetworkInterfaceName: `${props.name}-nic`,
      privateServiceConnection: {
        name: props.name,
        privateConnectionResourceId: props.targetId,
        subresourceNames: [props.subresource],
        isManualConnection: false,
      },
      privateDnsZoneGroup: { name: "default", privateDnsZoneIds: [props.privateDnsZoneId] },
      tags: { ...props.tags },
    });
  }
}
