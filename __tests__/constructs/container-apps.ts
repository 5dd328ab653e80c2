/**
 * hosting: containerApps: the managed environment, the azapi container app of kind functionapp, its
 * identity, roles, probes, revisions and outputs. The bodies' shapes were checked against the
 * Microsoft.App 2025-02-02-preview OpenAPI definitions; these assertions pin what was checked.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { AnnotationMetadataEntryType, TerraformStack } from "cdktf";
import { stringify } from "yaml";
import { buildApp } from "../../main";
import { Json, SynthResult, defaultConfig, devOnly, scratch, synth } from "../support/synth";

const STACK = "diabetes-aca";
const DEV = "diabetes-dev";
const API = "2025-02-02-preview";

/** The default app with a dev stack and one Container Apps environment named aca. */
function withAca(containerApps: Json = {}, extra: Json = {}): Json {
  const c = defaultConfig();
  c.environments = { dev: (c.environments as Json).dev, aca: { hosting: "containerApps", containerApps, ...extra } };
  return c;
}

/** The file's blob functions switched to the polling source. */
function polling(c: Json): Json {
  for (const f of c.functions as Json[]) if ((f.trigger as Json).type === "blob") (f.trigger as Json).source = "polling";
  return c;
}

const azapi = (r: SynthResult, stack: string, type: string): Json => {
  const all = Object.values(r.resources(stack, "azapi_resource")).filter((a) => String(a.type).startsWith(`${type}@`));
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0] as Json;
};
const idOf = (r: SynthResult, stack: string, type: string): string => {
  const entry = Object.entries(r.resources(stack, "azapi_resource")).find(([, a]) => String(a.type).startsWith(`${type}@`));
  if (!entry) throw new Error(`no ${type}`);
  return entry[0];
};
const body = (res: Json): Json => res.body as Json;
const props = (res: Json): Json => body(res).properties as Json;
const container = (app: Json): Json => ((props(app).template as Json).containers as Json[])[0] as Json;
const envVars = (app: Json): Record<string, string> =>
  Object.fromEntries((container(app).env as Json[]).map((e) => [String(e.name), String(e.value)]));

