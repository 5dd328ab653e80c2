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


def cli_env(**extra):
    env = dict(os.environ)
    env["PYTHONPATH"] = RUNTIME_DIR + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("AZUREML_MODEL_DIR", None)
    env.pop("MLFUNC_SCORING_SCRIPT", None)
    env.update(extra)
    return env
