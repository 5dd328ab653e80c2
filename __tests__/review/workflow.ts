import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { REPORT_MARKER } from "../../review/report";
import { scratch } from "../support/synth";

interface Step {
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly with?: Record<string, string>;
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

const file = path.join(__dirname, "..", "..", ".github", "workflows", "review.yml");
const text = readFileSync(file, "utf8");
const workflow = parse(text) as Workflow;

const planStep = (): string => workflow.jobs.plan.steps.find((s) => s.name?.startsWith("Plan every stack"))?.run ?? "";

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

  test("plan JSON never leaves the plan job: only the masked report is uploaded, nothing prints it", () => {
    const uploads = Object.values(workflow.jobs).flatMap((j) => j.steps.filter((s) => s.uses?.startsWith("actions/upload-artifact@")));
    expect(uploads).toHaveLength(1);
    expect(uploads[0].with?.name).toBe("review-report");
    expect(uploads[0].with?.path.trim().split("\n")).toEqual(["${{ runner.temp }}/report/review.md", "${{ runner.temp }}/report/exit-code"]);
    const runs = Object.values(workflow.jobs).flatMap((j) => j.steps.map((s) => s.run ?? "")).join("\n");
    // Plans go to a file and are passed to the review, which masks them; no cat, no echo, no upload.
    expect(runs).toMatch(/show -json review\.tfplan > "\$RUNNER_TEMP\/plans\/\$stack\.json"/);
    expect(runs).not.toMatch(/cat[^\n]*plans/);
    expect(runs).toContain('rm -rf "$RUNNER_TEMP/plans"');
    expect(text).toContain('args+=(--plan "$plan")');
    const downloads = workflow.jobs.review.steps.filter((s) => s.uses?.startsWith("actions/download-artifact@"));
    expect(downloads.map((s) => s.with?.name)).toEqual(["review-report"]);
    for (const name of ["AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID"]) expect(text).toContain(`vars.${name}`);
  });

  test("the plan loop takes its stacks from cdktf.out/manifest.json, not from the folders", () => {
    const script = /node -e '([\s\S]*?)' > "\$RUNNER_TEMP\/stacks\.tsv"/.exec(planStep())?.[1];
    expect(script).toBeDefined();
    const work = scratch();
    try {
      const out = path.join(work.dir, "cdktf.out");
      for (const stack of ["app-dev", "app-prod", "other-left-over"]) mkdirSync(path.join(out, "stacks", stack), { recursive: true });
      const manifest = (stacks: Record<string, string>) =>
        JSON.stringify({ version: "0.21.0", stacks: Object.fromEntries(Object.entries(stacks).map(([n, d]) => [n, { name: n, workingDirectory: d }])) });
      writeFileSync(path.join(out, "manifest.json"), manifest({ "app-dev": "stacks/app-dev", "app-prod": "stacks/app-prod" }));
      const run = () => spawnSync(process.execPath, ["-e", script ?? ""], { cwd: work.dir, encoding: "utf8" });
      expect(run().stdout).toBe("app-dev\tstacks/app-dev\napp-prod\tstacks/app-prod\n");
      writeFileSync(path.join(out, "manifest.json"), manifest({ "x;rm -rf /": "stacks/x" }));
      expect(run().status).not.toBe(0);
      writeFileSync(path.join(out, "manifest.json"), manifest({ app: "../../etc" }));
      expect(run().status).not.toBe(0);
    } finally {
      work.cleanup();
    }
    expect(planStep()).not.toContain("cdktf.out/stacks/*");
  });

  test("a blocked delete or a failing finding fails the run after the comment is posted", () => {
    const names = workflow.jobs.review.steps.map((s) => s.name ?? s.uses ?? "");
    const post = names.findIndex((n) => n.startsWith("Post or update"));
    const fail = names.findIndex((n) => n.startsWith("Fail on policy findings or blocked deletes"));
    expect(post).toBeGreaterThan(0);
    expect(fail).toBeGreaterThan(post);
    expect(workflow.jobs.review.steps[fail].if).toBe("steps.review.outputs.exit_code == '1'");
  });
});
