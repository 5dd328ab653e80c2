/** The compiled library (dist/), built once for the tests that pack the package. */
import { spawnSync } from "node:child_process";
import { readdirSync, statSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./synth";

const SOURCES = ["index.ts", "main.ts", "config", "constructs", "build-context", "policy", "review", "commands"];

function newest(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return path.endsWith(".ts") ? s.mtimeMs : 0;
  return Math.max(0, ...readdirSync(path).map((f) => newest(join(path, f))));
}

/** `npm run prepare` (tsc -p tsconfig.lib.json: JavaScript and declarations), skipped when dist is newer than every source. */
export function buildLibrary(): void {
  let built = 0;
  try {
    built = statSync(join(ROOT, "dist", "index.d.ts")).mtimeMs;
  } catch {
    // not built yet
  }
  if (built > Math.max(...SOURCES.map((s) => newest(join(ROOT, s))))) return;
  const tsc = spawnSync(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.lib.json"], { cwd: ROOT, encoding: "utf8" });
  if (tsc.status !== 0) throw new Error(`tsc -p tsconfig.lib.json failed:\n${tsc.stdout}${tsc.stderr}`);
  // An incremental build leaves outputs whose text did not change alone, index.d.ts too; without a new
  // mtime every later run would see a stale build and compile again.
  const now = new Date();
  utimesSync(join(ROOT, "dist", "index.d.ts"), now, now);
}

