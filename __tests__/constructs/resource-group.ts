import { Json, SynthResult, defaultConfig, synth } from "../support/synth";

const DEV = "diabetes-dev";
const PROD = "diabetes-prod";
const BASE_TAGS = { app: "diabetes", "managed-by": "mlfunc", owner: "ml-platform" };

let r: SynthResult;
beforeAll(() => {
  r = synth();
});

const rgId = (result: SynthResult, stack: string): string => Object.keys(result.resources(stack, "azurerm_resource_group"))[0] ?? "";

test("one resource group per stack, named rg-<app>-<env>, in the app's location", () => {
  expect(r.resources(DEV, "azurerm_resource_group")).toEqual({
    [rgId(r, DEV)]: { name: "rg-diabetes-dev", location: "westeurope", tags: { ...BASE_TAGS, environment: "dev" } },
  });
  expect(r.only(PROD, "azurerm_resource_group")).toEqual({
    name: "rg-diabetes-prod",
    location: "westeurope",
    tags: { ...BASE_TAGS, environment: "prod", criticality: "high" },
  });
});

test("every other resource with a location and group takes both from the resource group", () => {
  const id = rgId(r, DEV);
  const resources = r.stack(DEV).resource as Record<string, Record<string, Json>>;
  let checked = 0;
  for (const [type, byId] of Object.entries(resources)) {
    for (const res of Object.values(byId)) {
      if (type === "azurerm_resource_group") continue;
      if ("location" in res) {
        expect(res.location).toBe(`\${azurerm_resource_group.${id}.location}`);
        checked++;
      }
      if ("resource_group_name" in res) expect(res.resource_group_name).toBe(`\${azurerm_resource_group.${id}.name}`);
    }
  }
  // Nine resources, plus the Event Grid system topic of the Event Grid blob trigger.
  expect(checked).toBe(10);
});

test("an environment's location and resource group override win over the app's", () => {
  const c = defaultConfig();
  const dev = (c.environments as Record<string, Json>).dev as Json;
  dev.location = "northeurope";
  dev.names = { resourceGroup: "rg-ml-(dev).x" };
  const o = synth(c);
  expect(o.only(DEV, "azurerm_resource_group")).toEqual(expect.objectContaining({ name: "rg-ml-(dev).x", location: "northeurope" }));
  expect(o.only(PROD, "azurerm_resource_group")).toEqual(expect.objectContaining({ name: "rg-diabetes-prod", location: "westeurope" }));
});

test("the reserved tags cannot be overridden by the file's tags", () => {
  const c = defaultConfig();
  c.tags = { app: "other", environment: "x", "managed-by": "me", team: "ml" };
  const o = synth(c);
  expect(o.only(DEV, "azurerm_resource_group").tags).toEqual({ app: "diabetes", environment: "dev", "managed-by": "mlfunc", team: "ml" });
});
