import copy
import functools
import inspect

from ._constants import INPUT_SCHEMA_ATTR, OUTPUT_SCHEMA_ATTR
from .schema_util import __functions_schema__, __versions__, _key


def _register(func, attr, schema, versions):
    key = _key(func)
    entry = __functions_schema__.setdefault(key, {})
    if attr == INPUT_SCHEMA_ATTR:
        if INPUT_SCHEMA_ATTR not in entry:
            names = inspect.getfullargspec(inspect.unwrap(func)).args
            entry[INPUT_SCHEMA_ATTR] = {"type": "object",
                                        "properties": {n: {} for n in names},
                                        "example": {n: "" for n in names}}
        for name, item in schema.items():
            item = copy.deepcopy(item)
            entry[INPUT_SCHEMA_ATTR]["example"][name] = item.pop("example")
            entry[INPUT_SCHEMA_ATTR]["properties"][name] = item
    else:
        entry[OUTPUT_SCHEMA_ATTR] = schema
    known = __versions__.get(key)
    __versions__[key] = set(versions) if known is None else known & set(versions)


def _deserialize_input_argument(input_data, param_type, param_name):
    if not isinstance(input_data, param_type.sample_data_type):
        input_data = param_type.deserialize_input(input_data)
    return input_data


def input_schema(param_name, param_type, convert_to_provided_type=True, optional=False):
    def wrap(user_run):
        _register(user_run, INPUT_SCHEMA_ATTR, {param_name: param_type.input_to_swagger()},
                  param_type.supported_versions())

        @functools.wraps(user_run)
        def decorator_input(*args, **kwargs):
            if convert_to_provided_type and param_name in kwargs:
                if not (optional and not kwargs[param_name]):
                    kwargs[param_name] = _deserialize_input_argument(kwargs[param_name], param_type,
                                                                     param_name)
            return user_run(*args, **kwargs)

        return decorator_input

    return wrap


def output_schema(output_type):
    def wrap(user_run):
        _register(user_run, OUTPUT_SCHEMA_ATTR, output_type.input_to_swagger(),
                  output_type.supported_versions())

        @functools.wraps(user_run)
        def decorator_input(*args, **kwargs):
            return user_run(*args, **kwargs)

        return decorator_input

    return wrap
