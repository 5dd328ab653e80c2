/**
 * `npm run smoke`: state reading (local file, azurerm blob on Azurite, remote through terraform),
 * the health wait and HTTP check against a local server answering like the function, the blob path
 * against Azurite with the real storage SDK, and the Service Bus path through a test double.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { generate } from "selfsigned";
import { join } from "node:path";
import { BlobServiceClient } from "@azure/storage-blob";
import { stringify } from "yaml";
import { Deployment, loadDeployment } from "../config/load";
import type { FunctionConfig } from "../config/schema";
import {
  LocalAnswer,
  QueueMessage,
  ServiceBusPort,
  SmokeArgs,
  SmokeInputError,
  SmokeOptions,
  SmokeServices,
  SmokeTimeoutError,
  blobNames,
  compareAnswers,
  formatReport,
  invokeLocally,
  parseSmokeArgs,
  printable,
  runSmoke,
  smoke,
} from "../commands/smoke";
import { azureServices, listHostKeys } from "../commands/smoke-azure";
import { ARM_ENDPOINT, type Transport, appHostProblem, parseAppId } from "../commands/smoke-https";
import { storageOptions } from "../commands/smoke-state";
import { Azurite, TestCredential, startAzurite } from "./support/azurite";
import { EXAMPLE, Json, defaultConfig, scratch } from "./support/synth";

const STACK = "diabetes-dev";
const APP_ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-diabetes-dev/providers/Microsoft.Web/sites/func-diabetes-dev-abc123";
const APP_HOST = "func-diabetes-dev-abc123.azurewebsites.net";
const BASE = `https://${APP_HOST}`;
/** Host names the loopback servers answer for: the app, Resource Manager and the addresses a hostile state names. */
const ACA_HOST = "func-diabetes-dev-abc123.happy-hill-70162bb9.westeurope.azurecontainerapps.io";
const TLS_NAMES = [
  APP_HOST,
  "localhost",
  ACA_HOST,
  "management.azure.com",
  "management.azure.com.attacker.example",
  "attacker.example",
  "attacker.azurewebsites.net",
  "attacker.happy-hill-70162bb9.westeurope.azurecontainerapps.io",
];
const KEY = "test-function-key";
const ANSWER = "[207.9, 182.7]";
const work = scratch();
let azurite: Azurite;
let deployment: Deployment;
let tls: { cert: string; key: string };
const credential = new TestCredential();

beforeAll(async () => {
  const pems = await generate(undefined, { keyType: "ec", curve: "P-256", extensions: [{ name: "subjectAltName", altNames: TLS_NAMES.map((value) => ({ type: 2, value })) }] });
  tls = { cert: pems.cert, key: pems.private };
  azurite = await startAzurite();
  deployment = writeDeployment("default", defaultConfig());
}, 90_000);

afterAll(async () => {
  await azurite?.stop();
  work.cleanup();
});

function writeDeployment(name: string, c: Json): Deployment {
  const dir = join(work.dir, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "mlfunc.yaml"), stringify(c));
  return loadDeployment(join(dir, "mlfunc.yaml"));
}

/** A state file as Terraform writes it, with these outputs and the function app resource. */
function writeState(
  root: string,
  outputs: Json,
  resources: Json[] = [{ type: "azurerm_linux_function_app", name: "app", instances: [{ attributes: { id: APP_ID, name: "func-diabetes-dev-abc123" } }] }],
  stack = STACK,
): void {
  mkdirSync(root, { recursive: true });
  const state = { version: 4, terraform_version: "1.9.0", outputs: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { value: v, type: "string" }])), resources };
  writeFileSync(join(root, `terraform.${stack}.tfstate`), JSON.stringify(state));
}

function outputs(base = BASE): Json {
  return {
    function_app_name: "func-diabetes-dev-abc123",
    function_app_hostname: APP_HOST,
    http_endpoints: { predict: `${base}/api/predict` },
    trigger_storage_account: "stdiabetesdevdabc123",
    trigger_containers: ["input", "output"],
    service_bus_namespace: "sb-diabetes-dev-abc123",
    service_bus_queues: ["inqueue", "outqueue"],
  };
}

const args = (over: Partial<SmokeArgs> = {}): SmokeArgs => ({ stack: STACK, functions: [], timeoutSeconds: 5, json: false, ...over });

/** What a loopback server received: enough to tell whether a token or key reached it. */
interface Received {
  host: string;
  method: string;
  url: string;
  key?: string;
  authorization?: string;
  body: string;
}

/** An HTTPS server on loopback for the test names, logging every request before `answer` handles it. */
class LoggingServer {
  server: Server;
  requests: Received[] = [];
  answer: (req: Received, res: ServerResponse) => void = (_req, res) => void res.writeHead(404).end();

  constructor() {
    this.server = createServer(tls, (req: IncomingMessage, res: ServerResponse) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        const key = req.headers["x-functions-key"];
        const received: Received = {
          host: req.headers.host ?? "",
          method: req.method ?? "",
          url: req.url ?? "",
          key: typeof key === "string" ? key : undefined,
          authorization: req.headers.authorization,
          body,
        };
        this.requests.push(received);
        this.answer(received, res);
      });
    });
  }

  async start(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    const address = this.server.address();
    return typeof address === "object" && address ? address.port : 0;
  }

  async stop(): Promise<void> {
    await new Promise((r) => this.server.close(r));
  }

  /** Requests that carried a credential. */
  credentialed(): Received[] {
    return this.requests.filter((r) => r.key !== undefined || r.authorization !== undefined);
  }
}

/** Every host name to `port` on loopback, trusting the test CA: a request to any name lands on a logging server. */
const routeAll = (port: number): Transport => ({ ca: tls.cert, route: () => ({ host: "127.0.0.1", port }) });

/** Answers like the deployed HTTP function: health on GET, the answer on POST, 401 without the key. */
class FakeFunction {
  logging = new LoggingServer();
  server = this.logging.server;
  requests: { method: string; url: string; key?: string; body: string }[] = [];
  unhealthyGets = 0;
  answer = ANSWER;
  status = 200;
  healthy = true;

  constructor() {
    this.logging.answer = ({ method, url, key, body }, res) => {
      this.requests.push({ method, url, key, body });
      if (key !== KEY) return void res.writeHead(401).end();
      if (method === "GET") {
        if (!this.healthy || this.unhealthyGets-- > 0) return void res.writeHead(503, { "Content-Type": "text/html" }).end("<h1>Service Unavailable</h1>\n");
        return void res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ status: "ok", function: "predict", scoringScript: "score.py" }));
      }
      res.writeHead(this.status, { "Content-Type": "application/json" }).end(this.answer);
    };
  }

  /** Starts the server and routes every host name to it for the next runs (options()). Returns the app's base URL. */
  async start(): Promise<string> {
    transport = routeAll(await this.logging.start());
    return BASE;
  }

  async stop(): Promise<void> {
    await this.logging.stop();
  }
}

/** An in-memory Service Bus; `onSend` plays the function app. */
class FakeBus implements ServiceBusPort {
  private seq = 100n;
  readonly queues = new Map<string, QueueMessage[]>();
  readonly deadLetters = new Map<string, QueueMessage[]>();
  readonly abandoned: string[] = [];
  closed = false;
  onSend: (queue: string, m: QueueMessage) => void = () => undefined;

  list(queue: string, deadLetter = false): QueueMessage[] {
    const map = deadLetter ? this.deadLetters : this.queues;
    if (!map.has(queue)) map.set(queue, []);
    return map.get(queue) ?? [];
  }

  enqueue(queue: string, body: string, messageId?: string, deadLetterReason?: string): QueueMessage {
    const m: QueueMessage = { messageId, sequenceNumber: (this.seq++).toString(), enqueuedAt: new Date(), body, deadLetterReason };
    this.list(queue, deadLetterReason !== undefined).push(m);
    return m;
  }

  take(queue: string, messageId: string): QueueMessage | undefined {
    const list = this.list(queue);
    const i = list.findIndex((m) => m.messageId === messageId);
    return i < 0 ? undefined : list.splice(i, 1)[0];
  }

  async send(queue: string, message: { messageId: string; body: Buffer; contentType: string }): Promise<void> {
    const m = this.enqueue(queue, message.body.toString("utf8"), message.messageId);
    this.onSend(queue, m);
  }

