/** The build-context files behind a new image tag, from two synthesized folders. */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadSynthTree } from "../../review/diff";
import { compareContexts, describeFileChange, imageChanges } from "../../review/images";
import { renderMarkdown } from "../../review/report";
import { scratch } from "../support/synth";

function synthFolder(root: string, hash: string, files: Record<string, string | Buffer>, stacks = ["app-dev", "app-prod"]): void {
  const manifest: Record<string, object> = {};
  for (const stack of stacks) {
    const dir = join(root, "stacks", stack);
    const context = `assets/image_context_ABC/${hash}`;
    mkdirSync(join(dir, context), { recursive: true });
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(dir, context, path, ".."), { recursive: true });
      writeFileSync(join(dir, context, path), content);
    }
    const doc = { resource: { docker_image: { image: { build: { context: `\${path.module}/${context}` }, name: `x:${hash.slice(0, 16)}` } } } };
    writeFileSync(join(dir, "cdk.tf.json"), JSON.stringify(doc));
    manifest[stack] = { synthesizedStackPath: `stacks/${stack}/cdk.tf.json`, workingDirectory: `stacks/${stack}` };
  }
  writeFileSync(join(root, "manifest.json"), JSON.stringify({ version: "0.21.0", stacks: manifest }));
}

describe("image changes", () => {
  let work: { dir: string; cleanup: () => void };
  beforeEach(() => {
    work = scratch();
  });
  afterEach(() => work.cleanup());

  test("files added, removed and changed, with sizes; one entry for the stacks sharing the image", async () => {
    const base = join(work.dir, "base");
    const head = join(work.dir, "head");
    synthFolder(base, "a".repeat(64), { Dockerfile: "FROM x\n", "model/iris.joblib": Buffer.alloc(1_200_000, 1), "scoring/old.py": "print(1)\n", "scoring/same.py": "x\n" });
    synthFolder(head, "b".repeat(64), { Dockerfile: "FROM y\n", "model/iris.joblib": Buffer.alloc(1_300_000, 2), "scoring/new.py": "print(22)\n", "scoring/same.py": "x\n" });
    const images = await imageChanges(base, head, await loadSynthTree(base), await loadSynthTree(head));
    expect(images).toEqual([
      {
        stacks: ["app-dev", "app-prod"],
        beforeHash: "a".repeat(64),
        afterHash: "b".repeat(64),
        files: [
          { path: "Dockerfile", kind: "changed", beforeBytes: 7, afterBytes: 7 },
          { path: "model/iris.joblib", kind: "changed", beforeBytes: 1_200_000, afterBytes: 1_300_000 },
          { path: "scoring/new.py", kind: "added", afterBytes: 10 },
          { path: "scoring/old.py", kind: "removed", beforeBytes: 9 },
        ],
      },
    ]);
    expect(images[0].files?.map((f) => `${f.path} ${describeFileChange(f)}`)).toEqual([
      "Dockerfile changed (7 B → 7 B)",
      "model/iris.joblib changed (1.2 MB → 1.3 MB)",
      "scoring/new.py added (10 B)",
      "scoring/old.py removed (9 B)",
    ]);
  });

  test("a changed registered model version is named in the image's section", async () => {
    const base = join(work.dir, "base");
    const head = join(work.dir, "head");
    const label = (v: number) => `FROM x\nLABEL mlfunc.model.reference="azureml://registries/shared-ml/models/diabetes/versions/${v}"\n`;
    synthFolder(base, "a".repeat(64), { Dockerfile: label(2), "azureml-models/diabetes/2/model.pkl": "old" });
    synthFolder(head, "b".repeat(64), { Dockerfile: label(3), "azureml-models/diabetes/3/model.pkl": "new!" });
    const images = await imageChanges(base, head, await loadSynthTree(base), await loadSynthTree(head));
    expect(images[0]?.modelReference).toEqual({ before: "azureml://registries/shared-ml/models/diabetes/versions/2", after: "azureml://registries/shared-ml/models/diabetes/versions/3" });
    const md = renderMarkdown({ plans: [], base: "origin/main", findings: [], failOn: "high", images });
    expect(md).toContain("Registered model: `azureml://registries/shared-ml/models/diabetes/versions/2` → `azureml://registries/shared-ml/models/diabetes/versions/3`\n");

    synthFolder(head, "c".repeat(64), { Dockerfile: "FROM x\n", "model/model.pkl": "local" });
    const toLocal = await imageChanges(base, head, await loadSynthTree(base), await loadSynthTree(head));
    expect(toLocal[0]?.modelReference).toEqual({ before: "azureml://registries/shared-ml/models/diabetes/versions/2" });
  });

  test("the same context on both sides: no entry; a base without its assets: files unknown", async () => {
    const base = join(work.dir, "base");
    const head = join(work.dir, "head");
    synthFolder(base, "a".repeat(64), { Dockerfile: "FROM x\n" });
    synthFolder(head, "a".repeat(64), { Dockerfile: "FROM x\n" });
    expect(await imageChanges(base, head, await loadSynthTree(base), await loadSynthTree(head))).toEqual([]);

    synthFolder(head, "c".repeat(64), { Dockerfile: "FROM z\n" });
    for (const stack of ["app-dev", "app-prod"]) rmSync(join(base, "stacks", stack, "assets"), { recursive: true });
    const images = await imageChanges(base, head, await loadSynthTree(base), await loadSynthTree(head));
    expect(images).toEqual([{ stacks: ["app-dev", "app-prod"], beforeHash: "a".repeat(64), afterHash: "c".repeat(64) }]);
    expect(await compareContexts(join(base, "missing"), head)).toBeUndefined();
  });
});

