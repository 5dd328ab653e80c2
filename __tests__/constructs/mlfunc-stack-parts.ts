/** MlfuncStack as a library user sees it: typed parts, extra app settings and tags. */
import { App, Testing } from "cdktf";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { loadDeployment, type Deployment } from "../../config/load";
import { MlfuncStack, type MlfuncStackProps } from "../../constructs/mlfunc-stack";
import { FunctionApp } from "../../constructs/function-app";
import { ContainerApp } from "../../constructs/container-app";
import { ContainerAppsEnvironment } from "../../constructs/container-apps-environment";
import { defaultConfig, devOnly, scratch, type Json } from "../support/synth";

const work = scratch();
afterAll(() => work.cleanup());

function deployment(): Deployment {
  const file = join(work.dir, "mlfunc.yaml");
  writeFileSync(file, stringify(devOnly(defaultConfig())));
  return loadDeployment(file);
}

function stack(extra: Partial<MlfuncStackProps> = {}): MlfuncStack {
  const d = deployment();
  const env = d.environments[0];
  if (!env) throw new Error("no environment");
  // Any existing folder serves as the build context: nothing is synthesized to disk here.
  return new MlfuncStack(new App({ outdir: join(work.dir, "out") }), env.stackName, {
    environment: env,
    functions: d.functions,
    buildContext: { dir: work.dir, hash: "0".repeat(64) },
    ...extra,
  });
}

test("every part is a typed property", () => {
  const s = stack();
  expect([s.resourceGroup, s.identity, s.monitoring, s.registry, s.image, s.hostStorage, s.dataStorage, s.serviceBus, s.connections, s.plan, s.functionApp].map((c) => c?.constructor.name)).toEqual([
    "ResourceGroup",
    "ManagedIdentity",
    "Monitoring",
    "Registry",
    "FunctionImage",
    "StorageAccount",
    "StorageAccount",
    "ServiceBus",
    "IdentityConnections",
    "ServicePlan",
    "FunctionApp",
  ]);
  expect(s.plan?.sku).toBe("B1");
  expect([...(s.dataStorage?.containers.keys() ?? [])]).toEqual(["eventgrid-deadletter", "input", "output"]);
  expect(s.blobEvents?.subscriptions.size).toBe(1);
  expect([...(s.serviceBus?.queues.keys() ?? [])]).toEqual(["inqueue", "outqueue"]);
  expect(s.registry.repository).toBe("diabetes");
  expect(s.image.tag).toBe("0".repeat(16));
});

test("extra app settings and tags reach the function app and every resource", () => {
  const json = JSON.parse(Testing.synth(stack({ appSettings: { SCORING_MODE: "shadow" }, tags: { "cost-center": "42" } }))) as Json;
  const resources = json.resource as Record<string, Record<string, Json>>;
  const app = Object.values(resources.azurerm_linux_function_app ?? {})[0] as Json;
  expect(app.app_settings).toEqual(expect.objectContaining({ SCORING_MODE: "shadow", AzureFunctionsJobHost__functionTimeout: "02:00:00" }));
  const tagged = Object.values(resources).flatMap((byId) => Object.values(byId)).filter((r) => "tags" in r);
  expect(tagged.length).toBeGreaterThan(5);
  for (const r of tagged) expect(r.tags).toEqual(expect.objectContaining({ "cost-center": "42", environment: "dev", "managed-by": "mlfunc" }));
});

const OWNED = "set by mlfunc itself";
const NAME_RULE = 'a setting name is one or more ASCII letters, digits, "_", "." or "-" (no spaces, no other characters)';
const KEEP_OUT = "keep secrets out of app settings: use the app's managed identity or a Key Vault reference (@Microsoft.KeyVault(SecretUri=...))";

