import { cpSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadDeployment } from "../../config/load";
import { buildContext } from "../../build-context/generate";
import { EXAMPLE, Json, ROOT, SynthResult, allowing, defaultConfig, devOnly, scratch, synth } from "../support/synth";

/** The one stack that builds the image. */
const IMAGE = "diabetes-image";

let r: SynthResult;
beforeAll(() => {
  r = synth();
});

const idOnly = (result: SynthResult, type: string, stack = IMAGE): string => result.idOnly(stack, type);
const ref = (type: string, attr: string): string => `\${${type}.${idOnly(r, type)}.${attr}}`;
const image = (result: SynthResult, stack = IMAGE): Json => result.only(stack, "docker_image");
const hashOf = (result: SynthResult, stack = IMAGE): string => (image(result, stack).triggers as Json).context_hash as string;
const tagOf = (result: SynthResult, stack = IMAGE): string => String(image(result, stack).name).split(":").pop() ?? "";

test("the image is built for linux/amd64 from the build context copied next to the stack", () => {
  const hash = hashOf(r);
  expect(hash).toMatch(/^[0-9a-f]{64}$/);
  const img = image(r);
  expect(img).toEqual({
    name: `${ref("azurerm_container_registry", "login_server")}/diabetes:${hash.slice(0, 16)}`,
    build: { context: expect.stringMatching(new RegExp(`^\\$\\{path\\.module\\}/assets/[A-Za-z0-9_]+/${hash}$`)), platform: "linux/amd64" },
    triggers: { context_hash: hash },
    keep_locally: true,
  });
  const context = (img.build as Json).context as string;
  expect(context).not.toContain(ROOT);
  expect(context).not.toMatch(/\.\.\//);
});

test("the context hash is the generated build context's hash, and the tag its first 16 hex digits", () => {
  const deployment = loadDeployment(join(ROOT, "mlfunc.yaml"));
  const hash = buildContext(deployment).hash;
  expect(hashOf(r)).toBe(hash);
  expect(tagOf(r)).toBe(hash.slice(0, 16));
});

test("the default example builds one image: only the image stack has docker resources or a docker provider", () => {
  const withDocker = Object.keys(r.stacks).filter((name) => {
    const stack = r.stack(name);
    return Object.keys((stack.resource as Json | undefined) ?? {}).some((t) => t.startsWith("docker_")) || "docker" in ((stack.provider as Json | undefined) ?? {});
  });
  expect(withDocker).toEqual([IMAGE]);
  expect(Object.keys(r.resources(IMAGE, "docker_image"))).toHaveLength(1);
  expect(Object.keys(r.resources(IMAGE, "docker_registry_image"))).toHaveLength(1);
});

test("the push uses the scoped token, keeps old tags, and is re-run when the context changes", () => {
  expect(r.only(IMAGE, "docker_registry_image")).toEqual({
    name: ref("docker_image", "name"),
    triggers: { context_hash: hashOf(r) },
    keep_remotely: true,
    auth_config: {
      address: ref("azurerm_container_registry", "login_server"),
      username: ref("azurerm_container_registry_token", "name"),
      password: `\${azurerm_container_registry_token_password.${idOnly(r, "azurerm_container_registry_token_password")}.password1[0].value}`,
    },
  });
});

test("the image stack outputs the pushed digest, its registry and repository: what environments read from its state", () => {
  const push = `docker_registry_image.${idOnly(r, "docker_registry_image")}`;
  const outputs = r.outputs(IMAGE);
  expect(outputs.image_digest).toEqual({ value: `\${${push}.sha256_digest}` });
  expect(outputs.registry_id).toEqual({ value: ref("azurerm_container_registry", "id") });
  expect(outputs.registry_login_server).toEqual({ value: ref("azurerm_container_registry", "login_server") });
  expect(outputs.repository).toEqual({ value: "diabetes" });
  expect(outputs.image_tag).toEqual({ value: tagOf(r) });
  expect(outputs.image_reference).toEqual({ value: `${ref("azurerm_container_registry", "login_server")}/diabetes@\${${push}.sha256_digest}` });
  // Every output an environment reads is one the image stack has.
  for (const env of ["diabetes-dev", "diabetes-prod", "diabetes-canary"]) {
    const read = new Set([...JSON.stringify(r.stack(env)).matchAll(/terraform_remote_state\.[^.]+\.outputs\.([a-z_]+)/g)].map((m) => m[1]));
    expect(read.size).toBeGreaterThan(2);
    for (const name of read) expect(Object.keys(outputs)).toContain(name);
  }
});

describe("the tag follows the content", () => {
  let dir: string;
  let cleanup: () => void;
  let copies = 0;

  beforeAll(() => {
    ({ dir, cleanup } = scratch());
  });
  afterAll(() => cleanup());

  /** A fresh copy of the example folder, changed by `edit`, synthesized for dev only. */
  function synthCopy(edit: (folder: string) => Partial<Record<"path" | "scoringScript", string>> | void): SynthResult {
    const folder = join(dir, `example-${copies++}`);
    cpSync(EXAMPLE, folder, { recursive: true });
    const fields = edit(folder) ?? {};
    const c = defaultConfig();
    const model = c.model as Json;
    model.path = fields.path ?? join(folder, "sklearn_regression_model.pkl");
    model.scoringScript = fields.scoringScript ?? join(folder, "score.py");
    model.requirements = join(folder, "requirements.txt");
    devOnly(c);
    return synth(allowing(c, dir));
  }

  const flipFirstByte = (file: string) => {
    const bytes = readFileSync(file);
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    writeFileSync(file, bytes);
  };

  let baseline: SynthResult;
  beforeAll(() => {
    baseline = synthCopy(() => undefined);
  });

  test("an unchanged copy in another folder gives the same tag as the original", () => {
    expect(hashOf(baseline)).toBe(hashOf(r));
  });

  test("one changed byte of the model changes the tag and context_hash", () => {
    const changed = synthCopy((f) => flipFirstByte(join(f, "sklearn_regression_model.pkl")));
    expect(hashOf(changed)).not.toBe(hashOf(baseline));
    expect(tagOf(changed)).not.toBe(tagOf(baseline));
    expect(tagOf(changed)).toBe(hashOf(changed).slice(0, 16));
    expect((changed.only(IMAGE, "docker_registry_image").triggers as Json).context_hash).toBe(hashOf(changed));
  });

  test("one changed byte of score.py changes the tag and context_hash", () => {
    const changed = synthCopy((f) => flipFirstByte(join(f, "score.py")));
    expect(hashOf(changed)).not.toBe(hashOf(baseline));
    expect(tagOf(changed)).not.toBe(tagOf(baseline));
  });

  test("renaming the scoring script, same content, changes the tag", () => {
    const renamed = synthCopy((f) => {
      renameSync(join(f, "score.py"), join(f, "scoring.py"));
      return { scoringScript: join(f, "scoring.py") };
    });
    expect(tagOf(renamed)).not.toBe(tagOf(baseline));
  });
});
