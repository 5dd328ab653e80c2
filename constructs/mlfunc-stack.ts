import { Construct } from "constructs";
import { Annotations, type ITerraformDependable, TerraformOutput, TerraformStack } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import type { EnvironmentDeployment } from "../config/load";
import type { FunctionConfig, StateConfig } from "../config/schema";
import { parseBlobPath } from "../config/rules";
import { ResourceGroup } from "./resource-group";
import { ManagedIdentity } from "./identity";
import { Monitoring } from "./monitoring";
import { Registry } from "./registry";
import { EnvironmentImage } from "./environment-image";
import type { ImageStack } from "./image-stack";
import { StorageAccount } from "./storage";
import { ServiceBus } from "./service-bus";
import { ServicePlan } from "./service-plan";
import { CONNECTIONS, IdentityConnections } from "./connections";
import { FunctionApp } from "./function-app";
import { PLATFORM_SETTING_PREFIXES, checkAppSettings } from "./app-settings";
import { useStateBackend } from "./state-backend";
import { AzapiProvider } from "./azapi";
import { ContainerAppsEnvironment } from "./container-apps-environment";
import { ContainerApp } from "./container-app";
import { containerAppsWarnings } from "../config/hosting";
import { SmokeTesters } from "./smoke-testers";
import { protectData } from "./protection";
import { BLOBS_EXTENSION_KEY_NAME, BlobsExtensionKey } from "./blobs-extension-key";
import { BlobEvents } from "./event-grid";
import { DEAD_LETTER_CONTAINER } from "../config/naming";
import { PrivateNetwork } from "./private-network";
import { premiumCostNote } from "../config/network";

export interface MlfuncStackProps {
  readonly environment: EnvironmentDeployment;
  readonly functions: readonly FunctionConfig[];
  /** The stack that builds the image; this stack runs its digest and deploys after it. */
  readonly image: ImageStack;
  /** @default local state in the stack folder */
  readonly state?: StateConfig;
  /** App settings added to the function app's own. Refused: any name mlfunc or the platform owns
   * (compared trimmed and case-insensitively, prefixes included), a name outside letters, digits,
   * `_`, `.`, `-`, and a literal secret in a value. @default none */
  readonly appSettings?: Readonly<Record<string, string>>;
  /** Tags added to every resource, over the deployment file's. @default none */
  readonly tags?: Readonly<Record<string, string>>;
  /** Data-holding resources (storage, registry, Service Bus) carry lifecycle.prevent_destroy.
   * @default the environment's `protect` (true unless the deployment file says false) */
  readonly protect?: boolean;
  /** Address patterns (`review.allowDelete`) whose resources may be destroyed: no prevent_destroy on them. @default none */
  readonly allowDelete?: readonly string[];
}

/**
 * The app that serves the functions, whichever hosting runs it: what a platform team's code needs
 * (name, hostname, Azure resource id, the construct to attach things to) without checking the hosting
 * first. `hosting` tells the two apart, and narrows `construct` to FunctionApp or ContainerApp.
 */
export type HostedApp =
  | { readonly hosting: "appService"; readonly name: string; readonly hostname: string; readonly id: string; readonly construct: FunctionApp }
  | { readonly hosting: "containerApps"; readonly name: string; readonly hostname: string; readonly id: string; readonly construct: ContainerApp };

/** One environment of a model-serving function app. Composes constructs; holds no settings of its own. */
export class MlfuncStack extends TerraformStack {
  readonly resourceGroup: ResourceGroup;
  readonly identity: ManagedIdentity;
  readonly monitoring: Monitoring;
  /** The environment's own registry (registry: own), which receives the image by import. */
  readonly registry?: Registry;
  /** The image stack's digest, as this environment runs it. */
  readonly image: EnvironmentImage;
  /** The Functions host's own storage (AzureWebJobsStorage). */
  readonly hostStorage: StorageAccount;
  /** The blob triggers' storage, when a function has a blob trigger. */
  readonly dataStorage?: StorageAccount;
  /** When a function has a Service Bus trigger. */
  readonly serviceBus?: ServiceBus;
  /** Trigger app settings and the roles each trigger needs. */
  readonly connections: IdentityConnections;
  /** The App Service plan (hosting: appService). */
  readonly plan?: ServicePlan;
  /** The app on Azure Container Apps (hosting: containerApps). */
  readonly containerApp?: ContainerApp;
  /** The Container Apps environment the app runs in (hosting: containerApps). */
  readonly containerAppsEnvironment?: ContainerAppsEnvironment;
  /** The app on an App Service plan (hosting: appService). */
  readonly functionApp?: FunctionApp;
  /** The app under either hosting. */
  readonly hostedApp: HostedApp;
  /** Event Grid for blob triggers with source: eventGrid. */
  readonly blobEvents?: BlobEvents;
  /** The virtual network, zones and private endpoints of a networked environment. */
  readonly network?: PrivateNetwork;

