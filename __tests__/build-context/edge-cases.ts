/** Edge cases of the function image: names, links, encodings, requirements, helper modules. */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { BuildContext, buildContext, pruneBuildContexts, writeBuildContext } from "../../build-context/generate";
import { Deployment, loadDeployment } from "../../config/load";
import { DeploymentError } from "../../config/problems";
import { contextFor, runtimeArgs } from "../../commands/invoke";
import { EXAMPLE, Json, allowing, defaultConfig, scratch } from "../support/synth";
import { PYTHON, requireTestPackages, runContext } from "../support/python";

const work = scratch();
afterAll(() => work.cleanup());

let count = 0;
function deploymentFrom(config: Json): Deployment {
  const dir = join(work.dir, `config-${++count}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "mlfunc.yaml"), stringify(allowing(config, work.dir)));
  return loadDeployment(join(dir, "mlfunc.yaml"));
}

function withModel(patch: Json): Json {
  const c = defaultConfig();
  c.model = { ...(c.model as Json), ...patch };
  return c;
}

function contextOf(d: Deployment): BuildContext {
  return buildContext(d);
}

function file(ctx: BuildContext, path: string): Buffer | undefined {
  return ctx.files.find((f) => f.path === path)?.content;
}

describe("function names that shadow the image's own folders", () => {
  const reference = contextOf(deploymentFrom(defaultConfig()));

  /** "rejected", "intact", or what went wrong with the context of a validated file. */
  function outcome(name: string): string {
    const c = defaultConfig();
    c.functions = [...(c.functions as Json[]), { name, trigger: { type: "http" } }];
    let d: Deployment;
    try {
      d = deploymentFrom(c);
    } catch (e) {
      return e instanceof DeploymentError && e.message.includes(name) ? "rejected" : `failed to load: ${String(e)}`;
    }
    const ctx = contextOf(d);
    try {
      writeBuildContext(ctx, join(work.dir, `contexts-${name}`));
    } catch (e) {
      return `accepted, but writing the context fails: ${(e as Error).message}`;
    }
    const damaged = reference.files.filter((f) => !f.path.includes("/function.json") && !(file(ctx, f.path)?.equals(f.content) ?? false)).map((f) => f.path);
    if (damaged.length > 0) return `accepted, but it replaces ${damaged.join(", ")}`;
    // Both writers share one path, so one of them loses: here, the function's entry module.
    const entry = file(ctx, `${name}/__init__.py`)?.toString("utf8");
    const wanted = "from mlfunc_runtime.entry import http_main as main  # noqa: F401\n";
    return entry === wanted ? "intact" : `accepted, but ${name}/__init__.py is not the function's entry module (no main): ${JSON.stringify(entry?.slice(0, 60))}`;
  }

  test.each(["Dockerfile", "mlfunc_runtime", "azureml"])("a function named %s is rejected or leaves the image's files intact", (name) => {
    expect(outcome(name)).toMatch(/^(rejected|intact)$/);
  });
});

test("a symlinked file inside a model folder reaches the context with the target's bytes", () => {
  const store = join(work.dir, "store");
  const folder = join(work.dir, "linked-model", "model");
  mkdirSync(store, { recursive: true });
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(store, "weights.bin"), Buffer.from([1, 2, 3, 4]));
  writeFileSync(join(folder, "config.json"), "{}\n");
  // Hugging Face snapshots and DVC caches lay model folders out like this.
  symlinkSync(join(store, "weights.bin"), join(folder, "weights.bin"));
  const ctx = contextOf(deploymentFrom(withModel({ path: folder })));
  expect(ctx.files.filter((f) => f.path.startsWith("model/")).map((f) => f.path)).toEqual(["model/model/config.json", "model/model/weights.bin"]);
  expect(file(ctx, "model/model/weights.bin")).toEqual(Buffer.from([1, 2, 3, 4]));
});

