/** Deployment files written to break synth: oversized, alias bombs, YAML 1.1, JSON with comments, crafted requirement lines, stacks that would share state. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { stringify } from "yaml";
import { loadDeployment } from "../../config/load";
import { DeploymentError } from "../../config/problems";
import { MAX_FILE_BYTES } from "../../config/document";
import { Json, defaultConfig, scratch } from "../support/synth";

const work = scratch();
afterAll(() => work.cleanup());
let count = 0;

/** The problem lines for a file (an object or raw text); fails when it loads, or throws anything else. */
function problems(config: Json | string, name = "mlfunc.yaml"): string[] {
  const dir = join(work.dir, `case-${++count}`);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, typeof config === "string" ? config : stringify(config));
  try {
    loadDeployment(file);
  } catch (e) {
    if (!(e instanceof DeploymentError)) throw e;
    const lines = e.message.split("\n");
    expect(lines[0]).toBe(`${relative(process.cwd(), file)}: ${lines.length - 1} problem${lines.length === 2 ? "" : "s"}`);
    return lines.slice(1);
  }
  throw new Error("expected the file to be refused");
}

const mutated = (m: (c: Json) => void): Json => {
  const c = defaultConfig();
  m(c);
  return c;
};

describe("the deployment file's size and shape", () => {
  test("1 MB of YAML with 80,000 keys fails fast with the size limit", () => {
    const text = Array.from({ length: 80_000 }, (_, i) => `k${i}: ${i}`).join("\n");
    expect(Buffer.byteLength(text)).toBeGreaterThan(MAX_FILE_BYTES);
    expect(problems(text)).toEqual([`  (file): ${JSON.stringify(join(work.dir, `case-${count}`, "mlfunc.yaml"))} — the file is ${Buffer.byteLength(text)} bytes; a deployment file may be at most 262144 bytes (256 KiB): it describes one app, not data`]);
  });

  test("many keys under the size limit: the key limit, not a hang", () => {
    const text = Array.from({ length: 6_000 }, (_, i) => `k${i}: 1`).join("\n");
    expect(problems(text)).toEqual(["  (file): (missing) — the file has more than 5000 keys; a deployment file needs a few dozen"]);
  });

  test("duplicate keys in a nested mapping name both lines", () => {
    const text = stringify(defaultConfig()).replace("  dev:\n", "  dev:\n    location: westeurope\n    location: northeurope\n");
    expect(problems(text)).toEqual([expect.stringMatching(/^ {2}\(file\) \(line \d+\): "location" — duplicate key \(first at line \d+\); keep one$/)]);
  });

  test("a YAML alias bomb is a message, not a stack trace", () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x]"];
    for (const [prev, cur] of [["a", "b"], ["b", "c"], ["c", "d"], ["d", "e"], ["e", "f"], ["f", "g"]]) levels.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(", ")}]`);
    expect(problems(`${levels.join("\n")}\n`)).toEqual([
      "  (file): (missing) — cannot read the file: aliases (*name) expand to too many nodes; a deployment file may expand at most 100: write the values out",
    ]);
  });

  test("%YAML 1.1 is refused: it would turn environments on/no into true/false", () => {
    const text = `%YAML 1.1\n---\n${stringify(mutated((c) => void (c.environments = { on: {}, no: {} })))}`;
    expect(problems(text)).toEqual([
      '  (file) (line 1): (missing) — "%YAML 1.1" is not supported: YAML 1.1 reads on, off, yes and no as true and false, so an environment "no" would become "false"; remove the %YAML line (the file is read as YAML 1.2)',
    ]);
  });

  test("without the directive, on and no are environment names", () => {
    const dir = join(work.dir, "yaml12");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "mlfunc.yaml"), stringify(mutated((c) => void (c.environments = { on: {}, no: {} }))).replace(/"(on|no)":/g, "$1:"));
    expect(loadDeployment(join(dir, "mlfunc.yaml")).environments.map((e) => e.stackName)).toEqual(["diabetes-on", "diabetes-no"]);
  });

  test.each([
    ["a line comment", '{\n  "name": "diabetes", // the app\n  "location": "westeurope"\n}\n', 2],
    ["a block comment", '{\n  "name": "diabetes",\n  /* where */\n  "location": "westeurope"\n}\n', 3],
  ])("JSON with %s says so, with its line", (_label, text, line) => {
    expect(problems(text, "mlfunc.json")).toEqual([
      `  (file) (line ${line}): (missing) — JSON does not allow comments (// or /* */); remove them, or write the file as YAML, where # starts a comment`,
    ]);
  });

  test("a // inside a JSON string is not a comment", () => {
    const c = mutated((x) => void (x.tags = { repo: "https://example.com/ml" }));
    const dir = join(work.dir, "json-url");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "mlfunc.json"), JSON.stringify(c, null, 2));
    expect(loadDeployment(join(dir, "mlfunc.json")).name).toBe("diabetes");
  });
});

