/**
 * The deployment file's schema: the one source of the TypeScript types, the validator and the
 * published JSON Schema (`mlfunc.schema.json`, written by `npm run schema`).
 */
import { z } from "zod";
import { NAME_RULES, NameKind, NameRule, nameProblem, suggestName } from "./naming";
import { withSuggestion } from "./rules";
import { CONTAINER_APPS_MAX_REPLICAS, DEFAULT_MAX_REPLICAS, HOSTINGS, SKU_FIX, WORKLOAD_PROFILE_TYPES, skuProblem } from "./hosting";
import { INBOUND, PRIVATE_DNS_ZONES, PRIVATE_DNS_ZONE_ID, SUBNET_ID, SUBNET_ID_EXAMPLE, ZONE_ID_EXAMPLE, ZONE_KEYS, type ZoneKey, parseCidr } from "./network";
import { CATCH_ALL_MESSAGE, isCatchAll, visibleText } from "./patterns";
import { MAX_TAG_VALUE, tagNameProblem } from "./tags";

/** A string that must follow one Azure naming rule; one message per bad name, with a fix. */
function azureName(kind: NameKind, description: string) {
  const rule: NameRule = NAME_RULES[kind];
  return z
    .string()
    .superRefine((value, ctx) => {
      const problem = nameProblem(kind, value);
      if (problem) ctx.addIssue({ code: "custom", message: withSuggestion(problem, suggestName(kind, value)) });
    })
    .meta({ description, minLength: rule.min, maxLength: rule.max, pattern: rule.pattern.source });
}

const relativePath = (description: string) =>
  z.string().min(1, { error: "must not be empty; give a path relative to the deployment file" }).meta({ description });

const tags = z
  .record(z.string(), z.string())
  .superRefine((value, ctx) => {
    // The count is checked once the maps are merged with mlfunc's own tags (rules.ts).
    for (const key of Object.keys(value)) {
      const problem = tagNameProblem(key);
      if (problem !== undefined) ctx.addIssue({ code: "custom", path: [key], message: problem });
      const v = value[key] ?? "";
      if (v.length > MAX_TAG_VALUE) ctx.addIssue({ code: "custom", path: [key], message: `tag values are at most ${MAX_TAG_VALUE} characters (this one has ${v.length}); shorten it` });
    }
  })
  .meta({ description: "Azure tags added to every resource: at most 50 in all, mlfunc's own app, environment and managed-by included." });

/** Python versions of Azure Functions 4.x that are still supported (3.10 left support in October 2026). */
export const PYTHON_VERSIONS = ["3.11", "3.12", "3.13"] as const;
export const DEFAULT_PYTHON_VERSION = "3.12";
export type PythonVersion = (typeof PYTHON_VERSIONS)[number];
const RETIRED_PYTHON: Record<string, string> = { "3.10": "October 2026", "3.9": "October 2025", "3.8": "October 2024", "3.7": "June 2023" };

function pythonVersionError(input: unknown): string {
  const retired = typeof input === "string" ? RETIRED_PYTHON[input] : undefined;
  const supported = `"3.11", "3.12" or "3.13" (as a quoted string: YAML reads 3.10 as 3.1)`;
  if (retired === undefined) return `must be one of ${supported}`;
  return `Python ${String(input)} left Azure Functions support in ${retired}; set pythonVersion to "${DEFAULT_PYTHON_VERSION}" (the default), "3.11" or "3.13" and check that the requirements install on it`;
}

/** Azure ML's model name rule: letters, digits, "-", "_", "."; it becomes a folder of the image. */
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

/** Where the Functions Python base images live (mcr.microsoft.com). */
export const DEFAULT_BASE_IMAGE_REPOSITORY = "mcr.microsoft.com/azure-functions/python";

/**
 * An image reference as Docker's distribution/reference grammar spells it: lowercase path
 * components, an optional tag, an optional sha256 digest. Nothing else reaches the Dockerfile's FROM.
 */
export const IMAGE_REFERENCE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]{1,5})?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$/;

