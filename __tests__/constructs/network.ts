/**
 * A networked environment: the virtual network and its subnets, the private DNS zones and their
 * links, one private endpoint per sub-resource with its zone group, public access off, the app's
 * outbound settings, and the order (the app waits for every endpoint and link). The example file
 * examples/private/mlfunc.yaml is what is synthesized; variants change one thing each.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { AnnotationMetadataEntryType, TerraformStack } from "cdktf";
import { stringify } from "yaml";
import { buildApp } from "../../main";
import { Json, SynthResult, privateExampleConfig, scratch, synth } from "../support/synth";

const PROD = "diabetes-private-prod";
const CANARY = "diabetes-private-canary";
const SUB = "00000000-0000-0000-0000-000000000001";
const subnetId = (name: string) => `/subscriptions/${SUB}/resourceGroups/rg-hub/providers/Microsoft.Network/virtualNetworks/vnet-hub/subnets/${name}`;
const zoneId = (name: string) => `/subscriptions/${SUB}/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones/${name}`;
const ZONES = {
  blob: "privatelink.blob.core.windows.net",
  queue: "privatelink.queue.core.windows.net",
  table: "privatelink.table.core.windows.net",
  registry: "privatelink.azurecr.io",
  serviceBus: "privatelink.servicebus.windows.net",
  sites: "privatelink.azurewebsites.net",
};
const NETWORK_TYPES = ["azurerm_virtual_network", "azurerm_subnet", "azurerm_private_dns_zone", "azurerm_private_dns_zone_virtual_network_link", "azurerm_private_endpoint"];

const privateExample = privateExampleConfig;

const envs = (c: Json): Record<string, Json> => c.environments as Record<string, Json>;
const ref = (r: SynthResult, stack: string, type: string, id: string, attr: string): string => {
  if (!(id in r.resources(stack, type))) throw new Error(`no ${type}.${id} in ${stack}`);
  return `\${${type}.${id}.${attr}}`;
};
const only = (r: SynthResult, stack: string, type: string) => `\${${type}.${r.idOnly(stack, type)}`;
const byName = (r: SynthResult, stack: string, type: string): Record<string, [string, Json]> =>
  Object.fromEntries(Object.entries(r.resources(stack, type)).map(([id, v]) => [String(v.name), [id, v]]));
const appOf = (r: SynthResult, stack: string): [string, Json] => {
  const [id] = Object.keys(r.resources(stack, "azurerm_linux_function_app"));
  if (id === undefined) throw new Error(`no function app in ${stack}`);
  return [id, r.resources(stack, "azurerm_linux_function_app")[id] as Json];
};
const azapiOf = (r: SynthResult, stack: string, type: string): [string, Json] => {
  const entry = Object.entries(r.resources(stack, "azapi_resource")).find(([, v]) => String(v.type).startsWith(`${type}@`));
  if (!entry) throw new Error(`no ${type} in ${stack}`);
  return entry;
};
/** Every endpoint and zone link of a stack as depends_on entries. */
const waitables = (r: SynthResult, stack: string, except: (e: Json) => boolean = () => false): string[] => [
  ...Object.entries(r.resources(stack, "azurerm_private_endpoint")).filter(([, e]) => !except(e)).map(([id]) => `azurerm_private_endpoint.${id}`),
  ...Object.keys(r.resources(stack, "azurerm_private_dns_zone_virtual_network_link")).map((id) => `azurerm_private_dns_zone_virtual_network_link.${id}`),
];
const isSites = (e: Json): boolean => ((e.private_service_connection as Json).subresource_names as string[])[0] === "sites";

let r: SynthResult;
beforeAll(() => {
  r = synth(privateExample());
});