describe("extra app settings cannot replace mlfunc's, whatever their case", () => {
  test.each<[Record<string, string>, string]>([
    [{ MLFUNC_TRIGGER_STORAGE__blobServiceUri: "x" }, `"MLFUNC_TRIGGER_STORAGE__blobServiceUri": ${OWNED} (every name starting with MLFUNC_TRIGGER_STORAGE, in any case); use another name`],
    [{ MLFUNC_TRIGGER_SERVICEBUS__other: "x" }, `"MLFUNC_TRIGGER_SERVICEBUS__other": ${OWNED} (every name starting with MLFUNC_TRIGGER_SERVICEBUS, in any case); use another name`],
    [{ WEBSITES_ENABLE_APP_SERVICE_STORAGE: "true" }, `"WEBSITES_ENABLE_APP_SERVICE_STORAGE": ${OWNED} (every name starting with WEBSITE, in any case); use another name`],
    [{ AzureWebJobsStorage__accountName: "stevil" }, `"AzureWebJobsStorage__accountName": ${OWNED} (every name starting with AzureWebJobsStorage, in any case); use another name`],
    [{ azurewebjobsstorage__accountname: "stevil" }, `"azurewebjobsstorage__accountname": ${OWNED} (every name starting with AzureWebJobsStorage, in any case); use another name`],
    [{ AzureWebJobsStorage: "DefaultEndpointsProtocol=https;AccountName=x" }, `"AzureWebJobsStorage": ${OWNED} (every name starting with AzureWebJobsStorage, in any case); use another name`],
    [{ APPLICATIONINSIGHTS_CONNECTION_STRING: "IngestionEndpoint=https://attacker.example/" }, `"APPLICATIONINSIGHTS_CONNECTION_STRING": ${OWNED} (every name starting with APPLICATIONINSIGHTS_, in any case); use another name`],
    [{ functions_worker_runtime: "node" }, `"functions_worker_runtime": ${OWNED} (every name starting with FUNCTIONS_, in any case); use another name`],
    [{ AzureFunctionsJobHost__logging__logLevel__default: "None" }, `"AzureFunctionsJobHost__logging__logLevel__default": ${OWNED} (every name starting with AzureFunctionsJobHost__, in any case); use another name`],
    [{ "AzureWebJobsStorage__accountName ": "stevil" }, `"AzureWebJobsStorage__accountName ": ${NAME_RULE}`],
    [{ "": "x" }, `"": ${NAME_RULE}`],
    [{ "AzureWebJobsStorage__accountNam\u0435": "stevil" }, `"AzureWebJobsStorage__accountNam\\u0435": ${NAME_RULE}`],
    [{ "A B": "x" }, `"A B": ${NAME_RULE}`],
    [{ SCORING_DB: "Server=x;AccountKey=abc123==" }, `"SCORING_DB": holds a connection string with a literal AccountKey; ${KEEP_OUT}`],
    [{ DB_PASSWORD: "hunter2" }, `"DB_PASSWORD": holds a literal password; ${KEEP_OUT}`],
    [{ TLS_KEY: "-----BEGIN PRIVATE KEY-----\nMII..." }, `"TLS_KEY": holds a PEM private key; ${KEEP_OUT}`],
  ])("%j is refused", (appSettings, problem) => {
    expect(() => stack({ appSettings })).toThrow(new Error(`MlfuncStack diabetes-dev: appSettings: 1 problem\n  ${problem}`));
  });

  test("every problem at once; a Key Vault reference and ordinary names pass", () => {
    expect(() => stack({ appSettings: { websiteS_x: "1", " Y": "2", OK: "1" } })).toThrow(
      new Error(`MlfuncStack diabetes-dev: appSettings: 2 problems\n  "websiteS_x": ${OWNED} (every name starting with WEBSITE, in any case); use another name\n  " Y": ${NAME_RULE}`),
    );
    const json = JSON.parse(Testing.synth(stack({ appSettings: { DB_PASSWORD: "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/db/)", "scoring.mode-2": "a" } }))) as Json;
    const app = Object.values((json.resource as Record<string, Record<string, Json>>).azurerm_linux_function_app ?? {})[0] as Json;
    expect(app.app_settings).toEqual(expect.objectContaining({ DB_PASSWORD: "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/db/)", "scoring.mode-2": "a" }));
  });

  test("the app constructs check their own settings too, for apps composed without MlfuncStack or policy", () => {
    const s = stack();
    const plan = s.plan;
    if (!plan) throw new Error("no plan");
    const parts = { resourceGroup: s.resourceGroup, identity: s.identity, registry: s.registry, image: s.image, hostStorage: s.hostStorage, monitoring: s.monitoring };
    expect(() => new FunctionApp(s, "extra-app", { ...parts, name: "func-x", plan, appSettings: { ...s.connections.appSettings, applicationinsights_connection_string: "x", API_PASSWORD: "p" } })).toThrow(
      new Error(
        `FunctionApp extra-app: appSettings: 2 problems\n  "applicationinsights_connection_string": ${OWNED} (every name starting with APPLICATIONINSIGHTS_, in any case); use another name\n  "API_PASSWORD": holds a literal password; ${KEEP_OUT}`,
      ),
    );
    const environment = new ContainerAppsEnvironment(s, "extra-env", { name: "cae-x", resourceGroup: s.resourceGroup, monitoring: s.monitoring, workloadProfiles: ["Consumption"] });
    expect(() => new ContainerApp(s, "extra-aca", { ...parts, name: "ca-x", environment, appSettings: { ...s.connections.appSettings, AZUREWEBJOBSSTORAGE__ACCOUNTNAME: "stevil" } })).toThrow(
      new Error(`ContainerApp extra-aca: appSettings: 1 problem\n  "AZUREWEBJOBSSTORAGE__ACCOUNTNAME": ${OWNED} (every name starting with AzureWebJobsStorage, in any case); use another name`),
    );
  });
});
