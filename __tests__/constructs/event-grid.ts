/**
 * Blob triggers with source: eventGrid: the system topic, one subscription per function, the
 * blobs_extension key Terraform makes and how each hosting gets it. Body shapes were checked against
 * the Microsoft.EventGrid 2025-02-15 schema that azapi 2.11.0 embeds; these assertions pin them.
 */
import { Json, SynthResult, defaultConfig, devOnly, synth, synthError } from "../support/synth";
import { eventSubscriptionName } from "../../config/naming";
import { subjectFilter } from "../../constructs/event-grid";

const DEV = "diabetes-dev";
const CANARY = "diabetes-canary";

let r: SynthResult;
beforeAll(() => {
  r = synth();
});

const only = (result: SynthResult, stack: string, type: string, prefix: string): [string, Json] => {
  const all = Object.entries(result.resources(stack, type)).filter(([id]) => id.startsWith(prefix));
  if (all.length !== 1) throw new Error(`expected one ${type} ${prefix}*, found ${all.length}`);
  return all[0] as [string, Json];
};
const keyData = (result = r, stack = DEV) => only(result, stack, "terraform_data", "blobs-extension-key_value");
const keyRef = (result = r, stack = DEV) => `\${sensitive(terraform_data.${keyData(result, stack)[0]}.output)}`;
const subscription = (result = r, stack = DEV, fn = "predict-blob") => only(result, stack, "azapi_resource", `blob-events_subscription-${fn}`)[1];
const props = (s: Json): Json => (s.body as Json).properties as Json;
const ref = (result: SynthResult, stack: string, type: string, attr: string) => `\${${type}.${result.idOnly(stack, type)}.${attr}}`;
const dataAccountRef = (result: SynthResult, stack: string, attr: string) => {
  const id = Object.entries(result.resources(stack, "azurerm_storage_account")).find(([, a]) => String(a.name).includes("d"))?.[0];
  return `\${azurerm_storage_account.${id}.${attr}}`;
};

describe("function.json side", () => {
  test("the trigger connection keeps the service URIs the Event Grid source needs (blob and queue) with the identity", () => {
    const settings = r.only(DEV, "azurerm_linux_function_app").app_settings as Json;
    expect(settings.MLFUNC_TRIGGER_STORAGE__blobServiceUri).toBe(dataAccountRef(r, DEV, "primary_blob_endpoint"));
    expect(settings.MLFUNC_TRIGGER_STORAGE__queueServiceUri).toBe(dataAccountRef(r, DEV, "primary_queue_endpoint"));
    expect(settings.MLFUNC_TRIGGER_STORAGE__credential).toBe("managedidentity");
  });
});

describe("the system topic", () => {
  test("one topic on the trigger account, in its resource group and region, with the app's identity for dead letters", () => {
    expect(r.only(DEV, "azurerm_eventgrid_system_topic")).toEqual({
      name: "evgt-diabetes-dev",
      resource_group_name: ref(r, DEV, "azurerm_resource_group", "name"),
      location: ref(r, DEV, "azurerm_resource_group", "location"),
      source_resource_id: dataAccountRef(r, DEV, "id"),
      topic_type: "Microsoft.Storage.StorageAccounts",
      identity: { type: "UserAssigned", identity_ids: [ref(r, DEV, "azurerm_user_assigned_identity", "id")] },
      tags: expect.objectContaining({ app: "diabetes", environment: "dev" }),
    });
  });

  test("one topic however many Event Grid functions; none when every blob function polls", () => {
    const c = devOnly(defaultConfig());
    (c.functions as Json[]).push({ name: "predict_csv", trigger: { type: "blob", inputPath: "csv/batch-{name}.csv", outputPath: "results/{name}.json", source: "eventGrid" } });
    const two = synth(c);
    expect(Object.keys(two.resources(DEV, "azurerm_eventgrid_system_topic"))).toHaveLength(1);
    expect(Object.values(two.resources(DEV, "azapi_resource")).map((s) => s.name)).toEqual(["blob-predict-blob", eventSubscriptionName("predict_csv")]);
    for (const f of c.functions as Json[]) if ((f.trigger as Json).type === "blob") (f.trigger as Json).source = "polling";
    const none = synth(c);
    expect(none.resources(DEV, "azurerm_eventgrid_system_topic")).toEqual({});
    expect(none.resources(DEV, "terraform_data")).not.toHaveProperty([keyData()[0]]);
    expect(Object.values(none.resources(DEV, "azurerm_storage_container")).map((x) => x.name)).toEqual(["csv", "input", "output", "results"]);
  });
});

