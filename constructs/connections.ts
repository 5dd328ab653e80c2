import { Construct } from "constructs";
import type { FunctionConfig } from "../config/schema";
import type { ManagedIdentity } from "./identity";
import type { StorageAccount } from "./storage";
import type { ServiceBus } from "./service-bus";
import { idPart } from "./construct-id";

/** App setting prefixes of the identity-based connections; function.json names the same ones. */
export const CONNECTIONS = {
  host: "AzureWebJobsStorage",
  triggerStorage: "MLFUNC_TRIGGER_STORAGE",
  triggerServiceBus: "MLFUNC_TRIGGER_SERVICEBUS",
} as const;

export interface IdentityConnectionsProps {
  readonly identity: ManagedIdentity;
  readonly functions: readonly FunctionConfig[];
  readonly hostStorage: StorageAccount;
  /** Required when a function has a blob trigger. */
  readonly dataStorage?: StorageAccount;
  /** Required when a function has a Service Bus trigger. */
  readonly serviceBus?: ServiceBus;
}

/**
 * Keyless connections: the app settings that point each binding at its service with the app's
 * identity, and exactly the roles each trigger needs, scoped to what it touches.
 */
export class IdentityConnections extends Construct {
  readonly appSettings: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: IdentityConnectionsProps) {
    super(scope, id);
    const { identity, functions } = props;
    const identitySettings = (prefix: string) => ({ [`${prefix}__credential`]: "managedidentity", [`${prefix}__clientId`]: identity.clientId });
    const grants = new Map<string, { role: string; scope: string }>();
    // One assignment per role and scope: Azure rejects a duplicate assignment.
    const grant = (id: string, role: string, scope: string) => grants.set(id, { role, scope });

    const blobFunctions = functions.flatMap((f) => (f.trigger.type === "blob" ? [f.trigger] : []));
    const busFunctions = functions.flatMap((f) => (f.trigger.type === "serviceBus" ? [f.trigger] : []));

    // The host keeps keys, leases and blob-trigger receipts in its own account.
    grant("host-blob-owner", "Storage Blob Data Owner", props.hostStorage.id);
    // Blob triggers dispatch through a queue in the host account.
    if (blobFunctions.length > 0) grant("host-queue-contributor", "Storage Queue Data Contributor", props.hostStorage.id);
    let settings: Record<string, string> = { ...identitySettings(CONNECTIONS.host) };

    if (blobFunctions.length > 0) {
      const data = required(props.dataStorage, "dataStorage", "a blob trigger");
      // Account scope: the polling blob trigger reads the account's analytics logs and blob service
      // properties at startup, beyond the input and output containers. The account holds trigger data only.
      grant("data-blob-owner", "Storage Blob Data Owner", data.id);
      // Poison blobs are reported through a queue in the trigger's own account.
      grant("data-queue-contributor", "Storage Queue Data Contributor", data.id);
      settings = {
        ...settings,
        [`${CONNECTIONS.triggerStorage}__blobServiceUri`]: data.resource.primaryBlobEndpoint,
        [`${CONNECTIONS.triggerStorage}__queueServiceUri`]: data.resource.primaryQueueEndpoint,
        ...identitySettings(CONNECTIONS.triggerStorage),
      };
    }

    if (busFunctions.length > 0) {
      const bus = required(props.serviceBus, "serviceBus", "a Service Bus trigger");
      for (const t of busFunctions) {
        grant(`receiver-${idPart(t.queue)}`, "Azure Service Bus Data Receiver", bus.queueId(t.queue));
        if (t.outputQueue !== undefined) grant(`sender-${idPart(t.outputQueue)}`, "Azure Service Bus Data Sender", bus.queueId(t.outputQueue));
      }
      settings = {
        ...settings,
        [`${CONNECTIONS.triggerServiceBus}__fullyQualifiedNamespace`]: bus.fullyQualifiedNamespace,
        ...identitySettings(CONNECTIONS.triggerServiceBus),
      };
    }

    for (const [grantId, { role, scope }] of grants) identity.grant(this, grantId, role, scope);
    this.appSettings = settings;
  }
}

function required<T>(value: T | undefined, prop: string, what: string): T {
  if (value === undefined) throw new Error(`IdentityConnections: ${prop} is required for ${what}`);
  return value;
}
