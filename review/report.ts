import { htmlText, mdBlockLine, mdCell, mdCode, mdFence, mdText, jsonForTerminal } from "./escape";
import { blockedHits } from "./gates";
import { describeFileChange } from "./images";
import { plainSuffix } from "./plain-names";
import { emptyCounts } from "./plan-summary";
import {
  SENSITIVE,
  UNKNOWN,
  type ActionCounts,
  type AttributeChange,
  type CountKey,
  type FailOn,
  type GateHit,
  type ImageChange,
  type ImagePromotion,
  type PlanResourceChange,
  type PlanSummary,
  type PolicyFinding,
  type ResourceDiff,
  type Review,
  type Severity,
  type StackDiff,
} from "./types";

/** GitHub rejects comments over 65,536 characters; the rest is headroom. */
export const MAX_REPORT_CHARS = 65_000;

/** Hidden line the CI workflow searches for to update its one comment. */
export const REPORT_MARKER = "<!-- mlfunc-review -->";

/** Longest value shown in Markdown; the JSON output keeps values whole. */
const MAX_VALUE_CHARS = 160;

const SEVERITY_RANK: Record<Severity, number> = { low: 1, medium: 2, high: 3 };

/** Findings at or above the `--fail-on` level. */
export function failingFindings(findings: readonly PolicyFinding[], failOn: FailOn): PolicyFinding[] {
  if (failOn === "none") return [];
  return findings.filter((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK[failOn]);
}

/** 1 when a finding reaches `failOn` or the gate blocks a delete, else 0 (bad input, exit 2, never gets this far). */
export function reviewExitCode(review: Review): 0 | 1 {
  return failingFindings(review.findings, review.failOn).length > 0 || blockedHits(review.gates).length > 0 ? 1 : 0;
}

export type ReviewStatus = "fail" | "attention" | "ok";

export interface Verdict {
  readonly status: ReviewStatus;
  /** One line without Markdown, e.g. `⚠️ 2 replacements, 1 delete, 0 high findings`. */
  readonly text: string;
  readonly replacements: number;
  readonly deletes: number;
  /** Where the replacement and delete numbers come from: plans win over the offline diff. */
  readonly basis: "plan" | "diff" | "none";
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
}

function isDestructiveDiff(r: ResourceDiff): boolean {
  return r.kind === "removed" || r.replace;
}

/**
 * The verdict line is built from counts and fixed words only: no string from a plan, a deployment
 * file or an argument ever reaches it.
 */
export function verdictOf(review: Review): Verdict {
  const failing = failingFindings(review.findings, review.failOn);
  const blocked = blockedHits(review.gates).length;
  const selfAllowed = (review.gates ?? []).filter((h) => h.allowedBy !== undefined && h.allowAddedHere === true).length;
  let replacements = 0;
  let deletes = 0;
  let forgets = 0;
  let basis: Verdict["basis"] = "none";
  if (review.plans.length > 0) {
    basis = "plan";
    for (const plan of review.plans) {
      replacements += plan.counts.replace;
      deletes += plan.counts.delete;
      forgets += plan.counts.forget;
    }
  } else if (review.diff && review.diff.length > 0) {
    basis = "diff";
    for (const stack of review.diff) {
      for (const r of stack.resources) {
        if (r.replace) replacements++;
        else if (r.kind === "removed") deletes++;
      }
    }
  }
  const incomplete = review.plans.filter((p) => p.errored || p.incomplete).length;
  const status: ReviewStatus =
    failing.length > 0 || blocked > 0 ? "fail" : replacements + deletes + forgets + incomplete + selfAllowed > 0 || (review.newAllows ?? []).length > 0 ? "attention" : "ok";
  const icon = status === "fail" ? "❌" : status === "attention" ? "⚠️" : "✅";
  const parts = [plural(replacements, "replacement"), plural(deletes, "delete")];
  if (forgets > 0) parts.push(`${plural(forgets, "resource")} removed from state only`);
  if (blocked > 0) parts.push(`${plural(blocked, "blocked delete/replacement", "blocked deletes/replacements")}`);
  if (selfAllowed > 0) parts.push(plural(selfAllowed, "delete allowed by an entry this change adds", "deletes allowed by entries this change adds"));
  parts.push(findingsPhrase(review.findings, review.failOn));
  if (incomplete > 0) parts.push(`${plural(incomplete, "plan")} incomplete`);
  const suffix = basis === "diff" ? " (offline diff, no plan)" : basis === "none" ? " (no plan or diff given)" : "";
  const lead = status === "fail" ? `${icon} FAIL:` : icon;
  return { status, text: `${lead} ${parts.join(", ")}${suffix}`, replacements, deletes, basis };
}

function findingsPhrase(findings: readonly PolicyFinding[], failOn: FailOn): string {
  const count = (s: Severity): number => findings.filter((f) => f.severity === s).length;
  if (failOn === "medium") return plural(count("high") + count("medium"), "high/medium finding");
  if (failOn === "low") return plural(findings.length, "finding");
  return plural(count("high"), "high finding");
}

// ---------------------------------------------------------------------------
// Markdown helpers

/** Inline code for any string from input; see escape.ts. */
function code(text: string): string {
  return mdCode(text);
}

/** Inline code inside a table row, where a `|` would split the cell. */
function tableCode(text: string): string {
  return mdCode(text, { table: true });
}

function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… (${text.length.toLocaleString("en-US")} chars)`;
}

function mdValue(value: string): string {
  if (value === SENSITIVE || value === UNKNOWN) return `_${value}_`;
  if (value.length <= MAX_VALUE_CHARS) return code(value);
  return `${code(value.slice(0, MAX_VALUE_CHARS))}… _(${value.length.toLocaleString("en-US")} chars)_`;
}

function cell(text: string): string {
  return mdCell(text);
}

function changeLine(change: AttributeChange): string {
  const forces = change.forcesReplacement ? " **(forces replacement)**" : "";
  return `  - ${code(change.path)}: ${mdValue(change.before)} → ${mdValue(change.after)}${forces}`;
}

const REPLACE_ORDER_TEXT: Record<string, string> = {
  "destroy-before-create": "destroy, then create",
  "create-before-destroy": "create, then destroy",
  "create-then-forget": "create new, old one left in Azure",
  "forget-then-create": "old one left in Azure, then create",
};

/** Terraform's action reasons (command/jsonplan), and OpenTofu's three extra ones, in words. */
const ACTION_REASONS: Readonly<Record<string, string>> = {
  replace_because_tainted: "replace because tainted",
  replace_because_cannot_update: "replace because cannot update",
  replace_by_request: "replace by request",
  replace_by_triggers: "replace by triggers",
  delete_because_no_resource_config: "delete because no resource config",
  delete_because_wrong_repetition: "delete because wrong repetition",
  delete_because_count_index: "delete because count index",
  delete_because_each_key: "delete because each key",
  delete_because_no_module: "delete because no module",
  delete_because_no_move_target: "delete because no move target",
  read_because_config_unknown: "read because config unknown",
  read_because_dependency_pending: "read because dependency pending",
  read_because_check_nested: "read because check nested",
  delete_because_enabled_false: "delete because enabled is false",
  forgot_because_lifecycle_destroy_in_state: "forgotten because lifecycle destroy is false in state",
  forgot_because_lifecycle_destroy_in_config: "forgotten because lifecycle destroy is false in config",
};

/** A known reason in words; anything else as inline code, never as Markdown or HTML. */
function reasonText(reason: string | undefined): string {
  if (!reason) return "";
  return ` (${ACTION_REASONS[reason] ?? `reason ${code(reason)}`})`;
}

function destructivePlanLine(r: PlanResourceChange): string {
  const deposed = r.deposed ? ` (deposed object ${code(r.deposed)})` : "";
  if (r.action === "delete") return `- 🔴 **delete** ${code(r.address)}${plainSuffix(r)}${deposed}${reasonText(r.actionReason)}`;
  if (r.action === "forget") return `- 🟤 **forget** ${code(r.address)}: removed from state, left in Azure`;
  const order = r.replaceOrder ? ` (${REPLACE_ORDER_TEXT[r.replaceOrder]})` : "";
  const forced = r.replacePaths.length > 0 ? ` forced by ${r.replacePaths.map(code).join(", ")}` : reasonText(r.actionReason);
  return `- 🟠 **replace**${order} ${code(r.address)}${plainSuffix(r)}${deposed}${forced}`;
}

function destructiveDiffLine(r: ResourceDiff): string {
  if (!r.replace) return `- 🔴 **delete** ${code(r.address)}${plainSuffix(r)}`;
  const reasons: string[] = [];
  if (r.previousAddress) reasons.push(`logical id renamed from ${code(r.previousAddress)}`);
  if (r.replaceReasons.length > 0) reasons.push(`forced by ${r.replaceReasons.map(code).join(", ")}`);
  return `- 🟠 **replace** ${code(r.address)}${plainSuffix(r)}${reasons.length > 0 ? ` ${reasons.join(", ")}` : ""}`;
}

function isDestructivePlan(r: PlanResourceChange): boolean {
  return r.action === "delete" || r.action === "replace" || r.action === "forget";
}

// ---------------------------------------------------------------------------
// The fixed part: verdict, counts and every delete/replace line.

const COUNT_COLUMNS: readonly CountKey[] = ["create", "update", "replace", "delete", "forget", "no-op", "read", "import", "move"];

function addCounts(into: ActionCounts, from: ActionCounts): void {
  for (const key of COUNT_COLUMNS) into[key] += from[key];
}

function planCountsTable(plans: readonly PlanSummary[]): string {
  const total = emptyCounts();
  for (const plan of plans) addCounts(total, plan.counts);
  const columns = COUNT_COLUMNS.filter((c) => c !== "forget" || total.forget > 0);
  const rows = plans.map((p) => {
    const flags = p.errored ? " ⛔ errored" : p.incomplete ? " (more changes after apply)" : "";
    return `| ${tableCode(p.stack)}${flags} | ${columns.map((c) => p.counts[c]).join(" | ")} |`;
  });
  if (plans.length > 1) rows.push(`| **total** | ${columns.map((c) => `**${total[c]}**`).join(" | ")} |`);
  return [`| Plan | ${columns.join(" | ")} |`, `|---|${columns.map(() => "---:").join("|")}|`, ...rows].join("\n");
}

function diffCountsTable(review: Review): string {
  const stacks = review.diff ?? [];
  const head = `| Synth diff${review.base ? ` vs ${tableCode(review.base)}` : ""} | added | removed | changed | replace | redeploy |`;
  const rows = stacks.map((s) => {
    const n = (pred: (r: ResourceDiff) => boolean): number => s.resources.filter(pred).length;
    const status = s.status === "added" ? " (new stack)" : s.status === "removed" ? " (stack removed)" : "";
    return `| ${tableCode(s.stack)}${status} | ${n((r) => r.kind === "added")} | ${n((r) => r.kind === "removed")} | ${n(
      (r) => r.kind === "changed" || r.kind === "renamed",
    )} | ${n((r) => r.replace)} | ${n((r) => r.redeploy)} |`;
  });
  return [head, "|---|---:|---:|---:|---:|---:|", ...rows].join("\n");
}

function findingsCountLine(review: Review): string {
  const n = (s: Severity): number => review.findings.filter((f) => f.severity === s).length;
  const gate = review.failOn === "none" ? "never fails" : `fails at ${review.failOn} and above`;
  return `Policy findings: **${n("high")} high**, ${n("medium")} medium, ${n("low")} low (${gate}).`;
}

interface DestructiveGroup {
  readonly heading: string;
  /** The heading as plain text, for the fenced shortest form. */
  readonly label: string;
  readonly lines: readonly string[];
  readonly compact: readonly string[];
  readonly addresses: readonly string[];
}

function destructiveGroups(review: Review): DestructiveGroup[] {
  const groups: DestructiveGroup[] = [];
  for (const plan of review.plans) {
    const items = plan.resources.filter(isDestructivePlan);
    if (items.length === 0) continue;
    groups.push({
      heading: `Plan ${code(plan.stack)}`,
      label: `Plan ${plan.stack}`,
      lines: items.map(destructivePlanLine),
      compact: items.map((r) => `- ${r.action === "replace" ? "replace" : r.action} ${code(r.address)}`),
      addresses: items.map((r) => `${r.action === "replace" ? "R" : r.action === "forget" ? "F" : "D"} ${r.address}`),
    });
  }
  for (const stack of review.diff ?? []) {
    const items = stack.resources.filter(isDestructiveDiff);
    if (items.length === 0) continue;
    groups.push({
      heading: `Synth diff ${code(stack.stack)}`,
      label: `Synth diff ${stack.stack}`,
      lines: items.map(destructiveDiffLine),
      compact: items.map((r) => `- ${r.replace ? "replace" : "delete"} ${code(r.address)}`),
      addresses: items.map((r) => `${r.replace ? "R" : "D"} ${r.address}`),
    });
  }
  return groups;
}

const DESTRUCTIVE_HEADING = "### ⚠️ Deletes and replacements";
const GATE_HEADING = "### ❌ Blocked: deletes and replacements of resources that hold data or identity";

function gateWhat(h: GateHit): string {
  const where = h.source === "plan" ? "plan" : "offline diff";
  if (h.holds) return `${mdText(h.holds)} (${where})`;
  return `${h.action === "delete" ? "--fail-on-delete" : "--fail-on-replace"} (${where})`;
}

function allowText(h: GateHit): string {
  const pattern = code(h.allowPattern ?? "");
  const added = h.allowAddedHere === true ? " (**an entry this change adds**)" : "";
  return h.allowReason === undefined ? `--allow-delete ${pattern}` : `${pattern} in the deployment file${added}: ${mdText(h.allowReason)}`;
}

/** The gate's lines, in the same full, compact or shortest form as the delete list. */
function renderGate(hits: readonly GateHit[] | undefined, form: "full" | "compact" | "bare"): string {
  const blocked = blockedHits(hits);
  const allowed = (hits ?? []).filter((h) => h.allowedBy !== undefined);
  const out: string[] = [];
  if (blocked.length > 0) {
    out.push(
      GATE_HEADING,
      "",
      "Each one destroys what the resource holds. If it is intended, let it through with `--allow-delete <address-pattern>` or a `review.allowDelete` entry with a reason in the deployment file.",
      "",
    );
    if (form === "bare") {
      const lines = blocked.map((h) => mdBlockLine(`${h.action === "delete" ? "D" : "R"} ${h.stack}/${h.address}`));
      const fence = mdFence(lines);
      out.push(fence, ...lines, fence);
    } else if (form === "compact") {
      out.push(...blocked.map((h) => `- ❌ ${h.action} ${code(h.stack)} ${code(h.address)}`));
    } else {
      out.push(...blocked.map((h) => `- ❌ **${h.action}** ${code(h.address)} in ${code(h.stack)}: ${gateWhat(h)}`));
    }
  }
  if (allowed.length > 0) {
    if (out.length > 0) out.push("");
    if (form === "full") {
      out.push(
        "Allowed deletes and replacements of resources that hold data or identity:",
        "",
        ...allowed.map((h) => `- ✔️ **${h.action}** ${code(h.address)} in ${code(h.stack)}: allowed by ${allowText(h)}`),
      );
    } else {
      out.push(`${plural(allowed.length, "delete or replacement", "deletes and replacements")} of resources that hold data or identity allowed (listed in the JSON report).`);
    }
  }
  return out.join("\n");
}

function renderDestructive(groups: readonly DestructiveGroup[], form: "full" | "compact" | "bare"): string {
  if (groups.length === 0) return "";
  if (form === "bare") {
    const lines = groups.flatMap((g) => [g.label, ...g.addresses].map(mdBlockLine));
    const fence = mdFence(lines);
    return `${DESTRUCTIVE_HEADING}\n\nR = replace, D = delete, F = forget (shortest form: the full list is too long for one comment).\n\n${fence}\n${lines.join("\n")}\n${fence}`;
  }
  const body = groups.map((g) => `**${g.heading}**\n\n${(form === "full" ? g.lines : g.compact).join("\n")}`).join("\n\n");
  const note = form === "compact" ? "\n\n_Shown one per line without reasons: the full list is too long for one comment._" : "";
  return `${DESTRUCTIVE_HEADING}\n\n${body}${note}`;
}

// ---------------------------------------------------------------------------
// The trimmable part: collapsible sections of entries with optional children.

interface Item {
  readonly text: string;
  /** Lower is kept longer. */
  readonly priority: number;
  readonly children: readonly Item[];
  /** Counted as a resource entry (otherwise as an attribute change) in trim notes. */
  readonly entry: boolean;
  /** Already listed under "Deletes and replacements": worth showing only with its attribute lines. */
  readonly onlyWithChildren?: boolean;
}

interface Section {
  readonly summary: string;
  readonly open: boolean;
  readonly intro: string;
  readonly items: readonly Item[];
}

/** Priorities, most kept first: trimming starts from the bottom of this list. */
const P = {
  failingFinding: 0,
  replaceEntry: 1,
  updateEntry: 1,
  moveImportEntry: 1,
  forcingAttribute: 2,
  createEntry: 3,
  finding: 3,
  readEntry: 4,
  attribute: 5,
  noOpEntry: 6,
} as const;

function attributeItems(changes: readonly AttributeChange[]): Item[] {
  // What forces a replacement is what a reviewer looks for first.
  const ordered = [...changes.filter((c) => c.forcesReplacement), ...changes.filter((c) => !c.forcesReplacement)];
  return ordered.map((c) => ({
    text: changeLine(c),
    priority: c.forcesReplacement ? P.forcingAttribute : P.attribute,
    children: [],
    entry: false,
  }));
}

function planEntryLine(r: PlanResourceChange): string {
  const extras: string[] = [];
  if (r.moved && r.previousAddress) extras.push(`moved from ${code(r.previousAddress)}`);
  if (r.imported) extras.push(r.importId ? `imported (id ${code(truncate(r.importId, MAX_VALUE_CHARS))})` : "imported");
  const extra = `${plainSuffix(r)}${extras.length > 0 ? `: ${extras.join(", ")}` : ""}`;
  switch (r.action) {
    case "replace":
      return `- 🟠 **replace** ${code(r.address)}${extra}`;
    case "update":
      return `- 🟡 **update** ${code(r.address)}${extra}`;
    case "create":
      return `- 🟢 **create** ${code(r.address)}${extra}`;
    case "read":
      return `- 🔵 **read** ${code(r.address)}${reasonText(r.actionReason)}`;
    case "no-op":
      return `- ⚪ ${r.moved ? "**move**" : r.imported ? "**import**" : "no change"} ${code(r.address)}${extra}`;
    default:
      return `- ${r.action} ${code(r.address)}${extra}`;
  }
}

function planSection(plan: PlanSummary): Section | undefined {
  const items: Item[] = [];
  for (const r of plan.resources) {
    if (r.action === "delete" || r.action === "forget") continue;
    const header = planEntryLine(r);
    let priority: number;
    if (r.action === "replace") priority = P.replaceEntry;
    else if (r.action === "update") priority = P.updateEntry;
    else if (r.moved || r.imported) priority = P.moveImportEntry;
    else if (r.action === "create") priority = P.createEntry;
    else if (r.action === "read") priority = P.readEntry;
    else priority = P.noOpEntry;
    const children = attributeItems(r.changes);
    items.push({ text: header, priority, children, entry: true, onlyWithChildren: r.action === "replace" && children.length > 0 });
  }
  if (items.length === 0) return undefined;
  const c = plan.counts;
  const parts = [
    c.replace && plural(c.replace, "replace", "replaces"),
    c.delete && plural(c.delete, "delete"),
    c.create && plural(c.create, "create"),
    c.update && plural(c.update, "update"),
    c.move && plural(c.move, "move"),
    c.import && plural(c.import, "import"),
    c.read && plural(c.read, "read"),
    c["no-op"] && `${c["no-op"].toLocaleString("en-US")} unchanged`,
  ].filter((p): p is string => typeof p === "string");
  const version = plan.terraformVersion ? `, Terraform ${code(plan.terraformVersion)}` : "";
  const deletes = c.delete + c.forget;
  const intro = [
    `Source: ${code(plan.source)} (format ${code(plan.formatVersion)}${version}).`,
    deletes > 0 ? ` Deletes are listed under "Deletes and replacements" above.` : "",
    plan.errored ? " ⛔ Terraform reported errors: this plan is incomplete." : "",
    "\n",
  ].join("");
  return {
    summary: `Plan <code>${htmlText(plan.stack)}</code>: ${parts.join(", ")}`,
    open: false,
    intro,
    items,
  };
}

function diffEntryLine(r: ResourceDiff): string {
  const redeploy = r.redeploy ? " 🚀 **redeploy** (new image tag)" : "";
  const renamed = `${plainSuffix(r)}${r.previousAddress ? ` (was ${code(r.previousAddress)})` : ""}`;
  if (r.kind === "added") return `- 🟢 **add** ${code(r.address)}${renamed}`;
  if (r.kind === "removed") return `- 🔴 **delete** ${code(r.address)}${renamed}`;
  if (r.replace) return `- 🟠 **replace** ${code(r.address)}${renamed}${redeploy}`;
  if (r.kind === "renamed") return `- ↪️ **rename** ${code(r.address)}${renamed}${redeploy}`;
  return `- 🟡 **change** ${code(r.address)}${plainSuffix(r)}${redeploy}`;
}

function diffSection(stack: StackDiff, base: string | undefined): Section | undefined {
  const items: Item[] = stack.resources
    .filter((r) => r.kind !== "removed")
    .map((r) => ({
      text: diffEntryLine(r),
      priority: r.replace || r.redeploy ? P.replaceEntry : r.kind === "added" ? P.createEntry : P.updateEntry,
      children: attributeItems(r.changes),
      entry: true,
      onlyWithChildren: r.replace && !r.redeploy && r.changes.length > 0,
    }));
  if (items.length === 0) return undefined;
  const n = (pred: (r: ResourceDiff) => boolean): number => stack.resources.filter(pred).length;
  const parts = [
    plural(n((r) => r.kind === "added"), "added", "added"),
    plural(n((r) => r.kind === "changed" || r.kind === "renamed"), "changed", "changed"),
    plural(n((r) => r.kind === "removed"), "removed", "removed"),
  ];
  return {
    summary: `Synth diff <code>${htmlText(stack.stack)}</code>: ${parts.join(", ")}`,
    open: false,
    intro: `Synthesized Terraform JSON compared with ${base ? code(base) : "the base"}; no Azure access needed.\n`,
    items,
  };
}

/**
 * Why a new image: it leads with the digest the environments will run (the push's, known once the
 * image stack applies), then a change of base image, then the build-context files that changed.
 */
function imageSection(image: ImageChange): Section {
  const files = image.files ?? [];
  const codes = (names: readonly string[]) => names.map((s) => `<code>${htmlText(s)}</code>`).join(", ");
  const tag = image.afterHash ? ` <code>${htmlText(image.afterHash.slice(0, 16))}</code>` : "";
  const count = image.files === undefined ? "build context of the base not available" : plural(files.length, "build-context file") + " changed";
  const builders = image.stacks.map(code).join(", ");
  const lines: string[] = [
    image.runs.length > 0
      ? `**Digest environments will run:** the \`sha256\` digest ${builders} records when it pushes this build (its \`image_digest\` output, known once it applies). ${image.runs.map(code).join(", ")} run that digest (\`…@sha256:…\`), never a tag, and build nothing.\n`
      : `**Digest:** the \`sha256\` digest of this push, known once ${builders} applies.\n`,
  ];
  const ref = image.modelReference;
  if (ref !== undefined) lines.push(`Registered model: ${ref.before === undefined ? "(none)" : code(ref.before)} → ${ref.after === undefined ? "(none)" : code(ref.after)}\n`);
  if (image.baseImage) lines.push(`**Base image changed:** ${code(image.baseImage.before)} → ${code(image.baseImage.after)}\n`);
  if (image.files === undefined) lines.push("The base's synthesized build context is missing (a --base-out folder without its assets/), so the files cannot be compared.\n");
  else if (files.length === 0) lines.push("No file differs; the context moved to another asset folder.\n");
  return {
    summary: `🚀 New image${tag}, built once by ${codes(image.stacks)}: ${count}`,
    open: true,
    intro: lines.join("\n"),
    items: [
      ...(image.mlflowModels ?? []).map((m) => ({
        text: `- MLflow model ${code(m.path)} ${m.kind}`,
        priority: P.replaceEntry,
        children: m.details.map((d) => ({ text: `  - ${code(d)}`, priority: P.attribute, children: [], entry: false })),
        entry: true,
      })),
      ...files.map((f) => ({ text: `- ${code(f.path)} ${describeFileChange(f)}`, priority: P.replaceEntry, children: [], entry: true })),
    ],
  };
}

