/**
 * Private networking facts: address arithmetic, subnet sizes, private DNS zones and the ARM id
 * shapes a brought network is named by. Sources are cited next to each number.
 */
import type { Hosting } from "./hosting";

export const INBOUND = ["public", "private"] as const;
export type Inbound = (typeof INBOUND)[number];

/** Keys of `network.privateDnsZoneIds`: one private DNS zone per kind of private endpoint. */
export const ZONE_KEYS = ["blob", "queue", "table", "registry", "serviceBus", "sites"] as const;
export type ZoneKey = (typeof ZONE_KEYS)[number];

/** Azure public cloud zone names (learn.microsoft.com/azure/private-link/private-endpoint-dns). */
export const PRIVATE_DNS_ZONES: Readonly<Record<ZoneKey, string>> = {
  blob: "privatelink.blob.core.windows.net",
  queue: "privatelink.queue.core.windows.net",
  table: "privatelink.table.core.windows.net",
  // Data-endpoint records (<registry>.<region>.data.azurecr.io) land in this zone too.
  registry: "privatelink.azurecr.io",
  serviceBus: "privatelink.servicebus.windows.net",
  // The scm record goes in the same zone.
  sites: "privatelink.azurewebsites.net",
};

/** The zones an environment's private endpoints need. */
export function neededZones(hosting: Hosting, inbound: Inbound, serviceBus: boolean): ZoneKey[] {
  return ZONE_KEYS.filter((k) => {
    if (k === "serviceBus") return serviceBus;
    // Container Apps has no per-app private endpoint: an internal environment keeps ingress in the network.
    if (k === "sites") return inbound === "private" && hosting === "appService";
    return true;
  });
}

// Resource group, network, subnet and zone names use these characters only; anything else (a "${",
// a quote) would be read by Terraform as an expression where the id lands in the JSON.
const SEGMENT = "[A-Za-z0-9_.()-]+";
const SUBSCRIPTION = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
export const SUBNET_ID = new RegExp(
  `^/subscriptions/${SUBSCRIPTION}/resourceGroups/${SEGMENT}/providers/Microsoft\\.Network/virtualNetworks/${SEGMENT}/subnets/${SEGMENT}$`,
  "i",
);
export const PRIVATE_DNS_ZONE_ID = new RegExp(`^/subscriptions/${SUBSCRIPTION}/resourceGroups/${SEGMENT}/providers/Microsoft\\.Network/privateDnsZones/${SEGMENT}$`, "i");
export const SUBNET_ID_EXAMPLE = "/subscriptions/<subscription id>/resourceGroups/<group>/providers/Microsoft.Network/virtualNetworks/<network>/subnets/<subnet>";
export const ZONE_ID_EXAMPLE = "/subscriptions/<subscription id>/resourceGroups/<group>/providers/Microsoft.Network/privateDnsZones/<zone>";

/** The virtual network a subnet id belongs to. */
export function virtualNetworkOf(subnetId: string): string {
  return subnetId.replace(/\/subnets\/[^/]+$/i, "");
}

export interface Cidr {
  /** The first address as an unsigned 32-bit number. */
  readonly base: number;
  readonly prefix: number;
}

/** An IPv4 CIDR block, or what is wrong with the text. */
export function parseCidr(text: string): Cidr | { readonly problem: string } {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
  const example = 'write an IPv4 block such as "10.20.0.0/16"';
  if (!m) return { problem: `not a CIDR block; ${example}` };
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255)) return { problem: `each of the four numbers is 0-255; ${example}` };
  if (prefix > 32) return { problem: `the prefix length is 0-32; ${example}` };
  const address = octets.reduce((a, o) => a * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  const base = address - (address % size);
  if (base !== address) return { problem: `the address has bits set beyond the /${prefix} prefix; write "${formatCidr({ base, prefix })}"` };
  return { base, prefix };
}

export function formatCidr(c: Cidr): string {
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(c.base / 2 ** shift) % 256);
  return `${octets.join(".")}/${c.prefix}`;
}

