/** `npm test` itself (scripts/test.js): the run's own temp folder, and a bad MLFUNC_TEST_TMPDIR. */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, scratch } from "./support/synth";

const work = scratch();
afterAll(() => work.cleanup());

function npmTest(args: readonly string[], parent: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, "scripts", "test.js"), ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, MLFUNC_TEST_TMPDIR: parent } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("the run's temp folder is made under MLFUNC_TEST_TMPDIR and removed when the run ends", () => {
  const parent = join(work.dir, "parent");
  mkdirSync(parent);
  const r = npmTest(["--listTests"], parent);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(join(ROOT, "__tests__", "test-command.test.ts"));
  expect(r.stdout).toMatch(/── jest: passed in \d+\.\d s\n$/);
  expect(readdirSync(parent)).toEqual([]);
});

test("tests get it as their temp folder; a file one leaves there fails the run, by name", () => {
  const parent = join(work.dir, "leaky");
  mkdirSync(parent);
  const config = { rootDir: join(ROOT, "__tests__", "fixtures", "test-command"), testMatch: ["**/*.fixture.js"], testEnvironment: "node", cacheDirectory: join(work.dir, "jest-cache") };
  const r = npmTest(["--config", JSON.stringify(config)], parent);
  expect(r.stdout).toContain('── jest: passed in ');
  expect(r.stdout.split("\n").slice(-2)).toEqual(['── left behind in the temp folder by the tests (a test does not clean up): "left-behind.txt"', ""]);
  expect(r.code).toBe(1);
  expect(readdirSync(parent)).toEqual([]);
});

test.each([
  ["does not exist", (p: string) => p, "ENOENT: no such file or directory"],
  ["is a file", (p: string) => (writeFileSync(p, ""), p), "ENOTDIR: not a directory"],
])("a MLFUNC_TEST_TMPDIR that %s: exit 2 before anything runs, naming the variable and the fix", (_, make, why) => {
  const parent = make(join(work.dir, `bad-${Math.random().toString(36).slice(2)}`));
  const r = npmTest([], parent);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr).toBe(
    `npm test: cannot make a temp folder in ${JSON.stringify(parent)} (MLFUNC_TEST_TMPDIR): ${why}, mkdtemp '${parent}/mlfunc-test-XXXXXX'; point MLFUNC_TEST_TMPDIR at an existing, writable folder\n`,
  );
});
