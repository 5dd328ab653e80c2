/**
 * The one rule that picks the Python for the runtime tests, `invoke` and `bench`:
 * `MLFUNC_PYTHON` when set, else /usr/bin/python3 when it exists (Debian's, where
 * `apt-get install python3-sklearn` puts scikit-learn), else `python3` from PATH.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

export const DEFAULT_PYTHON = "/usr/bin/python3";

export interface PythonChoice {
  /** What to run: a path, or a command looked up on PATH. */
  readonly command: string;
  /** Why this one: "MLFUNC_PYTHON", "the default" or the fallback. */
  readonly reason: string;
}

export function choosePython(env: NodeJS.ProcessEnv = process.env, exists: (path: string) => boolean = existsSync): PythonChoice {
  const chosen = env.MLFUNC_PYTHON?.trim();
  if (chosen) return { command: chosen, reason: "MLFUNC_PYTHON" };
  if (exists(DEFAULT_PYTHON)) return { command: DEFAULT_PYTHON, reason: "the default" };
  return { command: "python3", reason: `python3 from PATH, since ${DEFAULT_PYTHON} does not exist` };
}

/** The line every command prints (to stderr) before it runs Python. */
export function describePython(choice: PythonChoice, version?: string): string {
  const which = version ? `${choice.command} (Python ${version})` : choice.command;
  const other = choice.reason === "MLFUNC_PYTHON" ? "" : "; set MLFUNC_PYTHON to use another";
  return `mlfunc: Python ${which}, ${choice.reason}${other}`;
}

/** `major.minor.micro` of the interpreter, or undefined when it cannot be run. */
export function pythonVersion(choice: PythonChoice): string | undefined {
  const run = spawnSync(choice.command, ["-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"], { encoding: "utf8" });
  return run.error || run.status !== 0 ? undefined : run.stdout.trim();
}

/** The modules of `modules` the interpreter cannot import (all of them when it cannot run). */
export function missingModules(choice: PythonChoice, modules: readonly string[]): string[] {
  const probe = "import importlib.util, sys\nfor m in sys.argv[1:]:\n    if importlib.util.find_spec(m) is None: print(m)";
  const run = spawnSync(choice.command, ["-c", probe, ...modules], { encoding: "utf8" });
  if (run.error || run.status !== 0) return [...modules];
  return run.stdout.split("\n").filter((m) => m !== "");
}

/**
 * True when the interpreter is externally managed (PEP 668: an EXTERNALLY-MANAGED file in its standard
 * library folder), so `pip install` into it fails; Debian's and Ubuntu's system Pythons are.
 * https://packaging.python.org/en/latest/specifications/externally-managed-environments/
 */
export function externallyManaged(choice: PythonChoice): boolean {
  const probe = "import os, sysconfig; print(os.path.isfile(os.path.join(sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED')))";
  const run = spawnSync(choice.command, ["-c", probe], { encoding: "utf8" });
  return !run.error && run.status === 0 && run.stdout.trim() === "True";
}

/** Where the venv route of the hints puts its virtual environment: outside any app folder, so nothing ships it. */
export const VENV = "~/.venvs/mlfunc";

/**
 * What to tell someone whose Python lacks packages (`pipNames`): the interpreter, and the two fixes,
 * install into it or point MLFUNC_PYTHON at one that has them. `hint` adds another way to install.
 * An externally managed Python refuses pip: then the fix is a virtual environment, as exact commands.
 */
export function missingPackagesMessage(what: string, choice: PythonChoice, pipNames: readonly string[], hint?: string, managed = false): string {
  const list = pipNames.length === 1 ? pipNames[0] : `${pipNames.slice(0, -1).join(", ")} and ${pipNames[pipNames.length - 1]}`;
  const them = pipNames.length === 1 ? "it" : "them";
  if (managed) {
    return (
      `${what} need ${list}, which ${choice.command} (${choice.reason}) does not have, and that Python is externally managed (PEP 668), so pip will not install into it: ` +
      `${choice.command} -m venv ${VENV} && ${VENV}/bin/pip install ${pipNames.join(" ")} && export MLFUNC_PYTHON=${VENV}/bin/python` +
      ` (on Debian/Ubuntu, apt-get install python3-venv first)${hint ? `; or ${hint}` : ""}`
    );
  }
  return (
    `${what} need ${list}, which ${choice.command} (${choice.reason}) does not have: ` +
    `install ${them} into that Python (${choice.command} -m pip install ${pipNames.join(" ")}${hint ? `; ${hint}` : ""}), ` +
    `or set MLFUNC_PYTHON to a Python that has ${them}`
  );
}

/** What the runtime tests import, by module, with the package that provides each. */
export const TEST_PACKAGES: Readonly<Record<string, string>> = { sklearn: "scikit-learn", joblib: "joblib", numpy: "numpy" };
export const TEST_PACKAGES_HINT = "on Debian/Ubuntu: apt-get install -y python3-sklearn";

/** Undefined when the chosen Python can run `who` (tests that load the example model), else the message that says why not. */
export function testPythonProblem(choice: PythonChoice, who = "the runtime tests"): string | undefined {
  if (pythonVersion(choice) === undefined) {
    const install = choice.reason === "MLFUNC_PYTHON" ? "" : `install Python 3 with them (${TEST_PACKAGES_HINT}), or `;
    return `${who} cannot run ${choice.command} (${choice.reason}): ${install}set MLFUNC_PYTHON to a Python 3 that has scikit-learn, joblib and numpy`;
  }
  const missing = missingModules(choice, Object.keys(TEST_PACKAGES));
  if (missing.length === 0) return undefined;
  return missingPackagesMessage(who, choice, missing.map((m) => TEST_PACKAGES[m] ?? m), TEST_PACKAGES_HINT, externallyManaged(choice));
}

/**
 * What the tests' Pythons run with: SETUPTOOLS_USE_DISTUTILS=stdlib, when this Python has the standard library's distutils
 * and the user has not chosen. joblib before 1.3 (Debian 12 ships 1.2) runs `import distutils`, which
 * setuptools' shim answers by importing setuptools and pkg_resources: about 0.3 CPU seconds in every Python
 * that loads the example model, and nothing the tests check. The joblib pinned for the image does not
 * import distutils at all. Python 3.12 has no distutils of its own, so there the shim stays. Used by
 * runtime/run-tests.sh and, for the Pythons jest's suites start, by jest's global setup.
 */
export function testPythonEnv(python: PythonChoice): NodeJS.ProcessEnv {
  if (process.env.SETUPTOOLS_USE_DISTUTILS !== undefined) return {};
  const env = { ...process.env, SETUPTOOLS_USE_DISTUTILS: "stdlib" };
  const probe = spawnSync(python.command, ["-W", "ignore", "-c", "import distutils.version"], { env, stdio: "ignore" });
  return probe.status === 0 ? { SETUPTOOLS_USE_DISTUTILS: "stdlib" } : {};
}
