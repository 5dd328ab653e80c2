/**
 * Where smoke may send a credential, and the one way it sends it. A token or key goes only:
 * - to the cloud's Resource Manager host, on a path built from a parsed and validated resource id;
 * - to the function app's own host name as recorded in state, which must be a default host name of
 *   the app the state's resource id names.
 * Always over HTTPS, never following a redirect (a custom header such as x-functions-key would be
 * forwarded to the redirect's host).
 */
import { request } from "node:https";
import { rootCertificates } from "node:tls";
import { visible } from "../review/escape";
import { SmokeInputError } from "./smoke-state";

/** Public-cloud Resource Manager. */
export const ARM_ENDPOINT = "https://management.azure.com";

/** The two kinds of function app smoke knows, by their Resource Manager type. */
export type AppKind = "Microsoft.Web/sites" | "Microsoft.App/containerApps";

export interface ArmAppId {
  readonly subscription: string;
  readonly resourceGroup: string;
  readonly kind: AppKind;
  readonly name: string;
}

// Resource group: 1-90 letters, digits, _ . - ( ), not ending with a period (ASCII only here).
// Site: 2-60 letters, digits and hyphens; container app: 2-32 lower-case letters, digits and hyphens.
// https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules
const ARM_APP_ID =
  /^\/subscriptions\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/resourceGroups\/([-\w.()]{0,89}[-\w()])\/providers\/(Microsoft\.Web\/sites|Microsoft\.App\/containerApps)\/([A-Za-z0-9][A-Za-z0-9-]{0,58}[A-Za-z0-9])$/i;

/** A function app's resource id, parsed; undefined when it is not exactly one (no host, query, dot segment or extra part). */
export function parseAppId(id: string): ArmAppId | undefined {
  const m = ARM_APP_ID.exec(id);
  if (!m) return undefined;
  const [, subscription = "", resourceGroup = "", type = "", name = ""] = m;
  const kind: AppKind = type.toLowerCase() === "microsoft.web/sites" ? "Microsoft.Web/sites" : "Microsoft.App/containerApps";
  return { subscription: subscription.toLowerCase(), resourceGroup, kind, name };
}

/** `<endpoint>/subscriptions/…/<name><suffix>`, each id part encoded as one path segment. */
export function armUrl(endpoint: string, id: ArmAppId, suffix: readonly string[], apiVersion: string): URL {
  const base = new URL(endpoint);
  if (base.protocol !== "https:" || base.pathname !== "/" || base.search !== "" || base.username !== "") {
    throw new Error(`Resource Manager endpoint must be https://<host>, not ${visible(endpoint)}`);
  }
  const segments = ["subscriptions", id.subscription, "resourceGroups", id.resourceGroup, "providers", ...id.kind.split("/"), id.name, ...suffix];
  const url = new URL(`/${segments.map(encodeURIComponent).join("/")}`, base);
  url.searchParams.set("api-version", apiVersion);
  return url;
}

// Default host names of the app itself, built from its name (letters, digits and hyphens: parseAppId's
// rule, so the name needs no escaping in a pattern). App Service: <name>.azurewebsites.net, or the secure
// unique default hostname <name>-<hash>.<region>-01.azurewebsites.net (for example
// myapp-ds27dh7271aah175.westus-01.azurewebsites.net; see
// https://learn.microsoft.com/azure/app-service/reference-dangling-subdomain-prevention). Container Apps:
// <name>.<environment default domain>, that domain being <label>.<region>.azurecontainerapps.io
// (https://learn.microsoft.com/azure/container-apps/custom-domains-certificates).
const APP_HOST_SHAPES: Record<AppKind, { readonly text: (name: string) => string; readonly hosts: (name: string) => RegExp[] }> = {
  "Microsoft.Web/sites": {
    text: (name) => `${name}.azurewebsites.net or ${name}-<hash>.<region>-01.azurewebsites.net`,
    hosts: (name) => [new RegExp(`^${name}\\.azurewebsites\\.net$`), new RegExp(`^${name}-[a-z0-9]{16}\\.[a-z0-9]+-01\\.azurewebsites\\.net$`)],
  },
  "Microsoft.App/containerApps": {
    text: (name) => `${name}.<environment>.<region>.azurecontainerapps.io`,
    hosts: (name) => [new RegExp(`^${name}\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.[a-z0-9]+\\.azurecontainerapps\\.io$`)],
  },
};

/**
 * The reason `hostname` (from state) is not a default host name of the function app `name`, or
 * undefined when it is. `kind` is the app's kind from its resource id; without one, either kind's
 * shape is accepted (smoke then sends no key).
 */
