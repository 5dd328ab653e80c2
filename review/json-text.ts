import { ReviewInputError } from "./errors";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Parses JSON text; on failure reports line and column found by our own scanner.
 * The engine's message is never shown: newer engines quote the surrounding
 * input, and a plan file's surroundings can be a secret.
 */
export function parseJsonText(text: string, source: string): JsonValue {
  // Windows PowerShell's `>` writes a byte-order mark that JSON.parse rejects.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body) as JsonValue;
  } catch {
    const found = locateJsonError(body);
    const { line, column } = lineAndColumn(body, found.offset);
    throw new ReviewInputError(source, `not valid JSON at line ${line}, column ${column}: ${found.problem}`);
  }
}

interface JsonProblem {
  readonly offset: number;
  readonly problem: string;
}

class ScanStop extends Error {
  constructor(readonly found: JsonProblem) {
    super(found.problem);
  }
}

/** Walks the text with JSON's grammar and returns the first place it breaks. */
export function locateJsonError(text: string): JsonProblem {
  let i = 0;
  const fail = (problem: string): never => {
    throw new ScanStop({ offset: i, problem });
  };
  const describe = (): string => {
    if (i >= text.length) return "unexpected end of input";
    const ch = text[i];
    return /[\x20-\x7e]/.test(ch) ? `unexpected '${ch}'` : `unexpected character U+${ch.charCodeAt(0).toString(16).padStart(4, "0")}`;
  };
  const skipSpace = (): void => {
    while (i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")) i++;
  };
  const scanString = (): void => {
    i++;
    while (i < text.length) {
      const ch = text[i];
      if (ch === '"') {
        i++;
        return;
      }
      if (ch === "\\") {
        const esc = text[i + 1];
        if (esc === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
            i++;
            fail("bad \\u escape in string");
          }
          i += 6;
        } else if (esc !== undefined && '"\\/bfnrt'.includes(esc)) {
          i += 2;
        } else {
          i++;
          fail("bad escape in string");
        }
      } else if (ch < " ") {
        fail("control character in string (newlines must be written as \\n)");
      } else {
        i++;
      }
    }
    fail("unterminated string");
  };
  const scanNumber = (): void => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!match || match[0] === "-") fail(describe());
    else i += match[0].length;
  };
  const scanValue = (depth: number): void => {
    if (depth > 10_000) fail("nesting too deep");
    skipSpace();
    const ch = text[i];
    if (ch === "{") {
      i++;
      skipSpace();
      if (text[i] === "}") {
        i++;
        return;
      }
      for (;;) {
        skipSpace();
        if (text[i] !== '"') fail(`${describe()} (expected a property name in double quotes)`);
        scanString();
        skipSpace();
        if (text[i] !== ":") fail(`${describe()} (expected ':')`);
        i++;
        scanValue(depth + 1);
        skipSpace();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") {
          i++;
          return;
        }
        fail(`${describe()} (expected ',' or '}')`);
      }
    } else if (ch === "[") {
      i++;
      skipSpace();
      if (text[i] === "]") {
        i++;
        return;
      }
      for (;;) {
        scanValue(depth + 1);
        skipSpace();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") {
          i++;
          return;
        }
        fail(`${describe()} (expected ',' or ']')`);
      }
    } else if (ch === '"') {
      scanString();
    } else if (ch === "-" || (ch !== undefined && ch >= "0" && ch <= "9")) {
      scanNumber();
    } else {
      for (const word of ["true", "false", "null"]) {
        if (text.startsWith(word, i)) {
          i += word.length;
          return;
        }
      }
      fail(describe());
    }
  };
  try {
    scanValue(0);
    skipSpace();
    if (i < text.length) fail(`${describe()} after the end of the document`);
    // The engine rejected what this scanner accepts: report the start rather than guess.
    return { offset: 0, problem: "unparsable JSON" };
  } catch (err) {
    if (err instanceof ScanStop) return err.found;
    if (err instanceof RangeError) return { offset: i, problem: "nesting too deep" };
    throw err;
  }
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < offset && k < text.length; k++) {
    if (text.charCodeAt(k) === 10) {
      line++;
      lineStart = k + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
