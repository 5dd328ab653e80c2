import { Construct } from "constructs";
import { Fn, type ITerraformDependable } from "cdktf";
import { EventgridSystemTopic } from "@cdktf/provider-azurerm/lib/eventgrid-system-topic";
import { AzapiResource } from "./azapi";
import type { ResourceGroup } from "./resource-group";
import type { StorageAccount } from "./storage";
import type { ManagedIdentity } from "./identity";
import { parseBlobPath } from "../config/rules";
import { DEAD_LETTER_CONTAINER, eventSubscriptionName } from "../config/naming";
import { idPart } from "./construct-id";

export const EVENT_GRID_API_VERSION = "2025-02-15";
/** The only event a blob trigger acts on. */
export const BLOB_CREATED = "Microsoft.Storage.BlobCreated";
/** Event Grid's answer when the endpoint did not complete its validation handshake. */
export const HANDSHAKE_FAILED_ERRORS = ["[Vv]alidation handshake failed", "validate the provided endpoint", "[Ww]ebhook validation"] as const;

/** A blob trigger that Event Grid feeds: its function name and its input path pattern. */
export interface EventGridBlobFunction {
  readonly name: string;
  readonly inputPath: string;
}

export interface BlobEventsProps {
  /** The system topic's name. */
  readonly name: string;
  readonly resourceGroup: ResourceGroup;
  /** The trigger account: the topic's source, and the home of the dead-letter container, which it must hold. */
  readonly storage: StorageAccount;
  /** Identity the topic uses to write dead letters; it must hold a blob data role on the dead-letter container. */
  readonly identity: ManagedIdentity;
  /** The app's host name (App Service default hostname or Container Apps ingress FQDN). */
  readonly appHostname: string;
  /** The `blobs_extension` system key, sensitive. */
  readonly key: string;
  readonly functions: readonly EventGridBlobFunction[];
  /** Delivery attempts before an event is dead-lettered.
   * @default 30 (Event Grid's default) */
  readonly maxDeliveryAttempts?: number;
  /** Minutes Event Grid keeps retrying an event before it is dead-lettered.
   * @default 1440 (one day, Event Grid's default) */
  readonly eventTimeToLiveMinutes?: number;
  /** How long apply retries a subscription whose validation handshake fails while the host starts.
   * @default "30m" */
  readonly handshakeTimeout?: string;
  /** What must exist before a subscription is made: the key on the host, the roles. */
  readonly dependsOn?: ITerraformDependable[];
  readonly tags?: Readonly<Record<string, string>>;
}

/** The blob trigger's webhook (Functions docs, "Build the endpoint URL"), with the key sensitive. */
export function webhookUrl(hostname: string, functionName: string, key: string): string {
  return Fn.sensitive(`https://${hostname}/runtime/webhooks/blobs?functionName=Host.Functions.${functionName}&code=${key}`);
}

/** Event Grid's subject filter for an input path: the container and the blob name's fixed start and end. */
export function subjectFilter(inputPath: string): { subjectBeginsWith: string; subjectEndsWith?: string } {
  const { container } = parseBlobPath(inputPath);
  const name = inputPath.slice(container.length + 1);
  const first = name.indexOf("{");
  const prefix = first < 0 ? name : name.slice(0, first);
  const suffix = first < 0 ? "" : name.slice(name.lastIndexOf("}") + 1);
  return {
    subjectBeginsWith: `/blobServices/default/containers/${container}/blobs/${prefix}`,
    ...(suffix === "" ? {} : { subjectEndsWith: suffix }),
  };
}

/**
 * Event Grid for blob triggers with `source: eventGrid`: one system topic on the trigger account
 * and, per function, a subscription to BlobCreated events under its input path that calls the
 * blob extension's webhook.
 *
 * The subscription is an azapi resource, not azurerm's: Event Grid checks the webhook with a
 * validation handshake when the subscription is created, which fails while the host is still
 * starting (a cold Container Apps replica, an image still being pulled). azapi retries the create
 * on that error until `handshakeTimeout`, then fails the apply with Event Grid's message.
 */
export class BlobEvents extends Construct {
  readonly topic: EventgridSystemTopic;
  readonly subscriptions: ReadonlyMap<string, AzapiResource>;

  constructor(scope: Construct, id: string, props: BlobEventsProps) {
    super(scope, id);
    if (!props.storage.containers.has(DEAD_LETTER_CONTAINER)) throw new Error(`BlobEvents: the trigger account has no "${DEAD_LETTER_CONTAINER}" container for dead letters`);
    const timeout = props.handshakeTimeout ?? "30m";
    this.topic = new EventgridSystemTopic(this, "topic", {
      name: props.name,
      resourceGroupName: props.resourceGroup.name,
      // A system topic lives where its source does: the trigger account is in the resource group's region.
      location: props.resourceGroup.location,
      sourceResourceId: props.storage.id,
      topicType: "Microsoft.Storage.StorageAccounts",
      identity: { type: "UserAssigned", identityIds: [props.identity.id] },
      tags: { ...props.tags },
    });
    const subscriptions = new Map<string, AzapiResource>();
    for (const fn of props.functions) {
      subscriptions.set(
        fn.name,
        new AzapiResource(this, `subscription-${idPart(fn.name)}`, {
          type: `Microsoft.EventGrid/systemTopics/eventSubscriptions@${EVENT_GRID_API_VERSION}`,
          name: eventSubscriptionName(fn.name),
          parentId: this.topic.id,
          body: {
            properties: {
              destination: {
                endpointType: "WebHook",
                // One event per call: each blob is its own invocation, and a failed one is retried alone.
                properties: { endpointUrl: webhookUrl(props.appHostname, fn.name, props.key), maxEventsPerBatch: 1, preferredBatchSizeInKilobytes: 64 },
              },
              filter: { includedEventTypes: [BLOB_CREATED], ...subjectFilter(fn.inputPath) },
              eventDeliverySchema: "EventGridSchema",
              retryPolicy: { maxDeliveryAttempts: props.maxDeliveryAttempts ?? 30, eventTimeToLiveInMinutes: props.eventTimeToLiveMinutes ?? 1440 },
              deadLetterWithResourceIdentity: {
                identity: { type: "UserAssigned", userAssignedIdentity: props.identity.id },
                deadLetterDestination: { endpointType: "StorageBlob", properties: { resourceId: props.storage.id, blobContainerName: DEAD_LETTER_CONTAINER } },
              },
            },
          },
          retry: { errorMessageRegex: [...HANDSHAKE_FAILED_ERRORS], intervalSeconds: 20, maxIntervalSeconds: 60 },
          timeouts: { create: timeout, update: timeout },
          dependsOn: props.dependsOn,
        }),
      );
    }
    this.subscriptions = subscriptions;
  }
}
