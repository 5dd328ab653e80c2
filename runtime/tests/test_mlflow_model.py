"""An MLflow model folder served without a scoring script (mlflow_model.MlflowModel).

The model is a real scikit-learn LinearRegression in a folder laid out as MLflow
writes it (mlflow_fixture.py), loaded through the mlflow.pyfunc stand-in
(standins/mlflow). Predictions are compared with the estimator's own.
"""
import json
import logging
import math
import os
import subprocess
import tempfile
import unittest
from unittest import mock

from mlfunc_runtime import core, mlflow_model
from mlfunc_runtime.mlflow_model import MlflowModel

from . import fake_azure_functions as fake
from . import mlflow_fixture, support

TRIGGERS = ("http", "blob", "serviceBus")


def request(trigger, body, method="POST", headers=None, **kwargs):
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode("utf-8")
    if trigger == "http":
        return core.InvocationRequest(body, trigger="http", function_name="score", method=method,
                                      headers={"Content-Type": "application/json"} if headers is None
                                      else headers, **kwargs)
    return core.InvocationRequest(body, trigger=trigger, function_name="score", source="in/a.json",
                                  **kwargs)


def invoke(model, req):
    logging.getLogger("mlfunc").setLevel(logging.CRITICAL)
    try:
        return model.invoke(req)
    finally:
        logging.getLogger("mlfunc").setLevel(logging.NOTSET)


class MlflowTestCase(unittest.TestCase):
    kind = mlflow_fixture.COLUMNS

    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.TemporaryDirectory()
        cls.folder = os.path.join(cls._tmp.name, "model")
        cls.estimator = mlflow_fixture.make_model(cls.folder, cls.kind)
        X, _ = mlflow_fixture.training_data()
        cls.rows = X.head(3)
        cls.expected = cls.estimator.predict(cls.rows.values if cls.kind == mlflow_fixture.TENSOR
                                             else cls.rows).tolist()

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    def setUp(self):
        self.model = MlflowModel(self.folder)

    def assertPredictions(self, actual):
        self.assertIsInstance(actual, list)
        self.assertEqual(len(actual), len(self.expected), actual)
        for got, want in zip(actual, self.expected):
            self.assertTrue(math.isclose(got, want, rel_tol=support.PREDICTION_RTOL), (got, want))

    def answer(self, payload, trigger="http"):
        result = invoke(self.model, request(trigger, payload))
        return result.status, json.loads(result.body)

    def split(self, index=True):
        frame = {"columns": list(self.rows.columns), "data": self.rows.values.tolist()}
        if index:
            frame["index"] = [0, 1, 2]
        return frame


