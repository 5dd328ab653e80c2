/** MlfuncStack as a library user sees it: typed parts, extra app settings and tags. */
import { App, Testing } from "cdktf";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { loadDeployment, type Deployment } from "../../config/load";
import { MlfuncStack, type MlfuncStackProps } from "../../constructs/mlfunc-stack";
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

test("an extra setting mlfunc sets itself is refused, naming it", () => {
  expect(() => stack({ appSettings: { MLFUNC_TRIGGER_STORAGE__blobServiceUri: "x", WEBSITES_ENABLE_APP_SERVICE_STORAGE: "true", OK: "1" } })).toThrow(
    "MlfuncStack diabetes-dev: appSettings MLFUNC_TRIGGER_STORAGE__blobServiceUri, WEBSITES_ENABLE_APP_SERVICE_STORAGE are set by mlfunc itself; use another name",
  );
});
