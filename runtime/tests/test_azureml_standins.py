"""The azureml.contrib.services stand-ins behave like Azure ML's classes."""
import json
import sys
import unittest

from mlfunc_runtime import core

core.install_aml_api()

from azureml.contrib.services import aml_request  # noqa: E402
from azureml.contrib.services.aml_request import AMLRequest, rawhttp  # noqa: E402
from azureml.contrib.services.aml_response import AMLResponse  # noqa: E402


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
        self.assertEqual(AMLResponse("x", 200).headers["x-ms-run-function-failed"], "False")

    def test_streamed_body_is_joined_once(self):
        resp = AMLResponse((part for part in ["a", b"b", "\u00e9"]), 200)
        self.assertTrue(resp.is_streamed)
        self.assertEqual(resp.get_data(), "ab\u00e9".encode("utf-8"))
        self.assertFalse(resp.is_streamed)
        self.assertEqual(resp.get_data(as_text=True), "ab\u00e9")


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

    def test_rawhttp_sets_the_module_flag_and_returns_the_function(self):
        aml_request._rawHttpRequested = False

        @rawhttp
        def run(request):
            return request

        self.assertTrue(aml_request._rawHttpRequested)
        self.assertEqual(run(1), 1)


class ImportPathsTest(unittest.TestCase):
    def test_both_import_paths_are_one_module(self):
        import azureml.contrib.services.aml_response as contrib_response
        import azureml_inference_server_http.api.aml_request as api_request
        import azureml_inference_server_http.api.aml_response as api_response
        self.assertIs(aml_request, api_request)
        self.assertIs(contrib_response, api_response)
        self.assertIs(sys.modules["azureml.contrib.services.aml_request"], api_request)

    def test_standins_come_after_installed_packages(self):
        self.assertEqual(sys.path[-1] if core.STANDINS_DIR in sys.path else None, core.STANDINS_DIR)
        self.assertTrue(api_file("aml_request").startswith(core.STANDINS_DIR))

    def test_a_regular_azureml_package_elsewhere_wins_and_still_reaches_the_standins(self):
        # What azureml-core installs: a regular azureml package extending its path.
        import subprocess
        import tempfile
        import os
        from . import support
        with tempfile.TemporaryDirectory() as site:
            os.makedirs(os.path.join(site, "azureml", "core"))
            with open(os.path.join(site, "azureml", "__init__.py"), "w") as fh:
                fh.write("__path__ = __import__('pkgutil').extend_path(__path__, __name__)\n")
            with open(os.path.join(site, "azureml", "core", "__init__.py"), "w") as fh:
                fh.write("REAL = True\n")
            code = ("import sys; sys.path.insert(0, %r)\n"
                    "from mlfunc_runtime import core; core.install_aml_api()\n"
                    "import azureml.core, azureml.contrib.services.aml_request as r\n"
                    "print(azureml.core.REAL, azureml.__file__.startswith(%r), r.__name__)" % (site, site))
            proc = subprocess.run([support.PYTHON, "-c", code], capture_output=True, text=True,
                                  env=support.cli_env(), timeout=60)
        self.assertEqual(proc.stdout.strip(), "True True azureml_inference_server_http.api.aml_request",
                         proc.stderr)


def api_file(name):
    return sys.modules["azureml_inference_server_http.api." + name].__file__


if __name__ == "__main__":
    unittest.main()
