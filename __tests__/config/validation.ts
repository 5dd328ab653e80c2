import { writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { stringify } from "yaml";
import { buildApp } from "../../main";
import { DeploymentError } from "../../config/problems";
import { Json, defaultConfig, scratch } from "../support/synth";

type Mutation = (c: Json) => void;

const envOf = (c: Json, env: string): Json => (c.environments as Record<string, Json>)[env] as Json;
const fn = (c: Json, i: number): Json => (c.functions as Json[])[i] as Json;
const trigger = (c: Json, i: number): Json => fn(c, i).trigger as Json;
const model = (c: Json): Json => c.model as Json;
const names = (env: string, overrides: Json): Mutation => (c) => {
  envOf(c, env).names = overrides;
};
const plan = (env: string, p: Json): Mutation => (c) => {
  envOf(c, env).plan = p;
};
/** Points the model at files in the file's own folder, so messages show short relative paths. */
const localModel = (fields: Json): Mutation => (c) => {
  Object.assign(model(c), { path: "model.pkl", scoringScript: "score.py", requirements: "requirements.txt" }, fields);
};

const SCORE = "def init():\n    pass\n\n\ndef run(data):\n    return data\n";
const LOCAL_FILES = { "model.pkl": "weights", "score.py": SCORE, "requirements.txt": "numpy\n" };

/** Writes the file (and side files) to a scratch folder, builds the app, and returns the error text. */
function errorOf(config: Json | string, files: Readonly<Record<string, string>> = {}): { file: string; message: string } {
  const { dir, cleanup } = scratch();
  try {
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    const file = join(dir, "mlfunc.yaml");
    writeFileSync(file, typeof config === "string" ? config : stringify(config));
    try {
      buildApp({ config: file, outdir: join(dir, "out"), contextsDir: join(dir, "contexts") });
    } catch (e) {
      if (!(e instanceof DeploymentError)) throw e;
      return { file: relative(process.cwd(), file), message: e.message };
    }
    throw new Error("expected a DeploymentError");
  } finally {
    cleanup();
  }
}

function expectProblems(config: Json | string, lines: readonly string[], files?: Readonly<Record<string, string>>): void {
  const { file, message } = errorOf(config, files);
  const head = `${file}: ${lines.length} problem${lines.length === 1 ? "" : "s"}`;
  expect(message.split("\n")).toEqual([head, ...lines]);
}

const mutated = (m: Mutation): Json => {
  const c = defaultConfig();
  m(c);
  return c;
};

const SKU_FIX = "use EP1-EP3 (Elastic Premium) or a Dedicated Linux SKU such as B1, S1 or P1v3";

describe("name overrides", () => {
  test.each<[string, Mutation, string]>([
    [
      "storage account with upper case",
      names("dev", { hostStorageAccount: "StDiabetesDev" }),
      '  environments.dev.names.hostStorageAccount (line 31): "StDiabetesDev" — a storage account name must be lowercase letters and digits only; try "stdiabetesdev"',
    ],
    [
      "storage account too long",
      names("dev", { dataStorageAccount: "stdiabetesdevdata0123456789" }),
      '  environments.dev.names.dataStorageAccount (line 31): "stdiabetesdevdata0123456789" — a storage account name must be 3-24 characters (this one has 27); try "stdiabetesdevdata0123456"',
    ],
    [
      "registry with a hyphen",
      names("dev", { registry: "cr-diabetes-dev" }),
      '  environments.dev.names.registry (line 31): "cr-diabetes-dev" — a container registry name must be letters and digits only; try "crdiabetesdev"',
    ],
    [
      "function app ending in a hyphen",
      names("dev", { functionApp: "func-diabetes-" }),
      '  environments.dev.names.functionApp (line 31): "func-diabetes-" — a function app name must be lowercase letters, digits and hyphens, not starting or ending with a hyphen; try "func-diabetes"',
    ],
    [
      "resource group ending in a period",
      names("dev", { resourceGroup: "rg-diabetes-dev." }),
      '  environments.dev.names.resourceGroup (line 31): "rg-diabetes-dev." — a resource group name must be letters, digits, underscores, hyphens, periods and parentheses, not ending with a period; try "rg-diabetes-dev"',
    ],
    [
      "log analytics with an underscore",
      names("dev", { logAnalytics: "log_diabetes" }),
      '  environments.dev.names.logAnalytics (line 31): "log_diabetes" — a Log Analytics workspace name must be letters, digits and hyphens, starting and ending with a letter or digit; try "log-diabetes"',
    ],
    [
      "override in the second environment",
      names("prod", { registry: "cr_prod" }),
      '  environments.prod.names.registry (line 38): "cr_prod" — a container registry name must be letters and digits only; try "crprod"',
    ],
  ])("%s", (_title, mutation, line) => {
    expectProblems(mutated(mutation), [line]);
  });

  test("two overrides wrong in one environment are two problems", () => {
    expectProblems(mutated(names("dev", { registry: "cr-x", functionApp: "Func" })), [
      '  environments.dev.names.registry (line 31): "cr-x" — a container registry name must be 5-50 characters (this one has 4); letters and digits only; try "crxxx"',
      '  environments.dev.names.functionApp (line 32): "Func" — a function app name must be lowercase letters, digits and hyphens, not starting or ending with a hyphen; try "func"',
    ]);
  });
});

describe("plans", () => {
  test.each<[string, Mutation, string]>([
    ["Consumption Y1", plan("dev", { sku: "Y1" }), `  environments.dev.plan.sku (line 29): "Y1" — Consumption (Y1) plans cannot run custom containers (Linux Consumption is retired); ${SKU_FIX}`],
    ["Flex Consumption FC1", plan("dev", { sku: "FC1" }), `  environments.dev.plan.sku (line 29): "FC1" — Flex Consumption (FC1) plans cannot run custom containers; ${SKU_FIX}`],
    ["unknown SKU", plan("dev", { sku: "X9" }), `  environments.dev.plan.sku (line 29): "X9" — unknown plan SKU; ${SKU_FIX}`],
    ["wrong-case ep1", plan("prod", { sku: "ep1" }), `  environments.prod.plan.sku (line 32): "ep1" — SKU names are case-sensitive: write "EP1"; ${SKU_FIX}`],
    ["lower-case y1 is still Consumption", plan("dev", { sku: "y1" }), `  environments.dev.plan.sku (line 29): "y1" — Consumption (Y1) plans cannot run custom containers (Linux Consumption is retired); ${SKU_FIX}`],
    [
      "maxInstances on a Dedicated SKU",
      plan("dev", { sku: "B1", maxInstances: 3 }),
      "  environments.dev.plan.maxInstances (line 30): 3 — Dedicated plans (B1) run a fixed number of instances; remove maxInstances and set minInstances, or use EP1-EP3 for elastic scale-out",
    ],
    ["too many instances for B1", plan("dev", { sku: "B1", minInstances: 4 }), "  environments.dev.plan.minInstances (line 30): 4 — B1 allows at most 3 instances; lower it or pick a larger tier"],
    ["Premium above its ceiling", plan("prod", { sku: "EP1", maxInstances: 101 }), "  environments.prod.plan.maxInstances (line 33): 101 — Elastic Premium scales out to at most 100 instances; lower it"],
    [
      "Premium minInstances above maxInstances",
      plan("prod", { sku: "EP1", minInstances: 6, maxInstances: 5 }),
      "  environments.prod.plan.minInstances (line 33): 6 — must not exceed maxInstances (5); raise maxInstances or lower minInstances",
    ],
    ["zero instances", plan("dev", { sku: "B1", minInstances: 0 }), "  environments.dev.plan.minInstances (line 30): 0 — must be at least 1"],
  ])("%s", (_title, mutation, line) => {
    expectProblems(mutated(mutation), [line]);
  });
});

describe("functions and triggers", () => {
  test.each<[string, Mutation, string]>([
    [
      "blob path without a container",
      (c) => void (trigger(c, 1).inputPath = "{blobname}.json"),
      '  functions[1].trigger.inputPath (line 18): "{blobname}.json" — a blob path is "<container>/<blob name pattern>", e.g. "input/{blobname}.json"',
    ],
    [
      "container named by the blob path breaks the container rule",
      (c) => void (trigger(c, 1).inputPath = "Input_Data/{blobname}.json"),
      '  functions[1].trigger.inputPath (line 18): "Input_Data/{blobname}.json" — the path starts with the container name: a blob container name must be lowercase letters, digits and hyphens, starting and ending with a letter or digit; try "input-data"',
    ],
    [
      "container too short",
      (c) => void (trigger(c, 1).outputPath = "ab/{blobname}.json"),
      '  functions[1].trigger.outputPath (line 19): "ab/{blobname}.json" — the path starts with the container name: a blob container name must be 3-63 characters (this one has 2); try "abx"',
    ],
    [
      "token in the container part",
      (c) => void (trigger(c, 1).inputPath = "{box}/{blobname}.json"),
      '  functions[1].trigger.inputPath (line 18): "{box}/{blobname}.json" — the container part cannot contain {tokens}; name a fixed container',
    ],
    [
      "empty segment",
      (c) => void (trigger(c, 1).inputPath = "input/day//{blobname}.json"),
      '  functions[1].trigger.inputPath (line 18): "input/day//{blobname}.json" — a blob path must not contain empty segments (//)',
    ],
    [
      "bad token name",
      (c) => void (trigger(c, 1).inputPath = "input/{blob-name}.json"),
      '  functions[1].trigger.inputPath (line 18): "input/{blob-name}.json" — {tokens} must be names of letters, digits and underscores, e.g. {blobname}',
    ],
    [
      "same input and output path",
      (c) => void (trigger(c, 1).outputPath = "input/{blobname}.json"),
      '  functions[1].trigger.outputPath (line 19): "input/{blobname}.json" — input and output paths must differ; write results elsewhere, e.g. "output/{blobname}_out.json"',
    ],
    [
      "output in the input container",
      (c) => void (trigger(c, 1).outputPath = "input/{blobname}_out.json"),
      '  functions[1].trigger.outputPath (line 19): "input/{blobname}_out.json" — results written to the trigger\'s own container "input" would trigger the function again; use another container, e.g. "output/..."',
    ],
    [
      "output token not in the input path",
      (c) => void (trigger(c, 1).outputPath = "output/{name}_out.json"),
      '  functions[1].trigger.outputPath (line 19): "output/{name}_out.json" — {name} not in inputPath; output tokens must come from the input path ({blobname})',
    ],
    [
      "unbalanced brace",
      (c) => void (trigger(c, 1).inputPath = "input/{blobname.json"),
      '  functions[1].trigger.inputPath (line 18): "input/{blobname.json" — unbalanced { or } in the blob path',
    ],
    [
      "duplicate function names, case-insensitive",
      (c) => void (fn(c, 1).name = "Predict"),
      '  functions[1].name (line 15): "Predict" — functions[0] already has this name (names are case-insensitive); rename one',
    ],
    [
      "invalid function name",
      (c) => void (fn(c, 0).name = "predict fn"),
      '  functions[0].name (line 11): "predict fn" — a function name must be letters, digits, hyphens and underscores, starting with a letter; try "predict-fn"',
    ],
    [
      "no functions",
      (c) => void (c.functions = []),
      "  functions (line 10): [...] — at least one function is needed; add one with an http, blob or serviceBus trigger",
    ],
    [
      "output queue is the trigger queue (case-insensitive)",
      (c) => void (trigger(c, 2).outputQueue = "InQueue"),
      '  functions[2].trigger.outputQueue (line 25): "InQueue" — results sent to the trigger\'s own queue would trigger the function again; use another queue, e.g. "outqueue"',
    ],
    [
      "two functions on one queue",
      (c) => void (c.functions as Json[]).push({ name: "again", trigger: { type: "serviceBus", queue: "inqueue" } }),
      '  functions[3].trigger.queue (line 29): "inqueue" — functions[2] already reads this queue and they would split its messages; give each function its own queue',
    ],
    [
      "queue name with a space",
      (c) => void (trigger(c, 2).queue = "in queue"),
      '  functions[2].trigger.queue (line 24): "in queue" — a Service Bus queue name must be letters, digits, periods, hyphens, underscores and slashes, starting and ending with a letter or digit; try "in-queue"',
    ],
    [
      "unknown trigger type",
      (c) => void (trigger(c, 0).type = "timer"),
      '  functions[0].trigger.type (line 13): "timer" — trigger.type must be "http", "blob" or "serviceBus"',
    ],
    [
      "unknown key inside a trigger",
      (c) => {
        const t = trigger(c, 1);
        t.inputpath = t.inputPath;
        delete t.inputPath;
      },
      '  functions[1].trigger.inputpath (line 20): "input/{blobname}.json" — unknown key; did you mean "inputPath"? (allowed here: type, inputPath, outputPath, dataType, source)',
    ],
    [
      "bad authLevel",
      (c) => void (trigger(c, 0).authLevel = "public"),
      '  functions[0].trigger.authLevel (line 14): "public" — must be "anonymous", "function" or "admin"',
    ],
  ])("%s", (_title, mutation, line) => {
    expectProblems(mutated(mutation), [line]);
  });
});

describe("model", () => {
  test.each<[string, Json, Readonly<Record<string, string>>, string]>([
    [
      "model path missing",
      { path: "missing.pkl" },
      LOCAL_FILES,
      '  model.path (line 6): "missing.pkl" — no such file or folder (paths are relative to the deployment file); fix the path or train the model first',
    ],
    ["model file empty", {}, { ...LOCAL_FILES, "model.pkl": "" }, '  model.path (line 6): "model.pkl" — the model is empty (or every file in it is left out of the image); point it at the trained model file or a folder holding it'],
    ["scoring script missing", { scoringScript: "scoring.py" }, LOCAL_FILES, '  model.scoringScript (line 7): "scoring.py" — no such file (paths are relative to the deployment file); fix the path'],
    ["scoring script not .py", { scoringScript: "score.txt" }, { ...LOCAL_FILES, "score.txt": SCORE }, '  model.scoringScript (line 7): "score.txt" — the scoring script must be a Python file ending in .py'],
    [
      "scoring script without run()",
      {},
      { ...LOCAL_FILES, "score.py": "def init():\n    pass\n" },
      '  model.scoringScript (line 7): "score.py" — the script must define run() at top level, as Azure ML scoring scripts do',
    ],
    [
      "scoring script without init() or run() at top level",
      {},
      { ...LOCAL_FILES, "score.py": "class Model:\n    def init(self):\n        pass\n\n    def run(self, data):\n        return data\n" },
      '  model.scoringScript (line 7): "score.py" — the script must define init() and run() at top level, as Azure ML scoring scripts do',
    ],
    [
      "requirements file missing",
      { requirements: "reqs.txt" },
      LOCAL_FILES,
      '  model.requirements (line 9): "reqs.txt" — no such requirements file (paths are relative to the deployment file); fix the path or list the packages inline',
    ],
    ["python 3.9", { pythonVersion: "3.9" }, LOCAL_FILES, '  model.pythonVersion (line 8): "3.9" — Python 3.9 left Azure Functions support in October 2025; set pythonVersion to "3.12" (the default), "3.11" or "3.13" and check that the requirements install on it'],
    ["python 3.10", { pythonVersion: "3.10" }, LOCAL_FILES, '  model.pythonVersion (line 8): "3.10" — Python 3.10 left Azure Functions support in October 2026; set pythonVersion to "3.12" (the default), "3.11" or "3.13" and check that the requirements install on it'],
    ["python 4.0", { pythonVersion: "4.0" }, LOCAL_FILES, '  model.pythonVersion (line 8): "4.0" — must be one of "3.11", "3.12" or "3.13" (as a quoted string: YAML reads 3.10 as 3.1)'],
    ["model version without a name", { version: 2 }, LOCAL_FILES, '  model.version (line 10): 2 — a version belongs to a registered model name; set model.name too, or remove model.version'],
    ["model name with a slash", { name: "a/b" }, LOCAL_FILES, `  model.name (line 10): "a/b" — must start with a letter or digit and hold only letters, digits, '-', '_' or '.' (at most 255), like an Azure ML model name`],
    ["model version zero", { name: "m", version: 0 }, LOCAL_FILES, "  model.version (line 11): 0 — must be 1 or more (the registered model's version)"],
  ])("%s", (_title, fields, files, line) => {
    expectProblems(mutated(localModel(fields)), [line], files);
  });

  test("unquoted 3.10 is the YAML number 3.1", () => {
    const text = stringify(defaultConfig()).replace('pythonVersion: "3.12"', "pythonVersion: 3.10");
    expect(text).toContain("pythonVersion: 3.10\n");
    expectProblems(text, ['  model.pythonVersion (line 8): 3.1 — must be one of "3.11", "3.12" or "3.13" (as a quoted string: YAML reads 3.10 as 3.1)']);
  });

  test("a model file without a scoring script: the script is required, or an MLflow folder", () => {
    expectProblems(
      mutated((c) => void delete model(c).scoringScript),
      ['  model.scoringScript: (missing) — required, as model.path is not an MLflow model folder (a folder holding an MLmodel file); add "scoringScript" (the Azure ML scoring script with init() and run()), or point model.path at the folder mlflow saved'],
    );
  });
});

describe("file structure", () => {
  test.each<[string, Mutation, readonly string[]]>([
    [
      "unknown top-level key with a suggestion",
      (c) => {
        c.fucntions = c.functions;
        delete c.functions;
      },
      ['  fucntions (line 35): [...] — unknown key; did you mean "functions"? (allowed here: $schema, name, location, nameSeed, tags, model, functions, environments, state, ship, review, smoke)'],
    ],
    [
      "unknown top-level key with nothing close",
      (c) => void (c.owner = "me"),
      ['  owner (line 50): "me" — unknown key; remove it (allowed here: $schema, name, location, nameSeed, tags, model, functions, environments, state, ship, review, smoke)'],
    ],
    ["missing required field", (c) => void delete c.location, ['  location: (missing) — required; add "location" (a string)']],
    ["wrong type", (c) => void (c.name = 42), ['  name (line 1): 42 — must be a string, not a number (quote it: "42")']],
    ["wrong type in a plan", plan("dev", { sku: "B1", minInstances: "two" }), ['  environments.dev.plan.minInstances (line 30): "two" — must be a number, not a string']],
    ["bad location with a suggestion", (c) => void (c.location = "West Europe"), ['  location (line 2): "West Europe" — not an Azure region name; write "westeurope"']],
    [
      "unknown location",
      (c) => void (c.location = "mars"),
      ['  location (line 2): "mars" — not an Azure region name; use a region name such as "westeurope" or "eastus2" (az account list-locations -o table)'],
    ],
    [
      "bad environment location",
      (c) => void (envOf(c, "prod").location = "North Europe"),
      ['  environments.prod.location (line 37): "North Europe" — not an Azure region name; write "northeurope"'],
    ],
  ])("%s", (_title, mutation, lines) => {
    expectProblems(mutated(mutation), lines);
  });
});

describe("environments", () => {
  test("the same globally unique override in two environments", () => {
    expectProblems(
      mutated((c) => {
        names("dev", { registry: "crdiabetes" })(c);
        names("prod", { registry: "CRdiabetes" })(c);
      }),
      ['  environments.prod.names.registry (line 40): "CRdiabetes" — already used by environments.dev.names.registry; container registry names are globally unique, so give each environment its own'],
    );
  });

  test("one environment's override equal to another's derived name", () => {
    expectProblems(mutated(names("prod", { functionApp: "func-diabetes-dev-0128c0" })), [
      '  environments.prod.names.functionApp (line 38): "func-diabetes-dev-0128c0" — already used by environments.dev.names.functionApp; function app names are globally unique, so give each environment its own',
    ]);
  });

  test("host and data storage overridden to the same account", () => {
    expectProblems(mutated(names("dev", { hostStorageAccount: "stdiabetesdev", dataStorageAccount: "stdiabetesdev" })), [
      '  environments.dev.names.dataStorageAccount (line 32): "stdiabetesdev" — the host and data storage accounts must be different accounts; give each its own name',
    ]);
  });

  test("no environments", () => {
    expectProblems(
      mutated((c) => void (c.environments = {})),
      ["  environments (line 26): {...} — at least one environment is needed, e.g. dev: { plan: { sku: B1 } }"],
    );
  });
});

describe("state backend", () => {
  test.each<[string, Json, string]>([
    ["azurerm without a container", { backend: "azurerm", resourceGroup: "rg-state", storageAccount: "ststate" }, '  state.container: (missing) — required; add "container" (a string)'],
    [
      "azurerm with a bad storage account",
      { backend: "azurerm", resourceGroup: "rg-state", storageAccount: "st-state", container: "tfstate" },
      '  state.storageAccount (line 53): "st-state" — a storage account name must be lowercase letters and digits only; try "ststate"',
    ],
    [
      "remote workspaces without {stack}",
      { backend: "remote", organization: "acme", workspaces: "mlfunc" },
      '  state.workspaces (line 53): "mlfunc" — must contain "{stack}" so that each stack gets its own workspace, e.g. "mlfunc-{stack}"',
    ],
    ["unknown backend", { backend: "s3" }, '  state.backend (line 51): "s3" — state.backend must be "local", "azurerm" or "remote"'],
  ])("%s", (_title, state, line) => {
    expectProblems(mutated((c) => void (c.state = state)), [line]);
  });
});
