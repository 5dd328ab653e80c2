import { Json, SynthResult, synth } from "./support/synth";

const DEV = "diabetes-dev";

let r: SynthResult;
beforeAll(() => {
  r = synth();
});

const idOnly = (type: string): string => r.idOnly(DEV, type);
const ref = (type: string, attr: string): string => `\${${type}.${idOnly(type)}.${attr}}`;

test("one user-assigned identity, named id-<app>-<env>", () => {
  expect(r.only(DEV, "azurerm_user_assigned_identity")).toEqual({
    name: "id-diabetes-dev",
    resource_group_name: ref("azurerm_resource_group", "name"),
    location: ref("azurerm_resource_group", "location"),
    tags: { app: "diabetes", environment: "dev", "managed-by": "mlfunc", owner: "ml-platform" },
  });
  expect(r.only("diabetes-prod", "azurerm_user_assigned_identity").name).toBe("id-diabetes-prod");
});

test("every role assignment goes to that identity as a service principal, skipping the Entra ID replication check", () => {
  const assignments = Object.values(r.resources(DEV, "azurerm_role_assignment"));
  expect(assignments).toHaveLength(8);
  for (const a of assignments) {
    expect(a).toEqual(
      expect.objectContaining({
        principal_id: ref("azurerm_user_assigned_identity", "principal_id"),
        principal_type: "ServicePrincipal",
        skip_service_principal_aad_check: true,
      }),
    );
    expect(Object.keys(a).sort()).toEqual(["principal_id", "principal_type", "role_definition_name", "scope", "skip_service_principal_aad_check"]);
  }
});

test("the function app runs as that identity only (no system-assigned identity)", () => {
  const app = r.only(DEV, "azurerm_linux_function_app");
  expect(app.identity).toEqual({ type: "UserAssigned", identity_ids: [ref("azurerm_user_assigned_identity", "id")] });
  expect(app.key_vault_reference_identity_id).toBe(ref("azurerm_user_assigned_identity", "id"));
});

test("every identity-based connection names the identity's client id", () => {
  const settings = r.only(DEV, "azurerm_linux_function_app").app_settings as Json;
  const clientIds = Object.entries(settings).filter(([k]) => k.endsWith("__clientId"));
  expect(clientIds.map(([k]) => k).sort()).toEqual(["AzureWebJobsStorage__clientId", "MLFUNC_TRIGGER_SERVICEBUS__clientId", "MLFUNC_TRIGGER_STORAGE__clientId"]);
  for (const [, v] of clientIds) expect(v).toBe(ref("azurerm_user_assigned_identity", "client_id"));
});
