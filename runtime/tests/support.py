"""Shared paths and helpers for the runtime tests."""
import json
import os
import sys

RUNTIME_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_ROOT = os.path.dirname(RUNTIME_DIR)
FIXTURES = os.path.join(RUNTIME_DIR, "tests", "fixtures")
EXAMPLE_DIR = os.path.join(REPO_ROOT, "examples", "diabetes")
EXAMPLE_SCRIPT = os.path.join(EXAMPLE_DIR, "score.py")
EXAMPLE_MODEL = os.path.join(EXAMPLE_DIR, "sklearn_regression_model.pkl")
SAMPLE_JSON = os.path.join(EXAMPLE_DIR, "sample.json")
PYTHON = os.environ.get("MLFUNC_PYTHON") or sys.executable

# Tolerances for floats that pass through BLAS, whose rounding differs with the build, the CPU
# and even memory alignment. Predictions of one model on one payload agree to ~1e-13 relative;
# a retrained model to ~1e-12 (4.2e-12 absolute seen between two machines). A real change (another
# model, payload, alpha or split) moves them by orders of magnitude more.
PREDICTION_RTOL = 1e-9
MODEL_RTOL = 1e-7
MODEL_ATOL = 1e-9


def fixture(name):
    return os.path.join(FIXTURES, name)


def sample_bytes():
    with open(SAMPLE_JSON, "rb") as fh:
        return fh.read()


def direct_predictions():
    """What the model itself says for the seed payload: the reference for every path."""
    import joblib
    import numpy as np

    with open(SAMPLE_JSON, encoding="utf-8") as fh:
        data = np.array(json.load(fh)["data"])
    return joblib.load(EXAMPLE_MODEL).predict(data).tolist()


def assert_predictions(testcase, actual, expected=None):
    """`actual` (a list of floats) equals the model's own predictions within PREDICTION_RTOL."""
    import math

    expected = direct_predictions() if expected is None else expected
    testcase.assertIsInstance(actual, list)
    testcase.assertEqual(len(actual), len(expected), actual)
    for got, want in zip(actual, expected):
        testcase.assertTrue(math.isclose(got, want, rel_tol=PREDICTION_RTOL),
                            "%r != %r within rel_tol=%g" % (got, want, PREDICTION_RTOL))


def cli_env(**extra):
    env = dict(os.environ)
    env["PYTHONPATH"] = RUNTIME_DIR + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("AZUREML_MODEL_DIR", None)
    env.pop("MLFUNC_SCORING_SCRIPT", None)
    env.update(extra)
    return env


# Spelled out rather than taken from core, so a changed wording fails the tests.
GENERIC_MESSAGES = {
    "ScriptLoadFailed": "the scoring script could not be loaded; see the function's logs for "
                        "invocation %s",
    "InitFailed": "init() of the scoring script failed; see the function's logs for invocation %s",
    "RunFailed": "run() of the scoring script failed; see the function's logs for invocation %s",
    "ResultNotSerializable": "run() of the scoring script returned a value that is not "
                             "JSON-serializable; see the function's logs for invocation %s",
}


def generic_error(code, invocation_id):
    """The whole body a caller gets for a server-side failure."""
    return {"error": {"code": code, "message": GENERIC_MESSAGES[code] % invocation_id,
                      "invocationId": invocation_id}}

# The inference-schema stand-in (see standins/inference_schema/__init__.py) for decorated fixtures.
STANDINS = os.path.join(RUNTIME_DIR, "tests", "standins")
if STANDINS not in sys.path:
    # Appended: a real inference-schema on PYTHONPATH wins (see the README on checking against it).
    sys.path.append(STANDINS)
