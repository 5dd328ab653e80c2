import { Json, SynthResult, defaultConfig, synth } from "../support/synth";

const DEV = "diabetes-dev";

let r: SynthResult;
beforeAll(() => {
  r = synth();
});

const nsRef = (result: SynthResult, attr: string): string =>
  `\${azurerm_servicebus_namespace.${Object.keys(result.resources(DEV, "azurerm_servicebus_namespace"))[0] ?? ""}.${attr}}`;

const withFunctions = (functions: Json[], dev: Json = {}): SynthResult => {
  const c = defaultConfig();
  c.functions = functions;
  // Only the dev stack: one synthesis per variant keeps the file fast.
  c.environments = { dev: { ...((c.environments as Record<string, Json>).dev as Json), ...dev } };
  return synth(c);
};

test("the namespace has SAS keys off and TLS 1.2, Standard by default", () => {
  expect(r.only(DEV, "azurerm_servicebus_namespace")).toEqual({
    name: "sb-diabetes-dev-0128c0",
    resource_group_name: expect.stringMatching(/^\$\{azurerm_resource_group\.[^.]+\.name\}$/),
    location: expect.stringMatching(/^\$\{azurerm_resource_group\.[^.]+\.location\}$/),
    sku: "Standard",
    local_auth_enabled: false,
    minimum_tls_version: "1.2",
    tags: { app: "diabetes", environment: "dev", "managed-by": "mlfunc", owner: "ml-platform" },
    lifecycle: { prevent_destroy: true },
  });
});

test("exactly the trigger and output queues exist, dead-lettering after 10 deliveries", () => {
  const queue = (name: string): Json => ({ name, namespace_id: nsRef(r, "id"), max_delivery_count: 10, dead_lettering_on_message_expiration: true, lifecycle: { prevent_destroy: true } });
  expect(Object.values(r.resources(DEV, "azurerm_servicebus_queue"))).toEqual([queue("inqueue"), queue("outqueue")]);
});

test("the app connects by fully qualified namespace and identity", () => {
  const settings = r.only(DEV, "azurerm_linux_function_app").app_settings as Json;
  expect(settings).toEqual(
    expect.objectContaining({
      MLFUNC_TRIGGER_SERVICEBUS__fullyQualifiedNamespace: `${nsRef(r, "name")}.servicebus.windows.net`,
      MLFUNC_TRIGGER_SERVICEBUS__credential: "managedidentity",
    }),
  );
  expect(JSON.stringify(r.stack(DEV))).not.toContain("azurerm_servicebus_namespace_authorization_rule");
});

test("a Service Bus function without an output queue creates only its trigger queue", () => {
  const o = withFunctions([{ name: "score", trigger: { type: "serviceBus", queue: "jobs" } }]);
  expect(Object.values(o.resources(DEV, "azurerm_servicebus_queue")).map((q) => q.name)).toEqual(["jobs"]);
});

test("Premium gets one messaging unit and one partition", () => {
  const o = withFunctions([{ name: "score", trigger: { type: "serviceBus", queue: "jobs" } }], { serviceBusSku: "Premium" });
  expect(o.only(DEV, "azurerm_servicebus_namespace")).toEqual(expect.objectContaining({ sku: "Premium", capacity: 1, premium_messaging_partitions: 1 }));
});

test("Basic and Standard set no capacity", () => {
  const o = withFunctions([{ name: "score", trigger: { type: "serviceBus", queue: "jobs" } }], { serviceBusSku: "Basic" });
  const ns = o.only(DEV, "azurerm_servicebus_namespace");
  expect(ns.sku).toBe("Basic");
  expect(ns).not.toHaveProperty("capacity");
  expect(ns).not.toHaveProperty("premium_messaging_partitions");
});

test("with only an HTTP function there is no namespace, queue or Service Bus setting", () => {
  const o = withFunctions([{ name: "predict", trigger: { type: "http" } }]);
  expect(o.resources(DEV, "azurerm_servicebus_namespace")).toEqual({});
  expect(o.resources(DEV, "azurerm_servicebus_queue")).toEqual({});
  expect(Object.keys(o.only(DEV, "azurerm_linux_function_app").app_settings as Json).filter((k) => k.includes("SERVICEBUS"))).toEqual([]);
});