export const modelSchema = z
  .strictObject({
    path: relativePath(
      "The trained model: a file or a folder, copied into the image under AZUREML_MODEL_DIR, as Azure ML did. Or an Azure ML registered model version: azureml://registries/<registry>/models/<name>/versions/<version>, azureml://subscriptions/<sub>/resourceGroups/<rg>/workspaces/<ws>/models/<name>/versions/<version>, or azureml:<name>:<version> with model.workspace; downloaded once into .mlfunc/models (docs/azureml-inputs.md). An MLflow model folder (one holding MLmodel) needs no scoring script, and gives the image its Python and requirements (docs/mlflow.md).",
    ),
    workspace: z
      .string()
      .min(1)
      .optional()
      .meta({ description: "Resource id of the Azure ML workspace that holds an azureml:<name>:<version> model.path: /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.MachineLearningServices/workspaces/<name>." }),
    scoringScript: relativePath(
      "The Azure ML scoring script (defines init() and run(data)). Required unless path is an MLflow model folder, which mlfunc then serves itself, as Azure ML's no-code deployment does.",
    ).optional(),
    sourceDir: relativePath(
      "Folder holding the scoring script and the modules it imports (Azure ML's source_directory); copied whole into the image. Without it only the script is copied.",
    ).optional(),
    pythonVersion: z
      .enum(PYTHON_VERSIONS, { error: (issue) => pythonVersionError(issue.input) })
      .optional()
      .meta({
        description: "Python version of the Functions base image (3.10 left support in October 2026). Without it, model.environment's python pin picks it, else an MLflow model's own (python_env.yaml), else 3.12.",
        default: DEFAULT_PYTHON_VERSION,
      }),
    baseImage: z
      .string()
      .regex(IMAGE_REFERENCE, {
        error: `must be an image reference such as "${DEFAULT_BASE_IMAGE_REPOSITORY}:4-python3.12@sha256:<64 hex digits>" (registry/repository, an optional :tag, an optional @sha256 digest)`,
      })
      .optional()
      .meta({
        description:
          "The Functions base image the Dockerfile starts FROM. Pin it by digest (<image>:<tag>@sha256:<digest>) so a rebuild gets the same base; a tag alone floats as Microsoft rebuilds it. @default mcr.microsoft.com/azure-functions/python:4-python<pythonVersion> (floating)",
      }),
    name: z
      .string()
      .regex(MODEL_NAME_PATTERN, { error: "must start with a letter or digit and hold only letters, digits, '-', '_' or '.' (at most 255), like an Azure ML model name" })
      .optional()
      .meta({
        description:
          "Registered model name: the model is placed as Azure ML v1 placed it, <AML_APP_ROOT>/azureml-models/<name>/<version>/<file>, with AZUREML_MODEL_DIR that folder, so Model.get_model_path(<name>) of azureml-core finds it. Without it the model sits in model/.",
      }),
    version: z
      .number()
      .int({ error: "must be a whole number (the registered model's version)" })
      .min(1, { error: "must be 1 or more (the registered model's version)" })
      .optional()
      .meta({ description: "Registered model version, with model.name. @default 1" }),
    environment: relativePath(
      "An Azure ML environment: a conda file (name/channels/dependencies with a pip: list) or an Azure ML environment YAML with conda_file. It is translated to pip requirements for the Functions base image (docs/azureml-inputs.md); its python pin picks pythonVersion when that is not set.",
    ).optional(),
    requirements: z
      .union([relativePath("A pip requirements file."), z.array(z.string().min(1)).meta({ description: "pip requirement lines." })], {
        error: "must be a path to a requirements file or a list of pip requirement lines",
      })
      .optional()
      .meta({ description: "The scoring script's Python dependencies: a requirements file path, or a list of requirement lines. With an MLflow model folder they are added to the model's own." }),
  })
  .meta({ description: "The model and the code that serves it." });

const httpTrigger = z.strictObject({
  type: z.literal("http"),
  authLevel: z
    .enum(["anonymous", "function", "admin"], { error: 'must be "anonymous", "function" or "admin"' })
    .default("function")
    .meta({ description: "Who may call the endpoint: `function` needs a function key (the default)." }),
});

