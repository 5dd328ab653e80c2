"""The OpenAPI document of a function, by the rules of Azure ML's ``GET /swagger.json``.

In order: the script folder's own file (``swagger.json`` or ``swagger2.json`` for
version 2, ``swagger3.json`` for 3, ``swagger3.1.json`` for 3.1); else, for a run()
decorated with inference-schema, a document whose ServiceInput/ServiceOutput are
the decorators' schemas (``inference_schema.schema_util.get_input_schema``,
``get_output_schema``, ``get_supported_versions``); else a generic one whose
input and output are any JSON object.
"""
import json
import logging
import os
import sys

from . import core
from .mlflow_model import COLUMN_TYPES, Signature

log = logging.getLogger("mlfunc.script")

# Requested version (Azure ML's aliases) -> canonical version.
VERSIONS = {"2": "2", "2.0": "2", "3": "3", "3.0": "3", "3.1": "3.1"}
_USER_FILES = {"2": ("swagger.json", "swagger2.json"), "3": ("swagger3.json",),
               "3.1": ("swagger3.1.json",)}
_ANY_OBJECT = {"type": "object", "example": {}}


def _not_found(message):
    return core.InvocationError(404, "NotFound", message, "client_error")


def _user_document(folder, version):
    for name in _USER_FILES[version]:
        path = os.path.join(folder, name)
        try:
            with open(path, encoding="utf-8") as fh:
                return json.load(fh)
        except FileNotFoundError:
            continue
        except (OSError, ValueError) as exc:
            # A broken file must not take the scoring route down with it.
            log.warning("ignoring %s, which is not readable JSON: %s", path, core.describe(exc))
    return None


def _schemas(script, version):
    if script.mode != core.SCHEMA:
        return _ANY_OBJECT, _ANY_OBJECT
    schema_util = sys.modules.get("inference_schema.schema_util")
    supported = [str(v) for v in schema_util.get_supported_versions(script._run)]
    if not any(VERSIONS.get(v) == version for v in supported):
        raise _not_found("OpenAPI version %s is not supported by the scoring script's schema "
                         "decorators; supported: %s" % (version, ", ".join(supported)))
    return schema_util.get_input_schema(script._run), schema_util.get_output_schema(script._run)


def _error_schema():
    return {"type": "object", "properties": {"error": {"type": "object", "properties": {
        "code": {"type": "string"}, "message": {"type": "string"},
        "invocationId": {"type": "string"}}}}}


def generated_document(function_name, version, input_schema, output_schema,
                       score_description="Run the scoring script's run() on the payload"):
    route = "/api/" + function_name
    v2 = version == "2"

    def ref(name):
        return {"$ref": ("#/definitions/" if v2 else "#/components/schemas/") + name}

    def body(name):
        if v2:
            return {"description": "OK", "schema": ref(name)}
        return {"description": "OK", "content": {"application/json": {"schema": ref(name)}}}

    error = {"description": "The failure, as {\"error\": {...}}"}
    if v2:
        error["schema"] = ref("ErrorResponse")
    else:
        error["content"] = {"application/json": {"schema": ref("ErrorResponse")}}
    score = {"operationId": "RunMLService",
             "description": score_description,
             "responses": {"200": body("ServiceOutput"), "default": error}}
    if v2:
        score["parameters"] = [{"name": "serviceInputPayload", "in": "body", "required": True,
                                "schema": ref("ServiceInput")}]
    else:
        score["requestBody"] = {"required": True,
                                "content": {"application/json": {"schema": ref("ServiceInput")}}}
    health = {"operationId": "ServiceHealthCheck",
              "description": "Health route: 200 once the model is ready, 503 while it fails",
              "responses": {"200": {"description": "Ready"}, "default": error}}
    paths = {route: {"get": health, "post": score},
             route + "/" + core.SWAGGER_PATH: {"get": {
                 "operationId": "GetSwaggerSpec", "description": "This document",
                 "responses": {"200": {"description": "The OpenAPI document"}}}}}
    schemas = {"ServiceInput": input_schema, "ServiceOutput": output_schema,
               "ErrorResponse": _error_schema()}
    info = {"title": function_name,
            "description": "API of the scoring function %s" % function_name, "version": "1.0"}
    if v2:
        return {"swagger": "2.0", "info": info, "schemes": ["https"],
                "consumes": ["application/json"], "produces": ["application/json"],
                "paths": paths, "definitions": schemas}
    return {"openapi": "3.1.0" if version == "3.1" else "3.0.1", "info": info,
            "paths": paths, "components": {"schemas": schemas}}


