import { Construct } from "constructs";
import { Fn, ITerraformDependable } from "cdktf";
import { LinuxFunctionApp } from "@cdktf/provider-azurerm/lib/linux-function-app";
import type { ResourceGroup } from "./resource-group";
import type { ServicePlan } from "./service-plan";
import type { ManagedIdentity } from "./identity";
import type { RunnableImage } from "./environment-image";
import type { StorageAccount } from "./storage";
import type { Monitoring } from "./monitoring";
import { PLATFORM_SETTING_PREFIXES, checkAppSettings } from "./app-settings";
import { HOST_IDENTITY_SETTINGS } from "./connections";
import type { PrivateNetwork } from "./private-network";

export interface FunctionAppProps {
  readonly name: string;
  readonly resourceGroup: ResourceGroup;
  readonly plan: ServicePlan;
  /** Identity that pulls the image and reaches storage, Service Bus and App Insights; it must
   * already hold its roles: the app waits for every assignment made through it and for their propagation. */
  readonly identity: ManagedIdentity;
  /** The image, run by digest. */
  readonly image: RunnableImage;
  /** The Functions host's own storage (AzureWebJobsStorage), reached by identity. */
  readonly hostStorage: StorageAccount;
  readonly monitoring: Monitoring;
  /** Longest run of one invocation, as hh:mm:ss.
   * @default "01:00:00" on Elastic Premium (its guaranteed ceiling), "02:00:00" on Dedicated (unbounded there, so a stuck run still frees its worker) */
  readonly functionTimeout?: string;
  /** Extra app settings, such as the trigger connections. Refused: a name the platform or this
   * construct owns (any case), a name outside letters, digits, `_`, `.`, `-`, and a literal secret. */
  readonly appSettings?: Readonly<Record<string, string>>;
  /** Sends all outbound traffic, the image pull included, through the network's app subnet, waits
   * for its private endpoints, and with inbound private turns the public address off.
   * @default none: public outbound and inbound */
  readonly network?: PrivateNetwork;
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * A Linux function app running the model image. Secure defaults: HTTPS only, TLS 1.2, FTPS and
 * basic-auth publishing off, remote debugging off, image pulled and storage reached by identity.
 */
export class FunctionApp extends Construct {
  readonly resource: LinuxFunctionApp;

  constructor(scope: Construct, id: string, props: FunctionAppProps) {
    super(scope, id);
    const { identity, plan } = props;
    const { image, network } = props;
    const functionTimeout = props.functionTimeout ?? (plan.isElasticPremium ? "01:00:00" : "02:00:00");
    const ownSettings = {
      // The image holds the code; mounting the shared /home storage would hide it.
      WEBSITES_ENABLE_APP_SERVICE_STORAGE: "false",
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `ClientId=${identity.clientId};Authorization=AAD`,
      // host.json's functionTimeout, set here so one image serves every plan.
      AzureFunctionsJobHost__functionTimeout: functionTimeout,
    };
    checkAppSettings(`FunctionApp ${id}`, props.appSettings, { names: Object.keys(ownSettings), prefixes: PLATFORM_SETTING_PREFIXES, allowed: HOST_IDENTITY_SETTINGS });
    // Storage, registry and Service Bus answer only through their endpoints: the host must not start before they resolve.
    const dependsOn: ITerraformDependable[] = [...identity.grantsReady, ...image.ready, ...(network?.ready ?? [])];
    this.resource = new LinuxFunctionApp(this, "app", {
      name: props.name,
      resourceGroupName: props.resourceGroup.name,
      location: props.resourceGroup.location,
      servicePlanId: plan.id,
      storageAccountName: props.hostStorage.name,
      storageUsesManagedIdentity: true,
      functionsExtensionVersion: "~4",
      httpsOnly: true,
      // The Dashboard log needs a storage key; Application Insights replaces it.
      builtinLoggingEnabled: false,
      ftpPublishBasicAuthenticationEnabled: false,
      webdeployPublishBasicAuthenticationEnabled: false,
      identity: { type: "UserAssigned", identityIds: [identity.id] },
      keyVaultReferenceIdentityId: identity.id,
      ...(network
        ? {
            virtualNetworkSubnetId: network.appSubnetId,
            // The registry is private: the pull must leave through the subnet too.
            vnetImagePullEnabled: true,
            ...(network.inbound === "private" ? { publicNetworkAccessEnabled: false } : {}),
          }
        : {}),
      appSettings: { ...ownSettings, ...props.appSettings },
      siteConfig: {
        applicationStack: {
          // azurerm writes LinuxFxVersion as DOCKER|<registry>/<image_name>:<image_tag> and reads it back by
          // splitting at the one ":" (helpers/function_app_schema.go, fx_strings.go), so the digest's
          // "sha256:<hex>" splits across the two: DOCKER|<registry>/<repository>@sha256:<hex>.
          docker: [{ registryUrl: `https://${image.loginServer}`, imageName: `${image.repository}@sha256`, imageTag: Fn.trimprefix(image.digest, "sha256:") }],
        },
        containerRegistryUseManagedIdentity: true,
        containerRegistryManagedIdentityClientId: identity.clientId,
        applicationInsightsConnectionString: props.monitoring.connectionString,
        // Elastic Premium keeps instances warm by itself and rejects always-on.
        alwaysOn: plan.isElasticPremium ? undefined : true,
        minimumTlsVersion: "1.2",
        scmMinimumTlsVersion: "1.2",
        ftpsState: "Disabled",
        http2Enabled: true,
        remoteDebuggingEnabled: false,
        ...(network
          ? {
              vnetRouteAllEnabled: true,
              // Elastic Premium's scale controller cannot see private trigger sources; the runtime reports their load instead.
              ...(plan.isElasticPremium ? { runtimeScaleMonitoringEnabled: true } : {}),
            }
          : {}),
      },
      tags: { ...props.tags },
      // The first image pull and host start need every role in place (AcrPull above all) and the image in its registry.
      dependsOn,
    });
  }

  get name(): string {
    return this.resource.name;
  }

  get defaultHostname(): string {
    return this.resource.defaultHostname;
  }
}
