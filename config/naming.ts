import { createHash } from "node:crypto";

/** Azure's naming rule for one kind of name: length, characters, and whether it must be unique worldwide. */
export interface NameRule {
  readonly label: string;
  readonly min: number;
  readonly max: number;
  readonly pattern: RegExp;
  /** The character rule in words, used in error messages. */
  readonly chars: string;
  /** Globally unique names become DNS names (`<name>.azurecr.io` and the like). */
  readonly global?: boolean;
  /** A rule the pattern cannot express; returns what is wrong as a phrase ("must not ..."). */
  readonly extra?: (value: string) => string | undefined;
}

const noDoubleHyphen = (v: string) => (v.includes("--") ? "must not have two hyphens in a row" : undefined);

export const NAME_RULES = {
  app: { label: "app name", min: 2, max: 40, pattern: /^[a-z][a-z0-9-]*[a-z0-9]$/, chars: "lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen", extra: noDoubleHyphen },
  environment: { label: "environment name", min: 1, max: 16, pattern: /^[a-z][a-z0-9]*$/, chars: "lowercase letters and digits, starting with a letter" },
  function: { label: "function name", min: 1, max: 127, pattern: /^[A-Za-z][A-Za-z0-9_-]*$/, chars: "letters, digits, hyphens and underscores, starting with a letter" },
  resourceGroup: { label: "resource group name", min: 1, max: 90, pattern: /^[-\w.()]*[-\w()]$/, chars: "letters, digits, underscores, hyphens, periods and parentheses, not ending with a period" },
  storageAccount: { label: "storage account name", min: 3, max: 24, pattern: /^[a-z0-9]+$/, chars: "lowercase letters and digits only", global: true },
  container: { label: "blob container name", min: 3, max: 63, pattern: /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, chars: "lowercase letters, digits and hyphens, starting and ending with a letter or digit", extra: noDoubleHyphen },
  registry: { label: "container registry name", min: 5, max: 50, pattern: /^[a-zA-Z0-9]+$/, chars: "letters and digits only", global: true },
  registryToken: { label: "registry token name", min: 5, max: 50, pattern: /^[a-zA-Z0-9-]+$/, chars: "letters, digits and hyphens" },
  servicePlan: { label: "App Service plan name", min: 1, max: 60, pattern: /^[a-zA-Z0-9-]+$/, chars: "letters, digits and hyphens" },
  functionApp: { label: "function app name", min: 2, max: 60, pattern: /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, chars: "lowercase letters, digits and hyphens, not starting or ending with a hyphen", global: true },
  serviceBusNamespace: {
    label: "Service Bus namespace name", min: 6, max: 50, pattern: /^[a-zA-Z][a-zA-Z0-9-]*[a-zA-Z0-9]$/,
    chars: "letters, digits and hyphens, starting with a letter and ending with a letter or digit", global: true,
    extra: (v: string) => (/-(sb|mgmt)$/i.test(v) ? 'must not end with "-sb" or "-mgmt"' : undefined),
  },
  queue: { label: "Service Bus queue name", min: 1, max: 260, pattern: /^[a-zA-Z0-9](?:[a-zA-Z0-9._/-]*[a-zA-Z0-9])?$/, chars: "letters, digits, periods, hyphens, underscores and slashes, starting and ending with a letter or digit" },
  logAnalytics: { label: "Log Analytics workspace name", min: 4, max: 63, pattern: /^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$/, chars: "letters, digits and hyphens, starting and ending with a letter or digit" },
  appInsights: { label: "Application Insights name", min: 1, max: 260, pattern: /^[^%&\\?/\x00-\x1f]*[^%&\\?/\x00-\x1f. ]$/, chars: "free of %, &, \\, ?, / and control characters, not ending with a space or period" },
  identity: { label: "managed identity name", min: 3, max: 128, pattern: /^[a-zA-Z0-9][a-zA-Z0-9_-]*$/, chars: "letters, digits, hyphens and underscores, starting with a letter or digit" },
  eventGridTopic: { label: "Event Grid system topic name", min: 3, max: 128, pattern: /^[a-zA-Z0-9-]+$/, chars: "letters, digits and hyphens" },
  eventSubscription: { label: "Event Grid subscription name", min: 3, max: 64, pattern: /^[a-zA-Z0-9-]+$/, chars: "letters, digits and hyphens" },
  containerApp: { label: "container app name", min: 2, max: 32, pattern: /^[a-z][a-z0-9-]*[a-z0-9]$/, chars: "lowercase letters, digits and hyphens, starting with a letter and ending with a letter or digit", extra: noDoubleHyphen },
  containerAppsEnvironment: { label: "Container Apps environment name", min: 2, max: 60, pattern: /^[a-z][a-z0-9-]*[a-z0-9]$/, chars: "lowercase letters, digits and hyphens, starting with a letter and ending with a letter or digit", extra: noDoubleHyphen },
  virtualNetwork: { label: "virtual network name", min: 2, max: 64, pattern: /^[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/, chars: "letters, digits, underscores, periods and hyphens, starting with a letter or digit and ending with a letter, digit or underscore" },
  tfcWorkspace: { label: "HCP Terraform workspace name", min: 1, max: 90, pattern: /^[A-Za-z0-9_-]+$/, chars: "letters, digits, hyphens and underscores" },
} as const satisfies Record<string, NameRule>;

export type NameKind = keyof typeof NAME_RULES;

/** What is wrong with `value` as a name of this kind, or undefined when it is valid. */
export function nameProblem(kind: NameKind, value: string): string | undefined {
  const rule: NameRule = NAME_RULES[kind];
  const mustBe: string[] = [];
  if (value.length < rule.min || value.length > rule.max) {
    mustBe.push(`${rule.min}-${rule.max} characters (this one has ${value.length})`);
  }
  if (value.length > 0 && !rule.pattern.test(value)) mustBe.push(rule.chars);
  const extra = rule.extra?.(value);
  if (mustBe.length === 0 && !extra) return undefined;
  const subject = `${/^[aeiou]/i.test(rule.label) ? "an" : "a"} ${rule.label}`;
  if (mustBe.length === 0) return `${subject} ${extra}`;
  return `${subject} must be ${mustBe.join("; ")}${extra ? `, and ${extra}` : ""}`;
}

/** A valid name close to `value`, offered as the fix in error messages; undefined when none is near. */
export function suggestName(kind: NameKind, value: string): string | undefined {
  const rule: NameRule = NAME_RULES[kind];
  let s = value;
  if (kind === "storageAccount") s = s.toLowerCase().replace(/[^a-z0-9]/g, "");
  else if (kind === "registry") s = s.replace(/[^a-zA-Z0-9]/g, "");
  else if (kind === "container" || kind === "functionApp" || kind === "app" || kind === "containerApp" || kind === "containerAppsEnvironment") {
    s = s.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/-{2,}/g, "-").replace(/^-+|-+$/g, "");
  } else if (kind === "environment") s = s.toLowerCase().replace(/[^a-z0-9]/g, "");
  else if (kind === "function") s = s.replace(/[^A-Za-z0-9_-]+/g, "-");
  else s = s.replace(/[^A-Za-z0-9-]+/g, "-").replace(/^-+|-+$/g, "");
  // Kinds that must start with a letter.
  if (["app", "environment", "function", "serviceBusNamespace", "containerApp", "containerAppsEnvironment"].includes(kind)) {
    const stripped = s.replace(/^[^A-Za-z]+/, "");
    s = stripped.length > 0 ? stripped : `x${s.replace(/[^A-Za-z0-9]/g, "")}`;
  }
  if (kind === "serviceBusNamespace") s = s.replace(/(-(sb|mgmt))+$/i, "");
  s = s.slice(0, rule.max).replace(/-+$/, "");
  while (s.length > 0 && s.length < rule.min) s += "x";
  return nameProblem(kind, s) === undefined ? s : undefined;
}

