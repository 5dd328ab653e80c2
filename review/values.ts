import { isJsonObject, type JsonValue } from "./json-text";
import { SENSITIVE, UNKNOWN, type AttributeChange } from "./types";

export type PathSegment = string | number;

/**
 * A marker tree as Terraform writes `before_sensitive`, `after_sensitive` and
 * `after_unknown`: `true` marks the whole subtree, objects and arrays mirror the
 * value to mark single leaves, anything else marks nothing.
 */
export type Marks = JsonValue | undefined;

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `site_config[0].minimum_tls_version`; odd map keys are quoted: `tags["cost center"]`. */
export function appendPath(path: string, segment: PathSegment): string {
  if (typeof segment === "number") return `${path}[${segment}]`;
  if (PLAIN_KEY.test(segment)) return path === "" ? segment : `${path}.${segment}`;
  return `${path}[${JSON.stringify(segment)}]`;
}

export function markAt(marks: Marks, segment: PathSegment): Marks {
  if (marks === true) return true;
  if (Array.isArray(marks)) return typeof segment === "number" ? marks[segment] : undefined;
  if (isJsonObject(marks)) return marks[String(segment)];
  return undefined;
}

function isNullish(value: JsonValue | undefined): value is null | undefined {
  return value === null || value === undefined;
}

export function sameValue(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (isNullish(a) || isNullish(b)) return isNullish(a) && isNullish(b);
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  if (isJsonObject(a)) {
    if (!isJsonObject(b)) return false;
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    for (const key of keys) if (!(key in b) || !sameValue(a[key], b[key])) return false;
    return true;
  }
  return false;
}

/** Compact JSON-like text of a value with sensitive parts masked and unknown parts marked. */
export function displayValue(value: JsonValue | undefined, sensitive: Marks, unknown?: Marks): string {
  if (unknown === true) return UNKNOWN;
  if (sensitive === true) return isNullish(value) ? "null" : SENSITIVE;
  if (isNullish(value)) return "null";
  if (Array.isArray(value)) {
    return `[${value.map((item, i) => displayValue(item, markAt(sensitive, i), markAt(unknown, i))).join(",")}]`;
  }
  if (isJsonObject(value)) {
    const parts = Object.keys(value).map(
      (key) => `${JSON.stringify(key)}:${displayValue(value[key], markAt(sensitive, key), markAt(unknown, key))}`,
    );
    return `{${parts.join(",")}}`;
  }
  return JSON.stringify(value);
}

type Shape = "array" | "object" | "nullish" | "scalar";

function shapeOf(value: JsonValue | undefined): Shape {
  if (isNullish(value)) return "nullish";
  if (Array.isArray(value)) return "array";
  if (isJsonObject(value)) return "object";
  return "scalar";
}

function isEmptyContainer(value: JsonValue | undefined): boolean {
  if (Array.isArray(value)) return value.length === 0;
  return isJsonObject(value) && Object.keys(value).length === 0;
}

export interface ChangeSides {
  readonly before: JsonValue | undefined;
  readonly after: JsonValue | undefined;
  readonly beforeSensitive?: Marks;
  readonly afterSensitive?: Marks;
  readonly afterUnknown?: Marks;
}

/**
 * Flattens two versions of a resource into leaf paths that differ. A subtree
 * marked sensitive on either side becomes one masked line: neither its value
 * nor its map keys are read into the output.
 */
export function attributeChanges(sides: ChangeSides): AttributeChange[] {
  const out: AttributeChange[] = [];
  walk("", sides.before, sides.after, sides.beforeSensitive, sides.afterSensitive, sides.afterUnknown, out);
  return out;
}

function walk(
  path: string,
  before: JsonValue | undefined,
  after: JsonValue | undefined,
  beforeSensitive: Marks,
  afterSensitive: Marks,
  afterUnknown: Marks,
  out: AttributeChange[],
): void {
  const label = path === "" ? "(resource)" : path;
  if (beforeSensitive === true || afterSensitive === true) {
    const masked = (value: JsonValue | undefined): string => (isNullish(value) ? "null" : SENSITIVE);
    if (afterUnknown === true) {
      out.push({ path: label, before: masked(before), after: UNKNOWN, sensitive: true, unknown: true });
    } else if (!sameValue(before, after)) {
      out.push({ path: label, before: masked(before), after: masked(after), sensitive: true });
    }
    return;
  }
  if (afterUnknown === true) {
    out.push({ path: label, before: displayValue(before, beforeSensitive), after: UNKNOWN, unknown: true });
    return;
  }
  const beforeShape = shapeOf(before);
  const afterShape = shapeOf(after);
  const unknownShape = Array.isArray(afterUnknown) ? "array" : isJsonObject(afterUnknown) ? "object" : "nullish";
  const containerShape =
    beforeShape === "array" || beforeShape === "object" ? beforeShape : afterShape === "array" || afterShape === "object" ? afterShape : undefined;
  const compatible =
    containerShape !== undefined &&
    (beforeShape === containerShape || beforeShape === "nullish") &&
    (afterShape === containerShape || afterShape === "nullish") &&
    (unknownShape === containerShape || unknownShape === "nullish");
  // `null` against `[]` is a real change, but a one-line one: descending would print nothing.
  const nullVersusEmpty =
    (beforeShape === "nullish" && isEmptyContainer(after)) || (afterShape === "nullish" && isEmptyContainer(before));
  if (compatible && !nullVersusEmpty) {
    if (containerShape === "array") {
      const b = Array.isArray(before) ? before : [];
      const a = Array.isArray(after) ? after : [];
      const u = Array.isArray(afterUnknown) ? afterUnknown.length : 0;
      const length = Math.max(b.length, a.length, u);
      for (let i = 0; i < length; i++) {
        walk(appendPath(path, i), b[i], a[i], markAt(beforeSensitive, i), markAt(afterSensitive, i), markAt(afterUnknown, i), out);
      }
    } else {
      const b = isJsonObject(before) ? before : {};
      const a = isJsonObject(after) ? after : {};
      const keys = new Set([...Object.keys(b), ...Object.keys(a)]);
      // Terraform leaves unknown attributes out of `after`; they exist only in `after_unknown`.
      if (isJsonObject(afterUnknown)) for (const key of Object.keys(afterUnknown)) keys.add(key);
      for (const key of keys) {
        walk(appendPath(path, key), b[key], a[key], markAt(beforeSensitive, key), markAt(afterSensitive, key), markAt(afterUnknown, key), out);
      }
    }
    return;
  }
  if (!sameValue(before, after)) {
    out.push({
      path: label,
      before: displayValue(before, beforeSensitive),
      after: displayValue(after, afterSensitive, afterUnknown),
    });
  }
}

