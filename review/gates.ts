/**
 * The review gate: a delete or a replacement of a resource that holds data or identity fails the
 * review (exit 1) unless it is allowed by `--allow-delete <pattern>` or by a reasoned entry in the
 * deployment file; `--fail-on-delete` / `--fail-on-replace` widen the gate to every resource.
 * A stack with a plan is judged by its plan (the authority); a stack without one by the offline diff.
 */
import { matchesPattern } from "../config/patterns";
import type { GateHit, PlanResourceChange, PlanSummary, ResourceDiff, StackDiff } from "./types";

/** azurerm types whose delete or replacement loses what they hold. Extend here; docs/review-and-gates.md and docs/commands.md list them. */
export const STATEFUL_AZURERM_TYPES: Readonly<Record<string, string>> = {
  azurerm_storage_account: "storage account: its blobs, queues, tables and files (the state stack's too)",
  azurerm_storage_container: "blob container: its blobs (or Terraform state)",
  azurerm_storage_queue: "storage queue: its messages",
  azurerm_storage_share: "file share: its files",
  azurerm_storage_table: "storage table: its entities",
  azurerm_servicebus_namespace: "Service Bus namespace: its queues, topics and messages",
  azurerm_servicebus_queue: "Service Bus queue: its messages",
  azurerm_servicebus_topic: "Service Bus topic: its messages",
  azurerm_servicebus_subscription: "Service Bus subscription: its messages",
  azurerm_container_registry: "container registry: its images",
  azurerm_user_assigned_identity: "user-assigned identity: its principal id, which role assignments name",
  azurerm_log_analytics_workspace: "Log Analytics workspace: its logs",
  azurerm_application_insights: "Application Insights: its telemetry and connection string",
  azurerm_key_vault: "key vault: its secrets, keys and certificates",
};

/**
 * ARM types (lower case, no API version) that `azapi_resource` can manage and that hold data or
 * identity. Container apps themselves are stateless (new revisions replace replicas); their
 * environment carries the default domain and static IP every app's address is built on.
 */
export const STATEFUL_ARM_TYPES: Readonly<Record<string, string>> = {
  "microsoft.storage/storageaccounts": STATEFUL_AZURERM_TYPES.azurerm_storage_account,
  "microsoft.storage/storageaccounts/blobservices/containers": STATEFUL_AZURERM_TYPES.azurerm_storage_container,
  "microsoft.storage/storageaccounts/queueservices/queues": STATEFUL_AZURERM_TYPES.azurerm_storage_queue,
  "microsoft.storage/storageaccounts/fileservices/shares": STATEFUL_AZURERM_TYPES.azurerm_storage_share,
  "microsoft.storage/storageaccounts/tableservices/tables": STATEFUL_AZURERM_TYPES.azurerm_storage_table,
  "microsoft.servicebus/namespaces": STATEFUL_AZURERM_TYPES.azurerm_servicebus_namespace,
  "microsoft.servicebus/namespaces/queues": STATEFUL_AZURERM_TYPES.azurerm_servicebus_queue,
  "microsoft.servicebus/namespaces/topics": STATEFUL_AZURERM_TYPES.azurerm_servicebus_topic,
  "microsoft.servicebus/namespaces/topics/subscriptions": STATEFUL_AZURERM_TYPES.azurerm_servicebus_subscription,
  "microsoft.containerregistry/registries": STATEFUL_AZURERM_TYPES.azurerm_container_registry,
  "microsoft.managedidentity/userassignedidentities": STATEFUL_AZURERM_TYPES.azurerm_user_assigned_identity,
  "microsoft.operationalinsights/workspaces": STATEFUL_AZURERM_TYPES.azurerm_log_analytics_workspace,
  "microsoft.insights/components": STATEFUL_AZURERM_TYPES.azurerm_application_insights,
  "microsoft.keyvault/vaults": STATEFUL_AZURERM_TYPES.azurerm_key_vault,
  "microsoft.app/managedenvironments": "Container Apps environment: its default domain and static IP, and every app in it",
};

