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
function problems(config: Json | string | Buffer, name = "mlfunc.yaml"): string[] {
  const dir = join(work.dir, `case-${++count}`);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, typeof config === "string" || Buffer.isBuffer(config) ? config : stringify(config));
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

describe("tags Azure would refuse at apply time are refused now", () => {
  const many = (prefix: string, n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, "x"]));

  test.each<[string, Record<string, string>, string]>([
    ["a reserved prefix", { "Microsoft.Owner": "me" }, 'tag names starting with "microsoft" are reserved by Azure; rename the tag'],
    ["another reserved prefix", { azure_cost: "1" }, 'tag names starting with "azure" are reserved by Azure; rename the tag'],
    ["windows", { WindowsVersion: "11" }, 'tag names starting with "windows" are reserved by Azure; rename the tag'],
    ["an empty name", { "": "x" }, "a tag name must not be empty or blank; name the tag"],
    ["a blank name", { "  ": "x" }, "a tag name must not be empty or blank; name the tag"],
    ["a control character", { "team\u001b[31m": "x" }, "a tag name must not hold control or invisible characters; retype the name"],
    ["a zero-width space", { "te\u200bam": "x" }, "a tag name must not hold control or invisible characters; retype the name"],
    ["a forbidden character", { "a<b": "x" }, "a tag name cannot contain < > % & \\ ? /; rename the tag"],
    ["a long name", { ["n".repeat(129)]: "x" }, "tag names are at most 128 characters on storage accounts, which mlfunc tags (this one has 129); shorten it"],
    ["a long value", { team: "v".repeat(257) }, "tag values are at most 256 characters (this one has 257); shorten it"],
  ])("%s", (_name, tags, message) => {
    const lines = problems(mutated((c) => void (c.tags = tags)));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^ {2}tags/);
    expect(lines[0]?.endsWith(` — ${message}`)).toBe(true);
  });

  test("30 top-level and 30 environment tags, with mlfunc's own three, are 63: one problem for each environment", () => {
    const lines = problems(
      mutated((c) => {
        c.tags = many("top", 30);
        const envs = c.environments as Record<string, Json>;
        c.environments = { dev: { ...envs.dev, tags: many("env", 30) }, prod: { ...envs.prod, tags: many("env", 17) } };
      }),
    );
    expect(lines).toEqual([
      expect.stringMatching(/^ {2}environments\.dev\.tags \(line \d+\): "\(merged\)" — Azure allows at most 50 tags on a resource; with the top-level tags, this environment's and mlfunc's own app, environment, managed-by, this environment has 63; drop 13$/),
    ]);
  });

  test("tag names that differ only in case clash, as Azure reads them case-insensitively", () => {
    const lines = problems(
      mutated((c) => {
        c.tags = { Owner: "a" };
        const envs = c.environments as Record<string, Json>;
        c.environments = { dev: { ...envs.dev, tags: { owner: "b" } }, prod: envs.prod };
      }),
    );
    expect(lines).toEqual([expect.stringMatching(/^ {2}environments\.dev\.tags \(line \d+\): "\(merged\)" — tags "Owner" and "owner" differ only in case, and Azure tag names are case-insensitive; keep one$/)]);
  });
});

describe("the file is strict UTF-8", () => {
  test("an invalid byte in a tag value is a problem naming its line, not a silent U+FFFD", () => {
    const text = stringify(mutated((c) => void (c.tags = { team: "caf\u00e9" })));
    const bytes = Buffer.from(text, "utf8");
    const at = bytes.indexOf(Buffer.from("caf\u00e9", "utf8")) + 3;
    bytes[at] = 0xe9; // Latin-1 é: a lone lead byte in UTF-8
    bytes[at + 1] = 0x20;
    const line = text.slice(0, text.indexOf("caf\u00e9")).split("\n").length;
    expect(problems(bytes)).toEqual([`  (file) (line ${line}): (missing) — not valid UTF-8: byte 0xe9 at column 12; save the file as UTF-8`]);
  });

  test("a byte-order mark and multi-byte characters load as before", () => {
    const dir = join(work.dir, "utf8-bom");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "mlfunc.yaml"), `\ufeff${stringify(mutated((c) => void (c.tags = { team: "caf\u00e9 \u{1f600}" })))}`);
    expect(loadDeployment(join(dir, "mlfunc.yaml")).environments[0]?.tags.team).toBe("caf\u00e9 \u{1f600}");
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
