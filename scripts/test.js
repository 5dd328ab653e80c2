#!/usr/bin/env node
/*
 * `npm test`: the type check, the jest suites and the Python runtime tests, run side by side (much of
 * each waits on processes it starts, so together they finish far sooner than one after another).
 * jest prints as it goes; the other two print their output when they end. Exits 1 if any of them fails.
 * Given jest arguments (`npm test -- __tests__/smoke.test.ts`), it runs only jest with them.
 *
 * The tests write and remove thousands of small files (build contexts, synthesized trees, git clones).
 * They get one temp folder for the run, as TMPDIR, on a RAM-backed file system when the machine has a
 * usable one: there a folder costs microseconds, on a virtual disk up to a millisecond.
 * MLFUNC_TEST_TMPDIR names another parent. The folder is removed when the run ends or is interrupted.
 *
 *   node scripts/test.js [jest arguments...]
 */
"use strict";
const { spawn } = require("node:child_process");
const { accessSync, constants, mkdtempSync, readFileSync, readdirSync, rmSync, statfsSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join, resolve } = require("node:path");

const ROOT = join(__dirname, "..");
const bin = (name) => join(ROOT, "node_modules", ".bin", name);

const STEPS = [
  // Incremental: a warm run re-checks only what changed since the last one.
  { name: "type check", cmd: bin("tsc"), args: ["--noEmit", "-p", "tsconfig.json", "--incremental", "--tsBuildInfoFile", join(ROOT, "node_modules", ".cache", "mlfunc", "typecheck.tsbuildinfo")] },
  { name: "jest", cmd: bin("jest"), args: process.argv.slice(2), live: true },
  { name: "Python runtime tests", cmd: "sh", args: [join(ROOT, "runtime", "run-tests.sh")] },
];

const SHM = "/dev/shm";
const TMPFS_MAGIC = 0x01021994;
const ROOM = 1024 ** 3;

/** Mount options of `dir` when it is a mount point (Linux), else undefined. */
function mountOptions(dir) {
  try {
    const line = readFileSync("/proc/self/mounts", "utf8")
      .split("\n")
      .map((l) => l.split(" "))
      .filter((f) => f[1] === dir)
      .pop();
    return line?.[3]?.split(",");
  } catch {
    return undefined;
  }
}

/**
 * /dev/shm when it is a writable tmpfs with at least 1 GiB free that may run programs (tests run
 * scripts they write; containers often mount it noexec), else the system temp folder.
 */
function tempParent() {
  if (process.env.MLFUNC_TEST_TMPDIR) return resolve(process.env.MLFUNC_TEST_TMPDIR);
  try {
    const fs = statfsSync(SHM);
    const options = mountOptions(SHM);
    if (fs.type === TMPFS_MAGIC && fs.bavail * fs.bsize >= ROOM && options !== undefined && !options.includes("noexec")) {
      accessSync(SHM, constants.W_OK);
      return SHM;
    }
  } catch {
    // No /dev/shm (not Linux) or not usable: the default below.
  }
  return tmpdir();
}

function makeTemp() {
  const parent = tempParent();
  try {
    return mkdtempSync(join(parent, "mlfunc-test-"));
  } catch (e) {
    const named = process.env.MLFUNC_TEST_TMPDIR ? "MLFUNC_TEST_TMPDIR" : "the temp folder";
    process.stderr.write(`npm test: cannot make a temp folder in ${JSON.stringify(parent)} (${named}): ${e.message}; point MLFUNC_TEST_TMPDIR at an existing, writable folder\n`);
    process.exit(2);
  }
}

const temp = makeTemp();
const env = { ...process.env, TMPDIR: temp, TMP: temp, TEMP: temp };
const children = new Set();
const GROUPS = process.platform !== "win32";

function runStep(step) {
  return new Promise((done) => {
    const started = Date.now();
    // A process group of its own (POSIX), so an interruption reaches everything the part started.
    const child = spawn(step.cmd, step.args, { cwd: ROOT, env, detached: GROUPS, stdio: step.live ? "inherit" : ["ignore", "pipe", "pipe"] });
    children.add(child);
    const output = [];
    if (!step.live) {
      child.stdout.on("data", (d) => output.push(d));
      child.stderr.on("data", (d) => output.push(d));
    }
    const end = (code, why) => {
      children.delete(child);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      if (!step.live) process.stdout.write(`\n── ${step.name} ──\n${Buffer.concat(output).toString("utf8")}`);
      process.stdout.write(`── ${step.name}: ${code === 0 ? "passed" : `FAILED (${why})`} in ${seconds} s\n`);
      done(code === 0);
    };
    child.on("error", (e) => end(1, e.message));
    child.on("close", (code, signal) => end(code, signal ? `signal ${signal}` : `exit ${code}`));
  });
}

// Interrupted: the parts stop first, each with all it started (a kill of this process alone would
// reach none of them), then their temp folder goes.
let interrupted;
for (const [signal, number] of [["SIGINT", 2], ["SIGTERM", 15], ["SIGHUP", 1]]) {
  process.on(signal, () => {
    interrupted = 128 + number;
    for (const child of children) {
      try {
        if (!GROUPS) throw new Error("no process groups");
        process.kill(-child.pid, signal);
      } catch {
        child.kill(signal);
      }
    }
  });
}

// jest's own cache, should a run's --config leave cacheDirectory unset: not a test's leftover.
const JEST_CACHE = /^jest_\w+$/;

const focused = process.argv.length > 2;
Promise.all(STEPS.filter((s) => !focused || s.name === "jest").map(runStep)).then((ok) => {
  // A test that leaves files behind would fill a developer's temp folder run after run.
  const left = readdirSync(temp).filter((name) => !JEST_CACHE.test(name));
  rmSync(temp, { recursive: true, force: true });
  if (interrupted !== undefined) process.exit(interrupted);
  if (left.length > 0) process.stdout.write(`── left behind in the temp folder by the tests (a test does not clean up): ${left.map((n) => JSON.stringify(n)).join(", ")}\n`);
  process.exitCode = ok.every(Boolean) && left.length === 0 ? 0 : 1;
});
