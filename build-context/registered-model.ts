/**
 * Downloads an Azure ML registered model version into the cache next to the deployment file, along
 * the path Azure ML's own SDK takes (azure-ai-ml ModelOperations.download):
 * - workspace: GET the model version (its modelUri), GET its datastore, then POST listSecrets (account
 *   key or SAS) or, for a credential-less datastore, the caller's own Entra ID token;
 * - registry: discovery (the registry's subscription and group), GET the model version, then POST
 *   getBlobReferenceSAS for a SAS on the registry's storage.
 * Model files are written to a temporary folder, renamed into place when complete: a failed or
 * interrupted download leaves no partial cache. Every failure is one line naming the reference.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, posix, relative, resolve } from "node:path";
import type { StoragePipelineOptions } from "@azure/storage-blob";
import { parseFile } from "../config/document";
import { DeploymentError } from "../config/problems";
import { type ModelReference, cacheFolder, cachedModel, canonicalReference, isModelReference, modelCacheRoot, parseModelReference } from "../config/model-reference";

/** The part of the Azure SDK's TokenCredential used here; DefaultAzureCredential and test credentials fit it. */
export interface TokenCredential {
  getToken(scopes: string | string[], options?: object): Promise<{ token: string; expiresOnTimestamp: number } | null>;
}

export interface ModelFetchOptions {
  /** @default DefaultAzureCredential (az login, AZURE_* variables, workload or managed identity) */
  readonly credential?: TokenCredential;
  /** @default https://management.azure.com */
  readonly armEndpoint?: string;
  /** Where registry discovery is asked. @default https://<$MLFUNC_AZUREML_DISCOVERY_REGION>.api.azureml.ms, else https://eastus.api.azureml.ms */
  readonly discoveryEndpoint?: string;
  /** Blob endpoint of a datastore's storage account. @default https://<account>.blob.<endpoint suffix> */
  readonly blobEndpoint?: (account: string, suffix: string) => string;
  /** One more trusted CA (PEM) for blob storage; tests use a self-signed local emulator. */
  readonly tlsCa?: string;
}

/** Azure ML's stable REST version that has model versions, datastores and registry data references. */
export const AZUREML_API_VERSION = "2024-10-01";
export const ARM_ENDPOINT = "https://management.azure.com";
export const DISCOVERY_ENDPOINT = "https://eastus.api.azureml.ms";

/** $MLFUNC_AZUREML_DISCOVERY_REGION's endpoint (the registry's region), else East US, which Azure ML's own asset tooling asks. */
function discoveryEndpoint(): string {
  const region = process.env.MLFUNC_AZUREML_DISCOVERY_REGION;
  return region !== undefined && /^[a-z0-9]+$/.test(region) ? `https://${region}.api.azureml.ms` : DISCOVERY_ENDPOINT;
}

/** A download that failed: the message is one line that names the reference and the fix. */
export class ModelFetchError extends Error {}

/** MLFUNC_OFFLINE=1 or --offline: nothing contacts Azure; only downloaded models are used. */
export function isOffline(flag = false): boolean {
  return flag || process.env.MLFUNC_OFFLINE === "1";
}

/**
 * Before synth, validate or review: downloads the registered model the deployment file names, unless
 * it is cached or the run is offline. A file that does not parse, or names no reference, is left to
 * validation, which reports it with everything else.
 */
export async function prepareModel(file: string, options: ModelFetchOptions & { readonly offline?: boolean } = {}): Promise<void> {
  if (isOffline(options.offline)) return;
  const path = resolve(file);
  let raw: unknown;
  try {
    const parsed = parseFile(readFileSync(path, "utf8"));
    if (Array.isArray(parsed)) return;
    raw = parsed.value;
  } catch {
    return;
  }
  const model = typeof raw === "object" && raw !== null ? (raw as { model?: unknown }).model : undefined;
  if (typeof model !== "object" || model === null) return;
  const { path: modelPath, workspace } = model as { path?: unknown; workspace?: unknown };
  if (typeof modelPath !== "string" || !isModelReference(modelPath)) return;
  const ref = parseModelReference(modelPath, typeof workspace === "string" ? workspace : undefined);
  if ("problem" in ref) return;
  try {
    await fetchRegisteredModel(ref, modelCacheRoot(dirname(path)), options);
  } catch (e) {
    if (!(e instanceof ModelFetchError)) throw e;
    throw new DeploymentError(relative(process.cwd(), path) || path, [{ path: "model.path", value: modelPath, message: e.message.slice(ref.text.length + 2) }]);
  }
}

