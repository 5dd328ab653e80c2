"""Stand-in for ``azureml_inference_server_http.api.aml_response`` (alias ``azureml.contrib.services.aml_response``).

Same constructor as Azure ML's Flask-based class:
``AMLResponse(message, status_code, response_headers={}, json_str=False,
run_function_failed=False)``, and the Flask response attributes the runtime
reads (``status_code``, ``headers``, ``mimetype``, ``get_data()``). As with
Flask, ``message`` may be an iterable of str/bytes (a generator: a streamed
body); ``get_data()`` joins it.
"""
import json
from http import HTTPStatus

from mlfunc_runtime.request import Headers

__all__ = ["AMLResponse"]


class AMLResponse:
    def __init__(self, message, status_code, response_headers=None, json_str=False,
                 run_function_failed=False):
        self.status_code = int(status_code)
        self.headers = Headers()
        self._chunks = None
        if message is None:
            # Azure ML answers an empty JSON object when there is no message.
            self._body, content_type = b"{}", "application/json"
        elif json_str:
            self._body, content_type = json.dumps(message).encode("utf-8"), "application/json"
        else:
            # Flask's default mimetype for a plain body.
            content_type = "text/html; charset=utf-8"
            if isinstance(message, str):
                self._body = message.encode("utf-8")
            elif isinstance(message, (bytes, bytearray, memoryview)):
                self._body = bytes(message)
            else:
                self._body, self._chunks = None, iter(message)
        self.headers["Content-Type"] = content_type
        self.headers["x-ms-run-function-failed"] = str(bool(run_function_failed))
        # Azure ML splits a comma-separated value into repeated headers; the mapping
        # here keeps one value per name, so the list stays joined.
        for name, value in (response_headers or {}).items():
            self.headers[name] = ", ".join(v.strip() for v in str(value).split(","))

    @property
    def is_streamed(self):
        return self._chunks is not None

    @property
    def data(self):
        return self.get_data()

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
        if self._chunks is not None:
            # A streamed body is consumed once, as Flask's is.
            self._body = b"".join(c.encode("utf-8") if isinstance(c, str) else bytes(c)
                                  for c in self._chunks)
            self._chunks = None
        return self._body.decode("utf-8", errors="replace") if as_text else self._body

    def __repr__(self):
        return "<AMLResponse %s>" % (self.status,)
