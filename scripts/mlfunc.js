#!/usr/bin/env node
/*
 * The `mlfunc` command (package.json's bin), the one entry point of every npm script and of cdktf.json's
 * `app`. In an mlfunc checkout it bundles a command's TypeScript with esbuild only when one of its sources
 * is newer than the bundle; an installed package runs the bundles it ships and writes nothing into its own
 * folder. Then it runs the bundle's exported `run(argv)` in this same process. Plain JavaScript on purpose:
 * nothing to compile before it can run. Type checking is `npm test`'s job.
 *
 *   mlfunc <command> [args...] [--quiet]        (node scripts/mlfunc.js in a checkout)
 */
"use strict";
const { spawn } = require("node:child_process");
const { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } = require("node:fs");
const { createRequire } = require("node:module");
const { createHash } = require("node:crypto");
const { homedir } = require("node:os");
const { dirname, join, relative, resolve, sep } = require("node:path");
const vm = require("node:vm");

const ROOT = join(__dirname, "..");
const BUNDLES = join(ROOT, "dist", "bin");
/** An installed package ships bundles, not sources: it never rebuilds them. */
const CHECKOUT = existsSync(join(ROOT, "main.ts"));

/** Each command's TypeScript entry; synth, validate and cdktf.json's app share one bundle. */
const ENTRIES = {
  main: "commands/synth.ts",
  help: "commands/spec.ts",
  init: "commands/init.ts",
  invoke: "commands/invoke.ts",
  review: "review/cli.ts",
  schema: "commands/schema.ts",
  "bootstrap-state": "commands/bootstrap-state.ts",
  bench: "scripts/bench.ts",
  smoke: "commands/smoke.ts",
};
const COMMANDS = {
  synth: { bundle: "main", args: [] },
  app: { bundle: "main", args: [] },
  validate: { bundle: "main", args: ["--validate"] },
  init: { bundle: "init", args: [] },
  invoke: { bundle: "invoke", args: [] },
  review: { bundle: "review", args: [] },
  schema: { bundle: "schema", args: [] },
  "bootstrap-state": { bundle: "bootstrap-state", args: [] },
  bench: { bundle: "bench", args: [] },
  smoke: { bundle: "smoke", args: [] },
};
/** cdktf CLI commands passed through, after the app they run is up to date. */
const CLI = new Set(["deploy", "diff", "destroy"]);

const quiet = () => process.env.MLFUNC_QUIET === "1";
const say = (msg) => quiet() || process.stderr.write(`${msg}\n`);

function mtime(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return Infinity;
  }
}

/** A bundle is current when it is newer than each of its inputs, this launcher and the installed dependencies. */
function isCurrent(name) {
  const bundle = join(BUNDLES, `${name}.js`);
  const inputsFile = join(BUNDLES, `${name}.inputs.json`);
  const built = mtime(bundle);
  if (built === Infinity || mtime(inputsFile) === Infinity) return false;
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(inputsFile, "utf8"));
  } catch {
    return false;
  }
  // npm gives installed files an old fixed mtime, so a reinstall shows in its lock file only.
  const always = [__filename, join(ROOT, "node_modules", ".package-lock.json"), join(ROOT, "package.json")];
  return [...always, ...inputs.map((f) => join(ROOT, f))].every((f) => mtime(f) <= built);
}

/**
 * Work every run paid for and none used:
 * - cdktf loads archiver (with ~40 stream and glob modules) at start-up, yet calls it only to zip an
 *   ARCHIVE asset, which mlfunc never makes: it loads on that first call instead.
 * - zod's namespace export carries every locale's messages (a fifth of a bundle); only English,
 *   which zod imports on its own, is ever used.
 */
function unusedAtStartup() {
  const CDKTF_FS = /[\\/]cdktf[\\/]lib[\\/]private[\\/]fs\.js$/;
  const EAGER = 'const archiver = require("archiver");';
  return {
    name: "unused-at-startup",
    setup(build) {
      build.onLoad({ filter: CDKTF_FS }, (args) => {
        const text = readFileSync(args.path, "utf8");
        if (!text.includes(EAGER)) return undefined;
        return { contents: text.replace(EAGER, 'const archiver = (...args) => require("archiver")(...args);'), loader: "js" };
      });
      build.onResolve({ filter: /^\.\.\/locales\/index\.c?js$/ }, (args) =>
        /[\\/]zod[\\/]v4[\\/](classic|core)[\\/]/.test(args.importer) ? { path: "zod-locales", namespace: "unused-at-startup" } : undefined,
      );
      build.onLoad({ filter: /.*/, namespace: "unused-at-startup" }, () => ({ contents: "export {};", loader: "js" }));
    },
  };
}

/**
 * esbuild escapes non-ASCII text in code but keeps it in comments, and one such character makes Node read
 * the whole bundle as a two-byte string: four times slower. The escape is the same text in any JavaScript token.
 */
