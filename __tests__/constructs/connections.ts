import { App, TerraformStack } from "cdktf";
import { Json, SynthResult, defaultConfig, devOnly, synth } from "../support/synth";
import { IdentityConnections } from "../../constructs/connections";
import { ManagedIdentity } from "../../constructs/identity";
import { ResourceGroup } from "../../constructs/resource-group";
import { StorageAccount } from "../../constructs/storage";

const DEV = "diabetes-dev";
const PROD = "diabetes-prod";

let r: SynthResult;
/** The default file with its blob function on the polling source. */
let polling: SynthResult;
beforeAll(() => {
  r = synth();
  const c = defaultConfig();
  for (const f of c.functions as Json[]) if ((f.trigger as Json).type === "blob") (f.trigger as Json).source = "polling";
  polling = synth(c);
});

/** The role an assignment grants: its built-in name, or `custom "<name>"` for a role definition of this stack. */
function roleOf(result: SynthResult, stack: string, a: Json): string {
  if (typeof a.role_definition_name === "string") return a.role_definition_name;
  const m = /^\$\{azurerm_role_definition\.([^.]+)\.role_definition_resource_id\}$/.exec(String(a.role_definition_id));
  if (!m) throw new Error(`role_definition_id is not a role definition of this stack: ${String(a.role_definition_id)}`);
  const definition = result.resources(stack, "azurerm_role_definition")[m[1] ?? ""];
  if (!definition) throw new Error(`role_definition_id references a missing role definition ${m[1]}`);
  return `custom "${String(definition.name)}"`;
}

/** Each assignment as "role -> type:name" of the resource its scope references, sorted. */
function grants(result: SynthResult, stack = DEV): string[] {
  return Object.values(result.resources(stack, "azurerm_role_assignment"))
    .map((a) => {
      const m = /^\$\{([a-z_]+)\.([^.]+)\.id\}$/.exec(String(a.scope));
      if (!m) throw new Error(`scope is not a resource id reference: ${String(a.scope)}`);
      const [, type = "", id = ""] = m;
      const target = result.resources(stack, type)[id];
      if (!target) throw new Error(`scope references a missing resource ${type}.${id}`);
      return `${roleOf(result, stack, a)} -> ${type}:${String(target.name)}`;
    })
    .sort();
}

const withFunctions = (functions: Json[], sku = "B1"): SynthResult => {
  const c = defaultConfig();
  c.functions = functions;
  devOnly(c);
  (c.environments as { dev: Json }).dev = { plan: { sku } };
  return synth(c);
};

const HTTP = { name: "predict", trigger: { type: "http" } };
const BLOB = { name: "predict-blob", trigger: { type: "blob", inputPath: "input/{blobname}.json", outputPath: "output/{blobname}_out.json" } };
const EVENT_BLOB = { name: "predict-blob", trigger: { ...BLOB.trigger, source: "eventGrid" } };
const BUS = { name: "predict-queue", trigger: { type: "serviceBus", queue: "inqueue", outputQueue: "outqueue" } };

const HOST = "azurerm_storage_account:stdiabetesdevh0128c0";
const DATA = "azurerm_storage_account:stdiabetesdevd0128c0";
const BLOB_SERVICE_ROLE = `custom "mlfunc blob service properties (stdiabetesdevh0128c0)"`;

