"""Stand-in for ``azureml.contrib``; see the parent package.

extend_path keeps other installed ``azureml.*`` distributions (for example
azureml-core from the user's requirements) importable next to this one.
"""
from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)