/**
 * Renders a `replace_paths` entry, stopping at the first segment that is
 * sensitive on either side so a map key inside a secret is never named.
 */
export function renderReplacePath(segments: readonly PathSegment[], beforeSensitive: Marks, afterSensitive: Marks): string {
  let path = "";
  let b = beforeSensitive;
  let a = afterSensitive;
  for (const segment of segments) {
    path = appendPath(path, segment);
    b = markAt(b, segment);
    a = markAt(a, segment);
    if (b === true || a === true) break;
  }
  return path === "" ? "(resource)" : path;
}

/** True when `path` is `parent` or lies inside it. */
export function isWithinPath(path: string, parent: string): boolean {
  if (!path.startsWith(parent)) return false;
  const next = path.charAt(parent.length);
  return next === "" || next === "." || next === "[";
}

/** Minimum length of a secret searched for elsewhere; shorter ones would mask ordinary words and numbers. */
export const MIN_SCRUB_LENGTH = 6;

/**
 * Remembers every string Terraform marked sensitive anywhere in a plan and
 * masks it where it shows up unmarked (a key copied into a connection string of
 * another resource, a map key, an import id).
 */
export class SecretScrubber {
  private readonly secrets = new Set<string>();
  /** Secrets by their first MIN_SCRUB_LENGTH characters, longest first: one map lookup per text position. */
  private index: Map<string, string[]> | undefined;

  /** Collects the leaves of `value` that `marks` flags as sensitive. */
  collect(value: JsonValue | undefined, marks: Marks): void {
    if (marks === undefined || marks === false || marks === null || isNullish(value)) return;
    if (marks === true) {
      this.collectAll(value);
      return;
    }
    if (Array.isArray(value)) value.forEach((item, i) => this.collect(item, markAt(marks, i)));
    else if (isJsonObject(value)) for (const key of Object.keys(value)) this.collect(value[key], markAt(marks, key));
  }

  private collectAll(value: JsonValue | undefined): void {
    if (isNullish(value)) return;
    if (Array.isArray(value)) value.forEach((item) => this.collectAll(item));
    else if (isJsonObject(value)) for (const key of Object.keys(value)) this.collectAll(value[key]);
    else this.add(String(value));
  }

  private add(text: string): void {
    if (text.length < MIN_SCRUB_LENGTH) return;
    this.index = undefined;
    this.secrets.add(text);
    // Display text is JSON-escaped, so a secret with quotes or newlines shows up escaped.
    const escaped = JSON.stringify(text).slice(1, -1);
    if (escaped !== text) this.secrets.add(escaped);
  }

  get size(): number {
    return this.secrets.size;
  }

  private lookup(): Map<string, string[]> {
    if (this.index) return this.index;
    const index = new Map<string, string[]>();
    for (const secret of this.secrets) {
      const key = secret.slice(0, MIN_SCRUB_LENGTH);
      const list = index.get(key);
      if (list) list.push(secret);
      else index.set(key, [secret]);
    }
    for (const list of index.values()) list.sort((x, y) => y.length - x.length);
    this.index = index;
    return index;
  }

  /** Length of the longest secret starting at `at`, or 0. */
  private matchAt(text: string, at: number, index: Map<string, string[]>): number {
    const list = index.get(text.substr(at, MIN_SCRUB_LENGTH));
    if (list) for (const secret of list) if (text.startsWith(secret, at)) return secret.length;
    return 0;
  }

  contains(text: string): boolean {
    if (this.secrets.size === 0 || text.length < MIN_SCRUB_LENGTH) return false;
    const index = this.lookup();
    for (let at = 0; at + MIN_SCRUB_LENGTH <= text.length; at++) if (this.matchAt(text, at, index) > 0) return true;
    return false;
  }

  /** A value containing a secret is masked whole: its other parts could give the secret away. */
  value(display: string): string {
    return this.contains(display) ? SENSITIVE : display;
  }

  /** Masks each occurrence inside free text such as a path. */
  text(text: string): string {
    if (!this.contains(text)) return text;
    const index = this.lookup();
    let result = "";
    let at = 0;
    while (at < text.length) {
      const length = this.matchAt(text, at, index);
      if (length > 0) {
        result += SENSITIVE;
        at += length;
      } else {
        result += text[at];
        at++;
      }
    }
    return result;
  }

  change(change: AttributeChange): AttributeChange {
    const path = this.text(change.path);
    const before = this.value(change.before);
    const after = this.value(change.after);
    if (path === change.path && before === change.before && after === change.after) return change;
    return { ...change, path, before, after, sensitive: true };
  }
}