describe("the subscription", () => {
  test("BlobCreated only, under the input path, calling the blob webhook built from references, with retry and dead letters stated", () => {
    const s = subscription();
    expect(s.type).toBe("Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15");
    expect(s.name).toBe("blob-predict-blob");
    expect(s.parent_id).toBe(ref(r, DEV, "azurerm_eventgrid_system_topic", "id"));
    const host = ref(r, DEV, "azurerm_linux_function_app", "default_hostname");
    expect(props(s)).toEqual({
      destination: {
        endpointType: "WebHook",
        properties: {
          endpointUrl: `\${sensitive("https://${host}/runtime/webhooks/blobs?functionName=Host.Functions.predict-blob&code=${keyRef()}")}`,
          maxEventsPerBatch: 1,
          preferredBatchSizeInKilobytes: 64,
        },
      },
      filter: { includedEventTypes: ["Microsoft.Storage.BlobCreated"], subjectBeginsWith: "/blobServices/default/containers/input/blobs/", subjectEndsWith: ".json" },
      eventDeliverySchema: "EventGridSchema",
      retryPolicy: { maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 },
      deadLetterWithResourceIdentity: {
        identity: { type: "UserAssigned", userAssignedIdentity: ref(r, DEV, "azurerm_user_assigned_identity", "id") },
        deadLetterDestination: { endpointType: "StorageBlob", properties: { resourceId: dataAccountRef(r, DEV, "id"), blobContainerName: "eventgrid-deadletter" } },
      },
    });
  });

  test("a failed validation handshake is retried until the host answers, for at most 30 minutes, then fails the apply", () => {
    const s = subscription();
    expect(s.retry).toEqual({ error_message_regex: ["[Vv]alidation handshake failed", "validate the provided endpoint", "[Ww]ebhook validation"], interval_seconds: 20, max_interval_seconds: 60 });
    expect(s.timeouts).toEqual({ create: "30m", update: "30m" });
    expect("Webhook validation handshake failed for https://x/runtime/webhooks/blobs. Http POST request failed with response code Unknown.").toMatch(
      new RegExp(((s.retry as Json).error_message_regex as string[])[0] ?? "^$"),
    );
  });

  test("App Service: it waits for the key on the host and every role (the dead-letter one included) and their propagation", () => {
    const dependsOn = subscription().depends_on as string[];
    const action = `azapi_resource_action.${r.idOnly(DEV, "azapi_resource_action")}`;
    expect(dependsOn).toContain(action);
    const roles = Object.keys(r.resources(DEV, "azurerm_role_assignment")).map((id) => `azurerm_role_assignment.${id}`);
    for (const role of roles) expect(dependsOn).toContain(role);
    expect(dependsOn).toContain(`terraform_data.${only(r, DEV, "terraform_data", "identity_role-propagation")[0]}`);
  });

  test("Container Apps: the webhook is on the ingress FQDN, after the app that carries the key", () => {
    const [appId] = Object.entries(r.resources(CANARY, "azapi_resource")).find(([, a]) => String(a.type).startsWith("Microsoft.App/containerApps@")) ?? [""];
    const s = subscription(r, CANARY);
    expect(((props(s).destination as Json).properties as Json).endpointUrl).toBe(
      `\${sensitive("https://\${azapi_resource.${appId}.output.properties.configuration.ingress.fqdn}/runtime/webhooks/blobs?functionName=Host.Functions.predict-blob&code=${keyRef(r, CANARY)}")}`,
    );
    expect(s.depends_on).toContain(`azapi_resource.${appId}`);
    expect(r.resources(CANARY, "azapi_resource_action")).toEqual({});
  });

  test.each<[string, { subjectBeginsWith: string; subjectEndsWith?: string }]>([
    ["input/{blobname}.json", { subjectBeginsWith: "/blobServices/default/containers/input/blobs/", subjectEndsWith: ".json" }],
    ["input/{name}", { subjectBeginsWith: "/blobServices/default/containers/input/blobs/" }],
    ["scans/2024/batch-{id}-{part}.csv", { subjectBeginsWith: "/blobServices/default/containers/scans/blobs/2024/batch-", subjectEndsWith: ".csv" }],
    ["input/fixed.json", { subjectBeginsWith: "/blobServices/default/containers/input/blobs/fixed.json" }],
  ])("subject filter of %s: the container and the name's fixed start and end", (path, expected) => {
    expect(subjectFilter(path)).toEqual(expected);
  });

  test("subscription names: blob-<function> in lowercase; a rewritten or cut name carries a hash of the real one", () => {
    expect(eventSubscriptionName("predict-blob")).toBe("blob-predict-blob");
    expect(eventSubscriptionName("Predict")).toBe("blob-predict");
    expect(eventSubscriptionName("a_b")).toMatch(/^blob-a-b-[0-9a-f]{6}$/);
    expect(eventSubscriptionName("a_b")).not.toBe(eventSubscriptionName("a-b"));
    const long = eventSubscriptionName(`f${"x".repeat(126)}`);
    expect(long).toMatch(/^blob-fx+-[0-9a-f]{6}$/);
    expect(long.length).toBeLessThanOrEqual(64);
  });
});

