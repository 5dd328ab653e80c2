/**
 * Runs the runtime's Python tests (runtime/tests, unittest) with the Python that commands/python.ts picks,
 * from the project root: runtime/run-tests.sh runs this there, and `npm test` runs that.
 *
 * Most of their time goes to Pythons they start (the local CLI, train.py, the benchmark), each
 * importing scikit-learn, so one unittest process keeps one core busy. They run in one process per
 * core (at most two): each discovers the same tests in the same order and runs every n-th of them,
 * so every test runs exactly once, with its class and module fixtures.
 */
import { spawn } from "node:child_process";
import { availableParallelism } from "node:os";
import { choosePython, describePython, pythonVersion, testPythonEnv, testPythonProblem } from "../commands/python";

const python = choosePython();
const problem = testPythonProblem(python);
if (problem !== undefined) {
  process.stderr.write(`${describePython(python)}\n${problem}\n`);
  process.exit(1);
}
process.stderr.write(`${describePython(python, pythonVersion(python))}\n`);

/** `python -c SHARD <k> <n>`: runs tests k, k+n, k+2n, ... of `python -m unittest discover -s runtime/tests -t runtime`. */
const SHARD = `
import sys, unittest

def flat(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from flat(t)
        else:
            yield t

k, n = int(sys.argv[1]), int(sys.argv[2])
tests = list(flat(unittest.defaultTestLoader.discover("runtime/tests", top_level_dir="runtime")))
if not tests:
    sys.exit("no tests found in runtime/tests")
result = unittest.TextTestRunner().run(unittest.TestSuite(tests[k::n]))
sys.exit(0 if result.wasSuccessful() else 1)
`;

interface Shard {
  readonly status: number;
  readonly output: string;
}

function runShard(k: number, n: number, extraEnv: NodeJS.ProcessEnv): Promise<Shard> {
  return new Promise((resolve) => {
    const child = spawn(python.command, ["-c", SHARD, String(k), String(n)], {
      stdio: ["ignore", "pipe", "pipe"],
      // The tests start further Pythons (train.py, the CLI); they use this one too.
      env: { ...process.env, ...extraEnv, MLFUNC_PYTHON: python.command },
    });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => chunks.push(d));
    child.stderr.on("data", (d: Buffer) => chunks.push(d));
    child.on("error", (e) => resolve({ status: 1, output: `cannot run ${python.command}: ${e.message}\n` }));
    child.on("close", (code) => resolve({ status: code ?? 1, output: Buffer.concat(chunks).toString("utf8") }));
  });
}

async function main(): Promise<number> {
  const n = Math.max(1, Math.min(2, availableParallelism()));
  const extraEnv = testPythonEnv(python);
  const shards = await Promise.all(Array.from({ length: n }, (_, k) => runShard(k, n, extraEnv)));
  // Each process's output whole, one after the other: interleaved, a failure's traceback would be unreadable.
  shards.forEach((s, k) => process.stderr.write(`${n > 1 ? `runtime tests, process ${k + 1} of ${n}:\n` : ""}${s.output}`));
  return shards.every((s) => s.status === 0) ? 0 : 1;
}

main().then((code) => process.exit(code));
