import { summarizePlan } from "../../review/plan-summary";
import { MAX_REPORT_CHARS, renderJson, renderMarkdown } from "../../review/report";
import type { PlanSummary, Review } from "../../review/types";
import { generatedSecret, generatePlan } from "../../scripts/bench-review";

/** The plan's row of the counts table; the forget column exists only when some plan forgets. */
function countsRow(plan: PlanSummary, forgetColumn = plan.counts.forget > 0): string {
  const c = plan.counts;
  const forget = forgetColumn ? ` ${c.forget} |` : "";
  return `| \`${plan.stack}\` | ${c.create} | ${c.update} | ${c.replace} | ${c.delete} |${forget} ${c["no-op"]} | ${c.read} | ${c.import} | ${c.move} |`;
}

function destructive(plan: PlanSummary): string[] {
  return plan.resources.filter((r) => r.action === "delete" || r.action === "replace" || r.action === "forget").map((r) => r.address);
}

describe("report size cap", () => {
  test("three stacks with 2,400 changes stay under 65,000 characters with counts and every delete/replace intact", () => {
    const plans = ["mlfunc-dev", "mlfunc-test", "mlfunc-prod"].map((stack, i) =>
      summarizePlan(generatePlan({ resources: 800, seed: i + 1, addressPrefix: `module.${stack.replace(/-/g, "_")}.` }), { source: `${stack}.json` }),
    );
    const review: Review = { plans, findings: [], failOn: "high" };
    const md = renderMarkdown(review);
    expect(md.length).toBeLessThanOrEqual(MAX_REPORT_CHARS);
    expect(plans.reduce((n, p) => n + p.total, 0)).toBe(2_400);
    const forgetColumn = plans.some((p) => p.counts.forget > 0);
    for (const plan of plans) {
      expect(md).toContain(countsRow(plan, forgetColumn));
      const addresses = destructive(plan);
      expect(addresses.length).toBeGreaterThan(80);
      for (const address of addresses) expect(md).toContain(`\`${address}\``);
      // Every stack keeps some details: the room is shared between sections.
      expect(md).toContain(`<details><summary>Plan <code>${plan.stack}</code>`);
    }
    expect(md).toMatch(/_… [\d,]+ more entries and [\d,]+ attribute changes not shown \(report capped at 65,000 characters\); run `npm run review -- --format json` for all of it\._/);
    for (let i = 0; i < 800; i += 97) expect(md).not.toContain(generatedSecret(i));
    const json = renderJson(review);
    expect(json).not.toContain("gen-secret-");
  });

  const longDeletes = (count: number): Review => {
    const prefix = 'module.mlfunc_scoring["westeurope-production-blue"].';
    const plan = summarizePlan(generatePlan({ resources: count, seed: 7, addressPrefix: prefix, mix: { delete: 1 } }), { source: "many-deletes.json" });
    return { plans: [plan], findings: [], failOn: "high" };
  };

  test("when full delete lines do not fit, every delete is still listed one short line each", () => {
    const review = longDeletes(600);
    const md = renderMarkdown(review);
    expect(md.length).toBeLessThanOrEqual(MAX_REPORT_CHARS);
    expect(md).toContain("_Shown one per line without reasons: the full list is too long for one comment._");
    for (const r of review.plans[0].resources) expect(md).toContain(`- delete \`${r.address}\`\n`);
    expect(md).toContain(countsRow(review.plans[0]));
  });

  test("with a smaller cap the list falls back to bare addresses, and past that is cut with a note", () => {
    const review = longDeletes(600);
    const bare = renderMarkdown(review, { maxChars: 57_000 });
    expect(bare.length).toBeLessThanOrEqual(57_000);
    expect(bare).toContain("R = replace, D = delete, F = forget");
    for (const r of review.plans[0].resources) expect(bare).toContain(`D ${r.address}\n`);

    const cut = renderMarkdown(review, { maxChars: 5_000 });
    expect(cut.length).toBeLessThanOrEqual(5_000);
    expect(cut).toContain("list cut: more deletes and replacements than fit in one comment");
    expect(cut).toContain(countsRow(review.plans[0]));
  });

  test("many small stacks stay under the cap too", () => {
    const plans = Array.from({ length: 40 }, (_, i) => summarizePlan(generatePlan({ resources: 60, seed: 100 + i }), { source: `stack-${i}.json` }));
    const md = renderMarkdown({ plans, findings: [], failOn: "high" });
    expect(md.length).toBeLessThanOrEqual(MAX_REPORT_CHARS);
    const forgetColumn = plans.some((p) => p.counts.forget > 0);
    for (const plan of plans) expect(md).toContain(countsRow(plan, forgetColumn));
  });
});