const ROLE = {
  workspace: "AzureML Data Scientist on the workspace (it reads model versions and lists datastore secrets)",
  registry: "AzureML Registry User on the registry",
  storage: "Storage Blob Data Reader on the storage account (the datastore keeps no credential, so your own identity reads the blobs)",
};

interface Step {
  readonly what: string;
  readonly role: string;
}

/** Downloads the reference unless it is cached; returns the model file or folder in the cache. */
export async function fetchRegisteredModel(ref: ModelReference, cacheRoot: string, options: ModelFetchOptions = {}): Promise<string> {
  const cached = cachedModel(cacheRoot, ref);
  if (cached !== undefined) return cached;
  const credential = options.credential ?? defaultCredential();
  const arm = (options.armEndpoint ?? ARM_ENDPOINT).replace(/\/$/, "");
  const fail = (message: string): never => {
    throw new ModelFetchError(`${ref.text}: ${message}`);
  };
  const call = async (method: "GET" | "POST", url: string, step: Step, body?: object): Promise<Record<string, unknown>> => {
    let token: string;
    try {
      const t = await credential.getToken(`${arm}/.default`);
      if (!t) throw new Error("no token");
      token = t.token;
    } catch (e) {
      return fail(`cannot get a token for Azure Resource Manager (${firstLine(e)}); sign in with az login, or set the AZURE_* variables of a service principal or workload identity`);
    }
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (e) {
      return fail(`cannot reach ${new URL(url).host} to read ${step.what} (${firstLine(e)}); check the network, or set MLFUNC_OFFLINE=1 to use only downloaded models`);
    }
    const text = await res.text();
    if (res.status === 401 || res.status === 403) return fail(`${res.status} reading ${step.what}: your identity needs ${step.role}`);
    if (res.status === 404) return fail(`${step.what} not found (404); check the reference`);
    if (!res.ok) return fail(`${res.status} reading ${step.what}: ${armMessage(text)}`);
    try {
      const parsed = JSON.parse(text) as unknown;
      if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    } catch {
      // reported below
    }
    return fail(`${step.what}: the answer is not a JSON object`);
  };

  let source: BlobSource;
  if (ref.kind === "workspace") {
    const ws = `${arm}/subscriptions/${ref.subscription}/resourceGroups/${ref.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${ref.workspace}`;
    const what = `model ${ref.name} version ${ref.version} in workspace ${ref.workspace}`;
    const version = await call("GET", `${ws}/models/${ref.name}/versions/${ref.version}?api-version=${AZUREML_API_VERSION}`, { what, role: ROLE.workspace });
    const uri = stringAt(version, ["properties", "modelUri"]) ?? fail(`${what} has no modelUri`);
    source = await workspaceSource(uri, ws, call, options, fail);
  } else {
    const discoveryBase = (options.discoveryEndpoint ?? discoveryEndpoint()).replace(/\/$/, "");
    const discovery = await call("GET", `${discoveryBase}/registrymanagement/v1.0/registries/${ref.registry}/discovery`, { what: `registry ${ref.registry}`, role: ROLE.registry });
    const sub = stringAt(discovery, ["subscriptionId"]) ?? fail(`the discovery of registry ${ref.registry} names no subscriptionId`);
    const rg = stringAt(discovery, ["resourceGroup"]) ?? fail(`the discovery of registry ${ref.registry} names no resourceGroup`);
    const reg = `${arm}/subscriptions/${encodeURIComponent(sub)}/resourceGroups/${encodeURIComponent(rg)}/providers/Microsoft.MachineLearningServices/registries/${ref.registry}`;
    const what = `model ${ref.name} version ${ref.version} in registry ${ref.registry}`;
    const version = await call("GET", `${reg}/models/${ref.name}/versions/${ref.version}?api-version=${AZUREML_API_VERSION}`, { what, role: ROLE.registry });
    const blobUri = stringAt(version, ["properties", "modelUri"]) ?? fail(`${what} has no modelUri`);
    const refBody = { assetId: `azureml://registries/${ref.registry}/models/${ref.name}/versions/${ref.version}`, blobUri };
    const reference = await call("POST", `${reg}/datareferences/${ref.name}/versions/${ref.version}?api-version=${AZUREML_API_VERSION}`, { what: `a read SAS for ${what}`, role: ROLE.registry }, refBody);
    const consumption = ["blobReferenceForConsumption"];
    const uri = stringAt(reference, [...consumption, "blobUri"]) ?? blobUri;
    const kind = stringAt(reference, [...consumption, "credential", "credentialType"]);
    const sas = stringAt(reference, [...consumption, "credential", "sasUri"]);
    const parsed = parseBlobUrl(uri) ?? fail(`the registry's blob URI ${uri} is not an https blob URL`);
    if (kind === "SAS" && sas !== undefined) source = { ...parsed, auth: { sas: new URL(sas).search.replace(/^\?/, "") } };
    else if (kind === "NoCredentials") source = { ...parsed, auth: { anonymous: true } };
    else return fail(`the registry gave no usable credential for ${what} (credentialType ${kind ?? "missing"})`);
  }
  await download(ref, source, cacheRoot, credential, options);
  return cachedModel(cacheRoot, ref) ?? fail("the download left no model in the cache");
}

