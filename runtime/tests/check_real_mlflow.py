"""Checks the no-code MLflow path against the real MLflow library; not part of the test suite.

The suite runs against the mlflow.pyfunc stand-in (standins/mlflow). This script needs the real
MLflow (2.x) and scikit-learn importable by this Python, and node for ``npm run invoke``:

    cd <repository> && python3 runtime/tests/check_real_mlflow.py

It saves real models with ``mlflow.sklearn.save_model`` (a regressor with a column signature and an
input example, one without a signature, one with a tensor signature) and ``mlflow.pyfunc.save_model``
(a python_model with two named tensor inputs), then sends every payload form
through ``mlfunc_runtime`` in process (HTTP, blob and Service Bus) and through ``npm run invoke``
(HTTP), and compares each answer with:
  * ``pyfunc.predict`` on the input as MLflow's own parsing reads it
    (``mlflow.utils.proto_json_utils.dataframe_from_parsed_json`` / ``parse_tf_serving_input``),
    within 1e-9 relative;
  * the answer shape: ``_get_jsonable_obj(prediction, "records")`` for Azure ML's input_data (what
    Azure ML's mlflow_score_script.py returns), ``{"predictions": ...}`` of it for MLflow's keys.
Exit 0 when every check passes; one line per check either way.
"""
import json
import math
import os
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "runtime"))

import mlflow  # noqa: E402
import mlflow.pyfunc  # noqa: E402
import mlflow.sklearn  # noqa: E402
import numpy as np  # noqa: E402
from mlflow.models import ModelSignature, infer_signature  # noqa: E402
from mlflow.types import Schema, TensorSpec  # noqa: E402
from mlflow.utils import proto_json_utils as pj  # noqa: E402
from sklearn.datasets import load_diabetes  # noqa: E402
from sklearn.linear_model import LinearRegression  # noqa: E402

from mlfunc_runtime import core  # noqa: E402
from mlfunc_runtime.mlflow_model import MlflowModel  # noqa: E402

RTOL = 1e-9
failures = []


def check(name, ok, detail=""):
    print("%s %s%s" % ("ok  " if ok else "FAIL", name, (": " + detail) if detail and not ok else ""))
    if not ok:
        failures.append(name)


def close(actual, expected):
    if isinstance(expected, list):
        return isinstance(actual, list) and len(actual) == len(expected) and all(
            close(a, e) for a, e in zip(actual, expected))
    if isinstance(expected, dict):
        return isinstance(actual, dict) and set(actual) == set(expected) and all(
            close(actual[k], expected[k]) for k in expected)
    if isinstance(expected, float):
        return isinstance(actual, (int, float)) and math.isclose(actual, expected, rel_tol=RTOL)
    return actual == expected


def save_models(root):
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    columns = LinearRegression().fit(X, y)
    tensor = LinearRegression().fit(X.values, y)
    # Each inside its own project folder, as a model must be to ship.
    paths = {name: os.path.join(root, "project-" + name, "model")
             for name in ("columns", "nosignature", "tensor")}
    mlflow.sklearn.save_model(columns, paths["columns"], signature=infer_signature(X, columns.predict(X)),
                              input_example=X.head(2))
    mlflow.sklearn.save_model(columns, paths["nosignature"])
    mlflow.sklearn.save_model(tensor, paths["tensor"],
                              signature=infer_signature(X.values, tensor.predict(X.values)))
    paths["named"] = os.path.join(root, "project-named", "model")
    two = Schema([TensorSpec(np.dtype("float64"), (-1, 2), "a"), TensorSpec(np.dtype("float64"), (-1, 2), "b")])
    mlflow.pyfunc.save_model(paths["named"], python_model=NamedSum(),
                             signature=ModelSignature(inputs=two, outputs=Schema([TensorSpec(
                                 np.dtype("float64"), (-1, 2))])))
    return X.head(3), paths


class NamedSum(mlflow.pyfunc.PythonModel):
    """A model with named tensor inputs: a + b, elementwise."""

    def predict(self, context, model_input, params=None):
        return model_input["a"] + model_input["b"]


def payloads(rows, kind):
    split = {"columns": list(rows.columns), "index": [0, 1, 2], "data": rows.values.tolist()}
    records = rows.to_dict(orient="records")
    if kind == "named":
        a = [[1.5, 2.0], [3.0, 4.25]]
        b = [[0.5, 1.0], [2.0, 0.75]]
        return [("input_data named tensors", {"input_data": {"a": a, "b": b}}, ("inputs", {"a": a, "b": b})),
                ("inputs named tensors", {"inputs": {"a": a, "b": b}}, ("inputs", {"a": a, "b": b})),
                ("instances rows of named tensors",
                 {"instances": [{"a": a[0], "b": b[0]}, {"a": a[1], "b": b[1]}]},
                 ("instances", [{"a": a[0], "b": b[0]}, {"a": a[1], "b": b[1]}]))]
    if kind == "tensor":
        data = rows.values.tolist()
        return [("input_data list", {"input_data": data}, ("inputs", data)),
                ("instances", {"instances": data}, ("instances", data)),
                ("inputs", {"inputs": data}, ("inputs", data))]
    return [("input_data split", {"input_data": split}, ("split", split)),
            ("input_data split + params", {"input_data": split, "params": {}}, ("split", split)),
            ("dataframe_split", {"dataframe_split": split}, ("split", split)),
            ("dataframe_records", {"dataframe_records": records}, ("records", records)),
            ("dataframe_records, whole numbers", {"dataframe_records": [{c: 1 for c in rows.columns}]},
             ("records", [{c: 1 for c in rows.columns}]))]


