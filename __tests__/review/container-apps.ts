/**
 * The offline diff understands azapi_resource: which changes replace a container app or its
 * environment, a new image as a new revision, and a switch of hosting as what it is.
 */
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { stringify } from "yaml";
import { buildApp } from "../../main";
import { diffStack, diffSynthDirs } from "../../review/diff";
import { summarizePlan } from "../../review/plan-summary";
import type { JsonObject } from "../../review/json-text";
import { defaultConfig, scratch, type Json } from "../support/synth";

const APP_TYPE = "Microsoft.App/containerApps@2025-02-02-preview";

function stack(app: JsonObject): JsonObject {
  return { resource: { azapi_resource: { app } } };
}

const baseApp = (): JsonObject => ({
  type: APP_TYPE,
  name: "ca-diabetes-dev",
  parent_id: "${azurerm_resource_group.rg.id}",
  location: "westeurope",
  body: {
    kind: "functionapp",
    properties: {
      environmentId: "${azapi_resource.env.id}",
      template: { containers: [{ name: "functions", image: "cr.azurecr.io/diabetes:aaaa", resources: { cpu: 1, memory: "2Gi" } }], scale: { minReplicas: 0, maxReplicas: 10 } },
    },
  },
  replace_triggers_refs: ["kind"],
});

function diffOf(change: (app: JsonObject) => void) {
  const head = baseApp();
  change(head);
  const [entry] = diffStack("s", stack(baseApp()), stack(head)).resources;
  return entry;
}

describe("azapi_resource in the offline diff", () => {
  test("a new image tag is a new revision: a redeploy, not a replacement", () => {
    const d = diffOf((a) => {
      (((((a.body as JsonObject).properties as JsonObject).template as JsonObject).containers as JsonObject[])[0] as JsonObject).image = "cr.azurecr.io/diabetes:bbbb";
    });
    expect(d).toMatchObject({ address: "azapi_resource.app", kind: "changed", replace: false, replaceReasons: [], redeploy: true });
    expect(d?.changes.map((c) => c.path)).toEqual(["body.properties.template.containers[0].image"]);
  });

  test("an image named by reference: a new tag at the end of the reference chain is a redeploy, the values shown", () => {
    const withImage = (tag: string): JsonObject => {
      const app = baseApp();
      (((((app.body as JsonObject).properties as JsonObject).template as JsonObject).containers as JsonObject[])[0] as JsonObject).image = "${docker_registry_image.push.name}";
      return {
        resource: {
          docker_image: { image: { name: `\${azurerm_container_registry.cr.login_server}/diabetes:${tag}` } },
          docker_registry_image: { push: { name: "${docker_image.image.name}" } },
          azapi_resource: { app },
        },
      };
    };
    const d = diffStack("s", withImage("aaaa"), withImage("bbbb")).resources.find((r) => r.address === "azapi_resource.app");
    expect(d).toMatchObject({ kind: "changed", replace: false, redeploy: true });
    expect(d?.changes).toEqual([
      {
        path: "body.properties.template.containers[0].image",
        before: '"${azurerm_container_registry.cr.login_server}/diabetes:aaaa"',
        after: '"${azurerm_container_registry.cr.login_server}/diabetes:bbbb"',
      },
    ]);
    // The same tag on both sides: the app is not listed at all.
    expect(diffStack("s", withImage("aaaa"), withImage("aaaa")).resources).toEqual([]);
  });

  test("a scale change updates the app in place", () => {
    const d = diffOf((a) => {
      ((((a.body as JsonObject).properties as JsonObject).template as JsonObject).scale as JsonObject).maxReplicas = 20;
    });
    expect(d).toMatchObject({ kind: "changed", replace: false, redeploy: false });
  });

  test("a changed kind (create-only, in replace_triggers_refs) replaces the app", () => {
    const d = diffOf((a) => ((a.body as JsonObject).kind = "workflowapp"));
    expect(d).toMatchObject({ replace: true, replaceReasons: ["body.kind"] });
    expect(d?.changes).toEqual([expect.objectContaining({ path: "body.kind", forcesReplacement: true })]);
  });

  test.each([
    ["name", (a: JsonObject) => (a.name = "ca-other")],
    ["parent_id", (a: JsonObject) => (a.parent_id = "${azurerm_resource_group.other.id}")],
    ["location", (a: JsonObject) => (a.location = "northeurope")],
    ["type", (a: JsonObject) => (a.type = "Microsoft.Web/sites@2024-04-01")],
  ])("a changed %s replaces the resource", (attr, change) => {
    expect(diffOf(change)).toMatchObject({ replace: true, replaceReasons: [attr] });
  });

  test("a new API version of the same type is an update", () => {
    expect(diffOf((a) => (a.type = "Microsoft.App/containerApps@2026-01-01"))).toMatchObject({ replace: false, replaceReasons: [] });
  });

  test("replacing the resource group replaces the azapi resources in it (their parent_id follows)", () => {
    const before: JsonObject = { resource: { azurerm_resource_group: { rg: { name: "rg-a", location: "westeurope" } }, azapi_resource: { app: baseApp() } } };
    const after: JsonObject = structuredClone(before);
    ((after.resource as JsonObject).azurerm_resource_group as JsonObject).rg = { name: "rg-b", location: "westeurope" };
    const app = diffStack("s", before, after).resources.find((r) => r.address === "azapi_resource.app");
    expect(app).toMatchObject({ replace: true, replaceReasons: ["parent_id (follows the replaced azurerm_resource_group.rg)"] });
  });
});

