/**
 * `npm run smoke -- <stack> [--input <file>] [--function <name>…] [--timeout <s>] [--json]`: proves a
 * deployed stack serves the model. Reads the stack's outputs from its Terraform state, waits for the
 * app to answer, sends the input through every function (HTTP, blob, Service Bus) and compares each
 * answer with what `npm run invoke` gives locally for the same build context. It prints the image
 * digest the stack runs next to the image stack's and the other environments', and fails when the
 * stack does not run the digest its image stack last pushed.
 *
 * The Azure SDKs load only here, and only when a function needs them (commands/smoke-azure.ts).
 */
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, extname, join } from "node:path";
import { Deployment, EnvironmentDeployment, loadDeployment, projectPaths } from "../config/load";
import { DeploymentError } from "../config/problems";
import { parseBlobPath } from "../config/rules";
import { DEAD_LETTER_CONTAINER } from "../config/naming";
import type { BlobTriggerConfig, FunctionConfig, ServiceBusTriggerConfig } from "../config/schema";
import { jsonForTerminal, visible } from "../review/escape";
import { InvokeArgs, contextFor, runInContext } from "./invoke";
import { choosePython } from "./python";
import { SMOKE, parseOptions, parseSeconds, printedHelp, usageLine } from "./spec";
import { type ArmAppId, RedirectRefused, type Transport, appEndpoint, appHostProblem, httpsRequest } from "./smoke-https";
import {
  SmokeInputError,
  SmokeTimeoutError,
  StackState,
  TokenCredential,
  defaultBlobEndpoint,
  firstLine,
  functionAppId,
  isString,
  isStringList,
  isStringMap,
  readStackState,
  requireOutput,
  statusOf,
  storageOptions,
} from "./smoke-state";

export { SmokeInputError, SmokeTimeoutError } from "./smoke-state";

export const DEFAULT_TIMEOUT_SECONDS = 600;

export interface SmokeArgs {
  readonly stack: string;
  readonly input?: string;
  /** Functions to test. @default every function of the deployment file */
  readonly functions: readonly string[];
  /** Seconds the whole run may take: the local answers, the health wait and every function's answer. */
  readonly timeoutSeconds: number;
  readonly json: boolean;
}

export function parseSmokeArgs(argv: readonly string[]): SmokeArgs {
  const { values, positionals } = parseOptions(SMOKE, argv, (_option, message) => new SmokeInputError(message));
  const timeoutSeconds = parseSeconds(values.timeout, DEFAULT_TIMEOUT_SECONDS, (message) => new SmokeInputError(message));
  if (positionals.length !== 1) throw new SmokeInputError(usageLine(SMOKE));
  return { stack: positionals[0] ?? "", input: values.input as string | undefined, functions: (values.function as string[] | undefined) ?? [], timeoutSeconds, json: values.json === true };
}

/** A message as Service Bus holds it; sequence numbers are 64-bit, so kept as decimal strings. */
export interface QueueMessage {
  readonly messageId?: string;
  readonly sequenceNumber: string;
  readonly enqueuedAt?: Date;
  readonly body: string;
  readonly deadLetterReason?: string;
}

/** The few Service Bus operations the smoke test uses; commands/smoke-azure.ts implements them with the SDK. */
export interface ServiceBusPort {
  send(queue: string, message: { messageId: string; body: Buffer; contentType: string }): Promise<void>;
  /** Browses without locking, oldest first, from sequence number `from` (inclusive). */
  peek(queue: string, options: { from?: string; max: number; deadLetter?: boolean }): Promise<QueueMessage[]>;
  /** Receives up to `max` messages (peek-lock), completes the one with `sequenceNumber` and abandons any other. */
  remove(queue: string, sequenceNumber: string, options: { max: number; deadLetter?: boolean }): Promise<boolean>;
  close(): Promise<void>;
}

/** What the smoke test reaches Azure with; tests replace parts of it. */
export interface SmokeServices {
  /** The standard chain by default: environment, workload identity, managed identity, Azure CLI. */
  credential(): Promise<TokenCredential>;
  serviceBus(fullyQualifiedNamespace: string, credential: TokenCredential): Promise<ServiceBusPort>;
  /** The app's host keys, listed through Azure Resource Manager with the caller's identity. */
  hostKeys(appId: ArmAppId, credential: TokenCredential): Promise<{ functionKey?: string; masterKey?: string }>;
}

/** The local answer of one function for the smoke input, from `npm run invoke`'s code path. */
export interface LocalAnswer {
  /** HTTP status; undefined for blob and Service Bus. */
  readonly status?: number;
  readonly body: string;
}

export interface SmokeOptions {
  /** Project root: local state and cdktf.out live here. @default the deployment file's folder */
  readonly root?: string;
  readonly services?: SmokeServices;
  /** @default https://<account>.blob.core.windows.net */
  readonly blobEndpoint?: (account: string) => string;
  /** Extra trusted CA (PEM) for storage endpoints. */
  readonly tlsCa?: string;
  readonly terraform?: string;
  /** Pause between polls. @default 5000 */
  readonly pollMs?: number;
  /** The local answer, within `timeoutMs`. @default invokeLocally */
  readonly localAnswer?: (deployment: Deployment, fn: FunctionConfig, inputFile: string, blobName: string | undefined, timeoutMs: number, timeoutSeconds: number) => LocalAnswer;
  readonly stderr?: (line: string) => void;
  /** How HTTPS requests to the app reach it; tests route the app's host name to a loopback server. */
  readonly transport?: Transport;
}


export interface FunctionResult {
  readonly name: string;
  readonly trigger: FunctionConfig["trigger"]["type"];
  /** Blob functions: how new blobs reach the function. */
  readonly source?: BlobTriggerConfig["source"];
  readonly ok: boolean;
  /** HTTP: request to answer. Blob: from the upload's completion to the output blob's appearance.
   * Service Bus: from the send to the result. */
  readonly latencyMs?: number;
  /** What was checked, or what went wrong. */
  readonly detail: string;
  readonly status?: number;
  readonly body?: string;
  /** Where to look on failure: an Application Insights query. */
  readonly look?: string;
  /** What could not be cleaned up, if anything. */
  readonly leftover?: string;
}

