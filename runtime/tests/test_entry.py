import inspect
import json
import logging
import os
import tempfile
import unittest
import uuid
from unittest import mock

from mlfunc_runtime import core

from . import fake_azure_functions as fake
from . import support


class EntryTestCase(unittest.TestCase):
    script = support.EXAMPLE_SCRIPT

    def setUp(self):
        self.addCleanup(fake.install())
        import mlfunc_runtime.entry as entry

        self.entry = entry
        core._scripts.clear()
        core._data_types.clear()
        self.addCleanup(core._scripts.clear)
        self.addCleanup(core._data_types.clear)
        patcher = mock.patch.dict(os.environ, {"MLFUNC_SCORING_SCRIPT": self.script,
                                               "AZUREML_MODEL_DIR": support.EXAMPLE_DIR})
        patcher.start()
        self.addCleanup(patcher.stop)

    def use_script(self, path):
        os.environ["MLFUNC_SCORING_SCRIPT"] = path

    def function_dir(self, data_type):
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        with open(os.path.join(folder.name, "function.json"), "w") as fh:
            json.dump({"bindings": [{"name": "inputblob", "type": "blobTrigger", "direction": "in",
                                     "path": "input/{name}", "dataType": data_type}]}, fh)
        return folder.name

    def http_request(self, body, method="POST", url="https://app.example/api/score", **kwargs):
        return fake.HttpRequest(method, url, headers={"Content-Type": "application/json"},
                                body=body, **kwargs)

    def blob(self, body, name="input/sample_input.json"):
        return fake.InputStream(data=body, name=name, uri="https://acct.blob/" + name)


class SignatureTest(EntryTestCase):
    """Parameter names are the function.json binding names the generator writes."""

    def test_parameter_names(self):
        expected = {
            "http_main": ["req", "context"],
            "blob_main": ["inputblob", "outputblob", "context"],
            "servicebus_main": ["msg", "context"],
            "servicebus_to_queue_main": ["msg", "outmsg", "context"],
        }
        for name, params in expected.items():
            self.assertEqual(list(inspect.signature(getattr(self.entry, name)).parameters), params, name)

    def test_annotations(self):
        sig = inspect.signature(self.entry.blob_main)
        self.assertIs(sig.parameters["inputblob"].annotation, fake.InputStream)
        self.assertEqual(sig.parameters["outputblob"].annotation, fake.Out[str])
        self.assertIs(sig.parameters["context"].annotation, fake.Context)
        self.assertIs(inspect.signature(self.entry.http_main).return_annotation, fake.HttpResponse)
        sb = inspect.signature(self.entry.servicebus_to_queue_main)
        self.assertIs(sb.parameters["msg"].annotation, fake.ServiceBusMessage)
        self.assertEqual(sb.parameters["outmsg"].annotation, fake.Out[str])


class FunctionFolderTest(EntryTestCase):
    """The generated one-line __init__.py, loaded by path like the host does (hyphenated name)."""

    def test_one_line_init_module(self):
        import importlib.util

        with tempfile.TemporaryDirectory() as app:
            folder = os.path.join(app, "score-http")
            os.mkdir(folder)
            init_file = os.path.join(folder, "__init__.py")
            with open(init_file, "w") as fh:
                fh.write("from mlfunc_runtime.entry import http_main as main\n")
            spec = importlib.util.spec_from_file_location("__app__.score-http", init_file)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        response = module.main(self.http_request(support.sample_bytes()), fake.Context("score-http", folder))
        support.assert_predictions(self, json.loads(response.get_body()))


class SeedPayloadTest(EntryTestCase):
    def test_http(self):
        response = self.entry.http_main(self.http_request(support.sample_bytes()), fake.Context("score"))
        self.assertIsInstance(response, fake.HttpResponse)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.mimetype, "application/json")
        support.assert_predictions(self, json.loads(response.get_body()))

    def test_blob(self):
        out = fake.Out()
        self.entry.blob_main(self.blob(support.sample_bytes()), out,
                             fake.Context("score-blob", self.function_dir("string")))
        self.assertEqual(out.calls, 1)
        self.assertIsInstance(out.value, str)
        support.assert_predictions(self, json.loads(out.value))

    def test_service_bus_to_queue(self):
        out = fake.Out()
        msg = fake.ServiceBusMessage(body=support.sample_bytes(), message_id="m-1")
        self.entry.servicebus_to_queue_main(msg, out, fake.Context("score-sb"))
        support.assert_predictions(self, json.loads(out.value))

    def test_service_bus_without_output(self):
        msg = fake.ServiceBusMessage(body=support.sample_bytes(), message_id="m-2")
        with self.assertLogs("mlfunc.invocation", logging.INFO) as logs:
            self.assertIsNone(self.entry.servicebus_main(msg, fake.Context("score-sb")))
        self.assertIn("trigger=serviceBus outcome=success status=200", logs.output[0])


