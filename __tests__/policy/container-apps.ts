/** The Container Apps policy rules: each passes on the default example's Container Apps stack and fails on a weakened copy. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { TerraformStack } from "cdktf";
import { stringify } from "yaml";
import { buildApp } from "../../main";
import { defaultConfig, scratch } from "../support/synth";
import { evaluate, evaluateStack, stackJson, type JsonObject, type JsonValue } from "../../policy";
import type { PolicyFinding } from "../../review/types";

const CANARY = "diabetes-canary";
let base: JsonObject;

beforeAll(() => {
  const { dir, cleanup } = scratch();
  try {
    const file = join(dir, "mlfunc.yaml");
    const c = defaultConfig();
    c.environments = { canary: (c.environments as JsonObject).canary as JsonValue };
    writeFileSync(file, stringify(c));
    const app = buildApp({ config: file, outdir: join(dir, "out"), contextsDir: join(dir, "contexts") });
    for (const s of app.node.children) if (s instanceof TerraformStack) base = stackJson(s);
  } finally {
    cleanup();
  }
});

function obj(v: JsonValue | undefined): JsonObject {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error(`not an object: ${JSON.stringify(v)}`);
  return v;
}

/** The azapi resource whose ARM type starts with `type`, and its address. */
function azapi(tf: JsonObject, type: string): { address: string; attrs: JsonObject } {
  const entry = Object.entries(obj(obj(tf.resource).azapi_resource)).find(([, r]) => String(obj(r).type).startsWith(type));
  if (!entry) throw new Error(`no ${type}`);
  return { address: `azapi_resource.${entry[0]}`, attrs: obj(entry[1]) };
}
const app = (tf: JsonObject) => azapi(tf, "Microsoft.App/containerApps@");
const environment = (tf: JsonObject) => azapi(tf, "Microsoft.App/managedEnvironments@");
const props = (tf: JsonObject) => obj(obj(app(tf).attrs.body).properties);
const configuration = (tf: JsonObject) => obj(props(tf).configuration);
const ingress = (tf: JsonObject) => obj(configuration(tf).ingress);
const firstContainer = (tf: JsonObject) => obj((obj(props(tf).template).containers as JsonValue[])[0]);

/** Findings of one rule on a copy of the stack changed by `mutate`. */
function findings(id: string, mutate: (tf: JsonObject) => void = () => undefined): Array<Pick<PolicyFinding, "id" | "address" | "message">> {
  const tf = structuredClone(base);
  mutate(tf);
  return evaluate(CANARY, tf)
    .filter((f) => f.id === id)
    .map((f) => ({ id: f.id, address: f.address, message: f.message }));
}

test("the default Container Apps stack passes every rule, with nothing suppressed", () => {
  expect(evaluateStack(CANARY, base)).toEqual({ findings: [], suppressed: [] });
});

describe("MLF-ACA-001 HTTPS-only ingress", () => {
  test("passes with allowInsecure false", () => expect(findings("MLF-ACA-001")).toEqual([]));
  test("fails when plain HTTP is allowed", () => {
    expect(findings("MLF-ACA-001", (tf) => (ingress(tf).allowInsecure = true))).toEqual([
      { id: "MLF-ACA-001", address: app(base).address, message: "properties.configuration.ingress.allowInsecure is true: plain HTTP is accepted" },
    ]);
  });
  test("fails without ingress, which trigger autoscaling needs", () => {
    expect(findings("MLF-ACA-001", (tf) => delete configuration(tf).ingress)[0]?.message).toBe(
      "no properties.configuration.ingress: the app is unreachable and its triggers cannot scale it",
    );
  });
  test("a body written as a JSON string (azapi 1.x style) is reported as unreadable, never passed", () => {
    const [f] = evaluate(CANARY, (() => {
      const tf = structuredClone(base);
      app(tf).attrs.body = "${jsonencode(local.body)}";
      return tf;
    })()).filter((x) => x.id === "MLF-ACA-001");
    expect(f?.message).toContain("body is \"${jsonencode(local.body)}\", not an object the rule can read");
  });
});

describe("MLF-ACA-002 identity pull", () => {
  test("passes with the assigned user-assigned identity", () => expect(findings("MLF-ACA-002")).toEqual([]));
  test("fails with a registry password", () => {
    const msgs = findings("MLF-ACA-002", (tf) => {
      const r = obj((configuration(tf).registries as JsonValue[])[0]);
      delete r.identity;
      r.username = "admin";
      r.passwordSecretRef = "acr-password";
    }).map((f) => f.message);
    expect(msgs).toEqual(["properties.configuration.registries[0] signs in with a user name and password secret; properties.configuration.registries[0] has no identity"]);
  });
  test("fails with an identity the app does not carry", () => {
    const msgs = findings("MLF-ACA-002", (tf) => (obj((configuration(tf).registries as JsonValue[])[0]).identity = "system")).map((f) => f.message);
    expect(msgs).toEqual(["properties.configuration.registries[0] pulls with the system-assigned identity, which the app does not have"]);
  });
});

