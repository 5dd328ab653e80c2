/** The synth-time aspect: findings become annotations, and error-level ones fail synth. */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AnnotationMetadataEntryType, App, Aspects, TerraformStack } from "cdktf";
import type { IConstruct } from "constructs";
import { stringify } from "yaml";
import { buildApp } from "../../main";
import type { FailOn } from "../../review/types";
import type { MlfuncStack } from "../../constructs/mlfunc-stack";
import { type Json, appServiceApp, appServiceOnly, defaultConfig, devOnly, scratch } from "../support/synth";
import { PolicyAspect, enforcePolicy, suppress } from "../../policy";

// The cdktf CLI sets this to print annotations itself; synth must fail on its own in tests.
delete process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS;

const DEV = "diabetes-dev";
let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

/**
 * The default app; buildApp enforces the policy itself, at `errorAt` (tests adjust it with enforcePolicy).
 * Only its dev environment unless `environments` keeps more: most cases change and check dev alone.
 */
function build(errorAt: FailOn = "high", environments: (c: Json) => Json = devOnly): { app: App; dev: MlfuncStack; outdir: string } {
  const { dir, cleanup } = scratch();
  cleanups.push(cleanup);
  const file = join(dir, "mlfunc.yaml");
  writeFileSync(file, stringify(environments(defaultConfig())));
  const outdir = join(dir, "out");
  const app = buildApp({ config: file, outdir, contextsDir: join(dir, "contexts"), policyErrorAt: errorAt });
  return { app, dev: app.node.findChild(DEV) as MlfuncStack, outdir };
}

function annotations(c: IConstruct, level: AnnotationMetadataEntryType): string[] {
  return c.node.metadata.filter((m) => m.type === level).map((m) => String(m.data));
}

