/** `npm test` itself (scripts/test.js): the run's own temp folder, and a bad MLFUNC_TEST_TMPDIR. */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
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

/** jest on one fixture test of __tests__/fixtures/test-command/, with its own cache. */
const fixture = (name: string): string[] => [
  "--config",
  JSON.stringify({ rootDir: join(ROOT, "__tests__", "fixtures", "test-command"), testMatch: [`**/${name}`], testEnvironment: "node", cacheDirectory: join(work.dir, "jest-cache") }),
];

test("tests get it as their temp folder, a relative MLFUNC_TEST_TMPDIR made absolute; a file one leaves there fails the run, by name", () => {
  const parent = join(work.dir, "leaky");
  mkdirSync(parent);
  const r = npmTest(fixture("leaves-a-file.fixture.js"), relative(ROOT, parent));
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
  // --listTests: should the check ever let it through, the run lists the tests instead of running them.
  const r = npmTest(["--listTests"], parent);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr).toBe(
    `npm test: cannot make a temp folder in ${JSON.stringify(parent)} (MLFUNC_TEST_TMPDIR): ${why}, mkdtemp '${parent}/mlfunc-test-XXXXXX'; point MLFUNC_TEST_TMPDIR at an existing, writable folder\n`,
  );
});

test("interrupted (SIGTERM): the parts stop first, then the temp folder goes; exit 143", async () => {
  const parent = join(work.dir, "interrupted");
  mkdirSync(parent);
  const run = spawn(process.execPath, [join(ROOT, "scripts", "test.js"), ...fixture("waits.fixture.js")], { cwd: ROOT, env: { ...process.env, MLFUNC_TEST_TMPDIR: parent }, stdio: "ignore" });
  const exited = new Promise<number | null>((done) => run.on("close", (code) => done(code)));
  let started: string | undefined;
  for (let i = 0; i < 600 && started === undefined; i++) {
    await new Promise((done) => setTimeout(done, 50));
    started = readdirSync(parent).map((d) => join(parent, d, "started")).find((f) => existsSync(f));
  }
  if (started === undefined) throw new Error("the fixture test did not start within 30 s");
  const jestPid = Number(readFileSync(started, "utf8"));
  run.kill("SIGTERM");
  expect(await exited).toBe(143);
  expect(readdirSync(parent)).toEqual([]);
  // jest stopped before npm test did: no orphan left running.
  expect(() => process.kill(jestPid, 0)).toThrow(expect.objectContaining({ code: "ESRCH" }) as Error);
});