type Call = (method: "GET" | "POST", url: string, step: Step, body?: object) => Promise<Record<string, unknown>>;

interface BlobSource {
  /** https://<account>.blob.<suffix> (or an emulator's URL). */
  readonly account: string;
  readonly container: string;
  /** Blob name of the model file, or the folder prefix without its trailing `/`. */
  readonly prefix: string;
  readonly auth: { readonly key: { name: string; value: string } } | { readonly sas: string } | { readonly token: true } | { readonly anonymous: true };
  /** For messages: the storage account's name. */
  readonly accountName?: string;
}

/** A workspace modelUri (`azureml://…/datastores/<ds>/paths/<path>`, or an https blob URL) as blobs and how to read them. */
async function workspaceSource(uri: string, ws: string, call: Call, options: ModelFetchOptions, fail: (m: string) => never): Promise<BlobSource> {
  const m = /\/datastores\/([^/]+)\/paths\/(.+)$/.exec(uri);
  if (!m) {
    const blob = parseBlobUrl(uri) ?? fail(`modelUri ${uri} is neither a datastore path nor an https blob URL`);
    return { ...blob, auth: { token: true } };
  }
  const [, ds = "", path = ""] = m;
  const dsUrl = `${ws}/datastores/${ds}`;
  const datastore = await call("GET", `${dsUrl}?api-version=${AZUREML_API_VERSION}`, { what: `datastore ${ds}`, role: ROLE.workspace });
  const accountName = stringAt(datastore, ["properties", "accountName"]) ?? fail(`datastore ${ds} is not a blob datastore (no accountName); only Azure Blob datastores are read`);
  const container = stringAt(datastore, ["properties", "containerName"]) ?? fail(`datastore ${ds} names no containerName`);
  const suffix = stringAt(datastore, ["properties", "endpoint"]) ?? "core.windows.net";
  const credentialsType = stringAt(datastore, ["properties", "credentials", "credentialsType"]) ?? "None";
  const account = (options.blobEndpoint ?? ((a: string, s: string) => `https://${a}.blob.${s}`))(accountName, suffix);
  const prefix = decodeURIComponent(path).replace(/\/+$/, "");
  if (credentialsType === "AccountKey" || credentialsType === "Sas") {
    const secrets = await call("POST", `${dsUrl}/listSecrets?api-version=${AZUREML_API_VERSION}`, { what: `the secrets of datastore ${ds}`, role: ROLE.workspace });
    const key = stringAt(secrets, ["key"]);
    const sas = stringAt(secrets, ["sasToken"]);
    if (key !== undefined) return { account, accountName, container, prefix, auth: { key: { name: accountName, value: key } } };
    if (sas !== undefined) return { account, accountName, container, prefix, auth: { sas: sas.replace(/^\?/, "") } };
    return fail(`datastore ${ds}'s secrets hold neither an account key nor a SAS token`);
  }
  // None (credential-less), service principal and others: the caller's own identity reads the blobs, as the SDK does.
  return { account, accountName, container, prefix, auth: { token: true } };
}

/** `https://<host>/<container>/<path>` (an emulator's `https://host/<account>/<container>/<path>` too). */
function parseBlobUrl(uri: string): { account: string; container: string; prefix: string; accountName: string } | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  if (url.protocol !== "https:") return undefined;
  const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  // Emulators and IP hosts put the account in the path.
  const pathStyle = /^(127\.|\[::1\]|localhost)/.test(url.host);
  const accountPart = pathStyle ? parts.shift() : undefined;
  const container = parts.shift();
  if (container === undefined || parts.length === 0) return undefined;
  const accountName = accountPart ?? url.hostname.split(".")[0] ?? url.hostname;
  return { account: `${url.origin}${accountPart === undefined ? "" : `/${accountPart}`}`, container, prefix: parts.join("/").replace(/\/+$/, ""), accountName };
}

