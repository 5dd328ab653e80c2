/**
 * Reads a deployed stack's Terraform outputs (and the function app's resource id) from its state,
 * wherever the deployment file's `state` block keeps it.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import type { StoragePipelineOptions } from "@azure/storage-blob";
import type { StateConfig } from "../config/schema";
import { visible } from "../review/escape";
import { type ArmAppId, parseAppId } from "./smoke-https";

/**
 * The part of the Azure SDK's TokenCredential that the smoke test uses; every SDK client accepts it.
 * Declared here so the type check does not parse @azure/identity's MSAL declarations (200 files).
 */
export interface TokenCredential {
  getToken(scopes: string | string[], options?: object): Promise<{ token: string; expiresOnTimestamp: number } | null>;
}

/** A user-fixable problem: the stack is not deployed, its state lacks an output, a flag is wrong. Exit 2. */
export class SmokeInputError extends Error {}

/** The run went past --timeout before it could check the functions. Exit 1, as a failed check. */
export class SmokeTimeoutError extends Error {}

export interface StackState {
  readonly outputs: Readonly<Record<string, unknown>>;
  /** Resource ids in the state, for finding the function app by name. */
  readonly resourceIds: readonly string[];
  /** Where the state was read from, for messages. */
  readonly where: string;
}

export interface StateAccess {
  /** Project root: local state files and cdktf.out live here. */
  readonly root: string;
  readonly credential: () => Promise<TokenCredential>;
  /** Blob endpoint of a storage account. @default https://<account>.blob.core.windows.net */
  readonly blobEndpoint?: (account: string) => string;
  /** Extra trusted CA (PEM) for the storage endpoint; tests use a self-signed local emulator. */
  readonly tlsCa?: string;
  /** Terraform binary for the remote backend. @default terraform */
  readonly terraform?: string;
  /** The --timeout deadline: milliseconds left, and the seconds given. A blocking read stops at it. */
  readonly deadline?: { readonly remainingMs: () => number; readonly seconds: number };
}

export const defaultBlobEndpoint = (account: string) => `https://${account}.blob.core.windows.net`;

export async function readStackState(stack: string, state: StateConfig, access: StateAccess): Promise<StackState> {
  const deploy = `deploy it with npm run deploy -- ${stack}`;
  switch (state.backend) {
    case "local": {
      const file = resolve(access.root, `terraform.${stack}.tfstate`);
      const shown = shortPath(file);
      if (!existsSync(file)) throw new SmokeInputError(`stack ${stack} is not deployed: no state file ${shown}; ${deploy}`);
      return fromStateFile(readFileSync(file, "utf8"), shown, stack);
    }
    case "azurerm": {
      const key = `${state.keyPrefix ?? ""}${stack}.tfstate`;
      const shown = `blob ${key} in container ${state.container} of storage account ${state.storageAccount}`;
      const { BlobClient } = await import("@azure/storage-blob");
      const url = `${(access.blobEndpoint ?? defaultBlobEndpoint)(state.storageAccount)}/${state.container}/${encodeURIComponent(key).replace(/%2F/g, "/")}`;
      const client = new BlobClient(url, await access.credential(), storageOptions(access.tlsCa));
      // Stopped at the deadline, so the SDK's retries do not outlive the run.
      const abortSignal = access.deadline === undefined ? undefined : AbortSignal.timeout(Math.max(1, access.deadline.remainingMs()));
      let text: string;
      try {
        text = (await client.downloadToBuffer(0, undefined, { abortSignal })).toString("utf8");
      } catch (e) {
        if (access.deadline !== undefined && abortSignal?.aborted) {
          throw new SmokeTimeoutError(`reading the state of ${stack} did not finish within the ${access.deadline.seconds} s of --timeout`);
        }
        const status = statusOf(e);
        if (status === 404) throw new SmokeInputError(`stack ${stack} is not deployed: no state ${shown}; ${deploy}`);
        if (status === 401 || status === 403) {
          throw new SmokeInputError(`cannot read the state ${shown} (HTTP ${status}): the caller needs Storage Blob Data Reader on that container`);
        }
        throw new SmokeInputError(`cannot read the state ${shown}: ${visible(firstLine(e))}`);
      }
      return fromStateFile(text, shown, stack);
    }
    case "remote": {
      const dir = join(access.root, "cdktf.out", "stacks", stack);
      if (!existsSync(dir)) throw new SmokeInputError(`no folder ${shortPath(dir)}: run npm run synth, then terraform init there, to read the remote state of ${stack}`);
      const terraform = access.terraform ?? "terraform";
      // spawnSync blocks the event loop, so no timer can cut it: it gets the time left itself.
      const timeout = access.deadline === undefined ? undefined : Math.max(1, access.deadline.remainingMs());
      const run = spawnSync(terraform, [`-chdir=${dir}`, "show", "-json"], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, ...(timeout === undefined ? {} : { timeout }) });
      if (access.deadline !== undefined && (run.error as NodeJS.ErrnoException | undefined)?.code === "ETIMEDOUT") {
        throw new SmokeTimeoutError(`reading the state of ${stack} did not finish within the ${access.deadline.seconds} s of --timeout`);
      }
      if (run.error) throw new SmokeInputError(`cannot run ${terraform} to read the remote state of ${stack}: ${run.error.message}; install Terraform 1.5+`);
      if (run.status !== 0) {
        const first = (run.stderr || run.stdout).split("\n").map((l) => l.trim()).find((l) => l !== "" && !l.startsWith("╷")) ?? "";
        throw new SmokeInputError(`terraform show failed for ${stack}: ${visible(first)}; run terraform init in ${shortPath(dir)}`);
      }
      return fromShowJson(run.stdout, `workspace of ${stack} (${state.organization})`, stack);
    }
  }
}

