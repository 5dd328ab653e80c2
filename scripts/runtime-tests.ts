/**
 * Runs the runtime's Python tests (runtime/tests, unittest) with the Python that ./python.ts picks,
 * from the project root: runtime/run-tests.sh runs this there, and `npm test` runs that.
 */
import { spawnSync } from "node:child_process";
import { choosePython, describePython, pythonVersion, testPythonProblem } from "./python";

const python = choosePython();
const problem = testPythonProblem(python);
if (problem !== undefined) {
  process.stderr.write(`${describePython(python)}\n${problem}\n`);
  process.exit(1);
}
process.stderr.write(`${describePython(python, pythonVersion(python))}\n`);
const run = spawnSync(python.command, ["-m", "unittest", "discover", "-s", "runtime/tests", "-t", "runtime"], {
  stdio: "inherit",
  // The tests start further Pythons (train.py, the CLI); they use this one too.
  env: { ...process.env, MLFUNC_PYTHON: python.command },
});
process.exit(run.status ?? 1);
