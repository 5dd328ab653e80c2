import type { Construct } from "constructs";
import { TerraformData } from "./terraform-data";
import { GeneratedKey } from "./generated-key";
import { AzapiResourceAction } from "./azapi";
import type { FunctionApp } from "./function-app";

/** The Functions host's system key that authorizes calls to the blob trigger's Event Grid webhook. */
export const BLOBS_EXTENSION_KEY_NAME = "blobs_extension";

/** API version of the App Service host-secret call (Web Apps - Create Or Update Host Secret). */
export const WEB_API_VERSION = "2024-11-01";

/**
 * Errors of a host that has not started yet: Resource Manager forwards key calls to the Functions
 * host, and answers with the host's unavailability (or a gateway error) until the container runs.
 */
export const HOST_NOT_READY_ERRORS = ["ServiceUnavailable", "host runtime", "[Hh]ost is not running", "BadGateway", "GatewayTimeout", "InternalServerError", "TooManyRequests"] as const;

export interface BlobsExtensionKeyProps {
  /** How long apply keeps retrying the key call on App Service while the host starts.
   * @default "30m" */
  readonly hostStartTimeout?: string;
}

/**
 * The `blobs_extension` system key, made by Terraform instead of by the host, so the Event Grid
 * webhook URL is known in the same apply that creates the app. The host does not have to start and
 * index the function first (azurerm's host-keys data source returns "" until then). Generated once
 * and kept sensitive as every `GeneratedKey` is.
 */
export class BlobsExtensionKey extends GeneratedKey {
  private readonly hostStartTimeout: string;

  constructor(scope: Construct, id: string, props: BlobsExtensionKeyProps = {}) {
    super(scope, id);
    this.hostStartTimeout = props.hostStartTimeout ?? "30m";
  }

  /**
   * Sets the key on an App Service function app through Resource Manager's host-secret API
   * (`PUT .../sites/{app}/host/default/systemkeys/blobs_extension`, the call behind
   * `az functionapp keys set`). The body is write-only: sent, never stored in state. The host must
   * be running to take it, so the call is retried while the host reports it is not ready, and
   * apply fails with the host's last error after `hostStartTimeout`.
   */
  setOn(app: FunctionApp): AzapiResourceAction {
    return new AzapiResourceAction(this, "function-app", {
      type: `Microsoft.Web/sites@${WEB_API_VERSION}`,
      resourceId: app.resource.id,
      action: `host/default/systemkeys/${BLOBS_EXTENSION_KEY_NAME}`,
      method: "PUT",
      sensitiveBody: { properties: { name: BLOBS_EXTENSION_KEY_NAME, value: this.value } },
      retry: { errorMessageRegex: [...HOST_NOT_READY_ERRORS], intervalSeconds: 15, maxIntervalSeconds: 60 },
      timeouts: { create: this.hostStartTimeout, update: this.hostStartTimeout },
      // A new key is a new request: the write-only body itself is invisible to the plan.
      replaceTriggeredBy: [`${TerraformData.tfResourceType}.${this.data.friendlyUniqueId}`],
    });
  }
}
