/**
 * Runs the test modules of one folder (`__tests__/constructs/`, …) as one jest file, each in a describe
 * block named after it. jest gives every test file its own module registry, so each file loads cdktf,
 * the providers, zod and yaml again: about 0.4 s of CPU. The modules keep one file per construct or
 * part; the folder pays that cost once.
 *
 * Each module is listed with a literal require, so jest sees the folder file depend on it (--watch,
 * --onlyChanged, --findRelatedTests); the list must name every module in the folder, no more.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";

export function runModules(folder: string, modules: Readonly<Record<string, () => unknown>>): void {
  const onDisk = readdirSync(join(__dirname, "..", folder))
    .filter((f) => f.endsWith(".ts"))
    .map((f) => f.slice(0, -3));
  const listed = Object.keys(modules);
  const problems = [
    ...onDisk.filter((m) => !listed.includes(m)).map((m) => `${folder}/${m}.ts is not listed; add  "${m}": () => require("./${folder}/${m}"),`),
    ...listed.filter((m) => !onDisk.includes(m)).map((m) => `"${m}" is listed but ${folder}/${m}.ts does not exist; remove it`),
  ];
  if (problems.length > 0) throw new Error(`__tests__/${folder}.test.ts: ${problems.join("; ")}`);
  for (const [name, load] of Object.entries(modules)) {
    // Hooks a module declares at its top level (a scratch folder's cleanup) run when its block ends.
    describe(name, () => {
      load();
    });
  }
}
