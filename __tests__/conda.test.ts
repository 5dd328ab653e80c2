/** The conda / Azure ML environment translator (config/conda.ts): written spellings and real files. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { condaSpecToPip, droppedWarning, fitPython, loadEnvironment, parseEnvironmentYaml, translateConda } from "../config/conda";

const FIXTURES = join(__dirname, "fixtures", "azureml-examples");
const texts = (t: { requirements: readonly { text: string }[] }) => t.requirements.map((r) => r.text);
const conda = (...deps: string[]) => `name: t\ndependencies:\n${deps.map((d) => `  - ${d}`).join("\n")}\n`;

describe("conda specs become PEP 440 requirements", () => {
  test.each<[string, string]>([
    ["numpy=1.26", "numpy==1.26.*"],
    ["numpy=1.26.4=py312h8753938_0", "numpy==1.26.4"],
    ["numpy=1.26.*", "numpy==1.26.*"],
    ["numpy=1.26*", "numpy==1.26.*"],
    ["numpy==1.26.4", "numpy==1.26.4"],
    ["numpy==1.26.4=py312_0", "numpy==1.26.4"],
    ["numpy 1.26.4", "numpy==1.26.4"],
    ["numpy 1.26.4 py312_0", "numpy==1.26.4"],
    ["pkg 1.4.*", "pkg==1.4.*"],
    ["conda-forge::lightgbm=4.1", "lightgbm==4.1.*"],
    ["conda-forge/linux-64::lightgbm==4.1.0", "lightgbm==4.1.0"],
    ["scipy>=1.4.1,<=1.5.2", "scipy>=1.4.1,<=1.5.2"],
    ["urllib3<1.24", "urllib3<1.24"],
    ["pandas~=1.5.3", "pandas~=1.5.3"],
    ["pandas >=1.5,<2", "pandas>=1.5,<2"],
    ["pandas!=2.0.*", "pandas!=2.0.*"],
    ["scikit-learn", "scikit-learn"],
    ["Pillow", "Pillow"],
    ["pytorch::pytorch=1.4.0", "torch==1.4.0.*"],
    ["py-xgboost<=0.90", "xgboost<=0.90"],
    ["matplotlib-base=3.8", "matplotlib==3.8.*"],
    ["numpy-base=1.26.4=py312he1a6c75_0", "numpy==1.26.4"],
    ["python-tzdata=2024.1", "tzdata==2024.1.*"],
    ["dask-core", "dask"],
    ["pytables", "tables"],
    ["opencv=4.9", "opencv-python==4.9.*"],
    ["conda-forge::fbprophet==0.5", "prophet==0.5"],
    ["pytorch-lightning", "pytorch-lightning"],
  ])("%s → %s", (spec, pip) => {
    const t = translateConda(conda(spec));
    expect(t.problems).toEqual([]);
    expect(texts(t)).toEqual([pip]);
  });

  test.each<[string, string]>([
    ["numpy=1.21|1.22", 'line 3: "numpy=1.21|1.22": pip has no "or" between versions (|); pick one range'],
    ["numpy[version='>=1.2']", `line 3: "numpy[version='>=1.2']": bracket options (name[version=...]) cannot be translated; write name=version`],
    ["numpy=1.*.2", 'line 3: "numpy=1.*.2": "1.*.2": pip allows * only at the end of a version'],
    ["numpy>=1.2*", 'line 3: "numpy>=1.2*": ">=1.2*": pip allows * only with == or !='],
  ])("%s is a problem", (spec, problem) => {
    expect(translateConda(conda(spec)).problems).toEqual([problem]);
  });

  test("a renamed package is noted", () => {
    expect(translateConda(conda("pytorch=2.2", "dask-core")).notes).toEqual(["pytorch is called torch on PyPI", "dask-core is called dask on PyPI"]);
  });
});

describe("what is dropped, and the one warning that lists it", () => {
  test("conda env export's runtime packages are dropped and listed; numpy and numpy-base become one numpy", () => {
    const exported = [
      "_openmp_mutex=5.1=1_gnu", "bzip2=1.0.8=h5eee18b_6", "ca-certificates=2024.3.11=h06a4308_0", "ld_impl_linux-64=2.38=h1181459_1",
      "libffi=3.4.4=h6a678d5_1", "libgomp=11.2.0=h1234567_1", "libstdcxx-ng=11.2.0=h1234567_1", "libuuid=1.41.5=h5eee18b_0",
      "libcxx=16.0.6=h4653b0c_0", "libexpat=2.6.2=h59595ed_0", "liblzma=5.6.3=hb9d3cd8_1", "libmpdec=4.0.0=h4bc722e_0",
      "libzlib=1.3.1=h4ab18f5_1", "lz4-c=1.9.4=h6a678d5_1", "ncurses=6.4=h6a678d5_0", "openssl=3.0.13=h7f8727e_0",
      "python_abi=3.12=4_cp312", "readline=8.2=h5eee18b_0", "sqlite=3.45.3=h5eee18b_0", "tk=8.6.14=h39e8969_0",
      "tzdata=2024a=h04d1e81_0", "xz=5.4.6=h5eee18b_1", "zlib=1.2.13=h5eee18b_1",
    ];
    const t = translateConda(conda(...exported, "numpy=1.26.4=py312hc5e2394_0", "numpy-base=1.26.4=py312h0da6c21_0"));
    expect(t.problems).toEqual([]);
    expect(texts(t)).toEqual(["numpy==1.26.4"]);
    expect(t.dropped).toEqual(exported.map((spec) => ({ spec, why: "a conda-only package (not a Python project on PyPI)" })));
    expect(droppedWarning(t)).toBe(`dropped ${exported.length} of the environment's dependencies: ${exported.join(", ")} (a conda-only package (not a Python project on PyPI))`);
  });

  test("numpy-base alone is numpy, and python_abi is never a pip line", () => {
    const t = translateConda(conda("python_abi=3.12=4_cp312", "numpy-base=1.26.4=py312h0da6c21_0"));
    expect(texts(t)).toEqual(["numpy==1.26.4"]);
    expect(t.notes).toEqual(["numpy-base is called numpy on PyPI"]);
  });

  test("python, pip, conda-only packages and Azure ML's server packages are dropped, each with its reason", () => {
    const t = translateConda(
      conda("python=3.12", "pip=25.1.1", "mkl", "nomkl", "cudatoolkit=11.8", "libgcc-ng", "_libgcc_mutex", "numpy=2.0", "azureml-defaults", "pip:\n    - azureml-inference-server-http==1.4.1\n    - joblib"),
    );
    expect(texts(t)).toEqual(["numpy==2.0.*", "joblib"]);
    expect(t.dropped).toEqual([
      { spec: "python=3.12", why: "the Functions base image provides Python" },
      { spec: "pip=25.1.1", why: "the base image has its own" },
      { spec: "mkl", why: "a conda-only package (not a Python project on PyPI)" },
      { spec: "nomkl", why: "a conda-only package (not a Python project on PyPI)" },
      { spec: "cudatoolkit=11.8", why: "a conda-only package (not a Python project on PyPI)" },
      { spec: "libgcc-ng", why: "a conda-only package (not a Python project on PyPI)" },
      { spec: "_libgcc_mutex", why: "a conda-only package (not a Python project on PyPI)" },
      { spec: "azureml-defaults", why: "Azure ML's HTTP server: mlfunc's runtime serves its role, and it would add Flask and gunicorn to the image" },
      { spec: "azureml-inference-server-http==1.4.1", why: "Azure ML's HTTP server: mlfunc's runtime serves its role, and it would add Flask and gunicorn to the image" },
    ]);
    expect(droppedWarning(t)).toBe(
      "dropped 9 of the environment's dependencies: python=3.12 (the Functions base image provides Python); pip=25.1.1 (the base image has its own); mkl, nomkl, cudatoolkit=11.8, libgcc-ng, _libgcc_mutex (a conda-only package (not a Python project on PyPI)); azureml-defaults, azureml-inference-server-http==1.4.1 (Azure ML's HTTP server: mlfunc's runtime serves its role, and it would add Flask and gunicorn to the image)",
    );
  });

  test("nothing dropped, no warning", () => {
    expect(droppedWarning(translateConda(conda("numpy")))).toBeUndefined();
  });

  test("a package in both lists keeps the pip line, which pip installs last", () => {
    const t = translateConda(conda("fastparquet", "pip:\n    - fastparquet==2024.2.0"));
    expect(texts(t)).toEqual(["fastparquet==2024.2.0"]);
    expect(t.dropped).toEqual([{ spec: "fastparquet", why: "also in the pip: list, which pip installs last" }]);
  });

  test("the same package twice with different versions is a problem naming both lines", () => {
    expect(translateConda(conda("pip:\n    - numpy==1.0\n    - numpy==2.0")).problems).toEqual(['line 5: "numpy==2.0" and line 4: "numpy==1.0" both name numpy; keep one']);
  });

  test("the pip list passes through as written: options, URLs and extras", () => {
    const t = translateConda(conda("pip:\n    - --extra-index-url https://example.org/simple\n    - git+https://github.com/org/pkg@v1#egg=pkg\n    - inference-schema[numpy-support]"));
    expect(texts(t)).toEqual(["--extra-index-url https://example.org/simple", "git+https://github.com/org/pkg@v1#egg=pkg", "inference-schema[numpy-support]"]);
    expect(t.requirements.map((r) => r.line)).toEqual([4, 5, 6]);
  });
});

describe("malformed environment files", () => {
  test.each<[string, string]>([
    ["name: x\n", "the file has no dependencies: list; add one, with a pip: list for PyPI packages"],
    ["dependencies: numpy\n", "dependencies must be a list"],
    ["- numpy\n", "a conda environment file is a mapping with name, channels and dependencies"],
    ["dependencies:\n  - pip: numpy\n", 'line 2: only a "pip:" list may appear as a mapping under dependencies'],
    ["dependencies:\n  - 3\n", "line 2: 3 is not a conda package spec"],
    ["dependencies: [\n", "not valid YAML (line 2): Flow sequence in block collection must be sufficiently indented and end with a ]"],
  ])("%j", (text, problem) => {
    expect(translateConda(text).problems).toEqual([problem]);
  });

  test("control characters in a spec or the image are never printed raw", () => {
    expect(translateConda('dependencies:\n  - "numpy=1.2=\\e[31mred"\n').problems).toEqual(['line 2: "numpy=1.2=\\u001b[31mred" holds control characters; write the package spec plainly']);
    const dir = mkdtempSync(join(tmpdir(), "mlfunc-conda-"));
    try {
      writeFileSync(join(dir, "env.yml"), 'image: "base\\e[2J"\nconda_file:\n  dependencies: [numpy]\n');
      expect(loadEnvironment(join(dir, "env.yml")).notes).toEqual(['image "base\\u001b[2J" is replaced by the Azure Functions Python base image']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("variables: are noted as not set", () => {
    expect(translateConda("dependencies: [numpy]\nvariables:\n  A: b\n").notes).toEqual(["variables: are not set in the image; set them as app settings if the script reads them"]);
  });
});

describe("python pin", () => {
  const pin = (spec: string) => translateConda(conda(spec)).python;
  const SUPPORTED = ["3.11", "3.12", "3.13"];
  test.each<[string, string | undefined]>([
    ["python=3.12", "3.12"],
    ["python=3.11.9", "3.11"],
    ["python==3.13.1", "3.13"],
    ["python 3.12", "3.12"],
    ["python=3.10", undefined],
    ["python=3.8.5", undefined],
    ["python>=3.9,<3.12", "3.11"],
    ["python>=3.5.2,<3.8", undefined],
    ["python>=3.11", "3.13"],
    ["python<3.12.4", "3.12"],
    ["python~=3.11", "3.13"],
    ["python=3", "3.13"],
  ])("%s fits %s", (spec, fit) => {
    const p = pin(spec);
    expect(p?.spec).toBe(spec);
    expect(p && fitPython(p, SUPPORTED)).toBe(fit);
  });

  test("an unpinned python is no pin", () => {
    expect(pin("python")).toBeUndefined();
  });
});

describe("real conda files from Azure/azureml-examples", () => {
  test("model-1's environment", () => {
    const t = loadEnvironment(join(FIXTURES, "model-1", "environment", "conda.yaml"));
    expect(t.problems).toEqual([]);
    expect(texts(t)).toEqual(["numpy==2.3.1.*", "scikit-learn==1.7.0.*", "scipy==1.16.0.*", "inference-schema[numpy-support]", "joblib"]);
    expect(t.python).toEqual({ spec: "python=3.12", pip: "==3.12.*" });
    expect(t.dropped.map((d) => d.spec)).toEqual(["python=3.12", "pip=25.1.1", "azureml-inference-server-http==1.4.1"]);
  });

  test("keyvault env.yml (pip with a trailing space, Python 3.10)", () => {
    const t = loadEnvironment(join(FIXTURES, "conda", "keyvault-env.yml"));
    expect(texts(t)).toEqual(["azure-identity", "azure-keyvault"]);
    expect(t.python?.spec).toBe("python=3.10");
    expect(fitPython(t.python ?? { spec: "", pip: "" }, ["3.11", "3.12", "3.13"])).toBeUndefined();
  });

  test("an MLflow model's conda.yaml", () => {
    const t = loadEnvironment(join(FIXTURES, "conda", "sklearn-diabetes-model-conda.yaml"));
    expect(texts(t)).toEqual(["mlflow", "scikit-learn==1.7.0", "cloudpickle==3.1.1", "psutil==7.0.0", "numpy==2.3.1", "azureml-ai-monitoring"]);
  });

  test("the spark env: renamed, conda-only and duplicated packages", () => {
    const t = loadEnvironment(join(FIXTURES, "conda", "spark-nyctaxi-conda.yaml"));
    expect(t.problems).toEqual([]);
    expect(texts(t)).toEqual([
      "gcsfs", "fs-gcsfs", "numpy", "scipy", "pandas", "pandas-datareader", "tables", "scikit-learn", "scikit-image", "h5py", "toolz", "bokeh",
      "matplotlib", "Pillow", "snakeviz", "ujson", "s3fs", "adlfs", "python-snappy", "fastparquet", "azureml-mlflow", "azureml-core", "pyspark",
    ]);
    expect(t.dropped.map((d) => d.spec)).toEqual(["python=3.8", "pip=20.3.4", "graphviz", "pip", "fastparquet"]);
    expect(t.notes).toEqual(["pytables is called tables on PyPI"]);
  });

  test("the historical automl env: channel prefixes, conda-only packages, a range python pin and a -r include", () => {
    const t = loadEnvironment(join(FIXTURES, "conda", "automl_env.yml"));
    expect(t.problems).toEqual([]);
    expect(texts(t)).toEqual([
      "boto3==1.15.18", "matplotlib==2.1.0", "numpy==1.18.5", "cython", "urllib3<1.24", "scipy>=1.4.1,<=1.5.2", "scikit-learn==0.22.1", "pandas==0.25.1",
      "xgboost<=0.90", "prophet==0.5", "holidays==0.9.11", "torch==1.4.0.*", "azureml-widgets~=1.21.0", "pytorch-transformers==1.0.0", "spacy==2.1.8",
      "https://aka.ms/automl-resources/packages/en_core_web_sm-2.1.0.tar.gz",
      "-r https://automlcesdkdataresources.blob.core.windows.net/validated-requirements/1.21.0/validated_win32_requirements.txt [--no-deps]",
    ]);
    expect(t.dropped.map((d) => d.spec)).toEqual(["pip==20.2.4", "python>=3.5.2,<3.8", "nb_conda", "cudatoolkit=10.1.243"]);
    expect(t.python).toEqual({ spec: "python>=3.5.2,<3.8", pip: ">=3.5.2,<3.8" });
  });

  test("an Azure ML environment YAML reads its conda_file relative to itself, and its image is replaced", () => {
    const t = loadEnvironment(join(FIXTURES, "docker-image-plus-conda", "docker-image-plus-conda.yaml"));
    expect(t.condaFile).toBe(join(FIXTURES, "docker-image-plus-conda", "conda-yamls", "pydata.yml"));
    expect(t.image).toBe("mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04");
    expect(t.notes).toEqual(["image mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04 is replaced by the Azure Functions Python base image"]);
    expect(texts(t)).toHaveLength(16);
    expect(texts(t)[0]).toBe("numpy==1.22");
    expect(t.python?.spec).toBe("python=3.8");
  });
});

describe("Azure ML environment YAML", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "mlfunc-conda-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  test("tells the kinds apart", () => {
    expect(parseEnvironmentYaml("name: x\ndependencies: [numpy]\n")).toEqual({ kind: "conda" });
    expect(parseEnvironmentYaml("$schema: https://azuremlschemas.azureedge.net/latest/environment.schema.json\nimage: img\nconda_file: c.yml\n")).toEqual({ kind: "azureml", condaFile: "c.yml", image: "img", problems: [] });
  });

  test("an MLflow python_env.yaml is told apart, with the fix", () => {
    expect(loadEnvironment(write("python_env.yaml", "python: 3.12.3\nbuild_dependencies:\n  - pip==23.1.2\ndependencies:\n  - -r requirements.txt\n")).problems).toEqual([
      "this is an MLflow python_env.yaml, not a conda file: name the model's requirements.txt in model.requirements, and its python: version as model.pythonVersion",
    ]);
  });

  test("an inline conda_file is translated", () => {
    const t = loadEnvironment(write("env.yml", "name: e\nimage: base:1\nconda_file:\n  dependencies:\n    - python=3.11\n    - pip:\n      - joblib\n"));
    expect(texts(t)).toEqual(["joblib"]);
    expect(t.python?.spec).toBe("python=3.11");
    expect(t.condaFile).toBeUndefined();
  });

  test.each<[string, string]>([
    ["name: e\nimage: base:1\n", "the environment has no conda_file: it names only an image, and the Functions base image replaces it; list the packages in a conda file or model.requirements"],
    ["$schema: https://azuremlschemas.azureedge.net/latest/environment.schema.json\nbuild:\n  path: docker\n", "a Docker build context environment (build:) cannot be translated; list its packages in a conda file or model.requirements"],
    ["conda_file: missing.yml\n", "conda_file missing.yml: no such file (paths are relative to the file that names them); fix the path"],
  ])("%j is a problem", (text, problem) => {
    expect(loadEnvironment(write("env.yml", text)).problems).toEqual([problem]);
  });

  test("a missing or oversized file is a problem, not a crash", () => {
    expect(loadEnvironment(join(dir, "nope.yml")).problems).toEqual(["no such file (paths are relative to the file that names them); fix the path"]);
    expect(loadEnvironment(write("big.yml", "#".repeat(300 * 1024))).problems).toEqual([
      "the file is 307200 bytes; an environment file is a few dozen lines (at most 256 KiB): is this the right file?",
    ]);
  });

  test("condaSpecToPip is usable on its own", () => {
    expect(condaSpecToPip("conda-forge::py-xgboost=2.0")).toEqual({ name: "xgboost", condaName: "py-xgboost", version: "==2.0.*" });
  });
});
