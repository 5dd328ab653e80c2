"""The diabetes example: reproducible model, pins that match the pickle, seed payload."""
import json
import os
import subprocess
import tempfile
import unittest

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
        # Same data and alpha; the last bits depend on the machine's BLAS.
        np.testing.assert_allclose(fresh.coef_, committed.coef_, rtol=1e-9)
        self.assertAlmostEqual(fresh.intercept_, committed.intercept_, places=6)

    def test_requirements_pin_the_versions_that_saved_the_model(self):
        import joblib
        import numpy
        import scipy
        import sklearn

        with open(os.path.join(support.EXAMPLE_DIR, "requirements.txt"), encoding="utf-8") as fh:
            pins = dict(line.strip().split("==") for line in fh if line.strip() and not line.startswith("#"))
        self.assertEqual(pins, {"scikit-learn": sklearn.__version__, "numpy": numpy.__version__,
                                "scipy": scipy.__version__, "joblib": joblib.__version__})

    def test_sample_payload(self):
        with open(support.SAMPLE_JSON, encoding="utf-8") as fh:
            data = json.load(fh)
        self.assertEqual(data, {"data": [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]]})
        self.assertEqual(len(support.direct_predictions()), 2)


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
