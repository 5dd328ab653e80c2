import { Construct } from "constructs";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import type { FunctionConfig, SmokeTester } from "../config/schema";
import type { StorageAccount } from "./storage";
import type { ServiceBus } from "./service-bus";
import { idPart } from "./construct-id";

export interface SmokeTestersProps {
  /** Users, groups or service principals that run `npm run smoke` against this stack. */
  readonly principals: readonly SmokeTester[];
  readonly functions: readonly FunctionConfig[];
  /** Required when a function has a blob trigger. */
  readonly dataStorage?: StorageAccount;
  /** Required when a function has a Service Bus trigger. */
  readonly serviceBus?: ServiceBus;
  /** Resource id of the function app, whose keys a caller of a keyed HTTP function must list.
   * @default no key access is granted */
  readonly functionAppId?: string;
}

/**
 * The roles `npm run smoke` needs, for each named principal: the data plane of what the triggers
 * read and write, and listing the app's function keys. The app's own identity is not touched.
 */
export class SmokeTesters extends Construct {
  readonly roleAssignments: readonly RoleAssignment[];

  constructor(scope: Construct, id: string, props: SmokeTestersProps) {
    super(scope, id);
    const grants: { id: string; role: string; scope: string }[] = [];
    const blob = props.functions.some((f) => f.trigger.type === "blob");
    if (blob && props.dataStorage) {
      // Upload the test input, read the result, delete both.
      grants.push({ id: "blob-contributor", role: "Storage Blob Data Contributor", scope: props.dataStorage.id });
    }
    const queueRoles = new Map<string, Set<string>>();
    const add = (queue: string, role: string) => queueRoles.set(queue, (queueRoles.get(queue) ?? new Set()).add(role));
    for (const f of props.functions) {
      if (f.trigger.type !== "serviceBus") continue;
      // Send the test message; receive it back (or see it gone) to clean up what the app did not consume.
      add(f.trigger.queue, "Azure Service Bus Data Sender");
      add(f.trigger.queue, "Azure Service Bus Data Receiver");
      if (f.trigger.outputQueue !== undefined) add(f.trigger.outputQueue, "Azure Service Bus Data Receiver");
    }
    if (queueRoles.size > 0 && props.serviceBus) {
      for (const [queue, roles] of [...queueRoles].sort(([a], [b]) => a.localeCompare(b))) {
        for (const role of [...roles].sort()) {
          grants.push({ id: `${role.endsWith("Sender") ? "sender" : "receiver"}-${idPart(queue)}`, role, scope: props.serviceBus.queueId(queue) });
        }
      }
    }
    const keyed = props.functions.some((f) => f.trigger.type === "http" && f.trigger.authLevel !== "anonymous");
    if (keyed && props.functionAppId !== undefined) {
      // Listing keys (Microsoft.Web/sites/host/listkeys/action) has no narrower built-in role.
      grants.push({ id: "function-keys", role: "Website Contributor", scope: props.functionAppId });
    }
    const assignments: RoleAssignment[] = [];
    for (const principal of props.principals) {
      for (const g of grants) {
        assignments.push(
          new RoleAssignment(this, `${principal.principalId.toLowerCase()}-${g.id}`, {
            scope: g.scope,
            roleDefinitionName: g.role,
            principalId: principal.principalId,
            principalType: principal.type,
          }),
        );
      }
    }
    this.roleAssignments = assignments;
  }
}
