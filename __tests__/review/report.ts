import * as path from "node:path";
import { loadPlanSummary, summarizePlan } from "../../review/plan-summary";
import { failingFindings, renderJson, renderMarkdown, REPORT_MARKER, reviewExitCode, verdictOf, type JsonReport } from "../../review/report";
import type { PlanSummary, PolicyFinding, Review, StackDiff } from "../../review/types";

const fixture = (name: string): string => path.join(__dirname, "..", "fixtures", "plans", name);

const finding = (severity: PolicyFinding["severity"], id = `MLF-${severity}`): PolicyFinding => ({
  id,
  severity,
  stack: "mlfunc-dev",
  address: "azurerm_linux_function_app.app",
  message: "Function app accepts plain HTTP | <script>",
  fix: "set `https_only = true`",
});

const diff: StackDiff[] = [
  {
    stack: "mlfunc-dev",
    status: "changed",
    resources: [
      {
        address: "azurerm_linux_function_app.app",
        type: "azurerm_linux_function_app",
        kind: "changed",
        replace: false,
        replaceReasons: [],
        redeploy: true,
        changes: [{ path: "site_config.application_stack.docker.image_tag", before: '"c0ffee12"', after: '"deadbe34"' }],
      },
      {
        address: "azurerm_storage_account.models2",
        previousAddress: "azurerm_storage_account.models",
        type: "azurerm_storage_account",
        kind: "renamed",
        replace: true,
        replaceReasons: [],
        redeploy: false,
        changes: [],
      },
      {
        address: "azurerm_service_plan.plan",
        type: "azurerm_service_plan",
        kind: "changed",
        replace: true,
        replaceReasons: ["location"],
        redeploy: false,
        changes: [{ path: "location", before: '"westeurope"', after: '"northeurope"', forcesReplacement: true }],
      },
      { address: "azurerm_application_insights.old", type: "azurerm_application_insights", kind: "removed", replace: false, replaceReasons: [], redeploy: false, changes: [] },
      { address: "azurerm_servicebus_queue.in", type: "azurerm_servicebus_queue", kind: "added", replace: false, replaceReasons: [], redeploy: false, changes: [] },
    ],
  },
];