  constructor(scope: Construct, id: string, props: MlfuncStackProps) {
    super(scope, id);
    const { environment: env, functions } = props;
    const { names } = env;
    const tags = { ...env.tags, ...props.tags };
    useStateBackend(this, props.state ?? { backend: "local" }, env.stackName);
    if (props.protect ?? env.protect) protectData(this, props.allowDelete);

    // Storage data-plane calls use Entra ID, since the accounts have shared keys off. Behind a network
    // the runner may not reach the data plane at all: the provider then manages storage through Resource Manager only.
    const features = env.network ? { storage: [{ dataPlaneAvailable: false }] } : {};
    new AzurermProvider(this, "azurerm", { features: [features], storageUseAzuread: true });
    this.addDependency(props.image);

    const resourceGroup = new ResourceGroup(this, "resource-group", { name: names.resourceGroup, location: env.location, tags });
    const identity = new ManagedIdentity(this, "identity", { name: names.identity, resourceGroup, tags });
    const monitoring = new Monitoring(this, "monitoring", {
      workspaceName: names.logAnalytics,
      appInsightsName: names.appInsights,
      resourceGroup,
      publisher: identity,
      tags,
    });

    const onContainerApps = env.hosting === "containerApps" && env.containerApps !== undefined;
    const publicNetworkAccess = env.network === undefined;
    let registry: Registry | undefined;
    if (env.registry === "own") {
      registry = new Registry(this, "registry", {
        name: names.registry,
        resourceGroup,
        repository: names.repository,
        sku: env.registrySku,
        publicNetworkAccess,
        tags,
      });
      registry.grantPull(identity);
    }
    const image = new EnvironmentImage(this, "image", { source: props.image, identity, ownRegistry: registry });

    const hostStorage = new StorageAccount(this, "host-storage", { name: names.hostStorageAccount, resourceGroup, publicNetworkAccess, tags });
    const blobTriggers = functions.flatMap((f) => (f.trigger.type === "blob" ? [f.trigger] : []));
    const eventGridFunctions = functions.flatMap((f) => (f.trigger.type === "blob" && f.trigger.source === "eventGrid" ? [{ name: f.name, inputPath: f.trigger.inputPath }] : []));
    const containers = [
      ...blobTriggers.flatMap((t) => [parseBlobPath(t.inputPath).container, parseBlobPath(t.outputPath).container]),
      ...(eventGridFunctions.length > 0 ? [DEAD_LETTER_CONTAINER] : []),
    ];
    const dataStorage =
      blobTriggers.length > 0 ? new StorageAccount(this, "data-storage", { name: names.dataStorageAccount, resourceGroup, containers, publicNetworkAccess, tags }) : undefined;

    const busTriggers = functions.flatMap((f) => (f.trigger.type === "serviceBus" ? [f.trigger] : []));
    const queues = busTriggers.flatMap((t) => (t.outputQueue === undefined ? [t.queue] : [t.queue, t.outputQueue]));
    const serviceBus =
      busTriggers.length > 0
        ? new ServiceBus(this, "service-bus", { name: names.serviceBusNamespace, resourceGroup, queues, sku: env.serviceBusSku, publicNetworkAccess, tags })
        : undefined;

    let network: PrivateNetwork | undefined;
    if (env.network) {
      network = new PrivateNetwork(this, "network", {
        network: env.network,
        resourceGroup,
        virtualNetworkName: names.virtualNetwork,
        delegation: onContainerApps ? "Microsoft.App/environments" : "Microsoft.Web/serverFarms",
        tags,
      });
      // Host storage: blob (keys, leases), queue (blob-trigger dispatch), table (diagnostic events). No
      // file endpoint: an identity-based container app has no content share.
      for (const sub of ["blob", "queue", "table"] as const) {
        network.connect(`host-storage-${sub}`, { targetName: names.hostStorageAccount, targetId: hostStorage.id, subresource: sub, zone: sub });
      }
      if (dataStorage) {
        // The trigger connection names both service URIs: blobs, and the poison-blob queue.
        for (const sub of ["blob", "queue"] as const) {
          network.connect(`data-storage-${sub}`, { targetName: names.dataStorageAccount, targetId: dataStorage.id, subresource: sub, zone: sub });
        }
      }
      // Validation keeps a networked environment on its own registry (registry: own).
      if (registry) network.connect("registry", { targetName: names.registry, targetId: registry.resource.id, subresource: "registry", zone: "registry" });
      if (serviceBus) network.connect("service-bus", { targetName: names.serviceBusNamespace, targetId: serviceBus.namespace.id, subresource: "namespace", zone: "serviceBus" });
      const cost = premiumCostNote(env.name, env.network.premiumByDefault);
      if (cost) Annotations.of(this).addWarning(cost);
      this.network = network;
    }
    const connections = new IdentityConnections(this, "connections", {
      identity,
      functions,
      resourceGroup,
      hostStorage,
      dataStorage,
      serviceBus,
      // Both Elastic Premium and Container Apps (KEDA) scale by the trigger queues' message counts.
      queueLengthScaling: onContainerApps || env.plan.kind === "premium",
    });
    // The platform prefixes cover every setting FunctionApp and ContainerApp write themselves.
    checkAppSettings(`MlfuncStack ${id}`, props.appSettings, {
      names: Object.keys(connections.appSettings),
      prefixes: [...PLATFORM_SETTING_PREFIXES, ...Object.values(CONNECTIONS)],
    });
    const appSettings = { ...connections.appSettings, ...props.appSettings };
    this.resourceGroup = resourceGroup;
    this.identity = identity;
    this.monitoring = monitoring;
    this.registry = registry;
    this.image = image;
    this.hostStorage = hostStorage;
    this.dataStorage = dataStorage;
    this.serviceBus = serviceBus;
    this.connections = connections;
    // What either hosting's app takes: the same image, identity, storage, monitoring and settings.
    const hosted = { resourceGroup, identity, image, hostStorage, monitoring, appSettings, tags };
    // Container apps, Event Grid's key call and the import into an own registry are ARM calls azurerm cannot make.
    if (onContainerApps || eventGridFunctions.length > 0 || env.registry === "own") new AzapiProvider(this, "azapi");
    const blobsExtensionKey = eventGridFunctions.length > 0 ? new BlobsExtensionKey(this, "blobs-extension-key") : undefined;
    // What the Event Grid subscriptions wait for besides the app: the key in place on the host.
    let keyReady: ITerraformDependable | undefined;
    let hostedApp: HostedApp;
    if (onContainerApps && env.containerApps) {
      const aca = env.containerApps;
      const environment = (this.containerAppsEnvironment = new ContainerAppsEnvironment(this, "container-apps-environment", {
        name: names.containerAppsEnvironment,
        resourceGroup,
        monitoring,
        workloadProfiles: [aca.workloadProfile],
        network: network && { infrastructureSubnetId: network.appSubnetId, internal: network.inbound === "private" },
        tags,
      }));
      if (network?.inbound === "private" && network.managesZones) {
        // Apps of an internal environment are <app>.<default domain>, answered by its private address.
        network.addZone("zone-environment", environment.defaultDomain, [{ name: "*", addresses: [environment.staticIp] }]);
      }
      // The runtime's health route loads the model, but only an anonymous function answers a probe without a key.
      const probeFunction = functions.find((f) => f.trigger.type === "http" && f.trigger.authLevel === "anonymous");
      const containerApp = new ContainerApp(this, "container-app", {
        ...hosted,
        name: names.containerApp,
        environment,
        workloadProfile: aca.workloadProfile,
        minReplicas: aca.minReplicas,
        maxReplicas: aca.maxReplicas,
        cooldownPeriod: aca.cooldownPeriod,
        cpu: aca.cpu,
        memory: aca.memory,
        ingress: aca.ingress,
        revisions: aca.revisions,
        readinessPath: probeFunction ? `/api/${probeFunction.name}` : undefined,
        systemKeys: blobsExtensionKey ? { [BLOBS_EXTENSION_KEY_NAME]: blobsExtensionKey.value } : undefined,
        waitsFor: network?.ready,
      });
      const triggers = functions.map((f) => ({ type: f.trigger.type, source: f.trigger.type === "blob" ? f.trigger.source : undefined }));
      for (const warning of containerAppsWarnings(env.name, aca, triggers)) Annotations.of(this).addWarning(warning);
      this.containerApp = containerApp;
      keyReady = containerApp.resource;
      hostedApp = { hosting: "containerApps", name: containerApp.name, hostname: containerApp.fqdn, id: containerApp.resource.id, construct: containerApp };
      new TerraformOutput(this, "latest_revision", { value: containerApp.latestRevisionName });
    } else {
      const plan = new ServicePlan(this, "service-plan", {
        name: names.servicePlan,
        resourceGroup,
        sku: env.plan.sku,
        minInstances: env.plan.minInstances,
        maxInstances: env.plan.maxInstances,
        tags,
      });
      this.plan = plan;
      const functionApp = new FunctionApp(this, "function-app", {
        ...hosted,
        name: names.functionApp,
        plan,
        network,
      });
      if (network?.inbound === "private") {
        network.connect("function-app-sites", { targetName: names.functionApp, targetId: functionApp.resource.id, subresource: "sites", zone: "sites" });
      }
      this.functionApp = functionApp;
      keyReady = blobsExtensionKey?.setOn(functionApp);
      hostedApp = { hosting: "appService", name: functionApp.name, hostname: functionApp.defaultHostname, id: functionApp.resource.id, construct: functionApp };
    }
    this.hostedApp = hostedApp;
    const { name: appName, hostname } = hostedApp;

    if (blobsExtensionKey && dataStorage) {
      this.blobEvents = new BlobEvents(this, "blob-events", {
        name: names.eventGridTopic,
        resourceGroup,
        storage: dataStorage,
        identity,
        appHostname: hostname,
        key: blobsExtensionKey.value,
        functions: eventGridFunctions,
        dependsOn: [...identity.grantsReady, ...(keyReady ? [keyReady] : [])],
        tags,
      });
    }

    if (env.smokeTesters.length > 0) {
      // On Container Apps keys are not listed through Resource Manager: npm run smoke takes MLFUNC_FUNCTION_KEY there.
      new SmokeTesters(this, "smoke-testers", { principals: env.smokeTesters, functions, dataStorage, serviceBus, functionAppId: this.functionApp?.resource.id });
    }

    const httpEndpoints = Object.fromEntries(
      functions.filter((f) => f.trigger.type === "http").map((f) => [f.name, `https://${hostname}/api/${f.name}`]),
    );
    new TerraformOutput(this, "function_app_name", { value: appName });
    new TerraformOutput(this, "function_app_hostname", { value: hostname });
    new TerraformOutput(this, "http_endpoints", { value: httpEndpoints });
    new TerraformOutput(this, "registry_login_server", { value: image.loginServer });
    new TerraformOutput(this, "image_reference", { value: image.reference });
    new TerraformOutput(this, "image_digest", { value: image.digest });
    if (dataStorage) {
      new TerraformOutput(this, "trigger_storage_account", { value: dataStorage.name });
      new TerraformOutput(this, "trigger_containers", { value: [...dataStorage.containers.keys()].filter((c) => c !== DEAD_LETTER_CONTAINER) });
    }
    if (this.blobEvents) {
      // Names only: the webhook URLs carry the key.
      new TerraformOutput(this, "event_grid_topic", { value: this.blobEvents.topic.name });
      new TerraformOutput(this, "event_grid_dead_letter_container", { value: DEAD_LETTER_CONTAINER });
    }
    if (serviceBus) {
      new TerraformOutput(this, "service_bus_namespace", { value: serviceBus.namespace.name });
      new TerraformOutput(this, "service_bus_queues", { value: [...serviceBus.queues.keys()] });
    }
  }
}
