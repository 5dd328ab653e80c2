// The Pythons the suites start (invoke, smoke's local answers, the build context's runs) import what the
// runtime tests' Pythons import: the same environment (commands/python.ts, testPythonEnv). Workers start
// after this runs and inherit it.
import { choosePython, testPythonEnv } from "../../commands/python";

export default function globalSetup(): void {
  Object.assign(process.env, testPythonEnv(choosePython()));
}