function asciiOnly(text) {
  return text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

async function buildBundle(name, why) {
  say(`mlfunc: bundling ${ENTRIES[name]} (${why})`);
  const esbuild = require("esbuild");
  mkdirSync(BUNDLES, { recursive: true });
  const outfile = join(BUNDLES, `${name}.js`);
  // Written in a private folder under the final file name (the map link names it), then renamed into
  // place, so a concurrent run never loads half a bundle.
  const staging = join(BUNDLES, `.staging-${process.pid}`);
  const tmp = join(staging, `${name}.js`);
  const result = await esbuild.build({
    entryPoints: [join(ROOT, ENTRIES[name])],
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    // import() becomes require(): a vm.Script has no dynamic-import loader on Node 20.
    supported: { "dynamic-import": false },
    outfile: tmp,
    write: false,
    metafile: true,
    logLevel: "warning",
    // One file loads much faster than the hundreds of modules it replaces. The map is a separate file, read
    // only when asked for (NODE_OPTIONS=--enable-source-maps): parsing it on every run would cost more than the run.
    sourcemap: "linked",
    sourcesContent: false,
    plugins: [unusedAtStartup()],
    // Azure's SDKs load from node_modules when smoke first needs them, so no other command pays for them.
    external: ["@azure/*"],
    // require.resolve stays a run-time lookup (the cdktf CLI is run, not bundled).
    logOverride: { "require-resolve-not-external": "silent" },
  });
  mkdirSync(staging, { recursive: true });
  for (const file of result.outputFiles) writeFileSync(file.path, file.path === tmp ? asciiOnly(file.text) : file.contents);
  // Installed packages change only with an install, which isCurrent sees in the lock file: the run path
  // stats the project's own sources only.
  const inputs = Object.keys(result.metafile.inputs)
    .filter((f) => !f.startsWith("unused-at-startup:"))
    .map((f) => relative(ROOT, join(process.cwd(), f)))
    .filter((f) => !f.split(sep).includes("node_modules"));
  writeFileSync(join(BUNDLES, `${name}.inputs.json`), JSON.stringify(inputs));
  rmSync(`${outfile}.cache`, { force: true });
  renameSync(`${tmp}.map`, `${outfile}.map`);
  renameSync(tmp, outfile);
  rmSync(staging, { recursive: true, force: true });
  return outfile;
}

/** The bundle of `name`, rebuilt first when a source changed. */
async function ensureBundle(name) {
  const file = join(BUNDLES, `${name}.js`);
  if (!CHECKOUT) {
    if (!existsSync(file)) throw new Error(`this installed mlfunc has no ${name} bundle (dist/bin/${name}.js); reinstall the package`);
    return file;
  }
  if (isCurrent(name)) return file;
  return buildBundle(name, existsSync(file) ? "sources changed" : "first run");
}

function runCli(cmd, args, cwd) {
  const child = spawn(cmd, args, { stdio: "inherit", env: process.env, cwd });
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, () => child.kill(sig));
  child.on("error", (e) => {
    process.stderr.write(`mlfunc: cannot run ${cmd}: ${e.message}\n`);
    process.exit(2);
  });
  child.on("exit", (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}

/**
 * cdktf records a complete, formatted stack trace for every token it creates, shown only in rare token
 * errors: a quarter of a large synth's CPU. Traces captured into plain objects (that capture) come out
 * empty; Error objects keep Node's usual format. MLFUNC_TOKEN_TRACES=1, or source maps on, keeps them all.
 */
function cheapTokenTraces() {
  if (process.env.MLFUNC_TOKEN_TRACES || process.execArgv.includes("--enable-source-maps") || /--enable-source-maps/.test(process.env.NODE_OPTIONS ?? "")) return;
  Error.prepareStackTrace = (error, frames) => {
    if (!(error instanceof Error)) return "";
    let head;
    try {
      head = Error.prototype.toString.call(error);
    } catch {
      head = "Error";
    }
    return frames.length === 0 ? head : `${head}\n    at ${frames.join("\n    at ")}`;
  };
}

/** $XDG_CACHE_HOME/mlfunc, else ~/.cache/mlfunc (created on first use). */
function userCache() {
  const dir = join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "mlfunc");
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Loads a bundle as a CommonJS module, compiled with V8's code cache kept next to it, so a warm run skips
 * most of the parse and compile of its few MB of JavaScript. The cache is written at exit, so the functions
 * the run compiled lazily are in it too; a cache older than its bundle belongs to another build.
 */
function loadBundle(file) {
  // An installed package's folder is not ours to write: its cache goes to the user's cache folder.
  const cacheFile = CHECKOUT ? `${file}.cache` : join(userCache(), `${createHash("sha256").update(file).digest("hex").slice(0, 16)}.cache`);
  let cachedData;
  try {
    if (statSync(cacheFile).mtimeMs >= statSync(file).mtimeMs) cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  // The wrapper shares the bundle's first line, so line numbers (and the source map) stay right.
  // The bundle is ASCII (asciiOnly), so latin1 reads it exactly, without UTF-8 decoding a few MB.
  const source = `(function (exports, require, module, __filename, __dirname) { ${readFileSync(file, "latin1")}\n})`;
  const script = new vm.Script(source, { filename: file, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once("exit", () => {
      try {
        const tmp = `${cacheFile}.${process.pid}`;
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
      } catch {
        // A read-only checkout only misses the speed-up.
      }
    });
  }
  const module = { exports: {}, filename: file, id: file, loaded: false };
  script.runInThisContext({ displayErrors: true })(module.exports, createRequire(file), module, file, dirname(file));
  module.loaded = true;
  return module.exports;
}

function usage() {
  return "usage: mlfunc <command> [options]; mlfunc --help lists the commands";
}

/**
 * The cdktf CLI runs from the deployment file's folder, so its output (cdktf.out) and the local state
 * land there. It needs a cdktf.json in its working folder: the app's own (mlfunc init writes one), else
 * one mlfunc writes under .mlfunc/cdktf whose app is this launcher.
 */
function cdktfProject() {
  const file = resolve(process.env.MLFUNC_CONFIG ?? "mlfunc.yaml");
  const dir = dirname(file);
  if (existsSync(join(dir, "cdktf.json"))) return { cwd: dir, args: [] };
  const cwd = join(dir, ".mlfunc", "cdktf");
  mkdirSync(cwd, { recursive: true });
  const config = { language: "typescript", app: `"${process.execPath}" "${__filename}" app`, sendCrashReports: "false", terraformProviders: [], terraformModules: [], context: {} };
  writeFileSync(join(cwd, "cdktf.json"), `${JSON.stringify(config, null, 2)}\n`);
  process.env.MLFUNC_CONFIG = file;
  return { cwd, args: ["--output", join(dir, "cdktf.out")] };
}

/** -h/--help before a `--`. */
function wantsHelp(args) {
  const end = args.indexOf("--");
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === "--help" || a === "-h");
}

async function main(argv) {
  const [command, ...rest] = argv;
  // --quiet anywhere silences progress lines; commands read it from the environment.
  const args = rest.filter((a) => a !== "--quiet");
  if (args.length !== rest.length) process.env.MLFUNC_QUIET = "1";
  // The cdktf CLI's version check needs internet access; offline it only logs an error.
  if (process.env.CHECKPOINT_DISABLE === undefined) process.env.CHECKPOINT_DISABLE = "1";
  if (command === "help" || command === "--help" || command === "-h" || command === undefined) {
    process.stdout.write(readFileSync(join(ROOT, "help"), "utf8"));
    return;
  }
  if (command === "build") {
    for (const name of Object.keys(ENTRIES)) await buildBundle(name, "npm run build");
    return;
  }
  if ((CLI.has(command) || (COMMANDS[command] && command !== "bench" && command !== "app")) && wantsHelp(args)) {
    process.exitCode = loadBundle(await ensureBundle("help")).run([command]);
    return;
  }
  if (CLI.has(command)) {
    await ensureBundle("main");
    const project = cdktfProject();
    runCli(process.execPath, [require.resolve("cdktf-cli/bundle/bin/cdktf"), command, ...project.args, ...args], project.cwd);
    return;
  }
  // `npm --prefix <mlfunc> run <command>` from an app's folder runs here, in mlfunc's folder: say which file that reads.
  if (process.env.npm_lifecycle_event === command && process.env.MLFUNC_CONFIG === undefined && process.env.INIT_CWD && resolve(process.env.INIT_CWD) !== process.cwd()) {
    say(`mlfunc: npm runs this script from ${process.cwd()}, so it reads ${join(process.cwd(), "mlfunc.yaml")}, not a file in ${resolve(process.env.INIT_CWD)}; set MLFUNC_CONFIG, or install mlfunc in the app and run npx mlfunc ${command}`);
  }
  const spec = COMMANDS[command];
  if (!spec) {
    process.stderr.write(`mlfunc: unknown command "${command}"; ${usage()}\n`);
    process.exit(2);
  }
  const bundle = await ensureBundle(spec.bundle);
  cheapTokenTraces();
  // A command's own failure is not the launcher's: it surfaces as Node's uncaught error, trace and exit 1.
  new Promise((resolve) => resolve(loadBundle(bundle).run([...spec.args, ...args]))).then(
    (code) => (process.exitCode = code),
    (e) => process.nextTick(() => {
      throw e;
    }),
  );
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`mlfunc: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  });
}
module.exports = { ensureBundle, ENTRIES, COMMANDS, CLI };
