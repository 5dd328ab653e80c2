/**
 * The deployment file's schema: the one source of the TypeScript types, the validator and the
 * published JSON Schema (`mlfunc.schema.json`, written by `npm run schema`).
 */
import { z } from "zod";
import { NAME_RULES, NameKind, NameRule, nameProblem, suggestName } from "./naming";
import { withSuggestion } from "./rules";
import { SKU_FIX, skuProblem } from "./hosting";

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
    const keys = Object.keys(value);
    if (keys.length > 50) ctx.addIssue({ code: "custom", message: `Azure allows at most 50 tags (found ${keys.length}); drop some` });
    for (const key of keys) {
      if (key.length > 128 || /[<>%&\\?/]/.test(key)) {
        ctx.addIssue({ code: "custom", path: [key], message: "tag names are at most 128 characters without < > % & \\ ? /; rename the tag" });
      }
      const v = value[key] ?? "";
      if (v.length > 256) ctx.addIssue({ code: "custom", path: [key], message: "tag values are at most 256 characters; shorten it" });
    }
  })
  .meta({ description: "Azure tags added to every resource." });

export const PYTHON_VERSIONS = ["3.10", "3.11", "3.12"] as const;

export const modelSchema = z
  .strictObject({
    path: relativePath("The trained model: a file or a folder. It is copied into the image under AZUREML_MODEL_DIR, as Azure ML did."),
    scoringScript: relativePath("The Azure ML scoring script (defines init() and run(data))."),
    sourceDir: relativePath(
      "Folder holding the scoring script and the modules it imports (Azure ML's source_directory); copied whole into the image. Without it only the script is copied.",
    ).optional(),
    pythonVersion: z
      .enum(PYTHON_VERSIONS, { error: `must be one of "3.10", "3.11", "3.12" (as a quoted string: YAML reads 3.10 as 3.1)` })
      .default("3.11")
      .meta({ description: "Python version of the Functions base image." }),
    requirements: z
      .union([relativePath("A pip requirements file."), z.array(z.string().min(1)).meta({ description: "pip requirement lines." })], {
        error: "must be a path to a requirements file or a list of pip requirement lines",
      })
      .optional()
      .meta({ description: "The scoring script's Python dependencies: a requirements file path, or a list of requirement lines." }),
  })
  .meta({ description: "The model and the code that serves it." });

const httpTrigger = z.strictObject({
  type: z.literal("http"),
  authLevel: z
    .enum(["anonymous", "function", "admin"], { error: 'must be "anonymous", "function" or "admin"' })
    .default("function")
    .meta({ description: "Who may call the endpoint: `function` needs a function key (the default)." }),
});

const blobTrigger = z.strictObject({
  type: z.literal("blob"),
  inputPath: z.string().meta({ description: "Blob path pattern that triggers the function, e.g. input/{blobname}.json (first part is the container)." }),
  outputPath: z.string().meta({ description: "Where the result is written, e.g. output/{blobname}_out.json; its {tokens} must appear in inputPath." }),
  dataType: z
    .enum(["text", "binary"], { error: 'must be "text" or "binary"' })
    .default("text")
    .meta({ description: "text: run() gets the blob as a UTF-8 string (JSON); binary: run() gets bytes." }),
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
    serviceBusNamespace: azureName("serviceBusNamespace", "Service Bus namespace name (globally unique).").optional(),
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
  plan: planSchema.default({ sku: "B1" }),
  location: z.string().optional().meta({ description: "Azure region for this environment; defaults to the app's location." }),
  tags: tags.optional(),
  registrySku: z.enum(["Basic", "Standard", "Premium"], { error: 'must be "Basic", "Standard" or "Premium"' }).default("Basic"),
  serviceBusSku: z.enum(["Basic", "Standard", "Premium"], { error: 'must be "Basic", "Standard" or "Premium"' }).default("Standard"),
  names: nameOverrides.optional(),
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
export type StateConfig = z.output<typeof stateSchema>;
export type SmokeTester = z.output<typeof smokeTestersSchema>[number];

let published: unknown;

/** The JSON Schema published for editors; built once, as the validator consults it per unknown key. */
export function jsonSchema(): unknown {
  published ??= z.toJSONSchema(deploymentSchema, { io: "input", target: "draft-2020-12" });
  return published;
}
