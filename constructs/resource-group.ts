import { Construct } from "constructs";
import { ResourceGroup as AzResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";

export interface ResourceGroupProps {
  readonly name: string;
  readonly location: string;
  readonly tags?: Readonly<Record<string, string>>;
}

/** The resource group that holds one environment's resources. */
export class ResourceGroup extends Construct {
  readonly resource: AzResourceGroup;

  constructor(scope: Construct, id: string, props: ResourceGroupProps) {
    super(scope, id);
    this.resource = new AzResourceGroup(this, "group", { name: props.name, location: props.location, tags: { ...props.tags } });
  }

  get name(): string {
    return this.resource.name;
  }

  get location(): string {
    return this.resource.location;
  }
}
