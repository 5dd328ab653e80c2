/**
 * Which distribution provides a module a scoring script imports, and whether the image will have it:
 * the standard library, the Functions base image, mlfunc's runtime, files next to the script, or a
 * requirement (directly, or as a dependency pip installs with it).
 */

/** Python's standard library (sys.stdlib_module_names of 3.11, which holds the modules 3.12 and 3.13 dropped too). */
const STDLIB = new Set(
  `
  __future__ _abc _aix_support _ast _asyncio _bisect _blake2 _bootsubprocess _bz2 _codecs _codecs_cn _codecs_hk _codecs_iso2022 _codecs_jp
  _codecs_kr _codecs_tw _collections _collections_abc _compat_pickle _compression _contextvars _crypt _csv _ctypes _curses _curses_panel _datetime _dbm
  _decimal _elementtree _frozen_importlib _frozen_importlib_external _functools _gdbm _hashlib _heapq _imp _io _json _locale _lsprof _lzma
  _markupbase _md5 _msi _multibytecodec _multiprocessing _opcode _operator _osx_support _overlapped _pickle _posixshmem _posixsubprocess _py_abc _pydecimal
  _pyio _queue _random _scproxy _sha1 _sha256 _sha3 _sha512 _signal _sitebuiltins _socket _sqlite3 _sre _ssl
  _stat _statistics _string _strptime _struct _symtable _thread _threading_local _tkinter _tokenize _tracemalloc _typing _uuid _warnings
  _weakref _weakrefset _winapi _zoneinfo abc aifc antigravity argparse array ast asynchat asyncio asyncore atexit
  audioop base64 bdb binascii bisect builtins bz2 cProfile calendar cgi cgitb chunk cmath cmd
  code codecs codeop collections colorsys compileall concurrent configparser contextlib contextvars copy copyreg crypt csv
  ctypes curses dataclasses datetime dbm decimal difflib dis distutils doctest email encodings ensurepip enum
  errno faulthandler fcntl filecmp fileinput fnmatch fractions ftplib functools gc genericpath getopt getpass gettext
  glob graphlib grp gzip hashlib heapq hmac html http idlelib imaplib imghdr imp importlib
  inspect io ipaddress itertools json keyword lib2to3 linecache locale logging lzma mailbox mailcap marshal
  math mimetypes mmap modulefinder msilib msvcrt multiprocessing netrc nis nntplib nt ntpath nturl2path numbers
  opcode operator optparse os ossaudiodev pathlib pdb pickle pickletools pipes pkgutil platform plistlib poplib
  posix posixpath pprint profile pstats pty pwd py_compile pyclbr pydoc pydoc_data pyexpat queue quopri
  random re readline reprlib resource rlcompleter runpy sched secrets select selectors shelve shlex shutil
  signal site smtpd smtplib sndhdr socket socketserver spwd sqlite3 sre_compile sre_constants sre_parse ssl stat
  statistics string stringprep struct subprocess sunau symtable sys sysconfig syslog tabnanny tarfile telnetlib tempfile
  termios textwrap this threading time timeit tkinter token tokenize tomllib trace traceback tracemalloc tty
  turtle turtledemo types typing unicodedata unittest urllib uu uuid venv warnings wave weakref webbrowser
  winreg winsound wsgiref xdrlib xml xmlrpc zipapp zipfile zipimport zlib zoneinfo
`
    .trim()
    .split(/\s+/),
);

/**
 * Import names whose distribution has another name, for the common ML stack. Dotted keys match a
 * module and its submodules. Each value lists the distributions that provide the module.
 */
