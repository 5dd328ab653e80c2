/** Suppressions: accepted with a reason, refused without one, visible in the JSON. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { buildApp } from "../../main";
import type { MlfuncStack } from "../../constructs/mlfunc-stack";
import { appServiceApp, defaultConfig, devOnly, scratch } from "../support/synth";
import { evaluateStack, stackJson, suppress } from "../../policy";

const DEV = "diabetes-dev";
let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

/** The dev stack of the default deployment, built without the other environments: every case here is about dev alone. */
function devStack(): MlfuncStack {
  const { dir, cleanup } = scratch();
  cleanups.push(cleanup);
  const file = join(dir, "mlfunc.yaml");
  writeFileSync(file, stringify(devOnly(defaultConfig())));
  const app = buildApp({ config: file, outdir: join(dir, "out"), contextsDir: join(dir, "contexts") });
  return app.node.findChild(DEV) as MlfuncStack;
}

const REASON = "Temporary: attaching a debugger to reproduce incident 4711; removed by 2025-07-01.";

test("a suppression with a reason moves the finding to the suppressed list", () => {
  const stack = devStack();
  const fa = appServiceApp(stack).resource;
  fa.addOverride("site_config.remote_debugging_enabled", true);
  suppress(fa, "MLF-APP-004", REASON);
  const tf = stackJson(stack);
  const address = `azurerm_linux_function_app.${fa.friendlyUniqueId}`;
  const report = evaluateStack(DEV, tf);
  expect(report.findings).toEqual([]);
  expect(report.suppressed).toEqual([
    { id: "MLF-APP-004", severity: "medium", stack: DEV, address, message: "site_config.remote_debugging_enabled is true", fix: expect.any(String), reason: REASON },
  ]);
  // The reason sits next to the resource, where a reviewer of the JSON sees it.
  const body = ((tf.resource as Record<string, Record<string, Record<string, unknown>>>).azurerm_linux_function_app![fa.friendlyUniqueId]!)["//"];
  expect(body).toMatchObject({ mlfunc_policy: { suppressions: { "MLF-APP-004": REASON } }, metadata: { path: `${DEV}/function-app/app` } });
});

test("a suppression covers only its rule and its resource", () => {
  const stack = devStack();
  const fa = appServiceApp(stack).resource;
  fa.addOverride("site_config.remote_debugging_enabled", true);
  fa.addOverride("https_only", false);
  suppress(fa, "MLF-APP-004", REASON);
  const report = evaluateStack(DEV, stackJson(stack));
  expect(report.findings.map((f) => f.id)).toEqual(["MLF-APP-001"]);
  expect(report.suppressed.map((f) => f.id)).toEqual(["MLF-APP-004"]);
});

test("suppressing a construct covers the resources under it", () => {
  const stack = devStack();
  appServiceApp(stack).resource.addOverride("site_config.ftps_state", "FtpsOnly");
  suppress(appServiceApp(stack), "MLF-APP-003", "FTPS kept for a legacy upload job until it moves to the image.");
  const report = evaluateStack(DEV, stackJson(stack));
  expect(report.findings).toEqual([]);
  expect(report.suppressed.map((f) => [f.id, f.severity])).toEqual([["MLF-APP-003", "medium"]]);
});

test("suppress() refuses an empty reason, an unknown rule and the suppression check itself", () => {
  const stack = devStack();
  const fa = appServiceApp(stack).resource;
  expect(() => suppress(fa, "MLF-APP-004", "")).toThrow(`suppress(${DEV}/function-app/app, MLF-APP-004): a reason is required`);
  expect(() => suppress(fa, "MLF-APP-004", "   ")).toThrow(/a reason is required/);
  expect(() => suppress(fa, "MLF-APP-404", REASON)).toThrow(/MLF-APP-404\): unknown rule; known: MLF-APP-001, /);
  expect(() => suppress(fa, "MLF-SUP-001", REASON)).toThrow(/MLF-SUP-001 cannot be suppressed/);
});

test("a suppression without a reason in the JSON is an error and is not honoured", () => {
  const stack = devStack();
  const fa = appServiceApp(stack).resource;
  fa.addOverride("site_config.remote_debugging_enabled", true);
  // What a hand edit (or an escape hatch) would produce.
  fa.addOverride("//.mlfunc_policy.suppressions.MLF-APP-004", "");
  fa.addOverride("//.mlfunc_policy.suppressions.MLF-APP-44", "typo in the id");
  const address = `azurerm_linux_function_app.${fa.friendlyUniqueId}`;
  const report = evaluateStack(DEV, stackJson(stack));
  expect(report.suppressed).toEqual([]);
  expect(report.findings.map((f) => ({ id: f.id, severity: f.severity, address: f.address, message: f.message }))).toEqual([
    { id: "MLF-APP-004", severity: "medium", address, message: "site_config.remote_debugging_enabled is true" },
    { id: "MLF-SUP-001", severity: "high", address, message: "suppression of MLF-APP-004 has no reason; suppression names unknown rule MLF-APP-44" },
  ]);
});
