/**
 * Address patterns of the delete gate (`review.allowDelete`, `--allow-delete`) and the reasons that
 * go with them: shared by validation, the review gate and the stacks' prevent_destroy.
 */

/** `*` matches any characters, `?` one; the rest literally. */
export function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[\\s\\S]*").replace(/\?/g, "[\\s\\S]");
  return new RegExp(`^${body}$`);
}

/** Tried against the address and against `<stack>/<address>`. */
export function matchesPattern(pattern: string, stack: string, address: string): boolean {
  const re = globToRegExp(pattern);
  return re.test(address) || re.test(`${stack}/${address}`);
}

// Addresses of unrelated shapes: a pattern matching all of them matches every address.
const PROBES = ["a.b", "azurerm_storage_account.host-storage_account_1", "azapi_resource.z", "module.m.x_y.z"];

/** The resource types the delete gate guards (review/gates.ts lists each with what it holds; a test keeps the two in step). */
export const GATED_TYPES: readonly string[] = [
  "azurerm_storage_account",
  "azurerm_storage_container",
  "azurerm_storage_queue",
  "azurerm_storage_share",
  "azurerm_storage_table",
  "azurerm_servicebus_namespace",
  "azurerm_servicebus_queue",
  "azurerm_servicebus_topic",
  "azurerm_servicebus_subscription",
  "azurerm_container_registry",
  "azurerm_user_assigned_identity",
  "azurerm_log_analytics_workspace",
  "azurerm_application_insights",
  "azurerm_key_vault",
];

/**
 * True when the pattern matches every resource address (`*`, `**`, `?*`, `*.*`, `<stack>/*`), or every
 * guarded type's addresses (`*_*`, `azurerm_*`): such an entry turns the gate off rather than letting
 * one delete through.
 */
export function isCatchAll(pattern: string): boolean {
  const slash = pattern.indexOf("/");
  const address = slash < 0 ? pattern : pattern.slice(slash + 1);
  const re = globToRegExp(address);
  const matchesAll = (addresses: readonly string[]): boolean => addresses.every((a) => re.test(a)) || (slash < 0 && addresses.every((a) => re.test(`some-stack/${a}`)));
  return matchesAll(PROBES) || matchesAll(GATED_TYPES.map((t) => `${t}.x`));
}

export const CATCH_ALL_MESSAGE =
  "matches every resource address, which would turn the delete gate off for every stack; name the resources, e.g. azurerm_storage_container.data-storage_container-input_*";

/** The characters a reader sees: Unicode control, format, unassigned and space characters removed. */
export function visibleText(text: string): string {
  return text.replace(/[\p{C}\p{Zs}]/gu, "");
}
