/**
 * Azure ML environments as pip requirements for the Functions base image.
 *
 * Azure ML builds a conda environment on its own base image; a Functions image has pip on a fixed
 * Python. So a conda file (`name`/`channels`/`dependencies`, with an optional `pip:` list) or an
 * Azure ML environment YAML (`conda_file:` plus `image:`) becomes one list of pip requirement lines.
 *
 * API (pure, no file system except `loadEnvironment`):
 * - `translateConda(text)`: a conda file's text → `CondaTranslation` (requirements, dropped, notes,
 *   python pin, problems). Never throws.
 * - `parseEnvironmentYaml(text)`: tells a conda file from an Azure ML environment YAML and returns what
 *   the latter points at (`conda_file` path or inline spec, `image`).
 * - `loadEnvironment(path)`: reads either kind of file (an environment YAML's `conda_file` relative to
 *   it) and returns an `EnvironmentTranslation`. Never throws for a bad file: problems come back.
 * - `droppedWarning(t)`: the one warning that lists what was dropped.
 * - `fitPython(pin, supported)`: the newest supported Python minor that the pin allows.
 * - `requirementName(line)`: PEP 503 name of a requirement line, for duplicate checks.
 *
 * Sources: conda MatchSpec (docs.conda.io "Package match specifications": `numpy=1.11` is 1.11.*,
 * `numpy==1.11` exact, `numpy 1.11.1` exact, `numpy=1.11.1=py36_0` a version and a build); Azure ML
 * environment YAML (learn.microsoft.com reference-yaml-environment: `image`, `conda_file`, `build`).
 */
import { readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { LineCounter, isMap, isNode, isScalar, isSeq, parseDocument } from "yaml";
import { normalizeProject } from "./imports";

/** One pip requirement line made from the environment, with the conda text it came from. */
export interface TranslatedRequirement {
  /** The pip line, as it goes into the image's requirements.txt. */
  readonly text: string;
  /** The conda spec or pip entry it was made from. */
  readonly spec: string;
  /** 1-based line in the conda file. */
  readonly line?: number;
}

/** A dependency left out of the image, and why. */
export interface DroppedDependency {
  readonly spec: string;
  readonly why: string;
}

export interface PythonPin {
  /** The conda spec as written, e.g. `python=3.12` or `python>=3.9,<3.12`. */
  readonly spec: string;
  /** The same as a PEP 440 specifier: `==3.12.*`, `>=3.9,<3.12`. */
  readonly pip: string;
}

export interface CondaTranslation {
  /** pip lines in the file's order: conda dependencies, then the `pip:` list. */
  readonly requirements: readonly TranslatedRequirement[];
  readonly dropped: readonly DroppedDependency[];
  /** What changed on the way that is not a drop (a renamed package, an ignored key), one sentence each. */
  readonly notes: readonly string[];
  readonly python?: PythonPin;
  /** What makes the file unusable as it is, one sentence each with the fix. */
  readonly problems: readonly string[];
}

export interface EnvironmentTranslation extends CondaTranslation {
  /** The file named in the deployment file (absolute). */
  readonly file: string;
  /** The conda file that was translated (absolute); equal to `file` unless an environment YAML points at it, and absent for an inline conda_file. */
  readonly condaFile?: string;
  /** The Azure ML environment's `image:`, which the Functions base image replaces. */
  readonly image?: string;
}

/** Conda environment files are a few dozen lines; this keeps a mistaken path (a model, a log) from being parsed. */
export const MAX_CONDA_BYTES = 256 * 1024;

/**
 * Conda package names that differ on PyPI. Sources: conda/grayskull `strategy/config.yaml` (the table
 * conda-pypi and pixi's parselmouth start from) and each package's conda-forge feedstock; spot-checked
 * against pypi.org project names.
 */
export const CONDA_TO_PYPI: Readonly<Record<string, string>> = {
  pytorch: "torch",
  "pytorch-cpu": "torch",
  "pytorch-gpu": "torch",
  "py-xgboost": "xgboost",
  "py-xgboost-cpu": "xgboost",
  "py-xgboost-gpu": "xgboost",
  "py-lightgbm": "lightgbm",
  "matplotlib-base": "matplotlib",
  // defaults' numpy is a metapackage over numpy-base, which holds the Python package; exports list both.
  "numpy-base": "numpy",
  // conda's tzdata is the IANA database (versions like 2024a); the PyPI tzdata project is python-tzdata there.
  "python-tzdata": "tzdata",
  "dask-core": "dask",
  pytables: "tables",
  opencv: "opencv-python",
  "py-opencv": "opencv-python",
  "tensorflow-gpu": "tensorflow",
  "tensorflow-base": "tensorflow",
  fbprophet: "prophet",
  "python-graphviz": "graphviz",
  "msgpack-python": "msgpack",
  ruamel_yaml: "ruamel.yaml",
  "ruamel-yaml": "ruamel.yaml",
  pyqt: "PyQt5",
  "python-kubernetes": "kubernetes",
};

/**
 * Conda packages that are not Python projects (native libraries, toolchains, conda itself): pip has nothing to install.
 * Names that PyPI also has mean something else there: conda's `tzdata` is the IANA database (PyPI's is
 * `python-tzdata` on conda-forge), `openssl`/`zlib` are the C libraries (Python's bindings ship with it).
 * `python_abi` is conda-forge's metapackage pinning the interpreter ABI (`3.12=4_cp312`); `libcxx`,
 * `libcxxabi`, `libexpat`, `liblzma`, `libmpdec` and `lz4-c` are the C/C++ runtimes conda-forge splits out.
 */
const CONDA_ONLY = new Set([
  "python_abi", "libcxx", "libcxxabi", "libexpat", "liblzma", "libmpdec", "lz4-c",
  "mkl", "mkl-include", "mkl-devel", "nomkl", "intel-openmp", "llvm-openmp", "openmp", "libgomp",
  "blas", "libblas", "libcblas", "liblapack", "liblapacke", "openblas", "libopenblas",
  "cudatoolkit", "cudnn", "nccl", "cuda-version", "cuda-nvcc", "cuda-cudart", "cupti",
  "libstdcxx-ng", "libgfortran", "libgfortran-ng", "libgfortran5", "ld_impl_linux-64",
  "openssl", "ca-certificates", "libffi", "zlib", "libzlib", "xz", "bzip2", "sqlite", "libsqlite",
  "readline", "ncurses", "tk", "tzdata", "libuuid", "libnsl", "libxcrypt", "icu", "expat",
  "gcc", "gxx", "gfortran", "make", "binutils", "vs2015_runtime", "vc", "ucrt",
  "conda", "mamba", "nb_conda", "nb_conda_kernels", "graphviz", "libgraphviz",
]);
const CONDA_ONLY_PATTERNS = [/^libgcc/, /^_/, /^libstdcxx/, /^libgfortran/];

/** Python build tools the base image already has: a conda pin of them would only fight its pip. */
const BUILD_TOOLS = new Set(["python", "pip", "setuptools", "wheel"]);

/** Azure ML's HTTP server packages: mlfunc's runtime serves their role inside the Functions host. */
const AZUREML_SERVERS = new Set(["azureml-defaults", "azureml-inference-server-http"]);

/** PEP 503 normalised project name of a requirement line ("" for options and URLs). */
export function requirementName(line: string): string {
  const l = line.trim();
  if (l.startsWith("-") || /^[a-z][a-z0-9+.-]*:\/\//i.test(l)) return "";
  return normalizeProject(l.split(/[<>=!~;[\s@(]/)[0] ?? "");
}

/** A conda version spec (the part after the name) as a PEP 440 specifier, or why it cannot be one. */
function pipVersion(version: string, fuzzy: boolean): { spec: string } | { problem: string } {
  const v = version.trim();
  if (v === "" || v === "*") return { spec: "" };
  if (v.includes("|")) return { problem: "pip has no \"or\" between versions (|); pick one range" };
  const clauses = v.split(",").map((c) => c.trim());
  const out: string[] = [];
  for (const c of clauses) {
    const m = /^(==|!=|>=|<=|~=|>|<|=)?\s*([0-9A-Za-z.*+!_-]+)$/.exec(c);
    if (!m) return { problem: `"${c}" is not a version pip can read` };
    const op = m[1];
    let ver = m[2] ?? "";
    // conda's 1.2* means 1.2.*: a prefix match.
    const star = ver.endsWith("*");
    if (star) ver = ver.replace(/\.?\*$/, "");
    if (ver.includes("*")) return { problem: `"${c}": pip allows * only at the end of a version` };
    if (op === undefined || op === "=" || op === "==") {
      // `=1.2` (a single =, or a bare version after `name=`) is conda's fuzzy match; `==` and a space-separated bare version are exact.
      const prefix = star || (op === "=" ? true : op === undefined ? fuzzy : false);
      out.push(prefix ? `==${ver}.*` : `==${ver}`);
    } else if (star) {
      if (op !== "!=") return { problem: `"${c}": pip allows * only with == or !=` };
      out.push(`!=${ver}.*`);
    } else out.push(`${op}${ver}`);
  }
  return { spec: out.join(",") };
}

/** One conda dependency (`channel::name=ver=build`, `name 1.2 build`, `name>=1,<2`) as a pip name and specifier. */
export function condaSpecToPip(spec: string): { name: string; condaName: string; version: string } | { problem: string } {
  let s = spec.trim();
  if (/\[.*\]/.test(s)) return { problem: "bracket options (name[version=...]) cannot be translated; write name=version" };
  // channel::name or channel/subdir::name: the channel means nothing to pip.
  const channel = s.lastIndexOf("::");
  if (channel >= 0) s = s.slice(channel + 2);
  const nameMatch = /^([A-Za-z0-9_][A-Za-z0-9_.-]*)\s*(.*)$/.exec(s);
  if (!nameMatch) return { problem: "not a conda package spec" };
  const condaName = nameMatch[1] ?? "";
  const rest = (nameMatch[2] ?? "").trim();
  let version: { spec: string } | { problem: string };
  if (rest === "") version = { spec: "" };
  else if (/^=[^=]/.test(rest)) {
    // name=version[=build]: the build string is conda's alone. With a build, the version is exact.
    const [ver = "", build] = rest.slice(1).split("=");
    version = pipVersion(ver, build === undefined);
  } else if (/^(==|!=|>=|<=|~=|>|<)/.test(rest)) {
    // name>=1,<2 [build], name==1.2=build
    version = pipVersion((rest.split(/\s+/)[0] ?? "").replace(/^(==[^=]+)=.*$/, "$1"), false);
  } else {
    // name 1.2 [build]: a bare version here is exact, 1.2* a prefix.
    version = pipVersion(rest.split(/\s+/)[0] ?? "", false);
  }
  if ("problem" in version) return version;
  return { name: CONDA_TO_PYPI[condaName.toLowerCase()] ?? condaName, condaName, version: version.spec };
}

type Line = (node: unknown) => number | undefined;

/** Control characters: file text that reaches a terminal in messages must not carry them. */
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;

/** A value from the file as messages show it: as written when plain, JSON-quoted otherwise. */
const plain = (value: string) => (/^[\w.:/@+-]+$/.test(value) ? value : JSON.stringify(value));

/** A conda file's text as pip requirements. */
export function translateConda(text: string): CondaTranslation {
  const requirements: TranslatedRequirement[] = [];
  const dropped: DroppedDependency[] = [];
  const notes: string[] = [];
  const problems: string[] = [];
  let python: PythonPin | undefined;
  const parsed = parseYaml(text);
  if ("problem" in parsed) return { requirements, dropped, notes, problems: [parsed.problem] };
  const { root, lineOf } = parsed;
  if (!isMap(root)) return { requirements, dropped, notes, problems: ["a conda environment file is a mapping with name, channels and dependencies"] };
  const deps = root.get("dependencies", true);
  if (deps === undefined || deps === null) return { requirements, dropped, notes, problems: ["the file has no dependencies: list; add one, with a pip: list for PyPI packages"] };
  if (!isSeq(deps)) return { requirements, dropped, notes, problems: ["dependencies must be a list"] };
  if (root.has("variables")) notes.push("variables: are not set in the image; set them as app settings if the script reads them");

  const condaReqs: TranslatedRequirement[] = [];
  const pipReqs: TranslatedRequirement[] = [];
  for (const item of deps.items) {
    if (isMap(item)) {
      const pip = item.get("pip", true);
      const keys = item.items.map((p) => String(isScalar(p.key) ? p.key.value : p.key));
      if (keys.length !== 1 || keys[0] !== "pip" || !isSeq(pip)) {
        problems.push(`line ${lineOf(item) ?? "?"}: only a "pip:" list may appear as a mapping under dependencies`);
        continue;
      }
      for (const entry of pip.items) {
        const value = isScalar(entry) ? entry.value : undefined;
        if (typeof value !== "string" && typeof value !== "number") {
          problems.push(`line ${lineOf(entry) ?? "?"}: pip entries are requirement lines (strings)`);
          continue;
        }
        pipReqs.push({ text: String(value).trim(), spec: String(value).trim(), line: lineOf(entry) });
      }
      continue;
    }
    const value = isScalar(item) ? item.value : undefined;
    if (typeof value !== "string") {
      problems.push(`line ${lineOf(item) ?? "?"}: ${JSON.stringify(isScalar(item) ? item.value : "(a list)")} is not a conda package spec`);
      continue;
    }
    const spec = value.trim();
    if (CONTROL.test(spec)) {
      problems.push(`line ${lineOf(item) ?? "?"}: ${JSON.stringify(spec)} holds control characters; write the package spec plainly`);
      continue;
    }
    const r = condaSpecToPip(spec);
    if ("problem" in r) {
      problems.push(`line ${lineOf(item) ?? "?"}: "${spec}": ${r.problem}`);
      continue;
    }
    const lower = r.condaName.toLowerCase();
    if (lower === "python") {
      if (r.version !== "") python = { spec, pip: r.version };
      dropped.push({ spec, why: "the Functions base image provides Python" });
    } else if (BUILD_TOOLS.has(lower)) {
      dropped.push({ spec, why: "the base image has its own" });
    } else if (CONDA_ONLY.has(lower) || CONDA_ONLY_PATTERNS.some((p) => p.test(lower))) {
      dropped.push({ spec, why: "a conda-only package (not a Python project on PyPI)" });
    } else {
      if (r.name !== r.condaName) notes.push(`${r.condaName} is called ${r.name} on PyPI`);
      condaReqs.push({ text: `${r.name}${r.version}`, spec, line: lineOf(item) });
    }
  }

  // A package in both lists ends up as pip installs it: pip runs after conda.
  const pipNames = new Set(pipReqs.map((r) => requirementName(r.text)).filter((n) => n !== ""));
  const seen = new Map<string, TranslatedRequirement>();
  for (const r of [...condaReqs, ...pipReqs]) {
    const name = requirementName(r.text);
    if (AZUREML_SERVERS.has(name)) {
      dropped.push({ spec: r.spec, why: "Azure ML's HTTP server: mlfunc's runtime serves its role, and it would add Flask and gunicorn to the image" });
      continue;
    }
    if (condaReqs.includes(r) && pipNames.has(name)) {
      dropped.push({ spec: r.spec, why: "also in the pip: list, which pip installs last" });
      continue;
    }
    const first = name === "" ? undefined : seen.get(name);
    if (first !== undefined) {
      if (first.text !== r.text) problems.push(`line ${r.line ?? "?"}: "${r.spec}" and line ${first.line ?? "?"}: "${first.spec}" both name ${name}; keep one`);
      continue;
    }
    if (name !== "") seen.set(name, r);
    requirements.push(r);
  }
  return { requirements, dropped, notes: [...new Set(notes)], python, problems };
}

/** What an environment file is: a conda file, or an Azure ML environment pointing at one. */
export type EnvironmentYaml =
  | { readonly kind: "conda" }
  | { readonly kind: "azureml"; readonly condaFile?: string; readonly inlineConda?: string; readonly image?: string; readonly problems: readonly string[] };

/** Tells an Azure ML environment YAML (`$schema …environment.schema.json`, `conda_file`, `image`) from a conda file. */
export function parseEnvironmentYaml(text: string): EnvironmentYaml | { readonly kind: "invalid"; readonly problem: string } {
  const parsed = parseYaml(text);
  if ("problem" in parsed) return { kind: "invalid", problem: parsed.problem };
  const root = parsed.root;
  if (!isMap(root)) return { kind: "invalid", problem: "an environment file is a mapping (a conda file's name/channels/dependencies, or an Azure ML environment's conda_file/image)" };
  if (root.has("build_dependencies") || root.has("python")) {
    return { kind: "invalid", problem: "this is an MLflow python_env.yaml, not a conda file: name the model's requirements.txt in model.requirements, and its python: version as model.pythonVersion" };
  }
  const schema = root.get("$schema");
  const isAzureml = (typeof schema === "string" && /environment\.schema\.json/i.test(schema)) || root.has("conda_file") || (root.has("image") && !root.has("dependencies"));
  if (!isAzureml) return { kind: "conda" };
  const problems: string[] = [];
  const image = root.get("image");
  const conda = root.get("conda_file", true);
  let condaFile: string | undefined;
  let inlineConda: string | undefined;
  if (isScalar(conda) && typeof conda.value === "string") condaFile = conda.value;
  else if (isMap(conda)) inlineConda = conda.toString();
  else if (root.has("build")) problems.push("a Docker build context environment (build:) cannot be translated; list its packages in a conda file or model.requirements");
  else problems.push("the environment has no conda_file: it names only an image, and the Functions base image replaces it; list the packages in a conda file or model.requirements");
  return { kind: "azureml", condaFile, inlineConda, image: typeof image === "string" ? image : undefined, problems };
}

/** Reads a conda file or an Azure ML environment YAML and translates it. */
export function loadEnvironment(path: string): EnvironmentTranslation {
  const file = resolve(path);
  const empty = (problem: string): EnvironmentTranslation => ({ file, requirements: [], dropped: [], notes: [], problems: [problem] });
  const text = readSmall(file);
  if (typeof text !== "string") return empty(text.problem);
  const kind = parseEnvironmentYaml(text);
  if (kind.kind === "invalid") return empty(kind.problem);
  if (kind.kind === "conda") return { file, condaFile: file, ...translateConda(text) };
  const imageNote = kind.image === undefined ? [] : [`image ${plain(kind.image)} is replaced by the Azure Functions Python base image`];
  if (kind.problems.length > 0) return { file, image: kind.image, requirements: [], dropped: [], notes: imageNote, problems: [...kind.problems] };
  if (kind.inlineConda !== undefined) {
    const t = translateConda(kind.inlineConda);
    return { ...t, file, image: kind.image, notes: [...imageNote, ...t.notes], problems: t.problems.map((p) => `conda_file: ${p}`) };
  }
  const condaFile = resolve(dirname(file), kind.condaFile ?? "");
  const condaText = readSmall(condaFile);
  if (typeof condaText !== "string") return { file, condaFile, image: kind.image, requirements: [], dropped: [], notes: imageNote, problems: [`conda_file ${plain(kind.condaFile ?? "")}: ${condaText.problem}`] };
  const t = translateConda(condaText);
  return { ...t, file, condaFile, image: kind.image, notes: [...imageNote, ...t.notes], problems: t.problems.map((p) => `conda_file ${plain(kind.condaFile ?? "")}: ${p}`) };
}

/** The one warning that lists every dropped dependency, or undefined when nothing was dropped. */
export function droppedWarning(t: Pick<CondaTranslation, "dropped">): string | undefined {
  if (t.dropped.length === 0) return undefined;
  const byWhy = new Map<string, string[]>();
  for (const d of t.dropped) byWhy.set(d.why, [...(byWhy.get(d.why) ?? []), d.spec]);
  return `dropped ${t.dropped.length} of the environment's dependencies: ${[...byWhy].map(([why, specs]) => `${specs.join(", ")} (${why})`).join("; ")}`;
}

/**
 * The newest of `supported` (ascending "3.x" minors) that the pin allows, or undefined when none
 * does. `3.12` and `3.12.3` allow 3.12; a range (`>=3.9,<3.12`) allows the minors it reaches.
 */
export function fitPython(pin: PythonPin, supported: readonly string[]): string | undefined {
  // A minor is allowed when some release of it (3.x.0, 3.x.1, ...) meets every clause.
  const allows = (minor: string) => {
    const have = minor.split(".").map(Number);
    return pin.pip.split(",").filter(Boolean).every((clause) => {
      const m = /^(==|!=|>=|<=|~=|>|<)(.*)$/.exec(clause);
      if (!m) return false;
      const op = m[1];
      const raw = m[2] ?? "";
      const prefix = raw.endsWith(".*");
      const want = raw.replace(/\.\*$/, "").split(".").map(Number);
      const head = compare(have, want.slice(0, 2));
      switch (op) {
        case "==":
          return want.length === 1 && prefix ? have[0] === want[0] : head === 0;
        case "!=":
          return !(prefix && want.length <= 2 && head === 0);
        case ">=":
        case ">":
          return head >= 0;
        case "<=":
          return head <= 0;
        case "<":
          return head < 0 || (head === 0 && want.slice(2).some((n) => n > 0));
        case "~=":
          return head >= 0 && (want.length > 2 ? head === 0 : have[0] === want[0]);
        default:
          return false;
      }
    });
  };
  return [...supported].reverse().find(allows);
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function parseYaml(text: string): { root: unknown; lineOf: Line } | { problem: string } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    return { problem: `not valid YAML (line ${e ? lines.linePos(e.pos[0]).line : "?"}): ${e?.message.split("\n")[0] ?? ""}` };
  }
  const lineOf: Line = (node) => {
    const range = isNode(node) ? node.range : undefined;
    return range ? lines.linePos(range[0]).line : undefined;
  };
  return { root: doc.contents, lineOf };
}

function readSmall(file: string): string | { problem: string } {
  const stat = statSync(file, { throwIfNoEntry: false });
  if (stat === undefined) return { problem: "no such file (paths are relative to the file that names them); fix the path" };
  if (!stat.isFile()) return { problem: "not a file; point it at the conda .yml or Azure ML environment .yml" };
  if (stat.size > MAX_CONDA_BYTES) return { problem: `the file is ${stat.size} bytes; an environment file is a few dozen lines (at most 256 KiB): is this the right file?` };
  return readFileSync(file, "utf8");
}
