/**
 * The deployment file's text to a plain value, or the problems that stop it: limits first, so a
 * hostile file fails fast instead of hanging or crashing synth.
 */
import { Document, LineCounter, isScalar, parseDocument, visit } from "yaml";
import type { Problem } from "./problems";

/** A deployment file is a few dozen lines; these bounds keep parsing fast whatever it holds. */
export const MAX_FILE_BYTES = 256 * 1024;
export const MAX_KEYS = 5_000;
/** Aliases (`*name`) a file may expand; more is the "billion laughs" pattern. */
export const MAX_ALIASES = 100;

export interface ParsedFile {
  readonly doc: Document;
  readonly lines: LineCounter;
  readonly value: unknown;
}

const problem = (message: string, line?: number): Problem => ({ path: "", value: undefined, message, line });

/** Parses YAML 1.2 (and so JSON); returns the problems instead when the text cannot be used. */
export function parseFile(text: string): ParsedFile | Problem[] {
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > MAX_FILE_BYTES) {
    return [problem(`the file is ${bytes} bytes; a deployment file may be at most ${MAX_FILE_BYTES} bytes (256 KiB): it describes one app, not data`)];
  }
  const comment = jsonComment(text);
  if (comment !== undefined) {
    return [problem("JSON does not allow comments (// or /* */); remove them, or write the file as YAML, where # starts a comment", comment)];
  }
  const lines = new LineCounter();
  // Duplicate keys are checked below in one pass: the library's own check is quadratic in the keys.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  if (doc.errors.length > 0) {
    return doc.errors.map((e) => problem(`not valid YAML or JSON: ${e.message.split("\n")[0]}`, lines.linePos(e.pos[0]).line));
  }
  const version = doc.directives?.yaml.explicit ? doc.directives.yaml.version : undefined;
  if (version !== undefined && version !== "1.2") {
    return [problem(`"%YAML ${version}" is not supported: YAML 1.1 reads on, off, yes and no as true and false, so an environment "no" would become "false"; remove the %YAML line (the file is read as YAML 1.2)`, 1)];
  }
  const keys = keyProblems(doc, lines);
  if (keys.length > 0) return keys;
  try {
    return { doc, lines, value: doc.toJS({ maxAliasCount: MAX_ALIASES }) };
  } catch (e) {
    // The yaml library throws ReferenceError for alias loops, bombs and undefined anchors.
    const why = e instanceof Error && /alias count/i.test(e.message) ? `aliases (*name) expand to too many nodes; a deployment file may expand at most ${MAX_ALIASES}: write the values out` : e instanceof Error ? e.message.split("\n")[0] : String(e);
    return [problem(`cannot read the file: ${why}`)];
  }
}

/** Duplicate keys in any mapping, and the key count limit: one linear pass. */
function keyProblems(doc: Document, lines: LineCounter): Problem[] {
  const problems: Problem[] = [];
  let count = 0;
  visit(doc, {
    Map(_, map) {
      const seen = new Map<string, number | undefined>();
      for (const pair of map.items) {
        if (++count > MAX_KEYS) return visit.BREAK;
        const key = pair.key;
        if (!isScalar(key)) continue;
        const name = String(key.value);
        const line = key.range ? lines.linePos(key.range[0]).line : undefined;
        if (seen.has(name)) {
          const first = seen.get(name);
          problems.push({ path: "", value: name, line, message: `duplicate key${first === undefined ? "" : ` (first at line ${first})`}; keep one` });
        } else seen.set(name, line);
      }
      return undefined;
    },
  });
  if (count > MAX_KEYS) return [problem(`the file has more than ${MAX_KEYS} keys; a deployment file needs a few dozen`)];
  return problems;
}

/**
 * The line of the first comment in text that is meant as JSON (starts with `{` and is not valid
 * JSON), else undefined. YAML would read `// x` inside braces as a key and hide the mistake.
 */
function jsonComment(text: string): number | undefined {
  if (!text.trimStart().startsWith("{")) return undefined;
  try {
    JSON.parse(text);
    return undefined;
  } catch {
    // Look for a comment outside strings.
  }
  let inString = false;
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\n") line++;
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "/" && (text[i + 1] === "/" || text[i + 1] === "*")) return line;
  }
  return undefined;
}
