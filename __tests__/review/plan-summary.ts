import * as path from "node:path";
import { ReviewInputError } from "../../review/errors";
import { classifyActions, loadPlanSummary, stackNameFromFile, summarizePlan, summarizePlanText } from "../../review/plan-summary";
import type { PlanResourceChange, PlanSummary } from "../../review/types";

const fixture = (name: string): string => path.join(__dirname, "..", "fixtures", "plans", name);

function byAddress(summary: PlanSummary, address: string): PlanResourceChange {
  const found = summary.resources.find((r) => r.address === address);
  if (!found) throw new Error(`no ${address} in ${summary.resources.map((r) => r.address).join(", ")}`);
  return found;
}

describe("plan summary of a plan with every kind of change", () => {
  let plan: PlanSummary;
  beforeAll(async () => {
    plan = await loadPlanSummary(fixture("mlfunc-dev.json"));
  });

  test("counts by action; import and move are counted on top of the change action", () => {
    expect(plan.counts).toEqual({ create: 1, update: 3, replace: 2, delete: 1, forget: 1, read: 1, "no-op": 3, import: 2, move: 2 });
    expect(plan.total).toBe(12);
    expect(plan.stack).toBe("mlfunc-dev");
    expect(plan.formatVersion).toBe("1.2");
    expect(plan.terraformVersion).toBe("1.9.8");
  });

  test("deletes and replacements come first, unchanged resources last", () => {
    expect(plan.resources.map((r) => `${r.action} ${r.address}`)).toEqual([
      "delete azurerm_application_insights.old",
      "replace azurerm_storage_account.models",
      "replace azurerm_service_plan.plan",
      "forget azurerm_storage_container.legacy",
      "create azurerm_container_registry.acr",
      "update azurerm_linux_function_app.app",
      "update azurerm_role_assignment.acr_pull",
      "update azurerm_key_vault.kv",
      "read data.azurerm_client_config.current",
      'no-op module.ml["scoring"].azurerm_user_assigned_identity.pull[0]',
      "no-op azurerm_log_analytics_workspace.logs",
      "no-op azurerm_resource_group.rg",
    ]);
  });

  test("replacement order is told apart: delete-then-create vs create-then-delete", () => {
    expect(byAddress(plan, "azurerm_storage_account.models").replaceOrder).toBe("destroy-before-create");
    expect(byAddress(plan, "azurerm_service_plan.plan").replaceOrder).toBe("create-before-destroy");
  });

  test("replace_paths are rendered and mark the attribute that forces the replacement", () => {
    const models = byAddress(plan, "azurerm_storage_account.models");
    expect(models.replacePaths).toEqual(["name"]);
    expect(models.actionReason).toBe("replace_because_cannot_update");
    expect(models.changes).toContainEqual({ path: "name", before: '"stmlfuncdev01"', after: '"stmlfuncdev02"', forcesReplacement: true });
    expect(models.changes).toContainEqual({ path: "id", before: expect.stringContaining("stmlfuncdev01"), after: "(known after apply)", unknown: true });
    expect(models.changes).toContainEqual({ path: "primary_blob_endpoint", before: "null", after: "(known after apply)", unknown: true });
    expect(models.changes.find((c) => c.path === "location")).toBeUndefined();
  });

  test("updates list nested attribute paths with old and new values", () => {
    const app = byAddress(plan, "azurerm_linux_function_app.app");
    expect(app.changes).toEqual([
      { path: "site_config[0].minimum_tls_version", before: '"1.2"', after: '"1.3"' },
      { path: "site_config[0].application_stack[0].docker[0].image_tag", before: '"c0ffee12"', after: '"deadbe34"' },
      { path: "tags.owner", before: "null", after: '"ml-platform"' },
    ]);
  });

  test("moves keep previous_address, also under a nested module with an instance key", () => {
    const identity = byAddress(plan, 'module.ml["scoring"].azurerm_user_assigned_identity.pull[0]');
    expect(identity).toMatchObject({ moved: true, previousAddress: "azurerm_user_assigned_identity.pull", action: "no-op", moduleAddress: 'module.ml["scoring"]' });
    const role = byAddress(plan, "azurerm_role_assignment.acr_pull");
    expect(role).toMatchObject({ moved: true, previousAddress: "azurerm_role_assignment.pull", action: "update" });
    expect(role.changes).toEqual([{ path: "description", before: "null", after: '"image pulls by the function app"' }]);
  });

  test("imports carry their id, with or without an update", () => {
    expect(byAddress(plan, "azurerm_log_analytics_workspace.logs")).toMatchObject({ imported: true, action: "no-op", importId: expect.stringMatching(/workspaces\/log-mlfunc-dev$/) });
    const kv = byAddress(plan, "azurerm_key_vault.kv");
    expect(kv).toMatchObject({ imported: true, action: "update" });
    expect(kv.changes).toEqual([{ path: "purge_protection_enabled", before: "false", after: "true" }]);
  });

  test("reads, creates, deletes and forgets carry no attribute lines", () => {
    for (const address of ["data.azurerm_client_config.current", "azurerm_container_registry.acr", "azurerm_application_insights.old", "azurerm_storage_container.legacy"]) {
      expect(byAddress(plan, address).changes).toEqual([]);
    }
    expect(byAddress(plan, "data.azurerm_client_config.current")).toMatchObject({ mode: "data", actionReason: "read_because_config_unknown" });
    expect(byAddress(plan, "azurerm_application_insights.old").actionReason).toBe("delete_because_no_resource_config");
  });

  test("an entry whose previous_address equals its address is not a move", () => {
    const summary = summarizePlan(
      { format_version: "1.2", resource_changes: [{ address: "a.b", previous_address: "a.b", change: { actions: ["no-op"] } }] },
      { source: "same.json" },
    );
    expect(summary.resources[0].moved).toBe(false);
    expect(summary.counts.move).toBe(0);
  });
});