function overlaps(a: Cidr, b: Cidr): boolean {
  const end = (c: Cidr) => c.base + 2 ** (32 - c.prefix);
  return a.base < end(b) && b.base < end(a);
}

/** Azure keeps five addresses of every subnet. */
const AZURE_RESERVED = 5;

/**
 * App Service regional VNet integration: one address per instance, twice as many while instances
 * are replaced during scale-out; /26 is the recommended minimum for Linux
 * (learn.microsoft.com/azure/azure-functions/functions-networking-options#subnets).
 */
export function appServiceSubnetPrefix(maxInstances: number): number {
  let prefix = 26;
  while (Math.floor((2 ** (32 - prefix) - AZURE_RESERVED) / 2) < maxInstances) prefix--;
  return prefix;
}

/** Addresses a workload-profiles environment keeps for itself: 12 plus Azure's 5, as the capacity table counts them. */
const CONTAINER_APPS_RESERVED = 14;

/**
 * Container Apps workload-profiles environment: at least /27. The Consumption profile takes one
 * address per 10 replicas, a serverless GPU profile one per replica, doubled during revision changes
 * (learn.microsoft.com/azure/container-apps/custom-virtual-networks: /27 holds 90 Consumption replicas).
 */
export function containerAppsSubnetPrefix(maxReplicas: number, gpu: boolean): number {
  const replicasPerAddress = gpu ? 0.5 : 5;
  let prefix = 27;
  while ((2 ** (32 - prefix) - CONTAINER_APPS_RESERVED) * replicasPerAddress < maxReplicas) prefix--;
  return prefix;
}

/** Room for every private endpoint of an environment (at most nine addresses: the registry takes two). */
export const PRIVATE_ENDPOINT_SUBNET_PREFIX = 27;

/** Ranges a Container Apps environment's network must not overlap (custom-virtual-networks, "Restrictions"). */
export const CONTAINER_APPS_RESERVED_RANGES = [
  "169.254.0.0/16",
  "172.30.0.0/16",
  "172.31.0.0/16",
  "192.0.2.0/24",
  "100.100.0.0/17",
  "100.100.128.0/19",
  "100.100.160.0/19",
  "100.100.192.0/19",
];

export function reservedOverlap(space: Cidr): string | undefined {
  return CONTAINER_APPS_RESERVED_RANGES.find((r) => {
    const c = parseCidr(r);
    return "base" in c && overlaps(space, c);
  });
}

/**
 * The two subnets carved from a created network: the app's (largest, first) and the private
 * endpoints' right after it; or the prefix the network needs when they do not fit.
 */
export function subnetLayout(space: Cidr, appPrefix: number): { readonly app: string; readonly privateEndpoints: string } | { readonly needsPrefix: number } {
  const appSize = 2 ** (32 - appPrefix);
  const needed = appSize + 2 ** (32 - PRIVATE_ENDPOINT_SUBNET_PREFIX);
  if (needed > 2 ** (32 - space.prefix)) return { needsPrefix: 32 - Math.ceil(Math.log2(needed)) };
  return {
    app: formatCidr({ base: space.base, prefix: appPrefix }),
    privateEndpoints: formatCidr({ base: space.base + appSize, prefix: PRIVATE_ENDPOINT_SUBNET_PREFIX }),
  };
}

/**
 * The note a networked environment gets when the network raised SKUs the file left unset. Prices
 * are pay-as-you-go list prices in USD (azure.microsoft.com/pricing: container-registry,
 * service-bus, private-link); regions differ.
 */
export function premiumCostNote(env: string, raised: readonly ("registrySku" | "serviceBusSku")[]): string | undefined {
  if (raised.length === 0) return undefined;
  const parts = raised.map((k) =>
    k === "registrySku" ? "a Premium registry (about $50 a month, Basic about $5)" : "a Premium Service Bus namespace (about $680 a month per messaging unit, Standard about $10 plus operations)",
  );
  return (
    `environments.${env}: private endpoints need Premium, so this environment gets ${parts.join(" and ")}; ` +
    `each private endpoint adds about $7 a month plus traffic. Set ${raised.join(" and ")} explicitly to silence this note (see docs/networking.md)`
  );
}
