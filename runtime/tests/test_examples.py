"""The diabetes example: reproducible model, pins that match the pickle, seed payload."""
import contextlib
import io
import json
import os
import re
import runpy
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

from . import support


class DiabetesExampleTest(unittest.TestCase):
    def test_train_reproduces_the_committed_model(self):
        import joblib
        import numpy as np

        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "model.pkl")
            proc = subprocess.run([support.PYTHON, os.path.join(support.EXAMPLE_DIR, "train.py"), out],
                                  capture_output=True, text=True, timeout=300)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertIn("features=10", proc.stdout)
            fresh = joblib.load(out)
        committed = joblib.load(support.EXAMPLE_MODEL)
        self.assertEqual(type(committed).__name__, "Ridge")
        self.assertEqual(committed.n_features_in_, 10)
        # Same data, split and alpha give the same model up to floating-point rounding, which
        # differs with the BLAS build and CPU (4.2e-12 seen between two machines). A changed
        # split or alpha moves coefficients of this size (tens to hundreds) by far more.
        np.testing.assert_allclose(fresh.coef_, committed.coef_, rtol=support.MODEL_RTOL, atol=support.MODEL_ATOL)
        np.testing.assert_allclose(fresh.intercept_, committed.intercept_, rtol=support.MODEL_RTOL,
                                   atol=support.MODEL_ATOL)

    def test_requirements_install_on_every_supported_python(self):
        # Python versions each release publishes wheels for, from its release notes
        # (scikit-learn 1.6: 3.9-3.13; NumPy 2.2: 3.10-3.13; SciPy 1.15: 3.10-3.13; joblib: pure Python).
        wheels = {"scikit-learn==1.6.1": ("3.9", "3.13"), "numpy==2.2.6": ("3.10", "3.13"),
                  "scipy==1.15.3": ("3.10", "3.13"), "joblib==1.6.0": ("3.9", None)}
        with open(os.path.join(support.EXAMPLE_DIR, "requirements.txt"), encoding="utf-8") as fh:
            pins = [line.strip() for line in fh if line.strip() and not line.startswith("#")]
        self.assertEqual(sorted(pins), sorted(wheels))
        with open(os.path.join(support.REPO_ROOT, "config", "schema.ts"), encoding="utf-8") as fh:
            supported = re.search(r"PYTHON_VERSIONS = \[([^\]]*)\]", fh.read()).group(1)
        versions = [tuple(map(int, v.split("."))) for v in re.findall(r'"([0-9.]+)"', supported)]
        self.assertEqual(versions, [(3, 11), (3, 12), (3, 13)])
        for pin, (low, high) in wheels.items():
            for version in versions:
                self.assertGreaterEqual(version, tuple(map(int, low.split("."))), pin)
                if high:
                    self.assertLessEqual(version, tuple(map(int, high.split("."))), pin)

    def test_committed_model_needs_only_names_the_pinned_releases_still_have(self):
        # What unpickling the model imports. numpy 2 keeps numpy.core.multiarray for pickles
        # written by numpy 1.x; Ridge is still sklearn.linear_model._ridge.Ridge in 1.6.
        import joblib.numpy_pickle as numpy_pickle

        seen = []
        original = numpy_pickle.NumpyUnpickler.find_class

        def find_class(unpickler, module, name):
            seen.append((module, name))
            return original(unpickler, module, name)

        with mock.patch.object(numpy_pickle.NumpyUnpickler, "find_class", find_class):
            model = numpy_pickle.load(support.EXAMPLE_MODEL)
        self.assertEqual(sorted(set(seen)), [
            ("joblib.numpy_pickle", "NumpyArrayWrapper"), ("numpy", "dtype"), ("numpy", "ndarray"),
            ("numpy.core.multiarray", "scalar"), ("sklearn.linear_model._ridge", "Ridge")])
        # predict() reads only these fitted attributes.
        self.assertTrue({"coef_", "intercept_", "n_features_in_"} <= set(vars(model)))

    def test_sample_payload(self):
        with open(support.SAMPLE_JSON, encoding="utf-8") as fh:
            data = json.load(fh)
        self.assertEqual(data, {"data": [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]]})
        self.assertEqual(len(support.direct_predictions()), 2)

    def test_prediction_tolerance_absorbs_rounding_but_not_a_changed_model(self):
        expected = support.direct_predictions()
        support.assert_predictions(self, [p * (1 + 1e-13) for p in expected])
        with self.assertRaises(AssertionError):
            support.assert_predictions(self, [p * (1 + 1e-6) for p in expected])
        with self.assertRaises(AssertionError):
            support.assert_predictions(self, expected[:1])


class BenchmarkScriptTest(unittest.TestCase):
    def test_bench_reports_json_and_single_init(self):
        # The script run as `python bench_overhead.py` runs it, but in this process, which has loaded
        # scikit-learn already: a fresh Python would spend most of its time importing it again.
        script = os.path.join(support.RUNTIME_DIR, "bench_overhead.py")
        stdout = io.StringIO()
        with mock.patch.object(sys, "argv", [script, "--calls", "50"]), \
                mock.patch.object(sys, "path", list(sys.path)), mock.patch.dict(os.environ), \
                contextlib.redirect_stdout(stdout), self.assertRaises(SystemExit) as exited:
            runpy.run_path(script, run_name="__main__")
        self.assertEqual(exited.exception.code, 0)
        report = json.loads(stdout.getvalue())
        self.assertEqual(set(report), {"calls", "direct_median_us", "runtime_median_us",
                                       "added_median_us", "init_calls"})
        self.assertEqual((report["calls"], report["init_calls"]), (50, 1))
        self.assertGreater(report["runtime_median_us"], 0)


if __name__ == "__main__":
    unittest.main()