/** Which image the stack runs, against the one its image stack last pushed and the other environments run. */
export interface ImageReport {
  /** The digest this stack runs (its image_digest output); undefined for a stack deployed before digests. */
  readonly digest?: string;
  /** The image stack's last pushed digest; undefined when that stack's state cannot be read. */
  readonly built?: string;
  readonly imageStack: string;
  /** Digests the other deployed environments run, by stack. */
  readonly others: Readonly<Record<string, string>>;
  /** Set when this stack does not run the image stack's digest: a mismatch the smoke test fails on. */
  readonly finding?: string;
}

export interface SmokeReport {
  readonly stack: string;
  readonly image: ImageReport;
  readonly health: { readonly ok: boolean; readonly url: string; readonly seconds: number; readonly detail: string };
  readonly functions: readonly FunctionResult[];
  readonly exitCode: 0 | 1;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Poll period for an Event Grid blob function's output: its latency is a few seconds. */
export const EVENT_GRID_POLL_MS = 250;

/** Runs the smoke test. Throws SmokeInputError (exit 2) for bad input or an undeployed stack. */
export async function runSmoke(args: SmokeArgs, deployment: Deployment, options: SmokeOptions = {}): Promise<SmokeReport> {
  const deadline = Date.now() + args.timeoutSeconds * 1000;
  const remaining = () => Math.max(0, deadline - Date.now());
  /** A step that must end before the deadline. */
  const within = <T>(what: string, step: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new SmokeTimeoutError(`${what} did not finish within the ${args.timeoutSeconds} s of --timeout`)), remaining());
    });
    return Promise.race([step, late]).finally(() => clearTimeout(timer));
  };
  const log = options.stderr ?? ((line: string) => process.stderr.write(`${line}\n`));
  const pollMs = options.pollMs ?? 5000;
  const env = deployment.environments.find((e) => e.stackName === args.stack);
  if (!env) throw new SmokeInputError(`no stack "${args.stack}" in ${basename(deployment.file)}; the stacks are: ${deployment.environments.map((e) => e.stackName).join(", ")}`);
  const unknown = args.functions.filter((n) => !deployment.functions.some((f) => f.name === n));
  if (unknown.length > 0) {
    throw new SmokeInputError(`no function ${unknown.map((n) => `"${n}"`).join(", ")} in ${basename(deployment.file)}; the functions are: ${deployment.functions.map((f) => f.name).join(", ")}`);
  }
  const selected = args.functions.length === 0 ? deployment.functions : deployment.functions.filter((f) => args.functions.includes(f.name));
  const input = args.input ?? deployment.smokeRequest ?? shippedSample(deployment);
  if (input === undefined) {
    throw new SmokeInputError(`no input: pass --input <file>, set smoke.request in ${basename(deployment.file)}, or ship the model's example request as sample.json beside the scoring script`);
  }
  if (!existsSync(input) || !statSync(input).isFile()) throw new SmokeInputError(`input file "${input}" does not exist`);
  const payload = readFileSync(input);

  const services = options.services ?? (await import("./smoke-azure")).azureServices();
  let credential: TokenCredential | undefined;
  const getCredential = async () => (credential ??= await services.credential());
  const root = options.root ?? projectPaths(deployment.file).dir;
  const access = {
    root,
    credential: getCredential,
    blobEndpoint: options.blobEndpoint,
    tlsCa: options.tlsCa,
    terraform: options.terraform,
    deadline: { remainingMs: remaining, seconds: args.timeoutSeconds },
  };
  const state = await within("reading the state", readStackState(args.stack, deployment.state, access));
  const outputs = stackOutputs(state, args.stack, deployment.functions, selected);
  const image = await within(
    "reading the image stack's and the other environments' state",
    imageReport(args.stack, deployment, state, async (stack) => {
      try {
        return await readStackState(stack, deployment.state, access);
      } catch (e) {
        if (e instanceof SmokeInputError) return undefined;
        throw e;
      }
    }),
  );
  if (image.finding !== undefined) log(`smoke: ${image.finding}`);

  // Local answers first: a script that fails here would fail there, and nothing is created yet.
  // The build context is the same for every function: built once, not once per local answer.
  let shared: string | undefined;
  const localAnswer: NonNullable<SmokeOptions["localAnswer"]> =
    options.localAnswer ?? ((d, fn, file, blob, ms, s) => invokeLocally(d, fn, file, blob, ms, s, (shared ??= contextFor(d, undefined))));
  const uniqueId = `smoke-${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
  const plans = selected.map((fn) => {
    const blobName = fn.trigger.type === "blob" ? blobNames(fn.trigger, uniqueId, input) : undefined;
    if (remaining() === 0) throw new SmokeTimeoutError(`the local answers did not finish within the ${args.timeoutSeconds} s of --timeout`);
    const expected = localAnswer(deployment, fn, input, blobName?.inputFile, remaining(), args.timeoutSeconds);
    return { fn, blobName, expected };
  });

  // Tokens before the wait: a sign-in problem shows now, and a short-lived federated token (CI) is
  // exchanged while it is still valid; the SDKs reuse the cached access tokens later.
  const scopes = [
    ...(selected.some((f) => f.trigger.type === "blob") ? ["https://storage.azure.com/.default"] : []),
    ...(selected.some((f) => f.trigger.type === "serviceBus") ? ["https://servicebus.azure.net/.default"] : []),
  ];
  for (const scope of scopes) {
    try {
      await within("signing in", getCredential().then((c) => c.getToken(scope)));
    } catch (e) {
      if (e instanceof SmokeTimeoutError) throw e;
      throw new SmokeInputError(
        `cannot get a token for ${scope}: ${printable(firstLine(e), 300)}; sign in with az login, or set the AZURE_* variables of workload identity or a service principal`,
      );
    }
  }
  const keys = await within("listing the app's keys", functionKeys(deployment.functions, outputs, args.stack, services, getCredential));
  const transport = options.transport ?? {};
  const health = await waitHealthy(outputs, deployment.functions, keys, { ms: remaining(), seconds: args.timeoutSeconds }, pollMs, log, transport);
  const look = (fn: FunctionConfig, started: Date, invocationId?: string) => insightsQuery(env, fn, started, invocationId);
  const results: FunctionResult[] = [];
  if (!health.ok) {
    for (const { fn } of plans) results.push({ name: fn.name, trigger: fn.trigger.type, ok: false, detail: "not run: the app is not healthy" });
  } else {
    let bus: Promise<ServiceBusPort> | undefined;
    const getBus = async () => (bus ??= services.serviceBus(`${outputs.serviceBusNamespace}.servicebus.windows.net`, await getCredential()));
    try {
      const runs = plans.map(async ({ fn, blobName, expected }): Promise<FunctionResult> => {
        const t = fn.trigger;
        try {
          const budget: Budget = { ms: Math.max(1, remaining()), seconds: args.timeoutSeconds };
          if (t.type === "http") {
            const url = outputs.httpEndpoints[fn.name];
            if (url === undefined) throw new Error(`no endpoint for ${fn.name}`);
            return await checkHttp(fn, url, keys.get(fn.name), payload, expected, budget, look, transport);
          }
          if (t.type === "blob") {
            const container = await blobContainerClient(outputs.triggerStorageAccount ?? "", await getCredential(), options);
            return await checkBlob(fn, container, blobName ?? blobNames(t, uniqueId, input), payload, expected, budget, pollMs, look);
          }
          return await checkServiceBus(fn, t, await getBus(), `${uniqueId}-${fn.name}`, payload, expected, budget, pollMs, look);
        } catch (e) {
          return { name: fn.name, trigger: t.type, ok: false, detail: `error: ${printable(e instanceof Error ? e.message : String(e))}`, look: look(fn, new Date()) };
        }
      });
      results.push(...(await Promise.all(runs)));
    } finally {
      if (bus) await bus.then((b) => b.close(), () => undefined);
    }
  }
  const ok = health.ok && results.every((r) => r.ok) && image.finding === undefined;
  return { stack: args.stack, image, health, functions: results, exitCode: ok ? 0 : 1 };
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * The digest the stack runs, the digest its image stack last pushed, and what the other deployed
 * environments run. Every environment of a deployment file runs the image stack's digest once
 * deployed, so this stack running another one is a finding; another environment that still runs an
 * older digest is shown, as it may simply not be promoted yet. A digest that is not sha256:<64 hex
 * digits> is a finding too, and is not printed as a digest (state may hold anything).
 */
export async function imageReport(
  stack: string,
  deployment: Deployment,
  state: StackState,
  read: (stack: string) => Promise<StackState | undefined>,
): Promise<ImageReport> {
  const findings: string[] = [];
  const digestOf = (of: string, s: StackState | undefined): string | undefined => {
    const value = s?.outputs.image_digest;
    if (value === undefined || value === "") return undefined;
    if (typeof value === "string" && DIGEST.test(value)) return value;
    const shown = typeof value === "string" ? value : JSON.stringify(value);
    findings.push(`output "image_digest" of ${of} ("${visible(shown)}") is not an image digest (sha256:<64 lower-case hex digits); check who wrote the state, or redeploy: npm run deploy -- ${of}`);
    return undefined;
  };
  const imageStack = deployment.image.stackName;
  const digest = digestOf(stack, state);
  const built = digestOf(imageStack, await read(imageStack));
  const others: Record<string, string> = {};
  for (const env of deployment.environments) {
    if (env.stackName === stack) continue;
    const other = digestOf(env.stackName, await read(env.stackName));
    if (other !== undefined) others[env.stackName] = other;
  }
  if (digest !== undefined && built !== undefined && digest !== built) {
    findings.push(`${stack} runs ${digest}, but ${imageStack} last pushed ${built}: the environments are expected to run the same image; deploy ${stack} (npm run deploy -- ${stack}) to run it`);
  }
  return { digest, built, imageStack, others, ...(findings.length === 0 ? {} : { finding: findings.join("; ") }) };
}

/** The example request shipped with the model: sample.json beside the scoring script (an MLflow folder served without one has none). */
function shippedSample(deployment: Deployment): string | undefined {
  const script = deployment.model.scoringScript;
  const file = script === undefined ? undefined : join(dirname(script), "sample.json");
  return file !== undefined && existsSync(file) ? file : undefined;
}

interface Outputs {
  readonly hostname: string;
  /** Checked: https on the app's own host name. */
  readonly httpEndpoints: Readonly<Record<string, URL>>;
  readonly functionAppName: string;
  /** The function app's resource id in state; smoke sends no key without one. */
  readonly appId?: ArmAppId;
  readonly triggerStorageAccount?: string;
  readonly serviceBusNamespace?: string;
}

/** The outputs the selected functions need, by name (App Service and Container Apps stacks share them). */
function stackOutputs(state: StackState, stack: string, all: readonly FunctionConfig[], selected: readonly FunctionConfig[]): Outputs {
  const out = (name: string, neededBy: string) => requireOutput(state, stack, name, neededBy, isString, "a string");
  // Each value below reaches a URL, a host name or the terminal: checked against Azure's rules first.
  const checked = (name: string, value: string, rule: RegExp | ((v: string) => string | undefined), ruleText: string): string => {
    const problem = typeof rule === "function" ? rule(value) : rule.test(value) ? undefined : ruleText;
    if (problem !== undefined) throw new SmokeInputError(`output "${name}" of ${stack} ("${visible(value)}") ${problem}; check who wrote the state, or redeploy: npm run deploy -- ${stack}`);
    return value;
  };
  const functionAppName = checked("function_app_name", out("function_app_name", "the health check"), /^[A-Za-z0-9][A-Za-z0-9-]{0,58}[A-Za-z0-9]$/, "is not a function app name (2-60 letters, digits and hyphens)");
  // The id is found by function_app_name, so both name the same app; the host name must be that app's
  // own, as the keys listed for the id (or MLFUNC_FUNCTION_KEY) go there.
  const appId = functionAppId(state, functionAppName);
  const hostname = checked("function_app_hostname", out("function_app_hostname", "the health check"), (h) => appHostProblem(h, appId?.name ?? functionAppName, appId?.kind), "");
  const httpAll = all.filter((f) => f.trigger.type === "http");
  const rawEndpoints = httpAll.length > 0 ? requireOutput(state, stack, "http_endpoints", httpAll[0]?.name ?? "", isStringMap, "a map of URLs") : {};
  const httpEndpoints: Record<string, URL> = {};
  for (const f of httpAll) {
    const raw = rawEndpoints[f.name];
    if (raw === undefined) {
      throw new SmokeInputError(`output "http_endpoints" of ${stack} has no URL for ${f.name}; deploy the current deployment file first: npm run deploy -- ${stack}`);
    }
    httpEndpoints[f.name] = appEndpoint(raw, hostname, `output "http_endpoints" of ${stack} for ${f.name}`);
  }
  // The account or namespace of one trigger kind, checked to hold every container or queue the selected functions use.
  const deployedStore = (
    type: "blob" | "serviceBus",
    storeOutput: string,
    listOutput: string,
    what: string,
    needs: (f: FunctionConfig) => readonly (string | undefined)[],
  ): string | undefined => {
    const first = selected.find((f) => f.trigger.type === type);
    if (!first) return undefined;
    const store = out(storeOutput, first.name);
    const deployed = requireOutput(state, stack, listOutput, first.name, isStringList, `a list of ${what} names`);
    for (const f of selected) {
      if (f.trigger.type !== type) continue;
      for (const name of needs(f)) {
        if (name !== undefined && !deployed.includes(name)) {
          throw new SmokeInputError(`the deployed stack ${stack} has no ${what} "${name}" (needed by ${f.name}); deploy the current deployment file first: npm run deploy -- ${stack}`);
        }
      }
    }
    return store;
  };
  const storageRule = /^[a-z0-9]{3,24}$/;
  const namespaceRule = /^[A-Za-z][A-Za-z0-9-]{4,48}[A-Za-z0-9]$/;
  const triggerStorageAccountRaw = deployedStore("blob", "trigger_storage_account", "trigger_containers", "container", (f) =>
    f.trigger.type === "blob" ? [parseBlobPath(f.trigger.inputPath).container, parseBlobPath(f.trigger.outputPath).container] : [],
  );
  const serviceBusNamespaceRaw = deployedStore("serviceBus", "service_bus_namespace", "service_bus_queues", "queue", (f) =>
    f.trigger.type === "serviceBus" ? [f.trigger.queue, f.trigger.outputQueue] : [],
  );
  const triggerStorageAccount =
    triggerStorageAccountRaw === undefined ? undefined : checked("trigger_storage_account", triggerStorageAccountRaw, storageRule, "is not a storage account name (3-24 lower-case letters and digits)");
  const serviceBusNamespace =
    serviceBusNamespaceRaw === undefined ? undefined : checked("service_bus_namespace", serviceBusNamespaceRaw, namespaceRule, "is not a Service Bus namespace name (6-50 letters, digits and hyphens)");
  return { hostname, httpEndpoints, functionAppName, appId, triggerStorageAccount, serviceBusNamespace };
}

/** The key each keyed HTTP function needs: MLFUNC_FUNCTION_KEY if set, else listed through ARM. */
async function functionKeys(
  all: readonly FunctionConfig[],
  outputs: Outputs,
  stack: string,
  services: SmokeServices,
  credential: () => Promise<TokenCredential>,
): Promise<Map<string, string>> {
  const keyed = all.flatMap((f) => (f.trigger.type === "http" && f.trigger.authLevel !== "anonymous" ? [{ name: f.name, level: f.trigger.authLevel }] : []));
  const keys = new Map<string, string>();
  if (keyed.length === 0) return keys;
  const { appId } = outputs;
  if (appId === undefined) {
    throw new SmokeInputError(
      `the state of ${stack} holds no resource id for the function app ${outputs.functionAppName}; smoke sends a key only to the host name of the app an id names: deploy the current deployment file first: npm run deploy -- ${stack}`,
    );
  }
  const fromEnv = process.env.MLFUNC_FUNCTION_KEY;
  if (fromEnv !== undefined && fromEnv !== "") {
    for (const f of keyed) keys.set(f.name, fromEnv);
    return keys;
  }
  if (appId.kind === "Microsoft.App/containerApps") {
    throw new SmokeInputError(
      `${keyed.map((f) => f.name).join(", ")} need${keyed.length === 1 ? "s" : ""} a function key, and Container Apps has no Resource Manager API to list one; set MLFUNC_FUNCTION_KEY (az containerapp function keys list -g <group> -n ${outputs.functionAppName} --key-type hostKey)`,
    );
  }
  let listed: { functionKey?: string; masterKey?: string };
  try {
    listed = await services.hostKeys(appId, await credential());
  } catch (e) {
    const status = statusOf(e);
    throw new SmokeInputError(
      `cannot list the keys of ${outputs.functionAppName}${status === undefined ? "" : ` (HTTP ${status})`}: ${printable(e instanceof Error ? e.message : String(e))}; the caller needs Microsoft.Web/sites/host/listkeys/action on the app (Website Contributor, or smokeTesters in the deployment file), or set MLFUNC_FUNCTION_KEY`,
    );
  }
  for (const f of keyed) {
    const key = f.level === "admin" ? listed.masterKey : (listed.functionKey ?? listed.masterKey);
    if (key === undefined) throw new SmokeInputError(`the app ${outputs.functionAppName} returned no ${f.level === "admin" ? "master" : "function"} key for ${f.name}`);
    keys.set(f.name, key);
  }
  return keys;
}

/** Polls the health route until it answers 200 or the timeout passes. Progress goes to stderr. */
async function waitHealthy(
  outputs: Outputs,
  all: readonly FunctionConfig[],
  keys: ReadonlyMap<string, string>,
  budget: Budget,
  pollMs: number,
  log: (line: string) => void,
  transport: Transport,
): Promise<SmokeReport["health"]> {
  const timeoutMs = budget.ms;
  // A GET on an HTTP function runs the script's init() (its health route); without one, the host's home page.
  const http = all.find((f) => f.trigger.type === "http");
  const target = (http ? outputs.httpEndpoints[http.name] : undefined) ?? new URL(`https://${outputs.hostname}/`);
  const url = visible(target.href);
  const key = http ? keys.get(http.name) : undefined;
  const started = Date.now();
  const seconds = () => Math.round((Date.now() - started) / 100) / 10;
  log(`smoke: waiting for ${url} to answer (up to ${budget.seconds} s; the first start after a deploy pulls the image)`);
  let last = "no answer yet";
  let lastLogged = "";
  for (;;) {
    const remaining = timeoutMs - (Date.now() - started);
    try {
      // At least 2 s a request, so a slow answer near the deadline still counts.
      const res = await httpsRequest(target, { method: "GET", headers: key === undefined ? {} : { "x-functions-key": key }, timeoutMs: Math.max(2000, Math.min(30_000, remaining)) }, transport);
      const body = res.body;
      if (res.status === 200) {
        log(`smoke: healthy after ${seconds()} s`);
        return { ok: true, url, seconds: seconds(), detail: "HTTP 200" };
      }
      last = `HTTP ${res.status}${body.trim() === "" ? "" : `: ${printable(body, 200)}`}`;
    } catch (e) {
      if (e instanceof RedirectRefused) {
        log(`smoke: ${e.message}`);
        return { ok: false, url, seconds: seconds(), detail: e.message };
      }
      last = isTimeout(e) ? "no answer within the request timeout" : printable(causeOf(e), 200);
    }
    if (Date.now() - started >= timeoutMs) {
      log(`smoke: not healthy after ${seconds()} s (timeout); last answer: ${last}`);
      return { ok: false, url, seconds: seconds(), detail: `not healthy within ${budget.seconds} s; last answer: ${last}` };
    }
    if (last !== lastLogged) log(`smoke:   ${seconds()} s: ${last}`);
    lastLogged = last;
    await sleep(Math.min(pollMs, Math.max(0, timeoutMs - (Date.now() - started))));
  }
}