describe("MLflow models in the image", () => {
  let work: { dir: string; cleanup: () => void };
  beforeEach(() => {
    work = scratch();
  });
  afterEach(() => work.cleanup());

  const mlmodel = (mlflow: string, python: string, uuid: string, inputs?: string) =>
    [
      "flavors:",
      "  python_function:",
      `    python_version: ${python}`,
      "  sklearn:",
      "    pickled_model: model.pkl",
      `mlflow_version: ${mlflow}`,
      `model_uuid: ${uuid}`,
      ...(inputs === undefined ? [] : ["signature:", `  inputs: '${inputs}'`]),
      "",
    ].join("\n");

  test("names the changed model: versions, signature, a new save and each pin, and the report shows them", async () => {
    const base = join(work.dir, "base");
    const head = join(work.dir, "head");
    synthFolder(base, "a".repeat(64), {
      Dockerfile: "FROM x\n",
      "model/diabetes/MLmodel": mlmodel("2.12.1", "3.11.2", "u1"),
      "model/diabetes/requirements.txt": "mlflow==2.12.1\nscikit-learn==1.2.1\npsutil==5.9.4\n",
      "model/diabetes/model.pkl": "old",
      "model/untouched/MLmodel": mlmodel("2.12.2", "3.12.0", "u9"),
    });
    synthFolder(head, "b".repeat(64), {
      Dockerfile: "FROM x\n",
      "model/diabetes/MLmodel": mlmodel("2.12.2", "3.12.3", "u2", '[{"type": "double", "name": "age"}]'),
      "model/diabetes/requirements.txt": "mlflow==2.12.2\nscikit-learn==1.2.1\nlz4==4.0.2\n",
      "model/diabetes/model.pkl": "new",
      "model/untouched/MLmodel": mlmodel("2.12.2", "3.12.0", "u9"),
    });
    const images = await imageChanges(base, head, await loadSynthTree(base), await loadSynthTree(head));
    expect(images[0]?.mlflowModels).toEqual([
      {
        path: "model/diabetes",
        kind: "changed",
        details: ["MLflow 2.12.1 → 2.12.2", "Python 3.11.2 → 3.12.3", "signature inputs added", "saved again (new model_uuid)", "pin added: lz4==4.0.2", "pin mlflow==2.12.1 → mlflow==2.12.2", "pin removed: psutil==5.9.4"],
      },
    ]);
    const markdown = renderMarkdown({ plans: [], findings: [], failOn: "high", images });
    expect(markdown).toContain(
      ["- MLflow model `model/diabetes` changed", "  - `MLflow 2.12.1 → 2.12.2`", "  - `Python 3.11.2 → 3.12.3`", "  - `signature inputs added`", "  - `saved again (new model_uuid)`", "  - `pin added: lz4==4.0.2`", "  - `pin mlflow==2.12.1 → mlflow==2.12.2`", "  - `pin removed: psutil==5.9.4`", "- `model/diabetes/MLmodel` changed"].join("\n"),
    );
  });

  test("a model added to the image lists its flavors and pins; a model file without MLmodel is just files", async () => {
    const base = join(work.dir, "base");
    const head = join(work.dir, "head");
    synthFolder(base, "a".repeat(64), { Dockerfile: "FROM x\n", "model/m.pkl": "a" });
    synthFolder(head, "b".repeat(64), { Dockerfile: "FROM x\n", "model/m.pkl": "b", "model/new/MLmodel": mlmodel("2.12.2", "3.12.3", "u3"), "model/new/requirements.txt": "mlflow==2.12.2\n" });
    const images = await imageChanges(base, head, await loadSynthTree(base), await loadSynthTree(head));
    expect(images[0]?.mlflowModels).toEqual([{ path: "model/new", kind: "added", details: ["flavors python_function, sklearn", "pin mlflow==2.12.2"] }]);
  });
});
