/**
 * One synth at a time per output folder, and a folder that holds exactly the stacks its
 * manifest.json lists: two synths of different deployment files into one folder used to leave
 * stacks the manifest did not name.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";

export const LOCK_FILE = ".mlfunc-synth.lock";

/** Thrown when another live synth holds the folder for longer than the wait allows. */
export class OutputLockedError extends Error {}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes `<outdir>/.mlfunc-synth.lock` (waiting for a live holder, taking over a dead one's), runs `f`, releases it. */
export function withOutputLock<T>(outdir: string, f: () => T, options: { waitMs?: number; onWait?: (pid: number) => void } = {}): T {
  mkdirSync(outdir, { recursive: true });
  const lock = join(outdir, LOCK_FILE);
  const deadline = Date.now() + (options.waitMs ?? 120_000);
  let told = false;
  for (;;) {
    try {
      const fd = openSync(lock, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const holder = Number(readLock(lock));
    if (!Number.isInteger(holder) || holder <= 0 || !alive(holder)) {
      // Left behind by a synth that was killed: nobody is writing.
      rmSync(lock, { force: true });
      continue;
    }
    if (Date.now() >= deadline) {
      throw new OutputLockedError(`${outdir} is locked by another synth (process ${holder}); wait for it to finish, or synthesize into another folder with --output <dir>`);
    }
    if (!told) options.onWait?.(holder);
    told = true;
    sleep(100);
  }
  try {
    return f();
  } finally {
    rmSync(lock, { force: true });
  }
}

function readLock(lock: string): string {
  try {
    return readFileSync(lock, "utf8").trim();
  } catch {
    return "";
  }
}

/** The stack names manifest.json lists, or undefined when there is no readable manifest. */
export function manifestStacks(outdir: string): string[] | undefined {
  try {
    const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")) as { stacks?: Record<string, unknown> };
    return Object.keys(manifest.stacks ?? {});
  } catch {
    return undefined;
  }
}

/** Removes stack folders manifest.json does not list, as the cdktf CLI does after its synth. */
export function removeOrphanStacks(outdir: string): string[] {
  const listed = manifestStacks(outdir);
  const stacks = join(outdir, "stacks");
  if (listed === undefined || !existsSync(stacks)) return [];
  const orphans = readdirSync(stacks).filter((name) => !listed.includes(name) && statSync(join(stacks, name)).isDirectory());
  for (const name of orphans) rmSync(join(stacks, name), { recursive: true, force: true });
  return orphans;
}