describe("MLF-ACA-003 no secrets", () => {
  test("passes: identities, references and no secrets", () => expect(findings("MLF-ACA-003")).toEqual([]));
  test("fails with a literal secret value", () => {
    const msgs = findings("MLF-ACA-003", (tf) => (configuration(tf).secrets = [{ name: "storage", value: "abc" }])).map((f) => f.message);
    expect(msgs).toEqual(["properties.configuration.secrets[0] (storage) holds its value instead of a Key Vault reference"]);
  });
  test("passes with the host's master, host and system keys as sensitive values; fails when one is a literal or not sensitive", () => {
    const sensitive = (name: string) => `\${sensitive(terraform_data.${name}.output)}`;
    expect(
      findings("MLF-ACA-003", (tf) => {
        configuration(tf).secrets = ["host-master", "host-function-default", "host-systemkey-blobs-extension"].map((name) => ({ name, value: sensitive(name) }));
      }),
    ).toEqual([]);
    const msgs = findings("MLF-ACA-003", (tf) => {
      configuration(tf).secrets = [
        { name: "host-master", value: "abc" },
        { name: "host-function-default", value: "${terraform_data.k.output}" },
        { name: "host-masterx", value: sensitive("k") },
      ];
    }).map((f) => f.message);
    expect(msgs).toEqual([
      "properties.configuration.secrets[0] (host-master) holds its value instead of a Key Vault reference; properties.configuration.secrets[1] (host-function-default) holds its value instead of a Key Vault reference; properties.configuration.secrets[2] (host-masterx) holds its value instead of a Key Vault reference",
    ]);
  });
  test("fails with a secret-looking literal env var, passes with a Key Vault secret", () => {
    const msgs = findings("MLF-ACA-003", (tf) => {
      (firstContainer(tf).env as JsonValue[]).push({ name: "MODEL_API_KEY", value: "hunter2" });
      configuration(tf).secrets = [{ name: "kv", keyVaultUrl: "https://kv.vault.azure.net/secrets/x", identity: "system" }];
    }).map((f) => f.message);
    expect(msgs).toEqual(["container functions env MODEL_API_KEY holds a literal secret"]);
  });
  test("fails when the environment carries the workspace shared key", () => {
    const f = findings("MLF-ACA-003", (tf) => {
      obj(obj(environment(tf).attrs.body).properties).appLogsConfiguration = {
        destination: "log-analytics",
        logAnalyticsConfiguration: { customerId: "${azurerm_log_analytics_workspace.w.workspace_id}", sharedKey: "${azurerm_log_analytics_workspace.w.primary_shared_key}" },
      };
    });
    expect(f).toEqual([{ id: "MLF-ACA-003", address: environment(base).address, message: "properties.appLogsConfiguration.logAnalyticsConfiguration holds the workspace shared key" }]);
  });
});

describe("MLF-ACA-004 no public insecure ingress", () => {
  test("passes with external HTTPS ingress", () => expect(findings("MLF-ACA-004")).toEqual([]));
  test("fails with external raw TCP", () => {
    const msgs = findings("MLF-ACA-004", (tf) => {
      ingress(tf).transport = "tcp";
      ingress(tf).additionalPortMappings = [{ external: true, targetPort: 6379 }];
    }).map((f) => f.message);
    expect(msgs).toEqual([
      "external ingress uses transport tcp, which the platform does not terminate with TLS; ingress.additionalPortMappings[0] publishes port 6379 externally as raw TCP",
    ]);
  });
  test("internal raw TCP passes", () => {
    expect(
      findings("MLF-ACA-004", (tf) => {
        ingress(tf).external = false;
        ingress(tf).transport = "tcp";
      }),
    ).toEqual([]);
  });
});

describe("MLF-ACA-005 waits for AcrPull", () => {
  test("passes: the app depends on the identity's AcrPull assignment", () => expect(findings("MLF-ACA-005")).toEqual([]));
  test("fails when depends_on drops it", () => {
    const msgs = findings("MLF-ACA-005", (tf) => {
      const a = app(tf).attrs;
      a.depends_on = (a.depends_on as string[]).filter((d) => !d.includes("acr-pull"));
    }).map((f) => f.message);
    expect(msgs).toEqual([expect.stringMatching(/^depends_on does not list azurerm_role_assignment\.image_acr-pull_[0-9A-F]{8}$/)]);
  });
  test("fails with the system-assigned identity", () => {
    const msgs = findings("MLF-ACA-005", (tf) => (obj((configuration(tf).registries as JsonValue[])[0]).identity = "system")).map((f) => f.message);
    expect(msgs).toEqual(["registries pull with the system-assigned identity, which exists only once the app does: no AcrPull assignment can precede the first pull"]);
  });
});