export function shortHash(text: string, length = 6): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}

/** The names of one environment's resources, derived or overridden. */
export interface ResourceNames {
  readonly resourceGroup: string;
  readonly logAnalytics: string;
  readonly appInsights: string;
  readonly identity: string;
  readonly registry: string;
  readonly registryToken: string;
  readonly repository: string;
  readonly hostStorageAccount: string;
  readonly dataStorageAccount: string;
  readonly servicePlan: string;
  readonly functionApp: string;
  readonly serviceBusNamespace: string;
  /** Container Apps hosting: the app (its FQDN carries the environment's unique domain, so no hash). */
  readonly containerApp: string;
  readonly containerAppsEnvironment: string;
  /** The virtual network mlfunc creates for `network.addressSpace`. */
  readonly virtualNetwork: string;
  /** The trigger account's Event Grid system topic (blob triggers with source: eventGrid). */
  readonly eventGridTopic: string;
}

/** The trigger account's container for events Event Grid could not deliver; no trigger may use it. */
export const DEAD_LETTER_CONTAINER = "eventgrid-deadletter";

/** A function's Event Grid subscription: `blob-<function>`, hyphens for underscores, cut with a hash when long. */
export function eventSubscriptionName(functionName: string): string {
  const lower = functionName.toLowerCase();
  const plain = `blob-${lower.replace(/_/g, "-")}`;
  const rule: NameRule = NAME_RULES.eventSubscription;
  // Function names are unique case-insensitively, so lowercasing keeps them apart; "a_b" and "a-b"
  // would meet, so a rewritten or cut name carries a hash of the real one.
  if (plain.length <= rule.max && !lower.includes("_")) return plain;
  return `${plain.slice(0, rule.max - 7).replace(/-+$/, "")}-${shortHash(lower)}`;
}