  async peek(queue: string, options: { from?: string; max: number; deadLetter?: boolean }): Promise<QueueMessage[]> {
    const from = BigInt(options.from ?? "0");
    return this.list(queue, options.deadLetter).filter((m) => BigInt(m.sequenceNumber) >= from).slice(0, options.max);
  }

  async remove(queue: string, sequenceNumber: string, options: { max: number; deadLetter?: boolean }): Promise<boolean> {
    const list = this.list(queue, options.deadLetter);
    const received = list.slice(0, options.max);
    for (const m of received) if (m.sequenceNumber !== sequenceNumber) this.abandoned.push(m.sequenceNumber);
    const i = received.findIndex((m) => m.sequenceNumber === sequenceNumber);
    if (i < 0) return false;
    list.splice(i, 1);
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

function services(bus: FakeBus = new FakeBus()): SmokeServices {
  return {
    credential: async () => credential,
    serviceBus: async () => bus,
    hostKeys: async (appId) => {
      if (JSON.stringify(appId) !== JSON.stringify(parseAppId(APP_ID))) throw new Error(`unexpected app ${JSON.stringify(appId)}`);
      return { functionKey: KEY, masterKey: "master" };
    },
  };
}

const fixedLocal = (body = ANSWER) => (_d: Deployment, fn: FunctionConfig): LocalAnswer => (fn.trigger.type === "http" ? { status: 200, body } : { body });

let transport: Transport = {};

function options(root: string, over: Partial<SmokeOptions> = {}): SmokeOptions {
  return { root, services: services(), pollMs: 20, localAnswer: fixedLocal(), stderr: () => undefined, blobEndpoint: azurite.endpoint, tlsCa: azurite.ca, transport, ...over };
}

describe("arguments", () => {
  test.each([
    [[], "usage: mlfunc smoke <stack> [--input <file>] [--function <name>]... [--timeout <seconds>] [--json]"],
    [["a", "b"], "usage: mlfunc smoke <stack> [--input <file>] [--function <name>]... [--timeout <seconds>] [--json]"],
    [["a", "--timeout", "soon"], '--timeout must be a positive number of seconds, not "soon"'],
    [["a", "--timeout", "0"], '--timeout must be a positive number of seconds, not "0"'],
    [["a", "--input"], "--input needs a value; usage: mlfunc smoke <stack> [--input <file>] [--function <name>]... [--timeout <seconds>] [--json]"],
    [["a", "--verbose"], 'unknown option "--verbose"; usage: mlfunc smoke <stack> [--input <file>] [--function <name>]... [--timeout <seconds>] [--json]'],
  ])("%j is rejected", (argv, message) => {
    expect(() => parseSmokeArgs(argv)).toThrow(new SmokeInputError(message));
  });

  test("repeatable --function, --timeout, --json", () => {
    expect(parseSmokeArgs(["diabetes-dev", "--function", "predict", "--function", "predict-blob", "--timeout", "90", "--json", "--input", "x.json"])).toEqual({
      stack: "diabetes-dev",
      functions: ["predict", "predict-blob"],
      timeoutSeconds: 90,
      json: true,
      input: "x.json",
    });
  });

  test("an unknown stack or function is bad input", async () => {
    const root = join(work.dir, "args");
    await expect(runSmoke(args({ stack: "diabetes-test" }), deployment, options(root))).rejects.toThrow(
      'no stack "diabetes-test" in mlfunc.yaml; the stacks are: diabetes-dev, diabetes-prod',
    );
    await expect(runSmoke(args({ functions: ["predict", "score"] }), deployment, options(root))).rejects.toThrow(
      'no function "score" in mlfunc.yaml; the functions are: predict, predict-blob, predict-queue',
    );
  });
});

describe("stack state", () => {
  test("an undeployed stack (no local state file) is a clear error", async () => {
    const root = join(work.dir, "undeployed");
    mkdirSync(root, { recursive: true });
    const error = await runSmoke(args(), deployment, options(root)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SmokeInputError);
    expect((error as Error).message).toBe(`stack diabetes-dev is not deployed: no state file ${join(root, "terraform.diabetes-dev.tfstate")}; deploy it with npm run deploy -- diabetes-dev`);
  });

  test("a destroyed stack (state without resources) is not deployed", async () => {
    const root = join(work.dir, "destroyed");
    writeState(root, {}, []);
    await expect(runSmoke(args(), deployment, options(root))).rejects.toThrow(/^stack diabetes-dev is not deployed: its state \(.*terraform\.diabetes-dev\.tfstate\) holds no resources; deploy it with npm run deploy -- diabetes-dev$/);
  });

  test("a missing output names the output, the function that needs it and the fix", async () => {
    const root = join(work.dir, "missing-output");
    const o = outputs();
    delete o.trigger_storage_account;
    writeState(root, o);
    await expect(runSmoke(args({ functions: ["predict-blob"] }), deployment, options(root))).rejects.toThrow(
      new SmokeInputError('the state of diabetes-dev has no output "trigger_storage_account", which predict-blob needs; deploy the current deployment file first: npm run deploy -- diabetes-dev'),
    );
  });

  test("azurerm backend: the state blob is read with a bearer token (Azurite, HTTPS, OAuth)", async () => {
    const service = new BlobServiceClient(azurite.endpoint("state"), credential, storageOptions(azurite.ca));
    await service.getContainerClient("tfstate").createIfNotExists();
    const c = defaultConfig();
    c.state = { backend: "azurerm", resourceGroup: "rg-state", storageAccount: "stdiabetesstate", container: "tfstate", keyPrefix: "ml/" };
    const remote = writeDeployment("azurerm", c);
    const root = join(work.dir, "azurerm-root");
    mkdirSync(root, { recursive: true });
    await expect(runSmoke(args(), remote, options(root))).rejects.toThrow(
      new SmokeInputError("stack diabetes-dev is not deployed: no state blob ml/diabetes-dev.tfstate in container tfstate of storage account stdiabetesstate; deploy it with npm run deploy -- diabetes-dev"),
    );
    const o = outputs();
    delete o.service_bus_queues;
    const state = { version: 4, outputs: Object.fromEntries(Object.entries(o).map(([k, v]) => [k, { value: v }])), resources: [] };
    const body = JSON.stringify(state);
    await service.getContainerClient("tfstate").getBlockBlobClient("ml/diabetes-dev.tfstate").upload(body, Buffer.byteLength(body));
    // Read from the blob: the outputs are there, so the next problem is the missing queue output.
    await expect(runSmoke(args({ functions: ["predict-queue"] }), remote, options(root))).rejects.toThrow(
      new SmokeInputError('the state of diabetes-dev has no output "service_bus_queues", which predict-queue needs; deploy the current deployment file first: npm run deploy -- diabetes-dev'),
    );
    expect(credential.scopes).toContain("https://storage.azure.com/.default");
  });

  test("remote backend: outputs come from terraform show -json in the stack folder", async () => {
    const c = defaultConfig();
    c.state = { backend: "remote", organization: "contoso" };
    const remote = writeDeployment("remote", c);
    const root = join(work.dir, "remote-root");
    const stackDir = join(root, "cdktf.out", "stacks", STACK);
    mkdirSync(stackDir, { recursive: true });
    const show = { values: { outputs: { function_app_name: { value: "func-diabetes-dev-abc123" } }, root_module: { resources: [{ type: "azurerm_linux_function_app", values: { id: APP_ID } }] } } };
    writeFileSync(join(root, "show.json"), JSON.stringify(show));
    const terraform = join(root, "terraform");
    writeFileSync(terraform, `#!/bin/sh\n[ "$1" = "-chdir=${stackDir}" ] && [ "$2" = show ] && [ "$3" = -json ] && exec cat "${join(root, "show.json")}"\necho "Error: bad arguments $*" >&2; exit 1\n`);
    chmodSync(terraform, 0o755);
    await expect(runSmoke(args(), remote, options(root, { terraform }))).rejects.toThrow(
      new SmokeInputError('the state of diabetes-dev has no output "function_app_hostname", which the health check needs; deploy the current deployment file first: npm run deploy -- diabetes-dev'),
    );
  });
});

describe("--timeout covers the image report's state reads", () => {
  const devState = { values: { outputs: Object.fromEntries(Object.entries(outputs()).map(([k, v]) => [k, { value: v }])), root_module: { resources: [{ values: { id: APP_ID } }] } } };

  test("remote backend: a terraform show that hangs for the image stack is stopped at the deadline", async () => {
    const c = defaultConfig();
    c.state = { backend: "remote", organization: "contoso" };
    const remote = writeDeployment("remote-hang", c);
    const root = join(work.dir, "remote-hang-root");
    for (const stack of [STACK, "diabetes-image"]) mkdirSync(join(root, "cdktf.out", "stacks", stack), { recursive: true });
    writeFileSync(join(root, "show.json"), JSON.stringify(devState));
    // A stand-in terraform: the dev stack's state at once, the image stack's never.
    const terraform = join(root, "terraform");
    writeFileSync(terraform, `#!/bin/sh\n[ "$1" = "-chdir=${join(root, "cdktf.out", "stacks", STACK)}" ] && exec cat "${join(root, "show.json")}"\nexec sleep 600\n`);
    chmodSync(terraform, 0o755);
    const run = runSmoke(args({ timeoutSeconds: 2, functions: ["predict"] }), remote, options(root, { terraform }));
    await expect(run).rejects.toThrow(new SmokeTimeoutError("reading the state of diabetes-image did not finish within the 2 s of --timeout"));
  });

  test("azurerm backend: a state blob that never answers is cut at the deadline, and the command exits 1 saying so", async () => {
    const c = defaultConfig();
    c.state = { backend: "azurerm", resourceGroup: "rg-state", storageAccount: "stdiabetesstate", container: "tfstate" };
    const hanging = writeDeployment("azurerm-hang", c);
    const root = join(work.dir, "azurerm-hang-root");
    mkdirSync(root, { recursive: true });
    const body = JSON.stringify({ version: 4, outputs: Object.fromEntries(Object.entries(outputs()).map(([k, v]) => [k, { value: v }])), resources: [{ instances: [{ attributes: { id: APP_ID } }] }] });
    // A stand-in storage account: the dev stack's blob answers, the image stack's never does.
    const store = new LoggingServer();
    store.answer = (req, res) => {
      if (!req.url.includes(`/${STACK}.tfstate`)) return;
      res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": String(Buffer.byteLength(body)), "x-ms-blob-type": "BlockBlob", ETag: '"0x1"', "Last-Modified": new Date(0).toUTCString() }).end(req.method === "HEAD" ? undefined : body);
    };
    const port = await store.start();
    process.env.MLFUNC_CONFIG = hanging.file;
    const err: string[] = [];
    const e = jest.spyOn(process.stderr, "write").mockImplementation((c: string | Uint8Array) => (err.push(String(c)), true));
    try {
      const code = await smoke(["diabetes-dev", "--timeout", "2", "--function", "predict"], options(root, { blobEndpoint: (account) => `https://localhost:${port}/${account}`, tlsCa: tls.cert }));
      expect(code).toBe(1);
    } finally {
      e.mockRestore();
      delete process.env.MLFUNC_CONFIG;
      store.server.closeAllConnections();
      await store.stop();
    }
    // The run's deadline and the read's own abort fall at the same moment: either one names --timeout.
    expect(err.join("")).toMatch(/^smoke: reading the (image stack's and the other environments' state|state of diabetes-image) did not finish within the 2 s of --timeout\n$/);
    expect(store.requests.map((r) => r.url.split("?")[0])).toContain("/stdiabetesstate/tfstate/diabetes-image.tfstate");
  });
});

describe("health and HTTP", () => {
  let fake: FakeFunction;
  let base: string;
  let root: string;

  beforeEach(async () => {
    fake = new FakeFunction();
    base = await fake.start();
    root = join(work.dir, `http-${Math.random().toString(36).slice(2)}`);
    writeState(root, outputs(base));
  });
  afterEach(() => fake.stop());

  test("waits for the health route, then the answer equals the local answer", async () => {
    fake.unhealthyGets = 2;
    const progress: string[] = [];
    const report = await runSmoke(args({ functions: ["predict"] }), deployment, options(root, { stderr: (l) => progress.push(l) }));
    expect(report.exitCode).toBe(0);
    expect(report.health).toMatchObject({ ok: true, url: `${base}/api/predict`, detail: "HTTP 200" });
    expect(report.functions).toEqual([expect.objectContaining({ name: "predict", trigger: "http", ok: true, status: 200, detail: "HTTP 200, equal to the local answer" })]);
    expect(progress[0]).toBe(`smoke: waiting for ${base}/api/predict to answer (up to 5 s; the first start after a deploy pulls the image)`);
    expect(progress).toContainEqual(expect.stringMatching(/^smoke: {3}[\d.]+ s: HTTP 503: <h1>Service Unavailable<\/h1>\\n$/));
    expect(progress[progress.length - 1]).toMatch(/^smoke: healthy after [\d.]+ s$/);
    const post = fake.requests.find((r) => r.method === "POST");
    expect(post).toEqual({ method: "POST", url: "/api/predict", key: KEY, body: readSample() });
  });

  test("a health timeout says so, and no function runs", async () => {
    fake.healthy = false;
    const progress: string[] = [];
    const report = await runSmoke(args({ timeoutSeconds: 0.2 }), deployment, options(root, { stderr: (l) => progress.push(l) }));
    expect(report.exitCode).toBe(1);
    expect(report.health.detail).toBe("not healthy within 0.2 s; last answer: HTTP 503: <h1>Service Unavailable</h1>\\n");
    expect(progress[progress.length - 1]).toMatch(/^smoke: not healthy after [\d.]+ s \(timeout\); last answer: HTTP 503/);
    expect(report.functions.map((f) => [f.name, f.ok, f.detail])).toEqual([
      ["predict", false, "not run: the app is not healthy"],
      ["predict-blob", false, "not run: the app is not healthy"],
      ["predict-queue", false, "not run: the app is not healthy"],
    ]);
    expect(fake.requests.some((r) => r.method === "POST")).toBe(false);
  });

  test("a wrong answer fails with the difference, the body and an App Insights query", async () => {
    fake.answer = "[207.9, 190.1]";
    const report = await runSmoke(args({ functions: ["predict"] }), deployment, options(root));
    expect(report.exitCode).toBe(1);
    const [result] = report.functions;
    expect(result).toMatchObject({ ok: false, status: 200, body: "[207.9, 190.1]", detail: "answer differs from the local answer: at $[1]: deployed 190.1, local 182.7" });
    expect(result?.look).toMatch(
      /^az monitor app-insights query --app appi-diabetes-dev -g rg-diabetes-dev --analytics-query 'union requests, traces, exceptions \| where timestamp > datetime\(\d{4}-\d\d-\d\dT[\d:.]+Z\) and operation_Name == "predict" \| order by timestamp asc/,
    );
    const text = formatReport(report);
    expect(text).toContain("FAILED  predict ");
    expect(text).toContain("        body: [207.9, 190.1]");
    expect(text).toContain("1 of 1 functions failed");
  });

  test("a 500 points at the invocation id the body names", async () => {
    fake.status = 500;
    fake.answer = JSON.stringify({ error: { code: "RunFailed", message: "run() failed", invocationId: "1b4e28ba-2fa1-11d2-883f-0016d3cca427" } });
    const report = await runSmoke(args({ functions: ["predict"] }), deployment, options(root));
    const [result] = report.functions;
    expect(result).toMatchObject({ ok: false, status: 500, detail: "HTTP 500, locally HTTP 200" });
    expect(result?.look).toContain('where tostring(customDimensions.InvocationId) == "1b4e28ba-2fa1-11d2-883f-0016d3cca427"');
  });

  test("the key is listed through Resource Manager with the caller's token, on a URL built from the parsed id", async () => {
    const arm = new LoggingServer();
    arm.answer = (req, res) => {
      const ok = req.method === "POST" && req.host === "management.azure.com" && req.url === `${APP_ID}/host/default/listkeys?api-version=2023-12-01` && /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/.test(req.authorization ?? "");
      res.writeHead(ok ? 200 : 403, { "Content-Type": "application/json" }).end(ok ? JSON.stringify({ masterKey: "m", functionKeys: { default: "f" } }) : JSON.stringify({ error: { code: "AuthorizationFailed", message: "no" } }));
    };
    const route = routeAll(await arm.start());
    try {
      const id = parseAppId(APP_ID);
      if (id === undefined) throw new Error("APP_ID does not parse");
      await expect(listHostKeys(ARM_ENDPOINT, id, credential, route)).resolves.toEqual({ functionKey: "f", masterKey: "m" });
      expect(credential.scopes).toContain(`${ARM_ENDPOINT}/.default`);
      await expect(listHostKeys(ARM_ENDPOINT, { ...id, name: `${id.name}x` }, credential, route)).rejects.toMatchObject({ message: "AuthorizationFailed no", statusCode: 403 });
      expect(arm.requests.map((r) => r.host)).toEqual(["management.azure.com", "management.azure.com"]);
    } finally {
      await arm.stop();
    }
  });

  test("a sign-in problem stops before anything is sent", async () => {
    const signedOut: SmokeServices = {
      ...services(),
      credential: async () => ({ getToken: async () => Promise.reject(new Error("DefaultAzureCredential: no credential in the chain worked\nmore")) }),
    };
    await expect(runSmoke(args({ functions: ["predict-blob"] }), deployment, options(root, { services: signedOut }))).rejects.toThrow(
      new SmokeInputError(
        "cannot get a token for https://storage.azure.com/.default: DefaultAzureCredential: no credential in the chain worked; sign in with az login, or set the AZURE_* variables of workload identity or a service principal",
      ),
    );
    expect(fake.requests).toEqual([]);
  });

  test("Container Apps: the same outputs; the key comes from MLFUNC_FUNCTION_KEY, as no API lists it", async () => {
    const aca = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-diabetes-dev/providers/Microsoft.App/containerApps/func-diabetes-dev-abc123";
    const acaOutputs = { ...outputs(), function_app_hostname: ACA_HOST, http_endpoints: { predict: `https://${ACA_HOST}/api/predict` } };
    writeState(root, acaOutputs, [{ type: "azapi_resource", name: "app", instances: [{ attributes: { id: aca, name: "func-diabetes-dev-abc123" } }] }]);
    await expect(runSmoke(args({ functions: ["predict"] }), deployment, options(root))).rejects.toThrow(
      new SmokeInputError(
        "predict needs a function key, and Container Apps has no Resource Manager API to list one; set MLFUNC_FUNCTION_KEY (az containerapp function keys list -g <group> -n func-diabetes-dev-abc123 --key-type hostKey)",
      ),
    );
    process.env.MLFUNC_FUNCTION_KEY = KEY;
    try {
      const report = await runSmoke(args({ functions: ["predict"] }), deployment, options(root));
      expect(report.exitCode).toBe(0);
    } finally {
      delete process.env.MLFUNC_FUNCTION_KEY;
    }
  });

  test("a key that cannot be listed is bad input naming the role", async () => {
    const denied: SmokeServices = { ...services(), hostKeys: async () => Promise.reject(Object.assign(new Error("AuthorizationFailed"), { statusCode: 403 })) };
    await expect(runSmoke(args({ functions: ["predict"] }), deployment, options(root, { services: denied }))).rejects.toThrow(
      new SmokeInputError(
        "cannot list the keys of func-diabetes-dev-abc123 (HTTP 403): AuthorizationFailed; the caller needs Microsoft.Web/sites/host/listkeys/action on the app (Website Contributor, or smokeTesters in the deployment file), or set MLFUNC_FUNCTION_KEY",
      ),
    );
  });
});

describe("a hostile state gets no token and no key", () => {
  const GUID = "00000000-0000-0000-0000-000000000000";
  const SITE = "func-diabetes-dev-abc123";
  let app: LoggingServer;
  let attacker: LoggingServer;
  let route: Transport;

  beforeEach(async () => {
    app = new LoggingServer();
    app.answer = (req, res) => {
      if (req.method === "GET") return void res.writeHead(200).end("{}");
      res.writeHead(200, { "Content-Type": "application/json" }).end(ANSWER);
    };
    attacker = new LoggingServer();
    const appPort = await app.start();
    const attackerPort = await attacker.start();
    // The app's own host name and Resource Manager reach `app`; every other name reaches `attacker`.
    route = { ca: tls.cert, route: (host) => ({ host: "127.0.0.1", port: host === APP_HOST || host === "management.azure.com" ? appPort : attackerPort }) };
  });
  afterEach(async () => {
    await app.stop();
    await attacker.stop();
  });

  const NOT_SITE_HOST = `is not a default host name of the function app ${SITE} (${SITE}.azurewebsites.net or ${SITE}-<hash>.<region>-01.azurewebsites.net)`;

  /** Real Resource Manager client (listkeys over the routed transport) with the test credential. */
  const armServices = (): SmokeServices => ({ ...azureServices(ARM_ENDPOINT, route), credential: async () => credential });

  test.each([
    [`.attacker.example/subscriptions/${GUID}/resourceGroups/rg/providers/Microsoft.Web/sites/${SITE}`],
    [`//attacker.example/subscriptions/${GUID}/resourceGroups/rg/providers/Microsoft.Web/sites/${SITE}`],
    [`@attacker.example/subscriptions/${GUID}/resourceGroups/rg/providers/Microsoft.Web/sites/${SITE}`],
    [`/subscriptions/not-a-guid/resourceGroups/rg/providers/Microsoft.Web/sites/${SITE}`],
    [`/subscriptions/${GUID}/resourceGroups/rg/../../x/providers/Microsoft.Web/sites/${SITE}`],
    [`/subscriptions/${GUID}/resourceGroups/rg?a=/providers/Microsoft.Web/sites/${SITE}`],
    [`/subscriptions/${GUID}/resourceGroups/rg./providers/Microsoft.Web/sites/${SITE}`],
    [`/subscriptions/${GUID}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/${SITE}`],
  ])("%s is not a function app id", (id) => {
    expect(parseAppId(id)).toBeUndefined();
  });

  test("ids of both hostings parse into their parts", () => {
    expect(parseAppId(APP_ID)).toEqual({ subscription: GUID, resourceGroup: "rg-diabetes-dev", kind: "Microsoft.Web/sites", name: SITE });
    expect(parseAppId(`/subscriptions/${GUID}/resourcegroups/rg_(x).y/providers/microsoft.app/containerapps/${SITE}`)).toEqual({
      subscription: GUID,
      resourceGroup: "rg_(x).y",
      kind: "Microsoft.App/containerApps",
      name: SITE,
    });
  });

  test("a crafted function app id: refused before any token is asked for or sent", async () => {
    const root = join(work.dir, `crafted-${Math.random().toString(36).slice(2)}`);
    const crafted = `.attacker.example/subscriptions/${GUID}/resourceGroups/rg/providers/Microsoft.Web/sites/${SITE}`;
    writeState(root, outputs(), [{ type: "azurerm_linux_function_app", name: "app", instances: [{ attributes: { id: crafted } }] }]);
    const asked = credential.scopes.length;
    await expect(runSmoke(args({ functions: ["predict"] }), deployment, options(root, { services: armServices(), transport: route }))).rejects.toThrow(
      new SmokeInputError(
        `the state's resource id "${crafted}" for the function app ${SITE} is not a Resource Manager id (/subscriptions/<id>/resourceGroups/<group>/providers/…/<name>); smoke sends no token for it: check who wrote the state, or set MLFUNC_FUNCTION_KEY`,
      ),
    );
    expect(credential.scopes.slice(asked)).toEqual([]);
    expect(attacker.requests).toEqual([]);
    expect(app.requests).toEqual([]);
  });

  test("a valid id: listkeys reaches Resource Manager only, and the key reaches the app only", async () => {
    const root = join(work.dir, `valid-${Math.random().toString(36).slice(2)}`);
    writeState(root, outputs());
    app.answer = (req, res) => {
      if (req.url.includes("/listkeys?")) return void res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ masterKey: "m", functionKeys: { default: KEY } }));
      if (req.method === "GET") return void res.writeHead(200).end("{}");
      res.writeHead(200, { "Content-Type": "application/json" }).end(ANSWER);
    };
    const report = await runSmoke(args({ functions: ["predict"] }), deployment, options(root, { services: armServices(), transport: route }));
    expect(report.exitCode).toBe(0);
    expect(app.requests.map((r) => [r.host, r.method, r.url.split("?")[0], r.authorization === undefined ? "no token" : "token", r.key ?? "no key"])).toEqual([
      ["management.azure.com", "POST", `${APP_ID}/host/default/listkeys`, "token", "no key"],
      [APP_HOST, "GET", "/api/predict", "no token", KEY],
      [APP_HOST, "POST", "/api/predict", "no token", KEY],
    ]);
    expect(attacker.requests).toEqual([]);
  });