class ColumnSignatureTest(MlflowTestCase):
    def test_azureml_split_frame_on_every_trigger(self):
        for trigger in TRIGGERS:
            with self.subTest(trigger=trigger):
                status, body = self.answer({"input_data": self.split()}, trigger)
                self.assertEqual(status, 200, body)
                self.assertPredictions(body)

    def test_azureml_split_frame_without_index_and_with_params(self):
        status, body = self.answer({"input_data": self.split(index=False), "params": {"k": 1}})
        self.assertEqual(status, 200, body)
        self.assertPredictions(body)
        self.assertEqual(self.model._model.predict_calls[-1][1], {"k": 1})

    def test_mlflow_serving_frames_answer_predictions(self):
        records = self.rows.to_dict(orient="records")
        for payload in ({"dataframe_split": self.split()}, {"dataframe_records": records}):
            with self.subTest(key=next(iter(payload))):
                status, body = self.answer(payload)
                self.assertEqual(status, 200, body)
                self.assertEqual(list(body), ["predictions"])
                self.assertPredictions(body["predictions"])

    def test_whole_numbers_for_double_columns_are_converted(self):
        frame = {"columns": list(self.rows.columns), "data": [[1] * 10]}
        status, body = self.answer({"input_data": frame})
        self.assertEqual(status, 200, body)
        data, _ = self.model._model.predict_calls[-1]
        self.assertEqual(str(data["age"].dtype), "float64")
        self.assertAlmostEqual(body[0], float(self.estimator.predict(data)[0]), delta=1e-9)

    def test_missing_column_is_400_naming_it(self):
        frame = {"columns": list(self.rows.columns[1:]), "data": self.rows.values[:, 1:].tolist()}
        status, body = self.answer({"input_data": frame})
        self.assertEqual(status, 400)
        self.assertEqual(body, {"error": {"code": "InvalidInput", "message":
                         "the input lacks column 'age', which the model's signature requires (it "
                         "expects age, sex, bmi, bp, s1, s2, s3, s4, s5, s6)"}})

    def test_unconvertible_value_is_400_naming_the_column(self):
        records = self.rows.to_dict(orient="records")
        records[1]["bmi"] = "tall"
        status, body = self.answer({"dataframe_records": records})
        self.assertEqual(status, 400)
        self.assertEqual(body["error"]["message"], "column 'bmi' (double in the model's signature): "
                         "the value \"tall\" in row 1 cannot be converted")
        self.assertEqual(self.model._model.predict_calls, [])

    def test_a_list_for_a_column_signature_is_400_naming_the_columns(self):
        status, body = self.answer({"input_data": self.rows.values.tolist()})
        self.assertEqual(status, 400)
        self.assertIn("the input lacks columns 'age', 'sex'", body["error"]["message"])

    def test_payloads_that_are_neither_form(self):
        accepted = ('{"input_data": ...} (Azure ML) or exactly one of dataframe_split, '
                    'dataframe_records, instances, inputs (mlflow models serve)')
        cases = [
            ({"data": [[1]]}, "the payload must be %s; its members: data" % accepted),
            ({"dataframe_split": self.split(), "instances": [[1]]},
             "the payload must be %s; its members: dataframe_split, instances" % accepted),
            ({"input_data": self.split(), "inputs": [[1]]},
             "input_data (Azure ML) and inputs (mlflow models serve) cannot be mixed; send one of them"),
            ([1, 2], "the payload must be a JSON object: %s, not an array" % accepted),
            ({"input_data": "x"}, "input_data must be a frame in split orientation (columns, index, "
             "data), a list or an object of named tensors, not a string"),
            ({"input_data": self.split(), "params": [1]},
             "params must be a JSON object of parameter names and values, not an array"),
            ({"dataframe_split": {"columns": ["a"], "data": [[1]], "rows": 1}},
             "dataframe_split in split orientation has data and optionally columns and index; "
             "unknown: rows"),
        ]
        for payload, message in cases:
            with self.subTest(payload=payload):
                status, body = self.answer(payload)
                self.assertEqual((status, body), (400, {"error": {"code": "InvalidInput",
                                                                  "message": message}}))

    def test_declared_non_json_is_415(self):
        req = request("http", {"input_data": self.split()}, headers={"Content-Type": "text/csv"})
        result = invoke(self.model, req)
        self.assertEqual(result.status, 415)
        self.assertEqual(json.loads(result.body)["error"]["code"], "UnsupportedMediaType")

    def test_loaded_once_per_process(self):
        for _ in range(3):
            self.assertEqual(self.answer({"input_data": self.split()})[0], 200)
        self.assertEqual(self.model.load_calls, 1)

    def test_health_names_the_model(self):
        result = invoke(self.model, request("http", b"", method="GET"))
        self.assertEqual(result.status, 200)
        self.assertEqual(json.loads(result.body), {"status": "ok", "function": "score",
                                                   "mlflowModel": "model"})

    def test_predict_failure_is_500_with_the_generic_body(self):
        result = invoke(self.model, request("http", {"input_data": self.split(),
                                                     "params": {"fail": True}}))
        self.assertEqual(result.status, 500)
        self.assertEqual(json.loads(result.body), {"error": {
            "code": "PredictFailed", "invocationId": result.invocation_id,
            "message": "predict() of the MLflow model failed; see the function's logs for "
                       "invocation %s" % result.invocation_id}})
        self.assertIn("RuntimeError: predict failed on purpose", result.error_message)

    def test_swagger_describes_the_signature_with_the_example(self):
        req = request("http", b"", method="GET", subpath="swagger.json", params={"version": "3"})
        result = invoke(self.model, req)
        self.assertEqual(result.status, 200)
        doc = json.loads(result.body)
        service_input = doc["components"]["schemas"]["ServiceInput"]
        self.assertEqual(service_input["required"], ["input_data"])
        self.assertIn("columns: age (double), sex (double)",
                      service_input["properties"]["input_data"]["description"])
        example = service_input["example"]["input_data"]
        self.assertEqual(example["columns"], mlflow_fixture.FEATURES)
        self.assertEqual(example["index"], [0, 1])
        self.assertEqual(doc["components"]["schemas"]["ServiceOutput"],
                         {"type": "array", "items": {"type": "number"}})
        # The example is a payload this function answers.
        status, body = self.answer(service_input["example"])
        self.assertEqual((status, len(body)), (200, 2))