/** Where a blob trigger learns of new blobs: the host's own scan, or Event Grid's push. */
export const BLOB_SOURCES = ["polling", "eventGrid"] as const;

const blobTrigger = z.strictObject({
  type: z.literal("blob"),
  inputPath: z.string().meta({ description: "Blob path pattern that triggers the function, e.g. input/{blobname}.json (first part is the container)." }),
  outputPath: z.string().meta({ description: "Where the result is written, e.g. output/{blobname}_out.json; its {tokens} must appear in inputPath." }),
  dataType: z
    .enum(["text", "binary"], { error: 'must be "text" or "binary"' })
    .default("text")
    .meta({ description: "text: run() gets the blob as a UTF-8 string (JSON); binary: run() gets bytes." }),
  source: z
    .enum(BLOB_SOURCES, { error: 'must be "polling" or "eventGrid"' })
    .default("polling")
    .meta({
      description:
        "How new blobs reach the function. polling: the host scans the container and its logs (no extra resources; up to minutes on an idle app; Container Apps cannot scale it from zero). eventGrid: an Event Grid subscription calls the app within seconds of the upload and wakes a Container Apps app from zero; needs the app reachable from the internet. See docs/event-grid.md.",
    }),
});

const serviceBusTrigger = z.strictObject({
  type: z.literal("serviceBus"),
  queue: azureName("queue", "Queue whose messages trigger the function."),
  outputQueue: azureName("queue", "Queue that receives run()'s result.").optional(),
  dataType: z
    .enum(["text", "binary"], { error: 'must be "text" or "binary"' })
    .default("text")
    .meta({ description: "text: run() gets the message body as a UTF-8 string (JSON); binary: run() gets bytes." }),
});

export const triggerSchema = z.discriminatedUnion("type", [httpTrigger, blobTrigger, serviceBusTrigger], {
  error: 'trigger.type must be "http", "blob" or "serviceBus"',
});

export const functionSchema = z.strictObject({
  name: azureName("function", "Function name; the HTTP route is /api/<name>."),
  trigger: triggerSchema,
});

const nameOverrides = z
  .strictObject({
    resourceGroup: azureName("resourceGroup", "Resource group name.").optional(),
    logAnalytics: azureName("logAnalytics", "Log Analytics workspace name.").optional(),
    appInsights: azureName("appInsights", "Application Insights name.").optional(),
    identity: azureName("identity", "User-assigned managed identity name.").optional(),
    registry: azureName("registry", "Container registry name (globally unique).").optional(),
    hostStorageAccount: azureName("storageAccount", "Storage account for the Functions host (globally unique).").optional(),
    dataStorageAccount: azureName("storageAccount", "Storage account for blob trigger data (globally unique).").optional(),
    servicePlan: azureName("servicePlan", "App Service plan name.").optional(),
    functionApp: azureName("functionApp", "Function app name (globally unique).").optional(),
    containerApp: azureName("containerApp", "Container app name (hosting: containerApps).").optional(),
    containerAppsEnvironment: azureName("containerAppsEnvironment", "Container Apps environment name (hosting: containerApps).").optional(),
    serviceBusNamespace: azureName("serviceBusNamespace", "Service Bus namespace name (globally unique).").optional(),
    virtualNetwork: azureName("virtualNetwork", "Virtual network name (network.addressSpace).").optional(),
  })
  .meta({ description: "Names to use instead of the derived ones (rg-<app>-<env>, st<app><env>h<hash>, ...)." });

export const planSchema = z
  .strictObject({
    sku: z
      .string()
      .superRefine((sku, ctx) => {
        const problem = skuProblem(sku);
        if (problem) ctx.addIssue({ code: "custom", message: `${problem}; ${SKU_FIX}` });
      })
      .default("B1")
      .meta({ description: "App Service plan SKU: EP1-EP3 (Elastic Premium) or a Dedicated Linux SKU (B1, S1, P1v3, ...). Consumption (Y1) and Flex (FC1) cannot run containers." }),
    minInstances: z.int().min(1, { error: "must be at least 1" }).optional().meta({ description: "Premium: always-ready instances; Dedicated: the fixed instance count. Default 1." }),
    maxInstances: z.int().min(1, { error: "must be at least 1" }).optional().meta({ description: "Premium only: the most instances the plan scales out to. Default 3." }),
  })
  .meta({ description: "Hosting plan and scaling." });

