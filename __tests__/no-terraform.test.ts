/** Synth needs Node.js only: no Terraform on the PATH (deploy needs it, synth does not). */
import { spawnSync } from "node:child_process";
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { ROOT, scratch } from "./support/synth";

const work = scratch();
afterAll(() => work.cleanup());

test("validate and synth run with nothing but node on the PATH", () => {
  const bin = join(work.dir, "bin");
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, "node"));
  const env = { PATH: bin, HOME: work.dir, CHECKPOINT_DISABLE: "1" };
  const validate = spawnSync(process.execPath, [join(ROOT, "scripts", "mlfunc.js"), "validate"], { cwd: ROOT, env, encoding: "utf8" });
  expect(validate.stderr).toContain("valid: diabetes-image, diabetes-dev, diabetes-prod, diabetes-canary (policy checked; nothing written)\n");
  expect(validate.status).toBe(0);
  const out = join(work.dir, "out");
  const synth = spawnSync(process.execPath, [join(ROOT, "scripts", "mlfunc.js"), "synth", "--output", out, "--contexts", join(work.dir, "contexts")], { cwd: ROOT, env, encoding: "utf8" });
  expect(synth.stderr).not.toContain("Could not determine version of terraform");
  expect(synth.status).toBe(0);
});