/** A request past its deadline (RequestTimeout) or a DOMException named TimeoutError. */
function isTimeout(e: unknown): boolean {
  return typeof e === "object" && e !== null && "name" in e && e.name === "TimeoutError";
}

function causeOf(e: unknown): string {
  const cause = e instanceof Error && e.cause instanceof Error ? e.cause.message : undefined;
  return cause ?? (e instanceof Error ? e.message : String(e));
}

/** Milliseconds left for a step, and the --timeout to name in messages. */
interface Budget {
  readonly ms: number;
  readonly seconds: number;
}

type Look = (fn: FunctionConfig, started: Date, invocationId?: string) => string;

async function checkHttp(
  fn: FunctionConfig,
  url: URL,
  key: string | undefined,
  payload: Buffer,
  expected: LocalAnswer,
  budget: Budget,
  look: Look,
  transport: Transport,
): Promise<FunctionResult> {
  const timeoutMs = budget.ms;
  const started = new Date();
  const t0 = performance.now();
  const base = { name: fn.name, trigger: "http" as const };
  const shown = visible(url.href);
  let res: { status: number };
  let body: string;
  try {
    const answer = await httpsRequest(
      url,
      { method: "POST", headers: { "Content-Type": "application/json", ...(key === undefined ? {} : { "x-functions-key": key }) }, body: payload, timeoutMs },
      transport,
    );
    res = answer;
    body = answer.body;
  } catch (e) {
    const timedOut = isTimeout(e);
    const detail = timedOut ? `no answer from ${shown} within ${budget.seconds} s` : e instanceof RedirectRefused ? e.message : `POST ${shown} failed: ${printable(causeOf(e))}`;
    return { ...base, ok: false, latencyMs: Math.round(performance.now() - t0), detail, look: look(fn, started) };
  }
  const latencyMs = Math.round(performance.now() - t0);
  if (res.status !== expected.status) {
    return { ...base, ok: false, latencyMs, status: res.status, body: printable(body), detail: `HTTP ${res.status}, locally HTTP ${expected.status}`, look: look(fn, started, invocationIdOf(body)) };
  }
  const diff = compareAnswers(body, expected.body);
  if (diff !== undefined) return { ...base, ok: false, latencyMs, status: res.status, body: printable(body), detail: `answer differs from the local answer: ${diff}`, look: look(fn, started, invocationIdOf(body)) };
  return { ...base, ok: true, latencyMs, status: res.status, detail: `HTTP ${res.status}, equal to the local answer` };
}

