/*
 * Preloaded (node -r) by the launcher: compiles the command's bundle with V8's code cache, kept next
 * to the bundle, so a warm run skips most of the parse and compile of its few MB of JavaScript.
 */
"use strict";
const Module = require("node:module");
const { readFileSync, renameSync, statSync, writeFileSync } = require("node:fs");
const { dirname } = require("node:path");
const vm = require("node:vm");

// cdktf records a complete, formatted stack trace for every token it creates, shown only in rare token
// errors: a quarter of a large synth's CPU. Traces captured into plain objects (that capture) come out
// empty; Error objects keep Node's usual format. MLFUNC_TOKEN_TRACES=1, or source maps on, keeps them all.
if (!process.env.MLFUNC_TOKEN_TRACES && !process.execArgv.includes("--enable-source-maps") && !/--enable-source-maps/.test(process.env.NODE_OPTIONS ?? "")) {
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

const bundle = process.argv[1];
const cacheFile = `${bundle}.cache`;
const compile = Module.prototype._compile;

function freshCache() {
  try {
    // A cache older than its bundle belongs to another build of it.
    return statSync(cacheFile).mtimeMs >= statSync(bundle).mtimeMs ? readFileSync(cacheFile) : undefined;
  } catch {
    return undefined;
  }
}

Module.prototype._compile = function compileWithCache(content, filename) {
  if (filename !== bundle) return compile.call(this, content, filename);
  Module.prototype._compile = compile;
  const cachedData = freshCache();
  const script = new vm.Script(Module.wrap(content), { filename, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    // Written at exit, so the functions the run compiled lazily are in the cache too.
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
  const fn = script.runInThisContext({ displayErrors: true });
  return fn.call(this.exports, this.exports, Module.createRequire(filename), this, filename, dirname(filename));
};
