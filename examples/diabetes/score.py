import json
import os

import joblib
import numpy as np


def init():
    global model
    # AZUREML_MODEL_DIR is the folder that holds the registered model file.
    model_path = os.path.join(os.environ["AZUREML_MODEL_DIR"], "sklearn_regression_model.pkl")
    model = joblib.load(model_path)


def run(raw_data):
    data = np.array(json.loads(raw_data)["data"])
    result = model.predict(data)
    # Any JSON-serializable value can be returned.
    return result.tolist()
