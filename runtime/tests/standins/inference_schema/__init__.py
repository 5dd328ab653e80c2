"""A small stand-in for inference-schema (Azure/InferenceSchema), for the runtime's own tests.

It reproduces exactly what mlfunc_runtime relies on, no more:
  * ``schema_util.is_schema_decorated(func)``, ``get_input_schema(func)``,
    ``get_output_schema(func)``, ``get_supported_versions(func)`` (versions as
    "2.0", "3.0", "3.1"), keyed by the undecorated function's module and name;
  * ``schema_decorators.input_schema(param_name, param_type,
    convert_to_provided_type=True, optional=False)`` and ``output_schema(type)``:
    the wrapper (named ``decorator_input``, with ``param_name`` among its locals)
    converts a keyword argument through ``_deserialize_input_argument``, which
    raises ValueError for input it cannot convert; an optional parameter given a
    falsy value is passed unconverted; ``__wrapped__`` leads to the original
    function, so ``inspect.signature`` sees its parameters and defaults;
  * the parameter types' ``deserialize_input`` and ``input_to_swagger``.
Module names match the real package: the runtime tells a conversion failure from
a failing run() by the ``inference_schema.*`` frames in the traceback.
"""
