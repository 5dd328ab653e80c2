/** Plan SKUs and what each allows a containerized Linux function app. */

export type PlanKind = "premium" | "dedicated";

const PREMIUM = ["EP1", "EP2", "EP3"];
/** Dedicated (App Service) Linux SKUs that run custom containers, with their instance ceilings. */
const DEDICATED_MAX_INSTANCES: Record<string, number> = {
  B1: 3, B2: 3, B3: 3,
  S1: 10, S2: 10, S3: 10,
  P1v2: 30, P2v2: 30, P3v2: 30,
  P0v3: 30, P1v3: 30, P2v3: 30, P3v3: 30,
  P1mv3: 30, P2mv3: 30, P3mv3: 30, P4mv3: 30, P5mv3: 30,
};
/** Elastic Premium scales out to at most this many instances on Linux. */
export const PREMIUM_MAX_BURST = 100;

/** SKUs that exist but cannot host a custom container, with the reason given to the user. */
const REJECTED: Record<string, string> = {
  Y1: "Consumption (Y1) plans cannot run custom containers (Linux Consumption is retired)",
  FC1: "Flex Consumption (FC1) plans cannot run custom containers",
  F1: "the Free (F1) tier cannot host function apps",
  D1: "the Shared (D1) tier is Windows-only and cannot host Linux containers",
  WS1: "Workflow Standard (WS1-WS3) plans are for Logic Apps",
  WS2: "Workflow Standard (WS1-WS3) plans are for Logic Apps",
  WS3: "Workflow Standard (WS1-WS3) plans are for Logic Apps",
};

export const SUPPORTED_SKUS: readonly string[] = [...PREMIUM, ...Object.keys(DEDICATED_MAX_INSTANCES)];

export function planKind(sku: string): PlanKind {
  return PREMIUM.includes(sku) ? "premium" : "dedicated";
}

/** Instance ceiling of a SKU: Premium's elastic maximum, or a Dedicated tier's fixed maximum. */
export function maxInstances(sku: string): number {
  return DEDICATED_MAX_INSTANCES[sku] ?? PREMIUM_MAX_BURST;
}

/** An Elastic Premium plan's scale-out ceiling: maxInstances, else 3 or minInstances when that is more. */
export function premiumMaxInstances(plan: { readonly minInstances?: number; readonly maxInstances?: number }): number {
  return plan.maxInstances ?? Math.max(3, plan.minInstances ?? 1);
}

/** Why a SKU cannot host the app, or undefined when it can. */
export function skuProblem(sku: string): string | undefined {
  if (SUPPORTED_SKUS.includes(sku)) return undefined;
  const reason = REJECTED[sku] ?? REJECTED[sku.toUpperCase()];
  if (reason) return reason;
  const sameCase = SUPPORTED_SKUS.find((s) => s.toLowerCase() === sku.toLowerCase());
  if (sameCase) return `SKU names are case-sensitive: write "${sameCase}"`;
  return `unknown plan SKU`;
}

export const SKU_FIX = "use EP1-EP3 (Elastic Premium) or a Dedicated Linux SKU such as B1, S1 or P1v3";

// Container Apps hosting (Functions on Azure Container Apps, `kind: functionapp`).

export const HOSTINGS = ["appService", "containerApps"] as const;
export type Hosting = (typeof HOSTINGS)[number];

export interface WorkloadProfileSpec {
  /** The profile's name in the environment, which the app pins. */
  readonly name: string;
  /** vCPU and GiB of one replica at most. */
  readonly maxCpu: number;
  readonly maxMemoryGi: number;
  readonly gpu?: string;
  /** Regions that offer the profile; undefined: every Container Apps region. */
  readonly regions?: readonly string[];
}

/**
 * Serverless workload profiles by their Azure type names. Sizes from the workload profiles overview;
 * GPU regions from the serverless GPU page's table (learn.microsoft.com/azure/container-apps/gpu-serverless-overview).
 */
export const WORKLOAD_PROFILES: Readonly<Record<string, WorkloadProfileSpec>> = {
  Consumption: { name: "Consumption", maxCpu: 4, maxMemoryGi: 8 },
  "Consumption-GPU-NC8as-T4": {
    name: "NC8as-T4", maxCpu: 8, maxMemoryGi: 56, gpu: "NVIDIA T4",
    regions: [
      "australiaeast", "brazilsouth", "centralindia", "eastus", "francecentral", "italynorth", "japaneast", "northcentralus",
      "southcentralus", "southeastasia", "southindia", "swedencentral", "westeurope", "westus", "westus2", "westus3",
    ],
  },
  "Consumption-GPU-NC24-A100": {
    name: "NC24-A100", maxCpu: 24, maxMemoryGi: 220, gpu: "NVIDIA A100",
    regions: ["australiaeast", "brazilsouth", "eastus", "italynorth", "swedencentral", "westus", "westus3"],
  },
};

export const WORKLOAD_PROFILE_TYPES: readonly string[] = Object.keys(WORKLOAD_PROFILES);
/** Functions on Container Apps scale out to at most 1,000 replicas per app. */
export const CONTAINER_APPS_MAX_REPLICAS = 1000;
/** The platform\'s default scale-out ceiling, and mlfunc\'s. */
export const DEFAULT_MAX_REPLICAS = 10;

