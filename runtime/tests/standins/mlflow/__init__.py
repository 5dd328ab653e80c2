"""A small stand-in for MLflow's ``mlflow.pyfunc`` (mlflow/mlflow 2.x), for the runtime's own tests.

It reproduces exactly what mlfunc_runtime.mlflow_model relies on, no more:
  * ``mlflow.pyfunc.load_model(folder)``: reads ``MLmodel`` and unpickles the
    ``sklearn`` flavor's ``pickled_model``; anything else raises MlflowException;
  * the loaded model's ``predict(data, params=None)``, which refuses (as MLflow's
    own schema check does, with error_code INVALID_PARAMETER_VALUE) a frame that
    lacks a signature column or has a column of another dtype, and an array of
    another dtype or rank than the tensor signature's;
  * ``model.metadata``: ``get_input_schema()`` / ``get_output_schema()`` returning
    None or a schema whose ``to_dict()`` is the list MLflow stores in MLmodel, and
    ``saved_input_example_info``;
  * ``mlflow.exceptions.MlflowException`` with ``error_code``.
``load_calls`` counts loads, so tests can check that the runtime loads once.
The fixture folders (runtime/tests/mlflow_fixture.py) write MLmodel as JSON, which
is YAML too, so this stand-in needs no YAML parser.
"""
__version__ = "0.0.0-standin"
