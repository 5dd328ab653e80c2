import type { JsonObject, JsonValue } from "../review/json-text";
import { gateHits, NO_GATE_OPTIONS } from "../review/gates";
import { summarizePlanText } from "../review/plan-summary";
import { renderMarkdown } from "../review/report";

/**
 * Generates large `terraform show -json` documents for the plan-review
 * benchmark and size tests. Deterministic (seeded), so a failing size test
 * fails the same way on every machine.
 */

export interface GeneratedPlanOptions {
  /** Number of `resource_changes` entries. */
  readonly resources: number;
  /** @default 1 */
  readonly seed?: number;
  /** Share of each action (replaces the default mix); the rest are no-op. @default a mix seen in real stacks */
  readonly mix?: Partial<Record<"create" | "update" | "delete" | "replace" | "read" | "move" | "import" | "forget", number>>;
  /** Prefix of every address, e.g. a module path. @default "" */
  readonly addressPrefix?: string;
}

const DEFAULT_MIX = { create: 0.15, update: 0.22, delete: 0.08, replace: 0.06, read: 0.04, move: 0.03, import: 0.02, forget: 0.005 };

const TYPES = [
  "azurerm_linux_function_app",
  "azurerm_storage_account",
  "azurerm_role_assignment",
  "azurerm_user_assigned_identity",
  "azurerm_service_plan",
  "azurerm_container_registry",
  "azurerm_application_insights",
  "azurerm_servicebus_queue",
] as const;

/** Small linear congruential generator: reproducible without a dependency. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/** The secret text planted for resource `i`; tests assert none of them is ever printed. */
export function generatedSecret(i: number): string {
  return `gen-secret-${i.toString(36)}-Q7vX`;
}

function attributes(type: string, i: number, version: number): JsonObject {
  const id = i.toString(36);
  return {
    name: `${type.replace(/^azurerm_/, "").replace(/_/g, "-")}-${id}`,
    location: "westeurope",
    resource_group_name: "rg-mlfunc-bench",
    tags: { app: "mlfunc", env: version === 0 ? "dev" : "prod", owner: `team-${i % 7}` },
    site_config: [
      {
        minimum_tls_version: version === 0 ? "1.2" : "1.3",
        always_on: true,
        application_stack: [{ docker: [{ registry_url: "https://crmlfunc.azurecr.io", image_name: "mlfunc/score", image_tag: `sha-${(i * 7919 + version).toString(16)}` }] }],
        ip_restriction: [
          { name: "allow-office", ip_address: `10.${i % 255}.0.0/16`, priority: 100 + version },
          { name: "deny-all", ip_address: "0.0.0.0/0", priority: 65000 },
        ],
      },
    ],
    app_settings: { WEBSITES_ENABLE_APP_SERVICE_STORAGE: "false", TriggerConnectionString: `${generatedSecret(i)}-v${version}` },
    primary_access_key: `${generatedSecret(i)}-key`,
  };
}

const SENSITIVE_MARKS: JsonObject = { app_settings: true, primary_access_key: true };

