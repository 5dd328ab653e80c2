/**
 * mlfunc as a construct library: `import { MlfuncStack, FunctionApp, … } from "mlfunc"`. cdktf,
 * constructs and the provider packages are peer dependencies, so an app loads one copy of each.
 */
export { MlfuncStack, type MlfuncStackProps, type HostedApp } from "./constructs/mlfunc-stack";
export { ResourceGroup, type ResourceGroupProps } from "./constructs/resource-group";
export { ManagedIdentity, type ManagedIdentityProps } from "./constructs/identity";
export { Monitoring, type MonitoringProps } from "./constructs/monitoring";
export { Registry, type RegistryProps } from "./constructs/registry";
export { FunctionImage, type FunctionImageProps } from "./constructs/function-image";
export { ImageStack, IMAGE_OUTPUTS, type ImageStackProps } from "./constructs/image-stack";
export { EnvironmentImage, type EnvironmentImageProps, type RunnableImage } from "./constructs/environment-image";
export { StorageAccount, type StorageAccountProps } from "./constructs/storage";
export { ServiceBus, type ServiceBusProps } from "./constructs/service-bus";
export { ServicePlan, type ServicePlanProps } from "./constructs/service-plan";
export { IdentityConnections, CONNECTIONS, type IdentityConnectionsProps } from "./constructs/connections";
export { FunctionApp, type FunctionAppProps } from "./constructs/function-app";
export { ContainerAppsEnvironment, type ContainerAppsEnvironmentProps } from "./constructs/container-apps-environment";
export { ContainerApp, type ContainerAppProps } from "./constructs/container-app";
export { CustomRole, type CustomRoleProps } from "./constructs/role-definition";
export { SmokeTesters, type SmokeTestersProps } from "./constructs/smoke-testers";
export { AzapiProvider, AzapiResource, AzapiResourceAction, type AzapiResourceProps, type AzapiResourceActionProps, type AzapiBody } from "./constructs/azapi";
export { TerraformData, type TerraformDataProps } from "./constructs/terraform-data";
export { BlobEvents, type BlobEventsProps } from "./constructs/event-grid";
export { BlobsExtensionKey, type BlobsExtensionKeyProps } from "./constructs/blobs-extension-key";
export { GeneratedKey } from "./constructs/generated-key";
export { PrivateNetwork, type PrivateNetworkProps, type ConnectProps } from "./constructs/private-network";
export { VirtualNetwork, DELEGATION_ACTIONS, type VirtualNetworkProps, type SubnetDelegation } from "./constructs/virtual-network";
export { PrivateEndpoint, type PrivateEndpointProps } from "./constructs/private-endpoint";
export { PrivateDnsZone, type PrivateDnsZoneProps } from "./constructs/private-dns-zone";
export { StateStorage, type StateStorageProps } from "./constructs/state-storage";
export { StateStack, type StateStackProps } from "./constructs/state-stack";
export { useStateBackend } from "./constructs/state-backend";
export { idPart } from "./constructs/construct-id";

export { loadDeployment, parseDeployment, projectPaths, deploymentFile, type Deployment, type EnvironmentDeployment, type NetworkDeployment } from "./config/load";
export { PRIVATE_DNS_ZONES, type Inbound, type ZoneKey } from "./config/network";
export { DeploymentError, type Problem } from "./config/problems";
export { resourceNames, stateStorageNames, imageStackName, imageStackNames, type ResourceNames, type NameOverrides } from "./config/naming";
export type { DeploymentFile, DeploymentInput, FunctionConfig, TriggerConfig, EnvironmentConfig, PlanConfig, StateConfig } from "./config/schema";
export { buildContext, writeBuildContext, pruneBuildContexts, type BuildContext, type ContextFile } from "./build-context/generate";

export { buildApp, checkApp, formatAnnotation, type SynthOptions, type Annotation } from "./main";
export { enforcePolicy, suppress, evaluateStack, evaluateOutdir, RULES, PolicyAspect, type PolicyAspectOptions, type PolicyReport, type PolicyRule } from "./policy";
export type { FailOn } from "./review/types";
