/**
 * The offline diff on pairs of deployment files: the default `mlfunc.yaml` against a changed copy,
 * both synthesized for real, compared with `diffSynthDirs`.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { buildApp } from "../../main";
import { diffSynthDirs } from "../../review/diff";
import type { ResourceDiff, StackDiff } from "../../review/types";
import { appServiceOnly, defaultConfig, EXAMPLE, scratch, type Json } from "../support/synth";

const STACKS = ["diabetes-dev", "diabetes-prod"];

/** The default deployment's App Service environments; Container Apps diffs are tested in review/container-apps.ts. */
const appServiceConfig = (): Json => appServiceOnly(defaultConfig());

const APP = "azurerm_linux_function_app.function-app_513347A9";
const PLAN = "azurerm_service_plan.service-plan_E3BB03BC";
const IMAGE = "docker_image.image_3F1CC214";
const PUSH = "docker_registry_image.image_push_5C9521CF";
const GROUP = "azurerm_resource_group.resource-group_F5C22916";
const HOST_STORAGE = "azurerm_storage_account.host-storage_account_A2758C84";
const IMAGE_TAG = "site_config.application_stack.docker[0].image_tag";
/** What a new build context changes: the image, its push and the app's tag. */
const IMAGE_RESOURCES = [APP, IMAGE, PUSH].sort();
// Waits after the identity's role assignments; its trigger lists them, so it changes with them.
const ROLE_WAIT = "terraform_data.identity_role-propagation_C664A1BA";

let work: { dir: string; cleanup: () => void };
let base: string;
let counter = 0;

/** Writes `config` as a deployment file in the scratch folder and synthesizes it; returns the outdir. */
function synthConfig(config: Json): string {
  const name = `head-${++counter}`;
  const file = join(work.dir, `${name}.yaml`);
  writeFileSync(file, stringify(config));
  const outdir = join(work.dir, name);
  buildApp({ config: file, outdir, contextsDir: join(work.dir, "contexts") }).synth();
  return outdir;
}

async function diffAgainstBase(change: (config: Json) => void): Promise<{ diff: StackDiff[]; head: string }> {
  const config = appServiceConfig();
  change(config);
  const head = synthConfig(config);
  return { diff: await diffSynthDirs(base, head), head };
}

function environment(config: Json, env: string): Json {
  return (config.environments as Record<string, Json>)[env] as Json;
}

function stackJson(outdir: string, stack: string): Json {
  return JSON.parse(readFileSync(join(outdir, "stacks", stack, "cdk.tf.json"), "utf8")) as Json;
}

function resourceBody(outdir: string, stack: string, address: string): Json {
  const [type, name] = address.split(".");
  const byType = (stackJson(outdir, stack).resource as Record<string, Record<string, Json>>)[type ?? ""];
  const body = byType?.[name ?? ""];
  if (!body) throw new Error(`no ${address} in ${stack}`);
  return body;
}

function imageTagOf(outdir: string, stack: string): string {
  const siteConfig = resourceBody(outdir, stack, APP).site_config as Json;
  const docker = (siteConfig.application_stack as Json).docker as Json[];
  return String(docker[0]?.image_tag);
}

function stackOf(diff: readonly StackDiff[], name: string): StackDiff {
  const stack = diff.find((s) => s.stack === name);
  if (!stack) throw new Error(`no stack ${name} in the diff; have ${diff.map((s) => s.stack).join(", ")}`);
  return stack;
}

function resourceOf(stack: StackDiff, address: string): ResourceDiff {
  const r = stack.resources.find((x) => x.address === address);
  if (!r) throw new Error(`no ${address} in the diff of ${stack.stack}`);
  return r;
}

/** Addresses by kind, each sorted: the shape of one stack's diff. */
function shape(stack: StackDiff): { status: string; added: string[]; removed: string[]; changed: string[]; renamed: string[] } {
  const of = (kind: ResourceDiff["kind"]): string[] => stack.resources.filter((r) => r.kind === kind).map((r) => r.address).sort();
  return { status: stack.status, added: of("added"), removed: of("removed"), changed: of("changed"), renamed: of("renamed") };
}

function paths(r: ResourceDiff): string[] {
  return r.changes.map((c) => c.path).sort();
}

function changeAt(r: ResourceDiff, path: string): { before: string; after: string; forcesReplacement?: true } {
  const c = r.changes.find((x) => x.path === path);
  if (!c) throw new Error(`no change at ${path} of ${r.address}; have ${paths(r).join(", ")}`);
  return c;
}

