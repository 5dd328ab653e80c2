import { Construct } from "constructs";
import { TerraformOutput, TerraformStack } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { DockerProvider } from "@cdktf/provider-docker/lib/provider";
import type { EnvironmentDeployment } from "../config/load";
import type { FunctionConfig, StateConfig } from "../config/schema";
import { parseBlobPath } from "../config/rules";
import { ResourceGroup } from "./resource-group";
import { ManagedIdentity } from "./identity";
import { Monitoring } from "./monitoring";
import { Registry } from "./registry";
import { FunctionImage } from "./function-image";
import { StorageAccount } from "./storage";
import { ServiceBus } from "./service-bus";
import { ServicePlan } from "./service-plan";
import { IdentityConnections } from "./connections";
import { FunctionApp } from "./function-app";
import { useStateBackend } from "./state-backend";
import { SmokeTesters } from "./smoke-testers";

export interface MlfuncStackProps {
  readonly environment: EnvironmentDeployment;
  readonly functions: readonly FunctionConfig[];
  /** The generated image build context and its content hash. */
  readonly buildContext: { readonly dir: string; readonly hash: string };
  /** @default local state in the stack folder */
  readonly state?: StateConfig;
}

/** One environment of a model-serving function app. Composes constructs; holds no settings of its own. */
export class MlfuncStack extends TerraformStack {
  readonly functionApp: FunctionApp;

  constructor(scope: Construct, id: string, props: MlfuncStackProps) {
    super(scope, id);
    const { environment: env, functions } = props;
    const { names, tags } = env;
    useStateBackend(this, props.state ?? { backend: "local" }, env.stackName);

    // Storage data-plane calls use Entra ID, since the accounts have shared keys off.
    new AzurermProvider(this, "azurerm", { features: [{}], storageUseAzuread: true });
    new DockerProvider(this, "docker", {});

    const resourceGroup = new ResourceGroup(this, "resource-group", { name: names.resourceGroup, location: env.location, tags });
    const identity = new ManagedIdentity(this, "identity", { name: names.identity, resourceGroup, tags });
    const monitoring = new Monitoring(this, "monitoring", {
      workspaceName: names.logAnalytics,
      appInsightsName: names.appInsights,
      resourceGroup,
      publisher: identity,
      tags,
    });

    const registry = new Registry(this, "registry", {
      name: names.registry,
      resourceGroup,
      repository: names.repository,
      pushTokenName: names.registryToken,
      sku: env.registrySku,
      tags,
    });
    registry.grantPull(identity);
    const image = new FunctionImage(this, "image", { contextDir: props.buildContext.dir, contentHash: props.buildContext.hash, registry });

    const hostStorage = new StorageAccount(this, "host-storage", { name: names.hostStorageAccount, resourceGroup, tags });
    const blobTriggers = functions.flatMap((f) => (f.trigger.type === "blob" ? [f.trigger] : []));
    const containers = blobTriggers.flatMap((t) => [parseBlobPath(t.inputPath).container, parseBlobPath(t.outputPath).container]);
    const dataStorage =
      blobTriggers.length > 0 ? new StorageAccount(this, "data-storage", { name: names.dataStorageAccount, resourceGroup, containers, tags }) : undefined;

    const busTriggers = functions.flatMap((f) => (f.trigger.type === "serviceBus" ? [f.trigger] : []));
    const queues = busTriggers.flatMap((t) => (t.outputQueue === undefined ? [t.queue] : [t.queue, t.outputQueue]));
    const serviceBus =
      busTriggers.length > 0
        ? new ServiceBus(this, "service-bus", { name: names.serviceBusNamespace, resourceGroup, queues, sku: env.serviceBusSku, tags })
        : undefined;

    const connections = new IdentityConnections(this, "connections", { identity, functions, hostStorage, dataStorage, serviceBus });
    const plan = new ServicePlan(this, "service-plan", {
      name: names.servicePlan,
      resourceGroup,
      sku: env.plan.sku,
      minInstances: env.plan.minInstances,
      maxInstances: env.plan.maxInstances,
      tags,
    });
    this.functionApp = new FunctionApp(this, "function-app", {
      name: names.functionApp,
      resourceGroup,
      plan,
      identity,
      registry,
      image,
      hostStorage,
      monitoring,
      appSettings: connections.appSettings,
      tags,
    });

    if (env.smokeTesters.length > 0) {
      new SmokeTesters(this, "smoke-testers", { principals: env.smokeTesters, functions, dataStorage, serviceBus, functionAppId: this.functionApp.resource.id });
    }

    const httpEndpoints = Object.fromEntries(
      functions.filter((f) => f.trigger.type === "http").map((f) => [f.name, `https://${this.functionApp.defaultHostname}/api/${f.name}`]),
    );
    new TerraformOutput(this, "function_app_name", { value: this.functionApp.name });
    new TerraformOutput(this, "function_app_hostname", { value: this.functionApp.defaultHostname });
    new TerraformOutput(this, "http_endpoints", { value: httpEndpoints });
    new TerraformOutput(this, "registry_login_server", { value: registry.loginServer });
    new TerraformOutput(this, "image_reference", { value: image.reference });
    if (dataStorage) {
      new TerraformOutput(this, "trigger_storage_account", { value: dataStorage.name });
      new TerraformOutput(this, "trigger_containers", { value: [...dataStorage.containers.keys()] });
    }
    if (serviceBus) {
      new TerraformOutput(this, "service_bus_namespace", { value: serviceBus.namespace.name });
      new TerraformOutput(this, "service_bus_queues", { value: [...serviceBus.queues.keys()] });
    }
  }
}
