import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import type { App } from "cdktf";
import { buildApp } from "../main";
import { DeploymentError } from "../config/problems";
import { Json, defaultConfig, scratch } from "./support/synth";

// Records every stack the app starts to build, before its constructor runs.
const mockStackIds: string[] = [];
jest.mock("../constructs/mlfunc-stack", () => {
  const actual = jest.requireActual<typeof import("../constructs/mlfunc-stack")>("../constructs/mlfunc-stack");
  class RecordedStack extends actual.MlfuncStack {
    constructor(...args: ConstructorParameters<typeof actual.MlfuncStack>) {
      mockStackIds.push(args[1]);
      super(...args);
    }
  }
  return { ...actual, MlfuncStack: RecordedStack };
});

function build(config: Json): { app?: App; error?: unknown; contextsWritten: boolean; outWritten: boolean } {
  const { dir, cleanup } = scratch();
  try {
    const file = join(dir, "mlfunc.yaml");
    writeFileSync(file, stringify(config));
    const contexts = join(dir, "contexts");
    const out = join(dir, "out");
    try {
      const app = buildApp({ config: file, outdir: out, contextsDir: contexts });
      return { app, contextsWritten: existsSync(contexts), outWritten: existsSync(out) };
    } catch (error) {
      return { error, contextsWritten: existsSync(contexts), outWritten: existsSync(out) };
    }
  } finally {
    cleanup();
  }
}

function manyMistakes(): Json {
  const c = defaultConfig();
  const fns = c.functions as Json[];
  const envs = c.environments as Record<string, Json>;
  c.location = "West Europe";
  c.extra = true;
  (fns[1] as Json).name = "PREDICT";
  ((fns[1] as Json).trigger as Json).outputPath = "input/{blobname}_out.json";
  ((fns[2] as Json).trigger as Json).outputQueue = "inqueue";
  (envs.dev as Json).plan = { sku: "Y1" };
  (envs.prod as Json).names = { registry: "cr-prod" };
  c.state = { backend: "remote", organization: "acme", workspaces: "mlfunc" };
  return c;
}

beforeEach(() => {
  mockStackIds.length = 0;
});

test("the recording stack sees both stacks of a valid file", () => {
  const result = build(defaultConfig());
  expect(result.error).toBeUndefined();
  expect(mockStackIds).toEqual(["diabetes-dev", "diabetes-prod", "diabetes-canary"]);
});

test("a file with eight different mistakes reports all of them in one error, top to bottom", () => {
  const { error } = build(manyMistakes());
  expect(error).toBeInstanceOf(DeploymentError);
  const lines = (error as DeploymentError).message.split("\n");
  expect(lines[0]).toMatch(/mlfunc\.yaml: 8 problems$/);
  expect(lines.slice(1)).toEqual([
    '  location (line 2): "West Europe" — not an Azure region name; write "westeurope"',
    '  functions[1].name (line 15): "PREDICT" — functions[0] already has this name (names are case-insensitive); rename one',
    '  functions[1].trigger.outputPath (line 19): "input/{blobname}_out.json" — results written to the trigger\'s own container "input" would trigger the function again; use another container, e.g. "output/..."',
    '  functions[2].trigger.outputQueue (line 25): "inqueue" — results sent to the trigger\'s own queue would trigger the function again; use another queue, e.g. "outqueue"',
    '  environments.dev.plan.sku (line 29): "Y1" — Consumption (Y1) plans cannot run custom containers (Linux Consumption is retired); use EP1-EP3 (Elastic Premium) or a Dedicated Linux SKU such as B1, S1 or P1v3',
    '  environments.prod.names.registry (line 38): "cr-prod" — a container registry name must be letters and digits only; try "crprod"',
    '  extra (line 52): true — unknown key; remove it (allowed here: $schema, name, location, nameSeed, tags, model, functions, environments, state, ship, review, smoke)',
    '  state.workspaces (line 56): "mlfunc" — must contain "{stack}" so that each stack gets its own workspace, e.g. "mlfunc-{stack}"',
  ]);
  expect((error as DeploymentError).problems).toHaveLength(8);
});

test("an invalid file builds no stack and writes no build context or output", () => {
  const result = build(manyMistakes());
  expect(result.error).toBeInstanceOf(DeploymentError);
  expect(result.app).toBeUndefined();
  expect(mockStackIds).toEqual([]);
  expect(result.contextsWritten).toBe(false);
  expect(result.outWritten).toBe(false);
});