describe("azapi_resource in a plan summary", () => {
  const change = (actions: string[], before: JsonObject, after: JsonObject, replacePaths?: string[][]) => ({
    address: "azapi_resource.container-app_DEB063E9",
    mode: "managed",
    type: "azapi_resource",
    name: "container-app_DEB063E9",
    provider_name: "registry.terraform.io/azure/azapi",
    change: { actions, before, after, after_unknown: {}, ...(replacePaths ? { replace_paths: replacePaths } : {}) },
  });

  test("a new image is an in-place update whose change is the container image", () => {
    const before = baseApp();
    const after = baseApp();
    (((((after.body as JsonObject).properties as JsonObject).template as JsonObject).containers as JsonObject[])[0] as JsonObject).image = "cr.azurecr.io/diabetes:bbbb";
    const plan = summarizePlan({ format_version: "1.2", resource_changes: [change(["update"], before, after)] }, { source: "aca.json" });
    expect(plan.resources[0]).toMatchObject({ action: "update", type: "azapi_resource" });
    expect(plan.resources[0]?.changes).toEqual([
      { path: "body.properties.template.containers[0].image", before: '"cr.azurecr.io/diabetes:aaaa"', after: '"cr.azurecr.io/diabetes:bbbb"' },
    ]);
  });

  test("a replacement names the path that forces it", () => {
    const after = { ...baseApp(), name: "ca-other" };
    const plan = summarizePlan({ format_version: "1.2", resource_changes: [change(["delete", "create"], baseApp(), after, [["name"]])] }, { source: "aca.json" });
    expect(plan.resources[0]).toMatchObject({ action: "replace", replaceOrder: "destroy-before-create", replacePaths: ["name"] });
    expect(plan.resources[0]?.changes).toEqual([{ path: "name", before: '"ca-diabetes-dev"', after: '"ca-other"', forcesReplacement: true }]);
  });
});

describe("switching an environment between hostings", () => {
  let diff: Awaited<ReturnType<typeof diffSynthDirs>>;
  beforeAll(async () => {
    const { dir, cleanup } = scratch();
    try {
      const out = (name: string, env: Json): string => {
        const c = defaultConfig();
        c.environments = { dev: env };
        const file = join(dir, `${name}.yaml`);
        writeFileSync(file, stringify(c));
        const outdir = join(dir, name);
        buildApp({ config: file, outdir, contextsDir: join(dir, "contexts") }).synth();
        return outdir;
      };
      const appService = out("app-service", { plan: { sku: "B1" } });
      const containerApps = out("container-apps", { hosting: "containerApps", containerApps: { minReplicas: 1 } });
      diff = await diffSynthDirs(appService, containerApps);
    } finally {
      cleanup();
    }
  }, 120_000);

  test("App Service to Container Apps: the plan and the app go, the environment and the container app come, no data store is touched", () => {
    const [dev] = diff;
    const byKind = (kind: string) => (dev?.resources ?? []).filter((r) => r.kind === kind).map((r) => r.type).sort();
    // The trigger queue's Data Receiver becomes Data Owner: Container Apps scales by its message count.
    // The host key call goes too: on Container Apps the key is a secret of the app.
    expect(byKind("removed")).toEqual(["azapi_resource_action", "azurerm_linux_function_app", "azurerm_role_assignment", "azurerm_service_plan"]);
    // The container app's master and default host keys come with it: its key store makes none.
    expect(byKind("added")).toEqual(["azapi_resource", "azapi_resource", "azurerm_monitor_diagnostic_setting", "azurerm_role_assignment", "terraform_data", "terraform_data"]);
    expect((dev?.resources ?? []).filter((r) => r.kind === "added" && r.type === "terraform_data").map((r) => r.address.replace(/_[0-9A-F]{8}$/, "")).sort()).toEqual([
      "terraform_data.container-app_host-key-default_value",
      "terraform_data.container-app_master-key_value",
    ]);
    // A new role assignment runs the role propagation wait again.
    // and the Event Grid subscription follows the app to its new host name.
    expect(byKind("changed")).toEqual(["azapi_resource", "terraform_data"]);
    expect((dev?.resources ?? []).filter((r) => r.replace && r.type !== "terraform_data")).toEqual([]);
  });
});

