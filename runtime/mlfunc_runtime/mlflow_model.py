"""An MLflow model folder served without a scoring script, as Azure ML serves one.

Azure ML's "no-code" deployment of an MLflow model (its ``mlflow_score_script.py``,
see docs/mlflow.md) loads the folder once with ``mlflow.pyfunc.load_model`` and
answers two families of JSON payloads, on every trigger alike:

  * Azure ML's: ``{"input_data": ..., "params": {...}}`` where ``input_data`` is a
    split-orientation frame (``columns``/``index``/``data``), a list (one tensor)
    or an object of named tensors. The answer is the prediction itself: a list of
    records for a DataFrame, a list for an array.
  * ``mlflow models serve``'s: exactly one of ``dataframe_split``,
    ``dataframe_records``, ``instances`` or ``inputs`` (plus ``params``), answered
    ``{"predictions": ...}``.

The model's signature is enforced before predict(): a missing column, or a value
that cannot be converted to the column's or tensor's type, is a 400 naming it.
Values are converted the way MLflow's own server converts them (JSON integers for
a double column become floats), so that predict()'s own schema check passes.
"""
import json
import math
import os
import sys

from . import core

AZUREML = "azureml"
MLFLOW = "mlflow"
MLFLOW_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")
_SPLIT_KEYS = {"columns", "index", "data"}
_ACCEPTED = ('{"input_data": ...} (Azure ML) or exactly one of %s (mlflow models serve)'
             % ", ".join(MLFLOW_KEYS))

# MLflow column types -> (numpy dtype, JSON Schema type); MLflow's DataType names.
COLUMN_TYPES = {
    "double": ("float64", "number"), "float": ("float32", "number"),
    "long": ("int64", "integer"), "integer": ("int32", "integer"),
    "boolean": ("bool", "boolean"), "string": ("object", "string"),
    "binary": ("object", "string"), "datetime": ("datetime64[ns]", "string"),
}


_bad = core._client_error


class Signature:
    """The model's input and output schemas as MLflow stores them (``Schema.to_dict()``)."""

    def __init__(self, inputs, outputs):
        self.inputs = inputs
        self.outputs = outputs

    @classmethod
    def of(cls, model):
        metadata = getattr(model, "metadata", None)

        def schema(getter):
            get = getattr(metadata, getter, None)
            value = get() if callable(get) else None
            return None if value is None else list(value.to_dict())

        return cls(schema("get_input_schema"), schema("get_output_schema"))

    @staticmethod
    def is_tensor(specs):
        return bool(specs) and all(s.get("type") == "tensor" for s in specs)

    @staticmethod
    def names(specs):
        return [s["name"] for s in specs or () if s.get("name") is not None]


# -- payloads ----------------------------------------------------------------------------


def parse_payload(body):
    """(data, params, style) from a decoded JSON payload; a 400 for anything else."""
    if not isinstance(body, dict):
        raise _bad("the payload must be a JSON object: %s, not %s" % (_ACCEPTED, core._json_kind(body)))
    params = body.get("params")
    if params is not None and not isinstance(params, dict):
        raise _bad("params must be a JSON object of parameter names and values, not %s"
                   % core._json_kind(params))
    given = [k for k in MLFLOW_KEYS if k in body]
    others = sorted(k for k in body if k not in MLFLOW_KEYS and k not in ("input_data", "params"))
    if "input_data" in body:
        if given:
            raise _bad("input_data (Azure ML) and %s (mlflow models serve) cannot be mixed; send "
                       "one of them" % ", ".join(given))
        return _azureml_input(body["input_data"]), params, AZUREML
    if len(given) != 1 or others:
        found = ", ".join(sorted(body)) or "none"
        raise _bad("the payload must be %s; its members: %s" % (_ACCEPTED, found))
    key = given[0]
    return _mlflow_input(key, body[key]), params, MLFLOW


def _split_frame(value, what):
    import pandas as pd

    extra = sorted(set(value) - _SPLIT_KEYS)
    if "data" not in value or extra:
        raise _bad("%s in split orientation has data and optionally columns and index%s"
                   % (what, "; unknown: " + ", ".join(extra) if extra else ""))
    try:
        return pd.DataFrame(data=value["data"], columns=value.get("columns"), index=value.get("index"))
    except (ValueError, TypeError) as exc:
        raise _bad("%s is not a frame in split orientation: %s" % (what, exc)) from None


