/** `smoke.testers`: the roles `npm run smoke` needs, granted to named principals, in synthesized JSON. */
import { Json, SynthResult, defaultConfig, synth, synthError } from "./support/synth";

const CI = "11111111-2222-3333-4444-555555555555";
const DEV = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";

function grantsTo(result: SynthResult, stack: string, principal: string): { role: unknown; scope: unknown; type: unknown }[] {
  return Object.values(result.resources(stack, "azurerm_role_assignment"))
    .filter((r) => r.principal_id === principal)
    .map((r) => ({ role: r.role_definition_name, scope: r.scope, type: r.principal_type }))
    .sort((a, b) => `${String(a.role)}${String(a.scope)}`.localeCompare(`${String(b.role)}${String(b.scope)}`));
}

describe("smoke testers", () => {
  let result: SynthResult;

  beforeAll(() => {
    const c = defaultConfig();
    c.smoke = { testers: [{ principalId: CI, type: "ServicePrincipal" }] };
    (c.environments as Record<string, Json>).dev = { plan: { sku: "B1" }, smoke: { testers: [{ principalId: DEV, type: "User" }] } };
    result = synth(c);
  });

  test("each tester gets blob data on the trigger account, send/receive on the queues and key listing on the app", () => {
    const dataAccount = Object.entries(result.resources("diabetes-prod", "azurerm_storage_account")).find(([id]) => id.includes("data"))?.[0];
    const queue = (name: string) => Object.entries(result.resources("diabetes-prod", "azurerm_servicebus_queue")).find(([, q]) => q.name === name)?.[0];
    expect(grantsTo(result, "diabetes-prod", CI)).toEqual([
      { role: "Azure Service Bus Data Receiver", scope: `\${azurerm_servicebus_queue.${queue("inqueue")}.id}`, type: "ServicePrincipal" },
      { role: "Azure Service Bus Data Receiver", scope: `\${azurerm_servicebus_queue.${queue("outqueue")}.id}`, type: "ServicePrincipal" },
      { role: "Azure Service Bus Data Sender", scope: `\${azurerm_servicebus_queue.${queue("inqueue")}.id}`, type: "ServicePrincipal" },
      { role: "Storage Blob Data Contributor", scope: `\${azurerm_storage_account.${dataAccount}.id}`, type: "ServicePrincipal" },
      { role: "Website Contributor", scope: result.ref("diabetes-prod", "azurerm_linux_function_app", "id"), type: "ServicePrincipal" },
    ]);
  });

  test("an environment's own testers replace the top-level list", () => {
    expect(grantsTo(result, "diabetes-dev", CI)).toEqual([]);
    expect(grantsTo(result, "diabetes-dev", DEV)).toHaveLength(5);
    expect(grantsTo(result, "diabetes-dev", DEV).every((g) => g.type === "User")).toBe(true);
  });

  test("no testers, no grants beyond the app's own", () => {
    const plain = synth(defaultConfig());
    const principals = new Set(Object.values(plain.resources("diabetes-dev", "azurerm_role_assignment")).map((r) => r.principal_id));
    expect([...principals]).toEqual([plain.ref("diabetes-dev", "azurerm_user_assigned_identity", "principal_id")]);
  });

  test("only what the functions need: an anonymous HTTP-only app grants nothing", () => {
    const c = defaultConfig();
    c.functions = [{ name: "predict", trigger: { type: "http", authLevel: "anonymous" } }];
    c.smoke = { testers: [{ principalId: CI }] };
    expect(grantsTo(synth(c), "diabetes-dev", CI)).toEqual([]);
  });

  test("a principal id that is not a GUID is rejected with the fix", () => {
    const c = defaultConfig();
    c.smoke = { testers: [{ principalId: "ci-bot" }] };
    expect(synthError(c)).toContain(
      'smoke.testers[0].principalId (line 52): "ci-bot" — must be an Entra ID object id (a GUID); e.g. az ad signed-in-user show --query id -o tsv',
    );
  });
});
