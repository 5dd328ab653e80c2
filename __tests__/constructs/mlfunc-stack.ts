import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TerraformStack, Testing } from "cdktf";
import { stringify } from "yaml";
import { buildApp } from "../../main";
import { Json, ROOT, SynthResult, defaultConfig, devOnly, scratch, synth } from "../support/synth";

const DEV = "diabetes-dev";
const PROD = "diabetes-prod";
const CANARY = "diabetes-canary";


let r: SynthResult;
beforeAll(() => {
  r = synth();
});

const idOnly = (result: SynthResult, type: string, stack = DEV): string => result.idOnly(stack, type);
const addresses = (result: SynthResult, stack: string): string[] =>
  Object.entries(result.stack(stack).resource as Record<string, Json>)
    .flatMap(([type, byId]) => Object.keys(byId).map((id) => `${type}.${id}`))
    .sort();

describe("outputs", () => {
  test("the default stack outputs the app, its endpoints, trigger resources, registry and image", () => {
    const fa = `azurerm_linux_function_app.${idOnly(r, "azurerm_linux_function_app")}`;
    expect(r.outputs(DEV)).toEqual({
      function_app_name: { value: `\${${fa}.name}` },
      function_app_hostname: { value: `\${${fa}.default_hostname}` },
      http_endpoints: { value: { predict: `https://\${${fa}.default_hostname}/api/predict` } },
      trigger_storage_account: { value: `\${azurerm_storage_account.${Object.entries(r.resources(DEV, "azurerm_storage_account")).find(([, a]) => a.name === "stdiabetesdevd0128c0")?.[0]}.name}` },
      trigger_containers: { value: ["input", "output"] },
      event_grid_topic: { value: `\${azurerm_eventgrid_system_topic.${idOnly(r, "azurerm_eventgrid_system_topic")}.name}` },
      event_grid_dead_letter_container: { value: "eventgrid-deadletter" },
      service_bus_namespace: { value: `\${azurerm_servicebus_namespace.${idOnly(r, "azurerm_servicebus_namespace")}.name}` },
      service_bus_queues: { value: ["inqueue", "outqueue"] },
      registry_login_server: { value: `\${azurerm_container_registry.${idOnly(r, "azurerm_container_registry")}.login_server}` },
      image_reference: { value: `\${docker_registry_image.${idOnly(r, "docker_registry_image")}.name}` },
    });
  });

  test("both stacks have the same output names", () => {
    expect(Object.keys(r.outputs(PROD)).sort()).toEqual(Object.keys(r.outputs(DEV)).sort());
  });

  test("the Container Apps stack has the App Service output names, plus its latest revision", () => {
    expect(Object.keys(r.outputs(CANARY)).sort()).toEqual([...Object.keys(r.outputs(DEV)), "latest_revision"].sort());
  });

  test("an http-only app outputs one endpoint per HTTP function and no trigger outputs", () => {
    const c = defaultConfig();
    c.functions = [
      { name: "predict", trigger: { type: "http" } },
      { name: "Explain_v2", trigger: { type: "http", authLevel: "anonymous" } },
    ];
    const o = synth(devOnly(c));
    const fa = `azurerm_linux_function_app.${idOnly(o, "azurerm_linux_function_app")}`;
    expect(Object.keys(o.outputs(DEV)).sort()).toEqual(["function_app_hostname", "function_app_name", "http_endpoints", "image_reference", "registry_login_server"]);
    expect(o.outputs(DEV).http_endpoints).toEqual({
      value: { predict: `https://\${${fa}.default_hostname}/api/predict`, Explain_v2: `https://\${${fa}.default_hostname}/api/Explain_v2` },
    });
  });

  test("an app without HTTP functions outputs an empty endpoint map", () => {
    const c = defaultConfig();
    c.functions = [{ name: "score", trigger: { type: "serviceBus", queue: "jobs" } }];
    const o = synth(devOnly(c));
    expect(o.outputs(DEV).http_endpoints).toEqual({ value: {} });
    expect(o.outputs(DEV).service_bus_queues).toEqual({ value: ["jobs"] });
    expect(o.outputs(DEV)).not.toHaveProperty("trigger_storage_account");
  });
});

