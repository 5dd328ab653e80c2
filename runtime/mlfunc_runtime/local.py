"""Invoke a scoring script locally through the same core path the container uses.

    python3 -m mlfunc_runtime.local --function NAME --trigger http|blob|serviceBus \\
        (--script score.py | --mlflow-model FOLDER) --model-dir DIR --input FILE [--data-type text|binary] \\
        [--method GET|POST] [--input-path input/{blobname}.json] \\
        [--output-path output/{blobname}_out.json] [--output-queue NAME] [--out ./out]
        [--requirements FILE]

--mlflow-model serves an MLflow model folder (one holding MLmodel) without a
scoring script, through mlflow.pyfunc, as Azure ML's no-code deployment does.

--method (HTTP only, default POST): GET tries the health route (or run() of a
@rawhttp script) and is the only case where --input may be omitted.
--swagger (HTTP only, no --input): prints the OpenAPI document the function
serves at GET <function>/swagger.json (--swagger-version 2|3|3.1, default 2).

stdout carries only the result (the script's own prints go to stderr):
  http        "HTTP <status>" then the body, as the deployed function answers it
              (--swagger: the document alone)
              (for 500/503 the generic error body with the invocation id)
  blob        the path of the written output file
  serviceBus  "Service Bus output for queue <name>:" (or "... no output queue ...") then the message

A module the script imports but this Python lacks is reported with this Python's path
and the fix: install it here, or point MLFUNC_PYTHON at a Python that has it; only when
the requirements file (--requirements, default: requirements.txt of the build context
this runtime sits in) lists no package for it, also add one there.

Exit codes: 0 success, 1 failed invocation (summary line on stderr with the
detailed message, then the script's traceback if init()/run() raised), 2 bad
usage or inputs.
"""
import argparse
import contextlib
import json
import logging
import os
import re
import shlex
import subprocess
import sys
import sysconfig
import uuid

from . import core

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


class UsageError(Exception):
    pass


def _tokens(pattern):
    """Yield (literal, token_name_or_None) pieces; {{ and }} are literal braces."""
    pos = 0
    for match in _TOKEN.finditer(pattern):
        literal = pattern[pos:match.start()]
        if match.group(0) == "{{":
            yield literal + "{", None
        elif match.group(0) == "}}":
            yield literal + "}", None
        else:
            name = match.group(1).strip()
            if not name:
                raise UsageError("empty {} token in path pattern %r" % pattern)
            yield literal, name
        pos = match.end()
    yield pattern[pos:], None


def match_blob_name(pattern, file_name):
    """Match a file name against the last segment of a blob path pattern.

    Tokens capture greedily, like the Functions host's blob path templates.
    Returns {token (lower case): value}; raises UsageError when it does not match.
    """
    last = pattern.rstrip("/").rsplit("/", 1)[-1]
    regex, groups = [], {}
    for literal, name in _tokens(last):
        regex.append(re.escape(literal))
        if name is None:
            continue
        key = name.lower()
        if key in groups:
            regex.append("(?P=%s)" % groups[key])
        else:
            groups[key] = "g%d" % len(groups)
            regex.append("(?P<%s>.*)" % groups[key])
    match = re.fullmatch("".join(regex), file_name)
    if match is None:
        raise UsageError("input file name %r does not match the blob path pattern %r"
                         % (file_name, last))
    return {key: match.group(group) for key, group in groups.items()}


def fill_path(pattern, values):
    parts = []
    for literal, name in _tokens(pattern):
        parts.append(literal)
        if name is not None:
            if name.lower() not in values:
                raise UsageError("output path %r uses {%s}, which the input path does not define"
                                 % (pattern, name))
            parts.append(values[name.lower()])
    return "".join(parts)


def _relative_parts(path, flag):
    parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
    if path.startswith("/") or ".." in parts or not parts:
        raise UsageError("%s must be a relative blob path without '..': %r" % (flag, path))
    return parts


