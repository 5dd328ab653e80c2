import { Construct } from "constructs";
import { TerraformOutput, TerraformStack } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { ResourceGroup } from "./resource-group";
import { StateStorage } from "./state-storage";
import { useStateBackend } from "./state-backend";
import { protectData } from "./protection";

export interface StateStackProps {
  readonly resourceGroupName: string;
  readonly accountName: string;
  readonly containerName: string;
  readonly location: string;
  readonly principalId: string;
  readonly tags?: Readonly<Record<string, string>>;
  /** Address patterns (`review.allowDelete`) whose resources may be destroyed; everything else holding state is prevent_destroy. @default none */
  readonly allowDelete?: readonly string[];
}

/** `<app>-state`: what the azurerm backend needs, kept on local state since it holds everyone else's. */
export class StateStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: StateStackProps) {
    super(scope, id);
    useStateBackend(this, { backend: "local" }, id);
    // Every stack's state lives here: never destroyed by a stray deploy.
    protectData(this, props.allowDelete);
    new AzurermProvider(this, "azurerm", { features: [{}], storageUseAzuread: true });
    const resourceGroup = new ResourceGroup(this, "resource-group", { name: props.resourceGroupName, location: props.location, tags: props.tags });
    const storage = new StateStorage(this, "state", {
      accountName: props.accountName,
      containerName: props.containerName,
      resourceGroup,
      principalId: props.principalId,
      tags: props.tags,
    });
    new TerraformOutput(this, "resource_group", { value: resourceGroup.name });
    new TerraformOutput(this, "storage_account", { value: storage.account.name });
    new TerraformOutput(this, "container", { value: props.containerName });
  }
}
