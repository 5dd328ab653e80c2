/** Synthesizes deployment files to Terraform JSON for tests, with typed lookups. */
import { lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Testing, TerraformStack } from "cdktf";
import { parse, stringify } from "yaml";
import { buildApp } from "../../main";
import type { MlfuncStack } from "../../constructs/mlfunc-stack";
import type { FunctionApp } from "../../constructs/function-app";
import { PROJECT_ROOT } from "../../build-context/generate";
import { neverShip } from "../../config/ship";

export const ROOT = PROJECT_ROOT;
export const EXAMPLE = join(ROOT, "examples", "diabetes");

export type Json = Record<string, unknown>;

/** The default deployment file as an object, with paths made absolute so it works from any folder. */
export function defaultConfig(): Json {
  const doc = parse(readFileSync(join(ROOT, "mlfunc.yaml"), "utf8")) as Json;
  const model = doc.model as Json;
  for (const key of ["path", "scoringScript", "requirements"]) model[key] = join(ROOT, String(model[key]));
  // The file is written to a scratch folder, so the example's files are outside its project: each allowed explicitly.
  doc.ship = { allow: [String(model.path), String(model.scoringScript)].map((path) => ({ path, reason: "tests read the example from the repository" })) };
  return doc;
}

/** examples/private/mlfunc.yaml (a networked App Service and Container Apps environment), paths made absolute likewise. */
export function privateExampleConfig(): Json {
  const dir = join(ROOT, "examples", "private");
  const doc = parse(readFileSync(join(dir, "mlfunc.yaml"), "utf8")) as Json;
  const model = doc.model as Json;
  for (const key of ["path", "scoringScript", "requirements"]) model[key] = join(dir, String(model[key]));
  doc.ship = { allow: [String(model.path), String(model.scoringScript)].map((path) => ({ path, reason: "tests read the example from the repository" })) };
  return doc;
}

/**
 * Lets the file ship what it names under `paths` outside its folder, as fixtures in scratch folders
 * are: the model.path and model.sourceDir folders there, and one entry a file (names that never ship
 * left out), as an allow entry outside the project must be.
 */
export function allowing(c: Json, ...paths: string[]): Json {
  const ship = (c.ship as { allow?: Json[] } | undefined) ?? {};
  const model = (c.model as Json | undefined) ?? {};
  const roots = [model.path, model.sourceDir].filter((p): p is string => typeof p === "string" && paths.some((base) => p === base || p.startsWith(`${base}/`)));
  const files = (path: string): string[] => {
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (st === undefined || st.isSymbolicLink()) return [];
    if (!st.isDirectory()) return [path];
    return readdirSync(path).flatMap((name) => (neverShip(name, true) === undefined ? files(join(path, name)) : []));
  };
  c.ship = { allow: [...(ship.allow ?? []), ...[...roots, ...paths.flatMap(files)].map((path) => ({ path, reason: "test fixtures" }))] };
  return c;
}

/** Keeps only the dev environment: variants that need one stack synthesize faster. */
export function devOnly(c: Json): Json {
  c.environments = { dev: (c.environments as Json).dev };
  return c;
}

/** Keeps the App Service environments (dev, prod): suites about other things synthesize a third less. */
export function appServiceOnly(c: Json): Json {
  c.environments = Object.fromEntries(Object.entries(c.environments as Json).filter(([, e]) => (e as Json).hosting !== "containerApps"));
  return c;
}

