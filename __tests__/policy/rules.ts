/** Every rule against the default example (clean) and against a weakened copy of its JSON. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TerraformStack } from "cdktf";
import { stringify } from "yaml";
import { buildApp } from "../../main";
import { defaultConfig, scratch } from "../support/synth";
import { RULES, evaluate, evaluateOutdir, evaluateStack, stackJson, type JsonObject, type JsonValue } from "../../policy";
import type { PolicyFinding } from "../../review/types";

const DEV = "diabetes-dev";
const stacks: Record<string, JsonObject> = {};

beforeAll(() => {
  const { dir, cleanup } = scratch();
  try {
    const file = join(dir, "mlfunc.yaml");
    writeFileSync(file, stringify(defaultConfig()));
    const app = buildApp({ config: file, outdir: join(dir, "out"), contextsDir: join(dir, "contexts") });
    for (const c of app.node.children) if (c instanceof TerraformStack) stacks[c.node.id] = stackJson(c);
  } finally {
    cleanup();
  }
});

const clone = (): JsonObject => structuredClone(stacks[DEV]!);

function obj(v: JsonValue | undefined): JsonObject {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error(`not an object: ${JSON.stringify(v)}`);
  return v;
}

/** Logical id of the resource whose construct path ends with `suffix`. */
function idOf(tf: JsonObject, type: string, suffix: string): string {
  for (const [id, r] of Object.entries(obj(obj(tf.resource)[type]))) {
    const path = obj(obj(obj(r)["//"]).metadata).path;
    if (typeof path === "string" && path.endsWith(suffix)) return id;
  }
  throw new Error(`no ${type} at *${suffix}`);
}

function res(tf: JsonObject, type: string, suffix: string): JsonObject {
  return obj(obj(obj(tf.resource)[type])[idOf(tf, type, suffix)]);
}

const APP = "azurerm_linux_function_app";
const app = (tf: JsonObject) => res(tf, APP, "/function-app/app");
const site = (tf: JsonObject) => obj(app(tf).site_config);
const appAddr = (tf: JsonObject) => `${APP}.${idOf(tf, APP, "/function-app/app")}`;
const hostStorage = (tf: JsonObject) => res(tf, "azurerm_storage_account", "/host-storage/account");
const hostAddr = (tf: JsonObject) => `azurerm_storage_account.${idOf(tf, "azurerm_storage_account", "/host-storage/account")}`;
const bus = (tf: JsonObject) => res(tf, "azurerm_servicebus_namespace", "/service-bus/namespace");
const busAddr = (tf: JsonObject) => `azurerm_servicebus_namespace.${idOf(tf, "azurerm_servicebus_namespace", "/service-bus/namespace")}`;

const brief = (f: PolicyFinding) => ({ id: f.id, severity: f.severity, address: f.address, message: f.message });

test("the default example has no findings and no suppressions in either stack", () => {
  expect(Object.keys(stacks).sort()).toEqual(["diabetes-canary", "diabetes-dev", "diabetes-prod"]);
  for (const [name, tf] of Object.entries(stacks)) expect(evaluateStack(name, tf)).toEqual({ findings: [], suppressed: [] });
});

test("every rule has a unique id that names its file, a title and a fix", () => {
  const ids = RULES.map((r) => r.id);
  expect(new Set(ids).size).toBe(ids.length);
  for (const r of RULES) {
    expect(r.id).toMatch(/^MLF-[A-Z]+-\d{3}$/);
    expect(require.resolve(`../../policy/rules/${r.id}`)).toBeTruthy();
    expect(r.title.length).toBeGreaterThan(0);
    expect(r.fix.length).toBeGreaterThan(0);
  }
});

interface Case {
  readonly name: string;
  readonly weaken: (tf: JsonObject) => void;
  readonly expected: (tf: JsonObject) => Pick<PolicyFinding, "id" | "severity" | "address" | "message">;
}

const SUBSCRIPTION_SUFFIX = "/blob-events/subscription-predict-blob";
const webhook = (tf: JsonObject) => obj(obj(obj(obj(res(tf, "azapi_resource", SUBSCRIPTION_SUFFIX).body).properties).destination).properties);
const subscriptionAddr = (tf: JsonObject) => `azapi_resource.${idOf(tf, "azapi_resource", SUBSCRIPTION_SUFFIX)}`;
const HOOK = "https://${azurerm_linux_function_app.a.default_hostname}/runtime/webhooks/blobs?functionName=Host.Functions.predict-blob";