describe("robustness", () => {
  test("empty actions count as no-op in format 0.x; type and name come from nested module addresses", async () => {
    const plan = await loadPlanSummary(fixture("empty-actions-format-0.2.json"), { stack: "legacy" });
    expect(plan.stack).toBe("legacy");
    expect(plan.counts["no-op"]).toBe(1);
    expect(plan.counts.delete).toBe(1);
    expect(plan.resources[1]).toMatchObject({ action: "no-op", emptyActions: true, address: "azurerm_monitor_diagnostic_setting.app" });
    const alert = plan.resources[0];
    expect(alert.address).toBe('module.monitoring.module.alerts.azurerm_monitor_metric_alert.latency["p95"]');
    expect(alert.type).toBe("azurerm_monitor_metric_alert");
  });

  test("type and name are derived from the address when the entry leaves them out", () => {
    const plan = summarizePlan(
      { format_version: "1.0", resource_changes: [{ address: 'module.a[0].module.b["x"].azurerm_subnet.s[2]', change: { actions: ["create"] } }] },
      { source: "min.json" },
    );
    expect(plan.resources[0]).toMatchObject({ type: "azurerm_subnet", name: "s", mode: "managed" });
  });

  test("a configuration without resources omits resource_changes next to planned_values", () => {
    const plan = summarizePlanText(JSON.stringify({ format_version: "1.2", planned_values: { root_module: {} } }), { source: "empty.json" });
    expect(plan.total).toBe(0);
  });

  test.each([
    [["create"], { action: "create" }],
    [["delete", "create"], { action: "replace", replaceOrder: "destroy-before-create" }],
    [["create", "delete"], { action: "replace", replaceOrder: "create-before-destroy" }],
    [["create", "forget"], { action: "replace", replaceOrder: "create-then-forget" }],
    [["forget"], { action: "forget" }],
    [[], { action: "no-op" }],
    [["update", "delete"], undefined],
    [["create", "create"], undefined],
  ])("classifyActions(%j)", (actions, expected) => {
    expect(classifyActions(actions)).toEqual(expected);
  });

  test("stack names come from file names", () => {
    expect(stackNameFromFile("plans/mlfunc-prod.json")).toBe("mlfunc-prod");
    expect(stackNameFromFile("/tmp/mlfunc-dev.plan.json")).toBe("mlfunc-dev");
    expect(stackNameFromFile("mlfunc-dev.tfplan.json")).toBe("mlfunc-dev");
  });
});

