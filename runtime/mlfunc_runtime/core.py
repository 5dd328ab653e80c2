"""Scoring core shared by the Functions entry points, the local CLI and the benchmark.

It never imports azure.functions, so it runs (and is tested) anywhere.

The user's script is served by the rules of Azure ML's inference server
(azureml-inference-server-http 1.x):
  * The script is imported once per process with its folder on ``sys.path``;
    ``init()`` runs once, before the first ``run()``. A failed import or init()
    fails that invocation and is tried again on the next one, so init()
    succeeds at most once; the health route answers 503 meanwhile.
  * How run() is called depends on how it is declared:
      - ``@rawhttp`` (the module flag of ``azureml_inference_server_http.api.aml_request``,
        alias ``azureml.contrib.services.aml_request``): run(<AMLRequest>), any HTTP method.
      - decorated with inference-schema's ``@input_schema``: the payload must be a
        JSON object (HTTP: ``Content-Type: application/json``, else 415); run() gets
        one keyword argument per parameter, taken from that object, the parameter's
        default when absent (400 when there is none); the decorator converts values.
      - otherwise: run(<payload decoded as UTF-8 text>), or the bytes in binary mode.
    A parameter named ``request_headers`` is not an input: it gets the HTTP
    request's headers, a Service Bus message's application properties, or {}.
  * The answer: a response object (AMLResponse, a Flask response: anything with
    an int ``status_code`` and ``get_data()``) is sent as it is, a streamed body
    joined; None becomes ``{}``; anything else is JSON-encoded (numpy arrays and
    scalars included, a str as a JSON string). NaN and +/-Infinity, which JSON
    cannot carry, are encoded as null (Azure ML's server writes them bare, which
    strict JSON parsers reject); a warning is logged when that happens.
  * HTTP: GET is a health route unless run() is ``@rawhttp``; GET
    ``<function route>/swagger.json`` serves the OpenAPI document (``swagger_document``).

Error bodies: {"error": {"code", "message"[, "invocationId"]}}. A server-side
failure (ScriptLoadFailed, InitFailed, RunFailed, ResultNotSerializable,
InternalError; status 500/503) answers only a fixed sentence per code plus the
invocation id, since exception text can hold paths, model file names or
connection strings; the detail and the traceback go to the ``mlfunc.script`` log
under the same id, and stay on Result.error_message / Result.traceback for the
local CLI and the non-HTTP entries. Caller mistakes (InvalidInput 400,
UnsupportedMediaType 415, MethodNotAllowed 405, NotFound 404) keep their
specific message: it only describes the caller's own request. No failure,
whatever the script raises or returns, escapes ``ScoringScript.invoke``.
"""
import importlib
import importlib.util
import inspect
import json
import logging
import math
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

# How run() is called (Azure ML's three input parsers).
RAW = "rawhttp"
SCHEMA = "input_schema"
PLAIN = "text"

invocation_log = logging.getLogger("mlfunc.invocation")
# Script tracebacks go to their own logger so the CLI can print them itself.
script_log = logging.getLogger("mlfunc.script")

_PAYLOAD_NAMES = {"http": "request body", "blob": "blob content", "serviceBus": "message body"}

# Folder holding the azureml / azureml_inference_server_http stand-ins. It goes at
# the END of sys.path, so installed azureml-* distributions are found first.
STANDINS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "standins")
_AML_API = "azureml_inference_server_http.api"
_AML_ALIAS = "azureml.contrib.services"

_LOGS_HINT = "see the function's logs for invocation %s"
GENERIC_MESSAGES = {
    "ScriptLoadFailed": "the scoring script could not be loaded; " + _LOGS_HINT,
    "InitFailed": "init() of the scoring script failed; " + _LOGS_HINT,
    "RunFailed": "run() of the scoring script failed; " + _LOGS_HINT,
    "ResultNotSerializable": "run() of the scoring script returned a value that is not "
                             "JSON-serializable; " + _LOGS_HINT,
    "ModelLoadFailed": "the MLflow model could not be loaded; " + _LOGS_HINT,
    "PredictFailed": "predict() of the MLflow model failed; " + _LOGS_HINT,
}
_GENERIC_FALLBACK = "the scoring function failed; " + _LOGS_HINT

