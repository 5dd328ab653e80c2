"""Scoring core shared by the Functions entry points, the local CLI and the benchmark.

It never imports azure.functions, so it runs (and is tested) anywhere.

Contract with the user's Azure ML style script:
  * The script is imported once per process; ``init()`` runs once, before the
    first ``run()``. A failed import or init() fails that invocation and is
    tried again on the next one, so init() succeeds at most once.
  * Text mode: the payload must be UTF-8 JSON (what Azure ML endpoints took);
    run() receives the text unchanged. Binary mode: run() receives the bytes.
    ``@rawhttp`` scripts receive an AMLRequest in either mode.
  * The result is JSON-encoded, numpy arrays/scalars included. A str result is
    encoded as a JSON string, as Azure ML did, so existing clients keep
    working. An AMLResponse (or any object with status_code and get_data) is
    passed through with its status, body and headers.
  * HTTP GET is a health/info route unless run() is ``@rawhttp``: run() is not
    called; the script is loaded and init() run (once, as for any call), then
    200 {"status": "ok", "function": ..., "scoringScript": ...} is answered, or
    503 with the usual error body if loading or init() fails. A @rawhttp run()
    receives GET requests like any other method.

Error bodies: a server-side failure (ScriptLoadFailed, InitFailed, RunFailed,
ResultNotSerializable; status 500/503) answers only
{"error": {"code", "message": <fixed sentence per code>, "invocationId"}}, since
exception text can hold paths, model file names or connection strings. The
detailed message and the traceback go to the ``mlfunc.script`` log with the same
invocation id, and stay on Result.error_message / Result.traceback for the local
CLI and the non-HTTP entries. InvalidInput (400) keeps its specific message: it
only describes the caller's own payload. A @rawhttp script's own response is
passed through untouched.
"""
import importlib.util
import json
import logging
import os
import re
import sys
import threading
import time
import traceback
import uuid

TEXT = "text"
BINARY = "binary"
DATA_TYPES = (TEXT, BINARY)

invocation_log = logging.getLogger("mlfunc.invocation")
# Script tracebacks go to their own logger so the CLI can print them itself.
script_log = logging.getLogger("mlfunc.script")

_PAYLOAD_NAMES = {"http": "request body", "blob": "blob content", "serviceBus": "message body"}
_STANDIN_FLAG_MODULES = ("azureml.contrib.services.aml_request",
                         "azureml_inference_server_http.api.aml_request")

_LOGS_HINT = "see the function's logs for invocation %s"
GENERIC_MESSAGES = {
    "ScriptLoadFailed": "the scoring script could not be loaded; " + _LOGS_HINT,
    "InitFailed": "init() of the scoring script failed; " + _LOGS_HINT,
    "RunFailed": "run() of the scoring script failed; " + _LOGS_HINT,
    "ResultNotSerializable": "run() of the scoring script returned a value that is not "
                             "JSON-serializable; " + _LOGS_HINT,
}
_GENERIC_FALLBACK = "the scoring function failed; " + _LOGS_HINT


class InvocationRequest:
    """One trigger payload plus the HTTP-ish metadata a @rawhttp script may read."""

    __slots__ = ("body", "trigger", "function_name", "data_type", "method", "url",
                 "headers", "params", "route_params", "source", "invocation_id")

    def __init__(self, body, trigger="http", function_name="", data_type=TEXT, method="POST",
                 url="", headers=None, params=None, route_params=None, source=None,
                 invocation_id=None):
        self.body = body
        self.trigger = trigger
        self.function_name = function_name
        self.data_type = data_type
        self.method = method
        self.url = url
        self.headers = headers
        self.params = params
        self.route_params = route_params
        self.source = source
        # The host's id when there is one, so body, logs and host traces correlate.
        self.invocation_id = invocation_id


class Result:
    __slots__ = ("status", "body", "headers", "mimetype", "outcome", "error_code",
                 "error_message", "traceback", "duration_ms", "invocation_id")

    def __init__(self, status, body, headers=None, mimetype="application/json", outcome="success",
                 error_code=None, error_message=None, traceback_text=None):
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.mimetype = mimetype
        self.outcome = outcome
        self.error_code = error_code
        self.error_message = error_message
        self.traceback = traceback_text
        self.duration_ms = 0.0
        self.invocation_id = None

    @property
    def ok(self):
        return self.status < 400

    @property
    def text(self):
        return self.body.decode("utf-8")