describe("construct ids are an API", () => {
  // A rename here makes Terraform destroy and recreate the resource; change this list only on purpose.
  test("the default dev stack's resource addresses", () => {
    expect(addresses(r, DEV)).toEqual([
      "azapi_resource.blob-events_subscription-predict-blob_E93E0107",
      "azapi_resource_action.blobs-extension-key_function-app_8CBDEDD2",
      "azurerm_application_insights.monitoring_app-insights_05830A8D",
      "azurerm_container_registry.registry_71CE07F6",
      "azurerm_container_registry_scope_map.registry_push-scope_9F7C9EAF",
      "azurerm_container_registry_token.registry_push-token_9A5D0463",
      "azurerm_container_registry_token_password.registry_push-token-password_2B883972",
      "azurerm_eventgrid_system_topic.blob-events_topic_A700D42E",
      "azurerm_linux_function_app.function-app_513347A9",
      "azurerm_log_analytics_workspace.monitoring_workspace_4A3C9399",
      "azurerm_resource_group.resource-group_F5C22916",
      "azurerm_role_assignment.connections_data-blob-owner-input_EE59636C",
      "azurerm_role_assignment.connections_data-blob-owner-output_32C12048",
      "azurerm_role_assignment.connections_data-queue-contributor_E65EC74B",
      "azurerm_role_assignment.connections_deadletter-blob-contributor_64472F4A",
      "azurerm_role_assignment.connections_host-blob-owner_D0904A3B",
      "azurerm_role_assignment.connections_host-queue-contributor_13C034CF",
      "azurerm_role_assignment.connections_host-table-contributor_4EBBD911",
      "azurerm_role_assignment.connections_receiver-inqueue_CE2032FC",
      "azurerm_role_assignment.connections_sender-outqueue_741A9B14",
      "azurerm_role_assignment.monitoring_metrics-publisher_E19384BF",
      "azurerm_role_assignment.registry_acr-pull_0BABB91F",
      "azurerm_service_plan.service-plan_E3BB03BC",
      "azurerm_servicebus_namespace.service-bus_namespace_C3192716",
      "azurerm_servicebus_queue.service-bus_queue-inqueue_09347D19",
      "azurerm_servicebus_queue.service-bus_queue-outqueue_4463780C",
      "azurerm_storage_account.data-storage_account_C0340594",
      "azurerm_storage_account.host-storage_account_A2758C84",
      "azurerm_storage_container.data-storage_container-eventgrid-deadletter_23FC3579",
      "azurerm_storage_container.data-storage_container-input_7CCED156",
      "azurerm_storage_container.data-storage_container-output_943B9818",
      "azurerm_user_assigned_identity.identity_F3F6CF43",
      "docker_image.image_3F1CC214",
      "docker_registry_image.image_push_5C9521CF",
      "terraform_data.blobs-extension-key_value_BE39F8D7",
      "terraform_data.identity_role-propagation_C664A1BA",
    ]);
  });

  test("with its blob function on the polling source, the dev stack keeps the addresses the polling trigger always had", () => {
    const c = devOnly(defaultConfig());
    for (const f of c.functions as Json[]) if ((f.trigger as Json).type === "blob") (f.trigger as Json).source = "polling";
    expect(addresses(synth(c), DEV)).toEqual([
      "azurerm_application_insights.monitoring_app-insights_05830A8D",
      "azurerm_container_registry.registry_71CE07F6",
      "azurerm_container_registry_scope_map.registry_push-scope_9F7C9EAF",
      "azurerm_container_registry_token.registry_push-token_9A5D0463",
      "azurerm_container_registry_token_password.registry_push-token-password_2B883972",
      "azurerm_linux_function_app.function-app_513347A9",
      "azurerm_log_analytics_workspace.monitoring_workspace_4A3C9399",
      "azurerm_resource_group.resource-group_F5C22916",
      "azurerm_role_assignment.connections_data-blob-owner_1421BB9A",
      "azurerm_role_assignment.connections_data-blob-service-properties_1276176D",
      "azurerm_role_assignment.connections_data-queue-contributor_E65EC74B",
      "azurerm_role_assignment.connections_host-blob-owner_D0904A3B",
      "azurerm_role_assignment.connections_host-blob-service-properties_960922D6",
      "azurerm_role_assignment.connections_host-queue-contributor_13C034CF",
      "azurerm_role_assignment.connections_host-table-contributor_4EBBD911",
      "azurerm_role_assignment.connections_receiver-inqueue_CE2032FC",
      "azurerm_role_assignment.connections_sender-outqueue_741A9B14",
      "azurerm_role_assignment.monitoring_metrics-publisher_E19384BF",
      "azurerm_role_assignment.registry_acr-pull_0BABB91F",
      "azurerm_role_definition.connections_blob-service-properties_role_1698351C",
      "azurerm_service_plan.service-plan_E3BB03BC",
      "azurerm_servicebus_namespace.service-bus_namespace_C3192716",
      "azurerm_servicebus_queue.service-bus_queue-inqueue_09347D19",
      "azurerm_servicebus_queue.service-bus_queue-outqueue_4463780C",
      "azurerm_storage_account.data-storage_account_C0340594",
      "azurerm_storage_account.host-storage_account_A2758C84",
      "azurerm_storage_container.data-storage_container-input_7CCED156",
      "azurerm_storage_container.data-storage_container-output_943B9818",
      "azurerm_user_assigned_identity.identity_F3F6CF43",
      "docker_image.image_3F1CC214",
      "docker_registry_image.image_push_5C9521CF",
      "terraform_data.identity_role-propagation_C664A1BA",
    ]);
  });

  test("ids do not depend on the environment; only the plan kind picks the trigger queue's role, and so its address", () => {
    // prod is Elastic Premium: Data Owner (for target-based scaling) in place of Data Receiver.
    const expected = addresses(r, DEV).map((a) =>
      a === "azurerm_role_assignment.connections_receiver-inqueue_CE2032FC" ? "azurerm_role_assignment.connections_owner-inqueue_1A0CF556" : a,
    );
    expect(addresses(r, PROD)).toEqual(expected.sort());
  });

  test("adding a function keeps every existing address", () => {
    const c = defaultConfig();
    (c.functions as Json[]).push({ name: "explain", trigger: { type: "http" } });
    expect(addresses(synth(devOnly(c)), DEV)).toEqual(addresses(r, DEV));
  });
});

