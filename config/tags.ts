/**
 * Azure's tag rules, checked before Terraform runs, since Azure only refuses a bad tag at apply time.
 * https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources#limitations
 * - at most 50 tag name/value pairs per resource;
 * - names at most 512 characters, 128 for storage accounts (mlfunc tags its storage accounts, so 128
 *   applies), values at most 256;
 * - names cannot contain < > % & \ ? /, and cannot start with the reserved prefixes microsoft, azure
 *   or windows (case-insensitive).
 */
export const MAX_TAGS = 50;
export const MAX_TAG_NAME = 128;
export const MAX_TAG_VALUE = 256;
const RESERVED_PREFIXES = ["microsoft", "azure", "windows"];

/** The tags mlfunc puts on every resource of an environment, over the file's own. */
export const OWN_TAG_NAMES = ["app", "environment", "managed-by"] as const;

/** What is wrong with a tag name, or undefined. */
export function tagNameProblem(name: string): string | undefined {
  if (name.trim() === "") return "a tag name must not be empty or blank; name the tag";
  if (/[\p{Cc}\p{Cf}\u2028\u2029]/u.test(name)) return "a tag name must not hold control or invisible characters; retype the name";
  if (/[<>%&\\?/]/.test(name)) return "a tag name cannot contain < > % & \\ ? /; rename the tag";
  if (name.length > MAX_TAG_NAME) return `tag names are at most ${MAX_TAG_NAME} characters on storage accounts, which mlfunc tags (this one has ${name.length}); shorten it`;
  const reserved = RESERVED_PREFIXES.find((p) => name.toLowerCase().startsWith(p));
  if (reserved !== undefined) return `tag names starting with "${reserved}" are reserved by Azure; rename the tag`;
  return undefined;
}

/** Problems of an environment's merged tags (top level, environment, mlfunc's own): count and case-insensitive clashes. */
export function mergedTagProblems(merged: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  const names = Object.keys(merged);
  if (names.length > MAX_TAGS) {
    problems.push(`Azure allows at most ${MAX_TAGS} tags on a resource; with the top-level tags, this environment's and mlfunc's own ${OWN_TAG_NAMES.join(", ")}, this environment has ${names.length}; drop ${names.length - MAX_TAGS}`);
  }
  const seen = new Map<string, string>();
  for (const n of names) {
    const first = seen.get(n.toLowerCase());
    if (first !== undefined) problems.push(`tags "${first}" and "${n}" differ only in case, and Azure tag names are case-insensitive; keep one`);
    else seen.set(n.toLowerCase(), n);
  }
  return problems;
}
