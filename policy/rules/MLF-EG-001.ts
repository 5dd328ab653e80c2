/**
 * MLF-EG-001, high: an Event Grid webhook subscription reaches its endpoint over HTTPS and carries
 * its key only as a sensitive Terraform value. The blob trigger's webhook URL holds the host's
 * `blobs_extension` key in `code=`: a literal key sits in the JSON, the plan and the state, and a
 * URL that is not `sensitive(...)` prints it in every plan (azurerm does not mark the URL sensitive,
 * and azapi bodies are shown as written).
 */
import type { JsonObject, PolicyRule } from "../types";
import { AZAPI_RESOURCE, azapiBody, isBodyResult, objectAt } from "../container-app";
import { isObject, outcome } from "../values";

export const EVENT_SUBSCRIPTION_TYPE = "Microsoft.EventGrid/systemTopics/eventSubscriptions";
const AZURERM_SUBSCRIPTION = "azurerm_eventgrid_system_topic_event_subscription";

/** The text inside `${sensitive("...")}`, or undefined when the value is not wrapped so. */
function insideSensitive(url: string): string | undefined {
  const m = /^\$\{sensitive\("(.*)"\)\}$/s.exec(url);
  return m?.[1];
}

function urlProblems(url: unknown, where: string): string[] {
  if (url === undefined) return [];
  if (typeof url !== "string") return [`${where} is not a string the rule can read`];
  const inner = insideSensitive(url);
  const text = inner ?? url;
  const problems: string[] = [];
  if (!/^https:\/\//.test(text) && !/^\$\{/.test(text)) problems.push(`${where} is not an https:// URL`);
  const code = /[?&]code=([^&]*)/.exec(text)?.[1];
  if (code !== undefined && code !== "" && !code.startsWith("${")) problems.push(`${where} holds a literal key in code=`);
  if (code !== undefined && inner === undefined) problems.push(`${where} carries a key but is not wrapped in sensitive(...), so plans print it`);
  return problems;
}

export const rule: PolicyRule = {
  id: "MLF-EG-001",
  severity: "high",
  title: "Event Grid webhooks use HTTPS and keep their key sensitive",
  resourceTypes: [AZAPI_RESOURCE, AZURERM_SUBSCRIPTION],
  fix: "Build the webhook URL as https://<app host>/runtime/webhooks/blobs?functionName=Host.Functions.<name>&code=<key> with the key a reference to a generated value, and wrap the whole URL in sensitive(...) (mlfunc's BlobEvents does both).",
  check(attrs, ctx) {
    if (ctx.type === AZURERM_SUBSCRIPTION) {
      const hooks = (Array.isArray(attrs.webhook_endpoint) ? attrs.webhook_endpoint : [attrs.webhook_endpoint]).filter(isObject);
      if (hooks.length === 0) return "not-applicable";
      return outcome(hooks.flatMap((h: JsonObject) => urlProblems(h.url, "webhook_endpoint.url")));
    }
    const body = azapiBody(attrs, EVENT_SUBSCRIPTION_TYPE);
    if (isBodyResult(body)) return body;
    const destination = objectAt(body, "properties.destination");
    if (destination?.endpointType !== "WebHook") return "not-applicable";
    return outcome(urlProblems(objectAt(destination, "properties")?.endpointUrl, "properties.destination.properties.endpointUrl"));
  },
};
