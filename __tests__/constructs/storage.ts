import { Json, SynthResult, defaultConfig, devOnly, synth } from "../support/synth";

const DEV = "diabetes-dev";
const TAGS = { app: "diabetes", environment: "dev", "managed-by": "mlfunc", owner: "ml-platform" };


let r: SynthResult;
beforeAll(() => {
  r = synth();
});

/** Logical id of the one resource of `type` whose attributes include `match`. */
const idWhere = (result: SynthResult, type: string, match: Json): string => {
  const hits = Object.entries(result.resources(DEV, type)).filter(([, v]) => Object.entries(match).every(([k, m]) => v[k] === m));
  if (hits.length !== 1) throw new Error(`expected one ${type} with ${JSON.stringify(match)}, found ${hits.length}`);
  return hits[0]?.[0] ?? "";
};
const accountRef = (result: SynthResult, name: string, attr: string): string => `\${azurerm_storage_account.${idWhere(result, "azurerm_storage_account", { name })}.${attr}}`;

const secureAccount = (name: string): Json => ({
  name,
  resource_group_name: expect.stringMatching(/^\$\{azurerm_resource_group\.[^.]+\.name\}$/),
  location: expect.stringMatching(/^\$\{azurerm_resource_group\.[^.]+\.location\}$/),
  account_kind: "StorageV2",
  account_tier: "Standard",
  account_replication_type: "LRS",
  min_tls_version: "TLS1_2",
  https_traffic_only_enabled: true,
  allow_nested_items_to_be_public: false,
  shared_access_key_enabled: false,
  default_to_oauth_authentication: true,
  cross_tenant_replication_enabled: false,
  blob_properties: { versioning_enabled: false, delete_retention_policy: { days: 7 }, container_delete_retention_policy: { days: 7 } },
  tags: TAGS,
  // Data: a stray deploy cannot destroy it.
  lifecycle: { prevent_destroy: true },
});

test("host and data storage: HTTPS only, TLS 1.2, no public blobs, no shared keys", () => {
  const accounts = Object.values(r.resources(DEV, "azurerm_storage_account"));
  expect(accounts.map((a) => a.name).sort()).toEqual(["stdiabetesdevd0128c0", "stdiabetesdevh0128c0"]);
  for (const a of accounts) expect(a).toEqual(secureAccount(String(a.name)));
});

test("the data account holds private containers named by the blob paths, and Event Grid's dead letters, created through ARM", () => {
  expect(Object.values(r.resources(DEV, "azurerm_storage_container"))).toEqual([
    { name: "eventgrid-deadletter", storage_account_id: accountRef(r, "stdiabetesdevd0128c0", "id"), container_access_type: "private", lifecycle: { prevent_destroy: true } },
    { name: "input", storage_account_id: accountRef(r, "stdiabetesdevd0128c0", "id"), container_access_type: "private", lifecycle: { prevent_destroy: true } },
    { name: "output", storage_account_id: accountRef(r, "stdiabetesdevd0128c0", "id"), container_access_type: "private", lifecycle: { prevent_destroy: true } },
  ]);
});

test("the function host uses the host account by identity", () => {
  const app = r.only(DEV, "azurerm_linux_function_app");
  expect(app.storage_account_name).toBe(accountRef(r, "stdiabetesdevh0128c0", "name"));
  expect(app.storage_uses_managed_identity).toBe(true);
  expect(app).not.toHaveProperty("storage_account_access_key");
});

test("the azurerm provider reaches storage data planes with Entra ID", () => {
  for (const stack of ["diabetes-dev", "diabetes-prod"]) {
    expect((r.stack(stack).provider as Json).azurerm).toEqual([{ features: [{}], storage_use_azuread: true }]);
  }
});

test("two blob functions sharing a container create it once", () => {
  const c = defaultConfig();
  (c.functions as Json[]).push({ name: "predict-csv", trigger: { type: "blob", inputPath: "input/{name}.csv", outputPath: "results/{name}.json" } });
  const o = synth(devOnly(c));
  expect(Object.values(o.resources(DEV, "azurerm_storage_container")).map((x) => x.name)).toEqual(["eventgrid-deadletter", "input", "output", "results"]);
  expect(Object.keys(o.resources(DEV, "azurerm_storage_account"))).toHaveLength(2);
});

test("with no blob function there is no data account and no container", () => {
  const c = defaultConfig();
  c.functions = [{ name: "predict", trigger: { type: "http" } }];
  const o = synth(devOnly(c));
  expect(Object.values(o.resources(DEV, "azurerm_storage_account")).map((a) => a.name)).toEqual(["stdiabetesdevh0128c0"]);
  expect(o.resources(DEV, "azurerm_storage_container")).toEqual({});
});

test("storage account name overrides are used as given", () => {
  const c = defaultConfig();
  ((c.environments as Record<string, Json>).dev as Json).names = { hostStorageAccount: "sthost01", dataStorageAccount: "stdata01" };
  const o = synth(devOnly(c));
  expect(Object.values(o.resources(DEV, "azurerm_storage_account")).map((a) => a.name).sort()).toEqual(["stdata01", "sthost01"]);
});