describe("requirement lines: every spelling gets the same rule, credentials never printed", () => {
  const CREDENTIAL = "a credential in a URL would be baked into the image; use an index that needs none, or pass pip credentials as a Docker build secret outside the file";
  const INCLUDE = "includes of other requirement files are not copied into the image; list their packages in this file instead";
  const EDITABLE = "editable installs are not in the image; publish the package to an index pip can reach, or vendor it into model.sourceDir";
  const LOCAL = "local paths are not in the image; publish the package to an index pip can reach, or vendor it into model.sourceDir";
  const links = (opt: string) => `${opt} points at this machine's files, which the image does not have; use an index or a links page pip can reach over HTTPS`;
  test.each<[string, string, string]>([
    ["-r https://user:hunter2@example.com/req.txt", "-r https://***@example.com/req.txt", CREDENTIAL],
    ["-rother.txt", "-rother.txt", INCLUDE],
    ["-r other.txt", "-r other.txt", INCLUDE],
    ["--requirement=other.txt", "--requirement=other.txt", INCLUDE],
    ["-cconstraints.txt", "-cconstraints.txt", INCLUDE],
    ["-egit+https://github.com/org/pkg.git#egg=pkg", "-egit+https://github.com/org/pkg.git#egg=pkg", EDITABLE],
    ["-e git+https://github.com/org/pkg.git#egg=pkg", "-e git+https://github.com/org/pkg.git#egg=pkg", EDITABLE],
    ["--editable=./pkg", "--editable=./pkg", EDITABLE],
    ["--find-links /opt/wheels", "--find-links /opt/wheels", links("--find-links")],
    ["--find-links=/opt/wheels", "--find-links=/opt/wheels", links("--find-links")],
    ["-f/opt/wheels", "-f/opt/wheels", links("-f")],
    ["--index-url=file:///srv/simple", "--index-url=file:///srv/simple", links("--index-url")],
    ["--extra-index-url file:///srv/simple", "--extra-index-url file:///srv/simple", links("--extra-index-url")],
    ["pkg @ file:///home/me/pkg", "pkg @ file:///home/me/pkg", LOCAL],
    ["./vendor/pkg", "./vendor/pkg", LOCAL],
    ["numpy==1.24.2\n--index-url=file:///srv", "numpy==1.24.2\n--index-url=file:///srv", "one requirement per line, without line breaks or control characters; split it into separate list items"],
  ])("%j", (line, shown, message) => {
    expect(problems(mutated((c) => void ((c.model as Json).requirements = [line])))).toEqual([`  model.requirements[0] (line 10): ${JSON.stringify(shown)} — ${message}`]);
  });

  test.each(["--find-links https://download.pytorch.org/whl/torch_stable.html", "-i https://pypi.org/simple", "pkg @ https://example.com/pkg-1.0.tar.gz", "numpy==1.24.2 --hash=sha256:abc"])("%j is fine", (line) => {
    const dir = join(work.dir, `ok-${++count}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "mlfunc.yaml"), stringify(mutated((c) => void ((c.model as Json).requirements = [line]))));
    expect(loadDeployment(join(dir, "mlfunc.yaml")).model.requirements).toEqual([line]);
  });

  test("a requirements file: continuation lines are joined as pip joins them, and the credential is masked", () => {
    const dir = join(work.dir, "reqfile");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "requirements.txt"), "numpy==1.24.2  # pinned\n--find-links \\\n  /opt/wheels\n-r https://user:hunter2@example.com/r.txt\n");
    const lines = problems(mutated((c) => void ((c.model as Json).requirements = join(dir, "requirements.txt"))));
    expect(lines).toEqual([
      `  model.requirements (line 2 of ${join(dir, "requirements.txt")}): "--find-links   /opt/wheels" — ${links("--find-links")}`,
      `  model.requirements (line 4 of ${join(dir, "requirements.txt")}): "-r https://***@example.com/r.txt" — ${CREDENTIAL}`,
    ]);
    expect(lines.join("\n")).not.toContain("hunter2");
  });
});

describe("stacks, state and resource groups are never shared", () => {
  test("an environment named state would be the bootstrap-state stack and share its state file", () => {
    expect(problems(mutated((c) => void (c.environments = { dev: {}, state: {} })))).toEqual([
      '  environments.state (line 28): "state" — its stack "diabetes-state" is taken by the state stack of npm run bootstrap-state, whose state file terraform.diabetes-state.tfstate tracks the storage that holds every stack\'s state: deploying this one would plan to destroy it; rename the environment',
    ]);
  });

  test("an environment named tfstate would reuse the state storage's resource group", () => {
    expect(problems(mutated((c) => void (c.environments = { dev: {}, tfstate: {} })))).toEqual([
      '  environments.tfstate (line 28): "rg-diabetes-tfstate" — the resource group is already used by the state stack of npm run bootstrap-state, which holds everyone\'s state; destroying one stack would delete the other\'s resources, so give each environment its own resource group (set names.resourceGroup)',
    ]);
  });

  test("two environments overriding to one resource group", () => {
    expect(problems(mutated((c) => void (c.environments = { dev: { names: { resourceGroup: "rg-ml" } }, prod: { names: { resourceGroup: "RG-ML" } } })))).toEqual([
      '  environments.prod.names.resourceGroup (line 32): "RG-ML" — the resource group is already used by environments.dev; destroying one stack would delete the other\'s resources, so give each environment its own resource group',
    ]);
  });

  test("an override to another environment's derived resource group", () => {
    expect(problems(mutated((c) => void (c.environments = { dev: {}, prod: { names: { resourceGroup: "rg-diabetes-dev" } } })))).toEqual([
      '  environments.prod.names.resourceGroup (line 30): "rg-diabetes-dev" — the resource group is already used by environments.dev; destroying one stack would delete the other\'s resources, so give each environment its own resource group',
    ]);
  });

  test("an environment in the azurerm backend's resource group, or with its storage account", () => {
    const lines = problems(
      mutated((c) => {
        c.environments = { dev: { names: { resourceGroup: "rg-shared-state", hostStorageAccount: "stsharedstate01" } } };
        c.state = { backend: "azurerm", resourceGroup: "rg-shared-state", storageAccount: "stsharedstate01", container: "tfstate" };
      }),
    );
    expect(lines).toEqual([
      '  environments.dev.names.resourceGroup (line 29): "rg-shared-state" — the resource group is already used by state.resourceGroup, which holds the state storage; destroying one stack would delete the other\'s resources, so give each environment its own resource group',
      '  environments.dev.names.hostStorageAccount (line 30): "stsharedstate01" — already used by state.storageAccount, the state storage; give this environment its own',
    ]);
  });
});