/** An environment that starts running an image built before: a promotion of its digest, not a build. */
function promotionSection(p: ImagePromotion): Section {
  const how =
    p.via === "import"
      ? `imported by digest from the registry of ${code(p.imageStack)} into this environment's own registry (ACR importImage: the same manifest and layers, no rebuild)`
      : `pulled by digest from the registry of ${code(p.imageStack)}, with AcrPull for this environment's identity`;
  return {
    summary: `📦 Promotion: <code>${htmlText(p.stack)}</code> runs image <code>${htmlText(p.tag)}</code> of <code>${htmlText(p.imageStack)}</code> by digest, no build`,
    open: false,
    intro: "",
    items: [{ text: `- The digest ${code(p.imageStack)} already pushed (its \`image_digest\` output), ${how}.`, priority: P.updateEntry, children: [], entry: true }],
  };
}

function findingsSection(review: Review): Section | undefined {
  if (review.findings.length === 0) return undefined;
  const failing = new Set(failingFindings(review.findings, review.failOn));
  const sorted = [...review.findings].sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);
  const icon: Record<Severity, string> = { high: "🔴", medium: "🟠", low: "🟡" };
  const items = sorted.map((f) => ({
    text: `| ${icon[f.severity]} ${f.severity} | ${tableCode(f.id)} | ${f.stack ? `${tableCode(f.stack)} ` : ""}${tableCode(f.address)} | ${cell(f.message)} | ${cell(f.fix)} |`,
    priority: failing.has(f) ? P.failingFinding : P.finding,
    children: [],
    entry: true,
  }));
  return {
    summary: `Policy findings (${review.findings.length.toLocaleString("en-US")})`,
    open: failing.size > 0,
    intro: "| Severity | Rule | Resource | Problem | Fix |\n|---|---|---|---|---|",
    items,
  };
}