class InvocationError(Exception):
    def __init__(self, status, code, message, outcome, traceback_text=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.outcome = outcome
        self.traceback = traceback_text

    def public_error(self, invocation_id):
        """The error object a caller may see; detail stays in the logs for server faults."""
        if self.status < 500:
            return {"code": self.code, "message": self.message}
        template = GENERIC_MESSAGES.get(self.code, _GENERIC_FALLBACK)
        return {"code": self.code, "message": template % invocation_id,
                "invocationId": invocation_id}

    def to_result(self, invocation_id):
        body = json.dumps({"error": self.public_error(invocation_id)}).encode("utf-8")
        return Result(self.status, body, outcome=self.outcome, error_code=self.code,
                      error_message=self.message, traceback_text=self.traceback)


class ScoringFailed(RuntimeError):
    """Raised by non-HTTP entries so the host retries or dead-letters the message."""


class NotSerializable(TypeError):
    def __init__(self, type_name):
        super().__init__(type_name)
        self.type_name = type_name


def _type_name(obj):
    cls = type(obj)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return "%s.%s" % (cls.__module__, cls.__qualname__)


def _json_default(obj):
    # numpy arrays and scalars (and pandas Series) all expose tolist().
    tolist = getattr(obj, "tolist", None)
    if tolist is not None and callable(tolist):
        return tolist()
    raise NotSerializable(_type_name(obj))


def to_json(value):
    """Encode run()'s result the way Azure ML did (str becomes a JSON string)."""
    try:
        return json.dumps(value, default=_json_default)
    except NotSerializable:
        raise
    except (TypeError, ValueError):
        # e.g. circular references or non-str dict keys of exotic types
        raise NotSerializable(_type_name(value)) from None


def describe(exc):
    text = str(exc)
    return "%s: %s" % (type(exc).__name__, text) if text else type(exc).__name__


def _script_traceback(exc):
    """Traceback without this module's and importlib's frames: only the user's code matters."""
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename == __file__ or filename.startswith("<frozen importlib"):
            tb = tb.tb_next
            continue
        break
    return "".join(traceback.format_exception(type(exc), exc, tb or exc.__traceback__))


def _model_dir_hint(exc, model_dir):
    filename = getattr(exc, "filename", None)
    if not (isinstance(exc, FileNotFoundError) and filename and model_dir):
        return ""
    model_dir = os.path.abspath(model_dir)
    try:
        inside = os.path.commonpath([os.path.abspath(str(filename)), model_dir]) == model_dir
    except ValueError:
        inside = False
    if not inside:
        return ""
    try:
        entries = sorted(os.listdir(model_dir))
    except OSError:
        return " (model directory %s does not exist)" % model_dir
    if not entries:
        return " (model directory %s is empty)" % model_dir
    shown = ", ".join(entries[:10]) + (", ..." if len(entries) > 10 else "")
    return " (model directory %s contains: %s)" % (model_dir, shown)


def check_json_text(body, trigger="http"):
    """Decode and validate a text-mode payload; return the text unchanged."""
    what = _PAYLOAD_NAMES.get(trigger, "input")
    if isinstance(body, str):
        text = body
    else:
        try:
            text = bytes(body).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvocationError(400, "InvalidInput", "%s is not valid UTF-8 (%s at byte %d)"
                                  % (what, exc.reason, exc.start), "client_error") from None
    if not text.strip():
        raise InvocationError(400, "InvalidInput", "%s is empty; expected JSON" % what,
                              "client_error")
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvocationError(400, "InvalidInput", "%s is not valid JSON: %s"
                              % (what, exc), "client_error") from None
    return text


def _raw_marker_set():
    for name in _STANDIN_FLAG_MODULES:
        module = sys.modules.get(name)
        if module is not None and getattr(module, "_rawHttpRequested", False):
            return True
    return False


def _reset_raw_markers():
    for name in _STANDIN_FLAG_MODULES:
        module = sys.modules.get(name)
        if module is not None and hasattr(module, "_rawHttpRequested"):
            module._rawHttpRequested = False


class ScoringScript:
    """A user's scoring script, imported and initialised lazily, then reused."""

    def __init__(self, script_path, model_dir=None):
        self.path = os.path.abspath(script_path) if script_path else ""
        self.name = os.path.basename(self.path) or "score.py"
        self._model_dir = model_dir
        self._lock = threading.Lock()
        self._ready = False
        self._run = None
        self.module = None
        self.raw = False
        self.init_calls = 0

    @property
    def model_dir(self):
        return self._model_dir or os.environ.get("AZUREML_MODEL_DIR")

    def _import(self):
        if not self.path:
            raise InvocationError(500, "ScriptLoadFailed",
                                  "MLFUNC_SCORING_SCRIPT is not set; it must name the scoring script",
                                  "load_failed")
        if not os.path.isfile(self.path):
            raise InvocationError(500, "ScriptLoadFailed",
                                  "scoring script not found: %s" % self.path, "load_failed")
        stem = os.path.splitext(self.name)[0]
        module_name = "mlfunc_scoring_" + re.sub(r"\W", "_", stem)
        spec = importlib.util.spec_from_file_location(module_name, self.path)
        module = importlib.util.module_from_spec(spec)
        # Azure ML put the script's folder on sys.path so helper modules next to it import.
        script_dir = os.path.dirname(self.path)
        if script_dir not in sys.path:
            sys.path.insert(0, script_dir)
        _reset_raw_markers()
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except (Exception, SystemExit) as exc:
            sys.modules.pop(module_name, None)
            if isinstance(exc, ModuleNotFoundError) and exc.name:
                message = ("could not import scoring script %s: module '%s' is not installed "
                           "(add the package that provides it to requirements.txt)"
                           % (self.name, exc.name))
            else:
                message = "could not import scoring script %s: %s" % (self.name, describe(exc))
            raise InvocationError(500, "ScriptLoadFailed", message, "load_failed",
                                  _script_traceback(exc)) from None
        self.raw = _raw_marker_set()
        return module

    def ensure_ready(self):
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            if self.module is None:
                self.module = self._import()
            run = getattr(self.module, "run", None)
            if not callable(run):
                raise InvocationError(500, "ScriptLoadFailed",
                                      "scoring script %s does not define run()" % self.name,
                                      "load_failed")
            # Known before init() so a failing init() on GET is still answered the raw way.
            self.raw = self.raw or bool(getattr(run, "__aml_rawhttp__", False))
            init = getattr(self.module, "init", None)
            if callable(init):
                self.init_calls += 1
                try:
                    init()
                except (Exception, SystemExit) as exc:
                    message = "init() of %s failed: %s%s" % (
                        self.name, describe(exc), _model_dir_hint(exc, self.model_dir))
                    raise InvocationError(500, "InitFailed", message, "init_failed",
                                          _script_traceback(exc)) from None
            self._run = run
            self._ready = True

    def _run_argument(self, req):
        if self.raw:
            from azureml.contrib.services.aml_request import AMLRequest
            body = req.body.encode("utf-8") if isinstance(req.body, str) else bytes(req.body)
            url = req.url or "http://localhost/" + (req.source or req.function_name or "")
            return AMLRequest(method=req.method, url=url, headers=req.headers, data=body,
                              args=req.params, route_params=req.route_params)
        if req.data_type == BINARY:
            return req.body if isinstance(req.body, bytes) else bytes(req.body)
        return check_json_text(req.body, req.trigger)

    def _to_result(self, value):
        status_code = getattr(value, "status_code", None)
        get_data = getattr(value, "get_data", None)
        if isinstance(status_code, int) and callable(get_data):
            body = get_data()
            if isinstance(body, str):
                body = body.encode("utf-8")
            headers = {}
            for key, item in value.headers.items():
                # Repeated headers (werkzeug) fold into one comma-separated value.
                headers[key] = headers[key] + ", " + str(item) if key in headers else str(item)
            mimetype = getattr(value, "mimetype", None) or "text/plain"
            outcome = "success" if status_code < 400 else "error_response"
            result = Result(status_code, bytes(body), headers, mimetype, outcome)
            if status_code >= 400:
                result.error_message = "run() of %s answered status %d" % (self.name, status_code)
            return result
        try:
            text = to_json(value)
        except NotSerializable as exc:
            raise InvocationError(500, "ResultNotSerializable",
                                  "run() returned a value that is not JSON-serializable: %s"
                                  % exc.type_name, "run_failed") from None
        return Result(200, text.encode("utf-8"))

    def _health_result(self, req):
        body = json.dumps({"status": "ok", "function": req.function_name,
                           "scoringScript": self.name}).encode("utf-8")
        # Own outcome so frequent probes can be told apart from scoring calls in the logs.
        return Result(200, body, outcome="health")

    def invoke(self, req):
        """Run one invocation; never raises for script or input problems."""
        started = time.perf_counter()
        invocation_id = req.invocation_id or str(uuid.uuid4())
        is_get = req.trigger == "http" and str(req.method or "").upper() == "GET"
        try:
            try:
                self.ensure_ready()
            except InvocationError as err:
                # Probes read 503 as "not ready yet"; raw scripts keep their old 500.
                if is_get and not self.raw:
                    err.status = 503
                raise
            if is_get and not self.raw:
                return self._finish(req, self._health_result(req), invocation_id, started)
            argument = self._run_argument(req)
            try:
                value = self._run(argument)
            except (Exception, SystemExit) as exc:
                raise InvocationError(500, "RunFailed", "run() of %s failed: %s"
                                      % (self.name, describe(exc)), "run_failed",
                                      _script_traceback(exc)) from None
            result = self._to_result(value)
        except InvocationError as err:
            result = err.to_result(invocation_id)
            if err.traceback:
                script_log.error("function=%s invocation=%s %s\n%s", req.function_name,
                                 invocation_id, err.message, err.traceback.rstrip())
            elif err.status >= 500:
                script_log.error("function=%s invocation=%s %s", req.function_name,
                                 invocation_id, err.message)
        return self._finish(req, result, invocation_id, started)

    def _finish(self, req, result, invocation_id, started):
        result.duration_ms = (time.perf_counter() - started) * 1000.0
        result.invocation_id = invocation_id
        if result.status < 400:
            level = logging.INFO
        elif result.status < 500:
            level = logging.WARNING
        else:
            level = logging.ERROR
        if invocation_log.isEnabledFor(level):
            invocation_log.log(level, "function=%s trigger=%s outcome=%s status=%d duration_ms=%.2f",
                               req.function_name, req.trigger, result.outcome, result.status,
                               result.duration_ms)
        return result


_scripts = {}
_scripts_lock = threading.Lock()


def script_from_env():
    """The process-wide ScoringScript named by MLFUNC_SCORING_SCRIPT (cached)."""
    path = os.environ.get("MLFUNC_SCORING_SCRIPT", "")
    script = _scripts.get(path)
    if script is None:
        with _scripts_lock:
            script = _scripts.get(path)
            if script is None:
                script = _scripts[path] = ScoringScript(path)
    return script


def data_type_env_name(function_name):
    return "MLFUNC_DATA_TYPE_" + re.sub(r"[^A-Za-z0-9]", "_", function_name).upper()


_data_types = {}


def resolve_data_type(function_name, function_directory=None):
    """text or binary for a trigger: env override first, then function.json's trigger dataType."""
    key = (function_name, function_directory)
    cached = _data_types.get(key)
    if cached is not None:
        return cached
    value = os.environ.get(data_type_env_name(function_name or ""), "").strip().lower()
    if value not in DATA_TYPES:
        value = TEXT
        if function_directory:
            try:
                with open(os.path.join(function_directory, "function.json"), encoding="utf-8") as fh:
                    bindings = json.load(fh).get("bindings", [])
            except (OSError, ValueError):
                bindings = []
            for binding in bindings:
                if str(binding.get("type", "")).endswith("Trigger"):
                    if str(binding.get("dataType", "")).lower() == "binary":
                        value = BINARY
                    break
    _data_types[key] = value
    return value
