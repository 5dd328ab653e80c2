/**
 * A small typed binding for the azapi provider: its provider block, `azapi_resource` and
 * `azapi_resource_action`. cdktf has no prebuilt azapi binding, and only these are needed for what
 * azurerm cannot express (a container app of `kind: functionapp`, a Functions host key, an Event
 * Grid subscription that retries its webhook handshake). Arguments as documented for azapi 2.x
 * (registry.terraform.io/providers/Azure/azapi/latest/docs/resources/resource).
 */
import { Construct } from "constructs";
import { TerraformProvider, TerraformResource, type ITerraformDependable } from "cdktf";

/** The pinned provider release: 2.x takes `body` as an object (1.x took a JSON string). */
export const AZAPI_PROVIDER_VERSION = "2.11.0";
const GENERATOR = { providerName: "azapi", providerVersion: AZAPI_PROVIDER_VERSION };

/** A JSON value of a request body; strings may hold Terraform references. */
export type AzapiBodyValue = string | number | boolean | null | readonly AzapiBodyValue[] | { readonly [key: string]: AzapiBodyValue | undefined };
export type AzapiBody = { readonly [key: string]: AzapiBodyValue | undefined };

/** The `azapi` provider block, pinned to {@link AZAPI_PROVIDER_VERSION}; it authenticates as azurerm does. */
export class AzapiProvider extends TerraformProvider {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      terraformResourceType: "azapi",
      terraformGeneratorMetadata: GENERATOR,
      terraformProviderSource: "Azure/azapi",
    });
  }

  protected synthesizeAttributes(): { [name: string]: unknown } {
    return {};
  }
}

export interface AzapiIdentity {
  readonly type: "SystemAssigned" | "UserAssigned" | "SystemAssigned, UserAssigned" | "None";
  readonly identityIds?: readonly string[];
}

/** Arguments `azapi_resource` and `azapi_resource_action` share. */
export interface AzapiRequestProps {
  /** Retry a failed create, update or read whose error matches one of these. @default no retry beyond azapi's own for throttling */
  readonly retry?: AzapiRetry;
  /** Longest create, update, read or delete, e.g. "30m". @default azapi's (30 minutes) */
  readonly timeouts?: AzapiTimeouts;
  readonly dependsOn?: ITerraformDependable[];
}

export interface AzapiResourceProps extends AzapiRequestProps {
  /** `<resource type>@<api version>`, e.g. `Microsoft.App/containerApps@2025-02-02-preview`. */
  readonly type: string;
  readonly name: string;
  /** Resource group (or parent resource) id. */
  readonly parentId: string;
  readonly location?: string;
  /** The ARM request body less `location`, `tags` and `identity`, which are arguments here. */
  readonly body: AzapiBody;
  readonly identity?: AzapiIdentity;
  readonly tags?: Readonly<Record<string, string>>;
  /** Body paths (JMESPath) whose change replaces the resource, for create-only properties. */
  readonly replaceTriggersRefs?: readonly string[];
  /** Response paths copied into `output`, for read-only values such as an FQDN. */
  readonly responseExportValues?: readonly string[];
  /** Validation of `type` and `body` against the provider's embedded schema.
   * @default true */
  readonly schemaValidationEnabled?: boolean;
  readonly provider?: TerraformProvider;
}

/** azapi's `retry` argument: regular expressions of error messages to retry on, and the pace. */
export interface AzapiRetry {
  readonly errorMessageRegex: readonly string[];
  /** @default 10 */
  readonly intervalSeconds?: number;
  /** @default 180 */
  readonly maxIntervalSeconds?: number;
}

export interface AzapiTimeouts {
  readonly create?: string;
  readonly update?: string;
  readonly read?: string;
  readonly delete?: string;
}

function requestAttributes({ retry: r, timeouts }: AzapiRequestProps): { [name: string]: unknown } {
  const retry = r === undefined ? undefined : { error_message_regex: r.errorMessageRegex, interval_seconds: r.intervalSeconds, max_interval_seconds: r.maxIntervalSeconds };
  return { retry, timeouts };
}

/** `azapi_resource`: any ARM resource by type, API version and body. */
export class AzapiResource extends TerraformResource {
  static readonly tfResourceType = "azapi_resource";
  private readonly props: AzapiResourceProps;

  constructor(scope: Construct, id: string, props: AzapiResourceProps) {
    super(scope, id, {
      terraformResourceType: AzapiResource.tfResourceType,
      terraformGeneratorMetadata: GENERATOR,
      dependsOn: props.dependsOn,
      provider: props.provider,
    });
    this.props = props;
  }

  /** The resource id. */
  get id(): string {
    return this.getStringAttribute("id");
  }

  get name(): string {
    return this.getStringAttribute("name");
  }

  /** A value exported with `responseExportValues`, by its dotted response path. */
  output(path: string): string {
    return this.getStringAttribute(`output.${path}`);
  }

  protected synthesizeAttributes(): { [name: string]: unknown } {
    const p = this.props;
    return {
      type: p.type,
      name: p.name,
      parent_id: p.parentId,
      location: p.location,
      body: p.body,
      identity: p.identity === undefined ? undefined : [{ type: p.identity.type, identity_ids: p.identity.identityIds }],
      tags: p.tags === undefined ? undefined : { ...p.tags },
      replace_triggers_refs: p.replaceTriggersRefs,
      response_export_values: p.responseExportValues,
      schema_validation_enabled: p.schemaValidationEnabled,
      ...requestAttributes(p),
    };
  }
}

export interface AzapiResourceActionProps extends AzapiRequestProps {
  /** `<resource type>@<api version>` of `resourceId`. */
  readonly type: string;
  readonly resourceId: string;
  /** Path appended to the resource id, e.g. `host/default/systemkeys/<name>`. */
  readonly action: string;
  /** @default "POST" */
  readonly method?: "POST" | "PUT" | "PATCH" | "GET" | "DELETE" | "HEAD";
  readonly body?: AzapiBody;
  /** Write-only body parts: sent with the request, never stored in state or shown in plans. */
  readonly sensitiveBody?: AzapiBody;
  /** Addresses (`<type>.<name>`) of resources whose replacement makes the request again (Terraform
   * cannot see a write-only body change). Plain addresses: in JSON, `replace_triggered_by` items are
   * expressions, and a `${...}` string is rejected. */
  readonly replaceTriggeredBy?: readonly string[];
}

/** `azapi_resource_action`: one ARM request on an existing resource, made at apply. */
export class AzapiResourceAction extends TerraformResource {
  static readonly tfResourceType = "azapi_resource_action";
  private readonly props: AzapiResourceActionProps;

  constructor(scope: Construct, id: string, props: AzapiResourceActionProps) {
    super(scope, id, {
      terraformResourceType: AzapiResourceAction.tfResourceType,
      terraformGeneratorMetadata: GENERATOR,
      dependsOn: props.dependsOn,
      lifecycle: props.replaceTriggeredBy === undefined ? undefined : { replaceTriggeredBy: [...props.replaceTriggeredBy] },
    });
    this.props = props;
  }

  protected synthesizeAttributes(): { [name: string]: unknown } {
    const p = this.props;
    return {
      type: p.type,
      resource_id: p.resourceId,
      action: p.action,
      method: p.method,
      body: p.body,
      sensitive_body: p.sensitiveBody,
      ...requestAttributes(p),
    };
  }
}
