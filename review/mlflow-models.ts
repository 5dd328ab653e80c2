/**
 * What changed in the MLflow model folders of an image: its MLmodel (flavors, MLflow and Python
 * versions, signature, a newly saved model) and its pins, rather than only "these files changed".
 */
import { readFile } from "node:fs/promises";
import * as path from "node:path";
import { parse } from "yaml";
import { requirementName, translateConda } from "../config/conda";
import { requirementLines } from "../config/rules";
import type { ContextFileChange, MlflowModelChange } from "./types";

interface ModelFacts {
  readonly flavors: readonly string[];
  readonly mlflowVersion?: string;
  readonly python?: string;
  readonly inputs?: string;
  readonly outputs?: string;
  readonly uuid?: string;
  /** Pins by normalised package name. */
  readonly pins: ReadonlyMap<string, string>;
}

async function text(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch {
    return undefined;
  }
}

function yaml(source: string | undefined): Record<string, unknown> {
  if (source === undefined) return {};
  try {
    const value: unknown = parse(source, { schema: "failsafe", version: "1.2" });
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);
const obj = (value: unknown): Record<string, unknown> => (typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {});

async function facts(folder: string): Promise<ModelFacts | undefined> {
  const source = await text(path.join(folder, "MLmodel"));
  if (source === undefined) return undefined;
  const mlmodel = yaml(source);
  const flavors = obj(mlmodel.flavors);
  const env = yaml(await text(path.join(folder, "python_env.yaml")));
  const requirements = await text(path.join(folder, "requirements.txt"));
  const conda = requirements === undefined ? await text(path.join(folder, "conda.yaml")) : undefined;
  const lines = requirements !== undefined ? requirementLines(requirements).map((l) => l.text) : conda !== undefined ? translateConda(conda).requirements.map((r) => r.text) : [];
  const signature = obj(mlmodel.signature);
  return {
    flavors: Object.keys(flavors),
    mlflowVersion: str(mlmodel.mlflow_version),
    python: str(env.python) ?? str(obj(flavors.python_function).python_version),
    inputs: str(signature.inputs),
    outputs: str(signature.outputs),
    uuid: str(mlmodel.model_uuid),
    pins: new Map(lines.filter((l) => requirementName(l) !== "").map((l) => [requirementName(l), l] as const)),
  };
}

function pinChanges(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  for (const name of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const b = before.get(name);
    const a = after.get(name);
    if (b === undefined && a !== undefined) out.push(`pin added: ${a}`);
    else if (a === undefined && b !== undefined) out.push(`pin removed: ${b}`);
    else if (a !== b) out.push(`pin ${b ?? ""} → ${a ?? ""}`);
  }
  return out;
}

function details(before: ModelFacts, after: ModelFacts): string[] {
  const out: string[] = [];
  const versus = (what: string, b: string | undefined, a: string | undefined) => {
    if (b !== a) out.push(`${what} ${b ?? "(none)"} → ${a ?? "(none)"}`);
  };
  versus("flavors", before.flavors.join(", "), after.flavors.join(", "));
  versus("MLflow", before.mlflowVersion, after.mlflowVersion);
  versus("Python", before.python, after.python);
  if (before.inputs !== after.inputs) out.push(after.inputs === undefined ? "signature inputs removed" : before.inputs === undefined ? "signature inputs added" : "signature inputs changed");
  if (before.outputs !== after.outputs) out.push(after.outputs === undefined ? "signature outputs removed" : before.outputs === undefined ? "signature outputs added" : "signature outputs changed");
  if (before.uuid !== after.uuid) out.push("saved again (new model_uuid)");
  return [...out, ...pinChanges(before.pins, after.pins)];
}

/** The MLflow folders (those holding MLmodel) under which a file changed, with what changed in them. */
export async function mlflowModelChanges(beforeDir: string, afterDir: string, files: readonly ContextFileChange[], present: ReadonlySet<string>): Promise<MlflowModelChange[]> {
  const folders = [...present].filter((p) => p === "MLmodel" || p.endsWith("/MLmodel")).map((p) => path.posix.dirname(p));
  const out: MlflowModelChange[] = [];
  for (const folder of [...new Set(folders)].sort()) {
    const inside = files.filter((f) => folder === "." || f.path.startsWith(`${folder}/`));
    if (inside.length === 0) continue;
    const [before, after] = await Promise.all([facts(path.join(beforeDir, folder)), facts(path.join(afterDir, folder))]);
    if (before === undefined && after !== undefined) out.push({ path: folder, kind: "added", details: [`flavors ${after.flavors.join(", ")}`, ...[...after.pins.values()].map((p) => `pin ${p}`)] });
    else if (after === undefined && before !== undefined) out.push({ path: folder, kind: "removed", details: [] });
    else if (before !== undefined && after !== undefined) {
      const changed = details(before, after);
      out.push({ path: folder, kind: "changed", details: changed.length > 0 ? changed : [`files: ${inside.map((f) => f.path.slice(folder.length + 1)).join(", ")}`] });
    }
  }
  return out;
}
