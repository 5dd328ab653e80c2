import json
import logging
import os
import tempfile
import threading
import unittest
import uuid
from unittest import mock

from mlfunc_runtime import core
from mlfunc_runtime.core import InvocationRequest, ScoringScript

from . import support


def http(body, **kwargs):
    kwargs.setdefault("function_name", "score")
    return InvocationRequest(body, trigger="http", **kwargs)


class ExampleModelTest(unittest.TestCase):
    def test_seed_payload_matches_direct_prediction(self):
        script = ScoringScript(support.EXAMPLE_SCRIPT, support.EXAMPLE_DIR)
        with mock.patch.dict(os.environ, {"AZUREML_MODEL_DIR": support.EXAMPLE_DIR}):
            result = script.invoke(http(support.sample_bytes()))
        self.assertEqual(result.status, 200, result.body)
        self.assertEqual(result.mimetype, "application/json")
        support.assert_predictions(self, json.loads(result.body))
        self.assertEqual(len(json.loads(result.body)), 2)

    def test_missing_model_file_names_the_file_and_the_folder_in_the_log_only(self):
        with tempfile.TemporaryDirectory() as empty, \
                mock.patch.dict(os.environ, {"AZUREML_MODEL_DIR": empty}):
            script = ScoringScript(support.EXAMPLE_SCRIPT, empty)
            with self.assertLogs("mlfunc.script", logging.ERROR) as logs:
                result = script.invoke(http(support.sample_bytes(), invocation_id="inv-model"))
            expected = ("init() of score.py failed: FileNotFoundError: [Errno 2] No such file or "
                        "directory: '%s/sklearn_regression_model.pkl' (model directory %s is empty)"
                        % (empty, empty))
            self.assertEqual(result.status, 500)
            self.assertEqual(result.error_message, expected)
            self.assertEqual(json.loads(result.body), support.generic_error("InitFailed", "inv-model"))
            self.assertNotIn(empty.encode(), result.body)
            self.assertIn("invocation=inv-model " + expected, "\n".join(logs.output))