def _array(value, what):
    import numpy as np

    try:
        return np.asarray(value)
    except (ValueError, TypeError) as exc:
        # Ragged lists: numpy refuses them as one array.
        raise _bad("%s is not a rectangular array: %s" % (what, exc)) from None


def _azureml_input(value):
    """Azure ML's rules: a list is a tensor, columns+data a frame, any other object named tensors."""
    if isinstance(value, dict) and set(value) == {"input_data"}:
        # A client that wrapped the payload twice: Azure ML unwraps it too.
        value = value["input_data"]
    if isinstance(value, list):
        return _array(value, "input_data")
    if isinstance(value, dict):
        if "data" in value and "columns" in value and set(value) <= _SPLIT_KEYS:
            return _split_frame(value, "input_data")
        if not value:
            raise _bad("input_data is an empty object; send a frame in split orientation "
                       "(columns, index, data), a list, or named tensors")
        return {name: _array(tensor, "input_data.%s" % name) for name, tensor in value.items()}
    raise _bad("input_data must be a frame in split orientation (columns, index, data), a list or "
               "an object of named tensors, not %s" % core._json_kind(value))


def _mlflow_input(key, value):
    import pandas as pd

    if key == "dataframe_split":
        if not isinstance(value, dict):
            raise _bad("dataframe_split must be an object with data, columns and index, not %s"
                       % core._json_kind(value))
        return _split_frame(value, "dataframe_split")
    if key == "dataframe_records":
        if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
            raise _bad("dataframe_records must be a list of objects, one a row")
        return pd.DataFrame(data=value)
    if key == "instances":
        if not isinstance(value, list):
            raise _bad("instances must be a list, not %s" % core._json_kind(value))
        if value and all(isinstance(r, dict) for r in value):
            # TF-serving row format: a list of {name: value} becomes named tensors.
            names = list(value[0])
            if any(set(r) != set(names) for r in value):
                raise _bad("every item of instances must have the same members (%s)"
                           % ", ".join(names))
            return {n: _array([r[n] for r in value], "instances.%s" % n) for n in names}
        return _array(value, "instances")
    if isinstance(value, dict):
        if not value:
            raise _bad("inputs is an empty object; send a list or named tensors")
        return {name: _array(tensor, "inputs.%s" % name) for name, tensor in value.items()}
    if isinstance(value, list):
        return _array(value, "inputs")
    raise _bad("inputs must be a list or an object of named tensors, not %s" % core._json_kind(value))


# -- the signature -----------------------------------------------------------------------


def _shown(value):
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _convert_column(series, name, kind):
    """The column as the signature's type; a 400 naming the column and the first bad value."""
    import numpy as np
    import pandas as pd
    from pandas.api import types

    target = COLUMN_TYPES.get(kind)
    if target is None:
        return series

    def refuse(position, value, why=""):
        return _bad("column '%s' (%s in the model's signature): the value %s in row %d cannot be "
                    "converted%s" % (name, kind, _shown(value), position, why))

    values = series.tolist()
    if kind in ("double", "float", "long", "integer"):
        for i, v in enumerate(values):
            if isinstance(v, bool) or not isinstance(v, (int, float, np.number)) and v is not None:
                raise refuse(i, v)
            if kind in ("long", "integer") and (v is None or isinstance(v, float) and
                                                (not math.isfinite(v) or not v.is_integer())):
                raise refuse(i, v, " to a whole number")
        return series.astype(target[0])
    if kind == "boolean":
        for i, v in enumerate(values):
            if not isinstance(v, (bool, np.bool_)):
                raise refuse(i, v)
        return series.astype(bool)
    if kind in ("string", "binary"):
        for i, v in enumerate(values):
            if not isinstance(v, str):
                raise refuse(i, v)
        return series
    for i, v in enumerate(values):
        try:
            pd.Timestamp(v)
        except (ValueError, TypeError):
            raise refuse(i, v, " to a date and time") from None
    return pd.to_datetime(series) if not types.is_datetime64_any_dtype(series) else series


