"""The request object a ``@rawhttp`` run() receives.

Azure ML's server hands run() its Flask request; this carries the same commonly
used attributes without Flask. It lives in the runtime (not in the stand-in
module) so the runtime builds it even when the real azureml-inference-server-http
is installed and its ``aml_request`` module is the one scripts import.
"""
import json
from urllib.parse import urlencode, urlsplit


class Headers:
    """Case-insensitive, case-preserving header mapping (like werkzeug's Headers)."""

    def __init__(self, items=None):
        self._items = {}
        if items:
            pairs = items.items() if hasattr(items, "items") else items
            for key, value in pairs:
                self[key] = value

    def __getitem__(self, key):
        return self._items[key.lower()][1]

    def __setitem__(self, key, value):
        self._items[key.lower()] = (key, str(value))

    def __delitem__(self, key):
        del self._items[key.lower()]

    def __contains__(self, key):
        return isinstance(key, str) and key.lower() in self._items

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self._items)

    def get(self, key, default=None, type=None):  # noqa: A002 - werkzeug's signature
        try:
            value = self[key]
        except KeyError:
            return default
        if type is not None:
            try:
                return type(value)
            except (TypeError, ValueError):
                return default
        return value

    def keys(self):
        return [name for name, _ in self._items.values()]

    def values(self):
        return [value for _, value in self._items.values()]

    def items(self):
        return list(self._items.values())

    def to_dict(self):
        return dict(self._items.values())

    def __repr__(self):
        return "Headers(%r)" % (self.to_dict(),)


class AMLRequest:
    """The request handed to a ``@rawhttp`` run().

    Mirrors the Flask/werkzeug attributes Azure ML scripts use: ``method``,
    ``headers``, ``args``, ``path``, ``full_path``, ``url``, ``query_string``,
    ``data``, ``get_data()``, ``get_json()``, ``json``, ``content_type`` and
    ``mimetype``. ``route_params`` is extra (Functions route parameters).
    """

    def __init__(self, method="POST", url="http://localhost/score", headers=None, data=b"",
                 args=None, route_params=None):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.method = (method or "POST").upper()
        self.url = url or ""
        self.headers = Headers(headers)
        self.args = dict(args or {})
        self.route_params = dict(route_params or {})
        self._data = bytes(data or b"")
        parts = urlsplit(self.url)
        self.path = parts.path or "/"
        query = parts.query or urlencode(self.args)
        self.query_string = query.encode("utf-8")
        # werkzeug always appends "?" to full_path, even with no query.
        self.full_path = self.path + "?" + query

    @property
    def data(self):
        return self._data

    @property
    def content_type(self):
        return self.headers.get("Content-Type")

    @property
    def mimetype(self):
        value = self.content_type or ""
        return value.split(";", 1)[0].strip().lower()

    @property
    def is_json(self):
        mimetype = self.mimetype
        return mimetype == "application/json" or (
            mimetype.startswith("application/") and mimetype.endswith("+json"))

    def get_data(self, cache=True, as_text=False, parse_form_data=False):
        if as_text:
            return self._data.decode("utf-8", errors="replace")
        return self._data

    def get_json(self, force=False, silent=False, cache=True):
        if not (force or self.is_json):
            if silent:
                return None
            raise ValueError("request content type is not JSON: %r" % (self.content_type,))
        try:
            return json.loads(self._data.decode("utf-8"))
        except ValueError:
            if silent:
                return None
            raise

    @property
    def json(self):
        return self.get_json(silent=True)

    def __repr__(self):
        return "<AMLRequest %s %s>" % (self.method, self.full_path)
