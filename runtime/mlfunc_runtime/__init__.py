"""Runs an Azure ML style scoring script (init()/run()) inside Azure Functions.

``core`` holds the invocation path (no azure.functions import), ``entry`` the
Functions adapters, ``local`` the command-line invoker, ``swagger`` the OpenAPI
document, ``request`` the request object of ``@rawhttp`` scripts; ``standins/``
the azureml modules scripts import, placed behind any installed ones.
"""
from .core import InvocationRequest, Result, ScoringScript

__all__ = ["InvocationRequest", "Result", "ScoringScript"]
__version__ = "0.1.0"
