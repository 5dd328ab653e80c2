import * as path from "node:path";
import { loadPlanSummary, summarizePlan } from "../../review/plan-summary";
import { renderJson, renderMarkdown } from "../../review/report";
import type { PlanResourceChange, PlanSummary, Review } from "../../review/types";
import { SecretScrubber } from "../../review/values";

const fixture = path.join(__dirname, "..", "fixtures", "plans", "sensitive-values.json");

/** Every value the fixture marks sensitive somewhere, plus map keys inside sensitive maps. */
const SECRETS = [
  "Zm9vYmFyU2VjcmV0S2V5MQ==",
  "QmF6U2VjcmV0S2V5Mg==",
  "SharedAccessKey",
  "TriggerConnectionString",
  'multi\nline "quoted" s3cret',
  "s3cret",
  "rotated-c0nn-string-2",
  "pw-f0r-deploy-9",
  "$func-mlfunc-prod",
  "unchanged-auth-key-77",
  "98765432",
  "12345678",
  "Old-P@ssw0rd-123",
  "New-P@ssw0rd-456",
  "HUNTER2_KEY_NAME_XYZ",
  "v4lue-of-hunter",
  "c3RvcmFnZS1rZXktbm9vcA==",
  "whole-resource-secret",
  "data-source-s3cret",
  "deleted-s3cret-value",
];

function expectNoSecrets(text: string): void {
  for (const secret of SECRETS) {
    expect(text).not.toContain(secret);
    expect(text).not.toContain(JSON.stringify(secret).slice(1, -1));
  }
}

describe("sensitive values", () => {
  let plan: PlanSummary;
  let review: Review;
  const entry = (address: string): PlanResourceChange => {
    const found = plan.resources.find((r) => r.address === address);
    if (!found) throw new Error(address);
    return found;
  };
  beforeAll(async () => {
    plan = await loadPlanSummary(fixture, { stack: "mlfunc-prod" });
    review = { plans: [plan], findings: [], failOn: "high" };
  });

  test("no sensitive text appears anywhere in the Markdown or the JSON report", () => {
    expectNoSecrets(renderMarkdown(review));
    expectNoSecrets(renderJson(review));
    expectNoSecrets(JSON.stringify(plan));
  });

  test("each sensitive value is masked on its own; the rest of the resource stays readable", () => {
    expect(entry("azurerm_linux_function_app.app").changes).toEqual([
      { path: "app_settings", before: "(sensitive)", after: "(sensitive)", sensitive: true },
      { path: "connection_string[0].value", before: "(sensitive)", after: "(sensitive)", sensitive: true },
      { path: "site_credential", before: "(sensitive)", after: "(known after apply)", sensitive: true, unknown: true },
      { path: "pin", before: "(sensitive)", after: "(sensitive)", sensitive: true },
      { path: "https_only", before: "false", after: "true" },
    ]);
  });

  test("an unchanged sensitive value is not listed at all", () => {
    expect(entry("azurerm_linux_function_app.app").changes.map((c) => c.path)).not.toContain("auth_key");
  });

  test("a replacement forced by a sensitive attribute names the attribute, not the value", () => {
    const secret = entry("azurerm_key_vault_secret.db_password");
    expect(secret.replacePaths).toEqual(["value"]);
    expect(secret.changes).toContainEqual({ path: "value", before: "(sensitive)", after: "(sensitive)", sensitive: true, forcesReplacement: true });
  });

  test("a replace path into a sensitive map stops at the map, so the key is not named", () => {
    const blue = entry("azurerm_linux_function_app.blue");
    expect(blue.replacePaths).toEqual(["app_settings"]);
    expect(blue.changes).toContainEqual({ path: "app_settings", before: "(sensitive)", after: "(sensitive)", sensitive: true, forcesReplacement: true });
  });

  test("a secret copied into an unmarked attribute of another resource is masked there too", () => {
    expect(entry("azurerm_app_configuration_key.copy").changes).toEqual([
      { path: "value", before: '"old"', after: "(sensitive)", sensitive: true },
      { path: "tags.note", before: "null", after: "(sensitive)", sensitive: true },
    ]);
  });

  test("a resource marked sensitive as a whole becomes one masked line", () => {
    expect(entry("azurerm_key_vault_secret.whole").changes).toEqual([
      { path: "(resource)", before: "(sensitive)", after: "(sensitive)", sensitive: true },
    ]);
  });

  test("masked lines render as markers, not code, in Markdown", () => {
    const md = renderMarkdown(review);
    expect(md).toContain("- `app_settings`: _(sensitive)_ → _(sensitive)_");
    expect(md).toContain("- `value`: _(sensitive)_ → _(sensitive)_ **(forces replacement)**");
    expect(md).toContain("- `https_only`: `false` → `true`");
  });

  test("sensitive markers may be nested arrays, objects or true at any level", () => {
    const summary = summarizePlan(
      {
        format_version: "1.2",
        resource_changes: [
          {
            address: "azurerm_x.y",
            change: {
              actions: ["update"],
              before: { list: [{ a: "keep-me-1", b: "hide-me-11" }, { a: "keep-me-2", b: "hide-me-22" }], m: { k1: "m-secret-1", k2: "open-1" } },
              after: { list: [{ a: "keep-me-1x", b: "hide-me-11x" }, { a: "keep-me-2", b: "hide-me-22x" }], m: { k1: "m-secret-2", k2: "open-2" } },
              before_sensitive: { list: [{ b: true }, { b: true }], m: { k1: true } },
              after_sensitive: { list: [{ b: true }, {}], m: { k1: true } },
            },
          },
        ],
      },
      { source: "nested.json" },
    );
    expect(summary.resources[0].changes).toEqual([
      { path: "list[0].a", before: '"keep-me-1"', after: '"keep-me-1x"' },
      { path: "list[0].b", before: "(sensitive)", after: "(sensitive)", sensitive: true },
      { path: "list[1].b", before: "(sensitive)", after: "(sensitive)", sensitive: true },
      { path: "m.k1", before: "(sensitive)", after: "(sensitive)", sensitive: true },
      { path: "m.k2", before: '"open-1"', after: '"open-2"' },
    ]);
    expect(JSON.stringify(summary)).not.toMatch(/hide-me|m-secret/);
  });
});