SWAGGER_PATH = "swagger.json"
# The HTTP trigger's optional route parameter (function.json route "<name>/{mlfuncpath?}").
ROUTE_PARAM = "mlfuncpath"


class InvocationRequest:
    """One trigger payload plus the HTTP-ish metadata run() may read.

    ``properties``: a Service Bus message's application properties (run()'s
    ``request_headers`` for that trigger). ``subpath``: what follows the
    function's route (``swagger.json``), or "".
    """

    __slots__ = ("body", "trigger", "function_name", "data_type", "method", "url",
                 "headers", "params", "route_params", "source", "invocation_id",
                 "properties", "subpath")

    def __init__(self, body, trigger="http", function_name="", data_type=TEXT, method="POST",
                 url="", headers=None, params=None, route_params=None, source=None,
                 invocation_id=None, properties=None, subpath=""):
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
        self.properties = properties
        self.subpath = subpath or ""


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


def _client_error(message, status=400, code="InvalidInput"):
    return InvocationError(status, code, message, "client_error")


class ScoringFailed(RuntimeError):
    """Raised by non-HTTP entries so the host retries or dead-letters the message."""


class NotSerializable(TypeError):
    def __init__(self, type_name):
        super().__init__(type_name)
        self.type_name = type_name


class _TooDeep(ValueError):
    pass


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


def _finite(value):
    """A copy of value with NaN and +/-Infinity replaced by None (JSON has no such numbers)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    if not isinstance(value, (str, int, bool)) and value is not None:
        return _finite(_json_default(value))
    return value


def encode_result(value):
    """run()'s result as JSON text; returns (text, replaced_non_finite)."""
    if value is None:
        # Azure ML answers an empty object for None.
        return "{}", False
    try:
        try:
            return json.dumps(value, default=_json_default, allow_nan=False), False
        except ValueError as exc:
            if "Out of range float" not in str(exc):
                raise
        return json.dumps(_finite(value), default=_json_default, allow_nan=False), True
    except NotSerializable:
        raise
    except RecursionError:
        raise _TooDeep() from None
    except Exception:
        # circular references, non-str dict keys of exotic types, a failing tolist()
        raise NotSerializable(_type_name(value)) from None


def to_json(value):
    """Encode run()'s result the way Azure ML did (str becomes a JSON string, None {})."""
    return encode_result(value)[0]


def describe(exc):
    """'Type: message' for the logs; never raises, whatever the exception's __str__ does."""
    name = type(exc).__name__
    try:
        text = str(exc)
    except BaseException:
        text = "<str() of the exception failed>"
    return "%s: %s" % (name, text) if text else name


def _script_traceback(exc):
    """Traceback without this module's and importlib's frames: only the user's code matters."""
    try:
        tb = exc.__traceback__
        while tb is not None:
            filename = tb.tb_frame.f_code.co_filename
            if filename == __file__ or filename.startswith("<frozen importlib"):
                tb = tb.tb_next
                continue
            break
        return "".join(traceback.format_exception(type(exc), exc, tb or exc.__traceback__))
    except BaseException:
        return describe(exc) + "\n"


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


def _decode(body, what):
    if isinstance(body, str):
        return body
    try:
        return bytes(body).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _client_error("%s is not valid UTF-8 (%s at byte %d)"
                            % (what, exc.reason, exc.start)) from None


def _parse_json(text, what):
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _client_error("%s is not valid JSON: %s" % (what, exc)) from None
    except RecursionError:
        raise _client_error("%s is nested too deeply to be read as JSON" % what) from None


def check_json_text(body, trigger="http"):
    """Decode and validate a text-mode payload; return the text unchanged."""
    what = _PAYLOAD_NAMES.get(trigger, "input")
    text = _decode(body, what)
    if not text.strip():
        raise _client_error("%s is empty; expected JSON" % what)
    _parse_json(text, what)
    return text


def _header(headers, name):
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value
    return None


def _media_type(headers):
    value = _header(headers, "content-type")
    return None if value is None else str(value).split(";", 1)[0].strip().lower()


def _is_json_type(media_type):
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json"))


def http_request_headers(headers):
    """Header names spelled as Flask hands them to Azure ML scripts ('Content-Type')."""
    return {str(key).title(): value for key, value in (headers or {}).items()}


