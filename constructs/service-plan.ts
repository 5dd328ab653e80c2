import { Construct } from "constructs";
import { ServicePlan as AzServicePlan } from "@cdktf/provider-azurerm/lib/service-plan";
import type { ResourceGroup } from "./resource-group";
import { planKind } from "../config/hosting";

export interface ServicePlanProps {
  readonly name: string;
  readonly resourceGroup: ResourceGroup;
  /** EP1-EP3 (Elastic Premium) or a Dedicated Linux SKU; containers cannot run on Y1 or FC1.
   * @default "B1" */
  readonly sku?: string;
  /** Premium: always-ready instances; Dedicated: the instance count.
   * @default 1 */
  readonly minInstances?: number;
  /** Premium only: the scale-out ceiling.
   * @default 3 */
  readonly maxInstances?: number;
  readonly tags?: Readonly<Record<string, string>>;
}

/** The Linux App Service plan the function app runs on. */
export class ServicePlan extends Construct {
  readonly resource: AzServicePlan;
  readonly sku: string;
  /** Elastic Premium plans scale by events and do not support always-on. */
  readonly isElasticPremium: boolean;

  constructor(scope: Construct, id: string, props: ServicePlanProps) {
    super(scope, id);
    this.sku = props.sku ?? "B1";
    this.isElasticPremium = planKind(this.sku) === "premium";
    this.resource = new AzServicePlan(this, "plan", {
      name: props.name,
      resourceGroupName: props.resourceGroup.name,
      location: props.resourceGroup.location,
      osType: "Linux",
      skuName: this.sku,
      workerCount: props.minInstances ?? 1,
      ...(this.isElasticPremium ? { maximumElasticWorkerCount: props.maxInstances ?? 3 } : {}),
      tags: { ...props.tags },
    });
  }

  get id(): string {
    return this.resource.id;
  }
}
