/** Review edge cases: findings reported with exit 1, and replacements that follow references. */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { buildApp } from "../../main";
import { main } from "../../review/cli";
import { diffSynthDirs } from "../../review/diff";
import type { StackDiff } from "../../review/types";
import { appServiceOnly, defaultConfig, scratch, type Json } from "../support/synth";

let work: { dir: string; cleanup: () => void };
let base: string;
let counter = 0;

function synthConfig(config: Json): { file: string; outdir: string } {
  const name = `cfg-${++counter}`;
  const file = join(work.dir, `${name}.yaml`);
  writeFileSync(file, stringify(config));
  const outdir = join(work.dir, name);
  buildApp({ config: file, outdir, contextsDir: join(work.dir, "contexts"), policyErrorAt: "none" }).synth();
  return { file, outdir };
}

function environment(config: Json, env: string): Json {
  return (config.environments as Record<string, Json>)[env] as Json;
}

function stackOf(diff: readonly StackDiff[], name: string): StackDiff {
  const s = diff.find((x) => x.stack === name);
  if (!s) throw new Error(`no stack ${name}`);
  return s;
}

function resourcesOf(outdir: string, stack: string): [string, Json][] {
  const tf = JSON.parse(readFileSync(join(outdir, "stacks", stack, "cdk.tf.json"), "utf8")) as Json;
  return Object.entries(tf.resource as Record<string, Record<string, Json>>).flatMap(([type, byName]) =>
    Object.entries(byName).map(([name, body]): [string, Json] => [`${type}.${name}`, body]),
  );
}

beforeAll(() => {
  work = scratch();
  base = synthConfig(appServiceOnly(defaultConfig())).outdir;
});

afterAll(() => work.cleanup());

describe("review/synth.ts: the working tree is synthesized with the policy enforced", () => {
  const saved = { config: process.env.MLFUNC_CONFIG, policy: process.env.MLFUNC_POLICY_ERROR_AT };
  afterEach(() => {
    for (const [name, value] of [["MLFUNC_CONFIG", saved.config], ["MLFUNC_POLICY_ERROR_AT", saved.policy]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  test("a high finding is reported with exit 1, not thrown out of main()", async () => {
    const doc = appServiceOnly(defaultConfig());
    (doc.tags as Json).db_password = "hunter2";
    process.env.MLFUNC_CONFIG = synthConfig(doc).file;
    delete process.env.MLFUNC_POLICY_ERROR_AT;
    const out: string[] = [];
    const spy = jest.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    let code: number | string;
    try {
      code = await main(["--base-out", base]);
    } catch (e) {
      code = `threw: ${(e as Error).message.split("\n")[0]}`;
    } finally {
      spy.mockRestore();
    }
    expect(code).toBe(1);
    expect(out.join("")).toContain("MLF-SEC-001");
  });
});

describe("review/diff.ts: a replacement does not reach the resources that reference it", () => {
  test("moving prod to another region replaces every resource whose location follows the resource group", async () => {
    const doc = appServiceOnly(defaultConfig());
    environment(doc, "prod").location = "northeurope";
    const diff = await diffSynthDirs(base, synthConfig(doc).outdir);
    const prod = stackOf(diff, "diabetes-prod");
    const located = resourcesOf(base, "diabetes-prod")
      .filter(([, body]) => body.location !== undefined)
      .map(([address]) => address)
      .sort();
    // Ten, and the Event Grid system topic of the Event Grid blob trigger.
    expect(located).toHaveLength(11);
    const flagged = prod.resources.filter((r) => r.replace && r.replaceReasons.includes("location")).map((r) => r.address).sort();
    expect(flagged).toEqual(located);
  });

  test("replacing the host storage account replaces the role assignments scoped to its id", async () => {
    const doc = appServiceOnly(defaultConfig());
    environment(doc, "dev").names = { hostStorageAccount: "stmyhostdev01" };
    const diff = await diffSynthDirs(base, synthConfig(doc).outdir);
    const dev = stackOf(diff, "diabetes-dev");
    const scoped = resourcesOf(base, "diabetes-dev")
      .filter(([, body]) => body.scope === "${azurerm_storage_account.host-storage_account_A2758C84.id}")
      .map(([address]) => address)
      .sort();
    expect(scoped).toEqual([
      "azurerm_role_assignment.connections_host-blob-owner_D0904A3B",
      "azurerm_role_assignment.connections_host-queue-contributor_13C034CF",
      "azurerm_role_assignment.connections_host-table-contributor_4EBBD911",
    ]);
    const flagged = dev.resources.filter((r) => r.replace).map((r) => r.address).sort();
    expect(flagged).toEqual(["azurerm_storage_account.host-storage_account_A2758C84", ...scoped].sort());
  });

  test("with a polling blob function, the blob service properties role follows the host account: its assignment is replaced, its definition renamed in place", async () => {
    const polling = () => {
      const doc = appServiceOnly(defaultConfig());
      for (const f of doc.functions as Json[]) if ((f.trigger as Json).type === "blob") (f.trigger as Json).source = "polling";
      return doc;
    };
    const renamed = polling();
    environment(renamed, "dev").names = { hostStorageAccount: "stmyhostdev01" };
    const diff = await diffSynthDirs(synthConfig(polling()).outdir, synthConfig(renamed).outdir);
    const dev = stackOf(diff, "diabetes-dev");
    expect(dev.resources.filter((r) => r.replace).map((r) => r.address)).toContain("azurerm_role_assignment.connections_host-blob-service-properties_960922D6");
    // The blob service properties role carries the account's name; a role definition's name is updated in place.
    const definition = dev.resources.find((r) => r.type === "azurerm_role_definition");
    expect(definition).toMatchObject({ kind: "changed", replace: false, replaceReasons: [] });
    expect(definition?.changes.map((c) => c.path)).toEqual(["name"]);
  }, 120_000);
});