describe("bad input gives a ReviewInputError naming the file and the problem", () => {
  async function messageOf(run: () => Promise<unknown>): Promise<string> {
    try {
      await run();
    } catch (err) {
      expect(err).toBeInstanceOf(ReviewInputError);
      return (err as Error).message;
    }
    throw new Error("expected a ReviewInputError");
  }

  test("malformed JSON reports line and column", async () => {
    const file = fixture("malformed-trailing-comma.json");
    expect(await messageOf(() => loadPlanSummary(file))).toBe(`${file}: not valid JSON at line 5, column 3: unexpected ']'`);
  });

  test("state output is not a plan", async () => {
    const file = fixture("state-not-plan.json");
    expect(await messageOf(() => loadPlanSummary(file))).toBe(
      `${file}: not a Terraform plan: missing "resource_changes" (state output has no plan; run \`terraform show -json <planfile>\`)`,
    );
  });

  test("an entry without change.actions is named by index and address", async () => {
    const file = fixture("entry-without-actions.json");
    expect(await messageOf(() => loadPlanSummary(file))).toBe(`${file}: resource_changes[1] (azurerm_storage_account.st): missing "change.actions"`);
  });

  test("a missing file", async () => {
    const file = fixture("does-not-exist.json");
    expect(await messageOf(() => loadPlanSummary(file))).toBe(`${file}: plan file not found`);
  });

  test.each([
    ["", "p.json: file is empty (did `terraform show -json` fail?)"],
    ["PK\u0003\u0004binary", "p.json: this is a binary plan file; convert it with `terraform show -json <planfile> > plan.json` and pass the JSON"],
    ['{"format_version": "1.2",\n  "resource_changes": [}', "p.json: not valid JSON at line 2, column 24: unexpected '}'"],
    ['{"format_version": "1.2"', "p.json: not valid JSON at line 1, column 25: unexpected end of input (expected ',' or '}')"],
    ['{"a": "tab\there"}', "p.json: not valid JSON at line 1, column 11: control character in string (newlines must be written as \\n)"],
    ["[]", "p.json: not a Terraform plan: expected a JSON object at the top level, found an array"],
    ['{"resource_changes": []}', 'p.json: not a Terraform plan: missing "format_version" (expected `terraform show -json <planfile>` output)'],
    ['{"format_version": 1, "resource_changes": []}', 'p.json: "format_version" must be a string'],
    ['{"format_version": "2.0", "resource_changes": []}', 'p.json: unsupported format_version "2.0" (supported: 0.x and 1.x)'],
    ['{"format_version": "1.2", "resource_changes": {}}', 'p.json: "resource_changes" must be an array'],
    ['{"format_version": "1.2", "resource_changes": [3]}', "p.json: resource_changes[0]: expected an object"],
    ['{"format_version": "1.2", "resource_changes": [{"change": {"actions": []}}]}', 'p.json: resource_changes[0]: missing "address"'],
    ['{"format_version": "1.2", "resource_changes": [{"address": "a.b"}]}', 'p.json: resource_changes[0] (a.b): missing "change"'],
    ['{"format_version": "1.2", "resource_changes": [{"address": "a.b", "change": {"actions": ["explode"]}}]}', 'p.json: resource_changes[0] (a.b): unknown action "explode" in "change.actions"'],
    ['{"format_version": "1.2", "resource_changes": [{"address": "a.b", "change": {"actions": ["update", "delete"]}}]}', 'p.json: resource_changes[0] (a.b): unsupported "change.actions" ["update","delete"]'],
    ['{"format_version": "1.2", "resource_changes": [{"address": "a.b", "change": {"actions": ["delete", "create"], "replace_paths": "name"}}]}', 'p.json: resource_changes[0] (a.b): "change.replace_paths" must be a list of paths (lists of names and indexes)'],
    ['{"format_version": "1.2", "resource_changes": [{"address": "a.b", "previous_address": 7, "change": {"actions": ["no-op"]}}]}', 'p.json: resource_changes[0] (a.b): "previous_address" must be a string'],
  ])("%j", (text, message) => {
    let thrown: unknown;
    try {
      summarizePlanText(text, { source: "p.json" });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ReviewInputError);
    expect((thrown as ReviewInputError).message).toBe(message);
    expect((thrown as ReviewInputError).source).toBe("p.json");
  });

  test("the engine's parse message, which can quote the file, is never used", () => {
    const secret = "hunter2-in-a-broken-plan";
    let message = "";
    try {
      summarizePlanText(`{"value": "${secret}", oops}`, { source: "p.json" });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^p\.json: not valid JSON at line 1, column \d+/);
    expect(message).not.toContain(secret);
  });

  test("a byte-order mark is accepted", () => {
    expect(summarizePlanText('\ufeff{"format_version": "1.2", "resource_changes": []}', { source: "p.json" }).total).toBe(0);
  });
});
