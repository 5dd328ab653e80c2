/**
 * The image stack: the one build of a deployment, written to cdktf.out once, deployed before every
 * environment, its base image pinned or warned about.
 */
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { buildApp, checkApp } from "../../main";
import { Json, defaultConfig, scratch, synth, synthError } from "../support/synth";

const IMAGE = "diabetes-image";
const PINNED = `mcr.microsoft.com/azure-functions/python:4-python3.12@sha256:${"ab12".repeat(16)}`;

/** Every file below `dir`, relative to it. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => statSync(join(dir, f)).isFile());
}

describe("synthesized to disk", () => {
  const work = scratch();
  afterAll(() => work.cleanup());
  const out = join(work.dir, "out");
  let manifest: { stacks: Record<string, { dependencies: string[]; workingDirectory: string }> };
  beforeAll(() => {
    const file = join(work.dir, "mlfunc.yaml");
    writeFileSync(file, stringify(defaultConfig()));
    buildApp({ config: file, outdir: out, contextsDir: join(work.dir, "contexts") }).synth();
    manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as typeof manifest;
  });

  test("three environments share one build context: only the image stack's folder holds it", () => {
    const stacks = readdirSync(join(out, "stacks")).sort();
    expect(stacks).toEqual(["diabetes-canary", "diabetes-dev", "diabetes-image", "diabetes-prod"]);
    const withAssets = stacks.filter((s) => files(join(out, "stacks", s)).some((f) => f.startsWith("assets/")));
    expect(withAssets).toEqual([IMAGE]);
    for (const env of ["diabetes-canary", "diabetes-dev", "diabetes-prod"]) expect(files(join(out, "stacks", env))).toEqual(["cdk.tf.json"]);
    // One context folder, holding the model once.
    const models = files(join(out, "stacks", IMAGE)).filter((f) => f.endsWith("sklearn_regression_model.pkl"));
    expect(models).toHaveLength(1);
  });

  test("every environment depends on the image stack, which depends on nothing: cdktf deploys it first", () => {
    expect(manifest.stacks[IMAGE]?.dependencies).toEqual([]);
    for (const env of ["diabetes-canary", "diabetes-dev", "diabetes-prod"]) expect(manifest.stacks[env]?.dependencies).toEqual([IMAGE]);
  });
});

describe("base image", () => {
  const work = scratch();
  afterAll(() => work.cleanup());
  let runs = 0;

  /** The warnings of a synth, and the Dockerfile's FROM line, for a model.baseImage (undefined: the default). */
  function build(baseImage?: string): { warnings: string[]; from: string } {
    const c = defaultConfig();
    if (baseImage !== undefined) (c.model as Json).baseImage = baseImage;
    const dir = join(work.dir, `run-${runs++}`);
    mkdirSync(dir);
    const file = join(dir, "mlfunc.yaml");
    writeFileSync(file, stringify(c));
    const app = buildApp({ config: file, outdir: join(dir, "out"), contextsDir: join(dir, "contexts") });
    const warnings = checkApp(app).filter((a) => a.level === "WARN" && a.message.includes("baseImage")).map((a) => `${a.path}: ${a.message}`);
    const contexts = join(dir, "contexts");
    const dockerfile = readFileSync(join(contexts, readdirSync(contexts)[0] ?? "", "Dockerfile"), "utf8");
    return { warnings, from: dockerfile.split("\n").find((l) => l.startsWith("FROM ")) ?? "" };
  }

  test("the default base is a floating tag: synth warns once, on the image stack, with the fix", () => {
    const { warnings, from } = build();
    expect(from).toBe("FROM --platform=linux/amd64 mcr.microsoft.com/azure-functions/python:4-python3.12");
    expect(warnings).toEqual([
      "diabetes-image: model.baseImage mcr.microsoft.com/azure-functions/python:4-python3.12 is a tag, which its publisher moves: two builds of the same context can differ. Pin it by digest: docker buildx imagetools inspect mcr.microsoft.com/azure-functions/python:4-python3.12 prints the Digest; set model.baseImage to mcr.microsoft.com/azure-functions/python:4-python3.12@sha256:<that digest> (docs/image-promotion.md)",
    ]);
  });

  test("a digest-pinned base is built FROM as given, with no warning", () => {
    const { warnings, from } = build(PINNED);
    expect(from).toBe(`FROM --platform=linux/amd64 ${PINNED}`);
    expect(warnings).toEqual([]);
  });

  test("changing the base image changes the build context, and so the image tag", () => {
    const tag = (baseImage?: string) => {
      const c = defaultConfig();
      if (baseImage !== undefined) (c.model as Json).baseImage = baseImage;
      return String(synth(c).only(IMAGE, "docker_image").name).split(":").pop();
    };
    expect(tag(PINNED)).not.toBe(tag());
  });

  test.each([
    ["a space and a second instruction", "mcr.microsoft.com/x:1 \nRUN curl evil"],
    ["no registry path", "python"],
    ["a short digest", "mcr.microsoft.com/azure-functions/python:4-python3.12@sha256:abc"],
    ["upper case in the path", "MCR.microsoft.com/Python:4"],
  ])("%s is refused before anything is built", (_title, baseImage) => {
    const c = defaultConfig();
    (c.model as Json).baseImage = baseImage;
    const body = synthError(c).split("\n").slice(1).map((l) => l.replace(/ \(line \d+\)/, ""));
    expect(body).toEqual([
      `  model.baseImage: ${JSON.stringify(baseImage)} — must be an image reference such as "mcr.microsoft.com/azure-functions/python:4-python3.12@sha256:<64 hex digits>" (registry/repository, an optional :tag, an optional @sha256 digest)`,
    ]);
  });
});

