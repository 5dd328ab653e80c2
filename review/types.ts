/**
 * The data a review report is rendered from. Every value shown to a reader is
 * already a display string here, masked where Terraform marked it sensitive, so
 * nothing downstream of these types can print a secret by accident.
 */

export type Severity = "low" | "medium" | "high";

/** Lowest severity that fails the review; `none` never fails. */
export type FailOn = Severity | "none";

export const FAIL_ON_LEVELS: readonly FailOn[] = ["low", "medium", "high", "none"];

export function isFailOn(value: string): value is FailOn {
  return (FAIL_ON_LEVELS as readonly string[]).includes(value);
}

/** What Terraform will do to one resource instance (one per plan entry). */
export type ChangeAction = "create" | "update" | "replace" | "delete" | "forget" | "read" | "no-op";

/** Counted on top of the change action: an import or a move can also carry an update. */
export type ExtraAction = "import" | "move";

export type CountKey = ChangeAction | ExtraAction;

export type ActionCounts = Record<CountKey, number>;

export type ReplaceOrder =
  | "destroy-before-create"
  | "create-before-destroy"
  /** `removed { lifecycle { destroy = false } }`: the old object is left in Azure. */
  | "create-then-forget"
  | "forget-then-create";

/** Display marker for a masked value; never a quoted string, so it cannot be mistaken for data. */
export const SENSITIVE = "(sensitive)";
/** Display marker for a value Terraform learns only while applying. */
export const UNKNOWN = "(known after apply)";

export interface AttributeChange {
  /** Attribute path such as `site_config[0].minimum_tls_version`. */
  readonly path: string;
  /** JSON text of the old value, `null` when absent, or one of the markers above. */
  readonly before: string;
  /** JSON text of the new value, `null` when absent, or one of the markers above. */
  readonly after: string;
  readonly sensitive?: true;
  readonly unknown?: true;
  /** This path (or one of its parents) is listed in the plan's `replace_paths`. */
  readonly forcesReplacement?: true;
}

export interface PlanResourceChange {
  readonly address: string;
  /** Set only when the entry moved (`previous_address` differs from `address`). */
  readonly previousAddress?: string;
  readonly moduleAddress?: string;
  readonly mode: "managed" | "data";
  readonly type: string;
  readonly name: string;
  readonly providerName?: string;
  readonly action: ChangeAction;
  readonly replaceOrder?: ReplaceOrder;
  /** Terraform's `action_reason`, e.g. `replace_because_cannot_update`. */
  readonly actionReason?: string;
  /** Key of a deposed object (left over from a failed create-before-destroy). */
  readonly deposed?: string;
  readonly imported: boolean;
  /** Import id from `change.importing.id`, when Terraform knows it. */
  readonly importId?: string;
  readonly moved: boolean;
  /** Hand-written plans use `actions: []` for unchanged resources; counted as no-op. */
  readonly emptyActions?: true;
  /** Rendered `replace_paths`, cut short where a path enters a sensitive value. */
  readonly replacePaths: readonly string[];
  /** Attribute-level changes; filled for update and replace only. */
  readonly changes: readonly AttributeChange[];
  /** For `azapi_*` resources: the ARM type they manage, e.g. `Microsoft.App/managedEnvironments`. */
  readonly armType?: string;
}

export interface PlanSummary {
  /** File (or label) the plan came from, for messages and headings. */
  readonly source: string;
  /** Stack the plan belongs to (defaults to the file name without `.json`). */
  readonly stack: string;
  readonly formatVersion: string;
  readonly terraformVersion?: string;
  /** Terraform stopped planning with errors: the list below is incomplete. */
  readonly errored: boolean;
  /** Terraform reported more changes to follow after this apply (`complete: false`). */
  readonly incomplete: boolean;
  readonly counts: ActionCounts;
  readonly total: number;
  /** Ordered: deletes, replacements, forgets, then creates, updates, reads, no-ops. */
  readonly resources: readonly PlanResourceChange[];
}

export type DiffResourceKind = "added" | "removed" | "changed" | "renamed";

