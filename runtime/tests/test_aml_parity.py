"""Script patterns x triggers: each answers with the body and status Azure ML's inference server gives.

Expected bodies are spelled out as Azure ML's server writes them (json.dumps of
run()'s value, {} for None, a response object as made). Error bodies follow
mlfunc's documented contract ({"error": {...}}) with Azure ML's status codes, except
one deliberate difference: a value the decorator cannot convert is a 400 naming the
parameter, where Azure ML's server answers 500.
"""
import json
import logging
import os
import sys
import unittest

from mlfunc_runtime import core
from mlfunc_runtime.core import InvocationRequest, ScoringScript

from . import support

TRIGGERS = ("http", "blob", "serviceBus")
JSON_HEADERS = {"content-type": "application/json"}


def aml(name):
    return support.fixture(os.path.join("aml", name))


def request(trigger, body, headers=None, properties=None, method="POST", **kwargs):
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode("utf-8")
    if trigger == "http":
        return InvocationRequest(body, trigger="http", function_name="score", method=method,
                                 headers=dict(JSON_HEADERS) if headers is None else headers,
                                 url="https://app.example/api/score", **kwargs)
    if trigger == "blob":
        return InvocationRequest(body, trigger="blob", function_name="score", source="in/a.json",
                                 **kwargs)
    return InvocationRequest(body, trigger="serviceBus", function_name="score", source="m-1",
                             properties=properties, **kwargs)


def invoke(script, req):
    # Client errors of non-HTTP triggers are logged as failures; keep the test output quiet.
    logging.getLogger("mlfunc").setLevel(logging.CRITICAL)
    try:
        return script.invoke(req)
    finally:
        logging.getLogger("mlfunc").setLevel(logging.NOTSET)


def error(code, message):
    return {"error": {"code": code, "message": message}}


# (script, payload, status, exact body) - the same answer on every trigger.
TABLE = [
    ("plain_score.py", {"x": 1}, 200, b'{"type": "str", "text": "{\\"x\\": 1}"}'),
    ("none_score.py", {"x": 1}, 200, b"{}"),
    ("rawhttp_score.py", {"x": 1}, 201, b'{"method": "POST", "body": "{\\"x\\": 1}"}'),
    ("rawhttp_api_score.py", {"x": 1}, 200, b"raw POST"),
    ("numpy_schema_score.py", {"data": [[1, 2], [3, 4.5]]}, 200,
     b'{"type": "ndarray", "shape": [2, 2], "sums": [3.0, 7.5]}'),
    ("pandas_schema_score.py", {"frame": [{"a": 1, "b": 2}, {"a": 3, "b": 4.5}]}, 200,
     b'{"type": "DataFrame", "columns": ["a", "b"], "b_dtype": "float64", "total": 10.5}'),
    ("standard_schema_score.py", {"word": "ab", "times": 2}, 200,
     b'{"text": "abab", "scale": null, "trace": null}'),
    # A parameter's default when the member is absent; an int where the sample is a float.
    ("standard_schema_score.py", {"word": "ab", "scale": 2}, 200,
     b'{"text": "ababab", "scale": 2, "trace": null}'),
    ("streamed_score.py", {"words": ["a", "b"]}, 200, b"item: a\nitem: b\n"),
    # Decorated input the script cannot take: 400 naming the parameter.
    ("numpy_schema_score.py", {"data": "nope"}, 400, error(
        "InvalidInput", "the 'data' parameter could not be converted: ValueError: Invalid input "
        "format: expected an array of items.")),
    ("standard_schema_score.py", {"word": "ab", "times": "x"}, 400, error(
        "InvalidInput", "the 'times' parameter could not be converted: ValueError: Invalid input "
        "data type to parse. Expected: <class 'int'> but got <class 'str'>")),
    ("standard_schema_score.py", {"times": 2}, 400, error(
        "InvalidInput", "a value is not provided for the 'word' parameter")),
    ("numpy_schema_score.py", {"data": [[1, 2, 3]]}, 400, error(
        "InvalidInput", "the 'data' parameter could not be converted: ValueError: Invalid input "
        "array: array has size 3 on dimension #1, while expected value is 2")),
    ("numpy_schema_score.py", [[1, 2]], 400, None),
    ("numpy_schema_score.py", b"", 400, None),
]


