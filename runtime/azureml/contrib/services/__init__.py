"""Stand-in for ``azureml.contrib.services``: raw HTTP request/response types for run()."""
from .aml_request import AMLRequest, rawhttp
from .aml_response import AMLResponse

__all__ = ["AMLRequest", "AMLResponse", "rawhttp"]
