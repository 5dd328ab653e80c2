import { Construct } from "constructs";
import { VirtualNetwork as AzVirtualNetwork } from "@cdktf/provider-azurerm/lib/virtual-network";
import { Subnet } from "@cdktf/provider-azurerm/lib/subnet";
import type { ResourceGroup } from "./resource-group";

/** Services an app subnet is delegated to: App Service regional integration, or a Container Apps environment. */
export type SubnetDelegation = "Microsoft.Web/serverFarms" | "Microsoft.App/environments";

/**
 * The actions Azure adds to each delegation by itself; written out so Terraform sees no difference
 * after apply (azurerm's subnet docs: "Azure may add default actions").
 */
export const DELEGATION_ACTIONS: Readonly<Record<SubnetDelegation, readonly string[]>> = {
  "Microsoft.Web/serverFarms": ["Microsoft.Network/virtualNetworks/subnets/action"],
  "Microsoft.App/environments": ["Microsoft.Network/virtualNetworks/subnets/join/action"],
};

export interface VirtualNetworkProps {
  readonly name: string;
  readonly resourceGroup: ResourceGroup;
  /** The network's IPv4 block, e.g. 10.20.0.0/16. */
  readonly addressSpace: string;
  /** The app's subnet: a CIDR inside `addressSpace` and the service it is delegated to. */
  readonly appSubnet: { readonly addressPrefix: string; readonly delegation: SubnetDelegation };
  /** The private endpoints' subnet, a CIDR inside `addressSpace`; never delegated. */
  readonly privateEndpointSubnet: string;
  readonly tags?: Readonly<Record<string, string>>;
}

/** A virtual network with two subnets: the app's (delegated, outbound) and the private endpoints'. */
export class VirtualNetwork extends Construct {
  readonly resource: AzVirtualNetwork;
  readonly appSubnet: Subnet;
  readonly privateEndpointSubnet: Subnet;

  constructor(scope: Construct, id: string, props: VirtualNetworkProps) {
    super(scope, id);
    const { delegation } = props.appSubnet;
    this.resource = new AzVirtualNetwork(this, "network", {
      name: props.name,
      resourceGroupName: props.resourceGroup.name,
      location: props.resourceGroup.location,
      addressSpace: [props.addressSpace],
      tags: { ...props.tags },
    });
    this.appSubnet = new Subnet(this, "app-subnet", {
      name: "snet-app",
      resourceGroupName: props.resourceGroup.name,
      virtualNetworkName: this.resource.name,
      addressPrefixes: [props.appSubnet.addressPrefix],
      delegation: [{ name: "delegation", serviceDelegation: { name: delegation, actions: [...DELEGATION_ACTIONS[delegation]] } }],
    });
    this.privateEndpointSubnet = new Subnet(this, "private-endpoint-subnet", {
      name: "snet-private-endpoints",
      resourceGroupName: props.resourceGroup.name,
      virtualNetworkName: this.resource.name,
      addressPrefixes: [props.privateEndpointSubnet],
      // Network policies do not apply to private endpoints here; stated, since the API default has changed over time.
      privateEndpointNetworkPolicies: "Disabled",
    });
  }

  get id(): string {
    return this.resource.id;
  }
}
