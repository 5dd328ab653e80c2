/**
 * Azure ML registered-model references in `model.path`, and where their downloaded files are kept.
 *
 * Forms (learn.microsoft.com azure-ai-docs how-to-manage-models, concept-online-deployment-model-specification):
 * - `azureml://registries/<registry>/models/<name>/versions/<version>`
 * - `azureml://subscriptions/<sub>/resourceGroups/<rg>/workspaces/<ws>/models/<name>/versions/<version>`
 * - `azureml:<name>:<version>`, with `model.workspace: <workspace resource id>`
 * A version is required: a label (`@latest`, `/labels/...`) could name another version tomorrow, and
 * what the review showed must be what deploys.
 */
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { MODEL_NAME_PATTERN } from "./schema";

export interface WorkspaceId {
  readonly subscription: string;
  readonly resourceGroup: string;
  readonly workspace: string;
}

export type ModelReference =
  | { readonly kind: "registry"; readonly text: string; readonly registry: string; readonly name: string; readonly version: string }
  | ({ readonly kind: "workspace"; readonly text: string; readonly name: string; readonly version: string } & WorkspaceId);

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** Azure resource group names: letters, digits, `-_.()`, not ending in `.`. */
const RESOURCE_GROUP = /^[-\w.()]{0,89}[-\w()]$/;
/** Azure ML workspace and registry names. */
const ML_RESOURCE = /^[A-Za-z0-9][A-Za-z0-9_-]{2,32}$/;
const VERSION = /^[1-9][0-9]{0,9}$/;

export const WORKSPACE_ID_EXAMPLE = "/subscriptions/<subscription id>/resourceGroups/<group>/providers/Microsoft.MachineLearningServices/workspaces/<workspace>";

/** True when `model.path` names a registered model rather than a file. */
export function isModelReference(path: string): boolean {
  return path.startsWith("azureml:");
}

/** A workspace resource id, or what is wrong with it. */
export function parseWorkspaceId(id: string): WorkspaceId | { problem: string } {
  const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.MachineLearningServices\/workspaces\/([^/]+)$/i.exec(id.trim());
  if (!m) return { problem: `must be the workspace's resource id, ${WORKSPACE_ID_EXAMPLE} (az ml workspace show --query id -o tsv)` };
  return checkWorkspace(m[1] ?? "", m[2] ?? "", m[3] ?? "");
}

function checkWorkspace(subscription: string, resourceGroup: string, workspace: string): WorkspaceId | { problem: string } {
  if (!GUID.test(subscription)) return { problem: `"${subscription}" is not a subscription id (a GUID)` };
  if (!RESOURCE_GROUP.test(resourceGroup)) return { problem: `"${resourceGroup}" is not a resource group name` };
  if (!ML_RESOURCE.test(workspace)) return { problem: `"${workspace}" is not an Azure ML workspace name (3-33 letters, digits, '-', '_')` };
  return { subscription, resourceGroup, workspace };
}

function checkNameVersion(name: string, version: string): string | undefined {
  if (!MODEL_NAME_PATTERN.test(name)) return `"${name}" is not an Azure ML model name (letters, digits, '-', '_', '.')`;
  if (!VERSION.test(version)) return `"${version}" is not a model version number; name the registered version, e.g. versions/3`;
  return undefined;
}

const LABEL = "a label names whichever version carries it when synth runs, so the image could change without the deployment file changing; name the version (az ml model list --name <name> shows them)";