async function download(ref: ModelReference, source: BlobSource, cacheRoot: string, credential: TokenCredential, options: ModelFetchOptions): Promise<void> {
  const { ContainerClient, StorageSharedKeyCredential, AnonymousCredential } = await import("@azure/storage-blob");
  // tlsOptions reaches the core pipeline although the storage types omit it.
  const pipeline: StoragePipelineOptions = { userAgentOptions: { userAgentPrefix: "mlfunc" } };
  if (options.tlsCa !== undefined) Object.assign(pipeline, { tlsOptions: { ca: options.tlsCa } });
  const containerUrl = `${source.account}/${source.container}`;
  const auth = source.auth;
  const container =
    "key" in auth
      ? new ContainerClient(containerUrl, new StorageSharedKeyCredential(auth.key.name, auth.key.value), pipeline)
      : "sas" in auth
        ? new ContainerClient(`${containerUrl}?${auth.sas}`, new AnonymousCredential(), pipeline)
        : "token" in auth
          ? new ContainerClient(containerUrl, credential, pipeline)
          : new ContainerClient(containerUrl, new AnonymousCredential(), pipeline);
  const where = `blobs ${JSON.stringify(source.prefix)} in container ${JSON.stringify(source.container)} of storage account ${source.accountName ?? source.account}`;
  const role = "token" in auth ? ROLE.storage : ref.kind === "registry" ? ROLE.registry : ROLE.workspace;
  const storageFail = (e: unknown): never => {
    const status = typeof e === "object" && e !== null && "statusCode" in e ? (e as { statusCode?: number }).statusCode : undefined;
    if (status === 401 || status === 403) throw new ModelFetchError(`${ref.text}: ${status} reading ${where}: your identity needs ${role}`);
    if (status === 404) throw new ModelFetchError(`${ref.text}: ${where} not found (404)`);
    throw new ModelFetchError(`${ref.text}: cannot read ${where} (${firstLine(e)})`);
  };

  const folder = cacheFolder(cacheRoot, ref);
  mkdirSync(dirname(folder), { recursive: true });
  const tmp = mkdtempSync(`${folder}.tmp-${process.pid}-`);
  try {
    const base = posix.basename(source.prefix);
    let files: string[];
    try {
      // A file model is one blob named by the prefix; a folder model is every blob under prefix/.
      const single = await container.getBlobClient(source.prefix).exists();
      if (single) files = [source.prefix];
      else {
        files = [];
        for await (const blob of container.listBlobsFlat({ prefix: `${source.prefix}/` })) files.push(blob.name);
      }
    } catch (e) {
      return storageFail(e);
    }
    if (files.length === 0) throw new ModelFetchError(`${ref.text}: ${where} not found: no blob has that name or starts with it and "/"`);
    const single = files.length === 1 && files[0] === source.prefix;
    for (const name of files) {
      const rel = single ? base : `${base}/${name.slice(source.prefix.length + 1)}`;
      const parts = rel.split("/");
      // Blob names are not paths: one with `..` or an empty segment must not write outside the cache.
      if (parts.some((p) => p === "" || p === "." || p === "..")) throw new ModelFetchError(`${ref.text}: blob ${JSON.stringify(name)} cannot be a file name; the model cannot be downloaded safely`);
      const target = join(tmp, "model", ...parts);
      mkdirSync(dirname(target), { recursive: true });
      try {
        await container.getBlobClient(name).downloadToFile(target);
      } catch (e) {
        storageFail(e);
      }
    }
    writeFileSync(join(tmp, "reference.json"), `${JSON.stringify({ reference: canonicalReference(ref), source: `${source.container}/${source.prefix}`, files: files.length }, null, 2)}\n`);
    if (existsSync(folder)) rmSync(tmp, { recursive: true, force: true });
    else renameSync(tmp, folder);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

function defaultCredential(): TokenCredential {
  // Typed by the one constructor used, so the type check skips @azure/identity's MSAL declarations.
  const identity = require("@azure/identity") as { DefaultAzureCredential: new () => TokenCredential };
  return new identity.DefaultAzureCredential();
}

function stringAt(obj: unknown, path: readonly string[]): string | undefined {
  let cur: unknown = obj;
  for (const key of path) {
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return typeof cur === "string" && cur !== "" ? cur : undefined;
}

function armMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
    if (parsed.error) return firstLine(`${parsed.error.code ?? ""} ${parsed.error.message ?? ""}`.trim());
  } catch {
    // not JSON
  }
  return firstLine(text.slice(0, 200));
}

/** The first line, without control characters: messages from servers reach the terminal. */
function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return (text.split("\n")[0] ?? "").replace(/[\x00-\x1f\x7f-\x9f]/g, " ").trim();
}
