"""Runs an Azure ML style scoring script (init()/run()) inside Azure Functions.

``core`` holds the invocation path (no azure.functions import), ``entry`` the
Functions adapters, ``local`` the command-line invoker.
"""
from .core import InvocationRequest, Result, ScoringScript

__all__ = ["InvocationRequest", "Result", "ScoringScript"]
__version__ = "0.1.0"
