"""Stand-in for ``azureml.contrib.services.aml_response``.

Same constructor as Azure ML's Flask-based class:
``AMLResponse(message, status_code, response_headers=None, json_str=False,
run_function_failed=False)``, with the Flask response attributes the runtime
reads (``status_code``, ``headers``, ``mimetype``, ``get_data()``).
"""
import json
from http import HTTPStatus

from .aml_request import Headers


class AMLResponse:
    def __init__(self, message, status_code, response_headers=None, json_str=False,
                 run_function_failed=False):
        self.status_code = int(status_code)
        self.json_str = bool(json_str)
        self.run_function_failed = bool(run_function_failed)
        self.headers = Headers()

        if message is None:
            # Azure ML answers an empty JSON object when there is no message.
            body, content_type = b"{}", "application/json"
        elif json_str:
            body, content_type = json.dumps(message).encode("utf-8"), "application/json"
        elif isinstance(message, (bytes, bytearray, memoryview)):
            body, content_type = bytes(message), "text/html; charset=utf-8"
        elif isinstance(message, str):
            body, content_type = message.encode("utf-8"), "text/html; charset=utf-8"
        else:
            # Flask would fail on a dict/list here; encoding it is the useful reading.
            body, content_type = json.dumps(message).encode("utf-8"), "application/json"
        self._body = body
        self.headers["Content-Type"] = content_type
        if self.run_function_failed:
            self.headers["x-ms-run-function-failed"] = "True"
        for name, value in (response_headers or {}).items():
            self.headers[name] = value

    @property
    def data(self):
        return self._body

    @property
    def status(self):
        try:
            phrase = HTTPStatus(self.status_code).phrase.upper()
        except ValueError:
            phrase = "UNKNOWN"
        return "%d %s" % (self.status_code, phrase)

    @property
    def content_type(self):
        return self.headers.get("Content-Type")

    @property
    def mimetype(self):
        return (self.content_type or "").split(";", 1)[0].strip() or None

    def get_data(self, as_text=False):
        return self._body.decode("utf-8", errors="replace") if as_text else self._body

    def __repr__(self):
        return "<AMLResponse %s>" % (self.status,)