/** A scratch folder, removed by `cleanup()`. */
export function scratch(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "mlfunc-test-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export class SynthResult {
  constructor(readonly stacks: Readonly<Record<string, Json>>) {}

  stack(name: string): Json {
    const s = this.stacks[name];
    if (!s) throw new Error(`no stack ${name}; have ${Object.keys(this.stacks).join(", ")}`);
    return s;
  }

  /** All resources of one type in a stack, by logical id. */
  resources(stack: string, type: string): Record<string, Json> {
    return ((this.stack(stack).resource as Json | undefined)?.[type] as Record<string, Json> | undefined) ?? {};
  }

  /** The only resource of a type in a stack; fails when there are none or several. */
  only(stack: string, type: string): Json {
    const all = Object.values(this.resources(stack, type));
    if (all.length !== 1) throw new Error(`expected one ${type} in ${stack}, found ${all.length}`);
    return all[0] as Json;
  }

  /** Logical id of the only resource of a type in a stack. */
  idOnly(stack: string, type: string): string {
    const ids = Object.keys(this.resources(stack, type));
    if (ids.length !== 1) throw new Error(`expected one ${type} in ${stack}, found ${ids.length}`);
    return ids[0] as string;
  }

  /** `${type.id.attr}`: how the JSON refers to an attribute of the only resource of a type. */
  ref(stack: string, type: string, attr: string): string {
    return `\${${type}.${this.idOnly(stack, type)}.${attr}}`;
  }

  /**
   * How a stack reads an output of the image stack: through its only terraform_remote_state, as an
   * expression to put inside `${...}`.
   */
  imageOutput(stack: string, output: string): string {
    const states = ((this.stack(stack).data as Json | undefined)?.terraform_remote_state as Json | undefined) ?? {};
    const ids = Object.keys(states);
    if (ids.length !== 1) throw new Error(`expected one terraform_remote_state in ${stack}, found ${ids.length}`);
    return `try(data.terraform_remote_state.${ids[0]}.outputs.${output}, "")`;
  }

  /** Logical id of the stack's ACR importImage action (an own-registry environment's import of the digest). */
  importId(stack: string): string {
    const ids = Object.entries(this.resources(stack, "azapi_resource_action")).filter(([, a]) => a.action === "importImage").map(([id]) => id);
    if (ids.length !== 1) throw new Error(`expected one importImage action in ${stack}, found ${ids.length}`);
    return ids[0] as string;
  }

  outputs(stack: string): Json {
    return (this.stack(stack).output as Json | undefined) ?? {};
  }
}

/**
 * Writes `config` (an object or YAML text) to a scratch folder and synthesizes it with validations
 * on, returning each stack's JSON text by stack name. The scratch folder also holds the build
 * contexts; it is removed before returning.
 */
export function synthTexts(config: Json | string = defaultConfig()): Record<string, string> {
  const { dir, cleanup } = scratch();
  try {
    const file = join(dir, "mlfunc.yaml");
    writeFileSync(file, typeof config === "string" ? config : stringify(config));
    const app = buildApp({ config: file, outdir: join(dir, "out"), contextsDir: join(dir, "contexts") });
    const texts: Record<string, string> = {};
    for (const child of app.node.children) {
      if (child instanceof TerraformStack) texts[child.node.id] = Testing.synth(child, true);
    }
    return texts;
  } finally {
    cleanup();
  }
}

/** The stacks of `synthTexts`, parsed, with typed lookups. */
export function parsed(texts: Readonly<Record<string, string>>): SynthResult {
  return new SynthResult(Object.fromEntries(Object.entries(texts).map(([name, text]) => [name, JSON.parse(text) as Json])));
}

let defaults: Readonly<Record<string, string>> | undefined;

/** The default example's stack texts, synthesized once per test file: its files never change under a test. */
export function defaultTexts(): Readonly<Record<string, string>> {
  return (defaults ??= synthTexts());
}

/** `synthTexts`, parsed: see there. Without `config`, the default example (`defaultTexts`), parsed afresh for each caller. */
export function synth(config?: Json | string): SynthResult {
  return parsed(config === undefined ? defaultTexts() : synthTexts(config));
}

/** Like `synth`, but returns the error's message, failing when synth succeeds. */
export function synthError(config: Json | string): string {
  try {
    synth(config);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected synth to fail");
}

/** The stack's app on an App Service plan; fails the test when the stack is hosted elsewhere. */
export function appServiceApp(stack: MlfuncStack): FunctionApp {
  if (stack.hostedApp.hosting !== "appService") throw new Error(`${stack.node.id} is hosted on ${stack.hostedApp.hosting}, not an App Service plan`);
  return stack.hostedApp.construct;
}
