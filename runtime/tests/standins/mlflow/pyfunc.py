"""``load_model`` and the loaded model (see the package docstring)."""
import json
import os
import pickle

from .exceptions import MlflowException

load_calls = 0


class _Schema:
    def __init__(self, specs):
        self._specs = specs

    def to_dict(self):
        return [dict(s) for s in self._specs]


class _Metadata:
    def __init__(self, mlmodel):
        signature = mlmodel.get("signature") or {}
        self._inputs = json.loads(signature["inputs"]) if signature.get("inputs") else None
        self._outputs = json.loads(signature["outputs"]) if signature.get("outputs") else None
        self.saved_input_example_info = mlmodel.get("saved_input_example_info")

    def get_input_schema(self):
        return None if self._inputs is None else _Schema(self._inputs)

    def get_output_schema(self):
        return None if self._outputs is None else _Schema(self._outputs)


def _refuse(message):
    return MlflowException("Failed to enforce schema of data: " + message, "INVALID_PARAMETER_VALUE")


_DTYPES = {"double": "float64", "float": "float32", "long": "int64", "integer": "int32",
           "boolean": "bool", "string": "object"}


class PyFuncModel:
    def __init__(self, model, metadata):
        self._model = model
        self.metadata = metadata
        self.predict_calls = []

    def _check(self, data):
        import numpy as np
        import pandas as pd

        specs = self.metadata._inputs
        if not specs:
            return data
        if specs[0].get("type") == "tensor":
            want = specs[0]["tensor-spec"]
            if not isinstance(data, np.ndarray) or str(data.dtype) != want["dtype"] \
                    or data.ndim != len(want["shape"]):
                raise _refuse("dtype or shape of the input does not match %s" % want)
            return data
        if not isinstance(data, pd.DataFrame):
            raise _refuse("a column signature needs a DataFrame")
        missing = [s["name"] for s in specs if s["name"] not in data.columns]
        if missing:
            raise _refuse("Model is missing inputs %s." % missing)
        for s in specs:
            if str(data[s["name"]].dtype) != _DTYPES.get(s["type"], str(data[s["name"]].dtype)):
                raise _refuse("Incompatible input types for column %s." % s["name"])
        return data[[s["name"] for s in specs]]

    def predict(self, data, params=None):
        self.predict_calls.append((data, params))
        data = self._check(data)
        if params and params.get("fail"):
            raise RuntimeError("predict failed on purpose")
        return self._model.predict(data)


def load_model(model_uri):
    global load_calls
    load_calls += 1
    try:
        with open(os.path.join(model_uri, "MLmodel"), encoding="utf-8") as fh:
            mlmodel = json.load(fh)
    except (OSError, ValueError) as exc:
        raise MlflowException("cannot read MLmodel in %s: %s" % (model_uri, exc)) from None
    sklearn = (mlmodel.get("flavors") or {}).get("sklearn")
    if not sklearn:
        raise MlflowException("the stand-in loads only sklearn models")
    with open(os.path.join(model_uri, sklearn["pickled_model"]), "rb") as fh:
        model = pickle.load(fh)
    return PyFuncModel(model, _Metadata(mlmodel))
