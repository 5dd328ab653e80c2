import { GATED_TYPES, isCatchAll } from "../../config/patterns";
import { STATEFUL_AZURERM_TYPES } from "../../review/gates";
import { DATA_HOLDING_TYPES } from "../../constructs/protection";

test.each(["*", "**", "?*", "*.*", "diabetes-dev/*", "*_*", "?*_*", "*_*.*", "*/*_*", "diabetes-dev/*_*", "az*", "azurerm_*", "azurerm_*.*"])(
  "%j matches every guarded address: a catch-all",
  (pattern) => expect(isCatchAll(pattern)).toBe(true),
);

test.each([
  "azurerm_storage_container.data-storage_container-input_*",
  "diabetes-dev/azurerm_container_registry.*",
  "azurerm_storage_*",
  "azurerm_servicebus_queue.service-bus_queue-*",
  "*.registry_71CE07F6",
])("%j names some resources: not a catch-all", (pattern) => expect(isCatchAll(pattern)).toBe(false));

test("the catch-all probes cover every type the gate guards; prevent_destroy takes those that hold data", () => {
  expect([...GATED_TYPES].sort()).toEqual(Object.keys(STATEFUL_AZURERM_TYPES).sort());
  expect([...DATA_HOLDING_TYPES].sort()).toEqual([
    "azurerm_container_registry",
    "azurerm_key_vault",
    "azurerm_servicebus_namespace",
    "azurerm_servicebus_queue",
    "azurerm_servicebus_subscription",
    "azurerm_servicebus_topic",
    "azurerm_storage_account",
    "azurerm_storage_container",
    "azurerm_storage_queue",
    "azurerm_storage_share",
    "azurerm_storage_table",
  ]);
});