export const IMPORT_DISTRIBUTIONS: Readonly<Record<string, readonly string[]>> = {
  sklearn: ["scikit-learn"],
  cv2: ["opencv-python", "opencv-python-headless", "opencv-contrib-python", "opencv-contrib-python-headless"],
  PIL: ["pillow"],
  yaml: ["pyyaml"],
  skimage: ["scikit-image"],
  bs4: ["beautifulsoup4"],
  dateutil: ["python-dateutil"],
  attr: ["attrs"],
  dotenv: ["python-dotenv"],
  jwt: ["pyjwt"],
  Crypto: ["pycryptodome"],
  OpenSSL: ["pyopenssl"],
  fitz: ["pymupdf"],
  docx: ["python-docx"],
  pptx: ["python-pptx"],
  magic: ["python-magic"],
  serial: ["pyserial"],
  zmq: ["pyzmq"],
  git: ["gitpython"],
  google_auth_oauthlib: ["google-auth-oauthlib"],
  "google.protobuf": ["protobuf"],
  tensorflow: ["tensorflow", "tensorflow-cpu", "tensorflow-intel"],
  onnxruntime: ["onnxruntime", "onnxruntime-gpu"],
  tf_keras: ["tf-keras"],
  inference_schema: ["inference-schema"],
  "azureml.core": ["azureml-core"],
  huggingface_hub: ["huggingface-hub"],
  sentence_transformers: ["sentence-transformers"],
  pytorch_lightning: ["pytorch-lightning"],
  lightning: ["lightning"],
  umap: ["umap-learn"],
  Levenshtein: ["levenshtein", "python-levenshtein"],
  pkg_resources: ["setuptools"],
};

/** What pip installs along with a distribution (its required dependencies), for the common ML stack. */
const BRINGS_ALONG: Readonly<Record<string, readonly string[]>> = {
  "scikit-learn": ["numpy", "scipy", "joblib", "threadpoolctl"],
  scipy: ["numpy"],
  pandas: ["numpy", "python-dateutil", "pytz", "tzdata", "six"],
  xgboost: ["numpy", "scipy"],
  lightgbm: ["numpy", "scipy"],
  catboost: ["numpy", "pandas", "scipy", "graphviz", "matplotlib", "plotly", "six"],
  statsmodels: ["numpy", "scipy", "pandas", "patsy", "packaging"],
  matplotlib: ["numpy", "pillow", "pyparsing", "python-dateutil", "packaging", "cycler", "kiwisolver", "fonttools", "contourpy"],
  torch: ["filelock", "typing-extensions", "sympy", "networkx", "jinja2", "fsspec"],
  torchvision: ["torch", "numpy", "pillow"],
  tensorflow: ["numpy", "h5py", "keras", "protobuf", "six", "packaging", "requests", "absl-py", "ml-dtypes", "wrapt", "termcolor", "grpcio"],
  "tensorflow-cpu": ["tensorflow"],
  keras: ["numpy", "h5py", "absl-py", "rich", "namex", "optree", "ml-dtypes", "packaging"],
  transformers: ["numpy", "huggingface-hub", "tokenizers", "safetensors", "pyyaml", "requests", "regex", "tqdm", "filelock", "packaging"],
  "sentence-transformers": ["transformers", "torch", "scikit-learn", "scipy", "huggingface-hub", "pillow", "tqdm"],
  "huggingface-hub": ["filelock", "fsspec", "packaging", "pyyaml", "requests", "tqdm", "typing-extensions"],
  onnxruntime: ["numpy", "protobuf", "packaging", "flatbuffers", "sympy", "coloredlogs"],
  "onnxruntime-gpu": ["onnxruntime"],
  "opencv-python": ["numpy"],
  "opencv-python-headless": ["numpy"],
  "opencv-contrib-python": ["numpy"],
  "opencv-contrib-python-headless": ["numpy"],
  "scikit-image": ["numpy", "scipy", "pillow", "networkx", "imageio", "tifffile", "packaging"],
  requests: ["urllib3", "idna", "certifi", "charset-normalizer"],
  mlflow: ["mlflow-skinny", "pandas", "numpy", "scipy", "scikit-learn", "matplotlib", "pyarrow", "flask", "jinja2", "sqlalchemy", "alembic", "docker", "markdown", "graphene", "gunicorn"],
  "mlflow-skinny": ["click", "cloudpickle", "gitpython", "packaging", "protobuf", "pyyaml", "requests", "sqlparse", "importlib-metadata", "cachetools", "opentelemetry-api", "opentelemetry-sdk", "databricks-sdk"],
  "inference-schema": ["python-dateutil", "pytz", "wrapt"],
  "azure-storage-blob": ["azure-core", "cryptography", "typing-extensions", "isodate"],
  "azure-identity": ["azure-core", "cryptography", "msal", "msal-extensions", "typing-extensions"],
  "azure-core": ["requests", "six", "typing-extensions"],
  flask: ["werkzeug", "jinja2", "itsdangerous", "click", "blinker"],
  jinja2: ["markupsafe"],
  shap: ["numpy", "scipy", "scikit-learn", "pandas", "tqdm", "packaging", "slicer", "numba", "cloudpickle"],
  numba: ["llvmlite", "numpy"],
};