// Every app: the image pull, telemetry, and the host's own storage (blobs, and the diagnostic events table).
const BASE = [
  "AcrPull -> azurerm_container_registry:crdiabetesdev0128c0",
  "Monitoring Metrics Publisher -> azurerm_application_insights:appi-diabetes-dev",
  `Storage Blob Data Owner -> ${HOST}`,
  `Storage Table Data Contributor -> ${HOST}`,
];
// Blob triggers: the dispatch queue in the host account; blob service properties on both accounts
// (older extensions use the host account, newer the trigger's first); the trigger account's data.
const BLOB_GRANTS = [
  `Storage Queue Data Contributor -> ${HOST}`,
  `${BLOB_SERVICE_ROLE} -> ${HOST}`,
  `${BLOB_SERVICE_ROLE} -> ${DATA}`,
  `Storage Blob Data Owner -> ${DATA}`,
  `Storage Queue Data Contributor -> ${DATA}`,
];
// Event Grid blob triggers: the same dispatch queue and poison queue; blob data on the containers the
// function reads and writes only (no container scan, no $logs, no blob service properties); Event
// Grid's dead letters written as the same identity.
const EVENT_GRID_GRANTS = [
  `Storage Queue Data Contributor -> ${HOST}`,
  "Storage Blob Data Owner -> azurerm_storage_container:input",
  "Storage Blob Data Owner -> azurerm_storage_container:output",
  "Storage Blob Data Contributor -> azurerm_storage_container:eventgrid-deadletter",
  `Storage Queue Data Contributor -> ${DATA}`,
];
const BUS_DEDICATED = ["Azure Service Bus Data Receiver -> azurerm_servicebus_queue:inqueue", "Azure Service Bus Data Sender -> azurerm_servicebus_queue:outqueue"];
// Elastic Premium's target-based scaling reads the trigger queue's message count: the Manage right.
const BUS_PREMIUM = ["Azure Service Bus Data Owner -> azurerm_servicebus_queue:inqueue", "Azure Service Bus Data Sender -> azurerm_servicebus_queue:outqueue"];

test("the default dev app (B1) gets exactly eleven roles, each scoped to what it touches", () => {
  expect(grants(r)).toEqual([...BASE, ...EVENT_GRID_GRANTS, ...BUS_DEDICATED].sort());
  expect(grants(r)).toHaveLength(11);
});

test("the default dev app with a polling blob function gets the polling roles instead", () => {
  expect(grants(polling)).toEqual([...BASE, ...BLOB_GRANTS, ...BUS_DEDICATED].sort());
});

test("prod (EP1) gets the same roles on its own resources, with Data Owner on the trigger queue for scaling", () => {
  const prod = grants(r, PROD);
  expect(prod).toHaveLength(11);
  expect(prod).toContain("AcrPull -> azurerm_container_registry:crdiabetesprod86a5f1");
  expect(prod).toContain("Azure Service Bus Data Owner -> azurerm_servicebus_queue:inqueue");
  expect(prod).toContain("Azure Service Bus Data Sender -> azurerm_servicebus_queue:outqueue");
  expect(prod.filter((g) => g.startsWith("Azure Service Bus Data Receiver"))).toEqual([]);
});

test.each<[string, Json[], string, string[]]>([
  ["http only, Dedicated", [HTTP], "B1", BASE],
  ["http only, Elastic Premium", [HTTP], "EP1", BASE],
  ["blob only, Dedicated", [BLOB], "S1", [...BASE, ...BLOB_GRANTS]],
  ["blob only, Elastic Premium", [BLOB], "EP2", [...BASE, ...BLOB_GRANTS]],
  ["Event Grid blob only, Dedicated", [EVENT_BLOB], "B1", [...BASE, ...EVENT_GRID_GRANTS]],
  // One polling function brings back the account-wide role and the blob service properties role, which also cover the Event Grid one.
  [
    "polling and Event Grid blob functions",
    [BLOB, { name: "events", trigger: { type: "blob", inputPath: "events/{n}", outputPath: "results/{n}", source: "eventGrid" } }],
    "B1",
    [...BASE, ...BLOB_GRANTS, "Storage Blob Data Contributor -> azurerm_storage_container:eventgrid-deadletter"],
  ],
  ["Service Bus only, Dedicated", [BUS], "P1v3", [...BASE, ...BUS_DEDICATED]],
  ["Service Bus only, Elastic Premium", [BUS], "EP1", [...BASE, ...BUS_PREMIUM]],
  ["Service Bus without an output queue, Dedicated", [{ name: "q", trigger: { type: "serviceBus", queue: "jobs" } }], "B1", [...BASE, "Azure Service Bus Data Receiver -> azurerm_servicebus_queue:jobs"]],
  ["Service Bus without an output queue, Elastic Premium", [{ name: "q", trigger: { type: "serviceBus", queue: "jobs" } }], "EP3", [...BASE, "Azure Service Bus Data Owner -> azurerm_servicebus_queue:jobs"]],
])("%s: exactly the roles its triggers need", (_title, functions, sku, expected) => {
  expect(grants(withFunctions(functions, sku))).toEqual([...expected].sort());
});

