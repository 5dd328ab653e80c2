import { AzurermBackend, CloudBackend, LocalBackend, NamedCloudWorkspace, type TerraformBackend, TerraformStack } from "cdktf";
import type { StateConfig } from "../config/schema";

/**
 * Points a stack's state at the configured backend. Backends live outside the construct tree's
 * resources, so switching one never changes a resource's logical id.
 */
export function useStateBackend(stack: TerraformStack, state: StateConfig, stackName: string): TerraformBackend {
  switch (state.backend) {
    case "local":
      // At the project root (cdktf.out/stacks/<stack> is three levels down), so deleting cdktf.out
      // never deletes state; relative, so the JSON holds no path of this machine.
      return new LocalBackend(stack, { path: `../../../terraform.${stackName}.tfstate` });
    case "azurerm":
      return new AzurermBackend(stack, {
        resourceGroupName: state.resourceGroup,
        storageAccountName: state.storageAccount,
        containerName: state.container,
        key: `${state.keyPrefix ?? ""}${stackName}.tfstate`,
        // Entra ID for the state blob: no storage key. Subscription and tenant come from ARM_* variables.
        useAzureadAuth: true,
      });
    case "remote":
      return new CloudBackend(stack, {
        hostname: state.hostname,
        organization: state.organization,
        workspaces: new NamedCloudWorkspace(state.workspaces.replace(/\{stack\}/g, stackName)),
      });
  }
}