const replicas = (min: number, description: string) =>
  z
    .int({ error: "must be a whole number" })
    .min(min, { error: `must be at least ${min}` })
    .max(CONTAINER_APPS_MAX_REPLICAS, { error: `Functions on Container Apps scale out to at most ${CONTAINER_APPS_MAX_REPLICAS} replicas; lower it` })
    .meta({ description });

export const revisionsSchema = z
  .strictObject({
    mode: z
      .enum(["single", "multiple"], { error: 'must be "single" or "multiple"' })
      .default("single")
      .meta({ description: "single: each deploy replaces the running revision. multiple: older revisions stay active, for a canary split." }),
    latestWeight: z
      .int({ error: "must be a whole number" })
      .min(1, { error: "must be at least 1 (percent)" })
      .max(100, { error: "must be at most 100 (percent)" })
      .optional()
      .meta({ description: "multiple only: percent of traffic the newest revision gets; the rest goes to stableRevision. Default 100." }),
    stableRevision: z
      .string()
      .regex(/^[a-z][a-z0-9-]*[a-z0-9]$/, { error: "must be a revision name such as \"ca-diabetes-canary--abc1234\" (the latest_revision output of the previous deploy)" })
      .optional()
      .meta({ description: "multiple only: the revision that keeps the traffic the newest one does not get (the latest_revision output of the previous deploy)." }),
  })
  .meta({ description: "Revision mode and canary traffic split." });

export const containerAppsSchema = z
  .strictObject({
    minReplicas: replicas(0, "Replicas kept running; 0 scales to zero when idle (a cold start on the next event). Default 0.").default(0),
    maxReplicas: replicas(1, `Most replicas the platform scales out to from the triggers. Default ${DEFAULT_MAX_REPLICAS}.`).default(DEFAULT_MAX_REPLICAS),
    cpu: z
      .number({ error: "must be a number of vCPUs, e.g. 1 or 0.5" })
      .positive({ error: "must be more than 0" })
      .optional()
      .meta({ description: "vCPUs per replica. Consumption: 0.5-4 in steps of 0.25, memory twice the vCPUs (default 1); GPU profiles: 0.5 up to the profile, two decimals at most (default the whole profile). At least 0.5 vCPU and 1Gi on any profile, for the Functions host and the Python worker." }),
    memory: z
      .string({ error: 'must be a GiB amount such as "2Gi"' })
      .optional()
      .meta({ description: 'Memory per replica, e.g. "2Gi". Consumption: twice the vCPUs (default "2Gi"); GPU profiles: up to the profile.' }),
    workloadProfile: z
      .string()
      .superRefine((value, ctx) => {
        if (WORKLOAD_PROFILE_TYPES.includes(value)) return;
        const sameCase = WORKLOAD_PROFILE_TYPES.find((t) => t.toLowerCase() === value.toLowerCase());
        ctx.addIssue({
          code: "custom",
          message: sameCase ? `profile names are case-sensitive: write "${sameCase}"` : `unknown serverless workload profile; use ${WORKLOAD_PROFILE_TYPES.map((t) => `"${t}"`).join(", ")}`,
        });
      })
      .default("Consumption")
      .meta({ description: "Serverless workload profile: Consumption (CPU), Consumption-GPU-NC8as-T4 (NVIDIA T4) or Consumption-GPU-NC24-A100 (NVIDIA A100)." }),
    ingress: z
      .enum(["external", "internal"], { error: 'must be "external" or "internal"' })
      .default("external")
      .meta({ description: "external: HTTPS from the internet; internal: HTTPS from inside the Container Apps environment only." }),
    cooldownPeriod: z
      .int({ error: "must be a whole number of seconds" })
      .min(0, { error: "must be at least 0" })
      .max(3600, { error: "must be at most 3600 seconds" })
      .optional()
      .meta({ description: "Seconds after the last event before replicas scale in (to zero with minReplicas 0). Default 300." }),
    revisions: revisionsSchema.default({ mode: "single" }),
  })
  .meta({ description: "Container Apps hosting: replicas, size, workload profile, ingress and revisions." });