interface Selection {
  readonly included: Set<Item>;
  readonly withChildren: Set<Item>;
  readonly omittedEntries: number;
  readonly omittedAttributes: number;
}

function sectionOpen(s: Section): string {
  return `<details${s.open ? " open" : ""}><summary>${s.summary}</summary>\n\n${s.intro}\n`;
}
const SECTION_CLOSE = "\n</details>";
/** Room kept for one trim note per section and per trimmed entry. */
const SECTION_NOTE_RESERVE = 140;
const CHILD_NOTE_RESERVE = 70;

function select(sections: readonly Section[], budget: number): Selection {
  interface Candidate {
    readonly item: Item;
    readonly parent?: Item;
    readonly section: Section;
    readonly sectionIndex: number;
    readonly seq: number;
  }
  const candidates: Candidate[] = [];
  sections.forEach((section, sectionIndex) => {
    let seq = 0;
    for (const item of section.items) {
      candidates.push({ item, section, sectionIndex, seq: seq++ });
      for (const child of item.children) candidates.push({ item: child, parent: item, section, sectionIndex, seq: seq++ });
    }
  });
  // Same priority: take turns between sections, so the first stack cannot use up the room of the others.
  // A line never goes before its entry, whatever their priorities.
  const rank = (c: Candidate): number => (c.parent ? Math.max(c.parent.priority, c.item.priority) : c.item.priority);
  candidates.sort((a, b) => rank(a) - rank(b) || a.seq - b.seq || a.sectionIndex - b.sectionIndex);
  const included = new Set<Item>();
  /** Entries with at least one attribute line shown (they get a trim note, and are paid for). */
  const withChildren = new Set<Item>();
  const openSections = new Set<Section>();
  let used = 0;
  let omittedEntries = 0;
  let omittedAttributes = 0;
  for (const c of candidates) {
    const sectionCost = openSections.has(c.section)
      ? 0
      : sectionOpen(c.section).length + SECTION_CLOSE.length + SECTION_NOTE_RESERVE + 2;
    if (!c.parent) {
      if (c.item.onlyWithChildren) {
        // Decided (and paid for) when its first attribute line is.
        included.add(c.item);
        continue;
      }
      const cost = c.item.text.length + 1 + sectionCost;
      if (used + cost > budget) {
        omittedEntries++;
        continue;
      }
      used += cost;
      included.add(c.item);
      openSections.add(c.section);
      continue;
    }
    if (!included.has(c.parent)) {
      omittedAttributes++;
      continue;
    }
    let cost = c.item.text.length + 1;
    if (!withChildren.has(c.parent)) {
      cost += CHILD_NOTE_RESERVE + sectionCost;
      if (c.parent.onlyWithChildren) cost += c.parent.text.length + 1;
    }
    if (used + cost > budget) {
      omittedAttributes++;
      continue;
    }
    used += cost;
    included.add(c.item);
    withChildren.add(c.parent);
    openSections.add(c.section);
  }
  // A header kept for its attribute lines, none of which fit, stays only in the top list.
  for (const section of sections) {
    for (const item of section.items) if (item.onlyWithChildren && !withChildren.has(item)) included.delete(item);
  }
  return { included, withChildren, omittedEntries, omittedAttributes };
}

