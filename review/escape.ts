/**
 * One escaping per output format for every string that comes from a plan, a deployment file, a git
 * ref or a file name. Whatever such a string holds, it stays on its line and inside its span: no
 * newline, fence, HTML tag or terminal escape sequence can change the report's structure.
 */

/**
 * Characters that move the cursor, colour or hide text in a terminal, or break a Markdown line:
 * C0 and C1 controls (ESC, CSI), DEL, line and paragraph separators, soft hyphen, zero-width and
 * bidirectional controls (the "Trojan Source" characters), byte-order marks.
 */
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;

/** The same set without C0 controls, which JSON.stringify already escapes inside strings. */
const INVISIBLE_BEYOND_C0 = /[\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;

const NAMED: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** The text on one line with every invisible or control character written out: `a\nb`, `\u001b[31m`. */
export function visible(text: string): string {
  return text.replace(INVISIBLE, (ch) => NAMED[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Terminal output (stderr messages): each line made visible on its own, our own line breaks kept. */
export function terminalLines(text: string): string {
  return text.split("\n").map(visible).join("\n");
}

function longestRun(text: string, ch: string): number {
  let longest = 0;
  let run = 0;
  for (const c of text) {
    run = c === ch ? run + 1 : 0;
    if (run > longest) longest = run;
  }
  return longest;
}

export interface CodeOptions {
  /** Inside a GFM table cell, where `|` splits cells even inside code. */
  readonly table?: boolean;
}

/**
 * A Markdown code span (CommonMark): the delimiter is one backtick longer than the longest run
 * inside, padded where the text starts or ends with a backtick or space, so the span always closes
 * where it should. Code spans show their content literally, so only line breaks need care.
 */
export function mdCode(text: string, options: CodeOptions = {}): string {
  const flat = visible(text);
  if (flat === "") return "` `";
  const fence = "`".repeat(longestRun(flat, "`") + 1);
  const pad = /^[` ]|[` ]$/.test(flat) ? " " : "";
  const span = `${fence}${pad}${flat}${pad}${fence}`;
  return options.table ? span.replace(/\|/g, "\\|") : span;
}

/** Opening/closing fence for a fenced code block holding `lines`: longer than any backtick run in them. */
export function mdFence(lines: readonly string[]): string {
  return "`".repeat(Math.max(3, ...lines.map((l) => longestRun(l, "`") + 1)));
}

/** One line of a fenced code block: nothing inside can start a new line, so nothing can close the fence. */
export function mdBlockLine(text: string): string {
  return visible(text);
}

/**
 * Markdown prose: characters that open spans, links, HTML or entities are backslash-escaped anywhere,
 * and a start that would make a list, heading or quote is escaped too.
 */
export function mdText(text: string): string {
  return visible(text)
    .replace(/[\\`*_[\]<>#!|~&]/g, "\\$&")
    .replace(/^([-+](?=[ \t]|$)|=)/, "\\$1")
    .replace(/^(\d+)\./, "$1\\.");
}

/** Text inside raw HTML (a `<summary>` or `<code>` element): entities for the five HTML specials. */
export function htmlText(text: string): string {
  return visible(text).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** A GFM table cell of prose: HTML escaped, pipes escaped, on one line. */
export function mdCell(text: string): string {
  return visible(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\|/g, "\\|");
}

/**
 * JSON output for a terminal: JSON.stringify escapes C0 controls only, so C1 controls, separators and
 * bidi controls, which can only occur inside strings, are written as `\u` escapes too.
 */
export function jsonForTerminal(json: string): string {
  return json.replace(INVISIBLE_BEYOND_C0, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
