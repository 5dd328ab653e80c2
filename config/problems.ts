/** One thing wrong with the deployment file: where, what value, which rule, and how to fix it. */
export interface Problem {
  /** Field path like `functions[1].trigger.inputPath`; empty for the file itself. */
  readonly path: string;
  readonly value: unknown;
  /** The rule that was broken and the fix, in words. */
  readonly message: string;
  /** 1-based line in the file, where known. */
  readonly line?: number;
}

/** Every problem in a deployment file, thrown once so the user sees them all together. */
export class DeploymentError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly Problem[],
  ) {
    super(formatProblems(file, problems));
    this.name = "DeploymentError";
  }
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}

function formatValue(value: unknown): string {
  if (value === undefined) return "(missing)";
  if (value !== null && typeof value === "object") return Array.isArray(value) ? "[...]" : "{...}";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}..."` : text;
}

export function formatProblem(p: Problem): string {
  const where = (p.path || "(file)") + (p.line ? ` (line ${p.line})` : "");
  return `  ${where}: ${formatValue(p.value)} — ${p.message}`;
}

export function formatProblems(file: string, problems: readonly Problem[]): string {
  const head = `${file}: ${problems.length} problem${problems.length === 1 ? "" : "s"}`;
  return [head, ...problems.map(formatProblem)].join("\n");
}