class InitOnceTest(EntryTestCase):
    script = support.fixture("counting_score.py")

    def test_init_once_across_triggers(self):
        for i in range(10):
            response = self.entry.http_main(self.http_request(b'{"i": %d}' % i), fake.Context("h"))
            self.assertEqual(response.status_code, 200)
        for _ in range(5):
            self.entry.blob_main(self.blob(b"{}"), fake.Out(), fake.Context("b"))
            self.entry.servicebus_to_queue_main(fake.ServiceBusMessage(body=b"[]", message_id="x"),
                                                fake.Out(), fake.Context("s"))
        module = core.script_from_env().module
        self.assertEqual(module.INIT_CALLS, 1)
        self.assertEqual(module.RUN_CALLS, 20)

    def test_binary_blob_gets_bytes(self):
        out = fake.Out()
        self.entry.blob_main(self.blob(b"\x89PNG\r\n"), out, fake.Context("img", self.function_dir("binary")))
        self.assertEqual(json.loads(out.value), {"type": "bytes", "length": 6, "init_calls": 1})

    def test_env_override_beats_function_json(self):
        out = fake.Out()
        with mock.patch.dict(os.environ, {"MLFUNC_DATA_TYPE_SCORE_IMG": "binary"}):
            self.entry.blob_main(self.blob(b"\xff"), out, fake.Context("score-img", self.function_dir("string")))
        self.assertEqual(json.loads(out.value)["type"], "bytes")


class FailureTest(EntryTestCase):
    script = support.fixture("failing_score.py")

    def test_http_error_is_generic_with_the_host_invocation_id(self):
        with self.assertLogs("mlfunc.script", logging.ERROR) as logs:
            response = self.entry.http_main(self.http_request(b"{}"),
                                            fake.Context("score", invocation_id="host-inv-1"))
        self.assertEqual(response.status_code, 500)
        self.assertEqual(response.mimetype, "application/json")
        body = response.get_body().decode()
        self.assertEqual(json.loads(body), support.generic_error("RunFailed", "host-inv-1"))
        for leaked in ("Traceback", "ValueError", "bad feature vector", "failing_score.py"):
            self.assertNotIn(leaked, body)
        logged = "\n".join(logs.output)
        self.assertIn("function=score invocation=host-inv-1 run() of failing_score.py failed: "
                      "ValueError: bad feature vector", logged)
        self.assertIn("Traceback (most recent call last)", logged)

    def test_http_error_without_host_id_gets_a_uuid(self):
        with self.assertLogs("mlfunc.script", logging.ERROR) as logs:
            response = self.entry.http_main(self.http_request(b"{}"),
                                            fake.Context("score", invocation_id=None))
        invocation_id = json.loads(response.get_body())["error"]["invocationId"]
        self.assertEqual(str(uuid.UUID(invocation_id, version=4)), invocation_id)
        self.assertEqual(json.loads(response.get_body()), support.generic_error("RunFailed", invocation_id))
        self.assertIn("invocation=%s " % invocation_id, "\n".join(logs.output))

    def test_http_secret_in_exception_is_not_sent(self):
        self.use_script(support.fixture("leaky_score.py"))
        with self.assertLogs("mlfunc.script", logging.ERROR) as logs:
            response = self.entry.http_main(self.http_request(b"{}"), fake.Context("score"))
        self.assertEqual(json.loads(response.get_body()),
                         support.generic_error("RunFailed", "test-invocation"))
        self.assertNotIn(b"hunter2", response.get_body())
        self.assertIn("Password=hunter2", "\n".join(logs.output))

    def test_http_unserializable_and_load_failures_are_generic(self):
        cases = {"unserializable_score.py": "ResultNotSerializable",
                 "missing_module_score.py": "ScriptLoadFailed",
                 "flaky_init_score.py": "InitFailed"}
        for fixture_name, code in cases.items():
            self.use_script(support.fixture(fixture_name))
            with self.assertLogs("mlfunc.script", logging.ERROR):
                response = self.entry.http_main(self.http_request(b"{}"),
                                                fake.Context("score", invocation_id="inv-" + code))
            self.assertEqual(response.status_code, 500, fixture_name)
            self.assertEqual(json.loads(response.get_body()),
                             support.generic_error(code, "inv-" + code), fixture_name)

    def test_blob_raises_and_writes_nothing(self):
        out = fake.Out()
        with self.assertLogs("mlfunc.script", logging.ERROR):
            with self.assertRaises(core.ScoringFailed) as ctx:
                self.entry.blob_main(self.blob(b"{}"), out, fake.Context("score-blob"))
        self.assertEqual(str(ctx.exception),
                         "run() of failing_score.py failed: ValueError: bad feature vector (status 500)")
        self.assertEqual(out.calls, 0)

    def test_service_bus_raises_and_sends_nothing(self):
        out = fake.Out()
        msg = fake.ServiceBusMessage(body=b"{}", message_id="m")
        with self.assertLogs("mlfunc.script", logging.ERROR):
            with self.assertRaises(core.ScoringFailed):
                self.entry.servicebus_to_queue_main(msg, out, fake.Context("score-sb"))
            with self.assertRaises(core.ScoringFailed):
                self.entry.servicebus_main(msg, fake.Context("score-sb"))
        self.assertEqual(out.calls, 0)

    def test_invalid_blob_json_fails_the_invocation(self):
        self.use_script(support.EXAMPLE_SCRIPT)
        out = fake.Out()
        with self.assertRaises(core.ScoringFailed) as ctx:
            self.entry.blob_main(self.blob(b"{oops"), out, fake.Context("score-blob"))
        self.assertEqual(str(ctx.exception), "blob content is not valid JSON: Expecting property name "
                         "enclosed in double quotes: line 1 column 2 (char 1) (status 400)")
        self.assertEqual(out.calls, 0)