def canonical_version(requested):
    """The canonical version for ``?version=``, or a 404 InvocationError."""
    version = VERSIONS.get(requested)
    if version is None:
        raise _not_found("OpenAPI version %r is not valid; use 2, 3 or 3.1" % requested)
    return version


def swagger_document(script, function_name, requested):
    """The document for ``?version=`` requested (2 by default), or a 404 InvocationError."""
    version = canonical_version(requested)
    document = _user_document(script.folder, version)
    if document is not None:
        return document
    input_schema, output_schema = _schemas(script, version)
    return generated_document(function_name or "score", version, input_schema, output_schema)


# numpy dtype name prefixes -> JSON Schema types; anything else is a string.
_DTYPE_JSON_TYPES = (("bool", "boolean"), ("uint", "integer"), ("int", "integer"), ("float", "number"))


def _dtype_type(dtype):
    text = str(dtype or "")
    return next((kind for prefix, kind in _DTYPE_JSON_TYPES if text.startswith(prefix)), "string")


def _tensor_schema(spec):
    tensor = spec.get("tensor-spec") or {}
    schema = {"type": _dtype_type(tensor.get("dtype"))}
    for size in reversed(list(tensor.get("shape") or [])):
        schema = {"type": "array", "items": schema}
        if size != -1:
            schema["minItems"] = schema["maxItems"] = size
    return schema


def _column_type(spec):
    schema = {"type": COLUMN_TYPES.get(spec.get("type"), (None, "string"))[1]}
    if spec.get("type") == "datetime":
        schema["format"] = "date-time"
    return schema


def _signature_schema(specs, orient):
    """JSON Schema of a signature: a split or records frame for columns, arrays for tensors."""
    if not specs:
        return {"description": "Any JSON: the model has no signature"}
    if Signature.is_tensor(specs):
        if len(specs) == 1 and specs[0].get("name") is None:
            return _tensor_schema(specs[0])
        return {"type": "object", "required": [s["name"] for s in specs],
                "properties": {s["name"]: _tensor_schema(s) for s in specs}}
    described = ", ".join("%s (%s)" % (s.get("name", "#%d" % i), s.get("type")) for i, s in enumerate(specs))
    if orient == "records":
        named = [s for s in specs if s.get("name") is not None]
        return {"type": "array", "description": "One object per row: " + described,
                "items": {"type": "object", "properties": {s["name"]: _column_type(s) for s in named},
                          "required": [s["name"] for s in named if s.get("required", True)]}}
    return {"type": "object", "required": ["columns", "data"],
            "description": "A frame in split orientation; columns: " + described,
            "properties": {"columns": {"type": "array", "items": {"type": "string"}},
                           "index": {"type": "array", "items": {"type": "integer"}},
                           "data": {"type": "array", "items": {"type": "array"}}}}


def mlflow_schemas(signature, example):
    """ServiceInput and ServiceOutput of an MLflow model, from its signature and input example."""
    service_input = {
        "type": "object", "required": ["input_data"],
        "description": "Azure ML's payload. mlflow models serve's payloads (dataframe_split, "
                       "dataframe_records, instances or inputs instead of input_data) are answered "
                       "{\"predictions\": ...}.",
        "properties": {"input_data": _signature_schema(signature.inputs, "split"),
                       "params": {"type": "object", "description": "Passed to predict() as params"}}}
    if example is not None:
        service_input["example"] = {"input_data": example}
    return service_input, _signature_schema(signature.outputs, "records")