export interface BlobNames {
  readonly container: string;
  /** The input blob's name inside its container. */
  readonly input: string;
  readonly outputContainer: string;
  readonly output: string;
  /** The input's file name, for the local run (its name must match the input pattern). */
  readonly inputFile: string;
}

const TOKEN = /\{([A-Za-z][A-Za-z0-9_]*)\}/g;

/** `smoke-<unique>.<ext>` in the input path, and the output path its tokens imply. */
export function blobNames(t: BlobTriggerConfig, uniqueId: string, inputFile: string): BlobNames {
  const values = new Map<string, string>();
  const ext = extname(inputFile).replace(/^\./, "") || "json";
  const pattern = t.inputPath.slice(t.inputPath.indexOf("/") + 1);
  for (const m of pattern.matchAll(TOKEN)) {
    const token = (m[1] ?? "").toLowerCase();
    if (values.has(token)) continue;
    const end = (m.index ?? 0) + m[0].length;
    // The first token names the blob; a token that ends the name after a dot is its extension.
    const isExtension = pattern[(m.index ?? 0) - 1] === "." && end === pattern.length;
    values.set(token, values.size === 0 ? uniqueId : isExtension ? ext : "smoke");
  }
  const fill = (p: string) => p.replace(TOKEN, (_, name: string) => values.get(name.toLowerCase()) ?? "smoke");
  const input = fill(pattern);
  const output = fill(t.outputPath);
  const slash = output.indexOf("/");
  return { container: parseBlobPath(t.inputPath).container, input, outputContainer: output.slice(0, slash), output: output.slice(slash + 1), inputFile: basename(input) };
}