class TensorSignatureTest(MlflowTestCase):
    kind = mlflow_fixture.TENSOR

    def test_azureml_list_and_mlflow_tensor_keys(self):
        rows = self.rows.values.tolist()
        for payload, wrapped in (({"input_data": rows}, False), ({"instances": rows}, True),
                                 ({"inputs": rows}, True)):
            with self.subTest(key=next(iter(payload))):
                status, body = self.answer(payload)
                self.assertEqual(status, 200, body)
                self.assertPredictions(body["predictions"] if wrapped else body)

    def test_wrong_shape_and_dtype_are_400(self):
        cases = [
            ({"input_data": [[1.0, 2.0]]}, "the input has shape (1, 2); the model's signature "
                                           "expects (any, 10)"),
            ({"inputs": [["a"] * 10]}, "the input cannot be converted to float64, the type the "
                                       "model's signature gives it"),
            ({"input_data": {"x": [[1.0] * 10]}}, "the model takes one unnamed tensor; send a "
                                                   "list, not named tensors (x)"),
        ]
        for payload, message in cases:
            with self.subTest(payload=payload):
                self.assertEqual(self.answer(payload), (400, {"error": {
                    "code": "InvalidInput", "message": message}}))

    def test_swagger_output_and_input_are_arrays(self):
        result = invoke(self.model, request("http", b"", method="GET", subpath="swagger.json"))
        doc = json.loads(result.body)
        self.assertEqual(doc["definitions"]["ServiceInput"]["properties"]["input_data"],
                         {"type": "array", "items": {"type": "array", "items": {"type": "number"},
                                                     "minItems": 10, "maxItems": 10}})
        self.assertNotIn("example", doc["definitions"]["ServiceInput"])


class NoSignatureTest(MlflowTestCase):
    kind = mlflow_fixture.NONE

    def test_frames_pass_through_to_predict(self):
        status, body = self.answer({"input_data": self.split()})
        self.assertEqual(status, 200, body)
        self.assertPredictions(body)
        status, body = self.answer({"dataframe_records": self.rows.to_dict(orient="records")})
        self.assertPredictions(body["predictions"])


class NamedTensorTest(unittest.TestCase):
    """enforce_signature with named tensors (the stand-in serves only sklearn models)."""

    signature = mlflow_model.Signature(
        [{"type": "tensor", "name": n, "tensor-spec": {"dtype": "float64", "shape": [-1, 2]}}
         for n in ("a", "b")], None)

    def test_each_name_converted_to_its_dtype(self):
        data, _, style = mlflow_model.parse_payload({"input_data": {"a": [[1, 2]], "b": [[3, 4]]}})
        out = mlflow_model.enforce_signature(data, self.signature)
        self.assertEqual(style, mlflow_model.AZUREML)
        self.assertEqual({k: (str(v.dtype), v.tolist()) for k, v in out.items()},
                         {"a": ("float64", [[1.0, 2.0]]), "b": ("float64", [[3.0, 4.0]])})

    def test_rows_of_instances_become_named_tensors(self):
        data, _, style = mlflow_model.parse_payload({"instances": [{"a": [1, 2], "b": [3, 4]},
                                                                   {"a": [5, 6], "b": [7, 8]}]})
        out = mlflow_model.enforce_signature(data, self.signature)
        self.assertEqual(style, mlflow_model.MLFLOW)
        self.assertEqual(out["b"].tolist(), [[3.0, 4.0], [7.0, 8.0]])

    def test_a_missing_name_and_a_wrong_shape_are_400(self):
        cases = [({"inputs": {"a": [[1, 2]]}}, "the input lacks tensor 'b', which the model's "
                                               "signature requires"),
                 ({"inputs": {"a": [[1, 2]], "b": [1, 2]}}, "tensor 'b' has shape (2,); the model's "
                                                           "signature expects (any, 2)")]
        for payload, message in cases:
            with self.subTest(payload=payload):
                data, _, _ = mlflow_model.parse_payload(payload)
                with self.assertRaises(core.InvocationError) as caught:
                    mlflow_model.enforce_signature(data, self.signature)
                self.assertEqual((caught.exception.status, caught.exception.message), (400, message))