def _enforce_columns(data, specs):
    import pandas as pd

    if isinstance(data, dict):
        try:
            data = pd.DataFrame(data)
        except ValueError as exc:
            raise _bad("the named inputs do not form a table: %s" % exc) from None
    elif not isinstance(data, pd.DataFrame):
        data = pd.DataFrame(data)
    names = Signature.names(specs)
    if len(names) != len(specs):
        # Unnamed columns are matched by position.
        if data.shape[1] != len(specs):
            raise _bad("the model's signature has %d columns; the input has %d"
                       % (len(specs), data.shape[1]))
        return data
    present = set(str(c) for c in data.columns)
    missing = [s["name"] for s in specs if s["name"] not in present and s.get("required", True)]
    if missing:
        raise _bad("the input lacks column%s %s, which the model's signature requires (it expects "
                   "%s)" % ("s" if len(missing) > 1 else "", ", ".join("'%s'" % m for m in missing),
                            ", ".join(names)))
    data = data.rename(columns=str)
    for spec in specs:
        if spec["name"] in present:
            data[spec["name"]] = _convert_column(data[spec["name"]], spec["name"], spec.get("type"))
    return data


def _tensor(value, spec, what):
    import numpy as np

    tensor_spec = spec.get("tensor-spec") or {}
    dtype = tensor_spec.get("dtype")
    try:
        array = np.asarray(value, dtype=dtype) if dtype else np.asarray(value)
    except (ValueError, TypeError):
        raise _bad("%s cannot be converted to %s, the type the model's signature gives it"
                   % (what, dtype)) from None
    shape = list(tensor_spec.get("shape") or [])
    if shape and (array.ndim != len(shape) or any(want not in (-1, got)
                                                  for want, got in zip(shape, array.shape))):
        expected = "(%s)" % ", ".join("any" if d == -1 else str(d) for d in shape)
        raise _bad("%s has shape %s; the model's signature expects %s"
                   % (what, tuple(array.shape), expected))
    return array


def _enforce_tensors(data, specs):
    import pandas as pd

    names = Signature.names(specs)
    if not names:
        if isinstance(data, dict):
            raise _bad("the model takes one unnamed tensor; send a list, not named tensors (%s)"
                       % ", ".join(data))
        if isinstance(data, pd.DataFrame):
            data = data.to_numpy()
        return _tensor(data, specs[0], "the input")
    if isinstance(data, pd.DataFrame):
        data = {str(c): data[c].to_numpy() for c in data.columns}
    if not isinstance(data, dict):
        if len(specs) == 1:
            return {names[0]: _tensor(data, specs[0], "tensor '%s'" % names[0])}
        raise _bad("the model takes named tensors (%s); send an object of them" % ", ".join(names))
    missing = [n for n in names if n not in data]
    if missing:
        raise _bad("the input lacks tensor%s %s, which the model's signature requires"
                   % ("s" if len(missing) > 1 else "", ", ".join("'%s'" % m for m in missing)))
    return {s["name"]: _tensor(data[s["name"]], s, "tensor '%s'" % s["name"]) for s in specs}


def enforce_signature(data, signature):
    """The input converted to the signature's columns or tensors; unchanged without a signature."""
    specs = signature.inputs
    if not specs:
        return data
    if Signature.is_tensor(specs):
        return _enforce_tensors(data, specs)
    return _enforce_columns(data, specs)


def jsonable(value):
    """What Azure ML and MLflow both send for a prediction: records for frames, lists for arrays."""
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return value.to_dict(orient="records")
    if isinstance(value, pd.Series):
        return pd.DataFrame(value).to_dict(orient="records")
    tolist = getattr(value, "tolist", None)
    return tolist() if callable(tolist) else value


# -- the served model --------------------------------------------------------------------


