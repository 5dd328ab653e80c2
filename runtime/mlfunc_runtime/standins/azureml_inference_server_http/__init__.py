"""Stand-in for ``azureml-inference-server-http``, used only when the real package is not installed.

mlfunc_runtime puts this folder at the end of ``sys.path``, so an installed
``azureml_inference_server_http`` (or any ``azureml-*`` distribution) wins.
"""
