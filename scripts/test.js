#!/usr/bin/env node
/*
 * `npm test`: the type check, the jest suites and the Python runtime tests, run side by side (much of
 * each waits on processes it starts, so together they finish far sooner than one after another).
 * jest prints as it goes; the other two print their output when they end. Exits 1 if any of them fails.
 * Given jest arguments (`npm test -- __tests__/smoke.test.ts`), it runs only jest with them.
 *
 * The tests write and remove thousands of small files (build contexts, synthesized trees, git clones).
 * They get one scratch folder for the run, as TMPDIR, on a RAM-backed file system when the machine
 * has one with room to spare: there a folder costs microseconds, on a virtual disk up to a millisecond.
 * MLFUNC_TEST_TMPDIR names another parent. The folder is removed when the run ends.
 *
 *   node scripts/test.js [jest arguments...]
 */
"use strict";
const { spawn } = require("node:child_process");
const { accessSync, constants, mkdtempSync, readdirSync, rmSync, statfsSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");

const ROOT = join(__dirname, "..");
const bin = (name) => join(ROOT, "node_modules", ".bin", name);

const STEPS = [
  // Incremental: a warm run re-checks only what changed since the last one.
  { name: "type check", cmd: bin("tsc"), args: ["--noEmit", "-p", "tsconfig.json", "--incremental", "--tsBuildInfoFile", join(ROOT, "node_modules", ".cache", "mlfunc", "typecheck.tsbuildinfo")] },
  { name: "jest", cmd: bin("jest"), args: process.argv.slice(2), live: true },
  { name: "Python runtime tests", cmd: "sh", args: [join(ROOT, "runtime", "run-tests.sh")] },
];

const TMPFS_MAGIC = 0x01021994;
const ROOM = 1024 ** 3;

/** /dev/shm when it is a writable tmpfs with at least 1 GiB free, else the system temp folder. */
function scratchParent() {
  if (process.env.MLFUNC_TEST_TMPDIR) return process.env.MLFUNC_TEST_TMPDIR;
  try {
    const fs = statfsSync("/dev/shm");
    if (fs.type === TMPFS_MAGIC && fs.bavail * fs.bsize >= ROOM) {
      accessSync("/dev/shm", constants.W_OK);
      return "/dev/shm";
    }
  } catch {
    // No /dev/shm (not Linux) or not usable: the default below.
  }
  return tmpdir();
}

function makeScratch() {
  const parent = scratchParent();
  try {
    return mkdtempSync(join(parent, "mlfunc-test-"));
  } catch (e) {
    const named = process.env.MLFUNC_TEST_TMPDIR ? "MLFUNC_TEST_TMPDIR" : "the temp folder";
    process.stderr.write(`npm test: cannot make a temp folder in ${JSON.stringify(parent)} (${named}): ${e.message}; point MLFUNC_TEST_TMPDIR at an existing, writable folder\n`);
    process.exit(2);
  }
}

const scratch = makeScratch();
const env = { ...process.env, TMPDIR: scratch, TMP: scratch, TEMP: scratch };
const removeScratch = () => rmSync(scratch, { recursive: true, force: true });
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    removeScratch();
    process.exit(128 + (signal === "SIGINT" ? 2 : 15));
  });
}

function runStep(step) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(step.cmd, step.args, { cwd: ROOT, env, stdio: step.live ? "inherit" : ["ignore", "pipe", "pipe"] });
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
  // A test that leaves files behind would fill a developer's temp folder run after run.
  const left = readdirSync(scratch);
  removeScratch();
  if (left.length > 0) process.stdout.write(`── left behind in the temp folder by the tests (a test does not clean up): ${left.map((n) => JSON.stringify(n)).join(", ")}\n`);
  process.exitCode = ok.every(Boolean) && left.length === 0 ? 0 : 1;
});
