/**
 * mlfunc as a package: `npm pack`, installed into a separate cdktf app (the README's library example,
 * examples/library-app) with this checkout's node_modules as its peers, type checked against the
 * packed declarations and synthesized. Offline: nothing is fetched from a registry.
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { stringify } from "yaml";
import { ROOT, defaultConfig, scratch, type Json } from "./support/synth";
import { buildLibrary } from "./support/package";

const APP = join(ROOT, "examples", "library-app");
function run(cmd: string, args: readonly string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, npm_config_offline: "true", CHECKPOINT_DISABLE: "1" } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

describe("the packed package in a separate cdktf app", () => {
  const work = scratch();
  const app = join(work.dir, "app");
  let stack: Json;
  let loaded: Record<string, string[]>;
  let packedFiles: string[];
  let noAllow: SpawnSyncReturns<string>;
  let hostings: Record<string, Json>;

  beforeAll(() => {
    buildLibrary();
    const packed = JSON.parse(run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work.dir], ROOT)) as { filename: string; files: { path: string }[] }[];
    const tarball = join(work.dir, packed[0]?.filename ?? "");
    packedFiles = (packed[0]?.files ?? []).map((f) => f.path);
    const modules = join(app, "node_modules");
    mkdirSync(join(modules, "mlfunc"), { recursive: true });
    run("tar", ["-xzf", tarball, "-C", join(modules, "mlfunc"), "--strip-components=1"], work.dir);
    // Peers and mlfunc's own dependencies come from this checkout, as one copy each.
    for (const entry of readdirSync(join(ROOT, "node_modules"))) {
      if (entry !== "mlfunc" && !entry.startsWith(".")) symlinkSync(join(ROOT, "node_modules", entry), join(modules, entry));
    }
    copyFileSync(join(APP, "main.ts"), join(app, "main.ts"));
    copyFileSync(join(APP, "tsconfig.json"), join(app, "tsconfig.json"));
    // The model, script and the ship.allow entry that lets them in point at this checkout's example.
    const yaml = readFileSync(join(APP, "mlfunc.yaml"), "utf8").replaceAll("../diabetes", join(ROOT, "examples", "diabetes"));
    writeFileSync(join(app, "mlfunc.yaml"), yaml);
    writeFileSync(join(app, "no-allow.yaml"), yaml.replace(/^ship:\n(?: .*\n)+/m, ""));
    // Type checked against the packed .d.ts files, then compiled, as the app's owner would.
    run(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], app);
    // Records which copies of cdktf and constructs the app loaded.
    writeFileSync(
      join(work.dir, "copies.js"),
      `process.on("exit", () => { const m = {}; for (const f of Object.keys(require.cache)) { const x = /node_modules\\/(cdktf|constructs)\\/lib\\/index\\.js$/.exec(f); if (x) (m[x[1]] ??= []).push(f); } require("fs").writeFileSync(${JSON.stringify(join(work.dir, "copies.json"))}, JSON.stringify(m)); });`,
    );
    noAllow = spawnSync(process.execPath, ["main.js"], { cwd: app, encoding: "utf8", env: { ...process.env, MLFUNC_CONFIG: "no-allow.yaml", CHECKPOINT_DISABLE: "1" } });
    run(process.execPath, ["-r", join(work.dir, "copies.js"), "main.js"], app);
    stack = JSON.parse(readFileSync(join(app, "cdktf.out", "stacks", "platform-scoring-dev", "cdk.tf.json"), "utf8")) as Json;
    // The same app on this checkout's default deployment file: B1, Elastic Premium and Container Apps.
    mkdirSync(join(app, "default"));
    writeFileSync(join(app, "default", "mlfunc.yaml"), stringify(defaultConfig()));
    run(process.execPath, [join(app, "main.js")], join(app, "default"));
    hostings = Object.fromEntries(
      ["dev", "prod", "canary"].map((env) => [env, JSON.parse(readFileSync(join(app, "default", "cdktf.out", "stacks", `diabetes-${env}`, "cdk.tf.json"), "utf8")) as Json]),
    );
    loaded = JSON.parse(readFileSync(join(work.dir, "copies.json"), "utf8")) as Record<string, string[]>;
  }, 120_000);
  afterAll(() => work.cleanup());

  test("the tarball holds the compiled library, its declarations and the files it reads at synth", () => {
    const paths = packedFiles;
    expect(paths).toEqual(expect.arrayContaining(["dist/index.js", "dist/index.d.ts", "dist/constructs/mlfunc-stack.d.ts", "build-context/templates/Dockerfile", "runtime/mlfunc_runtime/core.py"]));
    expect(paths.filter((p) => p.endsWith(".ts") && !p.endsWith(".d.ts"))).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(app, "node_modules", "mlfunc", "package.json"), "utf8")) as Json;
    expect(pkg.exports).toEqual({ ".": { types: "./dist/index.d.ts", default: "./dist/index.js" }, "./package.json": "./package.json" });
    expect(Object.keys(pkg.peerDependencies as Json).sort()).toEqual(["@cdktf/provider-azurerm", "@cdktf/provider-docker", "cdktf", "constructs"]);
    expect(Object.keys(pkg.dependencies as Json)).not.toEqual(expect.arrayContaining(["cdktf"]));
  });

  test("one copy of cdktf and of constructs is loaded", () => {
    expect(loaded.cdktf).toHaveLength(1);
    expect(loaded.constructs).toHaveLength(1);
    expect(relative(ROOT, loaded.cdktf?.[0] ?? "")).toBe(join("node_modules", "cdktf", "lib", "index.js"));
  });

  test("the app's own resource uses the stack's typed parts; extra settings and tags land", () => {
    const resources = stack.resource as Record<string, Record<string, Json>>;
    const lock = Object.values(resources.azurerm_management_lock ?? {});
    expect(lock).toHaveLength(1);
    const rgId = Object.keys(resources.azurerm_resource_group ?? {})[0];
    const appId = Object.keys(resources.azurerm_linux_function_app ?? {})[0];
    expect(lock[0]).toEqual(
      expect.objectContaining({
        name: "platform-scoring-dev-no-delete",
        lock_level: "CanNotDelete",
        scope: `\${azurerm_resource_group.${rgId}.id}`,
        notes: `Protects \${azurerm_linux_function_app.${appId}.name} (appService) and its data`,
      }),
    );
    const fn = resources.azurerm_linux_function_app?.[appId ?? ""] as Json;
    expect((fn.app_settings as Json).SCORING_MODE).toBe("shadow");
    for (const [type, byId] of Object.entries(resources)) {
      for (const r of Object.values(byId)) if ("tags" in r) expect([type, (r.tags as Json)["cost-center"]]).toEqual([type, "ml-platform-42"]);
    }
    expect((resources.azurerm_resource_group?.[rgId ?? ""] as Json).tags).toEqual(expect.objectContaining({ app: "platform-scoring", "managed-by": "mlfunc" }));
  });

  test("on the default deployment file every hosting synthesizes, and the lock names each stack's app", () => {
    const lockNotes = (s: Json) => Object.values((s.resource as Record<string, Record<string, Json>>).azurerm_management_lock ?? {}).map((l) => l.notes);
    const id = (s: Json, type: string) => Object.keys((s.resource as Record<string, Record<string, Json>>)[type] ?? {})[0];
    for (const env of ["dev", "prod"]) {
      const s = hostings[env] as Json;
      expect(lockNotes(s)).toEqual([`Protects \${azurerm_linux_function_app.${id(s, "azurerm_linux_function_app")}.name} (appService) and its data`]);
    }
    const canary = hostings.canary as Json;
    expect(id(canary, "azurerm_linux_function_app")).toBeUndefined();
    const azapi = Object.entries((canary.resource as Record<string, Record<string, Json>>).azapi_resource ?? {});
    const containerApp = azapi.filter(([, r]) => String(r.type).startsWith("Microsoft.App/containerApps@")).map(([key]) => key);
    expect(containerApp).toHaveLength(1);
    expect(lockNotes(canary)).toEqual([`Protects \${azapi_resource.${containerApp[0]}.name} (containerApps) and its data`]);
  });

  test("the model and script outside the app's folder ship only through the file's ship.allow entry", () => {
    expect(readFileSync(join(app, "no-allow.yaml"), "utf8")).not.toContain("ship:");
    expect(noAllow.status).toBe(1);
    const outside = (field: string, file: string) =>
      `${field} (line ${field === "model.path" ? 6 : 7}): "${join(ROOT, "examples", "diabetes", file)}" — resolves to ${join(ROOT, "examples", "diabetes", file)}, outside the project (${app}, the deployment file's folder), so it cannot ship`;
    expect(noAllow.stderr).toContain("DeploymentError: no-allow.yaml: 2 problems");
    expect(noAllow.stderr).toContain(outside("model.path", "sklearn_regression_model.pkl"));
    expect(noAllow.stderr).toContain(outside("model.scoringScript", "score.py"));
    // With the entry, the app's one image context holds them: the model byte for byte.
    const contexts = readdirSync(join(app, ".mlfunc", "contexts"));
    expect(contexts).toHaveLength(1);
    const context = join(app, ".mlfunc", "contexts", contexts[0] ?? "");
    expect(readFileSync(join(context, "model", "sklearn_regression_model.pkl"))).toEqual(readFileSync(join(ROOT, "examples", "diabetes", "sklearn_regression_model.pkl")));
    expect(readFileSync(join(context, "scoring", "score.py"), "utf8")).toContain("def run(");
  });

  test("the library page's example is this app, word for word", () => {
    const readme = readFileSync(join(ROOT, "docs", "library.md"), "utf8");
    expect(readme).toContain(["```ts", readFileSync(join(APP, "main.ts"), "utf8").trimEnd(), "```"].join("\n"));
  });
});