describe("SecretScrubber", () => {
  test("finds the longest secret at each position, inside longer strings too", () => {
    const scrubber = new SecretScrubber();
    scrubber.collect(["abcdef", "abcdefgh", "short"], true);
    expect(scrubber.size).toBe(3);
    expect(scrubber.text("x-abcdefgh-abcdef-abcde")).toBe("x-(sensitive)-(sensitive)-abcde");
    expect(scrubber.text("Password=xshortx;")).toBe("Password=x(sensitive)x;");
    expect(scrubber.value('"xxabcdefxx"')).toBe("(sensitive)");
  });

  test("secrets of 3 to 5 characters are masked anywhere; 1-2 characters and map keys only as whole tokens", () => {
    const scrubber = new SecretScrubber();
    scrubber.collect({ pin: "4711", code: "ab", port: 7 }, { pin: true, code: true, port: true });
    scrubber.collect({ "db-key": "x-value-1" }, true);
    expect(scrubber.value('"Server=x;Pin=4711;"')).toBe("(sensitive)");
    expect(scrubber.value('"id47110"')).toBe("(sensitive)");
    expect(scrubber.text("azurerm_x.y[\"ab\"]")).toBe('azurerm_x.y["(sensitive)"]');
    expect(scrubber.text("tab_abc")).toBe("tab_abc");
    expect(scrubber.value("7")).toBe("(sensitive)");
    expect(scrubber.value("17")).toBe("17");
    expect(scrubber.text('tags["db-key"]')).toBe('tags["(sensitive)"]');
    expect(scrubber.text("my_db-key_2")).toBe("my_db-key_2");
  });

  test("a sensitive true, false or null is not searched for: it would mask every flag", () => {
    const scrubber = new SecretScrubber();
    scrubber.collect({ a: "false", b: true, c: "true" }, true);
    expect(scrubber.value("false")).toBe("false");
    expect(scrubber.value("true")).toBe("true");
  });
});
