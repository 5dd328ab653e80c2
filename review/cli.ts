/**
 * `npm run review -- [--base <git-ref> | --base-out <cdktf.out dir>] [--plan <plan.json> ...]
 *   [--format md|json] [--fail-on low|medium|high|none] [--out <file>]`
 * One report per pull request: the offline diff against the base, plan summaries, policy findings.
 * Exit codes: 0 ok, 1 a policy finding at or above --fail-on, 2 bad input.
 */
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeploymentError } from "../config/problems";
import { evaluateOutdir } from "../policy/engine";
import { ReviewInputError } from "./errors";
import { diffSynthDirs } from "./diff";
import { loadPlanSummary } from "./plan-summary";
import { renderJson, renderMarkdown, reviewExitCode } from "./report";
import { deploymentFile } from "../config/load";
import { defaultBase, synthGitRef, synthWorkingTree } from "./synth";
import { progress } from "../scripts/progress";
import { type FailOn, type PlanSummary, type Review, type StackDiff, isFailOn } from "./types";

export interface ReviewArgs {
  readonly base?: string;
  readonly baseOut?: string;
  readonly plans: readonly string[];
  readonly format: "md" | "json";
  readonly failOn: FailOn;
  readonly out?: string;
}

const USAGE =
  "usage: npm run review -- [--base <git-ref> | --base-out <cdktf.out dir>] [--plan <plan.json> ...] [--format md|json] [--fail-on low|medium|high|none] [--out <file>]";

export function parseReviewArgs(argv: readonly string[]): ReviewArgs {
  let base: string | undefined;
  let baseOut: string | undefined;
  const plans: string[] = [];
  let format: ReviewArgs["format"] = "md";
  let failOn: FailOn = "high";
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? "";
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new ReviewInputError(flag, `needs a value; ${USAGE}`);
      return v;
    };
    switch (flag) {
      case "--base":
        base = value();
        break;
      case "--base-out":
        baseOut = value();
        break;
      case "--plan":
        plans.push(value());
        break;
      case "--format": {
        const v = value();
        if (v !== "md" && v !== "json") throw new ReviewInputError(flag, `"${v}" is not a format; use md or json`);
        format = v;
        break;
      }
      case "--fail-on": {
        const v = value();
        if (!isFailOn(v)) throw new ReviewInputError(flag, `"${v}" is not a level; use low, medium, high or none`);
        failOn = v;
        break;
      }
      case "--out":
        out = value();
        break;
      default:
        throw new ReviewInputError(flag, `unknown argument; ${USAGE}`);
    }
  }
  if (base !== undefined && baseOut !== undefined) throw new ReviewInputError("--base", "give --base or --base-out, not both");
  return { base, baseOut, plans, format, failOn, out };
}

/** Builds the review: synthesizes the working tree (and the base), reads plans, applies the policy. */
export async function runReview(args: ReviewArgs): Promise<Review> {
  const scratch = mkdtempSync(join(tmpdir(), "mlfunc-review-"));
  try {
    const config = deploymentFile();
    const head = join(scratch, "head");
    progress(`review: synthesizing ${config} from the working tree`);
    synthWorkingTree(config, head);
    const notes: string[] = [];
    let diff: StackDiff[] | undefined;
    let baseName: string | undefined;
    if (args.baseOut !== undefined) {
      if (!existsSync(join(args.baseOut, "stacks")) || !statSync(join(args.baseOut, "stacks")).isDirectory()) {
        throw new ReviewInputError("--base-out", `"${args.baseOut}" is not a synthesized cdktf.out folder (no stacks/ inside); run npm run synth on the base first`);
      }
      baseName = args.baseOut;
      progress(`review: comparing with ${args.baseOut}`);
      diff = await diffSynthDirs(args.baseOut, head);
    } else {
      const ref = args.base ?? defaultBase();
      if (ref === undefined) notes.push("No base to compare with (no origin/main or main): the offline diff is skipped; pass --base <ref>.");
      else {
        const baseOut = join(scratch, "base");
        progress(`review: building and synthesizing ${ref} in a temporary worktree`);
        notes.push(...synthGitRef(ref, config, baseOut));
        baseName = ref;
        diff = await diffSynthDirs(baseOut, head);
        progress(`review: compared ${diff.map((d) => d.stack).join(", ") || "no stacks"} with ${ref}`);
      }
    }
    const plans: PlanSummary[] = [];
    for (const file of args.plans) {
      progress(`review: reading plan ${file}`);
      plans.push(await loadPlanSummary(file));
    }
    if (args.plans.length === 0) notes.push("No Terraform plan given: the report shows the offline diff and policy only.");
    return { base: baseName, diff, plans, findings: evaluateOutdir(head), failOn: args.failOn, notes };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    const args = parseReviewArgs(argv);
    const review = await runReview(args);
    const text = args.format === "json" ? renderJson(review) : renderMarkdown(review);
    if (args.out !== undefined) writeFileSync(args.out, text);
    else process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
    return reviewExitCode(review);
  } catch (e) {
    if (e instanceof ReviewInputError || e instanceof DeploymentError) {
      process.stderr.write(`review: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 3;
    },
  );
}
