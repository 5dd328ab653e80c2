/**
 * How an environment gets the image stack's digest: read from that stack's state, checked, and
 * pulled from the shared registry (AcrPull there) or imported by digest into its own registry.
 */
import { Json, SynthResult, defaultConfig, synth } from "../support/synth";

const DEV = "diabetes-dev";
const PROD = "diabetes-prod";

let r: SynthResult;
beforeAll(() => {
  r = synth();
});

const out = (stack: string, name: string): string => `\${${r.imageOutput(stack, name)}}`;
const digestCheck = (stack: string): [string, Json] => {
  const entry = Object.entries(r.resources(stack, "terraform_data")).find(([id]) => id.startsWith("image_digest_"));
  if (!entry) throw new Error(`no digest check in ${stack}`);
  return entry;
};

test("the digest check fails the plan until the image stack has pushed, naming the stack to deploy first", () => {
  for (const stack of [DEV, PROD, "diabetes-canary"]) {
    const [, check] = digestCheck(stack);
    expect(check.input).toBe(out(stack, "image_digest"));
    expect(check.lifecycle).toEqual({
      precondition: [
        {
          condition: `\${can(regex("^sha256:[0-9a-f]{64}$", ${r.imageOutput(stack, "image_digest")}))}`,
          error_message: "No image in the state of diabetes-image yet: deploy it first (npm run deploy -- diabetes-image), then this stack.",
        },
      ],
    });
  }
});

test("a shared-registry environment grants its identity AcrPull on the image stack's registry, and imports nothing", () => {
  const pulls = Object.values(r.resources(DEV, "azurerm_role_assignment")).filter((a) => a.role_definition_name === "AcrPull");
  expect(pulls).toEqual([
    {
      scope: out(DEV, "registry_id"),
      role_definition_name: "AcrPull",
      principal_id: r.ref(DEV, "azurerm_user_assigned_identity", "principal_id"),
      principal_type: "ServicePrincipal",
      skip_service_principal_aad_check: true,
    },
  ]);
  expect(Object.values(r.resources(DEV, "azapi_resource_action")).filter((a) => a.action === "importImage")).toEqual([]);
});

test("an own-registry environment imports the image stack's digest from the shared registry, with no build and no pull grant there", () => {
  const [checkId] = digestCheck(PROD);
  expect(r.resources(PROD, "azapi_resource_action")[r.importId(PROD)]).toEqual({
    type: "Microsoft.ContainerRegistry/registries@2023-07-01",
    resource_id: r.ref(PROD, "azurerm_container_registry", "id"),
    action: "importImage",
    method: "POST",
    body: {
      source: { resourceId: out(PROD, "registry_id"), sourceImage: `${out(PROD, "repository")}@${out(PROD, "image_digest")}` },
      targetTags: [`${out(PROD, "repository")}:${out(PROD, "image_tag")}`],
      mode: "Force",
    },
    depends_on: [`terraform_data.${checkId}`],
  });
  const scopes = Object.values(r.resources(PROD, "azurerm_role_assignment")).map((a) => String(a.scope));
  expect(scopes.filter((s) => s.includes("terraform_remote_state"))).toEqual([]);
  expect(r.resources(PROD, "docker_image")).toEqual({});
  expect(((r.stack(PROD).terraform as Json).required_providers as Json).azapi).toEqual({ source: "Azure/azapi", version: "2.11.0" });
});

test("registry: own on Container Apps pulls the imported digest from the environment's registry", () => {
  const c = defaultConfig();
  (c.environments as Record<string, Json>).canary!.registry = "own";
  const o = synth(c);
  const app = Object.values(o.resources("diabetes-canary", "azapi_resource")).find((a) => String(a.type).startsWith("Microsoft.App/containerApps@")) as Json;
  const props = (app.body as Json).properties as Json;
  const login = o.ref("diabetes-canary", "azurerm_container_registry", "login_server");
  expect((props.configuration as Json).registries).toEqual([{ server: login, identity: o.ref("diabetes-canary", "azurerm_user_assigned_identity", "id") }]);
  const image = (((props.template as Json).containers as Json[])[0] as Json).image;
  expect(image).toBe(`${login}/\${${o.imageOutput("diabetes-canary", "repository")}}@\${${o.imageOutput("diabetes-canary", "image_digest")}}`);
  expect(app.depends_on).toContain(`azapi_resource_action.${o.importId("diabetes-canary")}`);
  // One azapi provider serves both the container app and the import.
  expect(Object.keys((o.stack("diabetes-canary").provider as Json) ?? {}).sort()).toEqual(["azapi", "azurerm"]);
});