const subnetId = (description: string) =>
  z.string().regex(SUBNET_ID, { error: `must be a subnet's Azure resource id, ${SUBNET_ID_EXAMPLE}` }).meta({ description });

const zoneId = (key: ZoneKey) =>
  z
    .string()
    .regex(PRIVATE_DNS_ZONE_ID, { error: `must be a private DNS zone's Azure resource id, ${ZONE_ID_EXAMPLE}` })
    .superRefine((value, ctx) => {
      // A zone of another service gets the endpoint's record, but nothing ever resolves the name there.
      const name = value.split("/").pop() ?? "";
      if (PRIVATE_DNS_ZONE_ID.test(value) && name.toLowerCase() !== PRIVATE_DNS_ZONES[key]) {
        ctx.addIssue({ code: "custom", message: `is the zone ${name}; the ${key} private endpoints register in ${PRIVATE_DNS_ZONES[key]}: give that zone's id` });
      }
    })
    .optional()
    .meta({ description: `Private DNS zone for the ${key} private endpoints.` });

export const networkSchema = z
  .strictObject({
    addressSpace: z
      .string()
      .superRefine((value, ctx) => {
        const cidr = parseCidr(value);
        if ("problem" in cidr) ctx.addIssue({ code: "custom", message: cidr.problem });
      })
      .optional()
      .meta({ description: "mlfunc creates a virtual network with this IPv4 block, an app subnet sized for the plan's scale-out and a private-endpoint subnet, e.g. 10.20.0.0/16." }),
    appSubnetId: subnetId("A subnet you bring for the app's outbound traffic (App Service: delegated to Microsoft.Web/serverFarms; Container Apps: to Microsoft.App/environments, /27 or larger).").optional(),
    privateEndpointSubnetId: subnetId("A subnet you bring for the private endpoints (no delegation).").optional(),
    privateDnsZoneIds: z
      .strictObject(Object.fromEntries(ZONE_KEYS.map((k) => [k, zoneId(k)])) as Record<ZoneKey, ReturnType<typeof zoneId>>)
      .optional()
      .meta({ description: "With a network you bring: zones managed elsewhere (e.g. centrally, already linked to your network). None is created or linked; the private endpoints register in these." }),
    inbound: z
      .enum(INBOUND, { error: 'must be "public" or "private"' })
      .default("public")
      .meta({ description: "public: the app answers on its public address. private: only from inside the network (App Service: a private endpoint; Container Apps: an internal environment)." }),
  })
  .meta({ description: "Puts the environment behind a virtual network: storage, registry and Service Bus reached only through private endpoints, public access off." });

/** Principals that `npm run smoke` runs as: each gets the data-plane roles the smoke test needs. */
export const smokeTestersSchema = z
  .array(
    z.strictObject({
      principalId: z
        .string()
        .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, {
          error: "must be an Entra ID object id (a GUID); e.g. az ad signed-in-user show --query id -o tsv",
        })
        .meta({ description: "Object id of the user, group or service principal." }),
      type: z
        .enum(["User", "Group", "ServicePrincipal"], { error: 'must be "User", "Group" or "ServicePrincipal"' })
        .optional()
        .meta({ description: "Principal type; set it for a new service principal, which Entra ID may not have replicated yet." }),
    }),
  )
  .meta({ description: "Principals granted the roles `npm run smoke` needs: blob data on the trigger account, send/receive on the queues, and listing the app's function keys." });

