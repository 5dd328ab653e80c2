import { Json, SynthResult, defaultConfig, devOnly, synth } from "./support/synth";

const DEV = "diabetes-dev";

let r: SynthResult;
beforeAll(() => {
  r = synth();
});

/** Each assignment as "role -> type:name" of the resource its scope references, sorted. */
function grants(result: SynthResult, stack = DEV): string[] {
  return Object.values(result.resources(stack, "azurerm_role_assignment"))
    .map((a) => {
      const m = /^\$\{([a-z_]+)\.([^.]+)\.id\}$/.exec(String(a.scope));
      if (!m) throw new Error(`scope is not a resource id reference: ${String(a.scope)}`);
      const [, type = "", id = ""] = m;
      const target = result.resources(stack, type)[id];
      if (!target) throw new Error(`scope references a missing resource ${type}.${id}`);
      return `${String(a.role_definition_name)} -> ${type}:${String(target.name)}`;
    })
    .sort();
}

const withFunctions = (functions: Json[]): SynthResult => {
  const c = defaultConfig();
  c.functions = functions;
  devOnly(c);
  return synth(c);
};

const HTTP = { name: "predict", trigger: { type: "http" } };
const BLOB = { name: "predict-blob", trigger: { type: "blob", inputPath: "input/{blobname}.json", outputPath: "output/{blobname}_out.json" } };
const BUS = { name: "predict-queue", trigger: { type: "serviceBus", queue: "inqueue", outputQueue: "outqueue" } };

const BASE = [
  "AcrPull -> azurerm_container_registry:crdiabetesdev0128c0",
  "Monitoring Metrics Publisher -> azurerm_application_insights:appi-diabetes-dev",
  "Storage Blob Data Owner -> azurerm_storage_account:stdiabetesdevh0128c0",
];
// Account scope on the data account: the polling blob trigger reads the account's logs and blob service properties.
const BLOB_GRANTS = [
  "Storage Blob Data Owner -> azurerm_storage_account:stdiabetesdevd0128c0",
  "Storage Queue Data Contributor -> azurerm_storage_account:stdiabetesdevd0128c0",
  "Storage Queue Data Contributor -> azurerm_storage_account:stdiabetesdevh0128c0",
];
const BUS_GRANTS = ["Azure Service Bus Data Receiver -> azurerm_servicebus_queue:inqueue", "Azure Service Bus Data Sender -> azurerm_servicebus_queue:outqueue"];

test("the default app gets exactly eight roles, each scoped to what it touches", () => {
  expect(grants(r)).toEqual([...BASE, ...BLOB_GRANTS, ...BUS_GRANTS].sort());
  expect(grants(r)).toHaveLength(8);
});

test("prod gets the same role set on its own resources", () => {
  expect(grants(r, "diabetes-prod")).toHaveLength(8);
  expect(grants(r, "diabetes-prod")).toContain("AcrPull -> azurerm_container_registry:crdiabetesprod86a5f1");
});

test.each<[string, Json[], string[]]>([
  ["http only", [HTTP], BASE],
  ["blob only", [BLOB], [...BASE, ...BLOB_GRANTS]],
  ["Service Bus only", [BUS], [...BASE, ...BUS_GRANTS]],
  ["Service Bus without an output queue", [{ name: "q", trigger: { type: "serviceBus", queue: "jobs" } }], [...BASE, "Azure Service Bus Data Receiver -> azurerm_servicebus_queue:jobs"]],
])("%s: exactly the roles its triggers need", (_title, functions, expected) => {
  expect(grants(withFunctions(functions))).toEqual([...expected].sort());
});

test("two blob functions share the data account's assignments", () => {
  const o = withFunctions([
    BLOB,
    { name: "predict-csv", trigger: { type: "blob", inputPath: "input/{name}.csv", outputPath: "output/{name}.json", dataType: "binary" } },
  ]);
  expect(grants(o)).toEqual([...BASE, ...BLOB_GRANTS].sort());
});

test("one function's output queue read by another is one queue with a sender and a receiver", () => {
  const o = withFunctions([
    { name: "stage1", trigger: { type: "serviceBus", queue: "jobs", outputQueue: "scored" } },
    { name: "stage2", trigger: { type: "serviceBus", queue: "scored", outputQueue: "done" } },
  ]);
  expect(grants(o)).toEqual(
    [
      ...BASE,
      "Azure Service Bus Data Receiver -> azurerm_servicebus_queue:jobs",
      "Azure Service Bus Data Receiver -> azurerm_servicebus_queue:scored",
      "Azure Service Bus Data Sender -> azurerm_servicebus_queue:done",
      "Azure Service Bus Data Sender -> azurerm_servicebus_queue:scored",
    ].sort(),
  );
  expect(Object.values(o.resources(DEV, "azurerm_servicebus_queue")).map((q) => q.name)).toEqual(["done", "jobs", "scored"]);
});

test("trigger settings point at the data account endpoints with the identity", () => {
  const settings = r.only(DEV, "azurerm_linux_function_app").app_settings as Json;
  const dataId = Object.entries(r.resources(DEV, "azurerm_storage_account")).find(([, a]) => a.name === "stdiabetesdevd0128c0")?.[0];
  const clientId = `\${azurerm_user_assigned_identity.${Object.keys(r.resources(DEV, "azurerm_user_assigned_identity"))[0]}.client_id}`;
  expect(settings).toEqual(
    expect.objectContaining({
      MLFUNC_TRIGGER_STORAGE__blobServiceUri: `\${azurerm_storage_account.${dataId}.primary_blob_endpoint}`,
      MLFUNC_TRIGGER_STORAGE__queueServiceUri: `\${azurerm_storage_account.${dataId}.primary_queue_endpoint}`,
      MLFUNC_TRIGGER_STORAGE__credential: "managedidentity",
      MLFUNC_TRIGGER_STORAGE__clientId: clientId,
      MLFUNC_TRIGGER_SERVICEBUS__credential: "managedidentity",
      MLFUNC_TRIGGER_SERVICEBUS__clientId: clientId,
    }),
  );
});

test("an http-only app has no data account, no Service Bus and no trigger settings", () => {
  const o = withFunctions([HTTP]);
  expect(Object.keys(o.resources(DEV, "azurerm_storage_account"))).toHaveLength(1);
  expect(o.resources(DEV, "azurerm_servicebus_namespace")).toEqual({});
  const keys = Object.keys(o.only(DEV, "azurerm_linux_function_app").app_settings as Json);
  expect(keys.filter((k) => k.startsWith("MLFUNC_TRIGGER_"))).toEqual([]);
});
