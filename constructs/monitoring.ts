import { Construct } from "constructs";
import { LogAnalyticsWorkspace } from "@cdktf/provider-azurerm/lib/log-analytics-workspace";
import { ApplicationInsights } from "@cdktf/provider-azurerm/lib/application-insights";
import type { ResourceGroup } from "./resource-group";
import type { ManagedIdentity } from "./identity";

export interface MonitoringProps {
  readonly workspaceName: string;
  readonly appInsightsName: string;
  readonly resourceGroup: ResourceGroup;
  /** Identity that sends telemetry; it gets Monitoring Metrics Publisher, since key-based ingestion is off. */
  readonly publisher: ManagedIdentity;
  readonly tags?: Readonly<Record<string, string>>;
  /** Days of log retention.
   * @default 30 */
  readonly retentionInDays?: number;
}

/** A Log Analytics workspace and the workspace-based Application Insights the app reports to. */
export class Monitoring extends Construct {
  readonly workspace: LogAnalyticsWorkspace;
  readonly appInsights: ApplicationInsights;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const retentionInDays = props.retentionInDays ?? 30;
    this.workspace = new LogAnalyticsWorkspace(this, "workspace", {
      name: props.workspaceName,
      resourceGroupName: props.resourceGroup.name,
      location: props.resourceGroup.location,
      sku: "PerGB2018",
      retentionInDays,
      tags: { ...props.tags },
    });
    this.appInsights = new ApplicationInsights(this, "app-insights", {
      name: props.appInsightsName,
      resourceGroupName: props.resourceGroup.name,
      location: props.resourceGroup.location,
      applicationType: "other",
      workspaceId: this.workspace.id,
      // Telemetry must authenticate with Entra ID; the instrumentation key alone is not enough.
      localAuthenticationDisabled: true,
      retentionInDays,
      tags: { ...props.tags },
    });
    props.publisher.grant(this, "metrics-publisher", "Monitoring Metrics Publisher", this.appInsights.id);
  }

  get connectionString(): string {
    return this.appInsights.connectionString;
  }
}
