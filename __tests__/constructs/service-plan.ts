import { Json, SynthResult, defaultConfig, synth } from "../support/synth";

let r: SynthResult;
beforeAll(() => {
  r = synth();
});

const withPlan = (plan: Json): Json => {
  const c = defaultConfig();
  c.environments = { dev: { plan } };
  return synth(c).only("diabetes-dev", "azurerm_service_plan");
};

test("dev runs on one B1 Linux worker, with no elastic settings", () => {
  expect(r.only("diabetes-dev", "azurerm_service_plan")).toEqual({
    name: "asp-diabetes-dev",
    resource_group_name: expect.stringMatching(/^\$\{azurerm_resource_group\.[^.]+\.name\}$/),
    location: expect.stringMatching(/^\$\{azurerm_resource_group\.[^.]+\.location\}$/),
    os_type: "Linux",
    sku_name: "B1",
    worker_count: 1,
    tags: { app: "diabetes", environment: "dev", "managed-by": "mlfunc", owner: "ml-platform" },
  });
});

test("prod runs on EP1 with one always-ready worker, bursting to maxInstances", () => {
  expect(r.only("diabetes-prod", "azurerm_service_plan")).toEqual(
    expect.objectContaining({ name: "asp-diabetes-prod", os_type: "Linux", sku_name: "EP1", worker_count: 1, maximum_elastic_worker_count: 5 }),
  );
});

test("the function app is on its environment's plan", () => {
  for (const stack of ["diabetes-dev", "diabetes-prod"]) {
    const planId = Object.keys(r.resources(stack, "azurerm_service_plan"))[0] ?? "";
    expect(r.only(stack, "azurerm_linux_function_app").service_plan_id).toBe(`\${azurerm_service_plan.${planId}.id}`);
  }
});

test.each<[string, Json, Json]>([
  ["Dedicated minInstances is the worker count", { sku: "S1", minInstances: 2 }, { sku_name: "S1", worker_count: 2 }],
  ["Premium without maxInstances bursts to 3", { sku: "EP2" }, { sku_name: "EP2", worker_count: 1, maximum_elastic_worker_count: 3 }],
  ["Premium bursts at least to minInstances", { sku: "EP3", minInstances: 4 }, { sku_name: "EP3", worker_count: 4, maximum_elastic_worker_count: 4 }],
  ["default plan is B1", {}, { sku_name: "B1", worker_count: 1 }],
  ["P1v3", { sku: "P1v3", minInstances: 3 }, { sku_name: "P1v3", worker_count: 3 }],
])("%s", (_title, plan, expected) => {
  const p = withPlan(plan);
  expect(p).toEqual(expect.objectContaining({ os_type: "Linux", ...expected }));
  if (!("maximum_elastic_worker_count" in expected)) expect(p).not.toHaveProperty("maximum_elastic_worker_count");
});

test("the plan name override is used as given", () => {
  const c = defaultConfig();
  c.environments = { dev: { names: { servicePlan: "Plan-01" } } };
  expect(synth(c).only("diabetes-dev", "azurerm_service_plan").name).toBe("Plan-01");
});
