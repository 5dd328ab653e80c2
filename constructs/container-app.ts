import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { AzapiResource, type AzapiBodyValue } from "./azapi";
import { MICROSOFT_APP_API_VERSION, profileName, type ContainerAppsEnvironment } from "./container-apps-environment";
import type { ResourceGroup } from "./resource-group";
import type { ManagedIdentity } from "./identity";
import type { RunnableImage } from "./environment-image";
import type { StorageAccount } from "./storage";
import type { Monitoring } from "./monitoring";
import { PLATFORM_SETTING_PREFIXES, checkAppSettings } from "./app-settings";
import { HOST_IDENTITY_SETTINGS } from "./connections";
import { GeneratedKey } from "./generated-key";

/** Functions images listen on port 80. */
const FUNCTIONS_PORT = 80;
/** The host's own anonymous ping: answers once the Functions host is up, whatever the functions' auth levels. */
export const HOST_PING_PATH = "/admin/host/ping";

export interface ContainerAppProps {
  readonly name: string;
  readonly resourceGroup: ResourceGroup;
  readonly environment: ContainerAppsEnvironment;
  /** Identity that pulls the image and reaches storage, Service Bus and App Insights; the app waits
   * for every role assignment made through it, AcrPull above all. */
  readonly identity: ManagedIdentity;
  /** The image, run by digest. */
  readonly image: RunnableImage;
  /** The Functions host's own storage (AzureWebJobsStorage), reached by identity. */
  readonly hostStorage: StorageAccount;
  readonly monitoring: Monitoring;
  /** Trigger connections and other settings, passed as environment variables. Refused: a name the
   * platform or this construct owns (any case), a name outside letters, digits, `_`, `.`, `-`, and a literal secret. */
  readonly appSettings?: Readonly<Record<string, string>>;
  /** Serverless workload profile type.
   * @default "Consumption" */
  readonly workloadProfile?: string;
  /** @default 0 (scale to zero) */
  readonly minReplicas?: number;
  /** @default 10 */
  readonly maxReplicas?: number;
  /** Seconds without events before scaling in.
   * @default the platform's 300 */
  readonly cooldownPeriod?: number;
  /** vCPUs per replica.
   * @default 1 */
  readonly cpu?: number;
  /** Memory per replica.
   * @default "2Gi" */
  readonly memory?: string;
  /** Reachable from the internet, or only inside the environment.
   * @default "external" */
  readonly ingress?: "external" | "internal";
  /** single: a deploy replaces the running revision. multiple: older revisions stay active, and
   * `latestWeight` percent of traffic goes to the newest, the rest to `stableRevision`.
   * @default { mode: "single" } */
  readonly revisions?: { readonly mode: "single" | "multiple"; readonly latestWeight?: number; readonly stableRevision?: string };
  /** Path the readiness probe calls: the runtime's health route of an anonymous HTTP function, which
   * loads the model, or the host's ping.
   * @default HOST_PING_PATH */
  readonly readinessPath?: string;
  /** Longest run of one invocation, as hh:mm:ss.
   * @default "02:00:00", as on Dedicated plans: Container Apps sets no ceiling, so a stuck run still frees its worker */
  readonly functionTimeout?: string;
  /** Functions host system keys by name (e.g. `blobs_extension`), each a sensitive value: given to
   * the host as Container Apps secrets mounted where it reads keys (`AzureWebJobsSecretStorageType`
   * `containerapp`). That store is read-only and the host generates no key, so the app then also
   * makes a master key and a default host key the same way (see `hostKeys`).
   * @default none: the host's key store stays as the platform sets it up */
  readonly systemKeys?: Readonly<Record<string, string>>;
  /** Resources the app waits for besides its roles and image: the private endpoints and zone links of a networked environment.
   * @default none */
  readonly waitsFor?: readonly ITerraformDependable[];
  readonly tags?: Readonly<Record<string, string>>;
}

/** Where the Functions host reads keys from with `AzureWebJobsSecretStorageType=containerapp`. */
export const FUNCTIONS_KEYS_PATH = "/run/secrets/functions-keys";
const KEYS_VOLUME = "functions-keys";

/**
 * A key the host reads from the file `path` (azure-functions-host's `ContainerAppsSecretsRepository`:
 * `host.master`, `host.function.<name>`, `host.systemKey.<name>`), held in the Container Apps secret
 * named after the file in the letters a secret name allows: `host-systemkey-<name>`.
 */
const keyFile = (path: string, value: string) => ({ secretRef: path.toLowerCase().replace(/[^a-z0-9]+/g, "-"), path, value });

/**
 * Azure Functions on Azure Container Apps: a `Microsoft.App/containerApps` resource of `kind:
 * functionapp`, through azapi since azurerm's container app has no `kind`. The platform derives the
 * trigger scale rules itself, so the template sets bounds only. Secure defaults: HTTPS-only
 * ingress, image pulled by the user-assigned identity, no secrets but the host's own keys,
 * identity-based connections.
 */
export class ContainerApp extends Construct {
  readonly resource: AzapiResource;
  /** The master key and the default host key the app gives the host when it holds the keys in
   * Container Apps secrets (with `systemKeys`); sensitive values. */
  readonly hostKeys?: { readonly master: string; readonly default: string };

