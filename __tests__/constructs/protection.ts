/** Data-holding resources carry prevent_destroy, lifted per resource by an allow entry or per environment by protect: false. */
import { Testing, type TerraformStack } from "cdktf";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { loadDeployment } from "../../config/load";
import { buildStateApp } from "../../commands/bootstrap-state";
import { Json, SynthResult, defaultConfig, devOnly, scratch, synth } from "../support/synth";

const DEV = "diabetes-dev";
const DATA_TYPES = ["azurerm_storage_account", "azurerm_storage_container", "azurerm_container_registry", "azurerm_servicebus_namespace", "azurerm_servicebus_queue"];

/** `<type>.<logical id>` of every resource in the stack with prevent_destroy. */
function protectedAddresses(r: SynthResult, stack = DEV): string[] {
  const resources = (r.stack(stack).resource ?? {}) as Record<string, Record<string, Json>>;
  return Object.entries(resources)
    .flatMap(([type, byId]) => Object.entries(byId).filter(([, v]) => (v.lifecycle as Json | undefined)?.prevent_destroy === true).map(([id]) => `${type}.${id}`))
    .sort();
}

test("every data-holding resource, and only those, carries prevent_destroy by default", () => {
  const r = synth(devOnly(defaultConfig()));
  const addresses = protectedAddresses(r);
  expect(addresses.map((a) => a.split(".")[0]).sort()).toEqual([
    "azurerm_container_registry",
    "azurerm_servicebus_namespace",
    "azurerm_servicebus_queue",
    "azurerm_servicebus_queue",
    "azurerm_storage_account",
    "azurerm_storage_account",
    // input, output and Event Grid's dead letters
    "azurerm_storage_container",
    "azurerm_storage_container",
    "azurerm_storage_container",
  ]);
  expect(addresses.every((a) => DATA_TYPES.includes(a.split(".")[0] ?? ""))).toBe(true);
});

test("an allowDelete entry lifts prevent_destroy on the resources it names only", () => {
  const c = devOnly(defaultConfig());
  c.review = { allowDelete: [{ address: "azurerm_storage_container.*", reason: "containers renamed; drained in CHG-1234" }, { address: "diabetes-dev/azurerm_servicebus_queue.*", reason: "queue moved to a topic in CHG-1235" }] };
  const addresses = protectedAddresses(synth(c));
  expect(addresses.map((a) => a.split(".")[0]).sort()).toEqual(["azurerm_container_registry", "azurerm_servicebus_namespace", "azurerm_storage_account", "azurerm_storage_account"]);
});

test("protect: false on an environment leaves its resources unprotected, the others protected", () => {
  const c = defaultConfig();
  const envs = c.environments as Record<string, Json>;
  c.environments = { dev: { ...envs.dev, protect: false }, prod: envs.prod };
  const r = synth(c);
  expect(protectedAddresses(r, "diabetes-dev")).toEqual([]);
  expect(protectedAddresses(r, "diabetes-prod")).toHaveLength(9);
});

test("protect must be a boolean", () => {
  const c = devOnly(defaultConfig());
  (c.environments as Record<string, Json>).dev = { ...((c.environments as Record<string, Json>).dev ?? {}), protect: "no" };
  const { dir, cleanup } = scratch();
  try {
    writeFileSync(join(dir, "mlfunc.yaml"), stringify(c));
    expect(() => loadDeployment(join(dir, "mlfunc.yaml"))).toThrow(/environments\.dev\.protect \(line \d+\): "no" — must be a boolean, not a string/);
  } finally {
    cleanup();
  }
});

test("the state stack's storage is protected too", () => {
  const { dir, cleanup } = scratch();
  try {
    writeFileSync(join(dir, "mlfunc.yaml"), stringify(defaultConfig()));
    const app = buildStateApp(loadDeployment(join(dir, "mlfunc.yaml")), "00000000-0000-0000-0000-000000000001", join(dir, "out"));
    const json = JSON.parse(Testing.synth(app.node.findChild("diabetes-state") as TerraformStack, true)) as Json;
    const res = json.resource as Record<string, Record<string, Json>>;
    for (const type of ["azurerm_storage_account", "azurerm_storage_container"]) {
      for (const r of Object.values(res[type] ?? {})) expect(r.lifecycle).toEqual({ prevent_destroy: true });
    }
  } finally {
    cleanup();
  }
});