class HttpInputTest(EntryTestCase):
    def test_invalid_json_is_400(self):
        response = self.entry.http_main(self.http_request(b'{"data": [1, 2,]}'), fake.Context("score"))
        self.assertEqual(response.status_code, 400)
        self.assertEqual(json.loads(response.get_body()), {"error": {
            "code": "InvalidInput",
            "message": "request body is not valid JSON: Expecting value: line 1 column 16 (char 15)"}})

    def test_raw_script_through_http_entry(self):
        self.use_script(support.fixture("raw_score.py"))
        req = fake.HttpRequest("POST", "https://app.example/api/raw?mode=x", body=b"\x00\x01",
                               headers={"Content-Type": "application/octet-stream"}, params={"mode": "x"})
        response = self.entry.http_main(req, fake.Context("raw"))
        self.assertEqual(response.status_code, 201)
        self.assertEqual(response.headers.get("X-Scored-By"), "raw")
        payload = json.loads(response.get_body())
        self.assertEqual((payload["hex"], payload["length"], payload["full_path"]),
                         ("0001", 2, "/api/raw?mode=x"))
        self.assertEqual(payload["content_type"], "application/octet-stream")

    def test_raw_script_own_500_is_returned_as_made(self):
        self.use_script(support.fixture("raw_score.py"))
        req = fake.HttpRequest("POST", "https://app.example/api/raw?status=500", params={"status": "500"})
        response = self.entry.http_main(req, fake.Context("raw"))
        self.assertEqual((response.status_code, response.get_body()), (500, b"teapot says no"))

    def test_raw_status_is_honoured(self):
        self.use_script(support.fixture("raw_score.py"))
        req = fake.HttpRequest("GET", "https://app.example/api/raw?status=404", params={"status": "404"})
        response = self.entry.http_main(req, fake.Context("raw"))
        self.assertEqual(response.status_code, 404)
        self.assertEqual(response.get_body(), b"teapot says no")


class HttpGetTest(EntryTestCase):
    script = support.fixture("counting_score.py")

    def get(self, name="score-http"):
        return self.entry.http_main(fake.HttpRequest("GET", "https://app.example/api/" + name),
                                    fake.Context(name))

    def test_health_then_post_then_health_inits_once(self):
        first = self.get()
        self.assertEqual(first.status_code, 200)
        self.assertEqual(first.mimetype, "application/json")
        self.assertEqual(json.loads(first.get_body()), {
            "status": "ok", "function": "score-http", "scoringScript": "counting_score.py"})
        posted = self.entry.http_main(self.http_request(b'{"a": 1}'), fake.Context("score-http"))
        self.assertEqual(json.loads(posted.get_body())["echo"], {"a": 1})
        self.assertEqual(self.get().status_code, 200)
        module = core.script_from_env().module
        self.assertEqual((module.INIT_CALLS, module.RUN_CALLS), (1, 1))

    def test_init_failure_is_503_without_traceback(self):
        self.use_script(support.fixture("flaky_init_score.py"))
        with self.assertLogs("mlfunc.script", logging.ERROR) as logs:
            response = self.get()
        self.assertEqual(response.status_code, 503)
        body = response.get_body().decode()
        self.assertEqual(json.loads(body), support.generic_error("InitFailed", "test-invocation"))
        self.assertNotIn("Traceback", body)
        self.assertNotIn("model store not ready", body)
        logged = "\n".join(logs.output)
        self.assertIn("invocation=test-invocation init() of flaky_init_score.py failed: "
                      "RuntimeError: model store not ready", logged)
        self.assertIn("Traceback (most recent call last)", logged)

    def test_missing_model_file_hides_the_model_dir(self):
        self.use_script(support.EXAMPLE_SCRIPT)
        with tempfile.TemporaryDirectory() as model_dir, \
                mock.patch.dict(os.environ, {"AZUREML_MODEL_DIR": model_dir}):
            with open(os.path.join(model_dir, "secret-customer-weights.bin"), "wb"):
                pass
            with self.assertLogs("mlfunc.script", logging.ERROR) as logs:
                response = self.get()
        self.assertEqual(response.status_code, 503)
        body = response.get_body().decode()
        self.assertEqual(json.loads(body), support.generic_error("InitFailed", "test-invocation"))
        self.assertNotIn(model_dir, body)
        self.assertNotIn("secret-customer-weights", body)
        logged = "\n".join(logs.output)
        self.assertIn("'%s/sklearn_regression_model.pkl' (model directory %s contains: "
                      "secret-customer-weights.bin)" % (model_dir, model_dir), logged)

    def test_raw_script_run_gets_the_get(self):
        self.use_script(support.fixture("raw_score.py"))
        response = self.get("raw")
        self.assertEqual(response.status_code, 201)
        self.assertEqual(response.headers.get("X-Scored-By"), "raw")
        self.assertEqual(json.loads(response.get_body())["method"], "GET")


