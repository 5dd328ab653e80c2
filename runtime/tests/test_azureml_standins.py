"""The azureml.contrib.services stand-ins behave like Azure ML's classes."""
import json
import unittest

from azureml.contrib.services import aml_request
from azureml.contrib.services.aml_request import AMLRequest, rawhttp
from azureml.contrib.services.aml_response import AMLResponse


class AMLResponseTest(unittest.TestCase):
    def test_json_str(self):
        resp = AMLResponse({"a": [1, 2]}, 202, json_str=True)
        self.assertEqual((resp.status_code, resp.status), (202, "202 ACCEPTED"))
        self.assertEqual(json.loads(resp.get_data()), {"a": [1, 2]})
        self.assertEqual(resp.mimetype, "application/json")

    def test_text_and_bytes_bodies(self):
        resp = AMLResponse("hello", 200)
        self.assertEqual(resp.get_data(), b"hello")
        self.assertEqual(resp.get_data(as_text=True), "hello")
        self.assertEqual(resp.content_type, "text/html; charset=utf-8")
        img = AMLResponse(b"\x89PNG", 200, {"Content-Type": "image/png"})
        self.assertEqual((img.data, img.mimetype), (b"\x89PNG", "image/png"))

    def test_none_message_is_empty_json(self):
        resp = AMLResponse(None, 204)
        self.assertEqual((resp.get_data(), resp.mimetype), (b"{}", "application/json"))

    def test_headers_and_flags(self):
        resp = AMLResponse("x", 500, response_headers={"X-Reason": "oops"}, run_function_failed=True)
        self.assertEqual(resp.headers["x-reason"], "oops")
        self.assertEqual(resp.headers["X-MS-Run-Function-Failed"], "True")
        self.assertTrue(resp.run_function_failed)
        self.assertFalse(resp.json_str)


class AMLRequestTest(unittest.TestCase):
    def test_attributes(self):
        req = AMLRequest(method="post", url="https://h/api/score?a=1&b=2",
                         headers={"content-type": "application/json"}, data=b'{"x": 1}',
                         args={"a": "1", "b": "2"})
        self.assertEqual(req.method, "POST")
        self.assertEqual((req.path, req.full_path, req.query_string), ("/api/score", "/api/score?a=1&b=2", b"a=1&b=2"))
        self.assertEqual(req.headers["Content-Type"], "application/json")
        self.assertEqual(req.get_data(), b'{"x": 1}')
        self.assertEqual(req.get_data(as_text=True), '{"x": 1}')
        self.assertEqual(req.get_json(), {"x": 1})
        self.assertEqual(req.json, {"x": 1})
        self.assertEqual(req.args["b"], "2")
        self.assertEqual(req.url, "https://h/api/score?a=1&b=2")

    def test_full_path_without_query_keeps_question_mark(self):
        self.assertEqual(AMLRequest(url="http://h/x").full_path, "/x?")

    def test_rawhttp_marks_function_and_module(self):
        aml_request._rawHttpRequested = False

        @rawhttp
        def run(request):
            return request

        self.assertTrue(getattr(run, "__aml_rawhttp__"))
        self.assertTrue(aml_request._rawHttpRequested)
        self.assertEqual(run(1), 1)


if __name__ == "__main__":
    unittest.main()
