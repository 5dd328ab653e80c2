"""A small in-memory ``azure.functions`` for testing mlfunc_runtime.entry.

Only the names and signatures entry.py uses, spelled as in the real package
(Azure/azure-functions-python-library): HttpRequest ``method``, ``url``,
``headers`` (lower-cased keys, as its HttpRequestHeaders), ``params``,
``route_params``, ``get_body()``; HttpResponse(body, status_code=, headers=,
mimetype=, charset=); InputStream ``read()``, ``name``, ``uri``;
ServiceBusMessage ``get_body()``, ``message_id``, ``content_type``,
``application_properties``; Out ``set()``; Context ``function_name``,
``function_directory``, ``invocation_id``.
"""
import sys
import types
import typing

T = typing.TypeVar("T")


class HttpRequest:
    def __init__(self, method, url, *, headers=None, params=None, route_params=None, body=b""):
        self.method = method.upper()
        self.url = url
        self.headers = {k.lower(): v for k, v in (headers or {}).items()}
        self.params = dict(params or {})
        self.route_params = dict(route_params or {})
        self._body = body

    def get_body(self):
        return self._body


class HttpResponse:
    def __init__(self, body=None, *, status_code=None, headers=None, mimetype=None, charset=None):
        self._body = body.encode("utf-8") if isinstance(body, str) else (body or b"")
        self.status_code = status_code or 200
        self.headers = dict(headers or {})
        self.mimetype = mimetype or "text/plain"
        self.charset = charset or "utf-8"

    def get_body(self):
        return self._body


class InputStream:
    def __init__(self, *, data, name=None, uri=None, length=None):
        self._data = data
        self.name = name
        self.uri = uri
        self.length = length if length is not None else len(data)

    def read(self, size=-1):
        return self._data if size < 0 else self._data[:size]


class ServiceBusMessage:
    def __init__(self, *, body, message_id=None, content_type=None, application_properties=None):
        self._body = body
        self.message_id = message_id
        self.content_type = content_type
        # azure-functions 1.x: the message's application (user) properties as a dict.
        self.application_properties = dict(application_properties or {})

    def get_body(self):
        return self._body


class Out(typing.Generic[T]):
    def __init__(self):
        self.value = None
        self.calls = 0

    def set(self, val):
        self.calls += 1
        self.value = val

    def get(self):
        return self.value


class Context:
    def __init__(self, function_name, function_directory=None, invocation_id="test-invocation"):
        self.function_name = function_name
        self.function_directory = function_directory
        self.invocation_id = invocation_id


def install():
    """Put the fake into sys.modules; returns a function that removes it again."""
    saved = {name: sys.modules.get(name) for name in ("azure", "azure.functions")}
    functions = types.ModuleType("azure.functions")
    for name in ("HttpRequest", "HttpResponse", "InputStream", "ServiceBusMessage", "Out", "Context"):
        setattr(functions, name, globals()[name])
    azure = types.ModuleType("azure")
    azure.__path__ = []
    azure.functions = functions
    sys.modules["azure"] = azure
    sys.modules["azure.functions"] = functions
    sys.modules.pop("mlfunc_runtime.entry", None)

    def uninstall():
        sys.modules.pop("mlfunc_runtime.entry", None)
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module

    return uninstall