def reference(model, how):
    """What MLflow's own parsing makes of the payload, predicted by pyfunc, made JSON-able."""
    kind, value = how
    schema = model.metadata.get_input_schema()
    if kind in ("split", "records"):
        data = pj.dataframe_from_parsed_json(value, pandas_orient=kind, schema=schema)
    else:
        data = pj.parse_tf_serving_input({kind: value}, schema=schema)
    return pj._get_jsonable_obj(model.predict(data), pandas_orient="records")


def in_process(folder, payload, trigger):
    served = MlflowModel(folder)
    req = core.InvocationRequest(json.dumps(payload).encode("utf-8"), trigger=trigger,
                                 function_name="score", headers={"Content-Type": "application/json"})
    result = served.invoke(req)
    return result.status, json.loads(result.body)


def invoke(project, payload, name):
    path = os.path.join(project, name + ".json")
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(payload, fh)
    env = dict(os.environ, MLFUNC_CONFIG=os.path.join(project, "mlfunc.yaml"))
    proc = subprocess.run(["node", os.path.join(REPO, "scripts", "mlfunc.js"), "invoke", "predict", path],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    status, _, body = proc.stdout.partition("\n")
    return int(status.split()[1]) if status.startswith("HTTP ") else None, json.loads(body or "null"), proc


def project_for(folder):
    project = os.path.dirname(folder)
    with open(os.path.join(project, "mlfunc.yaml"), "w", encoding="utf-8") as fh:
        fh.write("name: real\nlocation: westeurope\nnameSeed: check\nmodel:\n  path: model\n"
                 "functions:\n  - name: predict\n    trigger:\n      type: http\n"
                 "environments:\n  dev: {}\n")
    return project


def main():
    check("real MLflow imported (not the stand-in)", not mlflow.__version__.endswith("standin"),
          mlflow.__version__)
    print("mlflow %s from %s" % (mlflow.__version__, os.path.dirname(mlflow.__file__)))
    with tempfile.TemporaryDirectory() as root:
        rows, paths = save_models(root)
        for kind, folder in paths.items():
            model = mlflow.pyfunc.load_model(folder)
            project = project_for(folder)
            for name, payload, how in payloads(rows, kind):
                want = reference(model, how)
                if "input_data" not in payload:
                    want = {"predictions": want}
                for trigger in ("http", "blob", "serviceBus"):
                    status, body = in_process(folder, payload, trigger)
                    check("%s / %s / %s in process" % (kind, name, trigger),
                          status == 200 and close(body, want), "%s %s vs %s" % (status, body, want))
                status, body, proc = invoke(project, payload, name.replace(" ", "_").replace(",", ""))
                check("%s / %s / npm run invoke" % (kind, name), status == 200 and close(body, want),
                      "%s %s vs %s\n%s" % (status, body, want, proc.stderr[-2000:]))
        # The signature's refusals, as 400s naming the column, before predict.
        split = {"columns": list(rows.columns[1:]), "data": rows.values[:, 1:].tolist()}
        status, body = in_process(paths["columns"], {"input_data": split}, "http")
        check("missing column is 400 naming it", status == 400 and "'age'" in body["error"]["message"], body)
        records = rows.to_dict(orient="records")
        records[0]["bmi"] = "tall"
        status, body = in_process(paths["columns"], {"dataframe_records": records}, "http")
        check("unconvertible value is 400 naming the column",
              status == 400 and "column 'bmi'" in body["error"]["message"], body)
        status, body = in_process(paths["tensor"], {"inputs": [[1.0, 2.0]]}, "http")
        check("wrong tensor shape is 400", status == 400 and "shape (1, 2)" in body["error"]["message"], body)
        # swagger with the saved input example, which the function answers.
        proc = subprocess.run(["node", os.path.join(REPO, "scripts", "mlfunc.js"), "invoke", "predict",
                               "--swagger"], cwd=REPO, capture_output=True, text=True, timeout=300,
                              env=dict(os.environ, MLFUNC_CONFIG=os.path.join(root, "project-columns",
                                                                              "mlfunc.yaml")))
        doc = json.loads(proc.stdout)
        example = doc["definitions"]["ServiceInput"].get("example")
        check("swagger carries the saved input example", isinstance(example, dict), proc.stderr[-500:])
        status, body = in_process(paths["columns"], example, "http")
        want = pj._get_jsonable_obj(mlflow.pyfunc.load_model(paths["columns"]).predict(
            pj.dataframe_from_parsed_json(example["input_data"], "split")), "records")
        check("the swagger example is answered like pyfunc.predict", status == 200 and close(body, want),
              "%s %s" % (status, body))
    print("%d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