def _parser():
    parser = argparse.ArgumentParser(
        prog="python3 -m mlfunc_runtime.local",
        description="Invoke an Azure ML style scoring script like the deployed function would.")
    parser.add_argument("--function", required=True, help="function name (used in logs)")
    parser.add_argument("--trigger", required=True, choices=["http", "blob", "serviceBus"])
    serve = parser.add_mutually_exclusive_group(required=True)
    serve.add_argument("--script", help="scoring script with init() and run()")
    serve.add_argument("--mlflow-model", help="MLflow model folder served without a scoring script")
    parser.add_argument("--model-dir", required=True,
                        help="directory containing the model file/folder (AZUREML_MODEL_DIR)")
    parser.add_argument("--input", help="payload file (may be omitted only for --trigger http "
                        "--method GET)")
    # default None so an explicit --method on a non-HTTP trigger can be rejected.
    parser.add_argument("--method", type=str.upper, choices=["GET", "POST"],
                        help="HTTP method for --trigger http (default POST); GET answers the health "
                        "route, or reaches run() of a @rawhttp script")
    parser.add_argument("--swagger", action="store_true",
                        help="print the OpenAPI document of an HTTP function (GET <function>/swagger.json)")
    parser.add_argument("--swagger-version", default="2", choices=["2", "3", "3.1"],
                        help="OpenAPI version for --swagger (default 2)")
    parser.add_argument("--data-type", choices=list(core.DATA_TYPES), default=core.TEXT,
                        help="blob/serviceBus payload mode (HTTP is always text)")
    parser.add_argument("--input-path", default="{name}",
                        help="blob trigger path pattern, e.g. input/{blobname}.json")
    parser.add_argument("--output-path", help="blob output path pattern, e.g. output/{blobname}_out.json")
    parser.add_argument("--output-queue", help="Service Bus output queue name, if any")
    parser.add_argument("--out", default="out", help="directory for blob outputs (default ./out)")
    parser.add_argument("--requirements", default=_CONTEXT_REQUIREMENTS,
                        help="the model's requirements file, to tell a package missing from it from "
                        "one missing only here (default: the build context's requirements.txt)")
    return parser


# In a build context the runtime package sits next to the image's requirements.txt.
_CONTEXT_REQUIREMENTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                     "requirements.txt")
_NO_MODULE = re.compile(r"No module named '([^']+)'")
# Import names that differ from the package that provides them, for the common ones.
_PROVIDERS = {"sklearn": "scikit-learn", "yaml": "pyyaml", "cv2": "opencv-python", "PIL": "pillow",
              "skimage": "scikit-image", "bs4": "beautifulsoup4", "dateutil": "python-dateutil"}