class PatternTableTest(unittest.TestCase):
    def test_every_pattern_on_every_trigger(self):
        for name, payload, status, expected in TABLE:
            for trigger in TRIGGERS:
                with self.subTest(script=name, payload=payload, trigger=trigger):
                    result = invoke(ScoringScript(aml(name)), request(trigger, payload))
                    self.assertEqual(result.status, status, result.body)
                    if isinstance(expected, dict):
                        self.assertEqual(json.loads(result.body), expected)
                    elif expected is not None:
                        self.assertEqual(result.body, expected)

    def test_non_object_and_empty_bodies_name_the_payload(self):
        for trigger, what in (("http", "request body"), ("blob", "blob content"),
                              ("serviceBus", "message body")):
            script = ScoringScript(aml("numpy_schema_score.py"))
            result = invoke(script, request(trigger, [[1, 2]]))
            self.assertEqual(json.loads(result.body), error(
                "InvalidInput", "%s must be a JSON object with one member per run() parameter "
                "(data), not an array" % what))
            result = invoke(script, request(trigger, b""))
            self.assertEqual(json.loads(result.body), error(
                "InvalidInput", "%s is empty; expected a JSON object" % what))

    def test_decorated_run_failing_itself_is_a_500(self):
        for trigger in TRIGGERS:
            result = invoke(ScoringScript(aml("numpy_schema_score.py")),
                            request(trigger, {"data": [[1, -2]]}, invocation_id="inv-1"))
            self.assertEqual(result.status, 500)
            self.assertEqual(json.loads(result.body), support.generic_error("RunFailed", "inv-1"))
            self.assertEqual(result.error_message,
                             "run() of numpy_schema_score.py failed: ValueError: negative feature")

    def test_decorated_script_needs_a_json_content_type_over_http(self):
        for headers in ({}, {"content-type": "text/csv"}):
            result = invoke(ScoringScript(aml("numpy_schema_score.py")),
                            request("http", {"data": [[1, 2]]}, headers=headers))
            self.assertEqual(result.status, 415)
            self.assertEqual(json.loads(result.body), error(
                "UnsupportedMediaType", "Content-Type must be application/json: run() of "
                "numpy_schema_score.py is decorated with @input_schema and reads a JSON object"))
        result = invoke(ScoringScript(aml("numpy_schema_score.py")),
                        request("http", {"data": [[1, 2]]},
                                headers={"Content-Type": "application/vnd.api+json; charset=utf-8"}))
        self.assertEqual(result.status, 200)


class RequestHeadersTest(unittest.TestCase):
    def test_http_headers_are_spelled_as_flask_spells_them(self):
        result = invoke(ScoringScript(aml("headers_score.py")), request(
            "http", {"a": 1}, headers={"content-type": "application/json", "x-trace": "t1"}))
        self.assertEqual(result.body, b'{"data": "{\\"a\\": 1}", "headers": {"Content-Type": '
                                      b'"application/json", "X-Trace": "t1"}}')

    def test_service_bus_gets_application_properties_and_blob_an_empty_dict(self):
        result = invoke(ScoringScript(aml("headers_score.py")),
                        request("serviceBus", {"a": 1}, properties={"trace": "p1", "n": 2}))
        self.assertEqual(json.loads(result.body)["headers"], {"trace": "p1", "n": 2})
        result = invoke(ScoringScript(aml("headers_score.py")),
                        request("serviceBus", {"a": 1}))
        self.assertEqual(json.loads(result.body)["headers"], {})
        result = invoke(ScoringScript(aml("headers_score.py")), request("blob", {"a": 1}))
        self.assertEqual(json.loads(result.body)["headers"], {})

    def test_decorated_run_gets_headers_besides_its_inputs(self):
        script = ScoringScript(aml("standard_schema_score.py"))
        result = invoke(script, request("http", {"word": "x", "times": 1},
                                        headers={"content-type": "application/json",
                                                 "x-trace": "t9"}))
        self.assertEqual(result.body, b'{"text": "x", "scale": null, "trace": "t9"}')
        result = invoke(script, request("serviceBus", {"word": "x", "times": 1},
                                        properties={"trace": "sb"}))
        self.assertEqual(result.body, b'{"text": "x", "scale": null, "trace": "sb"}')
        self.assertEqual([p.name for p in script.inputs], ["word", "times", "scale"])


class RawHttpTest(unittest.TestCase):
    def test_any_method_reaches_a_rawhttp_run(self):
        script = ScoringScript(aml("rawhttp_score.py"))
        for method in ("GET", "PUT", "DELETE", "PATCH", "OPTIONS"):
            result = invoke(script, request("http", b"", method=method))
            self.assertEqual(result.status, 201)
            self.assertEqual(json.loads(result.body), {"method": method, "body": ""})

    def test_response_headers_pass_through(self):
        result = invoke(ScoringScript(aml("rawhttp_api_score.py")),
                        request("http", b"{}", headers={"x-test": "yes"}))
        self.assertEqual((result.status, result.body), (200, b"raw POST"))
        self.assertEqual(result.headers["X-Seen"], "yes")
        self.assertEqual(result.headers["x-ms-run-function-failed"], "False")
        self.assertEqual(result.mimetype, "text/html")

    def test_streamed_body_over_http_keeps_its_content_type(self):
        result = invoke(ScoringScript(aml("streamed_score.py")),
                        request("http", {"words": ["x", "y", "z"]}))
        self.assertEqual((result.status, result.mimetype), (200, "text/plain"))
        self.assertEqual(result.body, b"item: x\nitem: y\nitem: z\n")


