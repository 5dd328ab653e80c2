/**
 * The Azure side of `npm run smoke`: the standard credential chain, Service Bus through its SDK, and
 * the app's keys through Azure Resource Manager. Loaded only by the smoke command.
 */
import type { ServiceBusClient, ServiceBusReceivedMessage } from "@azure/service-bus";
import type { QueueMessage, ServiceBusPort, SmokeServices } from "./smoke";
import { ARM_ENDPOINT, type ArmAppId, RedirectRefused, type Transport, armUrl, httpsRequest } from "./smoke-https";
import type { TokenCredential } from "./smoke-state";

const WEB_API_VERSION = "2023-12-01";

/** The Azure services; `armEndpoint` and `transport` are for tests (a loopback Resource Manager). */
export function azureServices(armEndpoint: string = ARM_ENDPOINT, transport: Transport = {}): SmokeServices {
  return {
    credential: async () => {
      // Typed by the one constructor used, so the type check skips @azure/identity's MSAL declarations.
      const identity = require("@azure/identity") as { DefaultAzureCredential: new () => TokenCredential };
      return new identity.DefaultAzureCredential();
    },
    serviceBus: async (namespace, credential) => {
      const { ServiceBusClient } = await import("@azure/service-bus");
      return new SdkServiceBus(new ServiceBusClient(namespace, credential));
    },
    hostKeys: (appId, credential) => listHostKeys(armEndpoint, appId, credential, transport),
  };
}

export class HttpStatusError extends Error {
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
  }
}

/** POST <app>/host/default/listkeys: the host's function and master keys. The URL is built from the parsed id. */
export async function listHostKeys(
  armEndpoint: string,
  appId: ArmAppId,
  credential: TokenCredential,
  transport: Transport = {},
): Promise<{ functionKey?: string; masterKey?: string }> {
  if (appId.kind !== "Microsoft.Web/sites") throw new Error(`${appId.kind} has no listkeys operation`);
  const url = armUrl(armEndpoint, appId, ["host", "default", "listkeys"], WEB_API_VERSION);
  const token = await credential.getToken(`${armEndpoint}/.default`);
  if (!token) throw new Error("the credential returned no token for Azure Resource Manager");
  let res: { status: number; body: string };
  try {
    res = await httpsRequest(url, { method: "POST", headers: { Authorization: `Bearer ${token.token}` }, timeoutMs: 60_000 }, transport);
  } catch (e) {
    if (e instanceof RedirectRefused) throw new HttpStatusError(e.message, e.statusCode);
    throw e;
  }
  const text = res.body;
  if (res.status < 200 || res.status >= 300) {
    let message = text.slice(0, 300);
    try {
      const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
      if (parsed.error) message = `${parsed.error.code ?? ""} ${parsed.error.message ?? ""}`.trim();
    } catch {
      // not JSON: the text itself
    }
    throw new HttpStatusError(message, res.status);
  }
  const body = JSON.parse(text) as { masterKey?: string; functionKeys?: Record<string, string> };
  return { functionKey: body.functionKeys?.default, masterKey: body.masterKey };
}

/** The SDK behind ServiceBusPort. Each call opens and closes its own link: the smoke test makes few calls. */
export class SdkServiceBus implements ServiceBusPort {
  constructor(private readonly client: ServiceBusClient) {}

  async send(queue: string, message: { messageId: string; body: Buffer; contentType: string }): Promise<void> {
    const sender = this.client.createSender(queue);
    try {
      await sender.sendMessages({ messageId: message.messageId, body: message.body, contentType: message.contentType });
    } finally {
      await sender.close();
    }
  }

  async peek(queue: string, options: { from?: string; max: number; deadLetter?: boolean }): Promise<QueueMessage[]> {
    const receiver = this.client.createReceiver(queue, options.deadLetter ? { subQueueType: "deadLetter" } : {});
    try {
      const { default: Long } = await import("long");
      const from = options.from === undefined ? undefined : Long.fromString(options.from);
      const messages = await receiver.peekMessages(options.max, from === undefined ? {} : { fromSequenceNumber: from });
      return messages.map(toQueueMessage);
    } finally {
      await receiver.close();
    }
  }

  async remove(queue: string, sequenceNumber: string, options: { max: number; deadLetter?: boolean }): Promise<boolean> {
    const receiver = this.client.createReceiver(queue, { receiveMode: "peekLock", ...(options.deadLetter ? { subQueueType: "deadLetter" as const } : {}) });
    try {
      const messages = await receiver.receiveMessages(options.max, { maxWaitTimeInMs: 5000 });
      let removed = false;
      for (const m of messages) {
        if (m.sequenceNumber?.toString() === sequenceNumber) {
          await receiver.completeMessage(m);
          removed = true;
        } else {
          await receiver.abandonMessage(m);
        }
      }
      return removed;
    } finally {
      await receiver.close();
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

function toQueueMessage(m: ServiceBusReceivedMessage): QueueMessage {
  const body: unknown = m.body;
  const text = Buffer.isBuffer(body) ? body.toString("utf8") : typeof body === "string" ? body : JSON.stringify(body);
  return {
    messageId: m.messageId === undefined ? undefined : String(m.messageId),
    sequenceNumber: m.sequenceNumber?.toString() ?? "0",
    enqueuedAt: m.enqueuedTimeUtc,
    body: text,
    deadLetterReason: m.deadLetterReason === undefined ? undefined : `${m.deadLetterReason}${m.deadLetterErrorDescription ? `: ${m.deadLetterErrorDescription}` : ""}`,
  };
}
