/**
 * Extra app settings next to the ones mlfunc writes. The Functions host and App Service read setting
 * names case-insensitively, so a name is compared trimmed and lower-cased against every name and
 * prefix mlfunc owns: a look-alike (`azurewebjobsstorage__accountname`, a trailing space) would
 * otherwise replace mlfunc's own value.
 */
import { secretIn } from "../policy/secrets";

/**
 * Prefixes the platform and mlfunc own on either hosting: the host's storage connection, Application
 * Insights, the Functions runtime, App Service's WEBSITE* switches, host.json overrides and the
 * registry settings azurerm writes from the image.
 */
export const PLATFORM_SETTING_PREFIXES = ["AzureWebJobsStorage", "APPLICATIONINSIGHTS_", "FUNCTIONS_", "WEBSITE", "AzureFunctionsJobHost__", "DOCKER_REGISTRY_"] as const;

/** What App Service accepts as a setting name: ASCII letters, digits, `_`, `.` and `-`. */
const SETTING_NAME = /^[A-Za-z0-9_.-]+$/;

export interface OwnedSettings {
  /** Exact names (compared case-insensitively). */
  readonly names: readonly string[];
  /** Name prefixes (compared case-insensitively). */
  readonly prefixes: readonly string[];
  /** Names under an owned prefix that a caller may still pass (the identity connection mlfunc composes). */
  readonly allowed?: readonly string[];
}

const norm = (name: string) => name.trim().toLowerCase();

/** Every problem of `settings` against the owned names, the name rule and the no-secret rule. */
export function appSettingProblems(settings: Readonly<Record<string, string>>, owned: OwnedSettings): string[] {
  const problems: string[] = [];
  const names = new Set(owned.names.map(norm));
  const allowed = new Set(owned.allowed);
  const show = (name: string) => JSON.stringify(name).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  for (const [name, value] of Object.entries(settings)) {
    if (!SETTING_NAME.test(name)) {
      problems.push(`${show(name)}: a setting name is one or more ASCII letters, digits, "_", "." or "-" (no spaces, no other characters)`);
      continue;
    }
    const n = norm(name);
    const prefix = owned.prefixes.find((p) => n.startsWith(norm(p)));
    if (!allowed.has(name) && (names.has(n) || prefix !== undefined)) {
      problems.push(`${show(name)}: set by mlfunc itself${prefix === undefined ? "" : ` (every name starting with ${prefix}, in any case)`}; use another name`);
      continue;
    }
    // A Key Vault reference is how a secret should arrive.
    const secret = value.trim().startsWith("@Microsoft.KeyVault(") ? undefined : secretIn(name, value);
    if (secret !== undefined) {
      problems.push(`${show(name)}: holds ${secret}; keep secrets out of app settings: use the app's managed identity or a Key Vault reference (@Microsoft.KeyVault(SecretUri=...))`);
    }
  }
  return problems;
}

/** Throws one error listing every problem, naming the construct. */
export function checkAppSettings(where: string, settings: Readonly<Record<string, string>> | undefined, owned: OwnedSettings): void {
  const problems = appSettingProblems(settings ?? {}, owned);
  if (problems.length > 0) throw new Error(`${where}: appSettings: ${problems.length === 1 ? "1 problem" : `${problems.length} problems`}\n  ${problems.join("\n  ")}`);
}