describe("App Service behind a created network", () => {
  const tags = { app: "diabetes-private", environment: "prod", "managed-by": "mlfunc" };

  test("a virtual network with the file's address space", () => {
    expect(r.only(PROD, "azurerm_virtual_network")).toEqual(
      expect.objectContaining({
        name: "vnet-diabetes-private-prod",
        resource_group_name: `${only(r, PROD, "azurerm_resource_group")}.name}`,
        location: `${only(r, PROD, "azurerm_resource_group")}.location}`,
        address_space: ["10.20.0.0/16"],
        tags,
      }),
    );
  });

  test("the app subnet is delegated to Microsoft.Web/serverFarms with its action written out, /26 for maxInstances 10", () => {
    const subnets = byName(r, PROD, "azurerm_subnet");
    const vnet = `${only(r, PROD, "azurerm_virtual_network")}.name}`;
    const { "//": _meta, ...app } = subnets["snet-app"]?.[1] ?? {};
    expect(app).toEqual({
      name: "snet-app",
      resource_group_name: `${only(r, PROD, "azurerm_resource_group")}.name}`,
      virtual_network_name: vnet,
      address_prefixes: ["10.20.0.0/26"],
      delegation: [{ name: "delegation", service_delegation: { name: "Microsoft.Web/serverFarms", actions: ["Microsoft.Network/virtualNetworks/subnets/action"] } }],
    });
    const { "//": _m, ...pe } = subnets["snet-private-endpoints"]?.[1] ?? {};
    expect(pe).toEqual({
      name: "snet-private-endpoints",
      resource_group_name: `${only(r, PROD, "azurerm_resource_group")}.name}`,
      virtual_network_name: vnet,
      address_prefixes: ["10.20.0.64/27"],
      private_endpoint_network_policies: "Disabled",
    });
  });

  test("one private DNS zone per kind of endpoint, each linked to the network without auto-registration", () => {
    const zones = byName(r, PROD, "azurerm_private_dns_zone");
    expect(Object.keys(zones).sort()).toEqual(Object.values(ZONES).sort());
    const links = Object.values(r.resources(PROD, "azurerm_private_dns_zone_virtual_network_link"));
    expect(links).toHaveLength(6);
    for (const [zoneName, [id]] of Object.entries(zones)) {
      const link = links.find((l) => l.private_dns_zone_name === ref(r, PROD, "azurerm_private_dns_zone", id, "name"));
      expect({ zoneName, link }).toEqual({
        zoneName,
        link: expect.objectContaining({
          name: "app-network",
          resource_group_name: `${only(r, PROD, "azurerm_resource_group")}.name}`,
          virtual_network_id: `${only(r, PROD, "azurerm_virtual_network")}.id}`,
          registration_enabled: false,
        }),
      });
    }
  });

  test("a private endpoint per sub-resource, in the endpoint subnet, each with a zone group for its zone", () => {
    const zones = byName(r, PROD, "azurerm_private_dns_zone");
    const zoneRef = (name: string) => ref(r, PROD, "azurerm_private_dns_zone", zones[name]?.[0] ?? "", "id");
    const peSubnet = ref(r, PROD, "azurerm_subnet", byName(r, PROD, "azurerm_subnet")["snet-private-endpoints"]?.[0] ?? "", "id");
    const storage = byName(r, PROD, "azurerm_storage_account");
    const account = (name: string) => ref(r, PROD, "azurerm_storage_account", storage[name]?.[0] ?? "", "id");
    const [appId] = appOf(r, PROD);
    const want: Array<[string, string, string, string]> = [
      ["pe-stdiabetespriprodh2fe0d7-blob", account("stdiabetespriprodh2fe0d7"), "blob", ZONES.blob],
      ["pe-stdiabetespriprodh2fe0d7-queue", account("stdiabetespriprodh2fe0d7"), "queue", ZONES.queue],
      ["pe-stdiabetespriprodh2fe0d7-table", account("stdiabetespriprodh2fe0d7"), "table", ZONES.table],
      ["pe-stdiabetespriprodd2fe0d7-blob", account("stdiabetespriprodd2fe0d7"), "blob", ZONES.blob],
      ["pe-stdiabetespriprodd2fe0d7-queue", account("stdiabetespriprodd2fe0d7"), "queue", ZONES.queue],
      ["pe-crdiabetesprivateprod2fe0d7-registry", `${only(r, PROD, "azurerm_container_registry")}.id}`, "registry", ZONES.registry],
      ["pe-sb-diabetes-private-prod-2fe0d7-namespace", `${only(r, PROD, "azurerm_servicebus_namespace")}.id}`, "namespace", ZONES.serviceBus],
      ["pe-func-diabetes-private-prod-2fe0d7-sites", ref(r, PROD, "azurerm_linux_function_app", appId, "id"), "sites", ZONES.sites],
    ];
    const endpoints = byName(r, PROD, "azurerm_private_endpoint");
    expect(Object.keys(endpoints).sort()).toEqual(want.map(([n]) => n).sort());
    for (const [name, target, subresource, zone] of want) {
      const { "//": _meta, ...pe } = endpoints[name]?.[1] ?? {};
      expect(pe).toEqual({
        name,
        resource_group_name: `${only(r, PROD, "azurerm_resource_group")}.name}`,
        location: `${only(r, PROD, "azurerm_resource_group")}.location}`,
        subnet_id: peSubnet,
        custom_network_interface_name: `${name}-nic`,
        private_service_connection: { name, private_connection_resource_id: target, subresource_names: [subresource], is_manual_connection: false },
        private_dns_zone_group: { name: "default", private_dns_zone_ids: [zoneRef(zone)] },
        tags,
      });
    }
    // No content share, so no file endpoint.
    expect(JSON.stringify(r.resources(PROD, "azurerm_private_endpoint"))).not.toContain('"file"');
  });

  test("public network access is off on both storage accounts, the registry, the namespace and the app", () => {
    for (const type of ["azurerm_storage_account", "azurerm_container_registry", "azurerm_servicebus_namespace", "azurerm_linux_function_app"]) {
      const all = Object.values(r.resources(PROD, type));
      expect(all.length).toBeGreaterThan(0);
      for (const res of all) expect({ type, public: res.public_network_access_enabled }).toEqual({ type, public: false });
    }
  });

  test("registry and Service Bus are Premium when the file leaves them unset", () => {
    expect(r.only(PROD, "azurerm_container_registry").sku).toBe("Premium");
    expect(r.only(PROD, "azurerm_servicebus_namespace")).toEqual(expect.objectContaining({ sku: "Premium", capacity: 1, premium_messaging_partitions: 1 }));
  });

  test("the app leaves through the app subnet, pulls its image over it, and reports its own scale load on Elastic Premium", () => {
    const [, app] = appOf(r, PROD);
    const appSubnet = ref(r, PROD, "azurerm_subnet", byName(r, PROD, "azurerm_subnet")["snet-app"]?.[0] ?? "", "id");
    expect(app.virtual_network_subnet_id).toBe(appSubnet);
    expect(app.vnet_image_pull_enabled).toBe(true);
    expect(app.site_config).toEqual(expect.objectContaining({ vnet_route_all_enabled: true, runtime_scale_monitoring_enabled: true }));
    // The provider filters this setting; the site_config attribute is the way.
    expect(app.app_settings).not.toHaveProperty("WEBSITE_VNET_ROUTE_ALL");
  });

  test("the app waits for every endpoint but its own, every zone link, every role assignment and the propagation wait", () => {
    const [, app] = appOf(r, PROD);
    const dependsOn = app.depends_on as string[];
    const roles = Object.keys(r.resources(PROD, "azurerm_role_assignment")).map((id) => `azurerm_role_assignment.${id}`);
    const wait = Object.keys(r.resources(PROD, "terraform_data")).map((id) => `terraform_data.${id}`);
    expect(roles.length).toBeGreaterThan(0);
    expect(wait).toHaveLength(1);
    expect([...dependsOn].sort()).toEqual([...roles, ...wait, ...waitables(r, PROD, isSites), `docker_registry_image.${r.idOnly(PROD, "docker_registry_image")}`].sort());
  });

  test("the provider manages storage through Resource Manager only: the runner may not reach the data plane", () => {
    expect((r.stack(PROD).provider as Json).azurerm).toEqual([{ features: [{ storage: [{ data_plane_available: false }] }], storage_use_azuread: true }]);
    // Containers are still created, through Resource Manager.
    for (const c of Object.values(r.resources(PROD, "azurerm_storage_container"))) expect(c.storage_account_id).toMatch(/^\$\{azurerm_storage_account\./);
  });

  test("a cost note says Premium was chosen where the file left the SKU unset, and only there", () => {
    const { dir, cleanup } = scratch();
    try {
      const file = join(dir, "mlfunc.yaml");
      writeFileSync(file, stringify(privateExample()));
      const app = buildApp({ config: file, outdir: join(dir, "out"), contextsDir: join(dir, "contexts") });
      const warnings = (stack: string) =>
        (app.node.findChild(stack) as TerraformStack).node.metadata.filter((m) => m.type === AnnotationMetadataEntryType.WARN).map((m) => String(m.data));
      expect(warnings(PROD)).toEqual([
        "environments.prod: private endpoints need Premium, so this environment gets a Premium registry (about $50 a month, Basic about $5) and a Premium Service Bus namespace (about $680 a month per messaging unit, Standard about $10 plus operations); each private endpoint adds about $7 a month plus traffic. Set registrySku and serviceBusSku explicitly to silence this note (see docs/networking.md)",
      ]);
      // The canary sets both SKUs itself.
      expect(warnings(CANARY)).toEqual([]);
    } finally {
      cleanup();
    }
  });
});

describe("App Service variants", () => {
  test("Dedicated with inbound public: no scale monitoring, the app stays public, no sites endpoint or zone", () => {
    const c = privateExample();
    envs(c).prod = { plan: { sku: "S1" }, network: { addressSpace: "10.20.0.0/16" } };
    delete envs(c).canary;
    const v = synth(c);
    const [, app] = appOf(v, PROD);
    expect(app.public_network_access_enabled).toBeUndefined();
    expect(app.site_config).toEqual(expect.objectContaining({ vnet_route_all_enabled: true }));
    expect(app.site_config).not.toHaveProperty("runtime_scale_monitoring_enabled");
    expect(app.vnet_image_pull_enabled).toBe(true);
    expect(Object.keys(byName(v, PROD, "azurerm_private_dns_zone"))).not.toContain(ZONES.sites);
    expect(Object.values(v.resources(PROD, "azurerm_private_endpoint")).filter(isSites)).toEqual([]);
    // S1 scales to 10 instances: a /26 still holds them twice over.
    expect(byName(v, PROD, "azurerm_subnet")["snet-app"]?.[1].address_prefixes).toEqual(["10.20.0.0/26"]);
    expect([...(app.depends_on as string[])].filter((d) => /private_endpoint|virtual_network_link/.test(d)).sort()).toEqual(waitables(v, PROD).sort());
  });

  test("maxInstances 100 on Elastic Premium gets a /24 app subnet and the endpoint subnet after it", () => {
    const c = privateExample();
    envs(c).prod = { plan: { sku: "EP2", maxInstances: 100 }, network: { addressSpace: "10.20.0.0/16" } };
    delete envs(c).canary;
    const subnets = byName(synth(c), PROD, "azurerm_subnet");
    expect(subnets["snet-app"]?.[1].address_prefixes).toEqual(["10.20.0.0/24"]);
    expect(subnets["snet-private-endpoints"]?.[1].address_prefixes).toEqual(["10.20.1.0/27"]);
  });
});

describe("Container Apps behind a created network", () => {
  test("a workload-profiles environment injected into the subnet, internal, public network access off, replaced when either changes", () => {
    const [, environment] = azapiOf(r, CANARY, "Microsoft.App/managedEnvironments");
    const appSubnet = ref(r, CANARY, "azurerm_subnet", byName(r, CANARY, "azurerm_subnet")["snet-app"]?.[0] ?? "", "id");
    expect(environment.body).toEqual({
      properties: {
        appLogsConfiguration: { destination: "azure-monitor" },
        workloadProfiles: [{ name: "Consumption", workloadProfileType: "Consumption" }],
        vnetConfiguration: { infrastructureSubnetId: appSubnet, internal: true },
        publicNetworkAccess: "Disabled",
      },
    });
    expect(environment.replace_triggers_refs).toEqual(["properties.vnetConfiguration.infrastructureSubnetId", "properties.vnetConfiguration.internal"]);
  });

  test("its subnet is delegated to Microsoft.App/environments, /27 for 10 replicas", () => {
    const subnet = byName(r, CANARY, "azurerm_subnet")["snet-app"]?.[1];
    expect(subnet?.address_prefixes).toEqual(["10.30.0.0/27"]);
    expect(subnet?.delegation).toEqual([
      { name: "delegation", service_delegation: { name: "Microsoft.App/environments", actions: ["Microsoft.Network/virtualNetworks/subnets/join/action"] } },
    ]);
  });

  test("the same endpoints for storage, registry and Service Bus; none for the app (the environment is internal)", () => {
    const endpoints = Object.values(r.resources(CANARY, "azurerm_private_endpoint")).map((e) => ((e.private_service_connection as Json).subresource_names as string[])[0]);
    expect(endpoints.sort()).toEqual(["blob", "blob", "namespace", "queue", "queue", "registry", "table"]);
    const [envId] = azapiOf(r, CANARY, "Microsoft.App/managedEnvironments");
    const environmentZone = `\${azapi_resource.${envId}.output.properties.defaultDomain}`;
    expect(Object.keys(byName(r, CANARY, "azurerm_private_dns_zone")).sort()).toEqual([ZONES.blob, ZONES.registry, ZONES.queue, ZONES.serviceBus, ZONES.table, environmentZone].sort());
    for (const type of ["azurerm_storage_account", "azurerm_container_registry", "azurerm_servicebus_namespace"]) {
      for (const res of Object.values(r.resources(CANARY, type))) expect(res.public_network_access_enabled).toBe(false);
    }
  });

  test("the internal environment's domain resolves inside the network: a zone of that name, linked, with a wildcard record to its private address", () => {
    const [envId, environment] = azapiOf(r, CANARY, "Microsoft.App/managedEnvironments");
    expect(environment.response_export_values).toEqual(["properties.defaultDomain", "properties.staticIp"]);
    const [zoneId, zone] = byName(r, CANARY, "azurerm_private_dns_zone")[`\${azapi_resource.${envId}.output.properties.defaultDomain}`] ?? [];
    expect(zone).toBeDefined();
    const zoneName = ref(r, CANARY, "azurerm_private_dns_zone", zoneId ?? "", "name");
    const link = Object.values(r.resources(CANARY, "azurerm_private_dns_zone_virtual_network_link")).find((l) => l.private_dns_zone_name === zoneName);
    expect(link).toEqual(expect.objectContaining({ virtual_network_id: `${only(r, CANARY, "azurerm_virtual_network")}.id}`, registration_enabled: false }));
    const { "//": _meta, ...record } = r.only(CANARY, "azurerm_private_dns_a_record");
    expect(record).toEqual({
      name: "*",
      zone_name: zoneName,
      resource_group_name: `${only(r, CANARY, "azurerm_resource_group")}.name}`,
      ttl: 300,
      records: [`\${azapi_resource.${envId}.output.properties.staticIp}`],
      tags: { app: "diabetes-private", environment: "canary", "managed-by": "mlfunc" },
    });
  });

  test("the container app waits for every endpoint and zone link; ingress stays HTTPS-only", () => {
    const [, app] = azapiOf(r, CANARY, "Microsoft.App/containerApps");
    const dependsOn = app.depends_on as string[];
    for (const d of waitables(r, CANARY)) expect(dependsOn).toContain(d);
    expect(((app.body as Json).properties as Json).configuration).toEqual(expect.objectContaining({ ingress: expect.objectContaining({ allowInsecure: false }) }));
  });

  test("inbound public: an external environment on the same subnet, public network access on", () => {
    const c = privateExample();
    envs(c).canary = { ...envs(c).canary, network: { addressSpace: "10.30.0.0/16" } };
    delete envs(c).prod;
    const v = synth(c);
    const [, environment] = azapiOf(v, CANARY, "Microsoft.App/managedEnvironments");
    const p = (environment.body as Json).properties as Json;
    expect(v.resources(CANARY, "azurerm_private_dns_a_record")).toEqual({});
    expect(p.vnetConfiguration).toEqual(expect.objectContaining({ internal: false }));
    expect(p.publicNetworkAccess).toBe("Enabled");
    // A public environment's domain resolves publicly: no zone, nothing exported.
    expect(environment.response_export_values).toEqual([]);
  });
});

describe("a network brought from elsewhere, with its zones", () => {
  let b: SynthResult;
  beforeAll(() => {
    const c = privateExample();
    const network = {
      appSubnetId: subnetId("snet-func"),
      privateEndpointSubnetId: subnetId("snet-pe"),
      privateDnsZoneIds: Object.fromEntries(Object.entries(ZONES).map(([k, z]) => [k, zoneId(z)])),
      inbound: "private",
    };
    envs(c).prod = { ...envs(c).prod, network };
    envs(c).canary = { ...envs(c).canary, network: { ...network, appSubnetId: subnetId("snet-aca") } };
    b = synth(c);
  });

  test.each([PROD, CANARY])("%s: nothing is created but the private endpoints", (stack) => {
    for (const type of [...NETWORK_TYPES.filter((t) => t !== "azurerm_private_endpoint"), "azurerm_private_dns_a_record"]) {
      expect({ type, created: b.resources(stack, type) }).toEqual({ type, created: {} });
    }
    const endpoints = Object.values(b.resources(stack, "azurerm_private_endpoint"));
    expect(endpoints.length).toBe(stack === PROD ? 8 : 7);
    for (const e of endpoints) {
      expect(e.subnet_id).toBe(subnetId("snet-pe"));
      const zones = (e.private_dns_zone_group as Json).private_dns_zone_ids as string[];
      expect(zones).toHaveLength(1);
      expect(Object.values(ZONES).map(zoneId)).toContain(zones[0]);
    }
  });

  test("each endpoint registers in the zone given for its kind", () => {
    const zoneOf = Object.fromEntries(
      Object.values(b.resources(PROD, "azurerm_private_endpoint")).map((e) => [
        ((e.private_service_connection as Json).subresource_names as string[])[0],
        ((e.private_dns_zone_group as Json).private_dns_zone_ids as string[])[0],
      ]),
    );
    expect(zoneOf).toEqual({
      blob: zoneId(ZONES.blob),
      queue: zoneId(ZONES.queue),
      table: zoneId(ZONES.table),
      registry: zoneId(ZONES.registry),
      namespace: zoneId(ZONES.serviceBus),
      sites: zoneId(ZONES.sites),
    });
  });

  test("the apps use the given subnets, and wait for the endpoints", () => {
    const [, app] = appOf(b, PROD);
    expect(app.virtual_network_subnet_id).toBe(subnetId("snet-func"));
    expect([...(app.depends_on as string[])].filter((d) => d.startsWith("azurerm_private_endpoint.")).sort()).toEqual(waitables(b, PROD, isSites).sort());
    const [, environment] = azapiOf(b, CANARY, "Microsoft.App/managedEnvironments");
    expect(((environment.body as Json).properties as Json).vnetConfiguration).toEqual({ infrastructureSubnetId: subnetId("snet-aca"), internal: true });
  });
});

test("a brought network without zones: mlfunc creates the zones and links them to the app subnet's network", () => {
  const c = privateExample();
  envs(c).prod = { ...envs(c).prod, network: { appSubnetId: subnetId("snet-func"), privateEndpointSubnetId: subnetId("snet-pe") } };
  delete envs(c).canary;
  const v = synth(c);
  expect(v.resources(PROD, "azurerm_virtual_network")).toEqual({});
  expect(v.resources(PROD, "azurerm_subnet")).toEqual({});
  const links = Object.values(v.resources(PROD, "azurerm_private_dns_zone_virtual_network_link"));
  expect(links).toHaveLength(5);
  for (const l of links) expect(l.virtual_network_id).toBe(`/subscriptions/${SUB}/resourceGroups/rg-hub/providers/Microsoft.Network/virtualNetworks/vnet-hub`);
});

test("the default example creates no network resource and leaves public access as it was", () => {
  const d = synth();
  for (const stack of Object.keys(d.stacks)) {
    for (const type of NETWORK_TYPES) expect({ stack, type, created: d.resources(stack, type) }).toEqual({ stack, type, created: {} });
    expect(JSON.stringify(d.stack(stack).resource)).not.toMatch(/public_network_access_enabled|vnetConfiguration|virtual_network_subnet_id/);
    expect((d.stack(stack).provider as Json).azurerm).toEqual([{ features: [{}], storage_use_azuread: true }]);
  }
});