describe("the default Container Apps environment", () => {
  let r: SynthResult;
  let app: Json;
  let environment: Json;
  beforeAll(() => {
    r = synth(withAca());
    app = azapi(r, STACK, "Microsoft.App/containerApps");
    environment = azapi(r, STACK, "Microsoft.App/managedEnvironments");
  });

  test("the azapi provider is pinned and configured next to azurerm", () => {
    const terraform = r.stack(STACK).terraform as Json;
    expect((terraform.required_providers as Json).azapi).toEqual({ source: "Azure/azapi", version: "2.11.0" });
    expect(Object.keys(r.stack(STACK).provider as Json).sort()).toEqual(["azapi", "azurerm"]);
  });

  test("App Service stacks make no container app: azapi serves only the Event Grid blob trigger there", () => {
    expect(Object.values(r.resources(DEV, "azapi_resource")).map((a) => a.type)).toEqual(["Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15"]);
    expect(Object.values(r.resources(DEV, "azapi_resource_action")).map((a) => a.type)).toEqual(["Microsoft.Web/sites@2024-11-01"]);
  });

  test("an App Service stack without Event Grid blob triggers has no azapi at all", () => {
    const c = devOnly(defaultConfig());
    for (const f of c.functions as Json[]) if ((f.trigger as Json).type === "blob") (f.trigger as Json).source = "polling";
    const o = synth(c);
    expect(o.resources(DEV, "azapi_resource")).toEqual({});
    expect(Object.keys(o.stack(DEV).provider as Json).sort()).toEqual(["azurerm"]);
    expect(((o.stack(DEV).terraform as Json).required_providers as Json).azapi).toBeUndefined();
  });

  test("the app replaces the plan and the function app; the data stores stay the same", () => {
    expect(r.resources(STACK, "azurerm_service_plan")).toEqual({});
    expect(r.resources(STACK, "azurerm_linux_function_app")).toEqual({});
    const kept = (stack: string) =>
      ["azurerm_storage_account", "azurerm_storage_container", "azurerm_servicebus_namespace", "azurerm_servicebus_queue", "terraform_data"].map((t) =>
        Object.keys(r.resources(stack, t)).filter((id) => !id.startsWith("container-app_")).sort(),
      );
    expect(kept(STACK)).toEqual(kept(DEV));
    // Besides those, only the app's own host keys (the containerapp key store makes none).
    expect(Object.keys(r.resources(STACK, "terraform_data")).filter((id) => id.startsWith("container-app_")).map((id) => id.replace(/_[0-9A-F]{8}$/, "")).sort()).toEqual([
      "container-app_host-key-default_value",
      "container-app_master-key_value",
    ]);
  });

  test("the environment has the Consumption workload profile and logs through Azure Monitor, with no workspace key", () => {
    expect(environment.type).toBe(`Microsoft.App/managedEnvironments@${API}`);
    expect(environment.name).toBe("cae-diabetes-aca");
    expect(environment.parent_id).toBe(r.ref(STACK, "azurerm_resource_group", "id"));
    expect(environment.location).toBe(r.ref(STACK, "azurerm_resource_group", "location"));
    expect(props(environment)).toEqual({
      appLogsConfiguration: { destination: "azure-monitor" },
      workloadProfiles: [{ name: "Consumption", workloadProfileType: "Consumption" }],
    });
    expect(JSON.stringify(r.stack(STACK))).not.toMatch(/sharedKey|primary_shared_key/);
  });

  test("a diagnostic setting sends the environment's logs and metrics to the stack's workspace", () => {
    const diag = r.only(STACK, "azurerm_monitor_diagnostic_setting");
    expect(diag.target_resource_id).toBe(`\${azapi_resource.${idOf(r, STACK, "Microsoft.App/managedEnvironments")}.id}`);
    expect(diag.log_analytics_workspace_id).toBe(r.ref(STACK, "azurerm_log_analytics_workspace", "id"));
    expect(diag.enabled_log).toEqual([{ category_group: "allLogs" }]);
    expect(diag.enabled_metric).toEqual([{ category: "AllMetrics" }]);
  });

  test("the app is a function app on Container Apps, API 2025-02-02-preview, in the environment", () => {
    expect(app.type).toBe(`Microsoft.App/containerApps@${API}`);
    expect(app.name).toBe("ca-diabetes-aca");
    expect(body(app).kind).toBe("functionapp");
    expect(props(app).environmentId).toBe(`\${azapi_resource.${idOf(r, STACK, "Microsoft.App/managedEnvironments")}.id}`);
    expect(props(app).workloadProfileName).toBe("Consumption");
    // kind is create-only: changing it must replace the app.
    expect(app.replace_triggers_refs).toEqual(["kind"]);
    expect(app.schema_validation_enabled).toBeUndefined();
  });

  test("the image stack's digest is pulled from its registry by the user-assigned identity, which the app carries", () => {
    const identityId = r.ref(STACK, "azurerm_user_assigned_identity", "id");
    const out = (name: string) => `\${${r.imageOutput(STACK, name)}}`;
    expect(container(app).image).toBe(`${out("registry_login_server")}/${out("repository")}@${out("image_digest")}`);
    expect((props(app).configuration as Json).registries).toEqual([{ server: out("registry_login_server"), identity: identityId }]);
    expect(app.identity).toEqual([{ type: "UserAssigned", identity_ids: [identityId] }]);
    expect(r.resources(STACK, "docker_image")).toEqual({});
    expect(r.resources(STACK, "azurerm_container_registry")).toEqual({});
  });

  test("the same image as App Service: the same digest of the same image stack's state", () => {
    const states = (stack: string) => Object.values((r.stack(stack).data as Json).terraform_remote_state as Json);
    expect(states(STACK)).toEqual(states(DEV));
    expect(r.outputs(STACK).image_digest).toEqual({ value: `\${${r.imageOutput(STACK, "image_digest")}}` });
    expect(r.outputs(DEV).image_digest).toEqual({ value: `\${${r.imageOutput(DEV, "image_digest")}}` });
  });

  test("the app waits for AcrPull, every other role and the digest check", () => {
    const grants = Object.keys(r.resources(STACK, "azurerm_role_assignment")).map((id) => `azurerm_role_assignment.${id}`);
    expect(grants.some((g) => g.includes("acr-pull"))).toBe(true);
    const digestCheck = Object.keys(r.resources(STACK, "terraform_data")).find((id) => id.startsWith("image_digest_"));
    expect(app.depends_on).toEqual(expect.arrayContaining([...grants, `terraform_data.${digestCheck}`]));
  });

  test("Container Apps grants the roles of a queue-length-scaled plan (Elastic Premium) on the same scopes", () => {
    const roles = (stack: string) => Object.values(r.resources(stack, "azurerm_role_assignment")).map((a) => `${a.role_definition_name} ${String(a.scope).replace(/\.[^.]+_[0-9A-F]{8}\./, ".")}`).sort();
    // KEDA scales the app by the trigger queue's message count, which needs the Manage right (Data Owner),
    // as Elastic Premium's target-based scaling does; Dedicated plans keep Data Receiver.
    const receiver = "Azure Service Bus Data Receiver ${azurerm_servicebus_queue.id}";
    expect(roles(DEV)).toContain(receiver);
    expect(roles(STACK)).toEqual(roles(DEV).map((g) => (g === receiver ? "Azure Service Bus Data Owner ${azurerm_servicebus_queue.id}" : g)).sort());
  });

  test("ingress is external, HTTPS only, on the Functions port, all traffic to the newest revision", () => {
    expect((props(app).configuration as Json).activeRevisionsMode).toBe("Single");
    expect((props(app).configuration as Json).ingress).toEqual({
      external: true,
      targetPort: 80,
      transport: "auto",
      allowInsecure: false,
      traffic: [{ latestRevision: true, weight: 100 }],
    });
  });

  test("it scales to zero by default, with bounds only: the platform writes the trigger scale rules", () => {
    expect((props(app).template as Json).scale).toEqual({ minReplicas: 0, maxReplicas: 10 });
    expect(container(app).resources).toEqual({ cpu: 1, memory: "2Gi" });
  });

  test("host storage and triggers are reached by identity, with the App Service setting names", () => {
    const appService = r.only(DEV, "azurerm_linux_function_app").app_settings as Record<string, string>;
    const env = envVars(app);
    const identity = r.ref(STACK, "azurerm_user_assigned_identity", "client_id");
    const host = Object.entries(r.resources(STACK, "azurerm_storage_account")).find(([, a]) => String(a.name).startsWith("stdiabetesacah"))?.[0];
    expect(env.AzureWebJobsStorage__accountName).toBe(`\${azurerm_storage_account.${host}.name}`);
    expect(env.AzureWebJobsStorage__credential).toBe("managedidentity");
    expect(env.AzureWebJobsStorage__clientId).toBe(identity);
    for (const name of Object.keys(appService).filter((n) => n.startsWith("MLFUNC_TRIGGER_") || n.startsWith("AzureWebJobsStorage__"))) {
      expect(env[name]).toBeDefined();
    }
    expect(env.APPLICATIONINSIGHTS_CONNECTION_STRING).toBe(r.ref(STACK, "azurerm_application_insights", "connection_string"));
    expect(env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING).toBe(`ClientId=${identity};Authorization=AAD`);
    expect(env.AzureFunctionsJobHost__functionTimeout).toBe("02:00:00");
  });

  test("the secrets are the host's master, default host and blobs_extension keys: sensitive generated values, mounted where the host reads keys", () => {
    const data = Object.keys(r.resources(STACK, "terraform_data"));
    const ref = (prefix: string): string => {
      const ids = data.filter((id) => id.startsWith(prefix));
      expect(ids).toHaveLength(1);
      return `\${sensitive(terraform_data.${ids[0]}.output)}`;
    };
    const keys = {
      master: ref("container-app_master-key_value_"),
      host: ref("container-app_host-key-default_value_"),
      blobs: ref("blobs-extension-key_value_"),
    };
    expect(new Set(Object.values(keys)).size).toBe(3);
    expect((props(app).configuration as Json).secrets).toEqual([
      { name: "host-master", value: keys.master },
      { name: "host-function-default", value: keys.host },
      { name: "host-systemkey-blobs-extension", value: keys.blobs },
    ]);
    expect((props(app).template as Json).volumes).toEqual([
      {
        name: "functions-keys",
        storageType: "Secret",
        secrets: [
          { secretRef: "host-master", path: "host.master" },
          { secretRef: "host-function-default", path: "host.function.default" },
          { secretRef: "host-systemkey-blobs-extension", path: "host.systemKey.blobs_extension" },
        ],
      },
    ]);
    expect(container(app).volumeMounts).toEqual([{ volumeName: "functions-keys", mountPath: "/run/secrets/functions-keys" }]);
    expect(container(app).env).toContainEqual({ name: "AzureWebJobsSecretStorageType", value: "containerapp" });
    for (const e of container(app).env as Json[]) expect(Object.keys(e).sort()).toEqual(["name", "value"]);
  });

  test("each key is generated once by Terraform: a sensitive uuid() input whose changes are ignored, never a literal in the JSON", () => {
    const generated = Object.entries(r.resources(STACK, "terraform_data")).filter(([id]) => /^(container-app_(master-key|host-key-default)|blobs-extension-key)_value_/.test(id));
    expect(generated).toHaveLength(3);
    for (const [, d] of generated) {
      expect(d.input).toBe('${sensitive(replace(join("", [uuid(), uuid()]), "-", ""))}');
      expect(d.lifecycle).toEqual({ ignore_changes: ["input"] });
    }
    for (const s of (props(app).configuration as Json).secrets as Json[]) expect(String(s.value)).toMatch(/^\$\{sensitive\(terraform_data\.[^.]+\.output\)\}$/);
    // No key value appears anywhere: the only uuid() calls are the three inputs.
    expect(JSON.stringify(r.stack(STACK)).match(/uuid\(\)/g)).toHaveLength(6);
  });

  test("an authLevel: function HTTP function next to an eventGrid blob function gets keys to be called with", () => {
    const functions = (defaultConfig().functions as Json[]).map((f) => ({ name: f.name, trigger: f.trigger as Json }));
    expect(functions.find((f) => f.trigger.type === "http")?.trigger.authLevel).toBe("function");
    expect(functions.some((f) => f.trigger.type === "blob" && f.trigger.source === "eventGrid")).toBe(true);
    const paths = (((props(app).template as Json).volumes as Json[])[0].secrets as Json[]).map((s) => s.path);
    // The host accepts a function-level call with the master key or any host key.
    expect(paths).toEqual(expect.arrayContaining(["host.master", "host.function.default"]));
  });

  test("without Event Grid blob triggers: no secret, no generated key, no key volume, the platform's key store untouched", () => {
    const o = synth(polling(withAca()));
    const a = azapi(o, STACK, "Microsoft.App/containerApps");
    expect((props(a).configuration as Json).secrets).toBeUndefined();
    expect((props(a).template as Json).volumes).toBeUndefined();
    expect(container(a).volumeMounts).toBeUndefined();
    expect((container(a).env as Json[]).map((e) => e.name)).not.toContain("AzureWebJobsSecretStorageType");
    expect(Object.keys(o.resources(STACK, "terraform_data")).filter((id) => /(master-key|host-key-default|blobs-extension-key)_value_/.test(id))).toEqual([]);
  });

  test("readiness and liveness probe the host's anonymous ping when every HTTP function needs a key", () => {
    expect(container(app).probes).toEqual([
      { type: "Readiness", httpGet: { path: "/admin/host/ping", port: 80, scheme: "HTTP" }, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 },
      { type: "Liveness", httpGet: { path: "/admin/host/ping", port: 80, scheme: "HTTP" }, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
    ]);
  });

  test("outputs: the App Service names, read from the ingress FQDN, plus the latest revision", () => {
    const id = idOf(r, STACK, "Microsoft.App/containerApps");
    const fqdn = `\${azapi_resource.${id}.output.properties.configuration.ingress.fqdn}`;
    const out = r.outputs(STACK);
    expect(out.function_app_name).toEqual({ value: `\${azapi_resource.${id}.name}` });
    expect(out.function_app_hostname).toEqual({ value: fqdn });
    expect(out.http_endpoints).toEqual({ value: { predict: `https://${fqdn}/api/predict` } });
    expect(out.latest_revision).toEqual({ value: `\${azapi_resource.${id}.output.properties.latestRevisionName}` });
    expect(app.response_export_values).toEqual(["properties.configuration.ingress.fqdn", "properties.latestRevisionName"]);
    expect(Object.keys(out).sort()).toEqual([...Object.keys(r.outputs(DEV)), "latest_revision"].sort());
  });
});

describe("Container Apps options", () => {
  test("a T4 GPU profile joins Consumption in the environment; the app pins it with the whole profile per replica", () => {
    const r = synth(withAca({ workloadProfile: "Consumption-GPU-NC8as-T4", minReplicas: 1, maxReplicas: 3 }, { location: "swedencentral" }));
    expect(props(azapi(r, STACK, "Microsoft.App/managedEnvironments")).workloadProfiles).toEqual([
      { name: "Consumption", workloadProfileType: "Consumption" },
      { name: "NC8as-T4", workloadProfileType: "Consumption-GPU-NC8as-T4" },
    ]);
    const app = azapi(r, STACK, "Microsoft.App/containerApps");
    expect(props(app).workloadProfileName).toBe("NC8as-T4");
    expect(container(app).resources).toEqual({ cpu: 8, memory: "56Gi" });
    expect((props(app).template as Json).scale).toEqual({ minReplicas: 1, maxReplicas: 3 });
  });

  test("multiple revisions split traffic between the newest and the stable revision", () => {
    const r = synth(withAca({ minReplicas: 1, revisions: { mode: "multiple", latestWeight: 10, stableRevision: "ca-diabetes-aca--r1" } }));
    const config = props(azapi(r, STACK, "Microsoft.App/containerApps")).configuration as Json;
    expect(config.activeRevisionsMode).toBe("Multiple");
    expect((config.ingress as Json).traffic).toEqual([
      { latestRevision: true, weight: 10 },
      { revisionName: "ca-diabetes-aca--r1", weight: 90 },
    ]);
  });

  test("internal ingress, a cooldown, a smaller replica; an anonymous HTTP function's health route becomes the readiness probe", () => {
    // Event Grid cannot reach internal ingress, so the blob function polls.
    const c = polling(withAca({ ingress: "internal", cooldownPeriod: 600, cpu: 0.5, memory: "1Gi" }));
    c.functions = [...(c.functions as Json[]), { name: "health", trigger: { type: "http", authLevel: "anonymous" } }];
    const r = synth(c);
    const app = azapi(r, STACK, "Microsoft.App/containerApps");
    const ingress = (props(app).configuration as Json).ingress as Json;
    expect(ingress.external).toBe(false);
    expect(ingress.allowInsecure).toBe(false);
    expect((props(app).template as Json).scale).toEqual({ minReplicas: 0, maxReplicas: 10, cooldownPeriod: 600 });
    expect(container(app).resources).toEqual({ cpu: 0.5, memory: "1Gi" });
    expect(((container(app).probes as Json[])[0]?.httpGet as Json).path).toBe("/api/health");
    expect(((container(app).probes as Json[])[1]?.httpGet as Json).path).toBe("/admin/host/ping");
  });

  test("names can be overridden", () => {
    const r = synth(withAca({}, { names: { containerApp: "my-app", containerAppsEnvironment: "my-env" } }));
    expect(azapi(r, STACK, "Microsoft.App/containerApps").name).toBe("my-app");
    expect(azapi(r, STACK, "Microsoft.App/managedEnvironments").name).toBe("my-env");
  });
});

describe("warnings", () => {
  function warnings(config: Json): string[] {
    const { dir, cleanup } = scratch();
    try {
      const file = join(dir, "mlfunc.yaml");
      writeFileSync(file, stringify(config));
      const app = buildApp({ config: file, outdir: join(dir, "out"), contextsDir: join(dir, "contexts") });
      const stack = app.node.findChild(STACK) as TerraformStack;
      return stack.node.metadata.filter((m) => m.type === AnnotationMetadataEntryType.WARN).map((m) => String(m.data)).filter((w) => !w.startsWith("nameSeed"));
    } finally {
      cleanup();
    }
  }

  test("scale to zero with a polling blob trigger warns that new blobs will not wake the app", () => {
    expect(warnings(polling(withAca()))).toEqual([
      "environments.aca.containerApps.minReplicas is 0 with a polling blob trigger: Container Apps wakes blob triggers only through Event Grid, so new blobs wait until an HTTP or Service Bus event starts a replica; set the function's trigger.source: eventGrid (see docs/event-grid.md), or minReplicas: 1 to keep one replica polling",
    ]);
  });

  test("scale to zero with an Event Grid blob trigger: no warning, its webhook call wakes the app", () => {
    expect(warnings(withAca())).toEqual([]);
  });

  test("an Event Grid and a polling blob function: the polling one still warns", () => {
    const c = withAca();
    c.functions = [...(c.functions as Json[]), { name: "slow", trigger: { type: "blob", inputPath: "slow/{n}", outputPath: "done/{n}" } }];
    expect(warnings(c)).toHaveLength(1);
    expect(warnings(c)[0]).toMatch(/^environments\.aca\.containerApps\.minReplicas is 0 with a polling blob trigger/);
  });

  test("one replica kept running: no warning", () => {
    expect(warnings(withAca({ minReplicas: 1 }))).toEqual([]);
  });

  test("multiple revisions with queue or blob triggers warn that every revision runs them", () => {
    expect(warnings(withAca({ minReplicas: 1, revisions: { mode: "multiple" } }))).toEqual([
      "environments.aca.containerApps.revisions.mode is multiple with blob or Service Bus triggers: every active revision shares the host storage and runs those triggers, so the traffic split applies to HTTP only",
    ]);
  });
});
