/** The network policy rules: each passes on the private example's stacks and fails on a weakened copy. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { TerraformStack } from "cdktf";
import { stringify } from "yaml";
import { buildApp } from "../../main";
import { privateExampleConfig, scratch } from "../support/synth";
import { evaluate, evaluateStack, stackJson, type JsonObject, type JsonValue } from "../../policy";

const PROD = "diabetes-private-prod";
const CANARY = "diabetes-private-canary";
const stacks: Record<string, JsonObject> = {};

beforeAll(() => {
  const { dir, cleanup } = scratch();
  try {
    const file = join(dir, "mlfunc.yaml");
    writeFileSync(file, stringify(privateExampleConfig()));
    const app = buildApp({ config: file, outdir: join(dir, "out"), contextsDir: join(dir, "contexts") });
    for (const s of app.node.children) if (s instanceof TerraformStack) stacks[s.node.id] = stackJson(s);
  } finally {
    cleanup();
  }
});

function obj(v: JsonValue | undefined): JsonObject {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error(`not an object: ${JSON.stringify(v)}`);
  return v;
}
const copy = (stack: string): JsonObject => structuredClone(stacks[stack]!);
/** Every resource of a type: [address, attributes]. */
const all = (tf: JsonObject, type: string): Array<[string, JsonObject]> => Object.entries(obj(obj(tf.resource)[type])).map(([id, r]) => [`${type}.${id}`, obj(r)]);
const first = (tf: JsonObject, type: string, where: (r: JsonObject) => boolean = () => true): [string, JsonObject] => {
  const hit = all(tf, type).find(([, r]) => where(r));
  if (!hit) throw new Error(`no ${type}`);
  return hit;
};
const subresource = (e: JsonObject): string => String((obj(e.private_service_connection).subresource_names as string[])[0]);
const findings = (stack: string, id: string, weaken?: (tf: JsonObject) => void) => {
  const tf = copy(stack);
  weaken?.(tf);
  return evaluate(stack, tf)
    .filter((f) => f.id === id)
    .map((f) => ({ address: f.address, severity: f.severity, message: f.message }));
};

test("the private example's stacks have no findings under any rule", () => {
  expect(Object.keys(stacks).sort()).toEqual([CANARY, PROD]);
  for (const [name, tf] of Object.entries(stacks)) expect(evaluateStack(name, tf)).toEqual({ findings: [], suppressed: [] });
});

describe("MLF-NET-001 nothing public in a networked environment", () => {
  test("passes: storage, registry, namespace and the private app all have public access off", () => {
    expect(findings(PROD, "MLF-NET-001")).toEqual([]);
  });

  test.each(["azurerm_storage_account", "azurerm_container_registry", "azurerm_servicebus_namespace", "azurerm_linux_function_app"])("fails when %s is left at the provider default", (type) => {
    let address = "";
    const got = findings(PROD, "MLF-NET-001", (tf) => {
      const [a, r] = first(tf, type);
      address = a;
      delete r.public_network_access_enabled;
    });
    expect(got).toEqual([{ address, severity: "high", message: "public_network_access_enabled is not set (the provider default is true): reachable from the internet next to its private endpoints" }]);
  });

  test("fails when set to true", () => {
    let address = "";
    const got = findings(PROD, "MLF-NET-001", (tf) => {
      const [a, r] = first(tf, "azurerm_container_registry");
      address = a;
      r.public_network_access_enabled = true;
    });
    expect(got).toEqual([{ address, severity: "high", message: "public_network_access_enabled is true: reachable from the internet next to its private endpoints" }]);
  });

  test("an app without an endpoint of its own (inbound: public) is not flagged; without any endpoint the rule does not apply", () => {
    expect(
      findings(PROD, "MLF-NET-001", (tf) => {
        const endpoints = obj(obj(tf.resource).azurerm_private_endpoint);
        for (const [address, e] of all(tf, "azurerm_private_endpoint")) if (subresource(e) === "sites") delete endpoints[address.split(".")[1]!];
        delete first(tf, "azurerm_linux_function_app")[1].public_network_access_enabled;
      }),
    ).toEqual([]);
    expect(
      findings(PROD, "MLF-NET-001", (tf) => {
        delete obj(tf.resource).azurerm_private_endpoint;
        delete first(tf, "azurerm_container_registry")[1].public_network_access_enabled;
      }),
    ).toEqual([]);
  });

  test("an internal Container Apps environment with public network access on fails", () => {
    let address = "";
    const got = findings(CANARY, "MLF-NET-001", (tf) => {
      const [a, env] = first(tf, "azapi_resource", (r) => String(r.type).startsWith("Microsoft.App/managedEnvironments@"));
      address = a;
      obj(obj(env.body).properties).publicNetworkAccess = "Enabled";
    });
    expect(got).toEqual([{ address, severity: "high", message: 'the environment is internal but publicNetworkAccess is "Enabled"' }]);
    expect(findings(CANARY, "MLF-NET-001")).toEqual([]);
  });
});