interface ContainerAccess {
  upload(container: string, name: string, body: Buffer): Promise<void>;
  /** The blob's content, or undefined when it does not exist (yet). */
  download(container: string, name: string): Promise<Buffer | undefined>;
  delete(container: string, name: string): Promise<void>;
}

async function blobContainerClient(account: string, credential: TokenCredential, options: SmokeOptions): Promise<ContainerAccess> {
  const { BlobServiceClient } = await import("@azure/storage-blob");
  const endpoint = (options.blobEndpoint ?? defaultBlobEndpoint)(account);
  const service = new BlobServiceClient(endpoint, credential, storageOptions(options.tlsCa));
  const blob = (container: string, name: string) => service.getContainerClient(container).getBlockBlobClient(name);
  return {
    upload: async (container, name, body) => {
      await blob(container, name).uploadData(body, { blobHTTPHeaders: { blobContentType: "application/json" } });
    },
    download: async (container, name) => {
      try {
        return await blob(container, name).downloadToBuffer();
      } catch (e) {
        if (statusOf(e) === 404) return undefined;
        throw e;
      }
    },
    delete: async (container, name) => {
      await blob(container, name).deleteIfExists();
    },
  };
}

/** Runs a check, then its cleanup whatever happened; what the cleanup could not remove is reported. */
async function withCleanup(fn: FunctionConfig, look: Look, check: () => Promise<FunctionResult>, cleanup: () => Promise<string[]>): Promise<FunctionResult> {
  const started = new Date();
  let result: FunctionResult;
  try {
    result = await check();
  } catch (e) {
    const message = printable(firstLine(e));
    const denied = statusOf(e) === 403 || statusOf(e) === 401 || (typeof e === "object" && e !== null && "code" in e && e.code === "UnauthorizedAccess");
    const hint = denied ? '; the caller lacks a data-plane role: see "Who can run it" in docs/smoke.md (smoke.testers grants them)' : "";
    result = { name: fn.name, trigger: fn.trigger.type, ok: false, detail: `error: ${message}${hint}`, look: look(fn, started) };
  }
  let leftovers: string[];
  try {
    leftovers = await cleanup();
  } catch (e) {
    leftovers = [`cleanup failed: ${printable(e instanceof Error ? e.message : String(e), 200)}`];
  }
  return leftovers.length === 0 ? result : { ...result, leftover: leftovers.join("; ") };
}

