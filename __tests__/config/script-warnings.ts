import { AnnotationMetadataEntryType, TerraformStack } from "cdktf";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { scriptWarnings } from "../../config/rules";
import { buildApp } from "../../main";
import { EXAMPLE, Json, defaultConfig, devOnly, scratch } from "../support/synth";

const work = scratch();
afterAll(() => work.cleanup());

const DECORATED = [
  "import numpy as np",
  "from inference_schema.schema_decorators import input_schema",
  "from inference_schema.parameter_types.numpy_parameter_type import NumpyParameterType",
  "from azureml.core.model import Model",
  "from azureml.contrib.services.aml_request import rawhttp",
  "",
  "def init():",
  "    import torch  # not top level: not checked",
  "",
  '@input_schema("data", NumpyParameterType(np.array([[1.0]])))',
  "def run(data):",
  "    return data",
  "",
].join("\n");

function script(name: string, text: string): string {
  const path = join(work.dir, name);
  writeFileSync(path, text);
  return path;
}

describe("scriptWarnings", () => {
  const warn = (module: string, distribution: string): string =>
    `model.scoringScript: ml.py imports ${module} at top level, but model.requirements does not list ${distribution}; every call would fail with ScriptLoadFailed. Add "${distribution}" to the requirements`;

  test("a third-party import nothing provides: pandas, which a local Python may happen to have", () => {
    const ml = script("ml.py", "import json, os\nimport pandas as pd\nfrom sklearn.linear_model import Ridge\nimport cv2, yaml\nfrom PIL import Image\nimport azure.storage.blob\n\ndef init():\n    import torch\n");
    expect(scriptWarnings(ml, ["scikit-learn"])).toEqual([
      warn("pandas", "pandas"),
      warn("cv2", "opencv-python"),
      warn("yaml", "pyyaml"),
      warn("PIL", "pillow"),
      warn("azure.storage.blob", "azure-storage-blob"),
    ]);
    expect(scriptWarnings(ml, ["pandas>=2", "scikit-learn", "opencv-python-headless", "PyYAML", "Pillow", "azure-storage-blob"])).toEqual([]);
  });

  test("what pip installs along with a requirement provides its modules: numpy and joblib come with scikit-learn", () => {
    const ml = script("ml.py", "import numpy as np\nimport joblib\nimport scipy.sparse\nimport requests\n");
    expect(scriptWarnings(ml, ["scikit-learn==1.6.1"])).toEqual([warn("requests", "requests")]);
    expect(scriptWarnings(ml, ["scikit-learn==1.6.1", "transformers"])).toEqual([]);
  });

  test("a module shipped beside the script, or in sourceDir, needs no requirement", () => {
    const ml = script("ml.py", "import helpers\nfrom features import build\n");
    script("helpers.py", "X = 1\n");
    mkdirSync(join(work.dir, "src", "features"), { recursive: true });
    writeFileSync(join(work.dir, "src", "features", "__init__.py"), "");
    expect(scriptWarnings(ml, [])).toEqual([warn("features", "features")]);
    expect(scriptWarnings(ml, [], { localDirs: [work.dir, join(work.dir, "src")] })).toEqual([]);
  });

  const path = script("score.py", DECORATED);

  test("names each top-level import whose package the requirements lack, with the fix", () => {
    expect(scriptWarnings(path, ["numpy==2.1.3"])).toEqual([
      'model.scoringScript: score.py imports inference_schema at top level, but model.requirements does not list inference-schema; every call would fail with ScriptLoadFailed. Add "inference-schema" to the requirements',
      'model.scoringScript: score.py imports azureml.core at top level, but model.requirements does not list azureml-core; every call would fail with ScriptLoadFailed. Add "azureml-core" to the requirements',
    ]);
  });

  test("any spelling pip treats as the same project counts as listed", () => {
    expect(scriptWarnings(path, ["Inference_Schema[numpy-support]==1.8", "azureml.core>=1.60 ; python_version<'3.12'", "NumPy"])).toEqual([]);
  });

  test("the runtime's own azureml modules, the standard library and the example's requirements need nothing more", () => {
    expect(scriptWarnings(join(EXAMPLE, "score.py"), ["scikit-learn==1.6.1", "numpy==2.2.6", "scipy==1.15.3", "joblib==1.6.0"])).toEqual([]);
    expect(scriptWarnings(script("raw.py", "from azureml.contrib.services.aml_request import rawhttp\nimport azureml_inference_server_http.api.aml_response\n"), [])).toEqual([]);
  });
});

test("synth shows the warning on every stack", () => {
  const config = devOnly(defaultConfig());
  const model = config.model as Json;
  model.scoringScript = path();
  model.requirements = ["numpy"];
  const file = join(work.dir, "mlfunc.yaml");
  writeFileSync(file, stringify(config));
  const app = buildApp({ config: file, outdir: join(work.dir, "out"), contextsDir: join(work.dir, "contexts") });
  const stacks = app.node.children.filter((c): c is TerraformStack => c instanceof TerraformStack && c.node.id !== "diabetes-image");
  expect(stacks.map((s) => s.node.id)).toEqual(["diabetes-dev"]);
  for (const stack of stacks) {
    const warnings = stack.node.metadata.filter((m) => m.type === AnnotationMetadataEntryType.WARN).map((m) => String(m.data));
    expect(warnings.filter((w) => w.includes("inference_schema"))).toEqual([expect.stringMatching(/^model\.scoringScript: score\.py imports inference_schema at top level/)]);
  }
});

function path(): string {
  return script("score.py", DECORATED);
}
