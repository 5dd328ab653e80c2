/**
 * MLF-NET-002, medium: every private endpoint has a DNS zone group. Without one, nothing writes the
 * endpoint's address into the private zone: the resource's name keeps resolving to its public
 * address, which refuses the app once public access is off. An outage rather than an exposure.
 */
import type { PolicyRule } from "../types";
import { PRIVATE_ENDPOINT } from "../network";
import { readBlock, unresolved } from "../values";

export const rule: PolicyRule = {
  id: "MLF-NET-002",
  severity: "medium",
  title: "Every private endpoint has a DNS zone group",
  resourceTypes: [PRIVATE_ENDPOINT],
  fix: "Add private_dns_zone_group { name, private_dns_zone_ids = [<the zone for this sub-resource>] } to the endpoint.",
  check(attrs) {
    const group = readBlock(attrs, "private_dns_zone_group");
    if (group.kind === "unresolved") return unresolved("private_dns_zone_group", group);
    if (group.kind === "absent") return { noncompliant: "no private_dns_zone_group: the resource's name does not resolve to this endpoint" };
    const ids = group.value.private_dns_zone_ids;
    if (typeof ids === "string") return { unresolved: `private_dns_zone_group.private_dns_zone_ids is ${JSON.stringify(ids)}, not a list the rule can read` };
    if (!Array.isArray(ids) || ids.length === 0) return { noncompliant: "private_dns_zone_group names no zone: the resource's name does not resolve to this endpoint" };
    return "compliant";
  },
};
