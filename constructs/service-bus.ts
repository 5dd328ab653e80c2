import { Construct } from "constructs";
import { ServicebusNamespace } from "@cdktf/provider-azurerm/lib/servicebus-namespace";
import { ServicebusQueue } from "@cdktf/provider-azurerm/lib/servicebus-queue";
import type { ResourceGroup } from "./resource-group";
import { idPart } from "./construct-id";

export interface ServiceBusProps {
  readonly name: string;
  readonly resourceGroup: ResourceGroup;
  readonly queues: readonly string[];
  /** @default "Standard" */
  readonly sku?: "Basic" | "Standard" | "Premium";
  /** Deliveries before a message is dead-lettered.
   * @default 10 */
  readonly maxDeliveryCount?: number;
  /** Reachable from the internet, or only through private endpoints (Premium only).
   * @default true */
  readonly publicNetworkAccess?: boolean;
  readonly tags?: Readonly<Record<string, string>>;
}

/** A Service Bus namespace with SAS keys off (Entra ID only), TLS 1.2, and the queues the functions use. */
export class ServiceBus extends Construct {
  readonly namespace: ServicebusNamespace;
  readonly queues: ReadonlyMap<string, ServicebusQueue>;

  constructor(scope: Construct, id: string, props: ServiceBusProps) {
    super(scope, id);
    const sku = props.sku ?? "Standard";
    this.namespace = new ServicebusNamespace(this, "namespace", {
      name: props.name,
      resourceGroupName: props.resourceGroup.name,
      location: props.resourceGroup.location,
      sku,
      // Premium needs a capacity; the others must not set one.
      ...(sku === "Premium" ? { capacity: 1, premiumMessagingPartitions: 1 } : {}),
      localAuthEnabled: false,
      minimumTlsVersion: "1.2",
      ...(props.publicNetworkAccess === false ? { publicNetworkAccessEnabled: false } : {}),
      tags: { ...props.tags },
    });
    const queues = new Map<string, ServicebusQueue>();
    for (const name of [...new Set(props.queues)].sort()) {
      queues.set(
        name,
        new ServicebusQueue(this, `queue-${idPart(name)}`, {
          name,
          namespaceId: this.namespace.id,
          maxDeliveryCount: props.maxDeliveryCount ?? 10,
          deadLetteringOnMessageExpiration: true,
        }),
      );
    }
    this.queues = queues;
  }

  /** `<namespace>.servicebus.windows.net`, what identity-based connections name. */
  get fullyQualifiedNamespace(): string {
    return `${this.namespace.name}.servicebus.windows.net`;
  }

  queueId(name: string): string {
    const queue = this.queues.get(name);
    if (!queue) throw new Error(`internal: Service Bus ${this.node.id} has no queue "${name}"`);
    return queue.id;
  }
}