function renderSections(sections: readonly Section[], selection: Selection): { text: string; hiddenSections: number } {
  const out: string[] = [];
  let hiddenSections = 0;
  for (const section of sections) {
    const lines: string[] = [];
    let missingEntries = 0;
    let missingAttributes = 0;
    for (const item of section.items) {
      if (!selection.included.has(item)) {
        if (!item.onlyWithChildren) missingEntries++;
        missingAttributes += item.children.length;
        continue;
      }
      lines.push(item.text);
      if (!selection.withChildren.has(item)) {
        missingAttributes += item.children.length;
        continue;
      }
      let missingChildren = 0;
      for (const child of item.children) {
        if (selection.included.has(child)) lines.push(child.text);
        else missingChildren++;
      }
      if (missingChildren > 0) {
        lines.push(`  - _… ${plural(missingChildren, "more attribute change")} not shown_`);
        missingAttributes += missingChildren;
      }
    }
    if (lines.length === 0) {
      hiddenSections++;
      continue;
    }
    const missing: string[] = [];
    if (missingEntries > 0) missing.push(plural(missingEntries, "more entry", "more entries"));
    if (missingAttributes > 0) missing.push(plural(missingAttributes, "attribute change"));
    if (missing.length > 0) lines.push("", `_… ${missing.join(" and ")} in this section not shown (report size cap)._`);
    out.push(`${sectionOpen(section)}${lines.join("\n")}${SECTION_CLOSE}`);
  }
  return { text: out.join("\n\n"), hiddenSections };
}

