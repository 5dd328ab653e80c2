/** Deployment-file validation of network blocks: each bad input and the exact message, and what a valid block becomes. */
import { writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { stringify } from "yaml";
import { parseDeployment, type Deployment } from "../../config/load";
import { DeploymentError } from "../../config/problems";
import { appServiceSubnetPrefix, containerAppsSubnetPrefix, parseCidr, subnetLayout } from "../../config/network";
import { Json, defaultConfig, scratch } from "../support/synth";

const SUB = "00000000-0000-0000-0000-000000000001";
const subnet = (vnet: string, name: string) => `/subscriptions/${SUB}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/${vnet}/subnets/${name}`;
const zone = (name: string) => `/subscriptions/${SUB}/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones/${name}`;
const ALL_ZONES = {
  blob: zone("privatelink.blob.core.windows.net"),
  queue: zone("privatelink.queue.core.windows.net"),
  table: zone("privatelink.table.core.windows.net"),
  registry: zone("privatelink.azurecr.io"),
  serviceBus: zone("privatelink.servicebus.windows.net"),
  sites: zone("privatelink.azurewebsites.net"),
};

/** The default app (http, blob and Service Bus functions) with its environments replaced by `envs`;
 * its blob function polls, as Event Grid cannot serve a networked environment (tested at the end). */
function withEnvs(envs: Json): Json {
  const c = defaultConfig();
  for (const f of c.functions as Json[]) if ((f.trigger as Json).type === "blob") (f.trigger as Json).source = "polling";
  c.environments = envs;
  return c;
}

function parse(config: Json): Deployment | string[] {
  const { dir, cleanup } = scratch();
  try {
    const file = join(dir, "mlfunc.yaml");
    const text = stringify(config);
    writeFileSync(file, text);
    try {
      return parseDeployment(text, file, relative(process.cwd(), file));
    } catch (e) {
      if (!(e instanceof DeploymentError)) throw e;
      return e.message.split("\n").slice(1).map((l) => l.replace(/ \(line \d+\)/, ""));
    }
  } finally {
    cleanup();
  }
}

function problems(config: Json): string[] {
  const r = parse(config);
  return Array.isArray(r) ? r : [];
}

function deployment(config: Json): Deployment {
  const r = parse(config);
  if (Array.isArray(r)) throw new Error(`unexpected problems:\n${r.join("\n")}`);
  return r;
}

const PREMIUM = { registrySku: "Premium", serviceBusSku: "Premium" };

describe("address arithmetic", () => {
  test.each([
    ["10.20.0.0/16", { base: 10 * 2 ** 24 + 20 * 2 ** 16, prefix: 16 }],
    ["192.168.4.0/22", { base: 192 * 2 ** 24 + 168 * 2 ** 16 + 4 * 2 ** 8, prefix: 22 }],
  ])("%s parses", (text, want) => {
    expect(parseCidr(text)).toEqual(want);
  });

  test.each([
    ["10.20.0.0", 'not a CIDR block; write an IPv4 block such as "10.20.0.0/16"'],
    ["10.20.0.0/33", 'the prefix length is 0-32; write an IPv4 block such as "10.20.0.0/16"'],
    ["10.256.0.0/16", 'each of the four numbers is 0-255; write an IPv4 block such as "10.20.0.0/16"'],
    ["10.20.1.0/16", 'the address has bits set beyond the /16 prefix; write "10.20.0.0/16"'],
    ["fd00::/8", 'not a CIDR block; write an IPv4 block such as "10.20.0.0/16"'],
  ])("%s is refused: %s", (text, problem) => {
    expect(parseCidr(text)).toEqual({ problem });
  });

  test.each([
    // At least /26; one address per instance, doubled while scaling, five kept by Azure.
    [1, 26], [29, 26], [30, 25], [61, 25], [62, 24], [100, 24],
  ])("App Service: %i instances need a /%i", (instances, prefix) => {
    expect(appServiceSubnetPrefix(instances)).toBe(prefix);
  });

  test.each([
    // At least /27 (90 Consumption replicas); 1,000 replicas need a /24 (1,210).
    [10, false, 27], [90, false, 27], [91, false, 26], [1000, false, 24], [9, true, 27], [10, true, 26],
  ])("Container Apps: %i replicas (GPU %s) need a /%i", (replicas, gpu, prefix) => {
    expect(containerAppsSubnetPrefix(replicas, gpu)).toBe(prefix);
  });

  test("the app subnet comes first, the /27 endpoint subnet right after it", () => {
    const space = parseCidr("10.20.0.0/16");
    if (!("base" in space)) throw new Error(space.problem);
    expect(subnetLayout(space, 26)).toEqual({ app: "10.20.0.0/26", privateEndpoints: "10.20.0.64/27" });
    expect(subnetLayout(space, 24)).toEqual({ app: "10.20.0.0/24", privateEndpoints: "10.20.1.0/27" });
    const small = parseCidr("10.20.0.0/26");
    if (!("base" in small)) throw new Error(small.problem);
    expect(subnetLayout(small, 26)).toEqual({ needsPrefix: 25 });
  });
});

describe("a valid network block", () => {
  test("addressSpace: the subnets are carved for the plan, every needed zone listed, Premium chosen and noted", () => {
    const d = deployment(withEnvs({ prod: { plan: { sku: "EP1", maxInstances: 40 }, network: { addressSpace: "10.20.0.0/16" } } }));
    const [prod] = d.environments;
    expect(prod?.network).toEqual({
      kind: "created",
      inbound: "public",
      addressSpace: "10.20.0.0/16",
      // 40 instances, 80 while scaling: a /25 (123 usable addresses).
      appSubnet: "10.20.0.0/25",
      privateEndpointSubnet: "10.20.0.128/27",
      zones: ["blob", "queue", "table", "registry", "serviceBus"],
      premiumByDefault: ["registrySku", "serviceBusSku"],
    });
    expect(prod?.registrySku).toBe("Premium");
    expect(prod?.serviceBusSku).toBe("Premium");
  });

  test("inbound private on App Service adds the sites zone; on Container Apps it does not (the environment is internal)", () => {
    const d = deployment(
      withEnvs({
        app: { plan: { sku: "B1" }, ...PREMIUM, network: { addressSpace: "10.20.0.0/24", inbound: "private" } },
        aca: { hosting: "containerApps", ...PREMIUM, network: { addressSpace: "10.30.0.0/24", inbound: "private" } },
      }),
    );
    const [app, aca] = d.environments;
    expect(app?.network).toMatchObject({ inbound: "private", zones: ["blob", "queue", "table", "registry", "serviceBus", "sites"], premiumByDefault: [] });
    // A Dedicated plan's subnet is sized for its tier's ceiling (B1: 3 instances), so at least /26.
    expect(app?.network).toMatchObject({ appSubnet: "10.20.0.0/26", privateEndpointSubnet: "10.20.0.64/27" });
    expect(aca?.network).toMatchObject({ inbound: "private", zones: ["blob", "queue", "table", "registry", "serviceBus"], appSubnet: "10.30.0.0/27", privateEndpointSubnet: "10.30.0.32/27" });
  });

  test("subnets and zones brought from elsewhere are taken as they are", () => {
    const d = deployment(
      withEnvs({
        prod: {
          plan: { sku: "EP1" },
          ...PREMIUM,
          network: { appSubnetId: subnet("vnet-hub", "app"), privateEndpointSubnetId: subnet("vnet-hub", "pe"), privateDnsZoneIds: ALL_ZONES, inbound: "private" },
        },
      }),
    );
    expect(d.environments[0]?.network).toEqual({
      kind: "existing",
      inbound: "private",
      appSubnetId: subnet("vnet-hub", "app"),
      privateEndpointSubnetId: subnet("vnet-hub", "pe"),
      privateDnsZoneIds: ALL_ZONES,
      zones: ["blob", "queue", "table", "registry", "serviceBus", "sites"],
      premiumByDefault: [],
    });
  });

  test("without a network block nothing changes: Basic registry, Standard Service Bus, no network", () => {
    const d = deployment(defaultConfig());
    for (const env of d.environments) {
      expect(env.network).toBeUndefined();
      expect(env.registrySku).toBe("Basic");
      expect(env.serviceBusSku).toBe("Standard");
    }
  });
});

describe("a bad network block: every problem at once, each field named", () => {
  test("CIDR syntax, an unknown inbound, ids that are not subnet or zone ids", () => {
    expect(
      problems(
        withEnvs({
          a: { plan: { sku: "EP1" }, ...PREMIUM, network: { addressSpace: "10.20.0.0/33", inbound: "internal" } },
          b: {
            plan: { sku: "EP1" },
            ...PREMIUM,
            network: { appSubnetId: "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v", privateEndpointSubnetId: subnet("v", "pe"), privateDnsZoneIds: { ...ALL_ZONES, blob: "privatelink.blob.core.windows.net" } },
          },
        }),
      ),
    ).toEqual([
      '  environments.a.network.addressSpace: "10.20.0.0/33" — the prefix length is 0-32; write an IPv4 block such as "10.20.0.0/16"',
      '  environments.a.network.inbound: "internal" — must be "public" or "private"',
      '  environments.b.network.appSubnetId: "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/virtualNetwor..." — must be a subnet\'s Azure resource id, /subscriptions/<subscription id>/resourceGroups/<group>/providers/Microsoft.Network/virtualNetworks/<network>/subnets/<subnet>',
      '  environments.b.network.privateDnsZoneIds.blob: "privatelink.blob.core.windows.net" — must be a private DNS zone\'s Azure resource id, /subscriptions/<subscription id>/resourceGroups/<group>/providers/Microsoft.Network/privateDnsZones/<zone>',
    ]);
  });

  test("an id with characters no Azure name has (a Terraform expression) is refused before it reaches the JSON", () => {
    const hostile = `/subscriptions/${SUB}/resourceGroups/\${file("/etc/passwd")}/providers/Microsoft.Network/virtualNetworks/v/subnets/s`;
    expect(problems(withEnvs({ a: { plan: { sku: "EP1" }, ...PREMIUM, network: { appSubnetId: hostile, privateEndpointSubnetId: subnet("v", "pe") } } }))).toEqual([
      "  environments.a.network.appSubnetId: \"/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/${file(\\\"...\" — must be a subnet's Azure resource id, /subscriptions/<subscription id>/resourceGroups/<group>/providers/Microsoft.Network/virtualNetworks/<network>/subnets/<subnet>",
    ]);
  });

  test("a created network too small for its subnets names the size it needs", () => {
    expect(
      problems(
        withEnvs({
          ep: { plan: { sku: "EP1", maxInstances: 100 }, ...PREMIUM, network: { addressSpace: "10.20.0.0/24" } },
          aca: { hosting: "containerApps", ...PREMIUM, network: { addressSpace: "10.30.0.0/27" } },
        }),
      ),
    ).toEqual([
      '  environments.ep.network.addressSpace: "10.20.0.0/24" — a /24 holds 256 addresses; this environment needs a /24 app subnet (for maxInstances 100, twice that while scaling) and a /27 private-endpoint subnet: use a /23 or larger',
      '  environments.aca.network.addressSpace: "10.30.0.0/27" — a /27 holds 32 addresses; this environment needs a /27 app subnet (for maxReplicas 10) and a /27 private-endpoint subnet: use a /26 or larger',
    ]);
  });

  test("addressSpace together with brought subnets or zones, and half a brought network", () => {
    expect(
      problems(
        withEnvs({
          both: { plan: { sku: "EP1" }, ...PREMIUM, network: { addressSpace: "10.20.0.0/16", appSubnetId: subnet("v", "app"), privateDnsZoneIds: ALL_ZONES } },
          half: { plan: { sku: "EP1" }, ...PREMIUM, network: { appSubnetId: subnet("v", "app") } },
          same: { plan: { sku: "EP1" }, ...PREMIUM, network: { appSubnetId: subnet("v", "app"), privateEndpointSubnetId: subnet("v", "app") } },
          none: { plan: { sku: "EP1" }, ...PREMIUM, network: { inbound: "private" } },
        }),
      ),
    ).toEqual([
      // A missing key has no line of its own, so it is listed first.
      "  environments.half.network.privateEndpointSubnetId: (missing) — required with appSubnetId: add the id of a subnet without delegation for the private endpoints (not the app subnet)",
      '  environments.both.network.appSubnetId: "(subnet id)" — addressSpace creates the network, its subnets and zones; appSubnetId belongs to a network you bring: remove one of the two',
      '  environments.both.network.privateDnsZoneIds: "(settings)" — addressSpace creates the network, its subnets and zones; privateDnsZoneIds belongs to a network you bring: remove one of the two',
      '  environments.same.network.privateEndpointSubnetId: "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-net/pr..." — must differ from appSubnetId: a delegated subnet cannot hold private endpoints; give the endpoints their own subnet',
      '  environments.none.network: "(settings)" — set addressSpace (mlfunc creates the network, e.g. 10.20.0.0/16), or appSubnetId and privateEndpointSubnetId (subnets you bring)',
    ]);
  });

  test("a zone map missing a zone the environment needs: each missing zone named with its zone name", () => {
    const { serviceBus: _sb, sites: _sites, ...partial } = ALL_ZONES;
    expect(
      problems(
        withEnvs({
          prod: { plan: { sku: "EP1" }, ...PREMIUM, network: { appSubnetId: subnet("v", "app"), privateEndpointSubnetId: subnet("v", "pe"), privateDnsZoneIds: partial, inbound: "private" } },
        }),
      ),
    ).toEqual([
      "  environments.prod.network.privateDnsZoneIds.serviceBus: (missing) — the Service Bus namespace's private endpoint registers in privatelink.servicebus.windows.net: add that zone's id, or remove privateDnsZoneIds so mlfunc creates and links the zones",
      "  environments.prod.network.privateDnsZoneIds.sites: (missing) — the app's (inbound: private) private endpoint registers in privatelink.azurewebsites.net: add that zone's id, or remove privateDnsZoneIds so mlfunc creates and links the zones",
    ]);
  });

  test("a zone id whose zone is not the one its key needs names the zone to give; the case of the name does not matter", () => {
    expect(
      problems(
        withEnvs({
          prod: {
            plan: { sku: "EP1" },
            ...PREMIUM,
            network: {
              appSubnetId: subnet("v", "app"),
              privateEndpointSubnetId: subnet("v", "pe"),
              privateDnsZoneIds: { ...ALL_ZONES, blob: zone("PrivateLink.Blob.Core.Windows.Net"), queue: zone("privatelink.blob.core.windows.net"), registry: zone("azurecr.io") },
              inbound: "private",
            },
          },
        }),
      ),
    ).toEqual([
      '  environments.prod.network.privateDnsZoneIds.queue: "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-dns/pr..." — is the zone privatelink.blob.core.windows.net; the queue private endpoints register in privatelink.queue.core.windows.net: give that zone\'s id',
      '  environments.prod.network.privateDnsZoneIds.registry: "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-dns/pr..." — is the zone azurecr.io; the registry private endpoints register in privatelink.azurecr.io: give that zone\'s id',
    ]);
  });

  test("a public app on Container Apps needs no sites zone", () => {
    const { sites: _sites, ...noSites } = ALL_ZONES;
    expect(
      problems(withEnvs({ aca: { hosting: "containerApps", ...PREMIUM, network: { appSubnetId: subnet("v", "aca"), privateEndpointSubnetId: subnet("v", "pe"), privateDnsZoneIds: noSites, inbound: "private" } } })),
    ).toEqual([]);
  });

  test("a registry or Service Bus SKU below Premium is refused with the fix", () => {
    expect(problems(withEnvs({ prod: { plan: { sku: "EP1" }, registrySku: "Standard", serviceBusSku: "Basic", network: { addressSpace: "10.20.0.0/16" } } }))).toEqual([
      '  environments.prod.registrySku: "Standard" — private endpoints need a Premium registry; set registrySku: Premium, or remove it (a networked environment defaults to Premium)',
      '  environments.prod.serviceBusSku: "Basic" — private endpoints need a Premium Service Bus namespace; set serviceBusSku: Premium, or remove it (a networked environment defaults to Premium)',
    ]);
  });

  test("a Service Bus SKU matters only when a function uses Service Bus", () => {
    const c = withEnvs({ prod: { plan: { sku: "EP1" }, registrySku: "Premium", serviceBusSku: "Standard", network: { addressSpace: "10.20.0.0/16" } } });
    c.functions = [{ name: "predict", trigger: { type: "http" } }];
    const d = deployment(c);
    expect(d.environments[0]?.network?.zones).toEqual(["blob", "queue", "table", "registry"]);
    expect(d.environments[0]?.network?.premiumByDefault).toEqual([]);
  });

  test("a Container Apps network must stay clear of the ranges the platform reserves", () => {
    expect(problems(withEnvs({ aca: { hosting: "containerApps", ...PREMIUM, network: { addressSpace: "172.30.0.0/16" } } }))).toEqual([
      '  environments.aca.network.addressSpace: "172.30.0.0/16" — overlaps 172.30.0.0/16, which Container Apps reserves for itself; pick another block, e.g. 10.20.0.0/16',
    ]);
  });
});

describe("the Event Grid blob source in a networked environment", () => {
  const eventGrid = (envs: Json): Json => {
    const c = withEnvs(envs);
    for (const f of c.functions as Json[]) if ((f.trigger as Json).type === "blob") (f.trigger as Json).source = "eventGrid";
    return c;
  };

  test("inbound private: refused, because Event Grid cannot deliver to a private app", () => {
    expect(problems(eventGrid({ prod: { plan: { sku: "EP1" }, network: { addressSpace: "10.20.0.0/16", inbound: "private" } } }))).toEqual([
      '  functions[1].trigger.source: "eventGrid" — environments.prod.network.inbound is private, and Event Grid delivers only to a public HTTPS endpoint (never through a private endpoint or into an internal environment), so new blobs would never reach this function; use source: polling in a networked environment (docs/event-grid.md)',
    ]);
  });

  test("inbound public: refused too, because Event Grid cannot write its dead letters into the closed trigger account", () => {
    expect(problems(eventGrid({ prod: { plan: { sku: "EP1" }, network: { addressSpace: "10.20.0.0/16" } } }))).toEqual([
      '  functions[1].trigger.source: "eventGrid" — environments.prod has a network, so the trigger storage account takes no public traffic, and Event Grid cannot write the events it fails to deliver (dead letters) there with the app\'s user-assigned identity; use source: polling in a networked environment (docs/event-grid.md)',
    ]);
  });

  test("one networked environment refuses it, once per function, while an environment without network keeps it", () => {
    const c = eventGrid({ dev: { plan: { sku: "B1" } }, prod: { plan: { sku: "EP1" }, network: { addressSpace: "10.20.0.0/16", inbound: "private" } } });
    expect(problems(c)).toHaveLength(1);
    delete ((c.environments as Json).prod as Json).network;
    expect(deployment(c).environments.map((e) => e.name)).toEqual(["dev", "prod"]);
  });
});