describe("the blobs_extension key", () => {
  test("is made by Terraform once: two random UUIDs without hyphens, sensitive, kept by ignore_changes", () => {
    expect(keyData()[1]).toEqual({
      input: '${sensitive(replace(join("", [uuid(), uuid()]), "-", ""))}',
      lifecycle: { ignore_changes: ["input"] },
    });
  });

  test("App Service: set through the host-secret API with a write-only body, retried while the host starts, failing after 30 minutes", () => {
    expect(r.only(DEV, "azapi_resource_action")).toEqual({
      type: "Microsoft.Web/sites@2024-11-01",
      resource_id: ref(r, DEV, "azurerm_linux_function_app", "id"),
      action: "host/default/systemkeys/blobs_extension",
      method: "PUT",
      sensitive_body: { properties: { name: "blobs_extension", value: keyRef() } },
      retry: {
        error_message_regex: ["ServiceUnavailable", "host runtime", "[Hh]ost is not running", "BadGateway", "GatewayTimeout", "InternalServerError", "TooManyRequests"],
        interval_seconds: 15,
        max_interval_seconds: 60,
      },
      timeouts: { create: "30m", update: "30m" },
      // Replacing the key (rotation) makes the call again: Terraform cannot diff a write-only body.
      // A plain address: Terraform rejects "${...}" there in JSON.
      lifecycle: { replace_triggered_by: [`terraform_data.${keyData()[0]}`] },
    });
  });

  test("never a literal: every use in every stack is the sensitive reference, and no output holds it", () => {
    for (const stack of [DEV, "diabetes-prod", CANARY]) {
      const text = JSON.stringify(r.stack(stack));
      const id = keyData(r, stack)[0];
      const uses = text.match(new RegExp(`terraform_data\\.${id}\\.output`, "g")) ?? [];
      const sensitiveUses = text.match(new RegExp(`sensitive\\(terraform_data\\.${id}\\.output\\)`, "g")) ?? [];
      expect(uses.length).toBeGreaterThan(0);
      expect(sensitiveUses).toHaveLength(uses.length);
      expect(JSON.stringify(r.outputs(stack))).not.toContain(id);
      expect(JSON.stringify(r.outputs(stack))).not.toContain("webhooks");
    }
  });
});

describe("validation", () => {
  test("internal Container Apps ingress with an Event Grid blob function is refused with the reason", () => {
    const c = defaultConfig();
    (c.environments as Record<string, Json>).canary = { hosting: "containerApps", containerApps: { ingress: "internal" } };
    const lines = synthError(c).split("\n");
    expect(lines.slice(1)).toEqual([
      '  functions[1].trigger.source (line 20): "eventGrid" — environments.canary has containerApps.ingress: internal, and Event Grid delivers only to a public HTTPS endpoint, so new blobs would never reach this function; use source: polling (with minReplicas: 1) or set ingress: external',
    ]);
  });

  test("a blob path in the dead-letter container is refused", () => {
    const c = devOnly(defaultConfig());
    (c.functions as Json[]).push({ name: "late", trigger: { type: "blob", inputPath: "eventgrid-deadletter/{n}", outputPath: "late/{n}" } });
    expect(synthError(c)).toContain('functions[3].trigger.inputPath (line 29): "eventgrid-deadletter/{n}" — "eventgrid-deadletter" holds the events Event Grid could not deliver; use another container');
  });

  test("an unknown source names the two it takes", () => {
    const c = devOnly(defaultConfig());
    ((c.functions as Json[])[1]?.trigger as Json).source = "EventGrid";
    expect(synthError(c)).toContain('functions[1].trigger.source (line 20): "EventGrid" — must be "polling" or "eventGrid"');
  });
});