def install_aml_api():
    """Put the stand-ins behind installed packages and alias the two import paths, as Azure ML does.

    ``azureml.contrib.services.aml_request``/``aml_response`` become the modules
    ``azureml_inference_server_http.api.aml_request``/``aml_response``: the real
    package's when it is installed, the stand-ins otherwise. Returns aml_request.
    """
    if STANDINS_DIR not in sys.path:
        sys.path.append(STANDINS_DIR)
    request_module = importlib.import_module(_AML_API + ".aml_request")
    response_module = importlib.import_module(_AML_API + ".aml_response")
    try:
        # The parents must be imported too, or "import azureml.contrib.services.x as y" fails.
        services = importlib.import_module(_AML_ALIAS)
    except ImportError:
        services = None
    for name, module in (("aml_request", request_module), ("aml_response", response_module)):
        sys.modules[_AML_ALIAS + "." + name] = module
        if services is not None:
            setattr(services, name, module)
    return request_module


def _is_schema_decorated(func):
    schema_util = sys.modules.get("inference_schema.schema_util")
    check = getattr(schema_util, "is_schema_decorated", None)
    if check is None:
        return False
    try:
        return bool(check(func))
    except Exception:
        return False


_SCHEMA_MODULE = "inference_schema"


def _forget_schemas(module_name):
    """Drop inference-schema's registrations left by an earlier import of the same script.

    Its registries (``schema_util.__functions_schema__`` and ``__versions__``, keyed
    "<module>.<function>") refuse a second @output_schema for one function, so an
    import retried after a failure would otherwise fail on that instead of the real error.
    """
    schema_util = sys.modules.get(_SCHEMA_MODULE + ".schema_util")
    for attr in ("__functions_schema__", "__versions__"):
        registry = getattr(schema_util, attr, None)
        if isinstance(registry, dict):
            for key in [k for k in registry if isinstance(k, str) and k.startswith(module_name + ".")]:
                del registry[key]


def _conversion_parameter(exc, user_code):
    """The input name when exc came from inference-schema converting an argument, else None.

    Relies on what inference-schema's frames show: modules named ``inference_schema.*``
    and, in the decorator's wrapper, a local ``param_name``; a frame of the user's own
    run() in the traceback means run() itself failed.
    """
    name = None
    tb = exc.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code is user_code:
            return None
        module = str(frame.f_globals.get("__name__", ""))
        if module == _SCHEMA_MODULE or module.startswith(_SCHEMA_MODULE + "."):
            if frame.f_code.co_name != "_deserialize_input_argument":
                value = frame.f_locals.get("param_name")
                if isinstance(value, str):
                    name = value
        tb = tb.tb_next
    return name


