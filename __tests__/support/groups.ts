/**
 * Runs the test modules of one folder (`__tests__/constructs/`, …) as one jest file, each in a describe
 * block named after it. jest gives every test file its own module registry, so each file loads cdktf,
 * the providers, zod and yaml again: about 0.4 s of CPU. The modules keep one file per construct or
 * part; the folder pays that cost once.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";

export function runFolder(folder: string): void {
  const dir = join(__dirname, "..", folder);
  const modules = readdirSync(dir)
    .filter((f) => f.endsWith(".ts"))
    .sort();
  if (modules.length === 0) throw new Error(`no test modules in ${dir}`);
  for (const file of modules) {
    // Hooks a module declares at its top level (a scratch folder's cleanup) run when its block ends.
    describe(file.slice(0, -3), () => {
      require(join(dir, file));
    });
  }
}