const cases: Case[] = [
  {
    name: "Event Grid webhook with a literal key",
    weaken: (tf) => void (webhook(tf).endpointUrl = `\${sensitive("${HOOK}&code=abc123")}`),
    expected: (tf) => ({ id: "MLF-EG-001", severity: "high", address: subscriptionAddr(tf), message: "properties.destination.properties.endpointUrl holds a literal key in code=" }),
  },
  {
    name: "Event Grid webhook URL not marked sensitive",
    weaken: (tf) => void (webhook(tf).endpointUrl = `${HOOK}&code=\${terraform_data.k.output}`),
    expected: (tf) => ({
      id: "MLF-EG-001",
      severity: "high",
      address: subscriptionAddr(tf),
      message: "properties.destination.properties.endpointUrl carries a key but is not wrapped in sensitive(...), so plans print it",
    }),
  },
  {
    name: "Event Grid webhook over plain HTTP",
    weaken: (tf) => void (webhook(tf).endpointUrl = `\${sensitive("${HOOK.replace("https://", "http://")}&code=\${terraform_data.k.output}")}`),
    expected: (tf) => ({ id: "MLF-EG-001", severity: "high", address: subscriptionAddr(tf), message: "properties.destination.properties.endpointUrl is not an https:// URL" }),
  },
  {
    name: "azurerm Event Grid subscription with the key in a plain URL",
    weaken: (tf) =>
      void (obj(tf.resource).azurerm_eventgrid_system_topic_event_subscription = {
        s: { name: "s", system_topic: "t", resource_group_name: "rg", webhook_endpoint: [{ url: `${HOOK}&code=abc123` }] },
      }),
    expected: () => ({
      id: "MLF-EG-001",
      severity: "high",
      address: "azurerm_eventgrid_system_topic_event_subscription.s",
      message: "webhook_endpoint.url holds a literal key in code=; webhook_endpoint.url carries a key but is not wrapped in sensitive(...), so plans print it",
    }),
  },
  {
    name: "https_only false",
    weaken: (tf) => void (app(tf).https_only = false),
    expected: (tf) => ({ id: "MLF-APP-001", severity: "high", address: appAddr(tf), message: "https_only is false: the app also answers plain HTTP" }),
  },
  {
    name: "https_only absent (provider default false)",
    weaken: (tf) => void delete app(tf).https_only,
    expected: (tf) => ({ id: "MLF-APP-001", severity: "high", address: appAddr(tf), message: "https_only is not set (the provider default is false): the app also answers plain HTTP" }),
  },
  {
    name: "TLS 1.0 on the app and 1.1 on SCM",
    weaken: (tf) => Object.assign(site(tf), { minimum_tls_version: "1.0", scm_minimum_tls_version: "1.1" }),
    expected: (tf) => ({
      id: "MLF-APP-002",
      severity: "high",
      address: appAddr(tf),
      message: 'site_config.minimum_tls_version is "1.0", below TLS 1.2; site_config.scm_minimum_tls_version is "1.1", below TLS 1.2',
    }),
  },
  {
    name: "FTP allowed",
    weaken: (tf) => void (site(tf).ftps_state = "AllAllowed"),
    expected: (tf) => ({ id: "MLF-APP-003", severity: "high", address: appAddr(tf), message: 'site_config.ftps_state is "AllAllowed": plain FTP is enabled' }),
  },
  {
    name: "FTPS only",
    weaken: (tf) => void (site(tf).ftps_state = "FtpsOnly"),
    expected: (tf) => ({ id: "MLF-APP-003", severity: "medium", address: appAddr(tf), message: 'site_config.ftps_state is "FtpsOnly": FTPS deployment is enabled' }),
  },
  {
    name: "remote debugging on",
    weaken: (tf) => void (site(tf).remote_debugging_enabled = true),
    expected: (tf) => ({ id: "MLF-APP-004", severity: "medium", address: appAddr(tf), message: "site_config.remote_debugging_enabled is true" }),
  },
  {
    name: "no managed identity",
    weaken: (tf) => void delete app(tf).identity,
    expected: (tf) => ({ id: "MLF-APP-005", severity: "high", address: appAddr(tf), message: "no identity block: the app has no managed identity" }),
  },
  {
    name: "image pulled with credentials",
    weaken: (tf) => void (site(tf).container_registry_use_managed_identity = false),
    expected: (tf) => ({ id: "MLF-APP-006", severity: "high", address: appAddr(tf), message: "site_config.container_registry_use_managed_identity is false" }),
  },
  {
    name: "registry password in the docker block",
    weaken: (tf) => Object.assign(obj((obj(site(tf).application_stack).docker as JsonValue[])[0]), { registry_password: "${var.registry_password}" }),
    expected: (tf) => ({ id: "MLF-APP-006", severity: "high", address: appAddr(tf), message: "site_config.application_stack.docker[0] sets registry_password" }),
  },
  {
    name: "DOCKER_REGISTRY_* app settings",
    weaken: (tf) => Object.assign(obj(app(tf).app_settings), { DOCKER_REGISTRY_SERVER_URL: "https://example.azurecr.io", DOCKER_REGISTRY_SERVER_USERNAME: "pull" }),
    expected: (tf) => ({ id: "MLF-APP-007", severity: "high", address: appAddr(tf), message: "app_settings sets DOCKER_REGISTRY_SERVER_URL, DOCKER_REGISTRY_SERVER_USERNAME" }),
  },
  {
    name: "FUNCTIONS_WORKER_RUNTIME app setting",
    weaken: (tf) => void (obj(app(tf).app_settings).FUNCTIONS_WORKER_RUNTIME = "python"),
    expected: (tf) => ({ id: "MLF-APP-008", severity: "medium", address: appAddr(tf), message: "app_settings sets FUNCTIONS_WORKER_RUNTIME" }),
  },
  {
    name: "app does not wait for AcrPull",
    weaken: (tf) => {
      const a = app(tf);
      a.depends_on = (a.depends_on as string[]).filter((d) => !d.includes("acr-pull"));
    },
    expected: (tf) => ({
      id: "MLF-APP-009",
      severity: "medium",
      address: appAddr(tf),
      message: `depends_on does not list azurerm_role_assignment.${idOf(tf, "azurerm_role_assignment", "/registry/acr-pull")}`,
    }),
  },
  {
    name: "no AcrPull grant at all",
    weaken: (tf) => void delete obj(obj(tf.resource).azurerm_role_assignment)[idOf(tf, "azurerm_role_assignment", "/registry/acr-pull")],
    expected: (tf) => ({
      id: "MLF-APP-009",
      severity: "medium",
      address: appAddr(tf),
      message: `no AcrPull role assignment for azurerm_user_assigned_identity.${idOf(tf, "azurerm_user_assigned_identity", "/identity/identity")} in this stack`,
    }),
  },
  {
    name: "storage TLS 1.1",
    weaken: (tf) => void (hostStorage(tf).min_tls_version = "TLS1_1"),
    expected: (tf) => ({ id: "MLF-ST-001", severity: "high", address: hostAddr(tf), message: 'min_tls_version is "TLS1_1", below TLS 1.2' }),
  },
  {
    name: "storage over HTTP",
    weaken: (tf) => void (hostStorage(tf).https_traffic_only_enabled = false),
    expected: (tf) => ({ id: "MLF-ST-002", severity: "high", address: hostAddr(tf), message: "https_traffic_only_enabled is false: the account accepts plain HTTP" }),
  },
  {
    name: "public blobs allowed by default",
    weaken: (tf) => void delete hostStorage(tf).allow_nested_items_to_be_public,
    expected: (tf) => ({
      id: "MLF-ST-003",
      severity: "high",
      address: hostAddr(tf),
      message: "allow_nested_items_to_be_public is not set (the provider default is true): containers can be made public",
    }),
  },
  {
    name: "shared keys on",
    weaken: (tf) => void (hostStorage(tf).shared_access_key_enabled = true),
    expected: (tf) => ({ id: "MLF-ST-004", severity: "medium", address: hostAddr(tf), message: "shared_access_key_enabled is true: account keys work" }),
  },
  {
    name: "public container",
    weaken: (tf) => void (res(tf, "azurerm_storage_container", "/data-storage/container-input").container_access_type = "blob"),
    expected: (tf) => ({
      id: "MLF-ST-005",
      severity: "high",
      address: `azurerm_storage_container.${idOf(tf, "azurerm_storage_container", "/data-storage/container-input")}`,
      message: 'container_access_type is "blob": anonymous clients can read the container',
    }),
  },
  {
    name: "registry admin user",
    weaken: (tf) => void (res(tf, "azurerm_container_registry", "/registry/registry").admin_enabled = true),
    expected: (tf) => ({
      id: "MLF-ACR-001",
      severity: "high",
      address: `azurerm_container_registry.${idOf(tf, "azurerm_container_registry", "/registry/registry")}`,
      message: "admin_enabled is true: a registry-wide admin password exists",
    }),
  },
  {
    name: "Service Bus SAS keys by default",
    weaken: (tf) => void delete bus(tf).local_auth_enabled,
    expected: (tf) => ({ id: "MLF-SB-001", severity: "medium", address: busAddr(tf), message: "local_auth_enabled is not set (the provider default is true): SAS keys work" }),
  },
  {
    name: "Service Bus TLS 1.1",
    weaken: (tf) => void (bus(tf).minimum_tls_version = "1.1"),
    expected: (tf) => ({ id: "MLF-SB-002", severity: "high", address: busAddr(tf), message: 'minimum_tls_version is "1.1", below TLS 1.2' }),
  },
  {
    name: "storage connection string with a key in an app setting",
    weaken: (tf) => void (obj(app(tf).app_settings).LEGACY_STORAGE = "DefaultEndpointsProtocol=https;AccountName=st;AccountKey=c2VjcmV0a2V5;EndpointSuffix=core.windows.net"),
    expected: (tf) => ({ id: "MLF-SEC-001", severity: "high", address: appAddr(tf), message: "app_settings.LEGACY_STORAGE holds a connection string with a literal AccountKey" }),
  },
  {
    name: "client secret on the provider",
    weaken: (tf) => void (obj((obj(tf.provider).azurerm as JsonValue[])[0]).client_secret = "s3cr3t-value"),
    expected: () => ({ id: "MLF-SEC-001", severity: "high", address: "provider.azurerm", message: "client_secret holds a literal client_secret" }),
  },
  {
    name: "private key in an output",
    weaken: (tf) => void (obj(tf.output).deploy_key = { value: "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaA==\n-----END OPENSSH PRIVATE KEY-----" }),
    expected: () => ({ id: "MLF-SEC-001", severity: "high", address: "output.deploy_key", message: "value holds a PEM private key" }),
  },
  {
    name: "password as a variable default",
    weaken: (tf) => void (tf.variable = { db_password: { type: "string", default: "hunter2", sensitive: true } }),
    expected: () => ({ id: "MLF-SEC-001", severity: "high", address: "var.db_password", message: "default holds a literal password" }),
  },
  {
    name: "access key in a local",
    weaken: (tf) => void (tf.locals = { conn: "Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=abc=" }),
    expected: () => ({ id: "MLF-SEC-001", severity: "high", address: "local.conn", message: "value holds a connection string with a literal SharedAccessKey" }),
  },
];