/** Parses a reference; `workspace` is `model.workspace`, needed by the short form. */
export function parseModelReference(text: string, workspace?: string): ModelReference | { problem: string } {
  const t = text.trim();
  let m = /^azureml:\/\/registries\/([^/]+)\/models\/([^/]+)\/(versions|labels)\/([^/]+)$/.exec(t);
  if (m) {
    const [, registry = "", name = "", kind, version = ""] = m;
    if (kind === "labels") return { problem: LABEL };
    if (!ML_RESOURCE.test(registry)) return { problem: `"${registry}" is not an Azure ML registry name` };
    const problem = checkNameVersion(name, version);
    return problem !== undefined ? { problem } : { kind: "registry", text: t, registry, name, version };
  }
  m = /^azureml:\/\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/workspaces\/([^/]+)\/models\/([^/]+)\/(versions|labels)\/([^/]+)$/i.exec(t);
  if (m) {
    const [, sub = "", rg = "", ws = "", name = "", kind = "", version = ""] = m;
    if (kind.toLowerCase() === "labels") return { problem: LABEL };
    const w = checkWorkspace(sub, rg, ws);
    if ("problem" in w) return w;
    const problem = checkNameVersion(name, version);
    return problem !== undefined ? { problem } : { kind: "workspace", text: t, ...w, name, version };
  }
  if (t.startsWith("azureml://")) {
    return { problem: "not a model reference; use azureml://registries/<registry>/models/<name>/versions/<version> or azureml://subscriptions/<sub>/resourceGroups/<rg>/workspaces/<ws>/models/<name>/versions/<version>" };
  }
  m = /^azureml:([^:@/]+)(?::([^:@/]*)|@(.*))?$/.exec(t);
  if (!m) return { problem: "not a model reference; use azureml:<name>:<version> (with model.workspace) or an azureml:// URI" };
  const [, name = "", version, label] = m;
  if (label !== undefined) return { problem: LABEL };
  if (version === undefined || version === "") return { problem: `a version is required: azureml:${name}:<version>` };
  const problem = checkNameVersion(name, version);
  if (problem !== undefined) return { problem };
  if (workspace === undefined) return { problem: `the short form needs model.workspace: ${WORKSPACE_ID_EXAMPLE}` };
  const w = parseWorkspaceId(workspace);
  if ("problem" in w) return { problem: `model.workspace ${w.problem}` };
  return { kind: "workspace", text: t, ...w, name, version };
}

/** The reference's full form: what the review and the image label show. */
export function canonicalReference(ref: ModelReference): string {
  return ref.kind === "registry"
    ? `azureml://registries/${ref.registry}/models/${ref.name}/versions/${ref.version}`
    : `azureml://subscriptions/${ref.subscription}/resourceGroups/${ref.resourceGroup}/workspaces/${ref.workspace}/models/${ref.name}/versions/${ref.version}`;
}

/**
 * The cache of downloaded models: `.mlfunc/models` next to the deployment file, or $MLFUNC_MODEL_CACHE
 * (the review points its base revision at the working tree's cache this way).
 */
export function modelCacheRoot(projectDir: string): string {
  const override = process.env.MLFUNC_MODEL_CACHE;
  return override !== undefined && override !== "" ? resolve(override) : join(projectDir, ".mlfunc", "models");
}

/** What validation says about a reference that is not in the cache. */
export const NOT_DOWNLOADED =
  "not downloaded yet (no copy in .mlfunc/models next to the deployment file); run npm run synth (or validate) signed in to Azure (az login), without MLFUNC_OFFLINE=1 or --offline: it is downloaded once and reused";

/** One folder per reference, keyed by its parts: the same reference is downloaded once. Names are validated above, so each part is one safe path segment. */
export function cacheFolder(root: string, ref: ModelReference): string {
  const key = ref.kind === "registry" ? ["registries", ref.registry, ref.name, ref.version] : ["workspaces", ref.subscription.toLowerCase(), ref.resourceGroup.toLowerCase(), ref.workspace.toLowerCase(), ref.name, ref.version];
  return join(root, ...key);
}

/** The downloaded file or folder (`<cache folder>/model/<its registered name>`), or undefined when not downloaded. */
export function cachedModel(root: string, ref: ModelReference): string | undefined {
  const dir = join(cacheFolder(root, ref), "model");
  if (!existsSync(dir)) return undefined;
  const entries = readdirSync(dir);
  return entries.length === 1 && entries[0] !== undefined ? join(dir, entries[0]) : undefined;
}
