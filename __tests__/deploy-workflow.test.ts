/** The deploy workflow example: apply one stack, then `npm run smoke` against it. */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

interface Job {
  readonly needs?: string;
  readonly container?: string;
  readonly permissions?: Record<string, string>;
  readonly env?: Record<string, string>;
  readonly steps: readonly { readonly uses?: string; readonly run?: string; readonly if?: string }[];
}

const text = readFileSync(path.join(__dirname, "..", ".github", "workflows", "deploy.yml"), "utf8");
const workflow = parse(text) as { on: Record<string, unknown>; permissions: Record<string, string>; env: Record<string, string>; jobs: Record<string, Job> };

describe("deploy workflow", () => {
  test("the smoke job runs after the apply, against the same stack", () => {
    const deploy = workflow.jobs.deploy as Job;
    const smoke = workflow.jobs.smoke as Job;
    const runs = deploy.steps.filter((s) => s.run !== undefined).map((s) => [s.if, s.run]);
    // A push builds once (the image stack) and deploys dev; by hand, a stack is promoted: no build.
    expect(runs).toContainEqual(["github.event_name == 'push'", 'npm run deploy -- "$IMAGE_STACK" "$STACK" --auto-approve']);
    expect(runs).toContainEqual(["github.event_name != 'push'", 'npm run deploy -- "$STACK" --ignore-missing-stack-dependencies --auto-approve']);
    expect(workflow.env).toEqual(expect.objectContaining({ IMAGE_STACK: "diabetes-image" }));
    expect(smoke.needs).toBe("deploy");
    expect(smoke.steps.some((s) => s.run?.includes('npm run --silent smoke -- "$STACK" --timeout 900 --json > smoke.json'))).toBe(true);
    // The smoke step's exit code is the job's.
    expect(smoke.steps.find((s) => s.run?.includes("npm run --silent smoke"))?.run).toContain("exit $code");
  });

  test("signs in with OIDC only: no secret is referenced", () => {
    expect(text).not.toMatch(/secrets\./);
    expect(workflow.permissions).toEqual({ contents: "read" });
    for (const job of ["deploy", "smoke"]) expect(workflow.jobs[job]?.permissions).toEqual({ contents: "read", "id-token": "write" });
    expect(workflow.jobs.smoke?.env?.AZURE_FEDERATED_TOKEN_FILE).toBe("/tmp/azure-federated-token");
  });

  test("every action is pinned to a full commit SHA with its version in a comment", () => {
    const uses = text.split("\n").filter((line) => /^\s*(-\s+)?uses:/.test(line));
    expect(uses.length).toBeGreaterThanOrEqual(4);
    for (const line of uses) expect(line).toMatch(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });
});