describe("a Container Apps environment's network in the offline diff", () => {
  const ENV_TYPE = "Microsoft.App/managedEnvironments@2025-02-02-preview";
  const SUBNET_A = "${azurerm_subnet.network_virtual-network_app-subnet_34AB6A89.id}";
  const envStack = (network?: { subnet: string; internal: boolean }, access?: string): JsonObject => ({
    resource: {
      azapi_resource: {
        env: {
          type: ENV_TYPE,
          name: "cae-diabetes-dev",
          parent_id: "${azurerm_resource_group.rg.id}",
          location: "westeurope",
          body: {
            properties: {
              workloadProfiles: [{ name: "Consumption", workloadProfileType: "Consumption" }],
              ...(network ? { vnetConfiguration: { infrastructureSubnetId: network.subnet, internal: network.internal }, publicNetworkAccess: access ?? "Disabled" } : {}),
            },
          },
          replace_triggers_refs: network ? ["properties.vnetConfiguration.infrastructureSubnetId", "properties.vnetConfiguration.internal"] : [],
        },
      },
    },
  });
  const diff = (before: JsonObject, after: JsonObject) => diffStack("s", before, after).resources[0];

  test("a change of internal replaces the environment (it holds no data, but its apps go with it)", () => {
    expect(diff(envStack({ subnet: SUBNET_A, internal: true }), envStack({ subnet: SUBNET_A, internal: false }, "Enabled"))).toMatchObject({
      address: "azapi_resource.env",
      replace: true,
      replaceReasons: ["body.properties.vnetConfiguration.internal"],
    });
  });

  test("another subnet replaces it", () => {
    expect(diff(envStack({ subnet: SUBNET_A, internal: true }), envStack({ subnet: "/subscriptions/x/subnets/other", internal: true }))).toMatchObject({
      replace: true,
      replaceReasons: ["body.properties.vnetConfiguration.infrastructureSubnetId"],
    });
  });

  test("putting an environment into a network, or taking it out, replaces it too: the paths are create-only whatever the refs say", () => {
    expect(diff(envStack(), envStack({ subnet: SUBNET_A, internal: true }))).toMatchObject({
      replace: true,
      replaceReasons: ["body.properties.vnetConfiguration.infrastructureSubnetId", "body.properties.vnetConfiguration.internal"],
    });
    expect(diff(envStack({ subnet: SUBNET_A, internal: false }, "Enabled"), envStack())).toMatchObject({
      replace: true,
      replaceReasons: ["body.properties.vnetConfiguration.infrastructureSubnetId", "body.properties.vnetConfiguration.internal"],
    });
  });

  test("public network access alone is updated in place", () => {
    expect(diff(envStack({ subnet: SUBNET_A, internal: false }, "Enabled"), envStack({ subnet: SUBNET_A, internal: false }, "Disabled"))).toMatchObject({ replace: false, replaceReasons: [] });
  });
});

describe("network resources in the offline diff", () => {
  const pe = (subnet: string, target: string): JsonObject => ({
    resource: {
      azurerm_private_endpoint: {
        pe: {
          name: "pe-st-blob",
          subnet_id: subnet,
          private_service_connection: { name: "pe-st-blob", private_connection_resource_id: target, subresource_names: ["blob"], is_manual_connection: false },
          private_dns_zone_group: { name: "default", private_dns_zone_ids: ["${azurerm_private_dns_zone.z.id}"] },
        },
      },
    },
  });

  test("an endpoint moved to another subnet, or pointed at another resource, is replaced; a new zone is an update", () => {
    expect(diffStack("s", pe("${azurerm_subnet.a.id}", "${azurerm_storage_account.h.id}"), pe("${azurerm_subnet.b.id}", "${azurerm_storage_account.h.id}")).resources[0]).toMatchObject({ replace: true, replaceReasons: ["subnet_id"] });
    expect(diffStack("s", pe("${azurerm_subnet.a.id}", "${azurerm_storage_account.h.id}"), pe("${azurerm_subnet.a.id}", "${azurerm_storage_account.d.id}")).resources[0]).toMatchObject({
      replace: true,
      replaceReasons: ["private_service_connection"],
    });
    const zoned = pe("${azurerm_subnet.a.id}", "${azurerm_storage_account.h.id}");
    ((((zoned.resource as JsonObject).azurerm_private_endpoint as JsonObject).pe as JsonObject).private_dns_zone_group as JsonObject).private_dns_zone_ids = ["${azurerm_private_dns_zone.other.id}"];
    expect(diffStack("s", pe("${azurerm_subnet.a.id}", "${azurerm_storage_account.h.id}"), zoned).resources[0]).toMatchObject({ replace: false });
  });
});
