/** The typed azapi binding: argument names and shapes as azapi 2.x documents them. */
import { Testing, TerraformOutput, TerraformStack } from "cdktf";
import { AZAPI_PROVIDER_VERSION, AzapiProvider, AzapiResource } from "../../constructs/azapi";
import { scratch } from "../support/synth";

type Json = Record<string, unknown>;

function synthStack(build: (stack: TerraformStack) => void): Json {
  // Testing.app() would leave its own temp folder behind: one that is removed instead.
  const { dir, cleanup } = scratch();
  try {
    const stack = new TerraformStack(Testing.app({ outdir: dir }), "s");
    build(stack);
    return JSON.parse(Testing.synth(stack)) as Json;
  } finally {
    cleanup();
  }
}

test("the provider block is pinned to an exact azapi release from Azure/azapi", () => {
  const tf = synthStack((s) => new AzapiProvider(s, "azapi"));
  expect(AZAPI_PROVIDER_VERSION).toMatch(/^2\.\d+\.\d+$/);
  expect(((tf.terraform as Json).required_providers as Json).azapi).toEqual({ source: "Azure/azapi", version: AZAPI_PROVIDER_VERSION });
  expect((tf.provider as Json).azapi).toEqual([{}]);
});

test("azapi_resource: body is an object (azapi 2.x), identity a list block, optional arguments left out when unset", () => {
  const tf = synthStack((s) => {
    new AzapiProvider(s, "azapi");
    const r = new AzapiResource(s, "r", {
      type: "Microsoft.App/containerApps@2025-02-02-preview",
      name: "ca-x",
      parentId: "/subscriptions/0/resourceGroups/rg",
      location: "westeurope",
      body: { kind: "functionapp", properties: { configuration: { ingress: { external: true } }, skipped: undefined } },
      identity: { type: "UserAssigned", identityIds: ["/id"] },
      replaceTriggersRefs: ["kind"],
      responseExportValues: ["properties.configuration.ingress.fqdn"],
    });
    new AzapiResource(s, "minimal", { type: "Microsoft.App/managedEnvironments@2025-02-02-preview", name: "cae", parentId: "/rg", body: {}, dependsOn: [r] });
  });
  const resources = (tf.resource as Json).azapi_resource as Record<string, Json>;
  const { "//": _meta, ...r } = resources.r as Json;
  expect(r).toEqual({
    type: "Microsoft.App/containerApps@2025-02-02-preview",
    name: "ca-x",
    parent_id: "/subscriptions/0/resourceGroups/rg",
    location: "westeurope",
    body: { kind: "functionapp", properties: { configuration: { ingress: { external: true } } } },
    identity: [{ type: "UserAssigned", identity_ids: ["/id"] }],
    replace_triggers_refs: ["kind"],
    response_export_values: ["properties.configuration.ingress.fqdn"],
  });
  const { "//": _m2, ...minimal } = resources.minimal as Json;
  expect(minimal).toEqual({ type: "Microsoft.App/managedEnvironments@2025-02-02-preview", name: "cae", parent_id: "/rg", body: {}, depends_on: ["azapi_resource.r"] });
});

test("outputs are references into the exported response", () => {
  const tf = synthStack((s) => {
    const r = new AzapiResource(s, "r", { type: "Microsoft.App/containerApps@2025-02-02-preview", name: "ca", parentId: "/rg", body: {} });
    new TerraformOutput(s, "fqdn", { value: r.output("properties.configuration.ingress.fqdn") });
  });
  expect((tf.output as Json).fqdn).toEqual({ value: "${azapi_resource.r.output.properties.configuration.ingress.fqdn}" });
});
