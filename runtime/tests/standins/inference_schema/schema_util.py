import inspect

from ._constants import ALL_SUPPORTED_VERSIONS, INPUT_SCHEMA_ATTR, OUTPUT_SCHEMA_ATTR

__functions_schema__ = {}
__versions__ = {}


def _key(func):
    original = inspect.unwrap(func)
    return "%s.%s" % (getattr(original, "__module__", "<unknown>"),
                      getattr(original, "__name__", "<unknown>"))


def is_schema_decorated(func):
    return _key(func) in __functions_schema__


def get_input_schema(func):
    return __functions_schema__.get(_key(func), {}).get(INPUT_SCHEMA_ATTR, {"type": "object"})


def get_output_schema(func):
    return __functions_schema__.get(_key(func), {}).get(OUTPUT_SCHEMA_ATTR, {"type": "object"})


def get_supported_versions(func):
    versions = __versions__.get(_key(func))
    return sorted(versions) if versions is not None else list(ALL_SUPPORTED_VERSIONS)