  constructor(scope: Construct, id: string, props: ContainerAppProps) {
    super(scope, id);
    const { identity } = props;
    const ownSettings = {
      // azurerm derives this from storage_account_name on App Service; here it is written out.
      AzureWebJobsStorage__accountName: props.hostStorage.name,
      APPLICATIONINSIGHTS_CONNECTION_STRING: props.monitoring.connectionString,
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `ClientId=${identity.clientId};Authorization=AAD`,
      AzureFunctionsJobHost__functionTimeout: props.functionTimeout ?? "02:00:00",
    };
    checkAppSettings(`ContainerApp ${id}`, props.appSettings, { names: Object.keys(ownSettings), prefixes: PLATFORM_SETTING_PREFIXES, allowed: HOST_IDENTITY_SETTINGS });
    const dependsOn: ITerraformDependable[] = [...identity.grantsReady, ...props.image.ready, ...(props.waitsFor ?? [])];
    const revisions = props.revisions ?? { mode: "single" };
    const latestWeight = revisions.mode === "multiple" ? (revisions.latestWeight ?? 100) : 100;
    const traffic: AzapiBodyValue[] = [{ latestRevision: true, weight: latestWeight }];
    if (latestWeight < 100 && revisions.stableRevision !== undefined) traffic.push({ revisionName: revisions.stableRevision, weight: 100 - latestWeight });

    const settings: Record<string, string> = { ...ownSettings, ...props.appSettings };
    const systemKeys = Object.entries(props.systemKeys ?? {});
    const keys: ReturnType<typeof keyFile>[] = [];
    if (systemKeys.length > 0) {
      // The store Microsoft recommends on Container Apps, stated so that the mounted keys are what
      // the host reads. It is read-only: without a master and a host key here, no call to an
      // `authLevel: function|admin` function is accepted.
      settings.AzureWebJobsSecretStorageType = "containerapp";
      const master = new GeneratedKey(this, "master-key").value;
      const hostDefault = new GeneratedKey(this, "host-key-default").value;
      this.hostKeys = { master, default: hostDefault };
      keys.push(
        keyFile("host.master", master),
        keyFile("host.function.default", hostDefault),
        ...systemKeys.map(([name, value]) => keyFile(`host.systemKey.${name}`, value)),
      );
    }
    const probe = (type: "Liveness" | "Readiness", path: string, failureThreshold: number) => ({
      type,
      httpGet: { path, port: FUNCTIONS_PORT, scheme: "HTTP" },
      // The host and the Python worker take a while to start; init() loads the model.
      initialDelaySeconds: 10,
      periodSeconds: 10,
      timeoutSeconds: 5,
      failureThreshold,
    });

    this.resource = new AzapiResource(this, "app", {
      type: `Microsoft.App/containerApps@${MICROSOFT_APP_API_VERSION}`,
      name: props.name,
      parentId: props.resourceGroup.resource.id,
      location: props.resourceGroup.location,
      identity: { type: "UserAssigned", identityIds: [identity.id] },
      body: {
        kind: "functionapp",
        properties: {
          environmentId: props.environment.id,
          workloadProfileName: profileName(props.workloadProfile ?? "Consumption"),
          configuration: {
            activeRevisionsMode: revisions.mode === "multiple" ? "Multiple" : "Single",
            // Trigger-based autoscaling needs ingress even without HTTP functions.
            ingress: {
              external: (props.ingress ?? "external") === "external",
              targetPort: FUNCTIONS_PORT,
              transport: "auto",
              allowInsecure: false,
              traffic,
            },
            registries: [{ server: props.image.loginServer, identity: identity.id }],
            ...(keys.length === 0 ? {} : { secrets: keys.map((k) => ({ name: k.secretRef, value: k.value })) }),
          },
          template: {
            containers: [
              {
                name: "functions",
                image: props.image.reference,
                resources: { cpu: props.cpu ?? 1, memory: props.memory ?? "2Gi" },
                env: Object.entries(settings).map(([name, value]) => ({ name, value })),
                probes: [probe("Readiness", props.readinessPath ?? HOST_PING_PATH, 6), probe("Liveness", HOST_PING_PATH, 3)],
                ...(keys.length === 0 ? {} : { volumeMounts: [{ volumeName: KEYS_VOLUME, mountPath: FUNCTIONS_KEYS_PATH }] }),
              },
            ],
            ...(keys.length === 0
              ? {}
              : { volumes: [{ name: KEYS_VOLUME, storageType: "Secret", secrets: keys.map((k) => ({ secretRef: k.secretRef, path: k.path })) }] }),
            scale: {
              minReplicas: props.minReplicas ?? 0,
              maxReplicas: props.maxReplicas ?? 10,
              ...(props.cooldownPeriod === undefined ? {} : { cooldownPeriod: props.cooldownPeriod }),
            },
          },
        },
      },
      tags: props.tags,
      // kind is create-only: the service cannot turn an app into a function app in place.
      replaceTriggersRefs: ["kind"],
      responseExportValues: ["properties.configuration.ingress.fqdn", "properties.latestRevisionName"],
      // The first image pull and host start need every role in place (AcrPull above all) and the image in its registry.
      dependsOn,
    });
  }

  get name(): string {
    return this.resource.name;
  }

  /** The ingress FQDN, known after apply. */
  get fqdn(): string {
    return this.resource.output("properties.configuration.ingress.fqdn");
  }

  get latestRevisionName(): string {
    return this.resource.output("properties.latestRevisionName");
  }
}
