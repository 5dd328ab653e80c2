/**
 * MLF-APP-006, high: the container image is pulled with the app's managed identity, never with a
 * registry user name and password (which would sit in app settings and state). Not applicable to
 * an app without a docker application stack.
 */
import type { PolicyRule } from "../types";
import { FUNCTION_APP, containerApp } from "../function-app";
import { outcome, readBlock, readBool, readString } from "../values";

export const rule: PolicyRule = {
  id: "MLF-APP-006",
  severity: "high",
  title: "Function app pulls its image by managed identity",
  resourceTypes: [FUNCTION_APP],
  fix:
    "Set site_config.container_registry_use_managed_identity = true, set container_registry_managed_identity_client_id " +
    "to the user-assigned identity's client id, grant it AcrPull, and drop registry_username/registry_password.",
  check(attrs) {
    const app = containerApp(attrs);
    if (typeof app === "string" || !("site" in app)) return app;

    const problems: string[] = [];
    const unknowns: string[] = [];
    const useIdentity = readBool(app.site, "container_registry_use_managed_identity");
    if (useIdentity.kind === "unresolved") unknowns.push(`site_config.container_registry_use_managed_identity is ${useIdentity.shown}, not a literal the rule can check`);
    else if (useIdentity.kind === "absent") problems.push("site_config.container_registry_use_managed_identity is not set (the provider default is false)");
    else if (!useIdentity.value) problems.push("site_config.container_registry_use_managed_identity is false");

    app.docker.forEach((d, i) => {
      const set = ["registry_username", "registry_password"].filter((k) => d[k] !== undefined && d[k] !== null);
      if (set.length > 0) problems.push(`site_config.application_stack.docker[${i}] sets ${set.join(" and ")}`);
    });

    // A user-assigned identity alone: without a client id the platform pulls as a system-assigned identity that does not exist.
    if (useIdentity.kind === "value" && useIdentity.value) {
      const identity = readBlock(attrs, "identity");
      const type = identity.kind === "value" ? readString(identity.value, "type") : undefined;
      const clientId = readString(app.site, "container_registry_managed_identity_client_id");
      if (type?.kind === "value" && type.value.trim() === "UserAssigned" && clientId.kind === "absent") {
        problems.push(
          "site_config.container_registry_managed_identity_client_id is not set while the only identity is user-assigned: the pull would use a system-assigned identity the app does not have",
        );
      }
    }
    return outcome(problems, unknowns);
  },
};
