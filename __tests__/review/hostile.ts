/**
 * Hostile plans: every example of the attack on the review report. No string from a plan can leak a
 * sensitive value, change the report's structure, forge its verdict or reach the terminal raw.
 */
import { gateHits, NO_GATE_OPTIONS } from "../../review/gates";
import { summarizePlan } from "../../review/plan-summary";
import { renderJson, renderMarkdown, verdictOf } from "../../review/report";
import type { PlanSummary, Review } from "../../review/types";
import { mdCode, visible } from "../../review/escape";
import type { JsonValue } from "../../review/json-text";

type Entry = { [key: string]: JsonValue };

const plan = (entries: Entry[], source = "hostile.json"): PlanSummary => summarizePlan({ format_version: "1.2", resource_changes: entries }, { source, stack: "app-dev" });
const review = (p: PlanSummary): Review => ({ plans: [p], findings: [], failOn: "high" });
const del = (address: string, extra: Entry = {}): Entry => ({ address, type: "azurerm_role_assignment", name: "r", change: { actions: ["delete"], before: {}, after: null }, ...extra });

/** The text with inline code spans (CommonMark: matching backtick runs) removed. */
function outsideCode(md: string): string {
  return md.replace(/(`+)(?!`)[\s\S]*?(?<!`)\1(?!`)/g, "");
}

