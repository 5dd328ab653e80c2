"""Azure Functions (Python v1 model) entry points.

Each function folder's __init__.py is one line, e.g.
``from mlfunc_runtime.entry import http_main as main``.

Binding names in function.json must match the parameters exactly:
  http_main                 req (httpTrigger), $return (http); context is not a binding
  blob_main                 inputblob (blobTrigger), outputblob (blob out)
  servicebus_main           msg (serviceBusTrigger)
  servicebus_to_queue_main  msg (serviceBusTrigger), outmsg (serviceBus out)

Data mode: HTTP is always text (JSON). Blob and Service Bus payloads arrive as
bytes whatever the binding says, so the mode is configuration, not detection:
``MLFUNC_DATA_TYPE_<FUNCTION NAME, upper, non-alphanumerics as _>`` = text|binary
wins if set; otherwise the trigger binding's ``dataType`` in this function's
function.json ("binary" means binary, anything else text).

HTTP functions accept every method on ``<function>`` and ``<function>/<path>``
(the optional route parameter ``mlfuncpath``). A @rawhttp run() receives every
request; otherwise POST scores, GET is a health/info route (200 with the function
and script names once init() has run, 503 if loading or init() fails), OPTIONS
answers 200 and other methods 405. GET ``<function>/swagger.json`` serves the
OpenAPI document. run()'s ``request_headers`` is the HTTP request's headers, a
Service Bus message's application properties, or {} for a blob.

All logic lives in mlfunc_runtime.core; these adapters only translate types.
HTTP server-side failures (500/503) answer a generic body naming the code and
the Functions invocation id (``context.invocation_id``); the detail and the
traceback are logged under that id. Non-HTTP failures raise with the detailed
message, which only reaches the host's logs, so the host retries / dead-letters;
nothing is written to the output binding then.
"""
import azure.functions as func

from . import core


def _write_output(out, result):
    try:
        out.set(result.body.decode("utf-8"))
    except UnicodeDecodeError:
        # Only an AMLResponse can carry non-UTF-8 bytes; the blob/queue encoder accepts bytes.
        out.set(result.body)


def _fail(result):
    raise core.ScoringFailed("%s (status %d)" % (result.error_message, result.status)) from None


def _invocation_id(context):
    return getattr(context, "invocation_id", None) or None


def _message_properties(msg):
    # application_properties in azure-functions 1.x; user_properties in older releases.
    for name in ("application_properties", "user_properties"):
        value = getattr(msg, name, None)
        if value:
            return dict(value)
    return {}


def http_main(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    script = core.script_from_env()
    route_params = dict(req.route_params or {})
    result = script.invoke(core.InvocationRequest(
        req.get_body() or b"",
        trigger="http",
        function_name=context.function_name,
        method=req.method,
        url=req.url,
        headers=dict(req.headers.items()),
        params=dict(req.params),
        route_params=route_params,
        subpath=route_params.get(core.ROUTE_PARAM) or "",
        invocation_id=_invocation_id(context),
    ))
    return func.HttpResponse(result.body, status_code=result.status, mimetype=result.mimetype,
                             headers=result.headers, charset="utf-8")


def blob_main(inputblob: func.InputStream, outputblob: func.Out[str], context: func.Context):
    script = core.script_from_env()
    result = script.invoke(core.InvocationRequest(
        inputblob.read(),
        trigger="blob",
        function_name=context.function_name,
        data_type=core.resolve_data_type(context.function_name, context.function_directory),
        url=inputblob.uri or "",
        source=inputblob.name,
        invocation_id=_invocation_id(context),
    ))
    if not result.ok:
        _fail(result)
    _write_output(outputblob, result)


def _servicebus(msg, context):
    script = core.script_from_env()
    result = script.invoke(core.InvocationRequest(
        msg.get_body(),
        trigger="serviceBus",
        function_name=context.function_name,
        data_type=core.resolve_data_type(context.function_name, context.function_directory),
        headers={"Content-Type": msg.content_type} if getattr(msg, "content_type", None) else None,
        source=msg.message_id,
        properties=_message_properties(msg),
        invocation_id=_invocation_id(context),
    ))
    if not result.ok:
        _fail(result)
    return result


def servicebus_main(msg: func.ServiceBusMessage, context: func.Context):
    _servicebus(msg, context)


def servicebus_to_queue_main(msg: func.ServiceBusMessage, outmsg: func.Out[str],
                             context: func.Context):
    _write_output(outmsg, _servicebus(msg, context))