  test.each([
    ["http_endpoints over http", { http_endpoints: { predict: `http://${APP_HOST}/api/predict` } }, `output "http_endpoints" of diabetes-dev for predict "http://${APP_HOST}/api/predict" is not https: smoke sends the app's key only over https to the app itself; check the state, or redeploy`],
    ["http_endpoints on another host", { http_endpoints: { predict: "https://attacker.example/api/predict" } }, `output "http_endpoints" of diabetes-dev for predict "https://attacker.example/api/predict" is not on the app's host name ${APP_HOST}: smoke sends the app's key only over https to the app itself; check the state, or redeploy`],
    ["http_endpoints with a port and user", { http_endpoints: { predict: `https://u:p@${APP_HOST}:8443/api/predict` } }, `output "http_endpoints" of diabetes-dev for predict "https://u:p@${APP_HOST}:8443/api/predict" names a port, carries a user name or password: smoke sends the app's key only over https to the app itself; check the state, or redeploy`],
    ["a foreign host name", { function_app_hostname: "attacker.example", http_endpoints: { predict: "https://attacker.example/api/predict" } }, `output "function_app_hostname" of diabetes-dev ("attacker.example") ${NOT_SITE_HOST}; check who wrote the state, or redeploy: npm run deploy -- diabetes-dev`],
    ["a host name that only ends like Azure's", { function_app_hostname: "evil.com/.azurewebsites.net" }, `output "function_app_hostname" of diabetes-dev ("evil.com/.azurewebsites.net") ${NOT_SITE_HOST}; check who wrote the state, or redeploy: npm run deploy -- diabetes-dev`],
    ["the app's name as a prefix", { function_app_hostname: `${SITE}.attacker.azurewebsites.net` }, `output "function_app_hostname" of diabetes-dev ("${SITE}.attacker.azurewebsites.net") ${NOT_SITE_HOST}; check who wrote the state, or redeploy: npm run deploy -- diabetes-dev`],
    ["terminal escapes in the app name", { function_app_name: "func\u001b[2J\u001b[31m" }, 'output "function_app_name" of diabetes-dev ("func\\u001b[2J\\u001b[31m") is not a function app name (2-60 letters, digits and hyphens); check who wrote the state, or redeploy: npm run deploy -- diabetes-dev'],
    ["a namespace that is a host", { service_bus_namespace: "attacker.example/x" }, 'output "service_bus_namespace" of diabetes-dev ("attacker.example/x") is not a Service Bus namespace name (6-50 letters, digits and hyphens); check who wrote the state, or redeploy: npm run deploy -- diabetes-dev'],
  ])("%s: refused, nothing sent", async (_name, over, message) => {
    const root = join(work.dir, `hostile-${Math.random().toString(36).slice(2)}`);
    writeState(root, { ...outputs(), ...over });
    process.env.MLFUNC_FUNCTION_KEY = KEY;
    try {
      await expect(runSmoke(args(), deployment, options(root, { services: armServices(), transport: route }))).rejects.toThrow(new SmokeInputError(message));
    } finally {
      delete process.env.MLFUNC_FUNCTION_KEY;
    }
    expect(message).not.toMatch(/\u001b/);
    expect(app.requests).toEqual([]);
    expect(attacker.requests).toEqual([]);
  });