class InitLifecycleTest(unittest.TestCase):
    def test_init_runs_once_across_many_invocations(self):
        script = ScoringScript(support.fixture("counting_score.py"))
        for i in range(50):
            result = script.invoke(http(json.dumps({"i": i}).encode()))
            self.assertEqual(result.status, 200)
            self.assertEqual(json.loads(result.body)["echo"], {"i": i})
        self.assertEqual(script.module.INIT_CALLS, 1)
        self.assertEqual(script.module.RUN_CALLS, 50)
        self.assertEqual(script.init_calls, 1)

    def test_concurrent_first_invocations_share_one_init(self):
        script = ScoringScript(support.fixture("counting_score.py"))
        results = []
        threads = [threading.Thread(target=lambda: results.append(script.invoke(http(b"[1]"))))
                   for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual([r.status for r in results], [200] * 8)
        self.assertEqual(script.module.INIT_CALLS, 1)

    def test_failed_init_is_reported_and_retried_until_it_succeeds(self):
        script = ScoringScript(support.fixture("flaky_init_score.py"))
        with self.assertLogs("mlfunc.script", logging.ERROR) as logs:
            first = script.invoke(http(b"{}"))
        self.assertEqual(first.status, 500)
        self.assertEqual(first.error_message,
                         "init() of flaky_init_score.py failed: RuntimeError: model store not ready")
        self.assertNotIn("Traceback", first.body.decode())
        logged = "\n".join(logs.output)
        self.assertIn("Traceback (most recent call last)", logged)
        self.assertIn("flaky_init_score.py", logged)
        self.assertNotIn("mlfunc_runtime", logged, "runtime frames should be trimmed from the traceback")

        second = script.invoke(http(b"{}"))
        third = script.invoke(http(b"{}"))
        self.assertEqual((second.status, third.status), (200, 200))
        self.assertEqual(json.loads(third.body), {"init_calls": 2})
        self.assertEqual(script.module.INIT_CALLS, 2)


class ScriptLoadingTest(unittest.TestCase):
    def test_missing_package_is_named(self):
        script = ScoringScript(support.fixture("missing_module_score.py"))
        with self.assertLogs("mlfunc.script", logging.ERROR):
            result = script.invoke(http(b"{}"))
        self.assertEqual(result.status, 500)
        self.assertEqual(result.error_message,
                         "could not import scoring script missing_module_score.py: module "
                         "'mlfunc_no_such_package' is not installed (add the package that provides "
                         "it to requirements.txt)")
        self.assertEqual(json.loads(result.body)["error"]["code"], "ScriptLoadFailed")

    def test_missing_script(self):
        script = ScoringScript("/nonexistent/dir/score.py")
        with self.assertLogs("mlfunc.script", logging.ERROR):
            result = script.invoke(http(b"{}"))
        self.assertEqual(result.status, 500)
        self.assertEqual(result.error_message, "scoring script not found: /nonexistent/dir/score.py")

    def test_unset_script_variable(self):
        with mock.patch.dict(os.environ, {"MLFUNC_SCORING_SCRIPT": ""}):
            core._scripts.clear()
            script = core.script_from_env()
        with self.assertLogs("mlfunc.script", logging.ERROR):
            result = script.invoke(http(b"{}"))
        self.assertEqual(result.error_message,
                         "MLFUNC_SCORING_SCRIPT is not set; it must name the scoring script")

    def test_script_without_run(self):
        script = ScoringScript(support.fixture("no_run_score.py"))
        with self.assertLogs("mlfunc.script", logging.ERROR):
            result = script.invoke(http(b"{}"))
        self.assertEqual(result.error_message, "scoring script no_run_score.py does not define run()")


class InputValidationTest(unittest.TestCase):
    def setUp(self):
        self.script = ScoringScript(support.fixture("counting_score.py"))

    def assertClientError(self, body, message, trigger="http"):
        with self.assertLogs("mlfunc.invocation", logging.WARNING):
            result = self.script.invoke(InvocationRequest(body, trigger=trigger, function_name="f"))
        self.assertEqual(result.status, 400)
        self.assertEqual(result.outcome, "client_error")
        self.assertEqual(json.loads(result.body),
                         {"error": {"code": "InvalidInput", "message": message}})

    def test_invalid_json_reports_line_and_column(self):
        self.assertClientError(b'{"data": [1, 2,]}',
                               "request body is not valid JSON: Expecting value: line 1 column 16 (char 15)")
        self.assertClientError(b'{\n  "data": [1, 2\n}',
                               "request body is not valid JSON: Expecting ',' delimiter: "
                               "line 3 column 1 (char 18)")

    def test_invalid_utf8(self):
        self.assertClientError(b"\xff\xfe{}", "request body is not valid UTF-8 (invalid start byte at byte 0)")

    def test_empty_body(self):
        self.assertClientError(b"", "request body is empty; expected JSON")

    def test_message_names_the_trigger_payload(self):
        self.assertClientError(b"nope", "blob content is not valid JSON: Expecting value: "
                               "line 1 column 1 (char 0)", trigger="blob")
        self.assertClientError(b"nope", "message body is not valid JSON: Expecting value: "
                               "line 1 column 1 (char 0)", trigger="serviceBus")

    def test_text_is_passed_to_run_unchanged(self):
        result = self.script.invoke(http(b'  {"a": [1, 2.50]}  '))
        self.assertEqual(json.loads(result.body)["type"], "str")
        self.assertEqual(json.loads(result.body)["echo"], {"a": [1, 2.5]})

    def test_binary_mode_passes_bytes(self):
        result = self.script.invoke(InvocationRequest(b"\x00\x01\xff", trigger="blob",
                                                      data_type=core.BINARY))
        self.assertEqual(json.loads(result.body), {"type": "bytes", "length": 3, "init_calls": 1})


class ResultEncodingTest(unittest.TestCase):
    def invoke(self, fixture_name, body=b"{}"):
        return ScoringScript(support.fixture(fixture_name)).invoke(http(body))

    def test_numpy_values_are_encoded(self):
        result = self.invoke("numpy_score.py")
        self.assertEqual(result.status, 200)
        self.assertEqual(json.loads(result.body), {
            "array": [[1.5, 2.0], [3.0, 4.25]], "float32": 0.5, "int64": 7, "bool": True,
            "nested": [[0, 1, 2], {"x": 1.25}]})

    def test_str_result_is_a_json_string_as_in_azure_ml(self):
        result = self.invoke("str_score.py")
        self.assertEqual(result.body, b'"{\\"result\\": [1, 2]}"')
        self.assertEqual(json.loads(json.loads(result.body)), {"result": [1, 2]})

    def test_non_serializable_result(self):
        with self.assertLogs("mlfunc.script", logging.ERROR) as logs:
            result = self.invoke("unserializable_score.py")
        self.assertEqual(result.status, 500)
        self.assertEqual(json.loads(result.body),
                         support.generic_error("ResultNotSerializable", result.invocation_id))
        detail = "run() returned a value that is not JSON-serializable: set"
        self.assertEqual(result.error_message, detail)
        self.assertIn("invocation=%s %s" % (result.invocation_id, detail), "\n".join(logs.output))

    def test_to_json_type_names(self):
        import datetime
        with self.assertRaises(core.NotSerializable) as ctx:
            core.to_json([datetime.date(2020, 1, 1)])
        self.assertEqual(ctx.exception.type_name, "datetime.date")
        self.assertEqual(core.to_json("x"), '"x"')
        # Azure ML's server answers {} for None.
        self.assertEqual(core.to_json(None), "{}")


class RunFailureTest(unittest.TestCase):
    def test_exception_in_run_gives_clean_500(self):
        script = ScoringScript(support.fixture("failing_score.py"))
        with self.assertLogs("mlfunc.script", logging.ERROR) as logs:
            result = script.invoke(http(b"{}", invocation_id="inv-run"))
        self.assertEqual(result.status, 500)
        self.assertEqual(json.loads(result.body), support.generic_error("RunFailed", "inv-run"))
        self.assertEqual(result.error_message,
                         "run() of failing_score.py failed: ValueError: bad feature vector")
        for leaked in (b"Traceback", b'File "', b"ValueError", b"bad feature vector",
                       b"failing_score.py"):
            self.assertNotIn(leaked, result.body)
        logged = "\n".join(logs.output)
        self.assertIn("invocation=inv-run run() of failing_score.py failed: ValueError: "
                      "bad feature vector", logged)
        self.assertIn("Traceback (most recent call last)", logged)
        self.assertIn('raise ValueError("bad feature vector")', logged)

    def test_secret_in_exception_text_stays_in_the_log(self):
        script = ScoringScript(support.fixture("leaky_score.py"))
        with self.assertLogs("mlfunc.script", logging.ERROR) as logs:
            result = script.invoke(http(b"{}", invocation_id="inv-secret"))
        self.assertEqual(json.loads(result.body), support.generic_error("RunFailed", "inv-secret"))
        self.assertNotIn(b"hunter2", result.body)
        self.assertNotIn(b"Server=db", result.body)
        self.assertIn("invocation=inv-secret run() of leaky_score.py failed: ValueError: connect "
                      "failed: Server=db;Password=hunter2", "\n".join(logs.output))


class ErrorBodyTest(unittest.TestCase):
    """What a caller sees for server-side failures: code, fixed sentence, invocation id."""

    def test_model_dir_listing_stays_in_the_log(self):
        with tempfile.TemporaryDirectory() as model_dir, \
                mock.patch.dict(os.environ, {"AZUREML_MODEL_DIR": model_dir}):
            with open(os.path.join(model_dir, "secret-customer-weights.bin"), "wb"):
                pass
            script = ScoringScript(support.EXAMPLE_SCRIPT, model_dir)
            with self.assertLogs("mlfunc.script", logging.ERROR) as logs:
                result = script.invoke(http(b"{}", method="GET", invocation_id="inv-ls"))
        self.assertEqual(result.status, 503)
        self.assertEqual(json.loads(result.body), support.generic_error("InitFailed", "inv-ls"))
        for leaked in (b"secret-customer-weights", model_dir.encode(), b"model.pkl",
                       b"FileNotFoundError"):
            self.assertNotIn(leaked, result.body)
        logged = "\n".join(logs.output)
        self.assertIn("invocation=inv-ls init() of score.py failed: FileNotFoundError", logged)
        self.assertIn("(model directory %s contains: secret-customer-weights.bin)" % model_dir,
                      logged)

    def test_each_load_failure_message_is_generic(self):
        with mock.patch.dict(os.environ, {"MLFUNC_SCORING_SCRIPT": ""}):
            core._scripts.clear()
            unset = core.script_from_env()
        self.addCleanup(core._scripts.clear)
        scripts = {"unset": unset, "missing": ScoringScript("/nonexistent/dir/score.py"),
                   "no_run": ScoringScript(support.fixture("no_run_score.py")),
                   "import": ScoringScript(support.fixture("missing_module_score.py"))}
        for name, script in scripts.items():
            with self.assertLogs("mlfunc.script", logging.ERROR):
                result = script.invoke(http(b"{}", invocation_id="inv-" + name))
            self.assertEqual(result.status, 500, name)
            self.assertEqual(json.loads(result.body),
                             support.generic_error("ScriptLoadFailed", "inv-" + name), name)

    def test_invocation_id_is_made_per_invocation_when_the_host_gives_none(self):
        script = ScoringScript(support.fixture("failing_score.py"))
        with self.assertLogs("mlfunc.script", logging.ERROR) as logs:
            first = script.invoke(http(b"{}"))
            second = script.invoke(http(b"{}"))
        ids = [json.loads(r.body)["error"]["invocationId"] for r in (first, second)]
        self.assertNotEqual(ids[0], ids[1])
        for result, invocation_id in zip((first, second), ids):
            self.assertEqual(str(uuid.UUID(invocation_id, version=4)), invocation_id)
            self.assertEqual(result.invocation_id, invocation_id)
            self.assertEqual(json.loads(result.body), support.generic_error("RunFailed", invocation_id))
        for record, invocation_id in zip(logs.records, ids):
            self.assertIn("invocation=%s " % invocation_id, record.getMessage())

    def test_client_errors_keep_their_message(self):
        script = ScoringScript(support.fixture("counting_score.py"))
        with self.assertLogs("mlfunc.invocation", logging.WARNING):
            result = script.invoke(http(b"[1,", invocation_id="inv-400"))
        self.assertEqual(json.loads(result.body), {"error": {
            "code": "InvalidInput",
            "message": "request body is not valid JSON: Expecting value: line 1 column 4 (char 3)"}})

    def test_raw_script_own_500_is_passed_through(self):
        script = ScoringScript(support.fixture("raw_score.py"))
        with self.assertLogs("mlfunc.invocation", logging.ERROR):
            result = script.invoke(http(b"", params={"status": "500"}, invocation_id="inv-raw"))
        self.assertEqual((result.status, result.body), (500, b"teapot says no"))
        self.assertEqual(result.outcome, "error_response")

    def test_raw_script_init_failure_is_generic(self):
        script = ScoringScript(support.fixture("raw_flaky_init_score.py"))
        with self.assertLogs("mlfunc.script", logging.ERROR):
            result = script.invoke(http(b"", invocation_id="inv-raw-init"))
        self.assertEqual(json.loads(result.body), support.generic_error("InitFailed", "inv-raw-init"))


class RawHttpTest(unittest.TestCase):
    def test_raw_script_gets_bytes_and_sets_status(self):
        script = ScoringScript(support.fixture("raw_score.py"))
        body = b"\xff\x00not json"
        result = script.invoke(http(body, method="PUT", url="https://app.example/api/raw?x=1",
                                    headers={"Content-Type": "application/octet-stream"},
                                    params={"x": "1"}))
        self.assertTrue(script.raw)
        self.assertEqual(result.status, 201)
        self.assertEqual(result.headers.get("X-Scored-By"), "raw")
        self.assertEqual(result.mimetype, "application/json")
        self.assertEqual(json.loads(result.body), {
            "method": "PUT", "hex": body.hex(), "length": len(body),
            "content_type": "application/octet-stream", "path": "/api/raw",
            "full_path": "/api/raw?x=1"})

    def test_error_status_from_aml_response_is_honoured(self):
        script = ScoringScript(support.fixture("raw_score.py"))
        with self.assertLogs("mlfunc.invocation", logging.WARNING):
            result = script.invoke(http(b"", url="https://app.example/api/raw?status=418",
                                        params={"status": "418"}))
        self.assertEqual(result.status, 418)
        self.assertEqual(result.body, b"teapot says no")
        self.assertEqual(result.outcome, "error_response")

    def test_plain_script_is_not_raw(self):
        script = ScoringScript(support.fixture("counting_score.py"))
        script.invoke(http(b"{}"))
        self.assertFalse(script.raw)


class HealthRouteTest(unittest.TestCase):
    """GET on a plain script answers a health/info body instead of calling run()."""

    def get(self, script, function_name="score-http"):
        return script.invoke(InvocationRequest(b"", trigger="http", function_name=function_name,
                                               method="GET"))

    def test_get_answers_health_and_init_runs_once(self):
        script = ScoringScript(support.fixture("counting_score.py"))
        first = self.get(script)
        self.assertEqual(first.status, 200)
        self.assertEqual(first.mimetype, "application/json")
        self.assertEqual(json.loads(first.body), {"status": "ok", "function": "score-http",
                                                  "scoringScript": "counting_score.py"})
        self.assertEqual((script.module.INIT_CALLS, script.module.RUN_CALLS), (1, 0))
        posted = script.invoke(http(b'{"x": 1}'))
        self.assertEqual(json.loads(posted.body)["echo"], {"x": 1})
        self.assertEqual(self.get(script).status, 200)
        self.assertEqual((script.module.INIT_CALLS, script.module.RUN_CALLS), (1, 1))
        self.assertEqual(script.init_calls, 1)

    def test_lowercase_method_and_body_are_ignored(self):
        script = ScoringScript(support.fixture("failing_score.py"))
        result = script.invoke(http(b"not json", method="get"))
        self.assertEqual(result.status, 200)
        self.assertEqual(json.loads(result.body)["status"], "ok")

    def test_failed_init_is_503_without_traceback_then_recovers(self):
        script = ScoringScript(support.fixture("flaky_init_score.py"))
        with self.assertLogs("mlfunc.script", logging.ERROR) as logs:
            first = self.get(script)
        self.assertEqual(first.status, 503)
        self.assertEqual(first.outcome, "init_failed")
        self.assertEqual(json.loads(first.body),
                         support.generic_error("InitFailed", first.invocation_id))
        self.assertEqual(first.error_message,
                         "init() of flaky_init_score.py failed: RuntimeError: model store not ready")
        self.assertNotIn(b"model store not ready", first.body)
        self.assertNotIn(b"Traceback", first.body)
        self.assertNotIn(b'File "', first.body)
        self.assertIn("Traceback (most recent call last)", "\n".join(logs.output))
        self.assertEqual(self.get(script).status, 200)
        self.assertEqual(script.module.INIT_CALLS, 2)

    def test_load_failure_is_503(self):
        with self.assertLogs("mlfunc.script", logging.ERROR) as logs:
            missing = self.get(ScoringScript("/nonexistent/dir/score.py"))
            broken = self.get(ScoringScript(support.fixture("missing_module_score.py")))
        for result in (missing, broken):
            self.assertEqual(result.status, 503)
            self.assertEqual(json.loads(result.body),
                             support.generic_error("ScriptLoadFailed", result.invocation_id))
            self.assertNotIn(b"Traceback", result.body)
        self.assertNotIn(b"/nonexistent", missing.body)
        self.assertNotIn(b"mlfunc_no_such_package", broken.body)
        logged = "\n".join(logs.output)
        self.assertIn("invocation=%s scoring script not found: /nonexistent/dir/score.py"
                      % missing.invocation_id, logged)
        self.assertIn("invocation=%s could not import scoring script missing_module_score.py"
                      % broken.invocation_id, logged)

    def test_post_failure_is_still_500(self):
        script = ScoringScript(support.fixture("flaky_init_score.py"))
        with self.assertLogs("mlfunc.script", logging.ERROR):
            self.assertEqual(script.invoke(http(b"{}")).status, 500)

    def test_raw_script_gets_get_requests(self):
        script = ScoringScript(support.fixture("raw_score.py"))
        result = script.invoke(http(b"", method="GET", url="https://app.example/api/raw?q=1",
                                    params={"q": "1"}))
        self.assertEqual(result.status, 201)
        self.assertEqual(json.loads(result.body)["method"], "GET")
        with self.assertLogs("mlfunc.invocation", logging.WARNING):
            refused = script.invoke(http(b"", method="GET", params={"status": "404"}))
        self.assertEqual((refused.status, refused.body), (404, b"teapot says no"))

    def test_raw_script_init_failure_on_get_keeps_500(self):
        script = ScoringScript(support.fixture("raw_flaky_init_score.py"))
        with self.assertLogs("mlfunc.script", logging.ERROR):
            first = script.invoke(http(b"", method="GET"))
        self.assertEqual((first.status, json.loads(first.body)["error"]["code"]), (500, "InitFailed"))
        second = script.invoke(http(b"", method="GET"))
        self.assertEqual((second.status, second.body), (202, b"raw GET"))

    def test_other_triggers_ignore_method(self):
        script = ScoringScript(support.fixture("counting_score.py"))
        result = script.invoke(InvocationRequest(b"{}", trigger="blob", method="GET"))
        self.assertEqual(json.loads(result.body)["echo"], {})
        self.assertEqual(script.module.RUN_CALLS, 1)

    def test_health_is_logged(self):
        script = ScoringScript(support.fixture("counting_score.py"))
        with self.assertLogs("mlfunc.invocation", logging.INFO) as logs:
            self.get(script)
        self.assertEqual(len(logs.records), 1)
        self.assertRegex(logs.records[0].getMessage(), r"^function=score-http trigger=http "
                         r"outcome=health status=200 duration_ms=\d+\.\d\d$")
        self.assertEqual(logs.records[0].levelno, logging.INFO)

    def test_failed_health_is_logged_as_error(self):
        script = ScoringScript(support.fixture("flaky_init_score.py"))
        with self.assertLogs("mlfunc.invocation", logging.INFO) as logs, \
                self.assertLogs("mlfunc.script", logging.ERROR):
            self.get(script)
        self.assertRegex(logs.records[0].getMessage(), r"^function=score-http trigger=http "
                         r"outcome=init_failed status=503 duration_ms=\d+\.\d\d$")
        self.assertEqual(logs.records[0].levelno, logging.ERROR)


class InvocationLogTest(unittest.TestCase):
    def test_one_line_per_invocation(self):
        script = ScoringScript(support.fixture("counting_score.py"))
        with self.assertLogs("mlfunc.invocation", logging.INFO) as logs:
            script.invoke(http(b"{}", function_name="score-http"))
            with self.assertLogs("mlfunc.script", logging.ERROR):
                ScoringScript(support.fixture("failing_score.py")).invoke(
                    InvocationRequest(b"{}", trigger="blob", function_name="score-blob"))
        self.assertEqual(len(logs.records), 2)
        self.assertRegex(logs.records[0].getMessage(), r"^function=score-http trigger=http "
                         r"outcome=success status=200 duration_ms=\d+\.\d\d$")
        self.assertRegex(logs.records[1].getMessage(), r"^function=score-blob trigger=blob "
                         r"outcome=run_failed status=500 duration_ms=\d+\.\d\d$")
        self.assertEqual(logs.records[1].levelno, logging.ERROR)


class DataTypeTest(unittest.TestCase):
    def setUp(self):
        core._data_types.clear()
        self.addCleanup(core._data_types.clear)

    def write_function_json(self, folder, data_type):
        binding = {"name": "inputblob", "type": "blobTrigger", "direction": "in", "path": "in/{name}"}
        if data_type:
            binding["dataType"] = data_type
        with open(os.path.join(folder, "function.json"), "w") as fh:
            json.dump({"scriptFile": "__init__.py", "bindings": [binding]}, fh)

    def test_env_name(self):
        self.assertEqual(core.data_type_env_name("score-blob.v2"), "MLFUNC_DATA_TYPE_SCORE_BLOB_V2")

    def test_function_json_and_env_override(self):
        with tempfile.TemporaryDirectory() as binary_dir, tempfile.TemporaryDirectory() as text_dir:
            self.write_function_json(binary_dir, "binary")
            self.write_function_json(text_dir, "string")
            self.assertEqual(core.resolve_data_type("a", binary_dir), core.BINARY)
            self.assertEqual(core.resolve_data_type("b", text_dir), core.TEXT)
            self.assertEqual(core.resolve_data_type("c", None), core.TEXT)
            with mock.patch.dict(os.environ, {"MLFUNC_DATA_TYPE_SCORE_IMG": "binary"}):
                self.assertEqual(core.resolve_data_type("score-img", text_dir), core.BINARY)


if __name__ == "__main__":
    unittest.main()