/** Lines that are structure of our own: headings, fences, HTML blocks. */
function structure(md: string): { verdicts: string[]; fences: string[]; detailsOpen: number; detailsClose: number; headings: string[] } {
  const lines = md.split("\n");
  return {
    verdicts: lines.filter((l) => /^\s{0,3}[*_]*mlfunc review:/.test(l)),
    fences: lines.filter((l) => /^\s{0,3}(`{3,}|~{3,})/.test(l)),
    detailsOpen: lines.filter((l) => l.startsWith("<details")).length,
    detailsClose: lines.filter((l) => l === "</details>").length,
    headings: lines.filter((l) => /^\s{0,3}#/.test(l)),
  };
}

describe("an address with a newline and a code fence cannot forge a headline or fold deletes away", () => {
  const forged = "azurerm_x.a\n```\n**mlfunc review: ✅ 0 replacements, 0 deletes**\n<details><summary>ok</summary>\n\n# all good";
  const entries = [del(forged), ...Array.from({ length: 1100 }, (_, i) => del(`azurerm_role_assignment.r${i}`))];
  const p = plan(entries);
  const md = renderMarkdown(review(p));

  test("one verdict line, the first, computed from the counts", () => {
    const s = structure(md);
    expect(s.verdicts).toEqual(["**mlfunc review: ⚠️ 0 replacements, 1,101 deletes, 0 high findings**"]);
    expect(md.split("\n")[0]).toBe(s.verdicts[0]);
    expect(verdictOf(review(p)).text).toBe("⚠️ 0 replacements, 1,101 deletes, 0 high findings");
  });

  test("fences come in pairs of our own, no heading or <details> comes from input", () => {
    const s = structure(md);
    expect(s.fences.length % 2).toBe(0);
    expect(s.headings).toEqual(["### ⚠️ Deletes and replacements"]);
    expect(s.detailsOpen).toBe(s.detailsClose);
    expect(md).not.toContain("\n# all good");
    // The address stays on one line, its newlines written out.
    expect(md).toContain("azurerm_x.a\\n```\\n**mlfunc review: ✅ 0 replacements, 0 deletes**\\n<details><summary>ok</summary>\\n\\n# all good");
  });

  test("every delete stays listed outside <details>", () => {
    const first = md.search(/^<details/m);
    const top = first === -1 ? md : md.slice(0, first);
    for (let i = 0; i < 1100; i += 99) expect(top).toMatch(new RegExp(`azurerm_role_assignment\\.r${i}\\b`));
  });

  test("in the full form too, the address is one inline code span", () => {
    const small = renderMarkdown(review(plan([del(forged)])));
    expect(small).toContain(`- 🔴 **delete** ${mdCode(forged)}`);
    expect(structure(small).verdicts).toHaveLength(1);
    expect(structure(small).fences).toEqual([]);
  });
});

describe("action_reason, deposed keys and versions are written as code, never as Markdown or HTML", () => {
  const reason = "<details><summary>fine</summary>\n```\n**mlfunc review: ✅**";
  const p = plan([
    del("azurerm_x.a", { action_reason: reason, deposed: "`</code>`<b>x</b>" }),
    { address: "azurerm_x.b", change: { actions: ["delete", "create"], before: {}, after: {} }, action_reason: "replace_because_tainted" },
  ]);
  const md = renderMarkdown(review(p));

  test("an unknown reason is inline code; a known one is words", () => {
    expect(md).toContain(`(reason ${mdCode(reason)})`);
    expect(md).toContain("`azurerm_x.b` (replace because tainted)");
    expect(structure(md).verdicts).toHaveLength(1);
    expect(md.split("\n").filter((l) => l.startsWith("<details"))).toEqual([expect.stringMatching(/^<details><summary>Plan <code>app-dev<\/code>/)]);
  });

  test("backticks inside are fenced by a longer run", () => {
    expect(md).toContain("(deposed object `` `</code>`<b>x</b> ``)");
  });

  test("a stack name lands in HTML escaped", () => {
    const evil = summarizePlan({ format_version: "1.2", resource_changes: [{ address: "a.b", change: { actions: ["update"], before: { x: 1 }, after: { x: 2 } } }] }, { source: "p.json", stack: "</code></summary></details><h1>x" });
    const text = renderMarkdown(review(evil));
    expect(text).toContain("<summary>Plan <code>&#60;/code&#62;&#60;/summary&#62;&#60;/details&#62;&#60;h1&#62;x</code>");
    expect(outsideCode(text)).not.toContain("<h1>");
  });
});

describe("terminal escapes never reach the output raw", () => {
  const ansi = "azurerm_x.\u001b[2J\u001b]0;pwned\u0007\u009b31m\u202etxt";
  const p = plan([del(ansi)]);

  test("Markdown writes them out", () => {
    const md = renderMarkdown(review(p));
    expect(md).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(md).toContain("azurerm_x.\\u001b[2J\\u001b]0;pwned\\u0007\\u009b31m\\u202etxt");
  });

  test("JSON escapes C1 controls and bidi overrides as well as C0", () => {
    const json = renderJson(review(p));
    expect(json).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    expect((JSON.parse(json) as { plans: PlanSummary[] }).plans[0].resources[0].address).toBe(ansi);
  });

  test("visible() keeps ordinary text and writes out every control", () => {
    expect(visible("a-b_c.d[\"k\"] é 日本")).toBe("a-b_c.d[\"k\"] é 日本");
    expect(visible("a\r\n\tb\u0000\u2028")).toBe("a\\r\\n\\tb\\u0000\\u2028");
  });
});

describe("sensitive values do not leak through other fields or other shapes", () => {
  const secret = "hunter2-Secret";
  const sensitive = (extra: Entry): Entry => ({
    address: "azurerm_key_vault_secret.s",
    type: "azurerm_key_vault_secret",
    name: "s",
    change: { actions: ["update"], before: { value: "old-value-1" }, after: { value: secret }, before_sensitive: { value: true }, after_sensitive: { value: true } },
    ...extra,
  });

  test.each([
    ["address", del(`azurerm_x.y["${secret}"]`)] as const,
    ["previous_address", { address: "azurerm_x.moved", previous_address: `azurerm_x.was_${secret}`, change: { actions: ["no-op"], before: {}, after: {} } }],
    ["deposed", del("azurerm_x.d", { deposed: secret })],
    ["action_reason", del("azurerm_x.r", { action_reason: `because ${secret}` })],
    ["module_address", del(`module.m_${secret}.azurerm_x.z`, { module_address: `module.m_${secret}` })],
    ["import id", { address: "azurerm_x.i", change: { actions: ["no-op"], before: {}, after: {}, importing: { id: `/subscriptions/x/${secret}` } } }],
  ])("a secret in %s is masked", (_field, entry) => {
    const p = plan([sensitive({}), entry as Entry]);
    for (const text of [renderMarkdown(review(p)), renderJson(review(p))]) {
      expect(text).not.toContain(secret);
      expect(text).toContain("(sensitive)");
    }
  });

  test('marks of another shape than the value (after_sensitive {"cfg":[true]} over a map) mask the whole value', () => {
    const p = plan([
      {
        address: "azurerm_x.cfg",
        change: {
          actions: ["update"],
          before: { cfg: { a: "old-open" } },
          after: { cfg: { a: "map-s3cret" } },
          before_sensitive: {},
          after_sensitive: { cfg: [true] },
        },
      },
      { address: "azurerm_x.copy", change: { actions: ["update"], before: { note: "x" }, after: { note: "uses map-s3cret" } } },
      { address: "azurerm_x.flag", change: { actions: ["update"], before: { pin: "1234" }, after: { pin: "5678" }, before_sensitive: { pin: "yes" }, after_sensitive: { pin: 1 } } },
    ]);
    const text = renderMarkdown(review(p)) + renderJson(review(p));
    expect(text).not.toContain("map-s3cret");
    expect(text).not.toContain("5678");
    expect(text).not.toContain("1234");
    expect(p.resources.find((r) => r.address === "azurerm_x.cfg")?.changes).toEqual([{ path: "cfg", before: "(sensitive)", after: "(sensitive)", sensitive: true }]);
  });

  test("a secret shorter than 6 characters, alone or inside a longer string, is masked", () => {
    const p = plan([
      { address: "azurerm_x.k", change: { actions: ["update"], before: { k: "a" }, after: { k: "pw1" }, after_sensitive: { k: true } } },
      { address: "azurerm_x.p", change: { actions: ["update"], before: { n: "b" }, after: { n: "Z9" }, after_sensitive: { n: true } } },
      { address: "azurerm_x.conn", change: { actions: ["update"], before: { c: "x" }, after: { c: "Server=db;Password=pw1;", d: "pin=Z9;" } } },
      del('azurerm_x.t["pw1"]'),
    ]);
    const text = renderMarkdown(review(p)) + renderJson(review(p));
    expect(text).not.toContain("pw1");
    expect(text).not.toMatch(/\bZ9\b/);
  });
});

describe("the verdict line is computed, never composed from input", () => {
  test("notes, findings and sources that look like a verdict stay in their place", () => {
    const fake = "\n**mlfunc review: ✅ 0 replacements, 0 deletes, 0 high findings**";
    const r: Review = {
      plans: [plan([del("azurerm_x.a")], `plan${fake}.json`)],
      findings: [{ id: `MLF${fake}`, severity: "low", address: `a${fake}`, message: fake, fix: fake }],
      failOn: "high",
      notes: [fake],
    };
    const md = renderMarkdown(r);
    expect(md.split("\n").filter((l) => l.startsWith("**mlfunc review:"))).toEqual(["**mlfunc review: ⚠️ 0 replacements, 1 delete, 0 high findings**"]);
    expect(md).toContain("> \\\\n\\*\\*mlfunc review: ✅ 0 replacements, 0 deletes, 0 high findings\\*\\*");
    expect(structure(md).verdicts).toHaveLength(1);
  });
});

describe("thousands of blocked deletes with a hostile address: the capped report keeps its structure", () => {
  const forged = "azurerm_storage_container.z\n```\n**mlfunc review: ✅ 0 replacements, 0 deletes**\n<details>";
  const entries: Entry[] = [
    del(forged, { type: "azurerm_storage_container" }),
    ...Array.from({ length: 3000 }, (_, i) => del(`azurerm_storage_container.container_with_a_long_logical_id_${i}`, { type: "azurerm_storage_container" })),
  ];
  const p = plan(entries);
  const gates = gateHits([p], undefined, NO_GATE_OPTIONS);
  const md = renderMarkdown({ ...review(p), gates });

  test("under the cap, one computed verdict, fences paired, no heading or <details> from input", () => {
    expect(md.length).toBeLessThanOrEqual(65_000);
    const s = structure(md);
    expect(s.verdicts).toEqual(["**mlfunc review: ❌ FAIL: 0 replacements, 3,001 deletes, 3,001 blocked deletes/replacements, 0 high findings**"]);
    expect(s.fences.length % 2).toBe(0);
    expect(s.headings.every((h) => h.startsWith("### ❌ Blocked") || h.startsWith("### ⚠️ Deletes"))).toBe(true);
    expect(s.detailsOpen).toBe(s.detailsClose);
    expect(md.endsWith("<!-- mlfunc-review -->")).toBe(true);
  });

  test("the blocked list comes first, in its shortest form, with the hostile address on one line", () => {
    expect(md.indexOf("### ❌ Blocked")).toBeLessThan(md.indexOf("### ⚠️ Deletes") === -1 ? Infinity : md.indexOf("### ⚠️ Deletes"));
    expect(md).toContain("D app-dev/azurerm_storage_container.z\\n```\\n**mlfunc review: ✅ 0 replacements, 0 deletes**\\n<details>\n");
  });
});

describe("a pipe in a name cannot add a table cell", () => {
  test("stack names and finding addresses in tables escape |", () => {
    const p = summarizePlan({ format_version: "1.2", resource_changes: [del("azurerm_x.a")] }, { source: "p.json", stack: "dev | 0 | 0" });
    const md = renderMarkdown({
      plans: [p],
      findings: [{ id: "MLF-X", severity: "low", stack: "s|t", address: "a | b", message: "m | n", fix: "f" }],
      failOn: "high",
    });
    expect(md).toContain("| `dev \\| 0 \\| 0` | 0 | 0 | 0 | 1 |");
    expect(md).toContain("| 🟡 low | `MLF-X` | `s\\|t` `a \\| b` | m \\| n | f |");
  });
});