export interface ResourceDiff {
  /** `type.name` in the synthesized JSON of the head side. */
  readonly address: string;
  /** Old address for a renamed logical id. */
  readonly previousAddress?: string;
  readonly type: string;
  readonly kind: DiffResourceKind;
  /** Applying this would destroy and re-create the resource. */
  readonly replace: boolean;
  /** Attribute paths whose change forces the replacement (a rename shows as `previousAddress`). */
  readonly replaceReasons: readonly string[];
  /** The function app's image tag changed: a new container image gets deployed. */
  readonly redeploy: boolean;
  readonly changes: readonly AttributeChange[];
  /** For `azapi_*` resources: the ARM type they manage, e.g. `Microsoft.App/managedEnvironments`. */
  readonly armType?: string;
}

export interface StackDiff {
  readonly stack: string;
  readonly status: "added" | "removed" | "changed" | "unchanged";
  readonly resources: readonly ResourceDiff[];
}

export interface PolicyFinding {
  readonly id: string;
  readonly severity: Severity;
  readonly stack?: string;
  readonly address: string;
  /** What is wrong. */
  readonly message: string;
  /** How to fix it. */
  readonly fix: string;
}

/** One delete or replacement the review gate looked at. */
export interface GateHit {
  readonly stack: string;
  readonly address: string;
  readonly type: string;
  readonly action: "delete" | "replace";
  /** What the resource holds (`blob container: its blobs`), when it is a data or identity type. */
  readonly holds?: string;
  /** Where the delete was seen: the stack's plan when there is one, else the offline diff. */
  readonly source: "plan" | "diff";
  /** What lets it through: `--allow-delete <pattern>`, or `deployment file: <reason>`. */
  readonly allowedBy?: string;
  /** The allow pattern that matched. */
  readonly allowPattern?: string;
  /** The deployment file's reason, when the pattern came from there. */
  readonly allowReason?: string;
  /** The allow entry is new in this change (absent from the base's deployment file). */
  readonly allowAddedHere?: boolean;
}

/** A file in the function image's build context that differs from the base's. */
export interface ContextFileChange {
  readonly path: string;
  readonly kind: "added" | "removed" | "changed";
  readonly beforeBytes?: number;
  readonly afterBytes?: number;
}

/** An MLflow model folder of the image (one holding MLmodel) under which a file changed. */
export interface MlflowModelChange {
  /** The folder, relative to the build context. */
  readonly path: string;
  readonly kind: "added" | "removed" | "changed";
  /** What changed: flavors, MLflow and Python versions, signature, a newly saved model, each pin. */
  readonly details: readonly string[];
}

/** A new image tag and the build-context files behind it. */
export interface ImageChange {
  /** Stacks whose image changes this way (every environment shares one image). */
  readonly stacks: readonly string[];
  readonly beforeHash?: string;
  readonly afterHash?: string;
  /** Undefined when the base's build context was not available to compare. */
  readonly files?: readonly ContextFileChange[];
  /** The MLflow models among those files, when there are any. */
  readonly mlflowModels?: readonly MlflowModelChange[];
  /** The registered model version each image holds (its Dockerfile label), when it differs. */
  readonly modelReference?: { readonly before?: string; readonly after?: string };
}

export interface Review {
  /** Base the diff compared against (git ref or folder), when a diff was made. */
  readonly base?: string;
  readonly diff?: readonly StackDiff[];
  readonly plans: readonly PlanSummary[];
  readonly findings: readonly PolicyFinding[];
  readonly failOn: FailOn;
  /** Extra lines for the reader, e.g. "no Azure credentials: plans skipped". */
  readonly notes?: readonly string[];
  /** Deletes and replacements the gate checked: blocked ones fail the review (exit 1). */
  readonly gates?: readonly GateHit[];
  /** New image tags with the build-context files that changed. */
  readonly images?: readonly ImageChange[];
  /** review.allowDelete entries absent from the base's deployment file: the change approves its own deletes. */
  readonly newAllows?: ReadonlyArray<{ readonly address: string; readonly reason: string }>;
}