async function checkBlob(
  fn: FunctionConfig,
  storage: ContainerAccess,
  names: BlobNames,
  payload: Buffer,
  expected: LocalAnswer,
  budget: Budget,
  pollMs: number,
  look: Look,
): Promise<FunctionResult> {
  const timeoutMs = budget.ms;
  const source = (fn.trigger as BlobTriggerConfig).source;
  const base = { name: fn.name, trigger: "blob" as const, source };
  const inputPath = `${names.container}/${names.input}`;
  const outputPath = `${names.outputContainer}/${names.output}`;
  // Event Grid answers in seconds: poll often enough that the latency is measured, not the poll period.
  const every = source === "eventGrid" ? Math.min(pollMs, EVENT_GRID_POLL_MS) : pollMs;
  const waitHint =
    source === "eventGrid"
      ? `Event Grid delivers within seconds: look at the subscription's delivery failures and the ${DEAD_LETTER_CONTAINER} container`
      : "the polling blob trigger can take up to 10 minutes on an idle app";
  const check = async (): Promise<FunctionResult> => {
    const started = new Date();
    await storage.upload(names.container, names.input, payload);
    // From here the blob exists and Event Grid (or the scan) can see it.
    const t0 = performance.now();
    for (;;) {
      const out = await storage.download(names.outputContainer, names.output);
      if (out !== undefined) {
        const latencyMs = Math.round(performance.now() - t0);
        const diff = compareAnswers(out.toString("utf8"), expected.body);
        if (diff !== undefined) {
          return { ...base, ok: false, latencyMs, body: printable(out.toString("utf8")), detail: `${outputPath} differs from the local answer: ${diff}`, look: look(fn, started) };
        }
        return { ...base, ok: true, latencyMs, detail: `${outputPath} equal to the local answer` };
      }
      if (performance.now() - t0 >= timeoutMs) {
        return {
          ...base,
          ok: false,
          latencyMs: Math.round(performance.now() - t0),
          detail: `no output blob ${outputPath} within ${budget.seconds} s after uploading ${inputPath} (${waitHint})`,
          look: look(fn, started),
        };
      }
      await sleep(Math.min(every, Math.max(0, timeoutMs - (performance.now() - t0))));
    }
  };
  const cleanup = async () => {
    const left: string[] = [];
    for (const [container, name] of [[names.container, names.input], [names.outputContainer, names.output]] as const) {
      try {
        await storage.delete(container, name);
      } catch (e) {
        left.push(`${container}/${name} (${printable(firstLine(e), 120)})`);
      }
    }
    return left;
  };
  return withCleanup(fn, look, check, cleanup);
}