/** "2Gi" or "0.5Gi" as GiB; undefined when the text is not a GiB amount. */
export function memoryGi(memory: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)Gi$/.exec(memory);
  return m ? Number(m[1]) : undefined;
}

/** Default replica size: 1 vCPU / 2 GiB on Consumption, the whole profile on a GPU profile. */
export function defaultReplicaSize(profileType: string): { cpu: number; memory: string } {
  const p = WORKLOAD_PROFILES[profileType];
  if (!p || p.gpu === undefined) return { cpu: 1, memory: "2Gi" };
  return { cpu: p.maxCpu, memory: `${p.maxMemoryGi}Gi` };
}

/**
 * The smallest replica mlfunc deploys on any profile: the Functions host (a .NET process) and the
 * Python worker that loads the model both live in it. mlfunc's floor, not Azure's.
 */
export const MIN_REPLICA = { cpu: 0.5, memoryGi: 1 } as const;

/** At most two decimal places, as Container Apps takes cpu and memory. */
const twoDecimals = (n: number) => Math.abs(n * 100 - Math.round(n * 100)) < 1e-9;

/**
 * What is wrong with a replica's cpu/memory on a profile, or undefined. Microsoft's rules
 * (https://learn.microsoft.com/azure/container-apps/containers#allocations): on the Consumption
 * profile cpu and memory form one of the pairs 0.25 vCPU/0.5Gi to 4 vCPU/8Gi (0.25 steps, memory twice
 * the vCPUs); on other profiles each is above zero with at most two decimals and within the profile's
 * size. On every profile, at least MIN_REPLICA.
 */
export function replicaSizeProblem(profileType: string, cpu: number, memory: string): { field: "cpu" | "memory"; message: string } | undefined {
  const p = WORKLOAD_PROFILES[profileType];
  if (!p) return undefined;
  const gi = memoryGi(memory);
  if (gi === undefined) return { field: "memory", message: 'memory is a GiB amount such as "2Gi" or "0.5Gi"' };
  const floor = `the Functions host and the Python worker need at least ${MIN_REPLICA.cpu} vCPU and ${MIN_REPLICA.memoryGi}Gi a replica`;
  if (p.gpu === undefined) {
    if (cpu < 0.25 || cpu > p.maxCpu || Math.abs(cpu * 4 - Math.round(cpu * 4)) > 1e-9) {
      return { field: "cpu", message: `the Consumption profile takes 0.25 to ${p.maxCpu} vCPU in steps of 0.25` };
    }
    if (cpu < MIN_REPLICA.cpu) return { field: "cpu", message: `${floor}; use cpu: ${MIN_REPLICA.cpu} with memory: "${MIN_REPLICA.cpu * 2}Gi" or more` };
    if (Math.abs(gi - cpu * 2) > 1e-9) {
      return { field: "memory", message: `the Consumption profile pairs ${cpu} vCPU with ${cpu * 2}Gi (memory is twice the vCPUs); write "${cpu * 2}Gi" or change cpu` };
    }
    return undefined;
  }
  if (!twoDecimals(cpu) || cpu <= 0 || cpu > p.maxCpu) return { field: "cpu", message: `${profileType} replicas take above 0 and at most ${p.maxCpu} vCPU, with at most two decimals` };
  if (cpu < MIN_REPLICA.cpu) return { field: "cpu", message: `${floor}; use cpu: ${MIN_REPLICA.cpu} or more (up to ${p.maxCpu})` };
  if (!twoDecimals(gi) || gi <= 0 || gi > p.maxMemoryGi) return { field: "memory", message: `${profileType} replicas take above 0 and at most ${p.maxMemoryGi}Gi, with at most two decimals` };
  if (gi < MIN_REPLICA.memoryGi) return { field: "memory", message: `${floor}; use memory: "${MIN_REPLICA.memoryGi}Gi" or more (up to ${p.maxMemoryGi}Gi)` };
  return undefined;
}

/** A function's trigger as the hosting warnings see it: its type and, for blobs, its source. */
export interface TriggerKind {
  readonly type: string;
  readonly source?: string;
}

/**
 * Settings that deploy but behave other than a user would expect, as warnings: scale to zero with a
 * polling blob trigger (blob autoscaling on Container Apps needs the Event Grid source; an Event
 * Grid blob trigger wakes the app by its webhook call), and several active revisions that share one
 * host storage account and so both run the queue and blob triggers.
 */
export function containerAppsWarnings(
  env: string,
  c: { readonly minReplicas: number; readonly revisions: { readonly mode: string } },
  triggers: readonly TriggerKind[],
): string[] {
  const warnings: string[] = [];
  if (c.minReplicas === 0 && triggers.some((t) => t.type === "blob" && t.source !== "eventGrid")) {
    warnings.push(
      `environments.${env}.containerApps.minReplicas is 0 with a polling blob trigger: Container Apps wakes blob triggers only through Event Grid, so new blobs wait until an HTTP or Service Bus event starts a replica; set the function's trigger.source: eventGrid (see docs/event-grid.md), or minReplicas: 1 to keep one replica polling`,
    );
  }
  if (c.revisions.mode === "multiple" && triggers.some((t) => t.type !== "http")) {
    warnings.push(
      `environments.${env}.containerApps.revisions.mode is multiple with blob or Service Bus triggers: every active revision shares the host storage and runs those triggers, so the traffic split applies to HTTP only`,
    );
  }
  return warnings;
}