export function appHostProblem(hostname: string, name: string, kind?: AppKind): string | undefined {
  const host = hostname.toLowerCase();
  const app = name.toLowerCase();
  if (!/^[a-z0-9-]+$/.test(app)) return `cannot be checked against the function app name ${visible(name)}`;
  const kinds = kind === undefined ? (Object.keys(APP_HOST_SHAPES) as AppKind[]) : [kind];
  if (kinds.some((k) => APP_HOST_SHAPES[k].hosts(app).some((re) => re.test(host)))) return undefined;
  return `is not a default host name of the function app ${name} (${kinds.map((k) => APP_HOST_SHAPES[k].text(app)).join(", or ")})`;
}

/**
 * An endpoint URL from state that may receive the app's key: https, on the default port, with the
 * app's own host name and no credentials in it. Returns the URL or throws naming the output.
 */
export function appEndpoint(raw: string, appHost: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SmokeInputError(`${what} "${visible(raw)}" is not a URL; deploy the current deployment file first`);
  }
  const problems: string[] = [];
  if (url.protocol !== "https:") problems.push("is not https");
  if (url.hostname.toLowerCase() !== appHost.toLowerCase()) problems.push(`is not on the app's host name ${visible(appHost)}`);
  if (url.port !== "") problems.push("names a port");
  if (url.username !== "" || url.password !== "") problems.push("carries a user name or password");
  if (problems.length > 0) {
    throw new SmokeInputError(`${what} "${visible(raw)}" ${problems.join(", ")}: smoke sends the app's key only over https to the app itself; check the state, or redeploy`);
  }
  return url;
}

/** A request abandoned at its deadline. */
export class RequestTimeout extends Error {
  override readonly name = "TimeoutError";
}

/** An answer smoke will not follow: 3xx with a Location. */
export class RedirectRefused extends Error {
  constructor(
    readonly url: string,
    readonly statusCode: number,
    readonly location: string,
  ) {
    super(
      `${visible(url)} answered HTTP ${statusCode}, a redirect to ${visible(location) || "(no Location)"}; smoke does not follow redirects, so no key or token goes to another address: point the output at the app itself`,
    );
  }
}

/** How requests reach a host; tests route every host name to a loopback server with its own CA. */
export interface Transport {
  /** Extra trusted CA (PEM), added to the default roots. */
  readonly ca?: string;
  /** Where to connect for `host:port`, keeping the TLS server name and Host header. @default the host itself */
  readonly route?: (host: string, port: number) => { host: string; port: number };
}

export interface HttpsAnswer {
  readonly status: number;
  readonly body: string;
}

const MAX_BODY = 16 * 1024 * 1024;

/** One HTTPS request; rejects for anything but https, and for a redirect (RedirectRefused). */
export function httpsRequest(
  url: URL,
  init: { method: "GET" | "POST"; headers?: Record<string, string>; body?: Buffer; timeoutMs: number },
  transport: Transport = {},
): Promise<HttpsAnswer> {
  if (url.protocol !== "https:") return Promise.reject(new Error(`refusing to send a request over ${url.protocol.replace(/:$/, "")}: ${visible(url.href)}`));
  const port = url.port === "" ? 443 : Number(url.port);
  const target = transport.route?.(url.hostname, port) ?? { host: url.hostname, port };
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.host,
        port: target.port,
        servername: url.hostname,
        method: init.method,
        path: `${url.pathname}${url.search}`,
        headers: { Host: url.host, ...(init.body === undefined ? {} : { "Content-Length": String(init.body.length) }), ...init.headers },
        ...(transport.ca === undefined ? {} : { ca: [...rootCertificates, transport.ca] }),
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400) {
          res.resume();
          clearTimeout(timer);
          reject(new RedirectRefused(url.href, status, String(res.headers.location ?? "")));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (d: Buffer) => {
          size += d.length;
          if (size <= MAX_BODY) chunks.push(d);
        });
        res.on("end", () => {
          clearTimeout(timer);
          resolve({ status, body: Buffer.concat(chunks).toString("utf8") });
        });
        res.on("error", (e) => {
          clearTimeout(timer);
          reject(e);
        });
      },
    );
    const timer = setTimeout(() => req.destroy(new RequestTimeout(`no answer from ${visible(url.href)} within ${init.timeoutMs / 1000} s`)), Math.max(1, init.timeoutMs));
    req.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.end(init.body);
  });
}
