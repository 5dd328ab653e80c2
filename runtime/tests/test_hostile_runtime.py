"""Payloads and results built to break the runtime still get the documented error contract."""
import json
import logging
import unittest

from mlfunc_runtime.core import InvocationRequest, ScoringScript

from . import support

DEEP = ("[" * 1000 + "]" * 1000).encode()


def http(body, **kwargs):
    return InvocationRequest(body, trigger="http", function_name="f",
                             headers={"content-type": "application/json"}, **kwargs)


class HostileRuntimeTest(unittest.TestCase):
    def setUp(self):
        self.script = ScoringScript(support.fixture("aml/hostile_score.py"))

    def call(self, what, invocation_id="inv"):
        with self.assertLogs("mlfunc", logging.WARNING) as logs:
            result = self.script.invoke(http(json.dumps({"do": what}).encode(),
                                             invocation_id=invocation_id))
        return result, "\n".join(logs.output)

    def test_deeply_nested_body_is_a_400_for_every_script_kind(self):
        for name, trigger in (("counting_score.py", "http"), ("counting_score.py", "blob"),
                              ("aml/numpy_schema_score.py", "http")):
            script = ScoringScript(support.fixture(name))
            with self.assertLogs("mlfunc", logging.WARNING):
                result = script.invoke(InvocationRequest(
                    b'{"data": ' + DEEP + b"}" if "schema" in name else DEEP, trigger=trigger,
                    function_name="f", headers={"content-type": "application/json"}))
            what = "request body" if trigger == "http" else "blob content"
            self.assertEqual(result.status, 400)
            self.assertEqual(json.loads(result.body), {"error": {
                "code": "InvalidInput", "message": "%s is nested too deeply to be read as JSON" % what}})

    def test_deeply_nested_result_is_a_clean_500(self):
        result, logs = self.call("deep", "inv-deep")
        self.assertEqual(result.status, 500)
        self.assertEqual(json.loads(result.body),
                         support.generic_error("ResultNotSerializable", "inv-deep"))
        self.assertEqual(result.error_message,
                         "run() returned a value nested too deeply to encode as JSON")

    def test_exception_whose_str_raises(self):
        result, logs = self.call("unprintable", "inv-str")
        self.assertEqual(json.loads(result.body), support.generic_error("RunFailed", "inv-str"))
        self.assertEqual(result.error_message, "run() of hostile_score.py failed: Unprintable: "
                         "<str() of the exception failed>")
        self.assertIn("invocation=inv-str", logs)

    def test_base_exception_subclasses_and_keyboard_interrupt(self):
        result, _ = self.call("base", "inv-base")
        self.assertEqual(json.loads(result.body), support.generic_error("RunFailed", "inv-base"))
        self.assertEqual(result.error_message, "run() of hostile_score.py failed: Escape: left "
                         "through BaseException")
        result, _ = self.call("interrupt", "inv-int")
        self.assertEqual((result.status, result.error_message),
                         (500, "run() of hostile_score.py failed: KeyboardInterrupt"))

    def test_nan_and_infinity_are_sent_as_null_with_a_warning(self):
        result, logs = self.call("nan", "inv-nan")
        self.assertEqual((result.status, result.body), (200, b'{"a": null, "b": [1.5, null, null]}'))
        self.assertIn("invocation=inv-nan run() of hostile_score.py returned NaN or Infinity, "
                      "which JSON cannot carry; sent as null", logs)
        result, _ = self.call("numpy-nan")
        self.assertEqual(result.body, b"[1.0, null]")

    def test_finite_results_are_not_touched(self):
        result = self.script.invoke(http(b'{"do": 1.5e308}'))
        self.assertEqual(result.body, b"1.5e+308")


if __name__ == "__main__":
    unittest.main()
