/**
 * `npm run bench`: synth time and memory for the default example and a large config, the test
 * suite's wall time, the runtime's per-call overhead and the review's speed, against their targets.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { PROJECT_ROOT } from "../build-context/generate";
import { choosePython, describePython, pythonVersion } from "./python";

export interface Measurement {
  readonly name: string;
  readonly seconds: number;
  /** Peak resident memory in MB, where it could be measured. */
  readonly peakMb?: number;
  readonly target?: string;
  readonly ok?: boolean;
}

const TIME = "/usr/bin/time";

/** Runs a command once and reads its wall time and peak RSS (GNU time, when installed). */
function measure(name: string, cmd: string, args: readonly string[], env: NodeJS.ProcessEnv): Measurement {
  const start = process.hrtime.bigint();
  const useTime = existsSync(TIME);
  const run = useTime
    ? spawnSync(TIME, ["-f", "MLFUNC_BENCH %e %M", cmd, ...args], { cwd: PROJECT_ROOT, env, encoding: "utf8", maxBuffer: 1 << 26 })
    : spawnSync(cmd, args, { cwd: PROJECT_ROOT, env, encoding: "utf8", maxBuffer: 1 << 26 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (run.status !== 0) throw new Error(`${name}: ${cmd} ${args.join(" ")} failed:\n${run.stdout}\n${run.stderr}`);
  const line = /MLFUNC_BENCH ([\d.]+) (\d+)/.exec(run.stderr ?? "");
  return { name, seconds: line ? Number(line[1]) : seconds, peakMb: line ? Math.round(Number(line[2]) / 1024) : undefined };
}

/** Median of `runs` measurements, by time; memory from the same run. */
function median(runs: number, f: () => Measurement): Measurement {
  const all = Array.from({ length: runs }, f).sort((a, b) => a.seconds - b.seconds);
  return all[Math.floor(all.length / 2)] as Measurement;
}

/** The command `cdktf synth` runs: cdktf.json's `app`. */
function appCommand(): string[] {
  const config = JSON.parse(readFileSync(join(PROJECT_ROOT, "cdktf.json"), "utf8")) as { app: string };
  return config.app.split(/\s+/);
}

/** 20 environments × 10 functions, every trigger type and both plan kinds. */
export function largeConfig(): object {
  const example = join(PROJECT_ROOT, "examples", "diabetes");
  const functions = Array.from({ length: 10 }, (_, i) => {
    const kind = i % 3;
    if (kind === 0) return { name: `http-${i}`, trigger: { type: "http" } };
    if (kind === 1) return { name: `blob-${i}`, trigger: { type: "blob", inputPath: `in${i}/{blobname}.json`, outputPath: `out${i}/{blobname}_out.json` } };
    return { name: `queue-${i}`, trigger: { type: "serviceBus", queue: `in-${i}`, outputQueue: `out-${i}` } };
  });
  const environments = Object.fromEntries(
    Array.from({ length: 20 }, (_, i) => [`env${String(i + 1).padStart(2, "0")}`, { plan: i % 2 === 0 ? { sku: "B1" } : { sku: "EP1", maxInstances: 10 } }]),
  );
  return {
    name: "benchmark-app",
    location: "westeurope",
    model: {
      path: join(example, "sklearn_regression_model.pkl"),
      scoringScript: join(example, "score.py"),
      requirements: join(example, "requirements.txt"),
    },
    functions,
    environments,
  };
}

function row(m: Measurement): string {
  const mem = m.peakMb === undefined ? "" : ` ${String(m.peakMb).padStart(5)} MB`;
  const verdict = m.target === undefined ? "" : `  target ${m.target}: ${m.ok ? "ok" : "MISSED"}`;
  return `${m.name.padEnd(48)} ${m.seconds.toFixed(3).padStart(8)} s${mem}${verdict}`;
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), "mlfunc-bench-"));
  const results: Measurement[] = [];
  const report = (m: Measurement) => {
    results.push(m);
    process.stdout.write(`${row(m)}\n`);
  };
  try {
    const large = join(scratch, "large.yaml");
    writeFileSync(large, stringify(largeConfig()));
    const configs = [
      { label: "default", file: join(PROJECT_ROOT, "mlfunc.yaml"), appTarget: [0.5, 150] as const },
      { label: "large (20 envs x 10 functions)", file: large, appTarget: [3, undefined] as const },
    ];
    for (const c of configs) {
      const env = { ...process.env, MLFUNC_CONFIG: c.file, CDKTF_OUTDIR: join(scratch, "out"), CHECKPOINT_DISABLE: "1" };
      const [cmd = "node", ...args] = appCommand();
      const app = median(5, () => measure(`synth app command (${[cmd, ...args].join(" ")}), ${c.label}`, cmd, args, env));
      const [maxS, maxMb] = c.appTarget;
      report({ ...app, target: `<= ${maxS} s${maxMb ? `, <= ${maxMb} MB` : ""}`, ok: app.seconds <= maxS && (maxMb === undefined || (app.peakMb ?? 0) <= maxMb) });
      const { CDKTF_OUTDIR: _set, ...cliEnv } = env;
      report(measure(`cdktf synth, ${c.label}`, "npx", ["cdktf", "synth", "--output", join(scratch, "cli-out")], cliEnv));
    }

    const python = choosePython();
    const py = python.command;
    process.stderr.write(`${describePython(python, pythonVersion(python))}\n`);
    const overhead = spawnSync(py, [join(PROJECT_ROOT, "runtime", "bench_overhead.py")], { cwd: PROJECT_ROOT, encoding: "utf8" });
    if (overhead.status === 0) {
      const r = JSON.parse(overhead.stdout) as { added_median_us: number; direct_median_us: number; runtime_median_us: number; init_calls: number; calls: number };
      const m = { name: `runtime overhead per call (${r.calls} calls, init x${r.init_calls})`, seconds: r.added_median_us / 1e6 };
      results.push({ ...m, target: "< 100 us", ok: r.added_median_us < 100 && r.init_calls === 1 });
      process.stdout.write(
        `${"runtime overhead per call (median)".padEnd(48)} ${r.added_median_us.toFixed(1).padStart(8)} us  (direct ${r.direct_median_us.toFixed(1)} us, via runtime ${r.runtime_median_us.toFixed(1)} us, init() x${r.init_calls})  target < 100 us: ${r.added_median_us < 100 && r.init_calls === 1 ? "ok" : "MISSED"}\n`,
      );
    } else {
      process.stdout.write(`runtime overhead: skipped, ${py} could not run it:\n${overhead.stderr}\n`);
    }

    for (const bench of await reviewBenches(large)) report(bench);

    const suite = measure("test suite (npm test)", "npm", ["test", "--silent"], { ...process.env, CI: "true" });
    report({ ...suite, target: "<= 60 s", ok: suite.seconds <= 60 });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const missed = results.filter((r) => r.ok === false);
  process.stdout.write(missed.length === 0 ? "\nall targets met\n" : `\n${missed.length} target(s) missed\n`);
}

/** Review benchmarks, where the review module provides them. */
async function reviewBenches(largeConfigFile: string): Promise<Measurement[]> {
  const out: Measurement[] = [];
  const { benchPlanSummary, benchOfflineDiff } = (await import("./bench-review")) as {
    benchPlanSummary: () => Promise<{ name: string; ms: number; resources: number }>;
    benchOfflineDiff?: (config: string) => Promise<{ name: string; ms: number; resources: number }>;
  };
  const plan = await benchPlanSummary();
  out.push({ name: `${plan.name} (${plan.resources} resources)`, seconds: plan.ms / 1000, target: "<= 2 s", ok: plan.ms <= 2000 });
  if (benchOfflineDiff) {
    const diff = await benchOfflineDiff(largeConfigFile);
    out.push({ name: `${diff.name} (${diff.resources} changed)`, seconds: diff.ms / 1000, target: "<= 2 s", ok: diff.ms <= 2000 });
  }
  return out;
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