/** Build steps, not Azure resources: a new image tag always replaces them, so --fail-on-replace leaves them out. */
const BUILD_STEP_TYPES = new Set(["docker_image", "docker_registry_image"]);

/** What a resource holds, or undefined for a resource that holds neither data nor identity. */
export function holdsOf(type: string, armType?: string): string | undefined {
  if (type.startsWith("azapi_")) return armType === undefined ? undefined : STATEFUL_ARM_TYPES[armType.split("@")[0].toLowerCase()];
  return STATEFUL_AZURERM_TYPES[type];
}

/** An allow entry: from `--allow-delete`, or from the deployment file with its reason. */
export interface AllowRule {
  readonly pattern: string;
  /** The deployment file's reason; absent for a command-line pattern. */
  readonly reason?: string;
  /** The entry is not in the base revision's deployment file: this change allows its own delete. */
  readonly addedHere?: boolean;
}

export interface GateOptions {
  readonly allow: readonly AllowRule[];
  /** Every delete is gated, whatever the type. */
  readonly failOnDelete: boolean;
  /** Every replacement is gated, whatever the type (image build steps excepted). */
  readonly failOnReplace: boolean;
}

export const NO_GATE_OPTIONS: GateOptions = { allow: [], failOnDelete: false, failOnReplace: false };

interface Candidate {
  readonly stack: string;
  readonly address: string;
  readonly type: string;
  readonly armType?: string;
  readonly action: "delete" | "replace";
  readonly source: "plan" | "diff";
}

function fromPlan(plan: PlanSummary): Candidate[] {
  return plan.resources
    .filter((r: PlanResourceChange) => r.mode === "managed" && (r.action === "delete" || r.action === "replace"))
    .map((r) => ({ stack: plan.stack, address: r.address, type: r.type, armType: r.armType, action: r.action === "delete" ? "delete" : "replace", source: "plan" }));
}

function fromDiff(stack: StackDiff): Candidate[] {
  return stack.resources
    .filter((r: ResourceDiff) => r.kind === "removed" || r.replace)
    .map((r) => ({ stack: stack.stack, address: r.address, type: r.type, armType: r.armType, action: r.replace ? "replace" : "delete", source: "diff" }));
}

/** Every delete and replacement the gate covers, each with what allows it, if anything. */
export function gateHits(plans: readonly PlanSummary[], diff: readonly StackDiff[] | undefined, options: GateOptions): GateHit[] {
  const planned = new Set(plans.map((p) => p.stack));
  const candidates = [...plans.flatMap(fromPlan), ...(diff ?? []).filter((s) => !planned.has(s.stack)).flatMap(fromDiff)];
  const hits: GateHit[] = [];
  for (const c of candidates) {
    const holds = holdsOf(c.type, c.armType);
    const widened = c.action === "delete" ? options.failOnDelete : options.failOnReplace && !BUILD_STEP_TYPES.has(c.type);
    if (holds === undefined && !widened) continue;
    const rule = options.allow.find((a) => matchesPattern(a.pattern, c.stack, c.address));
    const allowedBy = rule === undefined ? undefined : rule.reason === undefined ? `--allow-delete ${rule.pattern}` : `deployment file: ${rule.reason}`;
    hits.push({
      stack: c.stack,
      address: c.address,
      type: c.armType ?? c.type,
      action: c.action,
      source: c.source,
      ...(holds === undefined ? {} : { holds }),
      ...(rule === undefined ? {} : { allowedBy, allowPattern: rule.pattern }),
      ...(rule?.reason === undefined ? {} : { allowReason: rule.reason }),
      ...(rule?.addedHere === true ? { allowAddedHere: true } : {}),
    });
  }
  return hits;
}

/** Allow patterns that matched no gated delete or replacement: most likely a typo. */
export function unusedAllows(hits: readonly GateHit[], options: GateOptions): AllowRule[] {
  return options.allow.filter((a) => !hits.some((h) => matchesPattern(a.pattern, h.stack, h.address)));
}

export function blockedHits(hits: readonly GateHit[] | undefined): GateHit[] {
  return (hits ?? []).filter((h) => h.allowedBy === undefined);
}