describe("MLF-NET-002 every private endpoint has a zone group", () => {
  test("passes: every endpoint of both stacks has one", () => {
    expect([...findings(PROD, "MLF-NET-002"), ...findings(CANARY, "MLF-NET-002")]).toEqual([]);
  });

  test("fails when a zone group is missing, or names no zone", () => {
    const addresses: string[] = [];
    const got = findings(PROD, "MLF-NET-002", (tf) => {
      const [[a, e1], [b, e2]] = all(tf, "azurerm_private_endpoint").sort(([x], [y]) => x.localeCompare(y));
      addresses.push(a!, b!);
      delete e1!.private_dns_zone_group;
      obj(e2!.private_dns_zone_group).private_dns_zone_ids = [];
    });
    expect(got).toEqual([
      { address: addresses[0], severity: "medium", message: "no private_dns_zone_group: the resource's name does not resolve to this endpoint" },
      { address: addresses[1], severity: "medium", message: "private_dns_zone_group names no zone: the resource's name does not resolve to this endpoint" },
    ]);
  });
});

describe("MLF-NET-003 the app waits for the endpoints", () => {
  test("passes: the function app and the container app list every endpoint and zone link", () => {
    expect([...findings(PROD, "MLF-NET-003"), ...findings(CANARY, "MLF-NET-003")]).toEqual([]);
  });

  test("fails when the function app does not wait for an endpoint or a zone link", () => {
    let app = "";
    let dropped: string[] = [];
    const got = findings(PROD, "MLF-NET-003", (tf) => {
      const [a, r] = first(tf, "azurerm_linux_function_app");
      app = a;
      const [endpoint] = all(tf, "azurerm_private_endpoint").find(([, e]) => subresource(e) === "registry")!;
      const [link] = first(tf, "azurerm_private_dns_zone_virtual_network_link");
      dropped = [endpoint, link];
      r.depends_on = (r.depends_on as string[]).filter((d) => !dropped.includes(d));
    });
    expect(got).toEqual([{ address: app, severity: "medium", message: `depends_on does not list ${dropped.join(", ")}` }]);
  });

  test("fails when the container app waits for nothing of the network", () => {
    let app = "";
    let expected: string[] = [];
    const got = findings(CANARY, "MLF-NET-003", (tf) => {
      const [a, r] = first(tf, "azapi_resource", (x) => String(x.type).startsWith("Microsoft.App/containerApps@"));
      app = a;
      expected = [...all(tf, "azurerm_private_endpoint").map(([e]) => e), ...all(tf, "azurerm_private_dns_zone_virtual_network_link").map(([l]) => l)];
      r.depends_on = (r.depends_on as string[]).filter((d) => !expected.includes(d));
    });
    expect(got).toEqual([{ address: app, severity: "medium", message: `depends_on does not list ${expected.join(", ")}` }]);
  });
});