function synthError(app: App): string {
  try {
    app.synth();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected synth to fail");
}

test("a high finding fails synth at errorAt high, naming the construct, rule and fix", () => {
  const { app, dev } = build();
  const fa = appServiceApp(dev).resource;
  fa.addOverride("https_only", false);
  enforcePolicy(app, { errorAt: "high" });
  const message = synthError(app);
  expect(message).toContain('Encountered Annotations with level "ERROR"');
  expect(message).toContain(
    `[${DEV}/function-app/app] MLF-APP-001 (high) azurerm_linux_function_app.${fa.friendlyUniqueId}: https_only is false: the app also answers plain HTTP. Fix: Set https_only = true`,
  );
});

test("at errorAt none the same finding is a warning, and synth writes the stacks", () => {
  const { app, dev, outdir } = build("high", appServiceOnly);
  const fa = appServiceApp(dev).resource;
  fa.addOverride("https_only", false);
  const aspect = enforcePolicy(app, { errorAt: "none" });
  app.synth();
  expect(annotations(fa, AnnotationMetadataEntryType.ERROR)).toEqual([]);
  expect(annotations(fa, AnnotationMetadataEntryType.WARN)).toEqual([expect.stringMatching(/^MLF-APP-001 \(high\) .*https_only is false/)]);
  expect(aspect.reports.get(DEV)!.findings.map((f) => f.id)).toEqual(["MLF-APP-001"]);
  // The aspect checked exactly what synth wrote, references resolved the same way.
  for (const stack of ["diabetes-dev", "diabetes-prod"]) {
    const written: unknown = JSON.parse(readFileSync(join(outdir, "stacks", stack, "cdk.tf.json"), "utf8"));
    expect(aspect.checked.get(stack)).toEqual(written);
  }
});

test("errorAt sets the line: a medium finding warns at high and fails at medium", () => {
  const warn = build();
  appServiceApp(warn.dev).resource.addOverride("site_config.remote_debugging_enabled", true);
  enforcePolicy(warn.app, { errorAt: "high" });
  warn.app.synth();
  expect(annotations(appServiceApp(warn.dev).resource, AnnotationMetadataEntryType.WARN)).toHaveLength(1);

  const fail = build();
  appServiceApp(fail.dev).resource.addOverride("site_config.remote_debugging_enabled", true);
  enforcePolicy(fail.app, { errorAt: "medium" });
  expect(synthError(fail.app)).toContain("MLF-APP-004 (medium)");
});

test("the default example synthesizes cleanly at errorAt low", () => {
  const { app, dev } = build("high", (c) => c);
  const aspect = enforcePolicy(app, { errorAt: "low" });
  app.synth();
  expect([...aspect.reports.keys()].sort()).toEqual(["diabetes-canary", "diabetes-dev", "diabetes-image", "diabetes-prod"]);
  const all = dev.node.findAll().flatMap((c) => annotations(c, AnnotationMetadataEntryType.WARN).concat(annotations(c, AnnotationMetadataEntryType.ERROR)));
  // The example leaves nameSeed unset on purpose, which synth warns about; no policy finding remains.
  expect(all).toEqual([expect.stringMatching(/^nameSeed is not set: /)]);
});

test("a suppressed finding is an info annotation with its reason and does not fail synth", () => {
  const { app, dev } = build();
  const fa = appServiceApp(dev).resource;
  fa.addOverride("https_only", false);
  suppress(fa, "MLF-APP-001", "Behind Front Door, which terminates TLS; tracked in SEC-12.");
  enforcePolicy(app, { errorAt: "low" });
  app.synth();
  expect(annotations(fa, AnnotationMetadataEntryType.INFO)).toEqual([
    `MLF-APP-001 (high) suppressed on azurerm_linux_function_app.${fa.friendlyUniqueId}: Behind Front Door, which terminates TLS; tracked in SEC-12.`,
  ]);
});

test("a suppression without a reason fails synth", () => {
  const { app, dev } = build();
  appServiceApp(dev).resource.addOverride("//.mlfunc_policy.suppressions.MLF-APP-001", "");
  enforcePolicy(app, { errorAt: "high" });
  expect(synthError(app)).toContain("MLF-SUP-001 (high)");
});

test("cdktf 0.21 never runs an aspect added to the App, which is why enforcePolicy adds one per stack", () => {
  // buildApp's own per-stack aspect only warns here, so synth completes and the App aspect's silence shows.
  const { app, dev } = build("none");
  appServiceApp(dev).resource.addOverride("https_only", false);
  const aspect = new PolicyAspect({ errorAt: "high" });
  Aspects.of(app).add(aspect);
  app.synth();
  expect(aspect.reports.size).toBe(0);
});

test("a stack created after enforcePolicy fails validation instead of going unchecked", () => {
  const { app } = build();
  enforcePolicy(app);
  new TerraformStack(app, "late");
  expect(synthError(app)).toContain("stack late was added after enforcePolicy()");
});

test("buildApp enforces the policy: a high finding fails synth with no extra call", () => {
  const { app, dev } = build();
  appServiceApp(dev).resource.addOverride("https_only", false);
  expect(synthError(app)).toContain("MLF-APP-001 (high)");
});

test("enforcePolicy twice on one app keeps one aspect per stack, with the last level", () => {
  const { app, dev } = build();
  appServiceApp(dev).resource.addOverride("https_only", false);
  const first = enforcePolicy(app, { errorAt: "high" });
  const second = enforcePolicy(app, { errorAt: "none" });
  expect(second).toBe(first);
  app.synth();
  expect(annotations(appServiceApp(dev).resource, AnnotationMetadataEntryType.WARN)).toHaveLength(1);
});

test("a rule can be made an error whatever its severity", () => {
  const { app, dev } = build();
  appServiceApp(dev).resource.addOverride("site_config.remote_debugging_enabled", true);
  enforcePolicy(app, { errorAt: "high", errorRules: ["MLF-APP-004"] });
  expect(synthError(app)).toContain("MLF-APP-004 (medium)");
});

test("an unknown rule id in errorRules is refused with the known ids", () => {
  const { app } = build();
  expect(() => enforcePolicy(app, { errorRules: ["MLF-NOPE-1"] })).toThrow(/^unknown policy rule "MLF-NOPE-1"; the rules are MLF-/);
});