/** Relative to the current folder when inside it, else absolute. */
function shortPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === "" || rel.startsWith("..") ? path : rel;
}

interface RawState {
  outputs?: Record<string, { value?: unknown }>;
  resources?: { instances?: { attributes?: { id?: unknown } }[] }[];
}

/** Terraform's state file format (version 4), as the local and azurerm backends store it. */
export function fromStateFile(text: string, where: string, stack: string): StackState {
  let raw: RawState;
  try {
    raw = JSON.parse(text) as RawState;
  } catch {
    throw new SmokeInputError(`the state ${where} is not JSON; is it a Terraform state file?`);
  }
  const outputs = Object.fromEntries(Object.entries(raw.outputs ?? {}).map(([k, v]) => [k, v.value]));
  const resourceIds = (raw.resources ?? []).flatMap((r) => (r.instances ?? []).flatMap((i) => (typeof i.attributes?.id === "string" ? [i.attributes.id] : [])));
  return deployed({ outputs, resourceIds, where }, stack);
}

interface ShowJson {
  values?: { outputs?: Record<string, { value?: unknown }>; root_module?: { resources?: { values?: { id?: unknown } }[] } };
}

/** `terraform show -json` of a stack's current state. */
export function fromShowJson(text: string, where: string, stack: string): StackState {
  const raw = JSON.parse(text) as ShowJson;
  const outputs = Object.fromEntries(Object.entries(raw.values?.outputs ?? {}).map(([k, v]) => [k, v.value]));
  const resourceIds = (raw.values?.root_module?.resources ?? []).flatMap((r) => (typeof r.values?.id === "string" ? [r.values.id] : []));
  return deployed({ outputs, resourceIds, where }, stack);
}

function deployed(state: StackState, stack: string): StackState {
  // A destroyed stack leaves a state with no resources and no outputs.
  if (state.resourceIds.length === 0 && Object.keys(state.outputs).length === 0) {
    throw new SmokeInputError(`stack ${stack} is not deployed: its state (${state.where}) holds no resources; deploy it with npm run deploy -- ${stack}`);
  }
  return state;
}

/** An output by name; a missing one means the stack was deployed from another deployment file. */
export function requireOutput<T>(state: StackState, stack: string, name: string, neededBy: string, check: (v: unknown) => v is T, shape: string): T {
  const value = state.outputs[name];
  if (value === undefined) {
    throw new SmokeInputError(`the state of ${stack} has no output "${name}", which ${neededBy} needs; deploy the current deployment file first: npm run deploy -- ${stack}`);
  }
  if (!check(value)) throw new SmokeInputError(`output "${name}" of ${stack} is not ${shape}; deploy the current deployment file first: npm run deploy -- ${stack}`);
  return value;
}

export const isString = (v: unknown): v is string => typeof v === "string" && v !== "";
export const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");
export const isStringMap = (v: unknown): v is Record<string, string> =>
  typeof v === "object" && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === "string");

/**
 * The parsed resource id of the function app named `name` (an App Service site or a container app).
 * An id that names the app but is not exactly a Resource Manager id is refused: it would steer the
 * caller's token elsewhere.
 */
export function functionAppId(state: StackState, name: string): ArmAppId | undefined {
  const suffix = `/${name.toLowerCase()}`;
  const candidates = state.resourceIds.filter((id) => /\/providers\/(microsoft\.web\/sites|microsoft\.app\/containerapps)\//i.test(id) && id.toLowerCase().endsWith(suffix));
  for (const id of candidates) {
    const parsed = parseAppId(id);
    if (parsed === undefined) {
      throw new SmokeInputError(
        `the state's resource id "${visible(id)}" for the function app ${visible(name)} is not a Resource Manager id (/subscriptions/<id>/resourceGroups/<group>/providers/…/<name>); smoke sends no token for it: check who wrote the state, or set MLFUNC_FUNCTION_KEY`,
      );
    }
    if (parsed.name.toLowerCase() === name.toLowerCase()) return parsed;
  }
  return undefined;
}

/** An error's first line, for one-line messages. */
export function firstLine(e: unknown): string {
  return e instanceof Error ? (e.message.split("\n")[0] ?? "") : String(e);
}

export function statusOf(e: unknown): number | undefined {
  return typeof e === "object" && e !== null && "statusCode" in e && typeof e.statusCode === "number" ? e.statusCode : undefined;
}

/** Storage client options; `tlsOptions` (one more trusted CA) reaches the core pipeline although the storage types omit it. */
export function storageOptions(ca: string | undefined): StoragePipelineOptions {
  const options: StoragePipelineOptions = { userAgentOptions: { userAgentPrefix: "mlfunc-smoke" } };
  return ca === undefined ? options : Object.assign(options, { tlsOptions: { ca } });
}