if __name__ == "__main__":
    unittest.main()


class AmlPatternEntryTest(EntryTestCase):
    """The same patterns through the Functions adapters: outputs, failures, routes."""

    def test_streamed_response_is_joined_into_the_output_blob_and_message(self):
        self.use_script(support.fixture("aml/streamed_score.py"))
        out = fake.Out()
        self.entry.blob_main(self.blob(b'{"words": ["a", "b"]}'), out, fake.Context("s-blob"))
        self.assertEqual(out.value, "item: a\nitem: b\n")
        out = fake.Out()
        self.entry.servicebus_to_queue_main(fake.ServiceBusMessage(body=b'{"words": ["c"]}'), out,
                                            fake.Context("s-sb"))
        self.assertEqual(out.value, "item: c\n")

    def test_decorated_input_it_cannot_take_is_a_logged_failure_not_an_empty_output(self):
        self.use_script(support.fixture("aml/numpy_schema_score.py"))
        out = fake.Out()
        with self.assertLogs("mlfunc.script", logging.ERROR) as logs:
            with self.assertRaises(core.ScoringFailed) as ctx:
                self.entry.blob_main(self.blob(b'{"rows": []}'), out, fake.Context("d-blob"))
        message = "a value is not provided for the 'data' parameter"
        self.assertEqual(str(ctx.exception), message + " (status 400)")
        self.assertIn(message, "\n".join(logs.output))
        self.assertEqual(out.calls, 0)
        with self.assertLogs("mlfunc.script", logging.ERROR):
            with self.assertRaises(core.ScoringFailed) as ctx:
                self.entry.servicebus_to_queue_main(fake.ServiceBusMessage(body=b'{"data": 3}'), out,
                                                    fake.Context("d-sb"))
        self.assertEqual(str(ctx.exception), "the 'data' parameter could not be converted: ValueError: "
                         "Invalid input format: expected an array of items. (status 400)")
        self.assertEqual(out.calls, 0)

    def test_service_bus_application_properties_are_the_request_headers(self):
        self.use_script(support.fixture("aml/headers_score.py"))
        out = fake.Out()
        msg = fake.ServiceBusMessage(body=b"{}", application_properties={"tenant": "t1"})
        self.entry.servicebus_to_queue_main(msg, out, fake.Context("h-sb"))
        self.assertEqual(json.loads(out.value), {"data": "{}", "headers": {"tenant": "t1"}})

    def test_swagger_route_parameter(self):
        self.use_script(support.fixture("aml/numpy_schema_score.py"))
        req = fake.HttpRequest("GET", "https://app.example/api/score/swagger.json",
                               route_params={core.ROUTE_PARAM: "swagger.json"})
        response = self.entry.http_main(req, fake.Context("score"))
        self.assertEqual(response.status_code, 200)
        doc = json.loads(response.get_body())
        self.assertEqual(doc["definitions"]["ServiceInput"]["example"], {"data": [[1.0, 2.0]]})
        req = fake.HttpRequest("GET", "https://app.example/api/score", route_params={})
        self.assertEqual(json.loads(self.entry.http_main(req, fake.Context("score")).get_body())["status"],
                         "ok")

    def test_decorated_run_over_http(self):
        self.use_script(support.fixture("aml/numpy_schema_score.py"))
        response = self.entry.http_main(self.http_request(b'{"data": [[1, 2]]}'), fake.Context("score"))
        self.assertEqual((response.status_code, response.get_body()),
                         (200, b'{"type": "ndarray", "shape": [1, 2], "sums": [3.0]}'))
