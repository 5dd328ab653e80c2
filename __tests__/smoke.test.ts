import { synth, synthError, defaultConfig } from "./support/synth";

test("default example synthesizes a dev and a prod stack", () => {
  const r = synth();
  expect(Object.keys(r.stacks).sort()).toEqual(["diabetes-dev", "diabetes-prod"]);
  expect(r.only("diabetes-prod", "azurerm_service_plan").sku_name).toBe("EP1");
});

test("a consumption SKU is rejected", () => {
  const c = defaultConfig();
  (c.environments as Record<string, { plan: { sku: string } }>).dev!.plan.sku = "Y1";
  expect(synthError(c)).toContain("Consumption (Y1) plans cannot run custom containers");
});