function replaced(diff: readonly StackDiff[]): string[] {
  return diff.flatMap((s) => s.resources.filter((r) => r.replace).map((r) => `${s.stack} ${r.address}`)).sort();
}

/** Every diff entry of a new build context: the app redeploys the new tag, the image is rebuilt and pushed. */
function expectNewImage(stack: StackDiff, head: string): void {
  const oldTag = imageTagOf(base, stack.stack);
  const newTag = imageTagOf(head, stack.stack);
  expect(newTag).not.toBe(oldTag);
  expect(newTag).toMatch(/^[0-9a-f]{16}$/);

  const app = resourceOf(stack, APP);
  expect(app).toMatchObject({ kind: "changed", replace: false, replaceReasons: [], redeploy: true });
  expect(changeAt(app, IMAGE_TAG)).toEqual({ path: IMAGE_TAG, before: JSON.stringify(oldTag), after: JSON.stringify(newTag) });

  const image = resourceOf(stack, IMAGE);
  expect(image).toMatchObject({ kind: "changed", replace: false, replaceReasons: [], redeploy: false });
  expect(paths(image)).toEqual(["build.context", "name", "triggers.context_hash"]);
  expect(changeAt(image, "name").before).toBe(JSON.stringify(`\${azurerm_container_registry.registry_71CE07F6.login_server}/diabetes:${oldTag}`));
  expect(changeAt(image, "name").after).toBe(JSON.stringify(`\${azurerm_container_registry.registry_71CE07F6.login_server}/diabetes:${newTag}`));
  expect(changeAt(image, "triggers.context_hash").after).toMatch(new RegExp(`^"${newTag}[0-9a-f]{48}"$`));
  expect(changeAt(image, "build.context").after).toContain(`/${newTag}`);

  const push = resourceOf(stack, PUSH);
  expect(push).toMatchObject({ kind: "changed", replace: false, replaceReasons: [], redeploy: false });
  expect(paths(push)).toEqual(["triggers.context_hash"]);
  expect(changeAt(push, "triggers.context_hash")).toEqual(changeAt(image, "triggers.context_hash"));
}

/** Every stack redeploys a new image and changes nothing else: no replacement anywhere. */
function expectImageOnlyRedeploy(diff: StackDiff[], head: string): void {
  expect(diff.map((s) => s.stack)).toEqual(STACKS);
  for (const stack of diff) {
    expect(shape(stack)).toEqual({ status: "changed", added: [], removed: [], changed: IMAGE_RESOURCES, renamed: [] });
    expect(paths(resourceOf(stack, APP))).toEqual([IMAGE_TAG]);
    expectNewImage(stack, head);
  }
  expect(replaced(diff)).toEqual([]);
}

beforeAll(() => {
  work = scratch();
  base = synthConfig(appServiceConfig());
});

afterAll(() => work.cleanup());