  const ACA_ID = `/subscriptions/${GUID}/resourceGroups/rg/providers/Microsoft.App/containerApps/${SITE}`;
  const ACA_LOOKALIKE = "attacker.happy-hill-70162bb9.westeurope.azurecontainerapps.io";
  const hostileHost = (host: string) => ({ function_app_hostname: host, http_endpoints: { predict: `https://${host}/api/predict` } });
  const refused = (host: string, shape: string) =>
    `output "function_app_hostname" of diabetes-dev ("${host}") is not a default host name of the function app ${SITE} (${shape}); check who wrote the state, or redeploy: npm run deploy -- diabetes-dev`;
  test.each([
    ["the key listed for the real site, sent to another site", APP_ID, {}, "attacker.azurewebsites.net", false, refused("attacker.azurewebsites.net", `${SITE}.azurewebsites.net or ${SITE}-<hash>.<region>-01.azurewebsites.net`)],
    ["MLFUNC_FUNCTION_KEY, sent to another site", APP_ID, {}, "attacker.azurewebsites.net", true, refused("attacker.azurewebsites.net", `${SITE}.azurewebsites.net or ${SITE}-<hash>.<region>-01.azurewebsites.net`)],
    ["MLFUNC_FUNCTION_KEY, sent to another container app", ACA_ID, {}, ACA_LOOKALIKE, true, refused(ACA_LOOKALIKE, `${SITE}.<environment>.<region>.azurecontainerapps.io`)],
    ["a site's host name for a container app", ACA_ID, {}, APP_HOST, true, refused(APP_HOST, `${SITE}.<environment>.<region>.azurecontainerapps.io`)],
    [
      "function_app_name naming another app than the id",
      APP_ID,
      { function_app_name: "attacker" },
      "attacker.azurewebsites.net",
      true,
      "the state of diabetes-dev holds no resource id for the function app attacker; smoke sends a key only to the host name of the app an id names: deploy the current deployment file first: npm run deploy -- diabetes-dev",
    ],
  ])("%s: refused, no key reaches the other host", async (_name, id, over, host, envKey, message) => {
    const root = join(work.dir, `lookalike-${Math.random().toString(36).slice(2)}`);
    writeState(root, { ...outputs(), ...over, ...hostileHost(host) }, [{ type: "azurerm_linux_function_app", name: "app", instances: [{ attributes: { id } }] }]);
    app.answer = (req, res) => {
      if (req.url.includes("/listkeys?")) return void res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ masterKey: "m", functionKeys: { default: KEY } }));
      res.writeHead(200, { "Content-Type": "application/json" }).end(req.method === "GET" ? "{}" : ANSWER);
    };
    if (envKey) process.env.MLFUNC_FUNCTION_KEY = KEY;
    try {
      await expect(runSmoke(args({ functions: ["predict"] }), deployment, options(root, { services: armServices(), transport: route }))).rejects.toThrow(new SmokeInputError(message));
    } finally {
      delete process.env.MLFUNC_FUNCTION_KEY;
    }
    expect(attacker.requests).toEqual([]);
    expect(app.requests.filter((r) => r.key !== undefined)).toEqual([]);
  });

  test("the default host names of an app: its name, the unique form with a hash and region, its Container Apps environment", () => {
    const site = "Microsoft.Web/sites";
    const aca = "Microsoft.App/containerApps";
    expect(appHostProblem(`${SITE}.azurewebsites.net`, SITE, site)).toBeUndefined();
    expect(appHostProblem(`${SITE.toUpperCase()}.AzureWebsites.net`, SITE, site)).toBeUndefined();
    expect(appHostProblem(`${SITE}-ds27dh7271aah175.westus-01.azurewebsites.net`, SITE, site)).toBeUndefined();
    expect(appHostProblem(ACA_HOST, SITE, aca)).toBeUndefined();
    expect(appHostProblem(ACA_HOST, SITE, undefined)).toBeUndefined();
    for (const other of [
      `${SITE}-ds27dh7271aah17.westus-01.azurewebsites.net`,
      `${SITE}-ds27dh7271aah175.westus.azurewebsites.net`,
      `${SITE}-ds27dh7271aah175.x.westus-01.azurewebsites.net`,
      `x${SITE}.azurewebsites.net`,
      `${SITE}.scm.azurewebsites.net`,
      ACA_HOST,
    ]) {
      expect([other, appHostProblem(other, SITE, site)]).toEqual([other, expect.stringContaining("is not a default host name")]);
    }
    for (const other of [`${SITE}.westeurope.azurecontainerapps.io`, `${SITE}.a.b.westeurope.azurecontainerapps.io`, `${SITE}.internal.x.azurecontainerapps.io.evil`, `${SITE}.azurewebsites.net`]) {
      expect([other, appHostProblem(other, SITE, aca)]).toEqual([other, expect.stringContaining("is not a default host name")]);
    }
  });

  test("a redirect from the health route is not followed: the key stays with the app", async () => {
    const root = join(work.dir, `redirect-${Math.random().toString(36).slice(2)}`);
    writeState(root, outputs());
    app.answer = (_req, res) => void res.writeHead(307, { Location: "https://attacker.example/steal" }).end();
    const progress: string[] = [];
    process.env.MLFUNC_FUNCTION_KEY = KEY;
    try {
      const report = await runSmoke(args({ functions: ["predict"] }), deployment, options(root, { services: armServices(), transport: route, stderr: (l) => progress.push(l) }));
      const message = `${BASE}/api/predict answered HTTP 307, a redirect to https://attacker.example/steal; smoke does not follow redirects, so no key or token goes to another address: point the output at the app itself`;
      expect(report.health).toMatchObject({ ok: false, detail: message });
      expect(progress).toContain(`smoke: ${message}`);
      expect(report.exitCode).toBe(1);
    } finally {
      delete process.env.MLFUNC_FUNCTION_KEY;
    }
    expect(app.requests.map((r) => [r.method, r.key])).toEqual([["GET", KEY]]);
    expect(attacker.requests).toEqual([]);
  });

  test("a redirect from the function is not followed: the result says so and the payload stays", async () => {
    const root = join(work.dir, `redirect-post-${Math.random().toString(36).slice(2)}`);
    writeState(root, outputs());
    app.answer = (req, res) => (req.method === "GET" ? void res.writeHead(200).end("{}") : void res.writeHead(308, { Location: "https://attacker.example/steal" }).end());
    process.env.MLFUNC_FUNCTION_KEY = KEY;
    try {
      const report = await runSmoke(args({ functions: ["predict"] }), deployment, options(root, { services: armServices(), transport: route }));
      expect(report.functions[0]).toMatchObject({
        ok: false,
        detail: `${BASE}/api/predict answered HTTP 308, a redirect to https://attacker.example/steal; smoke does not follow redirects, so no key or token goes to another address: point the output at the app itself`,
      });
    } finally {
      delete process.env.MLFUNC_FUNCTION_KEY;
    }
    expect(attacker.requests).toEqual([]);
  });

  test("terminal escapes in a redirect target and a body are written out", async () => {
    const root = join(work.dir, `escapes-${Math.random().toString(36).slice(2)}`);
    writeState(root, outputs());
    app.answer = (_req, res) => void res.writeHead(302, { Location: "https://x/\u009b2J\u0085" }).end();
    process.env.MLFUNC_FUNCTION_KEY = KEY;
    try {
      const report = await runSmoke(args({ functions: ["predict"] }), deployment, options(root, { services: armServices(), transport: route }));
      expect(report.health.detail).toContain("a redirect to https://x/\\u009b2J\\u0085;");
      expect(formatReport(report)).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    } finally {
      delete process.env.MLFUNC_FUNCTION_KEY;
    }
  });
});