class MlflowModel(core.ScoringScript):
    """The folder's model, loaded once per process and served by the rules above."""

    def __init__(self, model_path, model_dir=None):
        super().__init__("", model_dir)
        self.path = os.path.abspath(model_path) if model_path else ""
        self.name = os.path.basename(self.path) or "model"
        self.signature = Signature(None, None)
        self.load_calls = 0
        self._model = None

    def _prepare(self):
        self._model = self._load()
        self.signature = Signature.of(self._model)

    def _load(self):
        if not self.path:
            raise core.InvocationError(500, "ModelLoadFailed", "MLFUNC_MLFLOW_MODEL is not set; it "
                                       "must name the MLflow model folder", "load_failed")
        if not os.path.isfile(os.path.join(self.path, "MLmodel")):
            raise core.InvocationError(500, "ModelLoadFailed", "no MLmodel file in %s: not an MLflow "
                                       "model folder" % self.path, "load_failed")
        try:
            import mlflow.pyfunc
        except ImportError as exc:
            raise core.InvocationError(
                500, "ModelLoadFailed", "mlflow is not installed in %s (Python %d.%d): %s; install "
                "the model's requirements.txt there, or set MLFUNC_PYTHON to a Python that has them"
                % (sys.executable, sys.version_info[0], sys.version_info[1], core.describe(exc)),
                "load_failed") from None
        self.load_calls += 1
        try:
            return mlflow.pyfunc.load_model(self.path)
        except BaseException as exc:
            raise core.InvocationError(500, "ModelLoadFailed", "mlflow.pyfunc.load_model(%s) failed: %s"
                                       % (self.path, core.describe(exc)), "load_failed",
                                       core._script_traceback(exc)) from None

    def _score(self, req, invocation_id):
        if req.data_type == core.BINARY and req.trigger != "http":
            raise _bad("an MLflow model reads JSON; set the trigger's dataType to text")
        what = core._PAYLOAD_NAMES.get(req.trigger, "input")
        if req.trigger == "http":
            media_type = core._media_type(req.headers)
            if media_type is not None and not core._is_json_type(media_type):
                raise core._client_error("Content-Type must be application/json, not %s: the "
                                         "payload is %s" % (media_type, _ACCEPTED), 415,
                                         "UnsupportedMediaType")
        text = core._decode(req.body, what)
        if not text.strip():
            raise _bad("%s is empty; expected %s" % (what, _ACCEPTED))
        data, params, style = parse_payload(core._parse_json(text, what))
        data = enforce_signature(data, self.signature)
        prediction = self._predict(data, params)
        value = jsonable(prediction)
        if style == MLFLOW:
            value = {"predictions": value}
        return self._to_result(value, req, invocation_id)

    def _predict(self, data, params):
        try:
            if params is None:
                return self._model.predict(data)
            return self._model.predict(data, params=params)
        except BaseException as exc:
            if getattr(exc, "error_code", None) in ("INVALID_PARAMETER_VALUE", "BAD_REQUEST"):
                # MLflow's own schema check refused the input: the caller's mistake.
                raise _bad("the model refused the input: %s" % core._bounded(core.describe(exc))) from None
            raise core.InvocationError(500, "PredictFailed", "predict() of the MLflow model %s failed: %s"
                                       % (self.name, core.describe(exc)), "run_failed",
                                       core._script_traceback(exc)) from None

    def _health_result(self, req):
        body = json.dumps({"status": "ok", "function": req.function_name,
                           "mlflowModel": self.name}).encode("utf-8")
        return core.Result(200, body, outcome="health")

    def _swagger_document(self, function_name, requested):
        from .swagger import canonical_version, generated_document, mlflow_schemas

        version = canonical_version(requested)
        service_input, service_output = mlflow_schemas(self.signature, self.input_example())
        return generated_document(function_name or "score", version, service_input,
                                  service_output, "Predict with the MLflow model %s" % self.name)

    def input_example(self):
        """The folder's input example as an Azure ML payload's input_data, or None."""
        info = getattr(getattr(self._model, "metadata", None), "saved_input_example_info", None) or {}
        artifact = info.get("artifact_path") if isinstance(info, dict) else None
        if not artifact:
            return None
        try:
            with open(os.path.join(self.path, artifact), encoding="utf-8") as fh:
                example = json.load(fh)
        except (OSError, ValueError):
            return None
        if isinstance(example, dict) and set(example) == {"inputs"}:
            return example["inputs"]
        if isinstance(example, dict) and "data" in example and "columns" in example \
                and "index" not in example:
            # Azure ML's split frames carry an index; MLflow writes its examples without one.
            example = dict(example, index=list(range(len(example["data"]))))
        return example