_REQUIREMENT_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_for(module, requirements_file):
    """The requirements line that provides `module`, "" when none does, None without a file."""
    top = module.split(".")[0]
    wanted = {_normalize(module), _normalize(top), _normalize(_PROVIDERS.get(top, top))}
    try:
        with open(requirements_file, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return None
    for line in lines:
        line = line.split("#", 1)[0].strip()
        match = _REQUIREMENT_NAME.match(line)
        if match and not line.startswith("-") and _normalize(match.group(1)) in wanted:
            return line
    return ""


def _missing_module(result):
    """The module whose import failed while loading the script, or None."""
    if getattr(result, "error_code", None) != "ScriptLoadFailed" or not result.traceback:
        return None
    last = result.traceback.rstrip().splitlines()[-1]
    match = _NO_MODULE.search(last) if last.startswith("ModuleNotFoundError") else None
    return match.group(1) if match else None


def externally_managed(python=None):
    """True when `python` (default: this one) is externally managed (PEP 668): pip refuses to install into it.

    The marker is a file named EXTERNALLY-MANAGED in the interpreter's standard library folder
    (https://packaging.python.org/en/latest/specifications/externally-managed-environments/).
    """
    if python is None or os.path.realpath(python) == os.path.realpath(sys.executable):
        return os.path.isfile(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED"))
    probe = ("import os, sysconfig; print(os.path.isfile(os.path.join(sysconfig.get_path('stdlib'), "
             "'EXTERNALLY-MANAGED')))")
    try:
        out = subprocess.run([python, "-c", probe], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return out.strip() == "True"


VENV = "~/.venvs/mlfunc"


def venv_route(python, requirements_file):
    """The exact commands that give an externally managed Python's user a Python with the requirements."""
    req = shlex.quote(requirements_file) if requirements_file and os.path.isfile(requirements_file) else "requirements.txt"
    return ("%s is externally managed (PEP 668), so pip will not install into it; make a virtual "
            "environment with the model's requirements and point MLFUNC_PYTHON at it: "
            "%s -m venv %s && %s/bin/pip install -r %s && export MLFUNC_PYTHON=%s/bin/python "
            "(on Debian/Ubuntu, apt-get install python3-venv first)"
            % (python, shlex.quote(python), VENV, VENV, req, VENV))


# The build context's requirements.txt starts with this line when model.environment was translated into it.
_ENVIRONMENT_HEAD = re.compile(r'# the first \d+ line\(s\): model\.environment ("(?:[^"\\]|\\.)*")')


def _environment_of(requirements_file):
    """The conda file that model.environment translated into the requirements file, or None."""
    try:
        with open(requirements_file, encoding="utf-8") as fh:
            match = _ENVIRONMENT_HEAD.match(fh.readline())
    except OSError:
        return None
    return json.loads(match.group(1)) if match else None


def missing_module_message(script_name, module, requirements_file, python=None, version=None, managed=None):
    """The summary for a module the script imports and this Python lacks."""
    python = python or sys.executable
    version = version or "%d.%d.%d" % sys.version_info[:3]
    managed = externally_managed(python) if managed is None else managed
    listed = _requirement_for(module, requirements_file)
    environment = _environment_of(requirements_file)
    source = ("requirements.txt" if environment is None else
              "requirements.txt (model.environment %s as translated, then model.requirements)"
              % json.dumps(environment))
    add_to = ("requirements.txt" if environment is None else
              "model.requirements or the pip: list of %s" % json.dumps(environment))
    head = ("could not import scoring script %s: module '%s' is not installed in %s (Python %s), "
            "the Python running it" % (script_name, module, python, version))

    def install(package, has):
        if managed:
            return venv_route(python, requirements_file)
        return ("install it into that Python (%s -m pip install %s), or set MLFUNC_PYTHON to a "
                "Python that has %s" % (python, package, has))

    if listed:
        return ("%s; %s lists it (%s), so the image will have it%s%s"
                % (head, source, listed, ". " if managed else ": ",
                   install(shlex.quote(listed), "the model's requirements")))
    fix = install("<package>", "it")
    if listed == "":
        return ("%s, and %s lists no package that provides it, so the image would lack "
                "it too: add that package to %s, then %s" % (head, source, add_to, fix))
    return "%s: %s; the image installs only what requirements.txt lists" % (head, fix)


def _report_failure(result, script_name, requirements_file):
    # The developer's own machine: show the detail that the HTTP body withholds.
    module = _missing_module(result)
    message = (missing_module_message(script_name, module, requirements_file) if module
               else result.error_message)
    print("error: %s" % message, file=sys.stderr)
    if result.traceback:
        sys.stderr.write(result.traceback if result.traceback.endswith("\n")
                         else result.traceback + "\n")


def _configure_logging():
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    # Tracebacks are printed once by _report_failure instead.
    script_logger = logging.getLogger("mlfunc.script")
    script_logger.propagate = False
    script_logger.addHandler(logging.NullHandler())


def run_cli(args):
    script = os.path.abspath(args.script or args.mlflow_model)
    model_dir = os.path.abspath(args.model_dir)
    if args.script and not os.path.isfile(script):
        raise UsageError("scoring script not found: %s" % args.script)
    if args.mlflow_model and not os.path.isfile(os.path.join(script, "MLmodel")):
        raise UsageError("not an MLflow model folder (no MLmodel file): %s" % args.mlflow_model)
    if not os.path.isdir(model_dir):
        raise UsageError("model directory not found: %s" % args.model_dir)
    if args.method and args.trigger != "http":
        raise UsageError("--method applies only to --trigger http, not --trigger %s" % args.trigger)
    method = args.method or "POST"
    if args.swagger:
        if args.trigger != "http" or args.input is not None or args.method:
            raise UsageError("--swagger applies to --trigger http, without --input or --method")
        method = "GET"
    if args.input is None:
        if method != "GET":
            raise UsageError("--input is required (only --trigger http --method GET can omit it)")
    elif not os.path.isfile(args.input):
        raise UsageError("input file not found: %s" % args.input)

    request = core.InvocationRequest(b"", trigger=args.trigger, function_name=args.function,
                                     data_type=args.data_type)
    output_file = None
    if args.trigger == "http":
        request.data_type = core.TEXT
        request.method = method
        request.url = "http://localhost:7071/api/%s" % args.function
        request.headers = {"Content-Type": "application/json"} if args.input is not None else {}
        if args.swagger:
            request.subpath = core.SWAGGER_PATH
            request.params = {"version": args.swagger_version}
    elif args.trigger == "blob":
        if not args.output_path:
            raise UsageError("--output-path is required for --trigger blob")
        file_name = os.path.basename(args.input)
        values = match_blob_name(args.input_path, file_name)
        parts = _relative_parts(fill_path(args.output_path, values), "--output-path")
        output_file = os.path.join(args.out, *parts)
        folder = args.input_path.rstrip("/").rsplit("/", 1)[0] if "/" in args.input_path else ""
        request.source = folder + "/" + file_name if folder and "{" not in folder else file_name
        request.url = "http://127.0.0.1:10000/devstoreaccount1/" + request.source
    else:
        request.source = "local-" + uuid.uuid4().hex

    if args.input is not None:
        with open(args.input, "rb") as fh:
            request.body = fh.read()

    os.environ["AZUREML_MODEL_DIR"] = model_dir
    if args.mlflow_model:
        from .mlflow_model import MlflowModel

        os.environ.pop("MLFUNC_SCORING_SCRIPT", None)
        os.environ["MLFUNC_MLFLOW_MODEL"] = script
        scoring = MlflowModel(script, model_dir)
    else:
        os.environ["MLFUNC_SCORING_SCRIPT"] = script
        scoring = core.ScoringScript(script, model_dir)
    # Keep stdout for the result only; the script's prints would corrupt it.
    with contextlib.redirect_stdout(sys.stderr):
        result = scoring.invoke(request)

    if args.swagger and result.ok:
        print(result.body.decode("utf-8"))
        return 0
    if args.trigger == "http":
        print("HTTP %d" % result.status)
        print(result.body.decode("utf-8", errors="replace"))
        if not result.ok:
            _report_failure(result, os.path.basename(script), args.requirements)
            return 1
        return 0
    if not result.ok:
        _report_failure(result, os.path.basename(script), args.requirements)
        return 1
    if args.trigger == "blob":
        try:
            os.makedirs(os.path.dirname(output_file) or ".", exist_ok=True)
            with open(output_file, "wb") as fh:
                fh.write(result.body)
        except OSError as exc:
            print("error: cannot write %s: %s" % (output_file, exc.strerror or exc), file=sys.stderr)
            return 1
        print(output_file)
        return 0
    if args.output_queue:
        print("Service Bus output for queue %s:" % args.output_queue)
    else:
        print("Service Bus message processed; no output queue configured. Result:")
    print(result.body.decode("utf-8", errors="replace"))
    return 0


def main(argv=None):
    args = _parser().parse_args(argv)
    _configure_logging()
    try:
        return run_cli(args)
    except UsageError as exc:
        print("error: %s" % exc, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
