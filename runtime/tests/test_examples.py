"""The diabetes example: reproducible model, pins that match the pickle, seed payload."""
import json
import os
import re
import subprocess
import tempfile
import unittest
import warnings

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

    def test_requirements_pin_the_scikit_learn_that_saved_the_model(self):
        import joblib

        with open(os.path.join(support.EXAMPLE_DIR, "requirements.txt"), encoding="utf-8") as fh:
            pins = dict(line.strip().split("==") for line in fh if line.strip() and not line.startswith("#"))
        self.assertEqual(sorted(pins), ["joblib", "numpy", "scikit-learn", "scipy"])
        # The pickle records the scikit-learn that wrote it; the image must install that one,
        # whatever scikit-learn runs these tests. Another version says which when it loads it.
        import sklearn

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            joblib.load(support.EXAMPLE_MODEL)
        saved_by = sklearn.__version__
        for warning in caught:
            recorded = getattr(warning.message, "original_sklearn_version", None)
            found = re.search(r"from version (\S+) when using version", str(warning.message))
            saved_by = recorded or (found.group(1) if found else saved_by)
        self.assertEqual(pins["scikit-learn"], saved_by)

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
        proc = subprocess.run([support.PYTHON, os.path.join(support.RUNTIME_DIR, "bench_overhead.py"),
                               "--calls", "50"], capture_output=True, text=True, timeout=300)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        report = json.loads(proc.stdout)
        self.assertEqual(set(report), {"calls", "direct_median_us", "runtime_median_us",
                                       "added_median_us", "init_calls"})
        self.assertEqual((report["calls"], report["init_calls"]), (50, 1))
        self.assertGreater(report["runtime_median_us"], 0)


if __name__ == "__main__":
    unittest.main()
