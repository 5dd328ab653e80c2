/**
 * Registered models in model.path: the reference forms, and the download along Azure ML's own path
 * against local stand-ins only: a loopback HTTP server for Resource Manager and registry discovery,
 * Azurite (HTTPS) for the blobs, and a test credential instead of DefaultAzureCredential.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { BlobSASPermissions, BlobServiceClient, StorageSharedKeyCredential, generateBlobSASQueryParameters } from "@azure/storage-blob";
import { cliWithModels } from "../commands/synth";
import { parseReviewArgs, runReview } from "../review/cli";
import { loadDeployment } from "../config/load";
import { DeploymentError } from "../config/problems";
import { parseModelReference } from "../config/model-reference";
import { buildContext } from "../build-context/generate";
import { type ModelFetchOptions, fetchRegisteredModel, ModelFetchError } from "../build-context/registered-model";
import { AZURITE_ACCOUNT, type Azurite, TestCredential, startAzurite } from "./support/azurite";
import { storageOptions } from "../commands/smoke-state";
import { Json, scratch } from "./support/synth";

const SUB = "00000000-0000-0000-0000-00000000000a";
const WS_ID = `/subscriptions/${SUB}/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/mlw-team`;
/** Azurite's well-known development key: what listSecrets returns for its one account. */
const AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
const MODEL_1 = join(__dirname, "fixtures", "azureml-examples", "model-1");
const PKL = readFileSync(join(MODEL_1, "model", "sklearn_regression_model.pkl"));

describe("reference forms", () => {
  test.each<[string, string | undefined, object]>([
    ["azureml://registries/shared-ml/models/diabetes/versions/3", undefined, { kind: "registry", registry: "shared-ml", name: "diabetes", version: "3" }],
    [`azureml://subscriptions/${SUB}/resourceGroups/rg-ml/workspaces/mlw-team/models/diabetes/versions/12`, undefined, { kind: "workspace", subscription: SUB, resourceGroup: "rg-ml", workspace: "mlw-team", name: "diabetes", version: "12" }],
    ["azureml:diabetes:4", WS_ID, { kind: "workspace", subscription: SUB, resourceGroup: "rg-ml", workspace: "mlw-team", name: "diabetes", version: "4" }],
  ])("%s", (text, workspace, parsed) => {
    expect(parseModelReference(text, workspace)).toMatchObject(parsed);
  });

  const LABEL = "a label names whichever version carries it when synth runs, so the image could change without the deployment file changing; name the version (az ml model list --name <name> shows them)";
  test.each<[string, string | undefined, string]>([
    ["azureml:diabetes@latest", WS_ID, LABEL],
    ["azureml://registries/shared-ml/models/diabetes/labels/latest", undefined, LABEL],
    [`azureml://subscriptions/${SUB}/resourceGroups/rg-ml/workspaces/mlw-team/models/diabetes/labels/prod`, undefined, LABEL],
    ["azureml:diabetes", WS_ID, "a version is required: azureml:diabetes:<version>"],
    ["azureml:diabetes:", WS_ID, "a version is required: azureml:diabetes:<version>"],
    ["azureml:diabetes:v2", WS_ID, '"v2" is not a model version number; name the registered version, e.g. versions/3'],
    ["azureml:diabetes:2", undefined, "the short form needs model.workspace: /subscriptions/<subscription id>/resourceGroups/<group>/providers/Microsoft.MachineLearningServices/workspaces/<workspace>"],
    ["azureml:diabetes:2", "/subscriptions/x/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws1", 'model.workspace "x" is not a subscription id (a GUID)'],
    ["azureml://registries/shared-ml/models/../versions/1", undefined, '".." is not an Azure ML model name (letters, digits, \'-\', \'_\', \'.\')'],
    ["azureml://datastores/x/paths/model.pkl", undefined, "not a model reference; use azureml://registries/<registry>/models/<name>/versions/<version> or azureml://subscriptions/<sub>/resourceGroups/<rg>/workspaces/<ws>/models/<name>/versions/<version>"],
  ])("%s is refused", (text, workspace, problem) => {
    expect(parseModelReference(text, workspace)).toEqual({ problem });
  });
});

