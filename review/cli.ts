/**
 * `mlfunc review` (options: commands/spec.ts).
 * One report per pull request: the offline diff against the base, plan summaries, policy findings,
 * the delete gate. Exit codes: 0 ok, 1 a policy finding at or above --fail-on or a blocked delete,
 * 2 bad input, 3 an internal error.
 */
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { DeploymentError } from "../config/problems";
import { deploymentFile, loadDeployment } from "../config/load";
import { modelCacheRoot } from "../config/model-reference";
import { type ModelFetchOptions, prepareModel } from "../build-context/registered-model";
import { evaluateOutdir } from "../policy/engine";
import { ReviewInputError } from "./errors";
import { diffSynthTrees, loadSynthTree } from "./diff";
import { terminalLines, visible } from "./escape";
import { blockedHits, gateHits, unusedAllows, type AllowRule } from "./gates";
import { CATCH_ALL_MESSAGE, isCatchAll } from "../config/patterns";
import { imageChanges, imagePromotions } from "./images";
import { loadPlanSummary } from "./plan-summary";
import { renderJson, renderMarkdown, reviewExitCode } from "./report";
import { baseAllowEntries, defaultBase, synthGitRef, synthWorkingTree } from "./synth";
import { progress } from "../commands/progress";
import { REVIEW, parseOptions, printedHelp, usageLine } from "../commands/spec";
import { type FailOn, type ImageChange, type ImagePromotion, type PlanSummary, type Review, type StackDiff, isFailOn } from "./types";

export interface ReviewArgs {
  readonly base?: string;
  readonly baseOut?: string;
  readonly plans: readonly string[];
  readonly format: "md" | "json";
  readonly failOn: FailOn;
  readonly out?: string;
  readonly allowDelete: readonly string[];
  readonly failOnDelete: boolean;
  readonly failOnReplace: boolean;
  /** --offline: use only downloaded registered models; nothing contacts Azure. */
  readonly offline?: boolean;
}

export function parseReviewArgs(argv: readonly string[]): ReviewArgs {
  const { values, positionals } = parseOptions(
    REVIEW,
    argv,
    // The error names the option as its source, so the problem is worded without it.
    (option, _message, problem) => new ReviewInputError(visible(option), `${problem === "unknown option" ? "unknown argument" : problem}; ${usageLine(REVIEW)}`),
  );
  if (positionals.length > 0) throw new ReviewInputError(positionals[0] ?? "", `unknown argument; ${usageLine(REVIEW)}`);
  const base = values.base as string | undefined;
  const baseOut = values["base-out"] as string | undefined;
  const out = values.out as string | undefined;
  const format = (values.format as string | undefined) ?? "md";
  if (format !== "md" && format !== "json") throw new ReviewInputError("--format", `"${format}" is not a format; use md or json`);
  const failOn = (values["fail-on"] as string | undefined) ?? "high";
  if (!isFailOn(failOn)) throw new ReviewInputError("--fail-on", `"${failOn}" is not a level; use low, medium, high or none`);
  const plans = (values.plan as string[] | undefined) ?? [];
  const allowDelete = (values["allow-delete"] as string[] | undefined) ?? [];
  const catchAll = allowDelete.find(isCatchAll);
  if (catchAll !== undefined) throw new ReviewInputError("--allow-delete", `"${visible(catchAll)}" ${CATCH_ALL_MESSAGE}`);
  const failOnDelete = values["fail-on-delete"] === true;
  const failOnReplace = values["fail-on-replace"] === true;
  const offline = values.offline === true;
  if (base !== undefined && baseOut !== undefined) throw new ReviewInputError("--base", "give --base or --base-out, not both");
  if (out !== undefined) checkOutFile(out);
  return { base, baseOut, plans, format, failOn, out, allowDelete, failOnDelete, failOnReplace, ...(offline ? { offline } : {}) };
}

/** The report file must be writable as a file: checked before the (slow) synth, not after. */
function checkOutFile(out: string): void {
  const full = resolve(out);
  if (existsSync(full) && statSync(full).isDirectory()) {
    throw new ReviewInputError("--out", `"${out}" is a directory; give a file name, e.g. --out ${join(out, "review.md")}`);
  }
  const parent = dirname(full);
  if (!existsSync(parent) || !statSync(parent).isDirectory()) {
    throw new ReviewInputError("--out", `the folder of "${out}" does not exist; create it first or write the report elsewhere`);
  }
}

