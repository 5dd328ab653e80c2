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

/**
 * Marks that do not have the value's shape (a list of marks over a map, marks over a plain string,
 * a string or number where a flag belongs) are read as "all of it is sensitive": when in doubt, mask.
 */
export function fitMarks(value: JsonValue | undefined, marks: Marks): Marks {
  if (marks === undefined || marks === null || marks === false) return undefined;
  if (marks === true) return true;
  if (Array.isArray(marks)) return Array.isArray(value) || isNullish(value) ? marks : true;
  if (isJsonObject(marks)) return isJsonObject(value) || isNullish(value) ? marks : true;
  return true;
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
export function displayValue(value: JsonValue | undefined, marks: Marks, unknown?: Marks): string {
  if (unknown === true) return UNKNOWN;
  const sensitive = fitMarks(value, marks);
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
  beforeSensitive = fitMarks(before, beforeSensitive);
  afterSensitive = fitMarks(after, afterSensitive);
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
export function renderReplacePath(
  segments: readonly PathSegment[],
  beforeSensitive: Marks,
  afterSensitive: Marks,
  before?: JsonValue,
  after?: JsonValue,
): string {
  let path = "";
  let bv = before;
  let av = after;
  let b = fitMarks(bv, beforeSensitive);
  let a = fitMarks(av, afterSensitive);
  for (const segment of segments) {
    if (b === true || a === true) break;
    path = appendPath(path, segment);
    bv = childOf(bv, segment);
    av = childOf(av, segment);
    b = fitMarks(bv, markAt(b, segment));
    a = fitMarks(av, markAt(a, segment));
  }
  return path === "" ? "(resource)" : path;
}

function childOf(value: JsonValue | undefined, segment: PathSegment): JsonValue | undefined {
  if (Array.isArray(value)) return typeof segment === "number" ? value[segment] : undefined;
  if (isJsonObject(value)) return value[String(segment)];
  return undefined;
}

/** True when `path` is `parent` or lies inside it. */
export function isWithinPath(path: string, parent: string): boolean {
  if (!path.startsWith(parent)) return false;
  const next = path.charAt(parent.length);
  return next === "" || next === "." || next === "[";
}

/** Secrets this long or longer are masked wherever they occur, even inside a longer word. */
export const MIN_SCRUB_LENGTH = 3;

/** Characters that continue a word or an identifier: a token secret must not touch them. */
const WORD_CHAR = /[A-Za-z0-9_-]/;

/** A sensitive `true`, `false` or `null` in text is any boolean or null: masking those would mask every flag. */
const KEYWORDS = new Set(["true", "false", "null"]);

/**
 * Remembers every string Terraform marked sensitive anywhere in a plan and masks it where it shows
 * up unmarked (a key copied into a connection string of another resource, a map key, an address, an
 * import id, an action reason). Values of 3 characters or more are found anywhere, even inside a
 * longer string; 1-2 character values (a PIN digit, a short port) and the keys of sensitive maps
 * (`password` in a credential block) only as whole tokens, or every `1` and every `db_password` in
 * the report would be masked.
 */
export class SecretScrubber {
  private readonly secrets = new Set<string>();
  /** Secrets found only as whole tokens, by first character, longest first. */
  private readonly tokens = new Map<string, string[]>();
  private tokenCount = 0;
  /** Long secrets by their first MIN_SCRUB_LENGTH characters, longest first: one map lookup per text position. */
  private index: Map<string, string[]> | undefined;

  /** Collects the leaves of `value` that `marks` flags as sensitive (marks of another shape flag all of it). */
  collect(value: JsonValue | undefined, marks: Marks): void {
    const fitted = fitMarks(value, marks);
    if (fitted === undefined || isNullish(value)) return;
    if (fitted === true) {
      this.collectAll(value);
      return;
    }
    if (Array.isArray(value)) value.forEach((item, i) => this.collect(item, markAt(fitted, i)));
    else if (isJsonObject(value)) for (const key of Object.keys(value)) this.collect(value[key], markAt(fitted, key));
  }

  private collectAll(value: JsonValue | undefined): void {
    if (isNullish(value) || typeof value === "boolean") return;
    if (Array.isArray(value)) value.forEach((item) => this.collectAll(item));
    else if (isJsonObject(value)) {
      // The keys of a sensitive map are as secret as its values.
      for (const key of Object.keys(value)) {
        this.add(key, true);
        this.collectAll(value[key]);
      }
    } else this.add(String(value));
  }

  private add(text: string, tokenOnly = false): void {
    if (text === "" || KEYWORDS.has(text)) return;
    const forms = new Set([text, JSON.stringify(text).slice(1, -1)]);
    // Display text is JSON-escaped, so a secret with quotes or newlines shows up escaped.
    for (const form of forms) {
      if (tokenOnly || form.length < MIN_SCRUB_LENGTH) this.addToken(form);
      else this.secrets.add(form);
    }
    this.index = undefined;
  }

  private addToken(token: string): void {
    const list = this.tokens.get(token[0]) ?? [];
    if (list.includes(token)) return;
    list.push(token);
    list.sort((x, y) => y.length - x.length);
    this.tokens.set(token[0], list);
    this.tokenCount++;
  }

  get size(): number {
    return this.secrets.size + this.tokenCount;
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
    const tokens = this.tokens.get(text[at] ?? "");
    if (tokens && (at === 0 || !WORD_CHAR.test(text[at - 1] ?? ""))) {
      for (const token of tokens) if (text.startsWith(token, at) && !WORD_CHAR.test(text[at + token.length] ?? "")) return token.length;
    }
    return 0;
  }

  contains(text: string): boolean {
    if (this.size === 0) return false;
    const index = this.lookup();
    for (let at = 0; at < text.length; at++) if (this.matchAt(text, at, index) > 0) return true;
    return false;
  }

  /** A value containing a secret is masked whole: its other parts could give the secret away. */
  value(display: string): string {
    return this.contains(display) ? SENSITIVE : display;
  }

  /** Masks each occurrence inside free text such as a path or an address. */
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
