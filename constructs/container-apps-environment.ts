import { Construct } from "constructs";
import { MonitorDiagnosticSetting } from "@cdktf/provider-azurerm/lib/monitor-diagnostic-setting";
import { AzapiResource } from "./azapi";
import type { ResourceGroup } from "./resource-group";
import type { Monitoring } from "./monitoring";
import { WORKLOAD_PROFILES } from "../config/hosting";

/** The Microsoft.App API version whose service honours `kind: functionapp` (azapi issue 994). */
export const MICROSOFT_APP_API_VERSION = "2025-02-02-preview";

/** Body paths of a managed environment that cannot change after creation (x-ms-mutability create, read). */
export const NETWORK_REPLACE_PATHS = ["properties.vnetConfiguration.infrastructureSubnetId", "properties.vnetConfiguration.internal"] as const;

export interface ContainerAppsEnvironmentProps {
  readonly name: string;
  readonly resourceGroup: ResourceGroup;
  /** Its logs go to this stack's Log Analytics workspace. */
  readonly monitoring: Monitoring;
  /** Serverless profile types the apps use besides Consumption, e.g. `Consumption-GPU-NC8as-T4`.
   * @default none: Consumption only */
  readonly workloadProfiles?: readonly string[];
  /** Injects the environment into a subnet delegated to Microsoft.App/environments (/27 or larger);
   * `internal` keeps its ingress inside the network and turns public network access off.
   * @default none: Azure-managed network, public ingress */
  readonly network?: { readonly infrastructureSubnetId: string; readonly internal: boolean };
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * A Container Apps environment with workload profiles (serverless GPUs need them). Logs reach the
 * workspace through Azure Monitor and a diagnostic setting, so no workspace shared key is written
 * into the environment's body (the `log-analytics` destination would need one).
 */
export class ContainerAppsEnvironment extends Construct {
  readonly resource: AzapiResource;
  readonly diagnostics: MonitorDiagnosticSetting;

  constructor(scope: Construct, id: string, props: ContainerAppsEnvironmentProps) {
    super(scope, id);
    const types = ["Consumption", ...(props.workloadProfiles ?? []).filter((t) => t !== "Consumption")];
    const { network } = props;
    this.resource = new AzapiResource(this, "environment", {
      type: `Microsoft.App/managedEnvironments@${MICROSOFT_APP_API_VERSION}`,
      name: props.name,
      parentId: props.resourceGroup.resource.id,
      location: props.resourceGroup.location,
      body: {
        properties: {
          appLogsConfiguration: { destination: "azure-monitor" },
          workloadProfiles: [...new Set(types)].map((t) => ({ name: profileName(t), workloadProfileType: t })),
          ...(network
            ? {
                vnetConfiguration: { infrastructureSubnetId: network.infrastructureSubnetId, internal: network.internal },
                // An internal environment must have public network access off (it has no public address anyway).
                publicNetworkAccess: network.internal ? "Disabled" : "Enabled",
              }
            : {}),
        },
      },
      tags: props.tags,
      // Both are create-only: a new subnet or a change of internal replaces the environment and its apps.
      replaceTriggersRefs: network ? [...NETWORK_REPLACE_PATHS] : [],
      // An internal environment's apps resolve only through a private zone for its domain, pointing at its address.
      responseExportValues: network?.internal ? ["properties.defaultDomain", "properties.staticIp"] : [],
    });
    this.diagnostics = new MonitorDiagnosticSetting(this, "logs", {
      name: "to-log-analytics",
      targetResourceId: this.resource.id,
      logAnalyticsWorkspaceId: props.monitoring.workspace.id,
      // Dedicated tables (ContainerAppConsoleLogs, ...) rather than AzureDiagnostics.
      logAnalyticsDestinationType: "Dedicated",
      enabledLog: [{ categoryGroup: "allLogs" }],
      enabledMetric: [{ category: "AllMetrics" }],
    });
  }

  get id(): string {
    return this.resource.id;
  }

  /** The domain its apps' FQDNs end in (`<unique>.<region>.azurecontainerapps.io`); exported for internal environments only. */
  get defaultDomain(): string {
    return this.resource.output("properties.defaultDomain");
  }

  /** The environment's load balancer address: private for an internal environment; exported for internal environments only. */
  get staticIp(): string {
    return this.resource.output("properties.staticIp");
  }
}

/** The name a profile type gets in the environment, which apps pin by `workloadProfileName`. */
export function profileName(type: string): string {
  return WORKLOAD_PROFILES[type]?.name ?? type;
}
