import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import type { NetworkDeployment } from "../config/load";
import { type Inbound, PRIVATE_DNS_ZONES, type ZoneKey, virtualNetworkOf } from "../config/network";
import type { ResourceGroup } from "./resource-group";
import { type SubnetDelegation, VirtualNetwork } from "./virtual-network";
import { PrivateDnsZone } from "./private-dns-zone";
import { PrivateEndpoint } from "./private-endpoint";

/** Azure's limit on a private endpoint's name. */
const ENDPOINT_NAME_MAX = 64;

export interface PrivateNetworkProps {
  /** A created network (address space and subnets) or brought subnets, and the zones the endpoints need. */
  readonly network: NetworkDeployment;
  readonly resourceGroup: ResourceGroup;
  /** Name of the virtual network, when one is created. */
  readonly virtualNetworkName: string;
  /** What a created app subnet is delegated to. A brought subnet must already be. */
  readonly delegation: SubnetDelegation;
  readonly tags?: Readonly<Record<string, string>>;
}

export interface ConnectProps {
  /** Name of the resource reached, for the endpoint's name. */
  readonly targetName: string;
  readonly targetId: string;
  /** Sub-resource (group id) of the endpoint. */
  readonly subresource: string;
  /** Zone its records are written to. */
  readonly zone: ZoneKey;
}

/**
 * An environment's private network: the virtual network and its two subnets (or subnets brought
 * from elsewhere), a private DNS zone per kind of endpoint linked to the network (or zones managed
 * elsewhere), and the private endpoints made through `connect`.
 */
export class PrivateNetwork extends Construct {
  readonly virtualNetwork?: VirtualNetwork;
  /** The app's outbound subnet (App Service integration) or the Container Apps environment's subnet. */
  readonly appSubnetId: string;
  readonly privateEndpointSubnetId: string;
  readonly inbound: Inbound;
  /** Zones this construct created, by key. Empty when the zones are managed elsewhere. */
  readonly zones: ReadonlyMap<ZoneKey, PrivateDnsZone>;
  /** The network the zones are linked to. */
  readonly virtualNetworkId: string;
  /** False when the zones are managed elsewhere (`privateDnsZoneIds`): then this construct links none. */
  readonly managesZones: boolean;
  private readonly zoneIds: ReadonlyMap<ZoneKey, string>;
  private readonly resourceGroup: ResourceGroup;
  private readonly tags: Readonly<Record<string, string>>;
  private readonly endpoints: PrivateEndpoint[] = [];
  private readonly extraZones: PrivateDnsZone[] = [];

  constructor(scope: Construct, id: string, props: PrivateNetworkProps) {
    super(scope, id);
    const { network } = props;
    this.resourceGroup = props.resourceGroup;
    this.tags = { ...props.tags };
    this.inbound = network.inbound;
    let virtualNetworkId: string;
    if (network.kind === "created") {
      this.virtualNetwork = new VirtualNetwork(this, "virtual-network", {
        name: props.virtualNetworkName,
        resourceGroup: props.resourceGroup,
        addressSpace: network.addressSpace,
        appSubnet: { addressPrefix: network.appSubnet, delegation: props.delegation },
        privateEndpointSubnet: network.privateEndpointSubnet,
        tags: props.tags,
      });
      this.appSubnetId = this.virtualNetwork.appSubnet.id;
      this.privateEndpointSubnetId = this.virtualNetwork.privateEndpointSubnet.id;
      virtualNetworkId = this.virtualNetwork.id;
    } else {
      this.appSubnetId = network.appSubnetId;
      this.privateEndpointSubnetId = network.privateEndpointSubnetId;
      // Names resolve where the app's traffic leaves from: the app subnet's network.
      virtualNetworkId = virtualNetworkOf(network.appSubnetId);
    }
    this.virtualNetworkId = virtualNetworkId;
    const given = network.kind === "existing" ? network.privateDnsZoneIds : undefined;
    this.managesZones = given === undefined;
    const zones = new Map<ZoneKey, PrivateDnsZone>();
    const zoneIds = new Map<ZoneKey, string>();
    for (const key of network.zones) {
      const id = given?.[key];
      if (given) {
        if (id === undefined) throw new Error(`internal: privateDnsZoneIds has no ${key} zone; the rules require it`);
        zoneIds.set(key, id);
        continue;
      }
      const zone = new PrivateDnsZone(this, `zone-${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, { name: PRIVATE_DNS_ZONES[key], resourceGroup: props.resourceGroup, virtualNetworkId, tags: props.tags });
      zones.set(key, zone);
      zoneIds.set(key, zone.id);
    }
    this.zones = zones;
    this.zoneIds = zoneIds;
  }

  /** A private endpoint to `targetId`'s sub-resource, in the endpoint subnet, registered in its zone. */
  connect(id: string, props: ConnectProps): PrivateEndpoint {
    const zoneId = this.zoneIds.get(props.zone);
    if (zoneId === undefined) throw new Error(`internal: network ${this.node.id} has no ${props.zone} zone; add it to the environment's needed zones`);
    const suffix = `-${props.subresource}`;
    const name = `pe-${props.targetName}`.slice(0, ENDPOINT_NAME_MAX - suffix.length).replace(/-+$/, "") + suffix;
    const endpoint = new PrivateEndpoint(this, id, {
      name,
      resourceGroup: this.resourceGroup,
      subnetId: this.privateEndpointSubnetId,
      targetId: props.targetId,
      subresource: props.subresource,
      privateDnsZoneId: zoneId,
      tags: this.tags,
    });
    this.endpoints.push(endpoint);
    return endpoint;
  }

  /** Another private DNS zone linked to the network, holding the given A records. */
  addZone(id: string, name: string, records: readonly { readonly name: string; readonly addresses: readonly string[] }[]): PrivateDnsZone {
    const zone = new PrivateDnsZone(this, id, { name, resourceGroup: this.resourceGroup, virtualNetworkId: this.virtualNetworkId, records, tags: this.tags });
    this.extraZones.push(zone);
    return zone;
  }

  /**
   * What the app waits for before its first image pull and host start: every endpoint made so far
   * (each carries its zone group) and every zone's link to the network made so far.
   */
  get ready(): readonly ITerraformDependable[] {
    return [...this.endpoints.map((e) => e.resource), ...[...this.zones.values(), ...this.extraZones].map((z) => z.link)];
  }
}