class LoadFailureTest(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.folder = os.path.join(tmp.name, "broken")
        mlflow_fixture.make_model(self.folder)
        os.remove(os.path.join(self.folder, "model.pkl"))

    def test_health_is_503_and_scoring_500_until_it_loads(self):
        model = MlflowModel(self.folder)
        health = invoke(model, request("http", b"", method="GET"))
        self.assertEqual(health.status, 503)
        self.assertEqual(json.loads(health.body)["error"]["code"], "ModelLoadFailed")
        scored = invoke(model, request("http", {"input_data": [[1]]}))
        self.assertEqual(scored.status, 500)
        self.assertEqual(json.loads(scored.body)["error"]["message"],
                         "the MLflow model could not be loaded; see the function's logs for "
                         "invocation %s" % scored.invocation_id)
        self.assertIn("mlflow.pyfunc.load_model(%s) failed" % self.folder, scored.error_message)
        # Retried on the next call: the model loads once it is there.
        mlflow_fixture.make_model(self.folder)
        self.assertEqual(invoke(model, request("http", b"", method="GET")).status, 200)
        self.assertEqual(model.load_calls, 3)


class EntryTest(MlflowTestCase):
    """The deployed image: no MLFUNC_SCORING_SCRIPT, MLFUNC_MLFLOW_MODEL names the folder."""

    def setUp(self):
        super().setUp()
        self.addCleanup(fake.install())
        import mlfunc_runtime.entry as entry

        self.entry = entry
        core._scripts.clear()
        self.addCleanup(core._scripts.clear)
        patcher = mock.patch.dict(os.environ, {"MLFUNC_MLFLOW_MODEL": self.folder})
        patcher.start()
        self.addCleanup(patcher.stop)
        os.environ.pop("MLFUNC_SCORING_SCRIPT", None)

    def test_http_main_serves_the_folder(self):
        req = fake.HttpRequest("POST", "https://app.example/api/score",
                               headers={"Content-Type": "application/json"},
                               body=json.dumps({"input_data": self.split()}).encode("utf-8"))
        response = self.entry.http_main(req, fake.Context("score"))
        self.assertEqual(response.status_code, 200)
        self.assertPredictions(json.loads(response.get_body()))
        self.assertIsInstance(core.script_from_env(), MlflowModel)

    def test_a_scoring_script_wins_over_the_folder(self):
        os.environ["MLFUNC_SCORING_SCRIPT"] = support.EXAMPLE_SCRIPT
        self.assertIsInstance(core.script_from_env(), core.ScoringScript)
        self.assertNotIsInstance(core.script_from_env(), MlflowModel)


class LocalCliTest(MlflowTestCase):
    def cli(self, *args):
        env = support.cli_env()
        env["PYTHONPATH"] += os.pathsep + support.STANDINS
        argv = [support.PYTHON, "-m", "mlfunc_runtime.local", "--function", "score",
                "--model-dir", os.path.dirname(self.folder), *args]
        return subprocess.run(argv, cwd=self._tmp.name, env=env, capture_output=True, text=True,
                              timeout=120)

    def test_invoke_and_swagger(self):
        payload = os.path.join(self._tmp.name, "payload.json")
        with open(payload, "w", encoding="utf-8") as fh:
            json.dump({"dataframe_split": self.split()}, fh)
        proc = self.cli("--trigger", "http", "--mlflow-model", self.folder, "--input", payload)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        status, body = proc.stdout.split("\n", 1)
        self.assertEqual(status, "HTTP 200")
        self.assertPredictions(json.loads(body)["predictions"])
        proc = self.cli("--trigger", "http", "--mlflow-model", self.folder, "--swagger")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(json.loads(proc.stdout)["swagger"], "2.0")

    def test_a_folder_without_mlmodel_is_a_usage_error(self):
        proc = self.cli("--trigger", "http", "--mlflow-model", self._tmp.name, "--input", "x")
        self.assertEqual(proc.returncode, 2)
        self.assertEqual(proc.stderr.strip(), "error: not an MLflow model folder (no MLmodel file): "
                         + self._tmp.name)


if __name__ == "__main__":
    unittest.main()
