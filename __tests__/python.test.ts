/** commands/python.ts: the one rule that picks the Python for the runtime tests, invoke and bench. */
import { spawnSync } from "node:child_process";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_PYTHON, choosePython, describePython, externallyManaged, missingModules, missingPackagesMessage, pythonVersion, testPythonProblem } from "../commands/python";
import { PYTHON, expectSamePredictions } from "./support/python";
import { ROOT, scratch } from "./support/synth";

describe("choosePython", () => {
  test("MLFUNC_PYTHON wins, trimmed", () => {
    expect(choosePython({ MLFUNC_PYTHON: " /opt/venv/bin/python " }, () => true)).toEqual({ command: "/opt/venv/bin/python", reason: "MLFUNC_PYTHON" });
  });

  test("else /usr/bin/python3 when it exists", () => {
    expect(choosePython({}, (p) => p === "/usr/bin/python3")).toEqual({ command: "/usr/bin/python3", reason: "the default" });
    expect(choosePython({ MLFUNC_PYTHON: "" }, () => true)).toEqual({ command: DEFAULT_PYTHON, reason: "the default" });
  });

  test("else python3 from PATH, saying why", () => {
    expect(choosePython({}, () => false)).toEqual({ command: "python3", reason: "python3 from PATH, since /usr/bin/python3 does not exist" });
  });

  test("the tests' own Python is the one the rule picks", () => {
    expect(PYTHON).toBe(choosePython().command);
  });
});

test("describePython: the line invoke, bench and the runtime tests print", () => {
  expect(describePython({ command: "/usr/bin/python3", reason: "the default" }, "3.11.2")).toBe(
    "mlfunc: Python /usr/bin/python3 (Python 3.11.2), the default; set MLFUNC_PYTHON to use another",
  );
  expect(describePython({ command: "/opt/venv/bin/python", reason: "MLFUNC_PYTHON" })).toBe("mlfunc: Python /opt/venv/bin/python, MLFUNC_PYTHON");
});

test("missingPackagesMessage names the interpreter and the two fixes", () => {
  const choice = { command: "/root/.pyenv/shims/python3", reason: "MLFUNC_PYTHON" };
  expect(missingPackagesMessage("the runtime tests", choice, ["scikit-learn", "joblib"], "on Debian/Ubuntu: apt-get install -y python3-sklearn")).toBe(
    "the runtime tests need scikit-learn and joblib, which /root/.pyenv/shims/python3 (MLFUNC_PYTHON) does not have: " +
      "install them into that Python (/root/.pyenv/shims/python3 -m pip install scikit-learn joblib; on Debian/Ubuntu: apt-get install -y python3-sklearn), " +
      "or set MLFUNC_PYTHON to a Python that has them",
  );
  expect(missingPackagesMessage("invoke", { command: "python3", reason: "the default" }, ["numpy"])).toBe(
    "invoke need numpy, which python3 (the default) does not have: install it into that Python (python3 -m pip install numpy), or set MLFUNC_PYTHON to a Python that has it",
  );
});

test("an externally managed Python gets the venv route as exact commands, and MLFUNC_PYTHON", () => {
  expect(missingPackagesMessage("the runtime tests", { command: "/usr/bin/python3", reason: "the default" }, ["scikit-learn", "joblib"], "on Debian/Ubuntu: apt-get install -y python3-sklearn", true)).toBe(
    "the runtime tests need scikit-learn and joblib, which /usr/bin/python3 (the default) does not have, and that Python is externally managed (PEP 668), so pip will not install into it: " +
      "/usr/bin/python3 -m venv ~/.venvs/mlfunc && ~/.venvs/mlfunc/bin/pip install scikit-learn joblib && export MLFUNC_PYTHON=~/.venvs/mlfunc/bin/python " +
      "(on Debian/Ubuntu, apt-get install python3-venv first); or on Debian/Ubuntu: apt-get install -y python3-sklearn",
  );
});

test("externallyManaged reads the PEP 668 marker of the interpreter itself", () => {
  const marker = spawnSync(PYTHON, ["-c", "import os, sysconfig; print(os.path.isfile(os.path.join(sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED')))"], { encoding: "utf8" }).stdout.trim();
  expect(externallyManaged({ command: PYTHON, reason: "MLFUNC_PYTHON" })).toBe(marker === "True");
  expect(externallyManaged({ command: "/nonexistent/python3", reason: "MLFUNC_PYTHON" })).toBe(false);
});

