import { Construct } from "constructs";
import type { FunctionConfig } from "../config/schema";
import type { ManagedIdentity, Role } from "./identity";
import type { ResourceGroup } from "./resource-group";
import type { StorageAccount } from "./storage";
import type { ServiceBus } from "./service-bus";
import { CustomRole } from "./role-definition";
import { idPart } from "./construct-id";
import { parseBlobPath } from "../config/rules";
import { DEAD_LETTER_CONTAINER } from "../config/naming";

/**
 * What the blob trigger needs beyond Storage Blob Data Owner: at startup it reads the account's blob
 * service properties and, when analytics write-logging is off, turns it on (Get/Set Blob Service
 * Properties authorize with these two control-plane actions). Up to blob extension 5.3.7 it does this
 * on the host account and a 403 only turns off log scanning; from 5.3.8 it tries the trigger's account
 * and falls back to the host account without catching a second 403, and the host indexes no function
 * (azure-functions-host#11938). Storage Account Contributor, which Microsoft's table lists, could also
 * list keys and turn shared keys back on.
 */
export const BLOB_SERVICE_PROPERTIES_ACTIONS = [
  "Microsoft.Storage/storageAccounts/blobServices/read",
  "Microsoft.Storage/storageAccounts/blobServices/write",
] as const;

/** App setting prefixes of the identity-based connections; function.json names the same ones. */
export const CONNECTIONS = {
  host: "AzureWebJobsStorage",
  triggerStorage: "MLFUNC_TRIGGER_STORAGE",
  triggerServiceBus: "MLFUNC_TRIGGER_SERVICEBUS",
} as const;

/** The host storage's identity settings, which IdentityConnections composes and the hosting constructs
 * accept in appSettings although they fall under a platform prefix. */
export const HOST_IDENTITY_SETTINGS = [`${CONNECTIONS.host}__credential`, `${CONNECTIONS.host}__clientId`] as const;

export interface IdentityConnectionsProps {
  readonly identity: ManagedIdentity;
  readonly functions: readonly FunctionConfig[];
  readonly hostStorage: StorageAccount;
  /** Where the blob service properties role is defined. Required when a function has a blob trigger. */
  readonly resourceGroup?: ResourceGroup;
  /** Required when a function has a blob trigger. */
  readonly dataStorage?: StorageAccount;
  /** Required when a function has a Service Bus trigger. */
  readonly serviceBus?: ServiceBus;
  /** The platform scales by each trigger queue's message count (Elastic Premium's target-based
   * scaling), which needs the Manage right: Azure Service Bus Data Owner on the queue, in place of
   * Data Receiver.
   * @default false (Dedicated plans: Data Receiver) */
  readonly queueLengthScaling?: boolean;
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
    const queueLengthScaling = props.queueLengthScaling ?? false;
    const identitySettings = (prefix: string) => ({ [`${prefix}__credential`]: "managedidentity", [`${prefix}__clientId`]: identity.clientId });
    const grants = new Map<string, { role: Role; scope: string }>();
    // One assignment per role and scope: Azure rejects a duplicate assignment.
    const grant = (id: string, role: Role, scope: string) => grants.set(id, { role, scope });

    const blobFunctions = functions.flatMap((f) => (f.trigger.type === "blob" ? [f.trigger] : []));
    const busFunctions = functions.flatMap((f) => (f.trigger.type === "serviceBus" ? [f.trigger] : []));

    // The host keeps keys, leases and blob-trigger receipts in its own account.
    grant("host-blob-owner", "Storage Blob Data Owner", props.hostStorage.id);
    // The host writes diagnostic events to a table there, and logs warnings when it cannot.
    grant("host-table-contributor", "Storage Table Data Contributor", props.hostStorage.id);
    let settings: Record<string, string> = { ...identitySettings(CONNECTIONS.host) };

    if (blobFunctions.length > 0) {
      const data = required(props.dataStorage, "dataStorage", "a blob trigger");
      // Both sources dispatch through a queue in the host account: the polling scan and the Event
      // Grid webhook each enqueue the blob there, and every instance takes it from there.
      grant("host-queue-contributor", "Storage Queue Data Contributor", props.hostStorage.id);
      const polling = blobFunctions.filter((t) => t.source !== "eventGrid");
      if (polling.length > 0) {
        const resourceGroup = required(props.resourceGroup, "resourceGroup", "a polling blob trigger");
        const blobService = new CustomRole(this, "blob-service-properties", {
          // Unique in the tenant, as Azure requires: storage account names are unique worldwide.
          name: `mlfunc blob service properties (${props.hostStorage.resource.nameInput ?? props.hostStorage.name})`,
          description: "Read and write a storage account's blob service properties, which the Functions blob trigger reads and updates (analytics logging) at startup.",
          resourceGroup,
          actions: BLOB_SERVICE_PROPERTIES_ACTIONS,
        });
        // Both accounts, so every extension version starts: older ones use the host account, newer
        // ones the trigger's account first and the host account as fallback.
        grant("host-blob-service-properties", blobService, props.hostStorage.id);
        grant("data-blob-service-properties", blobService, data.id);
        // Account scope: the polling blob trigger lists the account's $logs container as well as the
        // input and output containers. The account holds trigger data only.
        grant("data-blob-owner", "Storage Blob Data Owner", data.id);
      } else {
        // The Event Grid source neither scans containers nor reads logs (the extension creates no
        // scanning listener for it), so the blob role narrows to the containers the functions read
        // and write, and the blob service properties role is not needed.
        const containers = new Set(blobFunctions.flatMap((t) => [parseBlobPath(t.inputPath).container, parseBlobPath(t.outputPath).container]));
        for (const c of [...containers].sort()) grant(`data-blob-owner-${idPart(c)}`, "Storage Blob Data Owner", data.containerId(c));
      }
      if (blobFunctions.some((t) => t.source === "eventGrid")) {
        // Event Grid writes events it could not deliver there, as this identity (the system topic's).
        grant("deadletter-blob-contributor", "Storage Blob Data Contributor", data.containerId(DEAD_LETTER_CONTAINER));
      }
      // Poison blobs are reported through a queue in the trigger's own account, which the trigger
      // creates on first use (account scope).
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
      const triggerQueues = new Set(busFunctions.map((t) => t.queue));
      for (const queue of triggerQueues) {
        if (queueLengthScaling) {
          // Target-based scaling reads the queue's runtime properties (message count), which needs
          // the Manage right; without it the scale controller only peeks. Data Owner includes receive.
          grant(`owner-${idPart(queue)}`, "Azure Service Bus Data Owner", bus.queueId(queue));
        } else {
          grant(`receiver-${idPart(queue)}`, "Azure Service Bus Data Receiver", bus.queueId(queue));
        }
      }
      for (const t of busFunctions) {
        // Data Owner on a queue already includes send.
        const ownsQueue = queueLengthScaling && t.outputQueue !== undefined && triggerQueues.has(t.outputQueue);
        if (t.outputQueue !== undefined && !ownsQueue) grant(`sender-${idPart(t.outputQueue)}`, "Azure Service Bus Data Sender", bus.queueId(t.outputQueue));
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