/** Modules the image provides without a requirement: the Functions base image's and mlfunc's runtime's. */
const PROVIDED = ["azure.functions", "azureml.contrib.services", "azureml_inference_server_http", "mlfunc_runtime"];

/** PEP 503 normalised project name. */
export function normalizeProject(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

/**
 * The distributions that could provide `module` (dotted), most likely first, and the part of the
 * module name that decides it (sklearn for sklearn.linear_model, azure.storage.blob for its submodules).
 */
export function distributionsFor(module: string): { readonly name: string; readonly distributions: string[] } {
  const parts = module.split(".");
  for (let n = parts.length; n >= 1; n--) {
    const name = parts.slice(0, n).join(".");
    const known = IMPORT_DISTRIBUTIONS[name];
    if (known) return { name, distributions: [...known] };
  }
  const [top = "", second, third] = parts;
  // Namespace packages: azure.storage.blob is azure-storage-blob, google.cloud.storage google-cloud-storage.
  if ((top === "azure" || top === "google" || top === "azureml") && second !== undefined) {
    const deep = third !== undefined && (top === "azure" || (top === "google" && second === "cloud"));
    const name = deep ? `${top}.${second}.${third}` : `${top}.${second}`;
    return { name, distributions: [normalizeProject(name)] };
  }
  return { name: top, distributions: [normalizeProject(top)] };
}

/** Every distribution the requirements install: those listed and what they bring along, transitively. */
export function installedWith(listed: Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const todo = [...listed].map(normalizeProject);
  while (todo.length > 0) {
    const d = todo.pop() ?? "";
    if (seen.has(d)) continue;
    seen.add(d);
    todo.push(...(BRINGS_ALONG[d] ?? []).map(normalizeProject));
  }
  return seen;
}

/** The modules a script imports at top level (absolute imports only), in order, each once. */
export function topLevelImports(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(/^(?:from[ \t]+([A-Za-z_][\w.]*)[ \t]+import\b|import[ \t]+([^\n#;]+))/gm)) {
    const names = m[1] !== undefined ? [m[1]] : (m[2] ?? "").split(",").map((part) => part.trim().split(/\s+as\s+/)[0]?.trim() ?? "");
    for (const name of names) if (/^[A-Za-z_][\w.]*$/.test(name) && !found.includes(name)) found.push(name);
  }
  return found;
}

export interface Unprovided {
  /** The imported name as it decides the distribution (sklearn, azureml.core, azure.storage.blob). */
  readonly module: string;
  /** The distribution to add. */
  readonly distribution: string;
}

/**
 * The top-level imports of `source` that nothing will provide in the image: not the standard library,
 * not the base image or mlfunc's runtime, not `isLocal` (a module shipped next to the script), and no
 * distribution the requirements install provides it. One entry per distribution.
 */
export function unprovidedImports(source: string, requirementNames: Iterable<string>, isLocal: (top: string) => boolean): Unprovided[] {
  const installed = installedWith(requirementNames);
  const out: Unprovided[] = [];
  for (const module of topLevelImports(source)) {
    const top = module.split(".")[0] ?? module;
    if (STDLIB.has(top) || isLocal(top) || PROVIDED.some((p) => module === p || module.startsWith(`${p}.`) || p.startsWith(`${module}.`))) continue;
    const { name, distributions } = distributionsFor(module);
    if (distributions.some((d) => installed.has(normalizeProject(d)))) continue;
    const distribution = distributions[0] ?? top;
    if (!out.some((u) => u.distribution === distribution)) out.push({ module: name, distribution });
  }
  return out;
}