export interface MarkdownOptions {
  /** @default 65,000 */
  readonly maxChars?: number;
}

/** Renders the review as one GitHub comment body, never longer than `maxChars`. */
export function renderMarkdown(review: Review, options: MarkdownOptions = {}): string {
  const cap = options.maxChars ?? MAX_REPORT_CHARS;
  const verdict = verdictOf(review);
  const head: string[] = [`**mlfunc review: ${verdict.text}**`, ""];
  const added = review.newAllows ?? [];
  if (added.length > 0) {
    // The gate reads allow entries from this change's own file: one it adds is the change approving itself.
    head.push(
      `> ⚠️ **This change adds ${plural(added.length, "review.allowDelete entry", "review.allowDelete entries")}** (absent from the base's deployment file); each lets a delete through that the gate would block:`,
      ...added.map((a) => {
        const count = (review.gates ?? []).filter((h) => h.allowAddedHere === true && h.allowPattern === a.address).length;
        return `> - ${code(a.address)}: ${mdText(a.reason)} (${plural(count, "delete or replacement", "deletes and replacements")} allowed)`;
      }),
      "",
    );
  }
  if (review.plans.length > 0) head.push(planCountsTable(review.plans), "");
  if (review.diff && review.diff.length > 0) head.push(diffCountsTable(review), "");
  head.push(findingsCountLine(review));
  for (const note of review.notes ?? []) head.push("", `> ${mdText(note)}`);
  const header = head.join("\n");

  const sections = [
    ...(review.images ?? []).map(imageSection),
    ...(review.promotions ?? []).map(promotionSection),
    findingsSection(review),
    ...review.plans.map(planSection),
    ...(review.diff ?? []).map((s) => diffSection(s, review.base)),
  ].filter((s): s is Section => s !== undefined);

  const groups = destructiveGroups(review);
  const tail = `\n\n${REPORT_MARKER}`;
  const noteReserve = 400;
  let fixed = "";
  for (const form of ["full", "compact", "bare"] as const) {
    fixed = [header, renderGate(review.gates, form), renderDestructive(groups, form)].filter((p) => p !== "").join("\n\n");
    if (fixed.length + tail.length + noteReserve + 4 <= cap) break;
  }
  const fixedRoom = cap - tail.length - noteReserve - 4;
  if (fixed.length > fixedRoom) {
    // Even one short line per delete does not fit: the only time such lines are cut.
    let cut = fixed.slice(0, Math.max(0, fixedRoom - 300)).replace(/\n[^\n]*$/, "");
    // Input never starts a line, so every line of backticks is one of our fences: close an open one.
    const fences = cut.match(/^`{3,}$/gm) ?? [];
    if (fences.length % 2 === 1) cut += `\n${fences[fences.length - 1]}`;
    return `${cut}\n\n_… list cut: more deletes and replacements than fit in one comment; run \`npm run review -- --format json\` for all of them._${tail}`;
  }

  let budget = cap - fixed.length - tail.length - noteReserve - 4;
  for (let attempt = 0; ; attempt++) {
    const selection = select(sections, Math.max(0, budget));
    const body = renderSections(sections, selection);
    const notes: string[] = [];
    const leftOut: string[] = [];
    if (selection.omittedEntries > 0) leftOut.push(plural(selection.omittedEntries, "more entry", "more entries"));
    if (selection.omittedAttributes > 0) leftOut.push(plural(selection.omittedAttributes, "attribute change"));
    if (leftOut.length > 0) {
      const hidden = body.hiddenSections > 0 ? `, ${plural(body.hiddenSections, "section")} dropped entirely` : "";
      notes.push(
        `_… ${leftOut.join(" and ")} not shown${hidden} (report capped at ${cap.toLocaleString("en-US")} characters); run \`npm run review -- --format json\` for all of it._`,
      );
    }
    const doc = [fixed, body.text, ...notes].filter((p) => p !== "").join("\n\n") + tail;
    if (doc.length <= cap || attempt >= 6) return doc.length <= cap ? doc : doc.slice(0, cap - tail.length) + tail;
    budget -= doc.length - cap + 500;
  }
}

// ---------------------------------------------------------------------------
// JSON

export interface JsonReport {
  readonly tool: "mlfunc-review";
  readonly schemaVersion: 1;
  readonly status: ReviewStatus;
  readonly verdict: string;
  readonly exitCode: 0 | 1;
  readonly failOn: FailOn;
  readonly base?: string;
  readonly counts: {
    readonly plans: ActionCounts;
    readonly findings: Record<Severity, number>;
  };
  readonly plans: readonly PlanSummary[];
  readonly diff: readonly StackDiff[];
  readonly findings: readonly PolicyFinding[];
  readonly notes: readonly string[];
  /** Every delete and replacement the gate checked; those without `allowedBy` fail the review. */
  readonly gates: readonly GateHit[];
  readonly images: readonly ImageChange[];
  readonly promotions: readonly ImagePromotion[];
  /** review.allowDelete entries this change adds (absent from the base's deployment file). */
  readonly newAllows: ReadonlyArray<{ readonly address: string; readonly reason: string }>;
}

export function toJsonReport(review: Review): JsonReport {
  const verdict = verdictOf(review);
  const plans = emptyCounts();
  for (const plan of review.plans) addCounts(plans, plan.counts);
  const findings: Record<Severity, number> = { high: 0, medium: 0, low: 0 };
  for (const f of review.findings) findings[f.severity]++;
  return {
    tool: "mlfunc-review",
    schemaVersion: 1,
    status: verdict.status,
    verdict: verdict.text,
    exitCode: reviewExitCode(review),
    failOn: review.failOn,
    ...(review.base !== undefined ? { base: review.base } : {}),
    counts: { plans, findings },
    plans: review.plans,
    diff: review.diff ?? [],
    findings: review.findings,
    notes: review.notes ?? [],
    gates: review.gates ?? [],
    images: review.images ?? [],
    promotions: review.promotions ?? [],
    newAllows: review.newAllows ?? [],
  };
}

/** The whole review, untrimmed; values are the same masked display strings as in Markdown. */
export function renderJson(review: Review): string {
  return `${jsonForTerminal(JSON.stringify(toJsonReport(review), null, 2))}\n`;
}