test("a Latin-1 scoring script with CRLF ships as its LF form, other bytes untouched, and hashes like it", () => {
  const dir = join(work.dir, "latin1");
  mkdirSync(join(dir, "crlf"), { recursive: true });
  mkdirSync(join(dir, "lf"), { recursive: true });
  const lines = ["# -*- coding: latin-1 -*-", 'LABEL = "caf\xe9"', "", "def init():", "    pass", "", "def run(data):", "    return LABEL", ""];
  const crlf = Buffer.from(lines.join("\r\n"), "latin1");
  writeFileSync(join(dir, "crlf", "score.py"), crlf);
  writeFileSync(join(dir, "lf", "score.py"), Buffer.from(lines.join("\n"), "latin1"));
  const withCrlf = contextOf(deploymentFrom(withModel({ scoringScript: join(dir, "crlf", "score.py") })));
  const withLf = contextOf(deploymentFrom(withModel({ scoringScript: join(dir, "lf", "score.py") })));
  expect(crlf.includes(13)).toBe(true);
  expect(file(withCrlf, "scoring/score.py")?.toString("hex")).toBe(Buffer.from(lines.join("\n"), "latin1").toString("hex"));
  expect(withCrlf.hash).toBe(withLf.hash);
});

test("requirements.txt in the image does not point at files the image does not have (-r)", () => {
  const dir = join(work.dir, "nested-req");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "base.txt"), "joblib==1.2.0\n");
  writeFileSync(join(dir, "requirements.txt"), "-r base.txt\nnumpy==1.24.2\n");
  const outcome = (): string => {
    let d: Deployment;
    try {
      d = deploymentFrom(withModel({ requirements: join(dir, "requirements.txt") }));
    } catch (e) {
      // Rejecting the file at validation is an acceptable fix too.
      return e instanceof DeploymentError ? "rejected" : `failed to load: ${String(e)}`;
    }
    const req = file(contextOf(d), "requirements.txt")?.toString("utf8") ?? "";
    // The Dockerfile copies requirements.txt alone to /tmp, so an -r/-c include cannot resolve there.
    const includes = req.split("\n").filter((l) => /^\s*(-r|-c|--requirement|--constraint)\b/.test(l));
    return includes.length === 0 ? "self-contained" : `accepted, image requirements.txt keeps ${includes.join(", ")}`;
  };
  expect(outcome()).toMatch(/^(rejected|self-contained)$/);
});

test("azure-functions spelled azure.functions (PEP 503: the same project) is not added twice", () => {
  const ctx = contextOf(deploymentFrom(withModel({ requirements: ["azure.functions==1.18.0"] })));
  expect(file(ctx, "requirements.txt")?.toString("utf8")).toBe("azure.functions==1.18.0\n");
});

describe("helper modules next to the scoring script", () => {
  const dir = join(work.dir, "with-helper");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "features.py"), "def prepare(rows):\n    return rows\n");
  writeFileSync(join(dir, "score.py"), `import features  # noqa: F401\n${readFileSync(join(EXAMPLE, "score.py"), "utf8")}`);
  const config = (extra: Json): Json => {
    const c = withModel({ scoringScript: join(dir, "score.py"), ...extra });
    c.functions = [{ name: "predict", trigger: { type: "http" } }];
    return c;
  };

  test("without sourceDir the file is rejected at synth time, naming the module and the fix", () => {
    let message = "";
    try {
      deploymentFrom(config({}));
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message.split("\n").slice(1)).toEqual([
      `  model.scoringScript (line 7): "${join(dir, "score.py")}" — the script imports "features" from its own folder, which is not copied into the image; set model.sourceDir to that folder`,
    ]);
  });

  test("with sourceDir the module is in the image, and invoke and the image both answer 200", () => {
    requireTestPackages("the edge cases run under real Python");
    const d = deploymentFrom(config({ sourceDir: dir }));
    const ctx = contextOf(d);
    expect(ctx.files.filter((f) => f.path.startsWith("scoring/")).map((f) => f.path)).toEqual(["scoring/features.py", "scoring/score.py"]);
    const sample = join(EXAMPLE, "sample.json");

    // Locally: invoke's command line, from the environment's build context.
    const context = contextFor(d, undefined, join(work.dir, "helper-contexts"));
    const local = spawnSync(PYTHON, runtimeArgs(d, { functionName: "predict", input: sample, out: join(dir, "out") }, context), {
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "", PYTHONPATH: context, PYTHONDONTWRITEBYTECODE: "1" },
    });
    expect(local.stdout.split("\n")[0]).toBe("HTTP 200");

    // In the image: the generated context, imported as the worker does.
    const inImage = runContext(context, sample, work.dir);
    expect(inImage.status).toBe(0);
    const report = JSON.parse(inImage.stdout) as { functions: Record<string, { returned: { status: number } | null }> };
    expect(report.functions.predict?.returned?.status).toBe(200);
  });
});

