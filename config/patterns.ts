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

/**
 * True when the pattern matches every resource address (`*`, `**`, `?*`, `*.*`, `<stack>/*`): such an
 * entry turns the gate off rather than letting one delete through.
 */
export function isCatchAll(pattern: string): boolean {
  const slash = pattern.indexOf("/");
  const address = slash < 0 ? pattern : pattern.slice(slash + 1);
  const re = globToRegExp(address);
  return PROBES.every((p) => re.test(p)) || (slash < 0 && PROBES.every((p) => re.test(`some-stack/${p}`)));
}

export const CATCH_ALL_MESSAGE =
  "matches every resource address, which would turn the delete gate off for every stack; name the resources, e.g. azurerm_storage_container.data-storage_container-input_*";

/** The characters a reader sees: Unicode control, format, unassigned and space characters removed. */
export function visibleText(text: string): string {
  return text.replace(/[\p{C}\p{Zs}]/gu, "");
}
