/**
 * MLF-ST-005, high: blob containers are private. "blob" or "container" lets anyone on the
 * internet read (and with "container", list) the data. Absent passes: the default is "private".
 */
import type { PolicyRule } from "../types";
import { readString, unresolved } from "../values";

export const rule: PolicyRule = {
  id: "MLF-ST-005",
  severity: "high",
  title: "Storage container is private",
  resourceTypes: ["azurerm_storage_container"],
  fix: 'Set container_access_type = "private" (or leave it out).',
  check(attrs) {
    const r = readString(attrs, "container_access_type");
    if (r.kind === "unresolved") return unresolved("container_access_type", r);
    if (r.kind === "absent" || r.value === "private") return "compliant";
    return { noncompliant: `container_access_type is "${r.value}": anonymous clients can read the container` };
  },
};
