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