class ScoringScript:
    """A user's scoring script, imported and initialised lazily, then reused."""

    def __init__(self, script_path, model_dir=None):
        self.path = os.path.abspath(script_path) if script_path else ""
        self.name = os.path.basename(self.path) or "score.py"
        self._model_dir = model_dir
        self._lock = threading.Lock()
        self._ready = False
        self._run = None
        self._user_code = None
        self._flask_request = None
        self.module = None
        self.raw = False
        self.mode = PLAIN
        self.inputs = ()
        self.wants_headers = False
        self.init_calls = 0

    @property
    def model_dir(self):
        return self._model_dir or os.environ.get("AZUREML_MODEL_DIR")

    @property
    def folder(self):
        return os.path.dirname(self.path)

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
        try:
            aml_request = install_aml_api()
        except Exception as exc:
            raise InvocationError(500, "ScriptLoadFailed",
                                  "could not import azureml_inference_server_http.api: %s"
                                  % describe(exc), "load_failed", _script_traceback(exc)) from None
        spec = importlib.util.spec_from_file_location(module_name, self.path)
        module = importlib.util.module_from_spec(spec)
        # Azure ML put the script's folder on sys.path so helper modules next to it import.
        if self.folder not in sys.path:
            sys.path.insert(0, self.folder)
        aml_request._rawHttpRequested = False
        _forget_schemas(module_name)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException as exc:
            sys.modules.pop(module_name, None)
            if isinstance(exc, ModuleNotFoundError) and exc.name:
                message = ("could not import scoring script %s: module '%s' is not installed "
                           "(add the package that provides it to requirements.txt)"
                           % (self.name, exc.name))
            else:
                message = "could not import scoring script %s: %s" % (self.name, describe(exc))
            raise InvocationError(500, "ScriptLoadFailed", message, "load_failed",
                                  _script_traceback(exc)) from None
        self.raw = bool(getattr(aml_request, "_rawHttpRequested", False))
        # With the real inference server package installed, @rawhttp gets a real Flask request, as there.
        real = not os.path.abspath(getattr(aml_request, "__file__", "")).startswith(STANDINS_DIR)
        flask = sys.modules.get("flask") if real else None
        self._flask_request = getattr(flask, "Request", None)
        return module

    def _load_failure(self, message):
        return InvocationError(500, "ScriptLoadFailed", "scoring script %s: %s" % (self.name, message),
                               "load_failed")

    def _analyze(self, run):
        """Decide how run() is called, by Azure ML's rules; refuse what its server refuses."""
        try:
            params = list(inspect.signature(run).parameters.values())
        except (TypeError, ValueError):
            params = [inspect.Parameter("data", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        allowed = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        if any(p.kind not in allowed for p in params):
            raise self._load_failure("run() cannot take positional-only parameters, *args or "
                                     "**kwargs (Azure ML's server refuses them too)")
        self.wants_headers = any(p.name == "request_headers" for p in params)
        inputs = [p for p in params if p.name != "request_headers"]
        if not inputs:
            raise self._load_failure("run() needs a parameter for the input data"
                                     + (" besides request_headers" if self.wants_headers else ""))
        decorated = _is_schema_decorated(run)
        if self.raw and decorated:
            raise self._load_failure("run() cannot be decorated with both @rawhttp and @input_schema")
        self.mode = RAW if self.raw else SCHEMA if decorated else PLAIN
        self.inputs = tuple(inputs)
        self._user_code = getattr(inspect.unwrap(run), "__code__", None)

    def ensure_ready(self):
        """Prepare once per process; a failure is retried on the next call."""
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            self._prepare()
            self._ready = True

    def _prepare(self):
        if self.module is None:
            self.module = self._import()
        run = getattr(self.module, "run", None)
        if not callable(run):
            raise InvocationError(500, "ScriptLoadFailed",
                                  "scoring script %s does not define run()" % self.name,
                                  "load_failed")
        self._analyze(run)
        init = getattr(self.module, "init", None)
        if callable(init):
            self.init_calls += 1
            try:
                init()
            except BaseException as exc:
                message = "init() of %s failed: %s%s" % (
                    self.name, describe(exc), _model_dir_hint(exc, self.model_dir))
                raise InvocationError(500, "InitFailed", message, "init_failed",
                                      _script_traceback(exc)) from None
        self._run = run

    # -- run()'s arguments -------------------------------------------------------------------

    def _raw_request(self, req):
        body = req.body.encode("utf-8") if isinstance(req.body, str) else bytes(req.body)
        url = req.url or "http://localhost/" + (req.source or req.function_name or "")
        if self._flask_request is not None:
            return _werkzeug_request(self._flask_request, req, url, body)
        from .request import AMLRequest
        route_params = {k: v for k, v in (req.route_params or {}).items() if k != ROUTE_PARAM}
        return AMLRequest(method=req.method, url=url, headers=req.headers, data=body,
                          args=req.params, route_params=route_params)

    def _schema_arguments(self, req):
        what = _PAYLOAD_NAMES.get(req.trigger, "input")
        if req.trigger == "http":
            media_type = _media_type(req.headers)
            if media_type is None or not _is_json_type(media_type):
                raise _client_error("Content-Type must be application/json: run() of %s is "
                                    "decorated with @input_schema and reads a JSON object"
                                    % self.name, 415, "UnsupportedMediaType")
        text = _decode(req.body, what)
        if not text.strip():
            raise _client_error("%s is empty; expected a JSON object" % what)
        body = _parse_json(text, what)
        if not isinstance(body, dict):
            raise _client_error("%s must be a JSON object with one member per run() parameter "
                                "(%s), not %s" % (what, ", ".join(p.name for p in self.inputs),
                                                  _json_kind(body)))
        arguments = {}
        for param in self.inputs:
            value = body.get(param.name, param.default)
            if value is inspect.Parameter.empty:
                raise _client_error("a value is not provided for the '%s' parameter" % param.name)
            arguments[param.name] = value
        return arguments

    def _plain_argument(self, req):
        if req.data_type == BINARY and req.trigger != "http":
            return req.body if isinstance(req.body, bytes) else bytes(req.body)
        what = _PAYLOAD_NAMES.get(req.trigger, "input")
        media_type = _media_type(req.headers)
        if media_type is not None and not _is_json_type(media_type):
            # Declared as something else (CSV, plain text): passed on as Azure ML does.
            return _decode(req.body, what)
        return check_json_text(req.body, req.trigger)

    def _arguments(self, req):
        if self.mode == RAW:
            arguments = {self.inputs[0].name: self._raw_request(req)}
        elif self.mode == SCHEMA:
            arguments = self._schema_arguments(req)
        else:
            arguments = {self.inputs[0].name: self._plain_argument(req)}
        if self.wants_headers:
            if req.trigger == "http":
                arguments["request_headers"] = http_request_headers(req.headers)
            else:
                arguments["request_headers"] = dict(req.properties or {})
        return arguments

    def _call_run(self, arguments):
        try:
            return self._run(**arguments)
        except BaseException as exc:
            if self.mode == SCHEMA:
                name = _conversion_parameter(exc, self._user_code)
                if name is not None:
                    raise _client_error("the '%s' parameter could not be converted: %s"
                                        % (name, _bounded(describe(exc)))) from None
            raise InvocationError(500, "RunFailed", "run() of %s failed: %s"
                                  % (self.name, describe(exc)), "run_failed",
                                  _script_traceback(exc)) from None

    # -- the answer --------------------------------------------------------------------------

    def _response_result(self, value, status_code):
        try:
            body = value.get_data()
            if isinstance(body, str):
                body = body.encode("utf-8")
            body = bytes(body)
            headers = {}
            for key, item in value.headers.items():
                # Repeated headers (werkzeug) fold into one comma-separated value.
                headers[key] = headers[key] + ", " + str(item) if key in headers else str(item)
            mimetype = getattr(value, "mimetype", None) or "text/plain"
        except BaseException as exc:
            # A streamed body whose generator raised, or a response that cannot be read.
            raise InvocationError(500, "RunFailed", "the response returned by run() of %s could "
                                  "not be read: %s" % (self.name, describe(exc)), "run_failed",
                                  _script_traceback(exc)) from None
        if status_code >= 500:
            headers["x-ms-run-function-failed"] = "True"
        outcome = "success" if status_code < 400 else "error_response"
        result = Result(status_code, body, headers, mimetype, outcome)
        if status_code >= 400:
            result.error_message = "run() of %s answered status %d" % (self.name, status_code)
        return result

    def _to_result(self, value, req, invocation_id):
        status_code = getattr(value, "status_code", None)
        if isinstance(status_code, int) and callable(getattr(value, "get_data", None)):
            return self._response_result(value, status_code)
        try:
            text, replaced = encode_result(value)
        except NotSerializable as exc:
            raise InvocationError(500, "ResultNotSerializable",
                                  "run() returned a value that is not JSON-serializable: %s"
                                  % exc.type_name, "run_failed") from None
        except _TooDeep:
            raise InvocationError(500, "ResultNotSerializable",
                                  "run() returned a value nested too deeply to encode as JSON",
                                  "run_failed") from None
        if replaced:
            script_log.warning("function=%s invocation=%s run() of %s returned NaN or Infinity, "
                               "which JSON cannot carry; sent as null", req.function_name,
                               invocation_id, self.name)
        return Result(200, text.encode("utf-8"))

    def _health_result(self, req):
        body = json.dumps({"status": "ok", "function": req.function_name,
                           "scoringScript": self.name}).encode("utf-8")
        # Own outcome so frequent probes can be told apart from scoring calls in the logs.
        return Result(200, body, outcome="health")

    def _swagger_result(self, req):
        version = str((req.params or {}).get("version") or "2")
        document = self._swagger_document(req.function_name, version)
        return Result(200, json.dumps(document, indent=2).encode("utf-8"), outcome="swagger")

    def _swagger_document(self, function_name, requested):
        from .swagger import swagger_document
        return swagger_document(self, function_name, requested)

    def _http_route(self, req):
        """A Result for what run() does not answer (health, swagger, other methods), else None."""
        method = str(req.method or "POST").upper()
        if req.subpath == SWAGGER_PATH and method == "GET":
            return self._swagger_result(req)
        if self.raw:
            return None
        if req.subpath:
            raise _client_error("no route %r under this function: POST the payload to the "
                                "function's own route, GET it for health, GET %s for the API "
                                "document" % (req.subpath, SWAGGER_PATH), 404, "NotFound")
        if method == "GET":
            return self._health_result(req)
        if method == "OPTIONS":
            return Result(200, b"", mimetype="text/plain", outcome="health")
        if method != "POST":
            raise _client_error("method %s is not allowed: POST the payload (GET answers the "
                                "health route)" % method, 405, "MethodNotAllowed")
        return None

    def invoke(self, req):
        """Run one invocation; never raises, whatever the script or the payload do."""
        started = time.perf_counter()
        invocation_id = req.invocation_id or str(uuid.uuid4())
        try:
            result = self._invoke(req, invocation_id)
        except InvocationError as err:
            result = err.to_result(invocation_id)
            if err.traceback:
                script_log.error("function=%s invocation=%s %s\n%s", req.function_name,
                                 invocation_id, err.message, err.traceback.rstrip())
            elif err.status >= 500 or req.trigger != "http":
                # A Blob/Service Bus payload the script cannot take is a failure, not a quiet 4xx.
                script_log.error("function=%s invocation=%s %s", req.function_name,
                                 invocation_id, err.message)
        except BaseException as exc:
            script_log.error("function=%s invocation=%s internal error: %s\n%s", req.function_name,
                             invocation_id, describe(exc), _script_traceback(exc).rstrip())
            result = InvocationError(500, "InternalError", "internal error: %s" % describe(exc),
                                     "internal_error").to_result(invocation_id)
        return self._finish(req, result, invocation_id, started)

    def _invoke(self, req, invocation_id):
        is_get = req.trigger == "http" and str(req.method or "").upper() == "GET"
        try:
            self.ensure_ready()
        except InvocationError as err:
            # Probes read 503 as "not ready yet"; raw scripts keep their old 500.
            if is_get and (not self.raw or req.subpath == SWAGGER_PATH):
                err.status = 503
            raise
        if req.trigger == "http":
            routed = self._http_route(req)
            if routed is not None:
                return routed
        return self._score(req, invocation_id)

    def _score(self, req, invocation_id):
        value = self._call_run(self._arguments(req))
        return self._to_result(value, req, invocation_id)

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


def _werkzeug_request(request_class, req, url, body):
    """A Flask request for the payload, built the way a WSGI server would hand it over."""
    from urllib.parse import urlencode, urlsplit

    from werkzeug.test import EnvironBuilder

    parts = urlsplit(url)
    builder = EnvironBuilder(path=parts.path or "/", base_url="%s://%s" % (parts.scheme or "http",
                                                                         parts.netloc or "localhost"),
                             method=str(req.method or "POST").upper(),
                             headers=list((req.headers or {}).items()), data=body,
                             query_string=parts.query or urlencode(req.params or {}))
    try:
        return builder.get_request(request_class)
    finally:
        builder.close()


def _json_kind(value):
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"


def _bounded(text, limit=500):
    return text if len(text) <= limit else text[:limit] + "..."


_scripts = {}
_scripts_lock = threading.Lock()


def script_from_env():
    """The process-wide server of this image (cached): the scoring script MLFUNC_SCORING_SCRIPT
    names, else the MLflow model folder MLFUNC_MLFLOW_MODEL names, served without a script."""
    path = os.environ.get("MLFUNC_SCORING_SCRIPT", "")
    key = ("script", path) if path or not os.environ.get("MLFUNC_MLFLOW_MODEL") \
        else ("mlflow", os.environ["MLFUNC_MLFLOW_MODEL"])
    script = _scripts.get(key)
    if script is None:
        with _scripts_lock:
            script = _scripts.get(key)
            if script is None:
                if key[0] == "mlflow":
                    from .mlflow_model import MlflowModel
                    script = MlflowModel(key[1])
                else:
                    script = ScoringScript(path)
                _scripts[key] = script
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
