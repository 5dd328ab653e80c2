/** The review of a deploy that adds the Event Grid blob trigger: plain words, and the key never shown. */
import { summarizePlan } from "../../review/plan-summary";
import { renderJson, renderMarkdown } from "../../review/report";
import { plainWords } from "../../review/plain-names";
import type { JsonValue } from "../../review/json-text";

const KEY = "3f2a9c0e4b7d4e21a8c6d5e4f3b2a1c09e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b";
const URL = `https://func-diabetes-dev-0128c0.azurewebsites.net/runtime/webhooks/blobs?functionName=Host.Functions.predict-blob&code=${KEY}`;
const OLD_URL = `https://func-diabetes-dev-old.azurewebsites.net/runtime/webhooks/blobs?functionName=Host.Functions.predict-blob&code=${KEY}`;

const subscriptionBody = (url: string) => ({
  properties: {
    destination: { endpointType: "WebHook", properties: { endpointUrl: url, maxEventsPerBatch: 1 } },
    filter: { includedEventTypes: ["Microsoft.Storage.BlobCreated"], subjectBeginsWith: "/blobServices/default/containers/input/blobs/" },
  },
});
const urlMarks = { body: { properties: { destination: { properties: { endpointUrl: true } } } } };

/** What `terraform show -json` gives for the first deploy of an App Service stack, and an update that moves the app. */
const PLAN: JsonValue = {
  format_version: "1.2",
  terraform_version: "1.11.4",
  resource_changes: [
    {
      address: "terraform_data.blobs-extension-key_value_BE39F8D7",
      mode: "managed",
      type: "terraform_data",
      name: "blobs-extension-key_value_BE39F8D7",
      change: { actions: ["create"], before: null, after: { input: KEY, triggers_replace: null }, after_unknown: { id: true, output: true }, before_sensitive: false, after_sensitive: { input: true } },
    },
    {
      address: "azurerm_eventgrid_system_topic.blob-events_topic_A700D42E",
      mode: "managed",
      type: "azurerm_eventgrid_system_topic",
      name: "blob-events_topic_A700D42E",
      change: { actions: ["create"], before: null, after: { name: "evgt-diabetes-dev", topic_type: "Microsoft.Storage.StorageAccounts" }, after_unknown: { id: true }, before_sensitive: false, after_sensitive: {} },
    },
    {
      address: "azapi_resource_action.blobs-extension-key_function-app_8CBDEDD2",
      mode: "managed",
      type: "azapi_resource_action",
      name: "blobs-extension-key_function-app_8CBDEDD2",
      change: {
        actions: ["create"],
        before: null,
        // sensitive_body is write-only: Terraform never puts it in a plan.
        after: { type: "Microsoft.Web/sites@2024-11-01", action: "host/default/systemkeys/blobs_extension", method: "PUT", sensitive_body: null },
        after_unknown: { id: true, resource_id: true },
        before_sensitive: false,
        after_sensitive: {},
      },
    },
    {
      address: "azapi_resource.blob-events_subscription-predict-blob_E93E0107",
      mode: "managed",
      type: "azapi_resource",
      name: "blob-events_subscription-predict-blob_E93E0107",
      change: {
        actions: ["update"],
        before: { type: "Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15", name: "blob-predict-blob", body: subscriptionBody(OLD_URL) },
        after: { type: "Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15", name: "blob-predict-blob", body: subscriptionBody(URL) },
        after_unknown: {},
        before_sensitive: urlMarks,
        after_sensitive: urlMarks,
      },
    },
  ],
};

describe("Event Grid resources in the review", () => {
  const plan = summarizePlan(PLAN, { source: "plan.json", stack: "diabetes-dev" });
  const review = { plans: [plan], findings: [], failOn: "high" as const };
  const markdown = renderMarkdown(review);

  test("each Event Grid piece is named in plain words next to its address", () => {
    expect(markdown).toContain(
      "- 🟢 **create** `azurerm_eventgrid_system_topic.blob-events_topic_A700D42E` — Event Grid system topic: publishes the trigger storage account's blob events",
    );
    expect(markdown).toContain(
      "- 🟢 **create** `azapi_resource_action.blobs-extension-key_function-app_8CBDEDD2` — call on the function app: sets the key Event Grid uses for the blob trigger's webhook (value never shown)",
    );
    expect(markdown).toContain(
      "- 🟡 **update** `azapi_resource.blob-events_subscription-predict-blob_E93E0107` — Event Grid subscription: calls a blob function's webhook when a blob is created under its input path; undelivered events go to the dead-letter container",
    );
  });

  test("the generated key and the dead-letter container are named by their addresses", () => {
    expect(markdown).toContain(
      "- 🟢 **create** `terraform_data.blobs-extension-key_value_BE39F8D7` — the key of the blob trigger's webhook, generated once by Terraform (sensitive, never shown)",
    );
    expect(plainWords("azurerm_storage_container", undefined, "azurerm_storage_container.data-storage_container-eventgrid-deadletter_23FC3579")).toBe(
      "dead-letter container: the blob events Event Grid could not deliver",
    );
    expect(plainWords("terraform_data", undefined, "terraform_data.identity_role-propagation_C664A1BA")).toBeUndefined();
  });

  test("the host keys generated for Container Apps are named by their addresses", () => {
    expect(plainWords("terraform_data", undefined, "terraform_data.container-app_master-key_value_B16965F3")).toBe(
      "the Functions host's master key on Container Apps, generated once by Terraform (sensitive, never shown)",
    );
    expect(plainWords("terraform_data", undefined, "terraform_data.container-app_host-key-default_value_D133593F")).toBe(
      "the Functions host's default host key on Container Apps, generated once by Terraform (sensitive, never shown)",
    );
  });

  test("the key is never shown: not the generated value, not the webhook URL that carries it", () => {
    for (const text of [markdown, renderJson(review), JSON.stringify(plan)]) {
      expect(text).not.toContain(KEY);
      expect(text).not.toContain("code=");
    }
  });

  test("types that say enough have no words; azapi types are told apart by the ARM type they manage", () => {
    expect(plainWords("azurerm_storage_account")).toBeUndefined();
    expect(plainWords("azapi_resource", "Microsoft.App/containerApps@2025-02-02-preview")).toBeUndefined();
    expect(plainWords("azapi_resource")).toBeUndefined();
    expect(plainWords("azapi_resource", "Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15")).toMatch(/^Event Grid subscription: /);
  });
});