test.each(cases)("$name", ({ weaken, expected }) => {
  const tf = clone();
  weaken(tf);
  const findings = evaluate(DEV, tf);
  expect(findings.map(brief)).toEqual([expected(tf)]);
  expect(findings[0]!.stack).toBe(DEV);
  expect(findings[0]!.fix).toBe(RULES.find((r) => r.id === findings[0]!.id)!.fix);
});

test("each rule except the suppression check fails in at least one case above", () => {
  const failing = new Set(cases.map((c) => {
    const tf = clone();
    c.weaken(tf);
    return evaluate(DEV, tf)[0]!.id;
  }));
  // The Container Apps and network rules read resources this App Service stack lacks: __tests__/policy/container-apps.ts
  // and __tests__/policy/network.ts fail each.
  expect(RULES.map((r) => r.id).filter((id) => !failing.has(id) && !id.startsWith("MLF-ACA-") && !id.startsWith("MLF-NET-"))).toEqual(["MLF-SUP-001"]);
});

describe("values a rule cannot read are low findings, never a pass", () => {
  test("a reference where a boolean is expected", () => {
    const tf = clone();
    app(tf).https_only = "${var.https_only}";
    expect(evaluate(DEV, tf).map(brief)).toEqual([
      { id: "MLF-APP-001", severity: "low", address: appAddr(tf), message: 'cannot evaluate: https_only is "${var.https_only}", not a literal the rule can check' },
    ]);
  });

  test("app settings built by an expression", () => {
    const tf = clone();
    app(tf).app_settings = "${merge(local.settings, var.extra)}";
    const shown = '"${merge(local.settings, var.extra)}"';
    expect(evaluate(DEV, tf).map(brief)).toEqual([
      { id: "MLF-APP-007", severity: "low", address: appAddr(tf), message: `cannot evaluate: app_settings is ${shown}, not a literal the rule can check` },
      { id: "MLF-APP-008", severity: "low", address: appAddr(tf), message: `cannot evaluate: app_settings is ${shown}, not a literal the rule can check` },
    ]);
  });

  test("a literal registry client id cannot be matched to a role assignment", () => {
    const tf = clone();
    site(tf).container_registry_managed_identity_client_id = "00000000-0000-0000-0000-000000000001";
    expect(evaluate(DEV, tf).map(brief)).toEqual([
      {
        id: "MLF-APP-009",
        severity: "low",
        address: appAddr(tf),
        message:
          'cannot evaluate: site_config.container_registry_managed_identity_client_id is the literal "00000000-0000-0000-0000-000000000001", not a reference to an identity\'s client_id in this stack',
      },
    ]);
  });

  test("a known failure is reported even when another value is unreadable", () => {
    const tf = clone();
    Object.assign(site(tf), { minimum_tls_version: "1.1", scm_minimum_tls_version: "${var.scm_tls}" });
    expect(evaluate(DEV, tf).map((f) => [f.id, f.severity, f.message])).toEqual([
      ["MLF-APP-002", "high", 'site_config.minimum_tls_version is "1.1", below TLS 1.2'],
    ]);
  });
});