/** Which kind of rule each overridable name follows. */
export const OVERRIDABLE_NAMES = {
  resourceGroup: "resourceGroup",
  logAnalytics: "logAnalytics",
  appInsights: "appInsights",
  identity: "identity",
  registry: "registry",
  hostStorageAccount: "storageAccount",
  dataStorageAccount: "storageAccount",
  servicePlan: "servicePlan",
  functionApp: "functionApp",
  serviceBusNamespace: "serviceBusNamespace",
  containerApp: "containerApp",
  containerAppsEnvironment: "containerAppsEnvironment",
  virtualNetwork: "virtualNetwork",
} as const satisfies Partial<Record<keyof ResourceNames, NameKind>>;

export type NameOverrides = Partial<Record<keyof typeof OVERRIDABLE_NAMES, string>>;

/**
 * `<prefix><app><sep><env>` when it fits; otherwise the app part (then the env part) is cut and a
 * hash of the full app/env pair keeps names apart. Globally unique kinds always carry the hash.
 */
function deriveName(kind: NameKind, prefix: string, app: string, env: string, sep: string, suffix = "", hashOf = app, seed?: string): string {
  const rule: NameRule = NAME_RULES[kind];
  // Hash the app's real name: "my-model" and "mymodel" compact alike but must not collide. The seed
  // keeps two organizations' "diabetes" apps apart.
  const hash = shortHash(seed === undefined ? `${hashOf}/${env}` : `${seed}/${hashOf}/${env}`);
  const tail = rule.global ? `${sep}${suffix}${hash}` : "";
  let name = `${prefix}${app}${sep}${env}${tail}`;
  if (name.length > rule.max) {
    // Room for app and env; the environment keeps its name while it can, the app gives way first.
    const room = rule.max - prefix.length - 2 * sep.length - suffix.length - hash.length;
    const envCut = env.slice(0, Math.min(env.length, room - 1));
    const appCut = app.slice(0, room - envCut.length).replace(/-+$/, "");
    name = `${prefix}${appCut}${sep}${envCut}${sep}${suffix}${hash}`;
  }
  const problem = nameProblem(kind, name);
  if (problem) throw new Error(`internal: derived ${rule.label} "${name}" is invalid: ${problem}`);
  return name;
}

/** Conventional abbreviations (rg-, log-, appi-, id-, cr, st, asp-, func-, sb-, vnet-); overrides win. */
export function resourceNames(app: string, env: string, overrides: NameOverrides = {}, seed?: string): ResourceNames {
  const compactApp = app.replace(/-/g, "");
  const derive = (kind: NameKind, prefix: string, a: string, e: string, sep: string, suffix = ""): string => deriveName(kind, prefix, a, e, sep, suffix, app, seed);
  return {
    resourceGroup: overrides.resourceGroup ?? derive("resourceGroup", "rg-", app, env, "-"),
    logAnalytics: overrides.logAnalytics ?? derive("logAnalytics", "log-", app, env, "-"),
    appInsights: overrides.appInsights ?? derive("appInsights", "appi-", app, env, "-"),
    identity: overrides.identity ?? derive("identity", "id-", app, env, "-"),
    registry: overrides.registry ?? derive("registry", "cr", compactApp, env, ""),
    registryToken: derive("registryToken", "push-", app, env, "-"),
    repository: app,
    hostStorageAccount: overrides.hostStorageAccount ?? derive("storageAccount", "st", compactApp, env, "", "h"),
    dataStorageAccount: overrides.dataStorageAccount ?? derive("storageAccount", "st", compactApp, env, "", "d"),
    servicePlan: overrides.servicePlan ?? derive("servicePlan", "asp-", app, env, "-"),
    functionApp: overrides.functionApp ?? derive("functionApp", "func-", app, env, "-"),
    serviceBusNamespace: overrides.serviceBusNamespace ?? derive("serviceBusNamespace", "sb-", app, env, "-"),
    containerApp: overrides.containerApp ?? derive("containerApp", "ca-", app, env, "-"),
    containerAppsEnvironment: overrides.containerAppsEnvironment ?? derive("containerAppsEnvironment", "cae-", app, env, "-"),
    virtualNetwork: overrides.virtualNetwork ?? derive("virtualNetwork", "vnet-", app, env, "-"),
    eventGridTopic: derive("eventGridTopic", "evgt-", app, env, "-"),
  };
}

/** The stack `bootstrap-state` synthesizes for the shared state storage; no environment may take it. */
export function stateStackName(app: string): string {
  return `${app}-state`;
}

/** Names of the shared state storage that `bootstrap-state` creates for one app. */
export function stateStorageNames(app: string, seed?: string): { resourceGroup: string; storageAccount: string; container: string } {
  return {
    resourceGroup: deriveName("resourceGroup", "rg-", app, "tfstate", "-"),
    storageAccount: deriveName("storageAccount", "st", app.replace(/-/g, ""), "tfstate", "", "", app, seed),
    container: "tfstate",
  };
}
