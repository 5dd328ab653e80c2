import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { REPORT_MARKER } from "../review/report";

interface Step {
  readonly uses?: string;
  readonly run?: string;
}
interface Job {
  readonly permissions?: Record<string, string>;
  readonly steps: readonly Step[];
}
interface Workflow {
  readonly on: Record<string, unknown>;
  readonly permissions: Record<string, string>;
  readonly jobs: Record<string, Job>;
}

const file = path.join(__dirname, "..", ".github", "workflows", "review.yml");
const text = readFileSync(file, "utf8");
const workflow = parse(text) as Workflow;

describe("review workflow", () => {
  test("runs on pull requests", () => {
    expect(Object.keys(workflow.on)).toEqual(["pull_request"]);
  });

  test("every action is pinned to a full commit SHA with its version in a comment", () => {
    const uses = text.split("\n").filter((line) => /^\s*(-\s+)?uses:/.test(line));
    expect(uses.length).toBeGreaterThanOrEqual(6);
    for (const line of uses) expect(line).toMatch(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });

  test("permissions are least privilege: OIDC only for the plan job, comment rights only for the review job", () => {
    expect(workflow.permissions).toEqual({ contents: "read" });
    expect(workflow.jobs.test.permissions).toBeUndefined();
    expect(workflow.jobs.plan.permissions).toEqual({ contents: "read", "id-token": "write" });
    expect(workflow.jobs.review.permissions).toEqual({ contents: "read", "pull-requests": "write" });
  });

  test("installs, tests, synthesizes, reviews and updates one comment found by the report's marker", () => {
    const runs = Object.values(workflow.jobs).flatMap((j) => j.steps.map((s) => s.run ?? ""));
    for (const command of ["npm ci", "npm test", "npm run synth", "npm run --silent review --"]) {
      expect(runs.some((r) => r.includes(command))).toBe(true);
    }
    expect(text).toContain(`const marker = "${REPORT_MARKER}";`);
    expect(text).toContain("github.rest.issues.updateComment");
  });

  test("plans each synthesized stack and passes the JSON with --plan", () => {
    const plan = workflow.jobs.plan.steps.map((s) => s.run ?? "").join("\n");
    expect(plan).toContain("for dir in cdktf.out/stacks/*/");
    expect(plan).toMatch(/terraform -chdir="\$dir" show -json review\.tfplan > "\$RUNNER_TEMP\/plans\/\$stack\.json"/);
    expect(text).toContain("args+=(--plan \"$plan\")");
    for (const name of ["AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID"]) expect(text).toContain(`vars.${name}`);
  });
});