/** A plan document with a realistic mix of actions, nested blocks and sensitive values. */
export function generatePlan(options: GeneratedPlanOptions): JsonObject {
  const next = random(options.seed ?? 1);
  const zero = { create: 0, update: 0, delete: 0, replace: 0, read: 0, move: 0, import: 0, forget: 0 };
  const mix = options.mix ? { ...zero, ...options.mix } : DEFAULT_MIX;
  const prefix = options.addressPrefix ?? "";
  const changes: JsonValue[] = [];
  for (let i = 0; i < options.resources; i++) {
    const type = TYPES[i % TYPES.length];
    const name = `r${i}`;
    const address = `${prefix}${type}.${name}`;
    const before = attributes(type, i, 0);
    const after = attributes(type, i, 1);
    const base = { address, mode: "managed", type, name, provider_name: "registry.terraform.io/hashicorp/azurerm" };
    const sensitive = { before_sensitive: SENSITIVE_MARKS, after_sensitive: SENSITIVE_MARKS };
    let roll = next();
    const pick = (share: number): boolean => {
      roll -= share;
      return roll < 0;
    };
    let entry: JsonObject;
    if (pick(mix.create)) {
      entry = { ...base, change: { actions: ["create"], before: null, after, after_unknown: { id: true }, before_sensitive: false, after_sensitive: SENSITIVE_MARKS } };
    } else if (pick(mix.update)) {
      entry = { ...base, change: { actions: ["update"], before, after, after_unknown: {}, ...sensitive } };
    } else if (pick(mix.delete)) {
      entry = { ...base, action_reason: "delete_because_no_resource_config", change: { actions: ["delete"], before, after: null, after_unknown: {}, before_sensitive: SENSITIVE_MARKS, after_sensitive: false } };
    } else if (pick(mix.replace)) {
      const order = next() < 0.5 ? ["delete", "create"] : ["create", "delete"];
      const renamed = { ...after, name: `${String(after.name)}-new` };
      entry = {
        ...base,
        action_reason: "replace_because_cannot_update",
        change: { actions: order, before, after: renamed, after_unknown: { id: true }, ...sensitive, replace_paths: [["name"]] },
      };
    } else if (pick(mix.read)) {
      entry = { ...base, address: `data.${address}`, mode: "data", action_reason: "read_because_config_unknown", change: { actions: ["read"], before: null, after: { name: before.name }, after_unknown: { id: true }, before_sensitive: false, after_sensitive: {} } };
    } else if (pick(mix.move)) {
      entry = { ...base, previous_address: `${prefix}${type}.old_${name}`, change: { actions: next() < 0.5 ? ["no-op"] : ["update"], before, after, after_unknown: {}, ...sensitive } };
    } else if (pick(mix.import)) {
      entry = { ...base, change: { actions: ["no-op"], before, after: before, after_unknown: {}, ...sensitive, importing: { id: `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-mlfunc-bench/providers/x/${name}` } } };
    } else if (pick(mix.forget)) {
      entry = { ...base, change: { actions: ["forget"], before, after: null, after_unknown: {}, before_sensitive: SENSITIVE_MARKS, after_sensitive: false } };
    } else {
      entry = { ...base, change: { actions: ["no-op"], before, after: before, after_unknown: {}, ...sensitive } };
    }
    changes.push(entry);
  }
  return { format_version: "1.2", terraform_version: "1.9.8", resource_changes: changes, planned_values: { root_module: {} }, applyable: true, complete: true, errored: false };
}

export interface BenchResult {
  readonly name: string;
  /** Median wall time of one parse + summarize + Markdown render, in milliseconds. */
  readonly ms: number;
  readonly resources: number;
}

/** Times parsing, summarizing, gating and rendering a generated 5,000-resource plan. */
export async function benchPlanSummary(runs = 5): Promise<BenchResult> {
  const resources = 5_000;
  const text = JSON.stringify(generatePlan({ resources, seed: 42 }));
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const start = process.hrtime.bigint();
    const plan = summarizePlanText(text, { source: "bench.json", stack: "mlfunc-bench" });
    renderMarkdown({ plans: [plan], findings: [], failOn: "high", gates: gateHits([plan], undefined, NO_GATE_OPTIONS) });
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    // Let other timers run between rounds, as the bench runner awaits us.
    await new Promise((resolve) => setImmediate(resolve));
  }
  times.sort((a, b) => a - b);
  return { name: "review: parse, summarize and render a plan", ms: Math.round(times[Math.floor(times.length / 2)]), resources };
}

/**
 * Times the offline diff of a large config against a changed copy of itself (every other
 * environment on another SKU, one function more). Synthesis is measured separately by the bench.
 */
export async function benchOfflineDiff(configFile: string, runs = 5): Promise<BenchResult> {
  const { mkdtempSync, readFileSync, rmSync, writeFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { parse, stringify } = await import("yaml");
  const { buildApp } = await import("../main");
  const { diffSynthDirs } = await import("../review/diff");
  const dir = mkdtempSync(join(tmpdir(), "mlfunc-bench-diff-"));
  try {
    const changed = parse(readFileSync(configFile, "utf8")) as { functions: object[]; environments: Record<string, { plan: { sku: string } }> };
    Object.values(changed.environments).forEach((env, i) => {
      if (i % 2 === 0) env.plan = { sku: "S1" };
    });
    changed.functions.push({ name: "http-extra", trigger: { type: "http" } });
    const changedFile = join(dir, "changed.yaml");
    writeFileSync(changedFile, stringify(changed));
    buildApp({ config: configFile, outdir: join(dir, "base"), contextsDir: join(dir, "ctx") }).synth();
    buildApp({ config: changedFile, outdir: join(dir, "head"), contextsDir: join(dir, "ctx") }).synth();
    const times: number[] = [];
    let resources = 0;
    for (let run = 0; run < runs; run++) {
      const start = process.hrtime.bigint();
      const diff = await diffSynthDirs(join(dir, "base"), join(dir, "head"));
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
      resources = diff.reduce((n, s) => n + s.resources.length, 0);
    }
    times.sort((a, b) => a - b);
    return { name: "review: offline diff of the large config", ms: Math.round(times[Math.floor(times.length / 2)] ?? 0), resources };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