test("an environment named image would take the image stack's name, and is refused", () => {
  const c = defaultConfig();
  (c.environments as Json).image = { plan: { sku: "B1" } };
  const body = synthError(c).split("\n").slice(1).map((l) => l.replace(/ \(line \d+\)/, ""));
  expect(body).toEqual([
    '  environments.image: "image" — its stack "diabetes-image" is taken by the image stack diabetes-image, which builds the image every environment runs; rename the environment',
  ]);
});

test("registry must be shared or own", () => {
  const c = defaultConfig();
  (c.environments as Record<string, Json>).dev!.registry = "private";
  const body = synthError(c).split("\n").slice(1).map((l) => l.replace(/ \(line \d+\)/, ""));
  expect(body).toEqual(['  environments.dev.registry: "private" — must be "shared" or "own"']);
});

describe("a networked environment", () => {
  const networked = (registry?: string): Json => {
    const c = defaultConfig();
    c.functions = [{ name: "predict", trigger: { type: "http" } }];
    c.environments = { dev: { network: { addressSpace: "10.20.0.0/16" }, ...(registry === undefined ? {} : { registry }) } };
    return c;
  };

  test("gets its own registry by default, reached through its private endpoint, and the image by import", () => {
    const r = synth(networked());
    expect(r.only("diabetes-dev", "azurerm_container_registry")).toEqual(expect.objectContaining({ sku: "Premium", public_network_access_enabled: false }));
    expect(r.resources("diabetes-dev", "azapi_resource_action")[r.importId("diabetes-dev")]?.action).toBe("importImage");
    expect(Object.values(r.resources("diabetes-dev", "azurerm_private_endpoint")).map((e) => (e.private_service_connection as Json).subresource_names)).toContainEqual(["registry"]);
  });

  test("registry: shared is refused: its app would pull from a public registry", () => {
    const body = synthError(networked("shared")).split("\n").slice(1).map((l) => l.replace(/ \(line \d+\)/, ""));
    expect(body).toEqual([
      '  environments.dev.registry: "shared" — a networked environment pulls its image through a private endpoint to a registry of its own, which receives the image by import; remove registry (own is the default with network) or set registry: own',
    ]);
  });
});