describe("against real interpreters", () => {
  test("a Python that cannot run: no version, every module missing, and the runtime tests say so", () => {
    const none = { command: "/nonexistent/python3", reason: "MLFUNC_PYTHON" };
    expect(pythonVersion(none)).toBeUndefined();
    expect(missingModules(none, ["json", "sklearn"])).toEqual(["json", "sklearn"]);
    expect(testPythonProblem(none)).toBe(
      "the runtime tests cannot run /nonexistent/python3 (MLFUNC_PYTHON): set MLFUNC_PYTHON to a Python 3 that has scikit-learn, joblib and numpy",
    );
  });

  test("the chosen Python: its version, only the modules it lacks, and no problem for the runtime tests", () => {
    const chosen = choosePython();
    expect(pythonVersion(chosen)).toMatch(/^3\.\d+\.\d+$/);
    expect(missingModules(chosen, ["json", "mlfunc_no_such_module", "sklearn"])).toEqual(["mlfunc_no_such_module"]);
    expect(testPythonProblem(chosen)).toBeUndefined();
  });

  test("runtime/run-tests.sh refuses a Python without the packages, naming it and the fixes", () => {
    // The chosen Python without site-packages (-S): a Python 3 that lacks all three.
    const { dir, cleanup } = scratch();
    try {
      const bare = join(dir, "bare-python3");
      writeFileSync(bare, `#!/bin/sh\nexec ${choosePython().command} -S "$@"\n`);
      chmodSync(bare, 0o755);
      const run = spawnSync("sh", [join(ROOT, "runtime", "run-tests.sh")], { encoding: "utf8", env: { ...process.env, MLFUNC_PYTHON: bare } });
      // Which fix depends on whether this machine's Python carries the PEP 668 marker.
      const managed = externallyManaged({ command: bare, reason: "MLFUNC_PYTHON" });
      expect({ status: run.status, stderr: run.stderr }).toEqual({
        status: 1,
        stderr:
          `mlfunc: Python ${bare}, MLFUNC_PYTHON\n` +
          (managed
            ? `the runtime tests need scikit-learn, joblib and numpy, which ${bare} (MLFUNC_PYTHON) does not have, and that Python is externally managed (PEP 668), so pip will not install into it: ` +
              `${bare} -m venv ~/.venvs/mlfunc && ~/.venvs/mlfunc/bin/pip install scikit-learn joblib numpy && export MLFUNC_PYTHON=~/.venvs/mlfunc/bin/python (on Debian/Ubuntu, apt-get install python3-venv first); ` +
              "or on Debian/Ubuntu: apt-get install -y python3-sklearn\n"
            : `the runtime tests need scikit-learn, joblib and numpy, which ${bare} (MLFUNC_PYTHON) does not have: ` +
              `install them into that Python (${bare} -m pip install scikit-learn joblib numpy; on Debian/Ubuntu: apt-get install -y python3-sklearn), ` +
              "or set MLFUNC_PYTHON to a Python that has them\n"),
      });
    } finally {
      cleanup();
    }
  });

  test("runtime/run-tests.sh refuses a Python it cannot use, naming it, before running any test", () => {
    const run = spawnSync("sh", [join(ROOT, "runtime", "run-tests.sh")], {
      encoding: "utf8",
      env: { ...process.env, MLFUNC_PYTHON: "/nonexistent/python3" },
    });
    expect({ status: run.status, stderr: run.stderr }).toEqual({
      status: 1,
      stderr:
        "mlfunc: Python /nonexistent/python3, MLFUNC_PYTHON\n" +
        "the runtime tests cannot run /nonexistent/python3 (MLFUNC_PYTHON): set MLFUNC_PYTHON to a Python 3 that has scikit-learn, joblib and numpy\n",
    });
  });
});

test("expectSamePredictions absorbs BLAS rounding but not a changed model", () => {
  expectSamePredictions("[152.00000000000003, -3.5]", "[152.0, -3.5000000000000004]");
  expect(() => expectSamePredictions("[152.0001, -3.5]", "[152.0, -3.5]")).toThrow();
  expect(() => expectSamePredictions("[152.0]", "[152.0, -3.5]")).toThrow();
  expect(() => expectSamePredictions('["152.0", -3.5]', "[152.0, -3.5]")).toThrow();
});