class NonPostTest(unittest.TestCase):
    def test_methods_other_than_post_for_a_scoring_run(self):
        script = ScoringScript(aml("plain_score.py"))
        result = invoke(script, request("http", b"", method="OPTIONS"))
        self.assertEqual((result.status, result.body), (200, b""))
        result = invoke(script, request("http", b"{}", method="PUT"))
        self.assertEqual(result.status, 405)
        self.assertEqual(json.loads(result.body), error(
            "MethodNotAllowed", "method PUT is not allowed: POST the payload (GET answers the "
            "health route)"))
        result = invoke(script, request("http", b"", method="GET", subpath="other"))
        self.assertEqual(result.status, 404)
        self.assertEqual(json.loads(result.body)["error"]["code"], "NotFound")

    def test_plain_run_gets_declared_non_json_text_unchanged(self):
        result = invoke(ScoringScript(aml("plain_score.py")),
                        request("http", b"a,b\n1,2\n", headers={"Content-Type": "text/csv"}))
        self.assertEqual(result.body, b'{"type": "str", "text": "a,b\\n1,2\\n"}')


class LoadRulesTest(unittest.TestCase):
    def test_star_args_are_refused_at_load(self):
        result = invoke(ScoringScript(aml("args_score.py")), request("http", b"{}"))
        self.assertEqual(result.status, 500)
        self.assertEqual(result.error_message, "scoring script args_score.py: run() cannot take "
                         "positional-only parameters, *args or **kwargs (Azure ML's server refuses "
                         "them too)")

    def test_rawhttp_and_input_schema_together_are_refused(self):
        result = invoke(ScoringScript(aml("both_score.py")), request("http", b"{}"))
        self.assertEqual(result.error_message, "scoring script both_score.py: run() cannot be "
                         "decorated with both @rawhttp and @input_schema")


class SwaggerTest(unittest.TestCase):
    def get(self, name, **params):
        return invoke(ScoringScript(aml(name)), request(
            "http", b"", method="GET", subpath="swagger.json", params=params, headers={}))

    def test_decorated_run_documents_the_decorators_schemas(self):
        result = self.get("numpy_schema_score.py")
        self.assertEqual(result.status, 200)
        doc = json.loads(result.body)
        from inference_schema import schema_util
        module = sys.modules["mlfunc_scoring_numpy_schema_score"]
        self.assertEqual(doc["swagger"], "2.0")
        self.assertEqual(doc["definitions"]["ServiceInput"], schema_util.get_input_schema(module.run))
        self.assertEqual(doc["definitions"]["ServiceInput"]["example"], {"data": [[1.0, 2.0]]})
        self.assertEqual(doc["definitions"]["ServiceOutput"]["example"], [3.0])
        self.assertEqual(sorted(doc["paths"]), ["/api/score", "/api/score/swagger.json"])
        self.assertEqual(doc["paths"]["/api/score"]["post"]["parameters"][0]["schema"],
                         {"$ref": "#/definitions/ServiceInput"})

    def test_openapi_3_on_request(self):
        doc = json.loads(self.get("standard_schema_score.py", version="3").body)
        self.assertEqual(doc["openapi"], "3.0.1")
        self.assertEqual(doc["components"]["schemas"]["ServiceInput"]["example"],
                         {"word": "hi", "times": 2, "scale": 1.5, "request_headers": ""})
        self.assertEqual(json.loads(self.get("plain_score.py", version="3.1").body)["openapi"], "3.1.0")

    def test_undecorated_run_gets_the_generic_document(self):
        doc = json.loads(self.get("plain_score.py").body)
        self.assertEqual(doc["definitions"]["ServiceInput"], {"type": "object", "example": {}})
        self.assertEqual(doc["definitions"]["ServiceOutput"], {"type": "object", "example": {}})

    def test_the_script_folders_own_file_wins(self):
        result = self.get(os.path.join("own_swagger", "score.py"))
        self.assertEqual(json.loads(result.body), {"swagger": "2.0", "info": {
            "title": "hand-written", "version": "7"}, "paths": {}})

    def test_unknown_version_is_404(self):
        result = self.get("plain_score.py", version="9")
        self.assertEqual(result.status, 404)
        self.assertEqual(json.loads(result.body), error(
            "NotFound", "OpenAPI version '9' is not valid; use 2, 3 or 3.1"))

    def test_rawhttp_scripts_have_the_route_too(self):
        self.assertEqual(json.loads(self.get("rawhttp_score.py").body)["swagger"], "2.0")


if __name__ == "__main__":
    unittest.main()