export const environmentSchema = z.strictObject({
  hosting: z
    .enum(HOSTINGS, { error: 'must be "appService" or "containerApps"' })
    .default("appService")
    .meta({ description: "appService: an App Service plan (plan). containerApps: Azure Functions on Azure Container Apps (containerApps), with scale to zero and serverless GPUs." }),
  plan: planSchema.optional().meta({ default: { sku: "B1" } }),
  containerApps: containerAppsSchema.optional(),
  location: z.string().optional().meta({ description: "Azure region for this environment; defaults to the app's location." }),
  tags: tags.optional(),
  registry: z
    .enum(["shared", "own"], { error: 'must be "shared" or "own"' })
    .optional()
    .meta({
      description:
        "Where the app pulls its image from. shared: the image stack's registry, with AcrPull for the app's identity. own: a registry of this environment, which receives the image stack's digest by import (no rebuild), so the environment needs no access to the shared registry at run time. Default shared; own with network (its registry is reached through a private endpoint).",
    }),
  registrySku: z
    .enum(["Basic", "Standard", "Premium"], { error: 'must be "Basic", "Standard" or "Premium"' })
    .optional()
    .meta({ description: "SKU of the environment's own registry (registry: own). Default Basic; Premium with network (private endpoints need it)." }),
  serviceBusSku: z
    .enum(["Basic", "Standard", "Premium"], { error: 'must be "Basic", "Standard" or "Premium"' })
    .optional()
    .meta({ description: "Service Bus SKU. Default Standard; Premium with network (private endpoints need it)." }),
  network: networkSchema.optional(),
  names: nameOverrides.optional(),
  protect: z
    .boolean({ error: "must be true or false" })
    .default(true)
    .meta({
      description:
        "Data-holding resources (storage accounts and containers, registry, Service Bus namespace and queues) carry Terraform's prevent_destroy unless a review.allowDelete entry names them. false for a throwaway environment, or to destroy one on purpose.",
    }),
  smoke: z
    .strictObject({ testers: smokeTestersSchema.optional() })
    .optional()
    .meta({ description: "`npm run smoke` for this environment: testers replaces the top-level smoke.testers." }),
});

const localBackend = z.strictObject({ backend: z.literal("local") });
const azurermBackend = z.strictObject({
  backend: z.literal("azurerm"),
  resourceGroup: azureName("resourceGroup", "Resource group of the state storage account."),
  storageAccount: azureName("storageAccount", "Storage account that holds the state blobs."),
  container: azureName("container", "Blob container for the state blobs."),
  keyPrefix: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$/, { error: "must be up to 200 letters, digits, '.', '_', '-' or '/', starting with a letter or digit; e.g. \"mlfunc/\"" })
    .optional()
    .meta({ description: "Prefix of each stack's state key: <keyPrefix><stack>.tfstate." }),
});
const remoteBackend = z.strictObject({
  backend: z.literal("remote"),
  organization: z.string().regex(/^[A-Za-z0-9_-]+$/, { error: "must be letters, digits, hyphens and underscores" }).meta({ description: "HCP Terraform / Terraform Enterprise organization." }),
  workspaces: z
    .string()
    .regex(/\{stack\}/, { error: 'must contain "{stack}" so that each stack gets its own workspace, e.g. "mlfunc-{stack}"' })
    .default("{stack}")
    .meta({ description: "Workspace name pattern; {stack} becomes <app>-<env>." }),
  hostname: z.string().regex(/^[a-z0-9.-]+$/, { error: "must be a host name such as app.terraform.io" }).default("app.terraform.io"),
});

export const stateSchema = z
  .discriminatedUnion("backend", [localBackend, azurermBackend, remoteBackend], {
    error: 'state.backend must be "local", "azurerm" or "remote"',
  })
  .meta({ description: "Where Terraform keeps each stack's state." });

export const shipSchema = z
  .strictObject({
    allow: z
      .array(
        z.strictObject({
          path: relativePath("A file or folder, relative to the deployment file or absolute. Outside the project: one file, or exactly the model.path or model.sourceDir folder (never /, a home folder or a folder holding the project). A name that never ships (state, keys, credentials, .env*, ...): exactly this one ships, with a warning at every synth."),
          reason: z.string().trim().min(1, { error: "say why this must ship; the reason is what a reviewer reads" }).meta({ description: "Why it must ship, for reviewers." }),
        }),
      )
      .default([])
      .meta({ description: "Explicit exceptions to what never ships, each with a reason." }),
  })
  .meta({ description: "What may go into the image beyond the default rule (only files inside the deployment file's folder, never state, plans, tfvars, keys, certificates, credentials, .env*, node_modules or build output)." });

