/**
 * Plain words for resources whose address alone does not say what they do for the app: the Event
 * Grid pieces of a blob trigger with `source: eventGrid`. Shown after the address in the review.
 */

/** azurerm and built-in types. */
const BY_TYPE: Readonly<Record<string, string>> = {
  azurerm_eventgrid_system_topic: "Event Grid system topic: publishes the trigger storage account's blob events",
};

/** azapi resources and actions, by the ARM type they manage (lower case, no API version). */
const BY_ARM_TYPE: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  azapi_resource: {
    "microsoft.eventgrid/systemtopics/eventsubscriptions":
      "Event Grid subscription: calls a blob function's webhook when a blob is created under its input path; undelivered events go to the dead-letter container",
  },
  azapi_resource_action: {
    "microsoft.web/sites": "call on the function app: sets the key Event Grid uses for the blob trigger's webhook (value never shown)",
  },
};

/** Resources of general types (terraform_data, containers) that mlfunc makes for Event Grid and its keys, by address. */
const BY_ADDRESS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^terraform_data\.blobs-extension-key_value_/, "the key of the blob trigger's webhook, generated once by Terraform (sensitive, never shown)"],
  [/^terraform_data\.container-app_master-key_value_/, "the Functions host's master key on Container Apps, generated once by Terraform (sensitive, never shown)"],
  [/^terraform_data\.container-app_host-key-default_value_/, "the Functions host's default host key on Container Apps, generated once by Terraform (sensitive, never shown)"],
  [/^azurerm_storage_container\.data-storage_container-eventgrid-deadletter_/, "dead-letter container: the blob events Event Grid could not deliver"],
];

/** What a resource is, in words, or undefined when its type says enough. */
export function plainWords(type: string, armType?: string, address?: string): string | undefined {
  const known = address === undefined ? undefined : BY_ADDRESS.find(([re]) => re.test(address));
  if (known) return known[1];
  const byArm = BY_ARM_TYPE[type];
  if (byArm) return armType === undefined ? undefined : byArm[armType.split("@")[0]?.toLowerCase() ?? ""];
  return BY_TYPE[type];
}

/** ` — <words>` for a resource's review line, or "" when there are none. */
export function plainSuffix(r: { readonly type: string; readonly armType?: string; readonly address: string }): string {
  const words = plainWords(r.type, r.armType, r.address);
  return words === undefined ? "" : ` — ${words}`;
}
