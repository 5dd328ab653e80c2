import { spawnSync } from "node:child_process";
import { App, TerraformStack, Testing } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { Json, SynthResult, scratch, synth } from "../support/synth";
import { ManagedIdentity } from "../../constructs/identity";
import { ResourceGroup } from "../../constructs/resource-group";

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
  expect(assignments).toHaveLength(11);
  for (const a of assignments) {
    expect(a).toEqual(
      expect.objectContaining({
        principal_id: ref("azurerm_user_assigned_identity", "principal_id"),
        principal_type: "ServicePrincipal",
        skip_service_principal_aad_check: true,
      }),
    );
    // A role by name (built-in) or by role definition id (custom), never both.
    const role = a.role_definition_name !== undefined ? "role_definition_name" : "role_definition_id";
    expect(Object.keys(a).sort()).toEqual(["principal_id", "principal_type", role, "scope", "skip_service_principal_aad_check"].sort());
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

describe("role propagation wait", () => {
  const propagation = (): Json => {
    const [wait, ...more] = Object.entries(r.resources(DEV, "terraform_data")).filter(([id]) => id.startsWith("identity_role-propagation"));
    if (!wait || more.length > 0) throw new Error("expected one role propagation wait");
    return wait[1];
  };

  test("one terraform_data waits after every assignment: its trigger lists all of their ids", () => {
    const wait = propagation();
    const ids = Object.keys(r.resources(DEV, "azurerm_role_assignment")).map((id) => `\${azurerm_role_assignment.${id}.id}`);
    expect([...((wait.triggers_replace as Json).roleAssignments as string[])].sort()).toEqual(ids.sort());
    expect(Object.keys(wait).filter((k) => k !== "//").sort()).toEqual(["provisioner", "triggers_replace"]);
  });

  test("it sleeps 600 s (Azure's documented propagation time) with Node.js, no shell", () => {
    expect(propagation().provisioner).toEqual([
      {
        "local-exec": {
          interpreter: ["node", "-e"],
          command: 'console.log("mlfunc: waiting 600 s for new role assignments to take effect"); setTimeout(() => {}, 600000);',
        },
      },
    ]);
  });

  test("the command runs under Node.js, prints what it waits for and exits 0", () => {
    const { stack } = identityStack(1);
    const waits = Object.values((stack.resource as { terraform_data: Record<string, { provisioner: Array<Record<string, { interpreter: string[]; command: string }>> }> }).terraform_data);
    expect(waits).toHaveLength(1);
    const [provisioner] = waits[0]?.provisioner ?? [];
    const exec = provisioner?.["local-exec"];
    if (!exec) throw new Error("no local-exec provisioner");
    const [interpreter = "", ...args] = exec.interpreter;
    const run = spawnSync(interpreter === "node" ? process.execPath : interpreter, [...args, exec.command], { encoding: "utf8" });
    expect({ status: run.status, stdout: run.stdout }).toEqual({ status: 0, stdout: "mlfunc: waiting 1 s for new role assignments to take effect\n" });
  });

  test("rolePropagationSeconds: 0 turns the wait off; what a host waits for is then the assignments alone", () => {
    const { stack, identity } = identityStack(0);
    expect((stack.resource as Json).terraform_data).toBeUndefined();
    expect(identity.grantsReady).toEqual(identity.roleAssignments);
  });

  test.each([-1, 1.5, Number.NaN])("rolePropagationSeconds %p is refused", (seconds) => {
    expect(() => identityStack(seconds)).toThrow(`ManagedIdentity: rolePropagationSeconds must be a whole number of seconds, 0 or more; got ${seconds}`);
  });
});

test("grant takes a built-in role by name or a role by its definition id", () => {
  const { stack } = identityStack(0);
  const assignments = Object.entries((stack.resource as { azurerm_role_assignment: Record<string, Json> }).azurerm_role_assignment);
  expect(assignments.map(([id]) => id).sort()).toEqual(["by-id", "by-name"]);
  const byId = (id: string) => assignments.find(([key]) => key === id)?.[1];
  expect(byId("by-name")).toEqual(expect.objectContaining({ role_definition_name: "Reader" }));
  expect(byId("by-name")?.role_definition_id).toBeUndefined();
  expect(byId("by-id")).toEqual(
    expect.objectContaining({ role_definition_id: "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7" }),
  );
  expect(byId("by-id")?.role_definition_name).toBeUndefined();
});

/** A stack with one identity and two grants (by name and by id), synthesized. */
function identityStack(seconds: number): { stack: Json; identity: ManagedIdentity } {
  const { dir, cleanup } = scratch();
  try {
    const app = new App({ outdir: dir, stackTraces: false });
    const s = new TerraformStack(app, "s");
    new AzurermProvider(s, "azurerm", { features: [{}] });
    const resourceGroup = new ResourceGroup(s, "rg", { name: "rg-x", location: "westeurope" });
    const identity = new ManagedIdentity(s, "identity", { name: "id-x", resourceGroup, rolePropagationSeconds: seconds });
    identity.grant(s, "by-name", "Reader", resourceGroup.resource.id);
    identity.grant(s, "by-id", { roleDefinitionId: "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7" }, resourceGroup.resource.id);
    identity.grantsReady;
    return { stack: JSON.parse(Testing.synth(s, true)) as Json, identity };
  } finally {
    cleanup();
  }
}
