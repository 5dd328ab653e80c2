import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { BenchRunError, largeConfig } from "../scripts/bench";
import { loadDeployment } from "../config/load";
import { scratch } from "./support/synth";

describe("the large benchmark's deployment file", () => {
  test("validates as it is written to a scratch folder: 20 environments of 10 functions", () => {
    const work = scratch();
    try {
      const file = join(work.dir, "large.yaml");
      writeFileSync(file, stringify(largeConfig()));
      const deployment = loadDeployment(file);
      expect([deployment.environments.length, deployment.functions.length]).toEqual([20, 10]);
    } finally {
      work.cleanup();
    }
  });
});

describe("a failing measured command", () => {
  test("is summarized by jest's and unittest's own summary lines, not its whole log", () => {
    const log = [
      "PASS __tests__/a.test.ts",
      "FAIL __tests__/b.test.ts",
      "  ● b › fails",
      "    expect(received).toBe(expected)",
      ...Array.from({ length: 500 }, (_, i) => `    log line ${i}`),
      "Test Suites: 1 failed, 1 passed, 2 total",
      "Tests:       1 failed, 9 passed, 10 total",
      "Ran 145 tests in 43.8s",
      "FAILED (failures=1)",
    ].join("\n");
    expect(new BenchRunError("test suite (npm test)", "npm test --silent", 1, log).message).toBe(
      "test suite (npm test): npm test --silent exited 1: Test Suites: 1 failed, 1 passed, 2 total; Tests:       1 failed, 9 passed, 10 total; Ran 145 tests in 43.8s; FAILED (failures=1)",
    );
  });

  test("without a summary line, its last five lines", () => {
    const log = ["a", "b", "c", "d", "e", "f", "MLFUNC_BENCH 1.0 0.5 0.1 1000", ""].join("\n");
    expect(new BenchRunError("validate", "node scripts/mlfunc.js validate", 2, log).message).toBe("validate: node scripts/mlfunc.js validate exited 2: b; c; d; e; f");
  });
});
