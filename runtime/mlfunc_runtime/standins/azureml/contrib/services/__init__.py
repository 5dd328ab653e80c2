"""Stand-in for ``azureml.contrib.services``.

As in Azure ML's inference server, ``azureml.contrib.services.aml_request`` and
``aml_response`` are the very modules ``azureml_inference_server_http.api.aml_request``
and ``aml_response`` (mlfunc_runtime registers them under both names before it
imports a scoring script), so both import paths share one ``@rawhttp`` flag.
``azureml`` and ``azureml.contrib`` here are namespace folders: an installed
regular ``azureml`` package (azureml-core) always takes precedence.
"""
from azureml_inference_server_http.api.aml_request import AMLRequest, rawhttp
from azureml_inference_server_http.api.aml_response import AMLResponse

__all__ = ["AMLRequest", "AMLResponse", "rawhttp"]

import sys as _sys

from azureml_inference_server_http.api import aml_request, aml_response

# Imported without the runtime (a test, a notebook): register the aliases here too.
_sys.modules.setdefault(__name__ + ".aml_request", aml_request)
_sys.modules.setdefault(__name__ + ".aml_response", aml_response)