async function checkServiceBus(
  fn: FunctionConfig,
  t: ServiceBusTriggerConfig,
  bus: ServiceBusPort,
  messageId: string,
  payload: Buffer,
  expected: LocalAnswer,
  budget: Budget,
  pollMs: number,
  look: Look,
): Promise<FunctionResult> {
  const timeoutMs = budget.ms;
  const base = { name: fn.name, trigger: "serviceBus" as const };
  const started = new Date();
  const t0 = performance.now();
  const elapsed = () => Math.round(performance.now() - t0);
  // The output binding cannot carry the message id over, so the result is the output message,
  // enqueued after ours, whose body equals the local answer. Allow a minute of clock skew.
  const since = started.getTime() - 60_000;
  let sent = false;
  let inputSeq: string | undefined;
  let consumed = false;
  let consumedAt = 0;
  let outputCursor: string | undefined;
  const candidates: QueueMessage[] = [];
  let result: QueueMessage | undefined;
  let dead: QueueMessage | undefined;
  const findInput = async (deadLetter: boolean): Promise<QueueMessage | undefined> => {
    const page = await bus.peek(t.queue, { from: deadLetter ? undefined : inputSeq, max: inputSeq === undefined || deadLetter ? 250 : 1, deadLetter });
    return page.find((m) => m.messageId === messageId);
  };
  const check = async (): Promise<FunctionResult> => {
    await bus.send(t.queue, { messageId, body: payload, contentType: "application/json" });
    sent = true;
    for (;;) {
      if (!consumed) {
        const pending = await findInput(false);
        if (pending) inputSeq = pending.sequenceNumber;
        else {
          consumed = true;
          consumedAt = performance.now();
          dead = await findInput(true);
          if (dead) {
            return { ...base, ok: false, latencyMs: elapsed(), detail: `the message was dead-lettered from ${t.queue}: ${printable(dead.deadLetterReason ?? "no reason given")}`, look: look(fn, started) };
          }
          if (t.outputQueue === undefined) return { ...base, ok: true, latencyMs: elapsed(), detail: `consumed from ${t.queue} (no output queue to compare)` };
        }
      }
      if (t.outputQueue !== undefined) {
        const page = await bus.peek(t.outputQueue, { from: outputCursor, max: 100 });
        for (const m of page) if (m.enqueuedAt === undefined || m.enqueuedAt.getTime() >= since) candidates.push(m);
        const last = page[page.length - 1];
        if (last) outputCursor = (BigInt(last.sequenceNumber) + 1n).toString();
        const match = candidates.find((m) => compareAnswers(m.body, expected.body) === undefined);
        if (match) {
          result = match;
          return { ...base, ok: true, latencyMs: elapsed(), detail: `result in ${t.outputQueue} equal to the local answer` };
        }
        // Consumed, a result arrived, none matches: the first is taken as this message's answer.
        const first = candidates[0];
        if (consumed && first && performance.now() - consumedAt >= Math.min(10_000, pollMs * 2)) {
          return {
            ...base,
            ok: false,
            latencyMs: elapsed(),
            body: printable(first.body),
            detail: `no result in ${t.outputQueue} equals the local answer; the first one after the test message (sequence ${first.sequenceNumber}, left in the queue) differs ${compareAnswers(first.body, expected.body) ?? ""}`,
            look: look(fn, started),
          };
        }
      }
      if (performance.now() - t0 >= timeoutMs) {
        const detail = consumed
          ? `the message was consumed from ${t.queue} but no result reached ${t.outputQueue} within ${budget.seconds} s`
          : `the message was not consumed from ${t.queue} within ${budget.seconds} s`;
        return { ...base, ok: false, latencyMs: elapsed(), detail, look: look(fn, started) };
      }
      await sleep(Math.min(pollMs, Math.max(0, timeoutMs - (performance.now() - t0))));
    }
  };
  // Only a message at the head of its queue is received, so no other sender's message is ever locked.
  const takeIfHead = async (queue: string, sequenceNumber: string, deadLetter = false): Promise<boolean> => {
    const [head] = await bus.peek(queue, { max: 1, deadLetter });
    return head?.sequenceNumber === sequenceNumber && (await bus.remove(queue, sequenceNumber, { max: 1, deadLetter }));
  };
  const cleanup = async (): Promise<string[]> => {
    const left: string[] = [];
    const behind = "behind messages this test did not send";
    if (result && t.outputQueue !== undefined && !(await takeIfHead(t.outputQueue, result.sequenceNumber))) {
      left.push(`the result (sequence ${result.sequenceNumber}) in ${t.outputQueue}, ${behind}`);
    }
    if (dead && !(await takeIfHead(t.queue, dead.sequenceNumber, true))) left.push(`message ${messageId} in the dead-letter queue of ${t.queue}, ${behind}`);
    if (sent && !consumed) {
      // Not consumed yet: take it back unless the function holds it or it waits behind others.
      const pending = await findInput(false);
      if (pending && !(await takeIfHead(t.queue, pending.sequenceNumber))) left.push(`message ${messageId} in ${t.queue}, locked by the app or ${behind}`);
    }
    return left;
  };
  return withCleanup(fn, look, check, cleanup);
}

/** Equal JSON with numbers within a relative 1e-6 (absolute 1e-9 near zero); otherwise equal text. */
export function compareAnswers(deployed: string, local: string): string | undefined {
  let a: unknown;
  let b: unknown;
  try {
    a = JSON.parse(deployed);
    b = JSON.parse(local);
  } catch {
    return deployed.trim() === local.trim() ? undefined : `deployed ${printable(deployed, 120)}, local ${printable(local, 120)}`;
  }
  return diffJson(a, b, "$");
}