export const reviewSchema = z
  .strictObject({
    allowDelete: z
      .array(
        z.strictObject({
          address: z
            .string()
            .min(1, { error: "must not be empty; give a resource address, * matches any characters, e.g. azurerm_storage_container.data-storage_container-input_*" })
            .refine((a) => a === "" || !isCatchAll(a), { error: CATCH_ALL_MESSAGE })
            .meta({ description: "Resource address (or <stack>/<address>) the review may delete or replace; * matches any characters, ? one." }),
          reason: z
            .string()
            .refine((r) => visibleText(r).length >= 10, { error: 'say why the delete is intended, in at least 10 visible characters (spaces, control and invisible characters do not count), e.g. "queue replaced by a topic; drained in CHG-1234"' })
            .meta({ description: "Why deleting or replacing it is intended; shown in the review." }),
        }),
      )
      .default([])
      .meta({ description: "Deletes and replacements of resources that hold data or identity that the review lets through." }),
  })
  .meta({ description: "Settings of npm run review." });

export const deploymentSchema = z
  .strictObject({
    $schema: z.string().optional().meta({ description: "Path or URL of this schema, for editor completion." }),
    name: azureName("app", "App name; stacks are named <name>-<environment>."),
    location: z.string().meta({ description: "Azure region, e.g. westeurope." }),
    nameSeed: z
      .string()
      .min(1, { error: 'must not be empty; use something unique to your organization, e.g. "contoso-ml"' })
      .optional()
      .meta({
        description:
          "Mixed into the hash that makes registry, storage, function app and Service Bus names unique worldwide. Set it to something unique to your organization before the first deploy; changing it later renames (replaces) those resources.",
      }),
    tags: tags.optional(),
    model: modelSchema,
    functions: z.array(functionSchema).min(1, { error: "at least one function is needed; add one with an http, blob or serviceBus trigger" }),
    environments: z
      .record(z.string(), environmentSchema)
      .superRefine((envs, ctx) => {
        if (Object.keys(envs).length === 0) ctx.addIssue({ code: "custom", message: "at least one environment is needed, e.g. dev: { plan: { sku: B1 } }" });
      })
      .meta({ description: "One stack per environment, keyed by environment name." }),
    state: stateSchema.default({ backend: "local" }),
    ship: shipSchema.optional(),
    review: reviewSchema.optional(),
    smoke: z
      .strictObject({
        request: relativePath("The model's example request (JSON), which `npm run smoke` sends through every function unless --input names another.").optional(),
        testers: smokeTestersSchema.optional(),
      })
      .optional()
      .meta({ description: "`npm run smoke`: the example request it sends, and the principals granted what it needs." }),
  })
  .meta({ title: "mlfunc deployment file", description: "A model served by a containerized Azure Functions app." });

export type DeploymentInput = z.input<typeof deploymentSchema>;
export type DeploymentFile = z.output<typeof deploymentSchema>;
export type ModelConfig = z.output<typeof modelSchema>;
export type FunctionConfig = z.output<typeof functionSchema>;
export type TriggerConfig = z.output<typeof triggerSchema>;
export type HttpTriggerConfig = Extract<TriggerConfig, { type: "http" }>;
export type BlobTriggerConfig = Extract<TriggerConfig, { type: "blob" }>;
export type ServiceBusTriggerConfig = Extract<TriggerConfig, { type: "serviceBus" }>;
export type EnvironmentConfig = z.output<typeof environmentSchema>;
export type PlanConfig = z.output<typeof planSchema>;
export type ContainerAppsConfig = z.output<typeof containerAppsSchema>;
export type NetworkConfig = z.output<typeof networkSchema>;
export type StateConfig = z.output<typeof stateSchema>;
export type ShipConfig = z.output<typeof shipSchema>;
export type SmokeTester = z.output<typeof smokeTestersSchema>[number];

let published: unknown;

/** The JSON Schema published for editors; built once, as the validator consults it per unknown key. */
export function jsonSchema(): unknown {
  published ??= z.toJSONSchema(deploymentSchema, { io: "input", target: "draft-2020-12" });
  return published;
}