describe("no secrets", () => {
  /** Every string in `value` that looks like a secret, with its JSON path. */
  function secrets(value: unknown, path = "$"): string[] {
    if (typeof value === "string") {
      return /AccountKey=|SharedAccessKey=|InstrumentationKey=|password\s*=\s*[^$;\s]/i.test(value) ? [`${path}: ${value}`] : [];
    }
    if (Array.isArray(value)) return value.flatMap((v, i) => secrets(v, `${path}[${i}]`));
    if (value !== null && typeof value === "object") {
      return Object.entries(value).flatMap(([k, v]) => {
        // secretRef names a Container Apps secret; it holds no value.
        const literalPassword = /password|secret/i.test(k) && k !== "secretRef" && typeof v === "string" && !/^\$\{[^{}]+\}$/.test(v);
        return [...(literalPassword ? [`${path}.${k}: literal value`] : []), ...secrets(v, `${path}.${k}`)];
      });
    }
    return [];
  }

  test("the scanner finds planted secrets", () => {
    expect(
      secrets({ a: "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=abc", b: { password: "hunter2" }, c: ["Endpoint=sb://x/;SharedAccessKey=k"], d: "InstrumentationKey=1" }),
    ).toHaveLength(4);
    expect(secrets({ password: "${azurerm_container_registry_token_password.p.password1[0].value}" })).toEqual([]);
  });

  test("no connection string key, SAS key, instrumentation key or literal password in either stack", () => {
    expect(secrets(r.stacks)).toEqual([]);
  });
});

describe("determinism", () => {
  /** Testing.synth text of each stack, built from a file in its own scratch folder. */
  function synthTexts(): { texts: Record<string, string>; dir: string } {
    const { dir, cleanup } = scratch();
    try {
      const file = join(dir, "mlfunc.yaml");
      writeFileSync(file, stringify(defaultConfig()));
      const app = buildApp({ config: file, outdir: join(dir, "out"), contextsDir: join(dir, "contexts") });
      const texts: Record<string, string> = {};
      for (const child of app.node.children) {
        if (child instanceof TerraformStack) texts[child.node.id] = Testing.synth(child, true);
      }
      // The files the CLI reads: the JSON must be as clean as the test view of it.
      app.synth();
      for (const stack of Object.keys(texts)) texts[`${stack}/cdk.tf.json`] = readFileSync(join(dir, "out", "stacks", stack, "cdk.tf.json"), "utf8");
      texts["manifest.json"] = readFileSync(join(dir, "out", "manifest.json"), "utf8");
      return { texts, dir };
    } finally {
      cleanup();
    }
  }

  let first: { texts: Record<string, string>; dir: string };
  let second: { texts: Record<string, string>; dir: string };
  beforeAll(() => {
    first = synthTexts();
    second = synthTexts();
  });

  test("two synths of the same input, from different folders, are byte-identical", () => {
    expect(first.dir).not.toBe(second.dir);
    expect(Object.keys(first.texts).sort()).toEqual([CANARY, `${CANARY}/cdk.tf.json`, DEV, `${DEV}/cdk.tf.json`, PROD, `${PROD}/cdk.tf.json`, "manifest.json"]);
    for (const [name, text] of Object.entries(first.texts)) expect(second.texts[name]).toBe(text);
  });

  test("no absolute path of this machine appears", () => {
    const machine = [ROOT, tmpdir(), first.dir, process.cwd()];
    for (const text of Object.values(first.texts)) {
      for (const p of machine) expect(text).not.toContain(p);
      // An absolute path starts a string or follows a separator; "monitoring/workspace" is a construct path.
      expect(text).not.toMatch(/(^|["'\s=:,(])\/(work|tmp|root|home|dev)(\/|"|\s|$)/m);
    }
  });
});

test("the default example, both stacks", () => {
  let text = JSON.stringify(r.stacks);
  // The image hash covers the runtime sources; it is tested on its own, so the snapshot is about infrastructure.
  for (const stack of [DEV, PROD, CANARY]) {
    const hash = (r.only(stack, "docker_image").triggers as Json).context_hash as string;
    text = text.split(hash).join(`<context-hash:${stack}>`).split(hash.slice(0, 16)).join(`<tag:${stack}>`);
  }
  expect(JSON.parse(text)).toMatchSnapshot();
});
