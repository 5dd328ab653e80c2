/** Edge cases of validation and naming: each pins behaviour that was once wrong. */
import { writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { stringify } from "yaml";
import { buildApp } from "../../main";
import { DeploymentError } from "../../config/problems";
import { NAME_RULES, NameKind, nameProblem, resourceNames, suggestName } from "../../config/naming";
import { Json, defaultConfig, scratch } from "../support/synth";

type Outcome = { kind: "ok" } | { kind: "problems"; file: string; lines: string[] } | { kind: "crash"; message: string };

/** Builds the file and classifies the result: a valid app, a list of problems for the user, or a crash. */
function outcome(config: Json | string): Outcome {
  const { dir, cleanup } = scratch();
  try {
    const file = join(dir, "mlfunc.yaml");
    writeFileSync(file, typeof config === "string" ? config : stringify(config));
    try {
      buildApp({ config: file, outdir: join(dir, "out"), contextsDir: join(dir, "contexts") });
      return { kind: "ok" };
    } catch (e) {
      if (e instanceof DeploymentError) return { kind: "problems", file: relative(process.cwd(), file), lines: e.message.split("\n") };
      return { kind: "crash", message: (e as Error).message };
    }
  } finally {
    cleanup();
  }
}

function expectProblems(config: Json | string, lines: readonly string[]): void {
  const o = outcome(config);
  if (o.kind !== "problems") throw new Error(`expected problems, got ${JSON.stringify(o)}`);
  expect(o.lines).toEqual([`${o.file}: ${lines.length} problem${lines.length === 1 ? "" : "s"}`, ...lines]);
}

const mutated = (m: (c: Json) => void): Json => {
  const c = defaultConfig();
  m(c);
  return c;
};
const envs = (c: Json): Record<string, Json> => c.environments as Record<string, Json>;
const trigger = (c: Json, i: number): Json => ((c.functions as Json[])[i] as Json).trigger as Json;

describe("naming", () => {
  // config/naming.ts resourceNames(): registry and storage names hash the hyphen-free app name, so
  // the different apps "my-model" and "mymodel" get the same globally unique names.
  test("different apps never derive the same globally unique names", () => {
    const a = resourceNames("my-model", "dev");
    const b = resourceNames("mymodel", "dev");
    expect(a.registry).not.toBe(b.registry);
    expect(a.hostStorageAccount).not.toBe(b.hostStorageAccount);
    expect(a.dataStorageAccount).not.toBe(b.dataStorageAccount);
  });

  // config/naming.ts suggestName(): the offered fix must itself pass the rule.
  test.each<[NameKind, string]>([
    ["function", "1predict"],
    ["function", "9"],
    ["serviceBusNamespace", "diabetes-dev-sb"],
    ["serviceBusNamespace", "x-mgmt"],
    ["serviceBusNamespace", "1abc"],
  ])("the suggestion for %s %j is a valid name", (kind, value) => {
    expect(nameProblem(kind, value)).toBeDefined();
    const suggestion = suggestName(kind, value) ?? "";
    expect({ suggestion, problem: nameProblem(kind, suggestion) }).toEqual({ suggestion, problem: undefined });
  });

  // config/naming.ts nameProblem(): "a" before a vowel, and extra rules glued after "must be".
  test("name problems read as English", () => {
    const bad: string[] = [];
    const values = ["", "1 _ -- x.", "ab--cd", "x-sb", "A B"];
    for (const kind of Object.keys(NAME_RULES) as NameKind[]) {
      for (const v of values) {
        const message = nameProblem(kind, v);
        if (message && /\ba [AEIOUaeiou]|must be (must|no) /.test(message)) bad.push(message);
      }
    }
    expect(bad).toEqual([]);
  });

  test("a Service Bus namespace ending in -sb: one clear rule and a valid suggestion", () => {
    expectProblems(mutated((c) => void ((envs(c).dev as Json).names = { serviceBusNamespace: "diabetes-dev-sb" })), [
      '  environments.dev.names.serviceBusNamespace (line 31): "diabetes-dev-sb" — a Service Bus namespace name must not end with "-sb" or "-mgmt"; try "diabetes-dev"',
    ]);
  });

  test("service plan name with underscores", () => {
    expectProblems(mutated((c) => void ((envs(c).dev as Json).names = { servicePlan: "asp_diabetes_dev" })), [
      '  environments.dev.names.servicePlan (line 31): "asp_diabetes_dev" — an App Service plan name must be letters, digits and hyphens; try "asp-diabetes-dev"',
    ]);
  });

  test("environment name with upper case", () => {
    expectProblems(
      mutated((c) => {
        const e = envs(c);
        e.Dev = e.dev;
        delete e.dev;
      }),
      ['  environments.Dev (line 42): "Dev" — an environment name must be lowercase letters and digits, starting with a letter; try "dev"'],
    );
  });

  test("function name starting with a digit", () => {
    expectProblems(mutated((c) => void (((c.functions as Json[])[0] as Json).name = "1predict")), [
      '  functions[0].name (line 11): "1predict" — a function name must be letters, digits, hyphens and underscores, starting with a letter; try "predict"',
    ]);
  });
});

describe("validation", () => {
  // config/load.ts parseDeployment(): prettyErrors: false leaves e.linePos unset, so YAML errors lose their line.
  test.each<[string, string]>([
    ["name: diabetes\nname: other\n", '  (file) (line 2): "name" — duplicate key (first at line 1); keep one'],
    ["name: diabetes\nlocation: westeurope\nmodel:\n  path: m.pkl\n path2: x\n", "  (file) (line 5): (missing) — not valid YAML or JSON: All mapping items must start at the same column"],
  ])("invalid YAML %j names its line", (text, line) => {
    expectProblems(text, [line]);
  });

  // config/rules.ts parseBlobPath(): `rest.includes("//")` misses the empty segment right after the container.
  test("an empty segment right after the container is rejected", () => {
    expectProblems(mutated((c) => void (trigger(c, 1).inputPath = "input//{blobname}.json")), [
      '  functions[1].trigger.inputPath (line 18): "input//{blobname}.json" — a blob path must not contain empty segments (//)',
    ]);
  });

  // config/load.ts partsOf(): a section that fails the schema is dropped whole, hiding rule problems in its valid fields.
  test("an unsupported Python version does not hide a missing model", () => {
    expectProblems(
      mutated((c) => {
        Object.assign(c.model as Json, { pythonVersion: "3.9", path: "missing.pkl" });
      }),
      [
        '  model.path (line 6): "missing.pkl" — no such file or folder (paths are relative to the deployment file); fix the path or train the model first',
        '  model.pythonVersion (line 8): "3.9" — Python 3.9 left Azure Functions support in October 2025; set pythonVersion to "3.12" (the default), "3.11" or "3.13" and check that the requirements install on it',
      ],
    );
  });

  test("a rejected SKU does not hide a bad location in the same environment", () => {
    expectProblems(
      mutated((c) => {
        Object.assign(envs(c).dev as Json, { plan: { sku: "Y1" }, location: "West Europe" });
      }),
      [
        '  environments.dev.plan.sku (line 29): "Y1" — Consumption (Y1) plans cannot run custom containers (Linux Consumption is retired); use EP1-EP3 (Elastic Premium) or a Dedicated Linux SKU such as B1, S1 or P1v3',
        '  environments.dev.location (line 30): "West Europe" — not an Azure region name; write "westeurope"',
      ],
    );
  });

  test("a bad function name does not hide its blob path problems", () => {
    const o = outcome(
      mutated((c) => {
        ((c.functions as Json[])[1] as Json).name = "predict blob";
        trigger(c, 1).outputPath = "input/{blobname}_out.json";
      }),
    );
    expect(o.kind === "problems" ? o.lines.length - 1 : o).toBe(2);
  });
});

describe("Service Bus queues", () => {
  // constructs/service-bus.ts constructIdPart() and the case-sensitive Set: queue names Azure treats as
  // one (case) or that map to the same construct id crash synth with "already a Construct".
  test.each<[string, Json[]]>([
    [
      "case variants of one queue",
      [
        { name: "a", trigger: { type: "serviceBus", queue: "first", outputQueue: "Shared" } },
        { name: "b", trigger: { type: "serviceBus", queue: "shared" } },
      ],
    ],
    [
      "names that differ only by . and _",
      [
        { name: "a", trigger: { type: "serviceBus", queue: "orders.v1" } },
        { name: "b", trigger: { type: "serviceBus", queue: "orders_v1" } },
      ],
    ],
  ])("%s: a stack or a listed problem, never a crash", (_title, functions) => {
    const o = outcome(mutated((c) => void (c.functions = functions)));
    expect(o).not.toEqual(expect.objectContaining({ kind: "crash" }));
  });
});

describe("review fixes", () => {
  test("Elastic Premium minInstances above the ceiling is rejected even without maxInstances", () => {
    expectProblems(
      mutated((c) => void ((envs(c).prod as Json).plan = { sku: "EP1", minInstances: 150 })),
      ['  environments.prod.plan.minInstances (line 33): 150 — Elastic Premium runs at most 100 instances; lower it'],
    );
  });

  test("a credential in a requirement URL is rejected and not echoed", () => {
    expectProblems(
      mutated((c) => void ((c.model as Json).requirements = ["--index-url https://user:s3cr3tT0ken@pkgs.example.com/simple", "numpy==1.24.2"])),
      ['  model.requirements[0] (line 10): "--index-url https://***@pkgs.example.com/simple" — a credential in a URL would be baked into the image; use an index that needs none, or pass pip credentials as a Docker build secret outside the file'],
    );
  });

  test("a bare token in a requirement URL is a credential too", () => {
    expectProblems(
      mutated((c) => void ((c.model as Json).requirements = ["mypkg @ git+https://ghp_abc123@github.com/org/mypkg.git"])),
      ['  model.requirements[0] (line 10): "mypkg @ git+https://***@github.com/org/mypkg.git" — a credential in a URL would be baked into the image; use an index that needs none, or pass pip credentials as a Docker build secret outside the file'],
    );
  });

  test("an empty nameSeed is rejected", () => {
    expectProblems(mutated((c) => void (c.nameSeed = "")), ['  nameSeed (line 50): "" — must not be empty; use something unique to your organization, e.g. "contoso-ml"']);
  });
});