/** A deployment whose scoring script is `script` (the example's model and requirements). */
function scriptDeployment(name: string, script: string): Deployment {
  const dir = join(work.dir, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "score.py"), script);
  const c = defaultConfig();
  (c.model as Json).scoringScript = join(dir, "score.py");
  return writeDeployment(name, c);
}

describe("the local answer", () => {
  beforeAll(() => {
    process.env.MLFUNC_PYTHON ??= "/usr/bin/python3";
  });

  test("a run() that hangs is stopped at --timeout: exit 1 naming the local run", async () => {
    const hang = scriptDeployment("hang", "import time\n\ndef init():\n    pass\n\ndef run(raw):\n    time.sleep(3600)\n");
    const root = join(work.dir, "hang-root");
    writeState(root, outputs());
    process.env.MLFUNC_CONFIG = hang.file;
    const err: string[] = [];
    const spy = jest.spyOn(process.stderr, "write").mockImplementation((c: string | Uint8Array) => (err.push(String(c)), true));
    try {
      expect(await smoke(["diabetes-dev", "--function", "predict", "--timeout", "3", "--input", join(EXAMPLE, "sample.json")], options(root, { localAnswer: undefined }))).toBe(1);
    } finally {
      spy.mockRestore();
      delete process.env.MLFUNC_CONFIG;
    }
    expect(err.join("")).toBe(`smoke: the local run of predict was stopped at the --timeout deadline (3 s); try npm run invoke -- predict ${join(EXAMPLE, "sample.json")}\n`);
  }, 60_000);

  test("a run() that prints more than 1 MiB still gives its answer", () => {
    const loud = scriptDeployment("loud", 'import sys\n\ndef init():\n    pass\n\ndef run(raw):\n    print("x" * (3 * 1024 * 1024))\n    sys.stdout.write("y" * (2 * 1024 * 1024))\n    return [1, 2]\n');
    const answer = invokeLocally(loud, loud.functions[0] as FunctionConfig, join(EXAMPLE, "sample.json"));
    expect(answer).toEqual({ status: 200, body: "[1, 2]" });
  }, 60_000);
});