test("sourceDir leaves out dot-entries and virtualenvs: secrets and bulk stay out of the image", () => {
  const dir = join(work.dir, "source-with-secrets");
  for (const sub of [".git", "venv", "lib"]) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, "score.py"), readFileSync(join(EXAMPLE, "score.py")));
  writeFileSync(join(dir, ".env"), "API_KEY=abc\n");
  writeFileSync(join(dir, ".git", "config"), "[core]\n");
  writeFileSync(join(dir, "venv", "pyvenv.cfg"), "home = /usr/bin\n");
  writeFileSync(join(dir, "lib", "helpers.py"), "X = 1\n");
  const ctx = contextOf(deploymentFrom(withModel({ scoringScript: join(dir, "score.py"), sourceDir: dir })));
  expect(ctx.files.filter((f) => f.path.startsWith("scoring/")).map((f) => f.path)).toEqual(["scoring/lib/helpers.py", "scoring/score.py"]);
});

test("a binary Service Bus trigger asks the host for bytes", () => {
  const c = defaultConfig();
  c.functions = [{ name: "images", trigger: { type: "serviceBus", queue: "images", dataType: "binary" } }];
  const fn = JSON.parse(file(contextOf(deploymentFrom(c)), "images/function.json")?.toString("utf8") ?? "{}") as { bindings: Json[] };
  expect(fn.bindings).toEqual([{ type: "serviceBusTrigger", direction: "in", name: "msg", queueName: "images", connection: "MLFUNC_TRIGGER_SERVICEBUS", dataType: "binary" }]);
});

test("contexts unused for a week are pruned; one in use is refreshed and kept", () => {
  const root = join(work.dir, "prune");
  const ctx = contextOf(deploymentFrom(defaultConfig()));
  const current = writeBuildContext(ctx, root);
  const stale = join(root, "a".repeat(64));
  mkdirSync(stale, { recursive: true });
  const weekAgo = new Date(Date.now() - 8 * 86_400_000);
  utimesSync(stale, weekAgo, weekAgo);
  utimesSync(current, weekAgo, weekAgo);
  expect(writeBuildContext(ctx, root)).toBe(current);
  expect(pruneBuildContexts(root)).toEqual(["a".repeat(64)]);
  expect(existsSync(stale)).toBe(false);
  expect(existsSync(current)).toBe(true);
});

test("data files in sourceDir ship byte for byte, and their line endings count in the hash", () => {
  const make = (name: string, eol: string) => {
    const dir = join(work.dir, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "score.py"), readFileSync(join(EXAMPLE, "score.py")));
    writeFileSync(join(dir, "labels.txt"), ["a", "b", ""].join(eol));
    return contextOf(deploymentFrom(withModel({ scoringScript: join(dir, "score.py"), sourceDir: dir })));
  };
  const crlf = make("labels-crlf", "\r\n");
  const lf = make("labels-lf", "\n");
  expect(file(crlf, "scoring/labels.txt")?.toString("utf8")).toBe("a\r\nb\r\n");
  expect(crlf.hash).not.toBe(lf.hash);
});

test("a sourceDir holding the deployment file's folder is rejected", () => {
  const dir = join(work.dir, "project-root");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "score.py"), readFileSync(join(EXAMPLE, "score.py")));
  const c = withModel({ scoringScript: "score.py", sourceDir: "." });
  writeFileSync(join(dir, "mlfunc.yaml"), stringify(c));
  let message = "";
  try {
    loadDeployment(join(dir, "mlfunc.yaml"));
  } catch (e) {
    message = (e as Error).message;
  }
  expect(message.split("\n").slice(1)).toEqual([
    `  model.sourceDir (line 10): "." — holds the deployment file's own folder, and with it Terraform state, node_modules and build output, which must not go into the image; point it at the folder with the files to ship`,
  ]);
});