function diffJson(a: unknown, b: unknown, at: string): string | undefined {
  const show = (v: unknown) => printable(JSON.stringify(v) ?? String(v), 80);
  if (typeof a === "number" && typeof b === "number") {
    return Math.abs(a - b) <= 1e-9 + 1e-6 * Math.max(Math.abs(a), Math.abs(b)) ? undefined : `at ${at}: deployed ${a}, local ${b}`;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `at ${at}: deployed has ${a.length} items, local ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      const d = diffJson(a[i], b[i], `${at}[${i}]`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) {
      if (!(k in a)) return `at ${at}: deployed lacks "${printable(k, 40)}"`;
      if (!(k in b)) return `at ${at}: deployed has extra "${printable(k, 40)}"`;
      const d = diffJson(a[k], b[k], `${at}.${printable(k, 40)}`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  return a === b ? undefined : `at ${at}: deployed ${show(a)}, local ${show(b)}`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function invocationIdOf(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    const id = isObject(parsed) && isObject(parsed.error) ? parsed.error.invocationId : undefined;
    return typeof id === "string" && /^[0-9a-fA-F-]{36}$/.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/** The Application Insights query that shows this function's invocations (or one invocation). */
export function insightsQuery(env: EnvironmentDeployment, fn: FunctionConfig, started: Date, invocationId?: string): string {
  const from = new Date(started.getTime() - 60_000).toISOString();
  const filter = invocationId
    ? `where tostring(customDimensions.InvocationId) == "${invocationId}"`
    : `where timestamp > datetime(${from}) and operation_Name == "${fn.name}"`;
  const kql = `union requests, traces, exceptions | ${filter} | order by timestamp asc | project timestamp, itemType, message, severityLevel, resultCode, outerMessage`;
  return `az monitor app-insights query --app ${env.names.appInsights} -g ${env.names.resourceGroup} --analytics-query '${kql}'`;
}

/** Remote text for a terminal: control and invisible characters escaped, long text cut. */
export function printable(text: string, max = 500): string {
  const escaped = visible(text);
  return escaped.length > max ? `${escaped.slice(0, max)}… (${escaped.length - max} more characters)` : escaped;
}

/** `npm run invoke`'s code path, with the output captured: the local answer to compare with. `shared` is the build context. */
export function invokeLocally(
  deployment: Deployment,
  fn: FunctionConfig,
  inputFile: string,
  blobFile?: string,
  timeoutMs: number = DEFAULT_TIMEOUT_SECONDS * 1000,
  timeoutSeconds: number = DEFAULT_TIMEOUT_SECONDS,
  shared: string = contextFor(deployment, undefined),
): LocalAnswer {
  const work = mkdtempSync(join(tmpdir(), "mlfunc-smoke-"));
  try {
    let input = inputFile;
    if (blobFile !== undefined) {
      // The blob trigger's tokens come from the file name, as they come from the blob's name.
      input = join(work, blobFile);
      copyFileSync(inputFile, input);
    }
    const args: InvokeArgs = { functionName: fn.name, input, out: join(work, "out"), timeoutSeconds: timeoutMs / 1000 };
    const run = runInContext(deployment, args, shared, "pipe");
    if (run.timedOut) {
      throw new SmokeTimeoutError(`the local run of ${fn.name} was stopped at the --timeout deadline (${timeoutSeconds} s); try npm run invoke -- ${fn.name} ${inputFile}`);
    }
    if (run.error) throw new SmokeInputError(`cannot run Python "${choosePython().command}" for the local answer: install it with the model's requirements or set MLFUNC_PYTHON`);
    const lines = run.stdout.split("\n");
    if (run.status !== 0) {
      const why = run.stderr.split("\n").filter((l) => l.startsWith("error:")).pop() ?? run.stderr.trim().split("\n").pop() ?? "";
      throw new SmokeInputError(`the local run of ${fn.name} failed (exit ${run.status}), so there is nothing to compare with: ${printable(why, 300)}; try npm run invoke -- ${fn.name} ${inputFile}`);
    }
    switch (fn.trigger.type) {
      case "http": {
        const status = Number(/^HTTP (\d+)$/.exec(lines[0] ?? "")?.[1]);
        return { status, body: lines.slice(1).join("\n").replace(/\n$/, "") };
      }
      case "blob":
        return { body: readFileSync(lines[0] ?? "", "utf8") };
      case "serviceBus":
        return { body: lines.slice(1).join("\n").replace(/\n$/, "") };
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function latencyText(ms: number | undefined): string {
  if (ms === undefined) return "-";
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms} ms`;
}

export function formatReport(report: SmokeReport): string {
  const rows: string[] = [`smoke ${report.stack}: health ${report.health.ok ? "ok" : "FAILED"} (${visible(report.health.url)}, ${report.health.seconds} s)`];
  if (!report.health.ok) rows.push(`  ${report.health.detail}`);
  const width = Math.max(...report.functions.map((f) => f.name.length), 8);
  const kind = (f: FunctionResult) => (f.source === undefined ? f.trigger : `${f.trigger}/${f.source}`);
  const kindWidth = Math.max(...report.functions.map((f) => kind(f).length), 10);
  for (const f of report.functions) {
    rows.push(`${f.ok ? "ok    " : "FAILED"}  ${f.name.padEnd(width)}  ${kind(f).padEnd(kindWidth)}  ${latencyText(f.latencyMs).padStart(8)}  ${f.detail}`);
    if (!f.ok && f.status !== undefined) rows.push(`        status: HTTP ${f.status}`);
    if (!f.ok && f.body !== undefined) rows.push(`        body: ${f.body}`);
    if (f.leftover !== undefined) rows.push(`        not cleaned up: ${f.leftover}`);
    if (!f.ok && f.look !== undefined) rows.push(`        look: ${f.look}`);
  }
  const blobs = report.functions.filter((f) => f.trigger === "blob" && f.ok && f.latencyMs !== undefined);
  if (blobs.length > 0) rows.push(`blob latency, upload to output blob: ${blobs.map((f) => `${f.name} ${latencyText(f.latencyMs)} (${f.source ?? "polling"})`).join(", ")}`);
  // The image the stack runs, and what the other environments run.
  const { image } = report;
  const runs = image.digest ?? "no image_digest output (deployed before images were promoted by digest; deploy it again)";
  rows.push(`${image.finding === undefined ? "image " : "FAILED"}  ${report.stack} runs ${runs}${image.built === undefined ? "" : image.built === image.digest ? `, as ${image.imageStack} pushed` : ""}`);
  if (image.finding !== undefined) rows.push(`        ${image.finding}`);
  for (const [other, digest] of Object.entries(image.others)) {
    rows.push(`        ${other} runs ${digest}${image.built !== undefined && digest !== image.built ? ` (not the digest ${image.imageStack} last pushed: deploy ${other} to promote it)` : ""}`);
  }
  const failed = report.functions.filter((f) => !f.ok).length;
  rows.push(failed === 0 && report.health.ok ? `all ${report.functions.length} functions ok` : `${failed} of ${report.functions.length} functions failed`);
  if (image.finding !== undefined) rows.push("image mismatch: see the FAILED image line");
  return `${rows.join("\n")}\n`;
}

/** The command: exit 0 all ok, 1 a function failed, 2 bad input or not deployed. */
export async function smoke(argv: readonly string[], options: SmokeOptions = {}): Promise<number> {
  let args: SmokeArgs | undefined;
  try {
    args = parseSmokeArgs(argv);
    const report = await runSmoke(args, loadDeployment(), options);
    process.stdout.write(args.json ? `${jsonForTerminal(JSON.stringify(report, null, 2))}\n` : formatReport(report));
    return report.exitCode;
  } catch (e) {
    if (e instanceof SmokeTimeoutError) {
      const message = `smoke: ${e.message}`;
      if (args?.json) process.stdout.write(`${jsonForTerminal(JSON.stringify({ error: message, exitCode: 1 }, null, 2))}\n`);
      process.stderr.write(`${message}\n`);
      return 1;
    }
    if (e instanceof SmokeInputError || e instanceof DeploymentError) {
      const message = e instanceof DeploymentError ? e.message : `smoke: ${e.message}`;
      if (args?.json) process.stdout.write(`${jsonForTerminal(JSON.stringify({ error: message, exitCode: 2 }, null, 2))}\n`);
      process.stderr.write(`${message}\n`);
      return 2;
    }
    throw e;
  }
}

/** What `node scripts/mlfunc.js smoke` runs: exit 3 for an unexpected failure. */
export function run(argv: readonly string[]): Promise<number> {
  if (printedHelp(SMOKE, argv)) return Promise.resolve(0);
  return smoke(argv).catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 3;
  });
}
