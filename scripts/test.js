#!/usr/bin/env node
/*
 * `npm test`: the type check, the jest suites and the Python runtime tests, run side by side (much of
 * each waits on processes it starts, so together they finish far sooner than one after another).
 * jest prints as it goes; the other two print their output when they end. Exits 1 if any of them fails.
 * Given jest arguments (`npm test -- __tests__/naming.test.ts`), it runs only jest with them.
 *
 *   node scripts/test.js [jest arguments...]
 */
"use strict";
const { spawn } = require("node:child_process");
const { join } = require("node:path");

const ROOT = join(__dirname, "..");
const bin = (name) => join(ROOT, "node_modules", ".bin", name);

const STEPS = [
  // Incremental: a warm run re-checks only what changed since the last one.
  { name: "type check", cmd: bin("tsc"), args: ["--noEmit", "-p", "tsconfig.json", "--incremental", "--tsBuildInfoFile", join(ROOT, "node_modules", ".cache", "mlfunc", "typecheck.tsbuildinfo")] },
  { name: "jest", cmd: bin("jest"), args: process.argv.slice(2), live: true },
  { name: "Python runtime tests", cmd: "sh", args: [join(ROOT, "runtime", "run-tests.sh")] },
];

function runStep(step) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(step.cmd, step.args, { cwd: ROOT, stdio: step.live ? "inherit" : ["ignore", "pipe", "pipe"] });
    const output = [];
    if (!step.live) {
      child.stdout.on("data", (d) => output.push(d));
      child.stderr.on("data", (d) => output.push(d));
    }
    const done = (code, why) => {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      if (!step.live) process.stdout.write(`\n── ${step.name} ──\n${Buffer.concat(output).toString("utf8")}`);
      process.stdout.write(`── ${step.name}: ${code === 0 ? "passed" : `FAILED (${why})`} in ${seconds} s\n`);
      resolve(code === 0);
    };
    child.on("error", (e) => done(1, e.message));
    child.on("close", (code, signal) => done(code, signal ? `signal ${signal}` : `exit ${code}`));
  });
}

const focused = process.argv.length > 2;
Promise.all(STEPS.filter((s) => !focused || s.name === "jest").map(runStep)).then((ok) => {
  process.exitCode = ok.every(Boolean) ? 0 : 1;
});