function readSample(): string {
  return require("node:fs").readFileSync(join(EXAMPLE, "sample.json"), "utf8") as string;
}

describe("blob (Azurite)", () => {
  let fake: FakeFunction;
  let root: string;
  let storage: BlobServiceClient;

  beforeAll(async () => {
    fake = new FakeFunction();
    root = join(work.dir, "blob");
    writeState(root, outputs(await fake.start()));
    storage = new BlobServiceClient(azurite.endpoint("x"), credential, storageOptions(azurite.ca));
    for (const c of ["input", "output"]) await storage.getContainerClient(c).createIfNotExists();
  });
  afterAll(() => fake.stop());

  async function names(container: string): Promise<string[]> {
    const out: string[] = [];
    for await (const b of storage.getContainerClient(container).listBlobsFlat()) out.push(b.name);
    return out;
  }

  /** Plays the blob trigger: input/<name>.json -> output/<name>_out.json, `delayMs` after it sees the input. */
  function playTrigger(delayMs = 0): { seen: string[]; stop: () => Promise<void> } {
    let stopped = false;
    const seen: string[] = [];
    const loop = (async () => {
      while (!stopped) {
        for (const name of await names("input")) {
          if (seen.includes(name)) continue;
          seen.push(name);
          await new Promise((r) => setTimeout(r, delayMs));
          await storage.getContainerClient("output").getBlockBlobClient(name.replace(/\.json$/, "_out.json")).upload(ANSWER, ANSWER.length);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    return {
      seen,
      stop: async () => {
        stopped = true;
        await loop;
      },
    };
  }

  test("uploads smoke-<unique>.json, waits for the output the paths imply, compares, cleans up", async () => {
    const trigger = playTrigger();
    try {
      const report = await runSmoke(args({ functions: ["predict-blob"], timeoutSeconds: 30 }), deployment, options(root));
      expect(report.functions).toEqual([expect.objectContaining({ name: "predict-blob", trigger: "blob", source: "eventGrid", ok: true })]);
      expect(trigger.seen).toHaveLength(1);
      expect(trigger.seen[0]).toMatch(/^smoke-[a-z0-9]+-[0-9a-f]{8}\.json$/);
      expect(report.functions[0]?.detail).toBe(`output/${trigger.seen[0]?.replace(/\.json$/, "_out.json")} equal to the local answer`);
      expect(report.exitCode).toBe(0);
    } finally {
      await trigger.stop();
    }
    expect(await names("input")).toEqual([]);
    expect(await names("output")).toEqual([]);
  }, 60_000);

  test("the latency runs from the upload to the output blob, and the report prints it per blob function with its source", async () => {
    const trigger = playTrigger(400);
    try {
      const report = await runSmoke(args({ functions: ["predict-blob"], timeoutSeconds: 30 }), deployment, options(root));
      const [result] = report.functions;
      expect(result?.ok).toBe(true);
      // The output cannot appear before the trigger writes it, 400 ms after it saw the input.
      expect(result?.latencyMs).toBeGreaterThanOrEqual(400);
      const lines = formatReport(report).split("\n");
      expect(lines[1]).toMatch(/^ok {6}predict-blob {2}blob\/eventGrid {2} +\d+ ms {2}output\/smoke-[a-z0-9]+-[0-9a-f]{8}_out\.json equal to the local answer$/);
      expect(lines[2]).toBe(`blob latency, upload to output blob: predict-blob ${result?.latencyMs} ms (eventGrid)`);
    } finally {
      await trigger.stop();
    }
  }, 60_000);

  test("no output in time: the exact message, pointing at Event Grid's delivery and dead letters, and the input blob is removed", async () => {
    const report = await runSmoke(args({ functions: ["predict-blob"], timeoutSeconds: 0.3 }), deployment, options(root));
    const [result] = report.functions;
    expect(result?.ok).toBe(false);
    expect(result?.detail).toMatch(
      /^no output blob output\/smoke-[a-z0-9]+-[0-9a-f]{8}_out\.json within 0\.3 s after uploading input\/smoke-[a-z0-9]+-[0-9a-f]{8}\.json \(Event Grid delivers within seconds: look at the subscription's delivery failures and the eventgrid-deadletter container\)$/,
    );
    expect(result?.look).toContain('operation_Name == "predict-blob"');
    expect(report.exitCode).toBe(1);
    expect(await names("input")).toEqual([]);
  }, 30_000);

  test("a polling blob function that times out says the polling trigger can take minutes", async () => {
    const c = defaultConfig();
    for (const f of c.functions as Json[]) if ((f.trigger as Json).type === "blob") (f.trigger as Json).source = "polling";
    const polling = writeDeployment("polling", c);
    const report = await runSmoke(args({ functions: ["predict-blob"], timeoutSeconds: 0.3 }), polling, options(root));
    const [result] = report.functions;
    expect(result).toEqual(expect.objectContaining({ ok: false, source: "polling" }));
    expect(result?.detail).toMatch(/ \(the polling blob trigger can take up to 10 minutes on an idle app\)$/);
    expect(await names("input")).toEqual([]);
  }, 30_000);

  test("blob names fill every token of the input path", () => {
    const t = { type: "blob" as const, inputPath: "in/{name}.{ext}", outputPath: "out/{ext}/{name}-result.json", dataType: "text" as const, source: "polling" as const };
    expect(blobNames(t, "smoke-x", "/tmp/req.json")).toEqual({ container: "in", input: "smoke-x.json", outputContainer: "out", output: "json/smoke-x-result.json", inputFile: "smoke-x.json" });
  });
});

describe("Service Bus (test double)", () => {
  let fake: FakeFunction;
  let root: string;

  beforeAll(async () => {
    fake = new FakeFunction();
    root = join(work.dir, "bus");
    writeState(root, outputs(await fake.start()));
  });
  afterAll(() => fake.stop());

  test("sends a message with a unique id and takes the matching result off the output queue", async () => {
    const bus = new FakeBus();
    bus.onSend = (queue, m) =>
      setTimeout(() => {
        bus.take(queue, m.messageId ?? "");
        bus.enqueue("outqueue", "[0.5]"); // another sender's result, not equal: passed over
        bus.enqueue("outqueue", ANSWER);
      }, 30);
    const report = await runSmoke(args({ functions: ["predict-queue"] }), deployment, options(root, { services: services(bus) }));
    expect(report.functions).toEqual([expect.objectContaining({ name: "predict-queue", ok: true, detail: "result in outqueue equal to the local answer" })]);
    expect(report.functions[0]?.leftover).toBe("the result (sequence 102) in outqueue, behind messages this test did not send");
    expect(bus.list("outqueue").map((m) => m.body)).toEqual(["[0.5]", ANSWER]);
    expect(bus.abandoned).toEqual([]);
    expect(bus.closed).toBe(true);
  });

  test("a result at the head of the output queue is taken off it", async () => {
    const bus = new FakeBus();
    bus.onSend = (queue, m) =>
      setTimeout(() => {
        bus.take(queue, m.messageId ?? "");
        bus.enqueue("outqueue", "[207.90000001, 182.7]");
      }, 30);
    const report = await runSmoke(args({ functions: ["predict-queue"] }), deployment, options(root, { services: services(bus) }));
    expect(report.functions[0]).toMatchObject({ ok: true });
    expect(report.functions[0]?.leftover).toBeUndefined();
    expect(bus.list("outqueue")).toEqual([]);
  });

  test("without an output queue, consumption is the check", async () => {
    const c = defaultConfig();
    c.functions = [{ name: "predict", trigger: { type: "http" } }, { name: "score-queue", trigger: { type: "serviceBus", queue: "inqueue" } }];
    const d = writeDeployment("no-output-queue", c);
    const bus = new FakeBus();
    bus.onSend = (queue, m) => setTimeout(() => bus.take(queue, m.messageId ?? ""), 30);
    const r = join(work.dir, "bus-no-output");
    writeState(r, { ...outputs(), service_bus_queues: ["inqueue"] });
    const report = await runSmoke(args({ functions: ["score-queue"] }), d, options(r, { services: services(bus) }));
    expect(report.functions[0]).toMatchObject({ ok: true, detail: "consumed from inqueue (no output queue to compare)" });
  });

  test("a dead-lettered message fails with the reason and is removed from the dead-letter queue", async () => {
    const bus = new FakeBus();
    bus.onSend = (queue, m) =>
      setTimeout(() => {
        bus.take(queue, m.messageId ?? "");
        bus.enqueue(queue, m.body, m.messageId, "MaxDeliveryCountExceeded: Message could not be consumed after 10 delivery attempts.");
      }, 30);
    const report = await runSmoke(args({ functions: ["predict-queue"] }), deployment, options(root, { services: services(bus) }));
    expect(report.functions[0]).toMatchObject({
      ok: false,
      detail: "the message was dead-lettered from inqueue: MaxDeliveryCountExceeded: Message could not be consumed after 10 delivery attempts.",
    });
    expect(bus.list("inqueue", true)).toEqual([]);
  });

  test("a wrong answer on the output queue: the exact message, and the result is left alone", async () => {
    const bus = new FakeBus();
    bus.onSend = (queue, m) =>
      setTimeout(() => {
        bus.take(queue, m.messageId ?? "");
        bus.enqueue("outqueue", "[207.9, 150]");
      }, 30);
    const report = await runSmoke(args({ functions: ["predict-queue"] }), deployment, options(root, { services: services(bus) }));
    expect(report.exitCode).toBe(1);
    expect(report.functions[0]?.detail).toBe(
      "no result in outqueue equals the local answer; the first one after the test message (sequence 101, left in the queue) differs at $[1]: deployed 150, local 182.7",
    );
    expect(bus.list("outqueue")).toHaveLength(1);
  });

  test("a message nobody consumes: the exact time-out message, and the message is taken back", async () => {
    const bus = new FakeBus();
    const report = await runSmoke(args({ functions: ["predict-queue"], timeoutSeconds: 0.2 }), deployment, options(root, { services: services(bus) }));
    expect(report.functions[0]).toMatchObject({ ok: false, detail: "the message was not consumed from inqueue within 0.2 s" });
    expect(report.functions[0]?.leftover).toBeUndefined();
    expect(bus.list("inqueue")).toEqual([]);
  });

  test("a refused send fails the function with the role to ask for", async () => {
    const bus = new FakeBus();
    bus.send = async () => Promise.reject(Object.assign(new Error("Unauthorized access. 'Send' claim(s) are required to perform this operation.\nTrackingId: x"), { code: "UnauthorizedAccess" }));
    const report = await runSmoke(args({ functions: ["predict-queue"] }), deployment, options(root, { services: services(bus) }));
    expect(report.functions[0]).toMatchObject({
      ok: false,
      detail:
        "error: Unauthorized access. 'Send' claim(s) are required to perform this operation.; the caller lacks a data-plane role: see \"Who can run it\" in docs/smoke.md (smoke.testers grants them)",
    });
    expect(report.exitCode).toBe(1);
  });

  test("a message stuck behind others is reported as left over, not taken with the others", async () => {
    const bus = new FakeBus();
    bus.enqueue("inqueue", "{}", "someone-else");
    const report = await runSmoke(args({ functions: ["predict-queue"], timeoutSeconds: 0.2 }), deployment, options(root, { services: services(bus) }));
    expect(report.functions[0]?.leftover).toMatch(/^message smoke-[a-z0-9]+-[0-9a-f]{8}-predict-queue in inqueue, locked by the app or behind messages this test did not send$/);
    expect(bus.list("inqueue").map((m) => m.messageId)).toContain("someone-else");
    expect(bus.abandoned).toEqual([]);
  });
});

describe("answers", () => {
  test.each([
    ["[1.0, 2.0]", "[1, 2]", undefined],
    ["[182.70000001]", "[182.7]", undefined],
    ["[182.71]", "[182.7]", "at $[0]: deployed 182.71, local 182.7"],
    ['{"a": [1, {"b": 2}]}', '{"a": [1, {"b": 3}]}', "at $.a[1].b: deployed 2, local 3"],
    ["[1]", "[1, 2]", "at $: deployed has 1 items, local 2"],
    ['{"a": 1}', '{"a": 1, "b": 2}', 'at $: deployed lacks "b"'],
    ["not json", "not json", undefined],
    ["plain", "other", "deployed plain, local other"],
  ])("%s vs %s", (deployed, local, diff) => {
    expect(compareAnswers(deployed, local)).toBe(diff);
  });

  test("remote text is escaped for the terminal and cut", () => {
    expect(printable("a\u001b[31mred\nb")).toBe("a\\u001b[31mred\\nb");
    expect(printable("x".repeat(10), 4)).toBe("xxxx… (6 more characters)");
  });

  test("the local answers come from npm run invoke's code path (real Python)", () => {
    process.env.MLFUNC_PYTHON ??= "/usr/bin/python3";
    const sample = join(EXAMPLE, "sample.json");
    const http = invokeLocally(deployment, deployment.functions[0] as FunctionConfig, sample);
    expect(http.status).toBe(200);
    const values = JSON.parse(http.body) as number[];
    expect(values).toHaveLength(2);
    const blob = deployment.functions[1] as FunctionConfig;
    const names = blobNames(blob.trigger as Extract<FunctionConfig["trigger"], { type: "blob" }>, "smoke-abc", sample);
    const fromBlob = invokeLocally(deployment, blob, sample, names.inputFile);
    expect(compareAnswers(fromBlob.body, http.body)).toBeUndefined();
    const fromQueue = invokeLocally(deployment, deployment.functions[2] as FunctionConfig, sample);
    expect(compareAnswers(fromQueue.body, http.body)).toBeUndefined();
  }, 60_000);
});

describe("the command", () => {
  function capture(): { out: () => string; err: () => string; restore: () => void } {
    let out = "";
    let err = "";
    const o = jest.spyOn(process.stdout, "write").mockImplementation((c: string | Uint8Array) => ((out += String(c)), true));
    const e = jest.spyOn(process.stderr, "write").mockImplementation((c: string | Uint8Array) => ((err += String(c)), true));
    return { out: () => out, err: () => err, restore: () => (o.mockRestore(), e.mockRestore()) };
  }

  test("exit 2 with one line on stderr for an undeployed stack; --json also reports it on stdout", async () => {
    const root = join(work.dir, "cli-undeployed");
    mkdirSync(root, { recursive: true });
    process.env.MLFUNC_CONFIG = deployment.file;
    const io = capture();
    try {
      expect(await smoke(["diabetes-dev", "--json"], options(root))).toBe(2);
    } finally {
      io.restore();
      delete process.env.MLFUNC_CONFIG;
    }
    const message = `smoke: stack diabetes-dev is not deployed: no state file ${join(root, "terraform.diabetes-dev.tfstate")}; deploy it with npm run deploy -- diabetes-dev`;
    expect(io.err()).toBe(`${message}\n`);
    expect(JSON.parse(io.out())).toEqual({ error: message, exitCode: 2 });
  });

  test("exit 0 and the text report when every function answers like the local run", async () => {
    const fake = new FakeFunction();
    const root = join(work.dir, "cli-ok");
    writeState(root, outputs(await fake.start()));
    process.env.MLFUNC_CONFIG = deployment.file;
    const io = capture();
    try {
      expect(await smoke(["diabetes-dev", "--function", "predict"], options(root))).toBe(0);
    } finally {
      io.restore();
      delete process.env.MLFUNC_CONFIG;
      await fake.stop();
    }
    expect(io.out()).toMatch(
      /^smoke diabetes-dev: health ok \(https:\/\/func-diabetes-dev-abc123\.azurewebsites\.net\/api\/predict, [\d.]+ s\)\nok {6}predict {3}http +\d+ ms  HTTP 200, equal to the local answer\nimage   diabetes-dev runs no image_digest output \(deployed before images were promoted by digest; deploy it again\)\nall 1 functions ok\n$/,
    );
  });
});

describe("the image each environment runs", () => {
  const D1 = `sha256:${"1".repeat(64)}`;
  const D2 = `sha256:${"2".repeat(64)}`;
  let fake: FakeFunction;
  let base: string;
  let root: string;
  const resources = (id: string) => [{ type: "azurerm_resource_group", name: "g", instances: [{ attributes: { id } }] }];

  beforeEach(async () => {
    fake = new FakeFunction();
    root = join(work.dir, `image-${Math.random().toString(36).slice(2)}`);
    base = await fake.start();
    writeState(root, { image_digest: D1, image_reference: `crx.azurecr.io/diabetes@${D1}` }, resources("/rg/image"), "diabetes-image");
    writeState(root, { ...outputs(base), image_digest: D2 }, resources("/rg/prod"), "diabetes-prod");
  });
  afterEach(() => fake.stop());

  test("prints the digest the stack runs, the image stack's, and the other environments'", async () => {
    writeState(root, { ...outputs(base), image_digest: D1 });
    const report = await runSmoke(args({ functions: ["predict"] }), deployment, options(root));
    expect(report.image).toEqual({ digest: D1, built: D1, imageStack: "diabetes-image", others: { "diabetes-prod": D2 } });
    expect(report.exitCode).toBe(0);
    const lines = formatReport(report).split("\n");
    const at = lines.findIndex((l) => l.startsWith("image "));
    expect(lines.slice(at, at + 3)).toEqual([
      `image   diabetes-dev runs ${D1}, as diabetes-image pushed`,
      `        diabetes-prod runs ${D2} (not the digest diabetes-image last pushed: deploy diabetes-prod to promote it)`,
      "all 1 functions ok",
    ]);
  });

  test("a stack that does not run the image stack's digest is a finding: exit 1, with the fix", async () => {
    writeState(root, { ...outputs(base), image_digest: D2 });
    const progress: string[] = [];
    const report = await runSmoke(args({ functions: ["predict"] }), deployment, options(root, { stderr: (l) => progress.push(l) }));
    const finding = `diabetes-dev runs ${D2}, but diabetes-image last pushed ${D1}: the environments are expected to run the same image; deploy diabetes-dev (npm run deploy -- diabetes-dev) to run it`;
    expect(report.image.finding).toBe(finding);
    expect(report.functions.every((f) => f.ok)).toBe(true);
    expect(report.exitCode).toBe(1);
    expect(progress).toContain(`smoke: ${finding}`);
    const text = formatReport(report);
    expect(text).toContain(`FAILED  diabetes-dev runs ${D2}\n        ${finding}\n`);
    expect(text.trimEnd().split("\n").pop()).toBe("image mismatch: see the FAILED image line");
  });

  test("a digest that is not sha256:<64 hex digits> is a finding, its escapes written out, and is not printed as a digest", async () => {
    const osc = `sha256:\u001b]8;;https://attacker.example\u0007${"1".repeat(64)}\u001b]8;;\u0007\u001b[2J`;
    writeState(root, { ...outputs(base), image_digest: osc });
    writeState(root, { ...outputs(base), image_digest: `SHA256:${"2".repeat(64)}\u001b[31m` }, resources("/rg/prod"), "diabetes-prod");
    const progress: string[] = [];
    const report = await runSmoke(args({ functions: ["predict"] }), deployment, options(root, { stderr: (l) => progress.push(l) }));
    const finding =
      `output "image_digest" of diabetes-dev ("sha256:\\u001b]8;;https://attacker.example\\u0007${"1".repeat(64)}\\u001b]8;;\\u0007\\u001b[2J") is not an image digest (sha256:<64 lower-case hex digits); check who wrote the state, or redeploy: npm run deploy -- diabetes-dev; ` +
      `output "image_digest" of diabetes-prod ("SHA256:${"2".repeat(64)}\\u001b[31m") is not an image digest (sha256:<64 lower-case hex digits); check who wrote the state, or redeploy: npm run deploy -- diabetes-prod`;
    expect(report.image).toEqual({ built: D1, imageStack: "diabetes-image", others: {}, finding });
    expect(report.exitCode).toBe(1);
    expect(progress[0]).toBe(`smoke: ${finding}`);
    expect(progress.join("\n")).not.toMatch(/[\u001b\u0007]/);
    const text = formatReport(report);
    expect(text).toContain(`\n        ${finding}\n`);
    expect(text).not.toMatch(/[\u001b\u0007]/);
  });
});