test("no broad role anywhere: nothing that can list storage keys, re-enable shared keys or manage a whole namespace", () => {
  for (const stack of [DEV, PROD]) {
    for (const g of grants(r, stack)) expect(g).not.toMatch(/^(Owner|Contributor|Storage Account Contributor|Reader) ->/);
    const busScopes = Object.values(r.resources(stack, "azurerm_role_assignment"))
      .filter((a) => String(a.role_definition_name ?? "").startsWith("Azure Service Bus"))
      .map((a) => String(a.scope));
    expect(busScopes.every((s) => s.startsWith("${azurerm_servicebus_queue."))).toBe(true);
  }
});

describe("the blob service properties role", () => {
  test("holds exactly the Blob service read and write actions, defined and assignable in the resource group only", () => {
    const rg = polling.ref(DEV, "azurerm_resource_group", "id");
    expect(polling.only(DEV, "azurerm_role_definition")).toEqual({
      name: "mlfunc blob service properties (stdiabetesdevh0128c0)",
      description:
        "Read and write a storage account's blob service properties, which the Functions blob trigger reads and updates (analytics logging) at startup.",
      scope: rg,
      assignable_scopes: [rg],
      permissions: [{ actions: ["Microsoft.Storage/storageAccounts/blobServices/read", "Microsoft.Storage/storageAccounts/blobServices/write"] }],
    });
  });

  test("is assigned by its role definition resource id (what Azure expects), not its Terraform id", () => {
    const custom = Object.values(polling.resources(DEV, "azurerm_role_assignment")).filter((a) => a.role_definition_id !== undefined);
    expect(custom).toHaveLength(2);
    for (const a of custom) {
      expect(a.role_definition_id).toBe(polling.ref(DEV, "azurerm_role_definition", "role_definition_resource_id"));
      expect(a.role_definition_name).toBeUndefined();
    }
  });

  test("has a name unique to the environment (Azure wants role names unique in the tenant)", () => {
    expect(polling.only(PROD, "azurerm_role_definition").name).toBe("mlfunc blob service properties (stdiabetesprodh86a5f1)");
  });

  test("is one definition however many blob functions there are, and none without a blob trigger", () => {
    const two = withFunctions([
      BLOB,
      { name: "predict-csv", trigger: { type: "blob", inputPath: "input/{name}.csv", outputPath: "output/{name}.json", dataType: "binary" } },
    ]);
    expect(Object.keys(two.resources(DEV, "azurerm_role_definition"))).toHaveLength(1);
    expect(grants(two)).toEqual([...BASE, ...BLOB_GRANTS].sort());
    expect(withFunctions([HTTP, BUS]).resources(DEV, "azurerm_role_definition")).toEqual({});
  });
});

test("Dedicated: one function's output queue read by another is one queue with a sender and a receiver", () => {
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

test("Elastic Premium: a trigger queue that is also an output gets Data Owner only, which includes send", () => {
  const o = withFunctions(
    [
      { name: "stage1", trigger: { type: "serviceBus", queue: "jobs", outputQueue: "scored" } },
      { name: "stage2", trigger: { type: "serviceBus", queue: "scored", outputQueue: "done" } },
    ],
    "EP1",
  );
  expect(grants(o)).toEqual(
    [
      ...BASE,
      "Azure Service Bus Data Owner -> azurerm_servicebus_queue:jobs",
      "Azure Service Bus Data Owner -> azurerm_servicebus_queue:scored",
      "Azure Service Bus Data Sender -> azurerm_servicebus_queue:done",
    ].sort(),
  );
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

test("a polling blob trigger without the resource group for its role is a construct error that says so", () => {
  const stack = new TerraformStack(new App({ stackTraces: false }), "s");
  const resourceGroup = new ResourceGroup(stack, "rg", { name: "rg-x", location: "westeurope" });
  const identity = new ManagedIdentity(stack, "id", { name: "id-x", resourceGroup });
  const hostStorage = new StorageAccount(stack, "host", { name: "sthost", resourceGroup });
  const dataStorage = new StorageAccount(stack, "data", { name: "stdata", resourceGroup, containers: ["input", "output"] });
  const functions = [{ name: "b", trigger: { type: "blob" as const, inputPath: "input/{n}", outputPath: "output/{n}", dataType: "text" as const, source: "polling" as const } }];
  expect(() => new IdentityConnections(stack, "c", { identity, functions, hostStorage, dataStorage })).toThrow("IdentityConnections: resourceGroup is required for a polling blob trigger");
});
