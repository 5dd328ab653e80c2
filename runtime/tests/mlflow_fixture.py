"""MLflow model folders for the tests, laid out as ``mlflow.sklearn.save_model`` lays them out.

Written by the tests themselves (no binary fixture in the repository): a
LinearRegression on scikit-learn's diabetes data, and the files MLflow 2.12 writes
next to it. MLmodel is written as JSON, which YAML readers (MLflow's) read too.
"""
import json
import os
import pickle

FEATURES = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]
COLUMNS = "columns"
TENSOR = "tensor"
NONE = "none"


def training_data():
    from sklearn.datasets import load_diabetes

    return load_diabetes(return_X_y=True, as_frame=True)


def make_model(folder, kind=COLUMNS, example=True):
    """Writes the folder; returns the fitted estimator, the reference for predictions."""
    from sklearn.linear_model import LinearRegression

    X, y = training_data()
    estimator = LinearRegression().fit(X.values if kind == TENSOR else X, y)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "model.pkl"), "wb") as fh:
        pickle.dump(estimator, fh)
    mlmodel = {
        "flavors": {
            "python_function": {"env": {"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
                                "loader_module": "mlflow.sklearn", "model_path": "model.pkl",
                                "predict_fn": "predict", "python_version": "3.12.3"},
            "sklearn": {"code": None, "pickled_model": "model.pkl",
                        "serialization_format": "cloudpickle", "sklearn_version": "1.2.1"},
        },
        "mlflow_version": "2.12.2",
    }
    output = json.dumps([{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}])
    if kind == COLUMNS:
        inputs = [{"type": "double", "name": name, "required": True} for name in FEATURES]
        mlmodel["signature"] = {"inputs": json.dumps(inputs), "outputs": output, "params": None}
    elif kind == TENSOR:
        inputs = [{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 10]}}]
        mlmodel["signature"] = {"inputs": json.dumps(inputs), "outputs": output, "params": None}
    if example and kind == COLUMNS:
        mlmodel["saved_input_example_info"] = {"artifact_path": "input_example.json",
                                               "pandas_orient": "split", "type": "dataframe"}
        with open(os.path.join(folder, "input_example.json"), "w", encoding="utf-8") as fh:
            json.dump({"columns": FEATURES, "data": X.head(2).values.tolist()}, fh)
    with open(os.path.join(folder, "MLmodel"), "w", encoding="utf-8") as fh:
        json.dump(mlmodel, fh, indent=2)
    with open(os.path.join(folder, "requirements.txt"), "w", encoding="utf-8") as fh:
        fh.write("mlflow==2.12.2\ncloudpickle==2.2.0\nscikit-learn==1.2.1\n")
    with open(os.path.join(folder, "python_env.yaml"), "w", encoding="utf-8") as fh:
        fh.write("python: 3.12.3\nbuild_dependencies:\n- pip==23.0.1\ndependencies:\n"
                 "- -r requirements.txt\n")
    return estimator