/** Builds the review: synthesizes the working tree (and the base), reads plans, applies policy and gate. */
export async function runReview(args: ReviewArgs, options: { readonly codeRoot?: string; readonly fetchOptions?: ModelFetchOptions } = {}): Promise<Review> {
  const scratch = mkdtempSync(join(tmpdir(), "mlfunc-review-"));
  // The base revision reads registered models from the working tree's cache (its own checkout has
  // none), and an offline review keeps the base's synth offline too.
  const saved = { cache: process.env.MLFUNC_MODEL_CACHE, offline: process.env.MLFUNC_OFFLINE };
  try {
    const config = deploymentFile();
    await prepareModel(config, { ...options.fetchOptions, offline: args.offline });
    const deployment = loadDeployment(config);
    process.env.MLFUNC_MODEL_CACHE = modelCacheRoot(dirname(resolve(config)));
    if (args.offline) process.env.MLFUNC_OFFLINE = "1";
    const head = join(scratch, "head");
    const notes: string[] = [];
    // Plans first: a bad plan file is reported before any synth.
    const plans: PlanSummary[] = [];
    for (const file of args.plans) {
      progress(`review: reading plan ${visible(file)}`);
      plans.push(await loadPlanSummary(file));
    }
    let diff: StackDiff[] | undefined;
    let images: ImageChange[] = [];
    let promotions: ImagePromotion[] = [];
    let baseName: string | undefined;
    let baseOut: string | undefined;
    if (args.baseOut !== undefined) {
      if (!existsSync(args.baseOut) || !statSync(args.baseOut).isDirectory() || !existsSync(join(args.baseOut, "manifest.json"))) {
        throw new ReviewInputError("--base-out", `"${args.baseOut}" is not a synthesized cdktf.out folder (no manifest.json inside); run npm run synth on the base first`);
      }
      baseName = args.baseOut;
      baseOut = args.baseOut;
    } else {
      const ref = args.base ?? defaultBase(config);
      if (ref === undefined) notes.push("No base to compare with (no origin/main or main): the offline diff is skipped; pass --base <ref>.");
      else {
        baseOut = join(scratch, "base");
        progress(`review: building and synthesizing ${visible(ref)} in a temporary worktree`);
        notes.push(...synthGitRef(ref, config, baseOut, { scratch, codeRoot: options.codeRoot }));
        baseName = ref;
      }
    }
    // After the base: a base that cannot differ is refused before the slower synth of the working tree.
    progress(`review: synthesizing ${visible(config)} from the working tree`);
    synthWorkingTree(config, head);
    if (baseOut !== undefined) {
      const [baseTree, headTree] = await Promise.all([loadSynthTree(baseOut), loadSynthTree(head)]);
      diff = diffSynthTrees(baseTree, headTree);
      images = await imageChanges(baseOut, head, baseTree, headTree);
      promotions = imagePromotions(baseTree, headTree);
      progress(`review: compared ${diff.map((d) => d.stack).join(", ") || "no stacks"} with ${visible(baseName ?? "")}`);
      if (args.baseOut !== undefined && diff.every((d) => d.status === "unchanged") && images.length === 0) {
        notes.push(`Every stack in ${args.baseOut} is identical to this working tree's synth: if that folder was synthesized from this working tree, nothing was compared; synthesize the base revision there, or use --base <ref>.`);
      }
    }
    if (args.plans.length === 0) notes.push("No Terraform plan given: the report shows the offline diff and policy only.");
    // Entries the base revision's file lacks are this change approving its own deletes: flagged in the report.
    const baseEntries = args.baseOut === undefined && baseName !== undefined ? baseAllowEntries(baseName, config) : undefined;
    const addedHere = (address: string) => baseEntries !== undefined && !baseEntries.includes(address);
    if (baseEntries === undefined && deployment.review.allowDelete.length > 0) {
      notes.push(
        `The base revision's review.allowDelete entries could not be read (${args.baseOut !== undefined ? "--base-out gives a synthesized folder, not a revision" : "not a git revision of this deployment file"}), so this report cannot tell which of the ${deployment.review.allowDelete.length} entries this change adds: check them in the diff of the deployment file.`,
      );
    }
    const allow: AllowRule[] = [
      ...args.allowDelete.map((pattern) => ({ pattern })),
      ...deployment.review.allowDelete.map((a) => ({ pattern: a.address, reason: a.reason, ...(addedHere(a.address) ? { addedHere: true } : {}) })),
    ];
    const newAllows = deployment.review.allowDelete.filter((a) => addedHere(a.address)).map((a) => ({ address: a.address, reason: a.reason }));
    const gateOptions = { allow, failOnDelete: args.failOnDelete, failOnReplace: args.failOnReplace };
    const gates = gateHits(plans, diff, gateOptions);
    for (const unused of unusedAllows(gates, gateOptions)) {
      notes.push(`${unused.reason === undefined ? "--allow-delete" : "review.allowDelete address"} "${unused.pattern}" matches no gated delete or replacement.`);
    }
    return { base: baseName, diff, plans, findings: evaluateOutdir(head), failOn: args.failOn, notes, gates, images, promotions, ...(newAllows.length > 0 ? { newAllows } : {}) };
  } finally {
    restoreEnv("MLFUNC_MODEL_CACHE", saved.cache);
    restoreEnv("MLFUNC_OFFLINE", saved.offline);
    rmSync(scratch, { recursive: true, force: true });
  }
}

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    const args = parseReviewArgs(argv);
    const review = await runReview(args);
    const text = args.format === "json" ? renderJson(review) : renderMarkdown(review);
    if (args.out !== undefined) writeReport(args.out, text);
    else process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
    for (const hit of blockedHits(review.gates)) {
      process.stderr.write(terminalLines(`review: blocked ${hit.action} of ${hit.stack}/${hit.address}${hit.holds ? ` (${hit.holds})` : ""}\n`));
    }
    return reviewExitCode(review);
  } catch (e) {
    if (e instanceof ReviewInputError || e instanceof DeploymentError) {
      process.stderr.write(`review: ${terminalLines(e.message)}\n`);
      return 2;
    }
    throw e;
  }
}

function writeReport(out: string, text: string): void {
  try {
    writeFileSync(out, text);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ReviewInputError("--out", `cannot write "${out}" (${code ?? "unknown error"}); give a writable file path`);
  }
}

/** What `mlfunc review` runs: exit 3 for an unexpected failure. */
export function run(argv: readonly string[]): Promise<number> {
  if (printedHelp(REVIEW, argv)) return Promise.resolve(0);
  return main(argv).catch((e: unknown) => {
    process.stderr.write(`${terminalLines(e instanceof Error ? (e.stack ?? e.message) : String(e))}\n`);
    return 3;
  });
}