describe("Markdown report", () => {
  let plan: PlanSummary;
  beforeAll(async () => {
    plan = await loadPlanSummary(fixture("mlfunc-dev.json"));
  });

  test("starts with a one-line verdict, then the counts", () => {
    const md = renderMarkdown({ plans: [plan], findings: [finding("high")], failOn: "high" });
    const lines = md.split("\n");
    expect(lines[0]).toBe("**mlfunc review: ❌ FAIL: 2 replacements, 1 delete, 1 resource removed from state only, 1 high finding**");
    expect(lines.slice(2, 5)).toEqual([
      "| Plan | create | update | replace | delete | forget | no-op | read | import | move |",
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
      "| `mlfunc-dev` | 1 | 3 | 2 | 1 | 1 | 3 | 1 | 2 | 2 |",
    ]);
    expect(md).toContain("Policy findings: **1 high**, 0 medium, 0 low (fails at high and above).");
  });

  test("deletes and replacements are listed before any collapsible section, with order and cause", () => {
    const md = renderMarkdown({ plans: [plan], findings: [], failOn: "high" });
    const top = md.slice(0, md.indexOf("<details"));
    expect(top).toContain("### ⚠️ Deletes and replacements");
    expect(top).toContain("- 🔴 **delete** `azurerm_application_insights.old` (delete because no resource config)");
    expect(top).toContain("- 🟠 **replace** (destroy, then create) `azurerm_storage_account.models` forced by `name`");
    expect(top).toContain("- 🟠 **replace** (create, then destroy) `azurerm_service_plan.plan` forced by `os_type`");
    expect(top).toContain("- 🟤 **forget** `azurerm_storage_container.legacy`: removed from state, left in Azure");
  });

  test("details are collapsible and show attribute changes, moves and imports", () => {
    const md = renderMarkdown({ plans: [plan], findings: [], failOn: "high" });
    expect(md).toContain("<details><summary>Plan <code>mlfunc-dev</code>: 2 replaces, 1 delete, 1 create, 3 updates, 2 moves, 2 imports, 1 read, 3 unchanged</summary>\n\n");
    expect(md).toContain("- 🟡 **update** `azurerm_linux_function_app.app`\n  - `site_config[0].minimum_tls_version`: `\"1.2\"` → `\"1.3\"`");
    // The attribute forcing the replacement comes first in its entry.
    expect(md).toContain("- 🟠 **replace** `azurerm_storage_account.models`\n  - `name`: `\"stmlfuncdev01\"` → `\"stmlfuncdev02\"` **(forces replacement)**");
    expect(md).toContain("- 🟡 **update** `azurerm_role_assignment.acr_pull`: moved from `azurerm_role_assignment.pull`");
    expect(md).toContain('- ⚪ **move** `module.ml["scoring"].azurerm_user_assigned_identity.pull[0]`: moved from `azurerm_user_assigned_identity.pull`');
    expect(md).toContain("- ⚪ **import** `azurerm_log_analytics_workspace.logs`: imported (id `/subscriptions/");
    expect(md).toContain("- `primary_blob_endpoint`: `null` → _(known after apply)_");
    expect(md.trimEnd().endsWith(REPORT_MARKER)).toBe(true);
  });

  test("the offline diff shows renames and force-new attributes as replacements and the image tag as a redeploy", () => {
    const md = renderMarkdown({ plans: [], diff, base: "origin/main", findings: [], failOn: "high" });
    expect(md.split("\n")[0]).toBe("**mlfunc review: ⚠️ 2 replacements, 1 delete, 0 high findings (offline diff, no plan)**");
    expect(md).toContain("| Synth diff vs `origin/main` | added | removed | changed | replace | redeploy |\n|---|---:|---:|---:|---:|---:|\n| `mlfunc-dev` | 1 | 1 | 3 | 2 | 1 |");
    expect(md).toContain("- 🟠 **replace** `azurerm_storage_account.models2` logical id renamed from `azurerm_storage_account.models`");
    expect(md).toContain("- 🟠 **replace** `azurerm_service_plan.plan` forced by `location`");
    expect(md).toContain("- 🔴 **delete** `azurerm_application_insights.old`");
    expect(md).toContain("- 🟡 **change** `azurerm_linux_function_app.app` 🚀 **redeploy** (new image tag)");
  });

  test("findings are escaped for tables and open when they fail the review", () => {
    const md = renderMarkdown({ plans: [], findings: [finding("low"), finding("high")], failOn: "high" });
    expect(md).toContain("<details open><summary>Policy findings (2)</summary>");
    const rows = md.split("\n").filter((l) => l.startsWith("| 🔴") || l.startsWith("| 🟡"));
    expect(rows[0]).toBe(
      "| 🔴 high | `MLF-high` | `mlfunc-dev` `azurerm_linux_function_app.app` | Function app accepts plain HTTP \\| &lt;script&gt; | set `https_only = true` |",
    );
    expect(rows[1]).toMatch(/^\| 🟡 low \| `MLF-low`/);
  });

  test("a clean review says so", () => {
    const clean = summarizePlan({ format_version: "1.2", resource_changes: [{ address: "a.b", change: { actions: ["create"] } }] }, { source: "c.json" });
    expect(renderMarkdown({ plans: [clean], findings: [finding("low")], failOn: "high" }).split("\n")[0]).toBe(
      "**mlfunc review: ✅ 0 replacements, 0 deletes, 0 high findings**",
    );
  });
});

describe("fail-on threshold and exit code", () => {
  test.each([
    ["high", ["low", "medium"], 0],
    ["high", ["high"], 1],
    ["medium", ["medium"], 1],
    ["medium", ["low"], 0],
    ["low", ["low"], 1],
    ["none", ["high"], 0],
  ] as const)("--fail-on %s with %j findings exits %d", (failOn, severities, code) => {
    const review: Review = { plans: [], findings: severities.map((s) => finding(s)), failOn };
    expect(reviewExitCode(review)).toBe(code);
    expect(failingFindings(review.findings, failOn).length > 0).toBe(code === 1);
    expect(verdictOf(review).status).toBe(code === 1 ? "fail" : "ok");
  });
});

describe("JSON report", () => {
  test("holds the whole review, untrimmed, with totals and the verdict", async () => {
    const plan = await loadPlanSummary(fixture("mlfunc-dev.json"));
    const report = JSON.parse(renderJson({ plans: [plan], diff, base: "origin/main", findings: [finding("medium")], failOn: "medium" })) as JsonReport;
    expect(report).toMatchObject({
      tool: "mlfunc-review",
      schemaVersion: 1,
      status: "fail",
      exitCode: 1,
      failOn: "medium",
      base: "origin/main",
      counts: { plans: plan.counts, findings: { high: 0, medium: 1, low: 0 } },
    });
    expect(report.verdict).toBe("❌ FAIL: 2 replacements, 1 delete, 1 resource removed from state only, 1 high/medium finding");
    expect(report.plans[0].resources).toHaveLength(12);
    expect(report.diff[0].resources).toHaveLength(5);
  });
});