describe("provider defaults", () => {
  test("absent settings whose azurerm 4.x default is safe pass", () => {
    const tf = clone();
    for (const k of ["minimum_tls_version", "scm_minimum_tls_version", "ftps_state", "remote_debugging_enabled"]) delete site(tf)[k];
    for (const k of ["min_tls_version", "https_traffic_only_enabled"]) delete hostStorage(tf)[k];
    delete bus(tf).minimum_tls_version;
    delete res(tf, "azurerm_container_registry", "/registry/registry").admin_enabled;
    delete res(tf, "azurerm_storage_container", "/data-storage/container-input").container_access_type;
    expect(evaluate(DEV, tf)).toEqual([]);
  });

  test("references to secrets and hand-written list blocks are fine", () => {
    const tf = clone();
    const a = app(tf);
    a.site_config = [site(tf)];
    a.identity = [obj(a.identity)];
    obj(a.app_settings).DB_PASSWORD = "@Microsoft.KeyVault(SecretUri=${azurerm_key_vault_secret.db.id})";
    expect(evaluate(DEV, tf)).toEqual([]);
  });
});

test("findings are sorted by stack, address, rule id and message", () => {
  const tf = clone();
  hostStorage(tf).shared_access_key_enabled = true;
  app(tf).https_only = false;
  site(tf).remote_debugging_enabled = true;
  bus(tf).local_auth_enabled = true;
  const got = evaluate(DEV, tf).map((f) => `${f.address} ${f.id}`);
  expect(got).toEqual([...got].sort());
  expect(got).toHaveLength(4);
  expect(evaluate(DEV, structuredClone(tf))).toEqual(evaluate(DEV, tf));
});

test("evaluateOutdir reads every stacks/*/cdk.tf.json", () => {
  const { dir, cleanup } = scratch();
  try {
    const weak = clone();
    app(weak).https_only = false;
    for (const [name, tf] of [["diabetes-dev", weak], ["diabetes-prod", stacks["diabetes-prod"]!]] as const) {
      mkdirSync(join(dir, "stacks", name), { recursive: true });
      writeFileSync(join(dir, "stacks", name, "cdk.tf.json"), JSON.stringify(tf));
    }
    expect(evaluateOutdir(dir).map((f) => [f.stack, f.id])).toEqual([["diabetes-dev", "MLF-APP-001"]]);
    expect(() => evaluateOutdir(join(dir, "nothing"))).toThrow(/no synthesized stacks/);
  } finally {
    cleanup();
  }
});