describe("the offline diff on pairs of deployment files", () => {
  test("the default deployment against itself: every stack unchanged, no entries", async () => {
    const diff = await diffSynthDirs(base, synthConfig(appServiceConfig()));
    expect(diff).toEqual(STACKS.map((stack) => ({ stack, status: "unchanged", resources: [] })));
  });

  test("the addresses this suite names exist in the default synth", () => {
    for (const stack of STACKS) {
      for (const address of [APP, PLAN, IMAGE, PUSH, GROUP, HOST_STORAGE]) expect(() => resourceBody(base, stack, address)).not.toThrow();
    }
  });

  /** One synth of the default deployment plus an http function, for the two cases that look at it. */
  let withHttpFunction: Promise<{ diff: StackDiff[]; head: string }> | undefined;
  const addHttpFunction = () =>
    (withHttpFunction ??= diffAgainstBase((c) => {
      (c.functions as Json[]).push({ name: "predict2", trigger: { type: "http", authLevel: "function" } });
    }));

  test("adding an http function adds no resource: the image is rebuilt and the app redeploys its new tag", async () => {
    const { diff, head } = await addHttpFunction();
    expectImageOnlyRedeploy(diff, head);
  });

  test("outputs are not diffed: the new http_endpoints entry shows nowhere in the diff", async () => {
    const { diff, head } = await addHttpFunction();
    for (const stack of STACKS) {
      const before = (stackJson(base, stack).output as Record<string, Json>).http_endpoints;
      const after = (stackJson(head, stack).output as Record<string, Json>).http_endpoints;
      expect(Object.keys(before?.value as Json)).toEqual(["predict"]);
      expect(Object.keys(after?.value as Json)).toEqual(["predict", "predict2"]);
      const stackDiff = stackOf(diff, stack);
      expect(Object.keys(stackDiff).sort()).toEqual(["resources", "stack", "status"]);
      expect(stackDiff.resources.filter((r) => r.address.startsWith("output.") || r.type === "output")).toEqual([]);
      expect(JSON.stringify(stackDiff)).not.toContain("http_endpoints");
    }
  });

  test("adding a Service Bus function adds its two queues and their sender/receiver (owner on Premium) role assignments", async () => {
    const { diff, head } = await diffAgainstBase((c) => {
      (c.functions as Json[]).push({ name: "predict-q2", trigger: { type: "serviceBus", queue: "q2in", outputQueue: "q2out" } });
    });
    expect(diff.map((s) => s.stack)).toEqual(STACKS);
    for (const stack of diff) {
      // prod is Elastic Premium: Data Owner on the trigger queue, for target-based scaling.
      const trigger = stack.stack === "diabetes-prod" ? "azurerm_role_assignment.connections_owner-q2in_D3FCE74A" : "azurerm_role_assignment.connections_receiver-q2in_4BBB8D76";
      expect(shape(stack)).toEqual({
        status: "changed",
        added: [
          trigger,
          "azurerm_role_assignment.connections_sender-q2out_7B76E617",
          "azurerm_servicebus_queue.service-bus_queue-q2in_BA2D09E5",
          "azurerm_servicebus_queue.service-bus_queue-q2out_A1D98D1F",
        ].sort(),
        removed: [],
        changed: [...IMAGE_RESOURCES, ROLE_WAIT].sort(),
        renamed: [],
      });
      for (const r of stack.resources.filter((x) => x.kind === "added")) {
        expect(r).toMatchObject({ replace: false, replaceReasons: [], redeploy: false, changes: [] });
      }
      expectNewImage(stack, head);
      const queues = Object.values(stackJson(head, stack.stack).resource as Record<string, Record<string, Json>>)
        .flatMap((byName) => Object.values(byName))
        .filter((body) => body.name === "q2in" || body.name === "q2out")
        .map((body) => body.name);
      expect(queues.sort()).toEqual(["q2in", "q2out"]);
    }
    expect(replaced(diff)).toEqual([]);
  });

  test("a SKU change updates the plan in place; dev's app drops always_on; on Premium the trigger queue's role becomes Data Owner; nothing is replaced", async () => {
    const { diff } = await diffAgainstBase((c) => {
      (environment(c, "prod").plan as Json).sku = "EP2";
      (environment(c, "dev").plan as Json).sku = "EP1";
    });
    expect(replaced(diff)).toEqual([]);

    const prod = stackOf(diff, "diabetes-prod");
    expect(shape(prod)).toEqual({ status: "changed", added: [], removed: [], changed: [PLAN], renamed: [] });
    expect(resourceOf(prod, PLAN)).toEqual({
      address: PLAN,
      type: "azurerm_service_plan",
      kind: "changed",
      replace: false,
      replaceReasons: [],
      redeploy: false,
      changes: [{ path: "sku_name", before: '"EP1"', after: '"EP2"' }],
    });

    const dev = stackOf(diff, "diabetes-dev");
    // The image is the same on every plan: only the plan, the app's plan-dependent settings and the
    // trigger queue's role (Data Owner, for Premium's target-based scaling) change.
    expect(shape(dev)).toEqual({
      status: "changed",
      added: ["azurerm_role_assignment.connections_owner-inqueue_1A0CF556"],
      removed: ["azurerm_role_assignment.connections_receiver-inqueue_CE2032FC"],
      changed: [APP, PLAN, ROLE_WAIT].sort(),
      renamed: [],
    });
    const plan = resourceOf(dev, PLAN);
    expect(plan).toMatchObject({ replace: false, replaceReasons: [], redeploy: false });
    expect(plan.changes).toEqual([
      { path: "sku_name", before: '"B1"', after: '"EP1"' },
      { path: "maximum_elastic_worker_count", before: "null", after: "3" },
    ]);
    const app = resourceOf(dev, APP);
    expect(app).toMatchObject({ replace: false, redeploy: false });
    expect(paths(app)).toEqual(["app_settings.AzureFunctionsJobHost__functionTimeout", "site_config.always_on"]);
    expect(changeAt(app, "site_config.always_on")).toEqual({ path: "site_config.always_on", before: "true", after: "null" });
    expect(changeAt(app, "app_settings.AzureFunctionsJobHost__functionTimeout")).toEqual({
      path: "app_settings.AzureFunctionsJobHost__functionTimeout",
      before: '"02:00:00"',
      after: '"01:00:00"',
    });
  });

  test("renaming the app removes the diabetes-* stacks and adds diabetes2-* ones", async () => {
    const { diff } = await diffAgainstBase((c) => {
      c.name = "diabetes2";
    });
    expect(diff.map((s) => [s.stack, s.status])).toEqual([
      ["diabetes-dev", "removed"],
      ["diabetes-prod", "removed"],
      ["diabetes2-dev", "added"],
      ["diabetes2-prod", "added"],
    ]);
    for (const env of ["dev", "prod"]) {
      const addresses = Object.entries(stackJson(base, `diabetes-${env}`).resource as Record<string, Json>)
        .flatMap(([type, byName]) => Object.keys(byName).map((name) => `${type}.${name}`))
        .sort();
      expect(addresses).toHaveLength(36);
      expect(shape(stackOf(diff, `diabetes-${env}`))).toEqual({ status: "removed", added: [], removed: addresses, changed: [], renamed: [] });
      // Construct ids do not carry the app name: the new stack has the same addresses, all new.
      expect(shape(stackOf(diff, `diabetes2-${env}`))).toEqual({ status: "added", added: addresses, removed: [], changed: [], renamed: [] });
    }
    for (const stack of diff) for (const r of stack.resources) expect(r).toMatchObject({ replace: false, redeploy: false, changes: [] });
  });

  test("a changed model file rebuilds the image and redeploys the app with the new tag; nothing else changes", async () => {
    const model = join(work.dir, "model");
    mkdirSync(model);
    for (const f of readdirSync(EXAMPLE)) copyFileSync(join(EXAMPLE, f), join(model, f));
    const pkl = join(model, "sklearn_regression_model.pkl");
    const bytes = readFileSync(pkl);
    bytes[Math.floor(bytes.length / 2)] ^= 0x01;
    writeFileSync(pkl, bytes);

    const { diff, head } = await diffAgainstBase((c) => {
      (c.model as Json).path = pkl;
    });
    expectImageOnlyRedeploy(diff, head);
  });

  test("moving prod to another region replaces its resource group for location; dev is unchanged", async () => {
    const { diff } = await diffAgainstBase((c) => {
      environment(c, "prod").location = "northeurope";
    });
    expect(stackOf(diff, "diabetes-dev")).toEqual({ stack: "diabetes-dev", status: "unchanged", resources: [] });

    const prod = stackOf(diff, "diabetes-prod");
    const s = shape(prod);
    expect(s).toMatchObject({ status: "changed", added: [], removed: [], renamed: [] });
    expect(s.changed).toContain(GROUP);
    expect(resourceOf(prod, GROUP)).toEqual({
      address: GROUP,
      type: "azurerm_resource_group",
      kind: "changed",
      replace: true,
      replaceReasons: ["location"],
      redeploy: false,
      changes: [{ path: "location", before: '"westeurope"', after: '"northeurope"', forcesReplacement: true }],
    });
    // The region is not part of the image.
    for (const r of prod.resources) expect(r.redeploy).toBe(false);
    // Replaced for their own location, or because a force-new attribute follows a replaced resource.
    for (const r of prod.resources.filter((x) => x.replace)) {
      expect(r.replaceReasons.some((reason) => reason === "location" || /^[a-z_]+ \(follows the replaced [a-z_]+\.[\w-]+\)$/.test(reason))).toBe(true);
    }
  });

  test("renaming the host storage account by override replaces it, because name is force-new", async () => {
    const { diff } = await diffAgainstBase((c) => {
      environment(c, "dev").names = { hostStorageAccount: "stmyhostdev01" };
    });
    expect(stackOf(diff, "diabetes-prod")).toEqual({ stack: "diabetes-prod", status: "unchanged", resources: [] });
    const dev = stackOf(diff, "diabetes-dev");
    expect(shape(dev)).toMatchObject({ status: "changed", added: [], removed: [], renamed: [] });
    const account = resourceOf(dev, HOST_STORAGE);
    expect(account).toMatchObject({ kind: "changed", replace: true, replaceReasons: ["name"], redeploy: false });
    expect(account.changes).toEqual([
      { path: "name", before: JSON.stringify(resourceBody(base, "diabetes-dev", HOST_STORAGE).name), after: '"stmyhostdev01"', forcesReplacement: true },
    ]);
  });
});
