"""Stand-in for ``azureml_inference_server_http.api.aml_request`` (alias ``azureml.contrib.services.aml_request``).

Same public names as the real module: ``rawhttp``, ``AMLRequest`` and the
module-level ``_rawHttpRequested`` flag, which the runtime reads after importing
the scoring script exactly as Azure ML's server does: once any function in the
process is decorated with ``@rawhttp``, run() receives the request object.
"""
from mlfunc_runtime.request import AMLRequest, Headers

__all__ = ["AMLRequest", "Headers", "rawhttp"]

_rawHttpRequested = False


def rawhttp(func):
    """Ask for the raw request (an AMLRequest) instead of the body text in run()."""
    global _rawHttpRequested
    _rawHttpRequested = True
    return func