/** Resource Manager and registry discovery on loopback, answering from `routes`; every request is recorded. */
class FakeArm {
  readonly server: Server;
  readonly requests: string[] = [];
  routes = new Map<string, { status: number; body: object }>();

  constructor() {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      req.on("end", () => {
        const key = `${req.method ?? ""} ${req.url ?? ""}`;
        this.requests.push(key);
        const authorized = /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/.test(req.headers.authorization ?? "");
        const route = this.routes.get(key);
        const reply = !authorized ? { status: 401, body: { error: { code: "Unauthorized" } } } : (route ?? { status: 404, body: { error: { code: "NotFound", message: `no ${key}` } } });
        res.writeHead(reply.status, { "Content-Type": "application/json" }).end(JSON.stringify(reply.body));
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    const address = this.server.address();
    return `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  }

  async stop(): Promise<void> {
    const closed = new Promise((r) => this.server.close(r));
    // fetch keeps idle connections open, which close() would wait for.
    this.server.closeAllConnections();
    await closed;
  }
}

const API = "api-version=2024-10-01";
const WS_PATH = `/subscriptions/${SUB}/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/mlw-team`;
const REG_SUB = "00000000-0000-0000-0000-00000000000b";
const REG_PATH = `/subscriptions/${REG_SUB}/resourceGroups/rg-registry/providers/Microsoft.MachineLearningServices/registries/shared-ml`;
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("downloading registered models from stand-ins", () => {
  const work = scratch();
  const credential = new TestCredential();
  const arm = new FakeArm();
  let azurite: Azurite;
  let azuriteStopped = false;
  let options: ModelFetchOptions;
  let armUrl: string;

  beforeAll(async () => {
    [azurite, armUrl] = await Promise.all([startAzurite(), arm.start()]);
    options = { credential, armEndpoint: armUrl, discoveryEndpoint: armUrl, blobEndpoint: () => azurite.endpoint(AZURITE_ACCOUNT), tlsCa: azurite.ca };
    const service = new BlobServiceClient(azurite.endpoint(AZURITE_ACCOUNT), new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY), storageOptions(azurite.ca));
    const put = async (container: string, name: string, body: Buffer | string) => {
      const c = service.getContainerClient(container);
      await c.createIfNotExists();
      const data = typeof body === "string" ? Buffer.from(body) : body;
      await c.getBlockBlobClient(name).upload(data, data.length);
    };
    await Promise.all([
      put("azureml-blobstore", "LocalUpload/abc123/sklearn_regression_model.pkl", PKL),
      put("azureml-blobstore", "LocalUpload/def456/model/sklearn_regression_model.pkl", PKL),
      put("azureml-blobstore", "LocalUpload/def456/model/conf/settings.json", '{"a": 1}'),
      put("azureml-blobstore", "LocalUpload/def456/modelx/decoy.txt", "not part of the folder"),
      put("registry-shared-ml", "LocalUpload/aaa/model.pkl", PKL),
    ]);
    const datastore = (name: string, credentialsType: string) => ({
      status: 200,
      body: { properties: { datastoreType: "AzureBlob", accountName: AZURITE_ACCOUNT, containerName: "azureml-blobstore", endpoint: "core.windows.net", protocol: "https", credentials: { credentialsType } }, name },
    });
    const version = (uri: string) => ({ status: 200, body: { properties: { modelType: "CustomModel", modelUri: uri } } });
    const registryBlob = `${azurite.endpoint(AZURITE_ACCOUNT)}/registry-shared-ml/LocalUpload/aaa/model.pkl`;
    const sas = generateBlobSASQueryParameters(
      { containerName: "registry-shared-ml", permissions: BlobSASPermissions.parse("r"), expiresOn: new Date(Date.now() + 3_600_000) },
      new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
    ).toString();
    arm.routes = new Map<string, { status: number; body: object }>([
      [`GET ${WS_PATH}/models/regression/versions/3?${API}`, version(`azureml://subscriptions/${SUB}/resourcegroups/rg-ml/workspaces/mlw-team/datastores/workspaceblobstore/paths/LocalUpload/abc123/sklearn_regression_model.pkl`)],
      [`GET ${WS_PATH}/models/folder-model/versions/1?${API}`, version(`azureml://subscriptions/${SUB}/resourcegroups/rg-ml/workspaces/mlw-team/datastores/identitystore/paths/LocalUpload/def456/model/`)],
      [`GET ${WS_PATH}/models/lost/versions/1?${API}`, version(`azureml://subscriptions/${SUB}/resourcegroups/rg-ml/workspaces/mlw-team/datastores/workspaceblobstore/paths/LocalUpload/nothing/here.pkl`)],
      [`GET ${WS_PATH}/models/secret/versions/1?${API}`, version(`azureml://subscriptions/${SUB}/resourcegroups/rg-ml/workspaces/mlw-team/datastores/lockedstore/paths/LocalUpload/abc123/sklearn_regression_model.pkl`)],
      [`GET ${WS_PATH}/models/forbidden/versions/1?${API}`, { status: 403, body: { error: { code: "AuthorizationFailed", message: "no" } } }],
      [`GET ${WS_PATH}/datastores/workspaceblobstore?${API}`, datastore("workspaceblobstore", "AccountKey")],
      [`GET ${WS_PATH}/datastores/lockedstore?${API}`, datastore("lockedstore", "AccountKey")],
      [`POST ${WS_PATH}/datastores/lockedstore/listSecrets?${API}`, { status: 403, body: { error: { code: "AuthorizationFailed", message: "listSecrets" } } }],
      [`POST ${WS_PATH}/datastores/workspaceblobstore/listSecrets?${API}`, { status: 200, body: { secretsType: "AccountKey", key: AZURITE_KEY } }],
      [`GET ${WS_PATH}/datastores/identitystore?${API}`, datastore("identitystore", "None")],
      [`GET /registrymanagement/v1.0/registries/shared-ml/discovery`, { status: 200, body: { registryName: "shared-ml", subscriptionId: REG_SUB, resourceGroup: "rg-registry", primaryRegion: "westeurope" } }],
      [`GET ${REG_PATH}/models/diabetes/versions/2?${API}`, version(registryBlob)],
      [
        `POST ${REG_PATH}/datareferences/diabetes/versions/2?${API}`,
        { status: 200, body: { blobReferenceForConsumption: { blobUri: registryBlob, credential: { credentialType: "SAS", sasUri: `${registryBlob}?${sas}` } } } },
      ],
    ]);
  });

  afterAll(async () => {
    await Promise.allSettled([azuriteStopped ? Promise.resolve() : azurite.stop(), arm.server.listening ? arm.stop() : Promise.resolve()]);
    work.cleanup();
  });

  let projects = 0;
  /** model-1's files in a project folder of their own, model.path being `path` (and model.workspace, when given). */
  function project(path: string, workspace?: string): string {
    const dir = join(work.dir, `project-${++projects}`);
    cpSync(MODEL_1, dir, { recursive: true });
    const c = { name: "model1", location: "westeurope", nameSeed: "mlfunc-tests", model: { path, ...(workspace ? { workspace } : {}), scoringScript: "onlinescoring/score.py", environment: "environment/conda.yaml" }, functions: [{ name: "predict", trigger: { type: "http" } }], environments: { dev: { plan: { sku: "B1" } } } } satisfies Json;
    writeFileSync(join(dir, "mlfunc.yaml"), stringify(c));
    return join(dir, "mlfunc.yaml");
  }

  /** Runs synth (or validate) as the CLI does, with this file and the stand-ins; returns the exit code and stderr. */
  async function synth(file: string, argv: string[] = [], fetch: ModelFetchOptions = options): Promise<{ code: number; stderr: string }> {
    const saved = process.env.MLFUNC_CONFIG;
    const write = process.stderr.write.bind(process.stderr);
    let stderr = "";
    process.env.MLFUNC_CONFIG = file;
    process.stderr.write = ((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    }) as typeof process.stderr.write;
    try {
      const code = await cliWithModels(["--output", join(file, "..", "cdktf.out"), ...argv], fetch);
      return { code, stderr };
    } finally {
      process.stderr.write = write;
      if (saved === undefined) delete process.env.MLFUNC_CONFIG;
      else process.env.MLFUNC_CONFIG = saved;
    }
  }

  const filesUnder = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir, { recursive: true, encoding: "utf8" }).sort() : []);

  let workspaceFile: string;
  test("a workspace model (account-key datastore, a single file) is downloaded and laid out as Azure ML does", async () => {
    workspaceFile = project("azureml:regression:3", WS_ID);
    const r = await synth(workspaceFile);
    expect(r.stderr).not.toContain("model.path");
    expect(r.code).toBe(0);
    const cached = join(workspaceFile, "..", ".mlfunc", "models", "workspaces", SUB, "rg-ml", "mlw-team", "regression", "3");
    expect(filesUnder(cached)).toEqual(["model", "model/sklearn_regression_model.pkl", "reference.json"]);
    expect(sha(readFileSync(join(cached, "model", "sklearn_regression_model.pkl")))).toBe(sha(PKL));

    const d = loadDeployment(workspaceFile);
    expect(d.model.registered).toEqual({ name: "regression", version: 3 });
    const context = buildContext(d);
    const file = context.files.find((f) => f.path === "azureml-models/regression/3/sklearn_regression_model.pkl");
    expect(file?.size).toBe(PKL.length);
    const dockerfile = context.files.find((f) => f.path === "Dockerfile")?.content.toString("utf8") ?? "";
    expect(dockerfile).toContain("AZUREML_MODEL_DIR=/home/site/wwwroot/azureml-models/regression/3 ");
    expect(dockerfile).toContain(`LABEL mlfunc.model.reference="azureml://subscriptions/${SUB}/resourceGroups/rg-ml/workspaces/mlw-team/models/regression/versions/3"\n`);
    expect(arm.requests).toEqual([`GET ${WS_PATH}/models/regression/versions/3?${API}`, `GET ${WS_PATH}/datastores/workspaceblobstore?${API}`, `POST ${WS_PATH}/datastores/workspaceblobstore/listSecrets?${API}`]);
    expect(credential.scopes).toContain(`${armUrl}/.default`);
  });

  test("model.name and model.version in the file win over the reference's", async () => {
    const file = project("azureml:regression:3", WS_ID);
    const text = readFileSync(file, "utf8").replace("model:\n", "model:\n  name: sklearn_regression\n  version: 7\n");
    writeFileSync(file, text);
    expect((await synth(file, ["--validate"])).code).toBe(0);
    expect(loadDeployment(file).model.registered).toEqual({ name: "sklearn_regression", version: 7 });
  });

  test("a folder model from a credential-less datastore is read with the caller's own token, only under its prefix", async () => {
    const ref = parseModelReference(`azureml://subscriptions/${SUB}/resourceGroups/rg-ml/workspaces/mlw-team/models/folder-model/versions/1`);
    if ("problem" in ref) throw new Error(ref.problem);
    const root = join(work.dir, "cache-folder");
    const path = await fetchRegisteredModel(ref, root, options);
    expect(path).toBe(join(root, "workspaces", SUB, "rg-ml", "mlw-team", "folder-model", "1", "model", "model"));
    expect(filesUnder(path)).toEqual(["conf", "conf/settings.json", "sklearn_regression_model.pkl"]);
    expect(credential.scopes).toContain("https://storage.azure.com/.default");
  });

  test("a registry model goes discovery, model version, then a SAS from getBlobReferenceSAS", async () => {
    const before = arm.requests.length;
    const file = project("azureml://registries/shared-ml/models/diabetes/versions/2");
    const r = await synth(file);
    expect(r.stderr).not.toContain("model.path");
    expect(r.code).toBe(0);
    expect(arm.requests.slice(before)).toEqual([`GET /registrymanagement/v1.0/registries/shared-ml/discovery`, `GET ${REG_PATH}/models/diabetes/versions/2?${API}`, `POST ${REG_PATH}/datareferences/diabetes/versions/2?${API}`]);
    const context = buildContext(loadDeployment(file));
    expect(context.files.map((f) => f.path)).toContain("azureml-models/diabetes/2/model.pkl");
  });

  test.each<[string, string]>([
    ["azureml:forbidden:1", "403 reading model forbidden version 1 in workspace mlw-team: your identity needs AzureML Data Scientist on the workspace (it reads model versions and lists datastore secrets)"],
    ["azureml:secret:1", "403 reading the secrets of datastore lockedstore: your identity needs AzureML Data Scientist on the workspace (it reads model versions and lists datastore secrets)"],
    ["azureml:absent:1", "model absent version 1 in workspace mlw-team not found (404); check the reference"],
    ["azureml:lost:1", 'blobs "LocalUpload/nothing/here.pkl" in container "azureml-blobstore" of storage account devstoreaccount1 not found: no blob has that name or starts with it and "/"'],
  ])("%s fails with one line naming the reference, and caches nothing", async (path, message) => {
    const file = project(path, WS_ID);
    const r = await synth(file);
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n").slice(1)).toEqual([`  model.path: ${JSON.stringify(path)} — ${message}`, ""]);
    expect(filesUnder(join(file, "..", ".mlfunc", "models")).filter((f) => f.endsWith(".pkl") || f.includes(".tmp-"))).toEqual([]);
  });

  test("blobs the caller's own identity may not read name the storage role", async () => {
    // Azurite refuses a token for another audience, as storage refuses an identity without a data role.
    const wrongAudience = { getToken: (scopes: string | string[]) => credential.getToken(String(scopes).includes("storage") ? "https://example.invalid/.default" : scopes) };
    const ref = parseModelReference(`azureml://subscriptions/${SUB}/resourceGroups/rg-ml/workspaces/mlw-team/models/folder-model/versions/1`);
    if ("problem" in ref) throw new Error(ref.problem);
    const root = join(work.dir, "cache-no-role");
    const error = await fetchRegisteredModel(ref, root, { ...options, credential: wrongAudience }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFetchError);
    expect((error as Error).message).toMatch(
      new RegExp(`^${ref.text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: 40[13] reading blobs "LocalUpload/def456/model" in container "azureml-blobstore" of storage account devstoreaccount1: your identity needs Storage Blob Data Reader on the storage account \\(the datastore keeps no credential, so your own identity reads the blobs\\)$`),
    );
    // Nothing partial is left: no temporary folder, no model folder.
    expect(filesUnder(root).filter((f) => f.includes(".tmp-") || /(^|\/)model(\/|$)/.test(f))).toEqual([]);
  });

  test("a registry the caller may not read names the registry role", async () => {
    arm.routes.set(`GET /registrymanagement/v1.0/registries/private-ml/discovery`, { status: 403, body: {} });
    const ref = parseModelReference("azureml://registries/private-ml/models/x/versions/1");
    if ("problem" in ref) throw new Error(ref.problem);
    await expect(fetchRegisteredModel(ref, join(work.dir, "cache-denied"), options)).rejects.toThrow(
      new ModelFetchError("azureml://registries/private-ml/models/x/versions/1: 403 reading registry private-ml: your identity needs AzureML Registry User on the registry"),
    );
  });

  test("offline, an uncached reference is one problem naming it and how to fetch it, and nothing is contacted", async () => {
    const before = arm.requests.length;
    const scopes = credential.scopes.length;
    const file = project("azureml:regression:3", WS_ID);
    const r = await synth(file, ["--offline"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      '  model.path (line 5): "azureml:regression:3" — not downloaded yet (no copy in .mlfunc/models next to the deployment file); run npm run synth (or validate) signed in to Azure (az login), without MLFUNC_OFFLINE=1 or --offline: it is downloaded once and reused\n',
    );
    process.env.MLFUNC_OFFLINE = "1";
    try {
      expect((await synth(file, ["--validate"])).code).toBe(1);
    } finally {
      delete process.env.MLFUNC_OFFLINE;
    }
    // The review too: its --offline skips the download, and the uncached reference stops it before any synth.
    const args = parseReviewArgs(["--offline", "--base-out", work.dir]);
    expect(args.offline).toBe(true);
    process.env.MLFUNC_CONFIG = file;
    try {
      await expect(runReview(args, { fetchOptions: options })).rejects.toThrow(/model\.path \(line 5\): "azureml:regression:3" — not downloaded yet/);
    } finally {
      delete process.env.MLFUNC_CONFIG;
    }
    expect(arm.requests.length).toBe(before);
    expect(credential.scopes.length).toBe(scopes);
  });

  test.each<[string, string, string]>([
    ["model", WS_ID, `"${WS_ID.slice(0, 76)}..." — belongs to a short model reference, model.path: azureml:<name>:<version>; remove it, or use that form`],
    ["azureml:regression:3", "/subscriptions/x/resourceGroups/rg", '"/subscriptions/x/resourceGroups/rg" — must be the workspace\'s resource id, /subscriptions/<subscription id>/resourceGroups/<group>/providers/Microsoft.MachineLearningServices/workspaces/<workspace> (az ml workspace show --query id -o tsv)'],
  ])("model.path %s with model.workspace %s is one problem", (path, workspace, message) => {
    const file = project(path, workspace);
    let lines: string[] = [];
    try {
      loadDeployment(file);
    } catch (e) {
      if (!(e instanceof DeploymentError)) throw e;
      lines = e.message.split("\n").slice(1);
    }
    expect(lines).toEqual([`  model.workspace (line 6): ${message}`]);
  });

  test("review: the base revision reads the working tree's cache, and the image section names both references", async () => {
    const file = project("azureml:regression:3", WS_ID);
    const dir = join(file, "..");
    const cache = join(dir, ".mlfunc", "models");
    for (const text of ["azureml:regression:3", "azureml://registries/shared-ml/models/diabetes/versions/2"]) {
      const ref = parseModelReference(text, WS_ID);
      if ("problem" in ref) throw new Error(ref.problem);
      await fetchRegisteredModel(ref, cache, options);
    }
    const git = (...args: string[]) => {
      const r = spawnSync("git", ["-c", "user.name=mlfunc-test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false", ...args], { cwd: dir, encoding: "utf8" });
      if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
    };
    writeFileSync(join(dir, ".gitignore"), ".mlfunc/\ncdktf.out/\n");
    git("init", "--quiet", "--initial-branch=main");
    git("add", "-A");
    git("commit", "--quiet", "-m", "app");
    writeFileSync(file, readFileSync(file, "utf8").replace("path: azureml:regression:3", "path: azureml://registries/shared-ml/models/diabetes/versions/2").replace(/\n  workspace: .*\n/, "\n"));
    const before = arm.requests.length;
    process.env.MLFUNC_CONFIG = file;
    try {
      const review = await runReview(parseReviewArgs(["--base", "HEAD", "--offline"]), { fetchOptions: options });
      expect(review.images?.map((i) => i.modelReference)).toEqual([
        { before: `azureml://subscriptions/${SUB}/resourceGroups/rg-ml/workspaces/mlw-team/models/regression/versions/3`, after: "azureml://registries/shared-ml/models/diabetes/versions/2" },
      ]);
    } finally {
      delete process.env.MLFUNC_CONFIG;
    }
    expect(arm.requests.length).toBe(before);
    expect(process.env.MLFUNC_MODEL_CACHE).toBeUndefined();
  });

  test("the second synth uses the cache with every stand-in stopped", async () => {
    azuriteStopped = true;
    await Promise.all([arm.stop(), azurite.stop()]);
    const requests = arm.requests.length;
    // A credential that fails proves no token is even asked for.
    const refusing = { getToken: () => Promise.reject(new Error("no network in this test")) };
    const again = await synth(workspaceFile, [], { ...options, credential: refusing });
    expect(again.stderr).not.toContain("model.path");
    expect(again.code).toBe(0);
    expect((await synth(workspaceFile, ["--offline"], { ...options, credential: refusing })).code).toBe(0);
    expect(arm.requests.length).toBe(requests);
    expect(existsSync(join(workspaceFile, "..", "cdktf.out", "stacks", "model1-dev", "cdk.tf.json"))).toBe(true);
  });
});
