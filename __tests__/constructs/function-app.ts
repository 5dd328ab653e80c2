import { Json, SynthResult, defaultConfig, devOnly, synth } from "../support/synth";

const DEV = "diabetes-dev";
const PROD = "diabetes-prod";

let r: SynthResult;
beforeAll(() => {
  r = synth();
});

const idOnly = (type: string, stack = DEV): string => r.idOnly(stack, type);
const ref = (type: string, attr: string, stack = DEV): string => `\${${type}.${idOnly(type, stack)}.${attr}}`;
const app = (stack = DEV): Json => r.only(stack, "azurerm_linux_function_app");
const site = (stack = DEV): Json => app(stack).site_config as Json;
const settings = (stack = DEV): Json => app(stack).app_settings as Json;
/** Address of the role assignment granting `role` (on `scope`, when several grant the same role). */
const roleAddress = (role: string, stack = DEV): string => {
  const ids = Object.entries(r.resources(stack, "azurerm_role_assignment")).filter(([, a]) => a.role_definition_name === role);
  if (ids.length !== 1) throw new Error(`expected one ${role} assignment, found ${ids.length}`);
  return `azurerm_role_assignment.${ids[0]?.[0]}`;
};

test("a Linux function app on Functions v4, named func-<app>-<env>-<hash>", () => {
  expect(app()).toEqual(
    expect.objectContaining({
      name: "func-diabetes-dev-0128c0",
      resource_group_name: ref("azurerm_resource_group", "name"),
      location: ref("azurerm_resource_group", "location"),
      service_plan_id: ref("azurerm_service_plan", "id"),
      functions_extension_version: "~4",
    }),
  );
  expect(app(PROD).name).toBe("func-diabetes-prod-86a5f1");
});

test("secure defaults: HTTPS only, no basic-auth publishing, no dashboard logging", () => {
  expect(app()).toEqual(
    expect.objectContaining({
      https_only: true,
      ftp_publish_basic_authentication_enabled: false,
      webdeploy_publish_basic_authentication_enabled: false,
      builtin_logging_enabled: false,
      storage_uses_managed_identity: true,
    }),
  );
});

test("the user-assigned identity pulls the image: managed identity on, its client id given", () => {
  expect(app().identity).toEqual({ type: "UserAssigned", identity_ids: [ref("azurerm_user_assigned_identity", "id")] });
  expect(site()).toEqual(
    expect.objectContaining({
      container_registry_use_managed_identity: true,
      container_registry_managed_identity_client_id: ref("azurerm_user_assigned_identity", "client_id"),
    }),
  );
});

test("site config: TLS 1.2 for site and SCM, FTPS disabled, no remote debugging, HTTP/2", () => {
  expect(site()).toEqual(
    expect.objectContaining({
      minimum_tls_version: "1.2",
      scm_minimum_tls_version: "1.2",
      ftps_state: "Disabled",
      remote_debugging_enabled: false,
      http2_enabled: true,
      application_insights_connection_string: ref("azurerm_application_insights", "connection_string"),
    }),
  );
});

test("always_on is true on B1 and absent on EP1", () => {
  expect(site().always_on).toBe(true);
  expect(site(PROD)).not.toHaveProperty("always_on");
});

// azurerm writes DOCKER|<registry>/<image_name>:<image_tag>, so the digest's "sha256:<hex>" is split
// across name and tag: DOCKER|<registry>/<repository>@sha256:<hex>, which App Service runs by digest.
test("dev runs the image stack's digest from the shared registry: <repository>@sha256 and the digest's hex, read from that stack's state", () => {
  const out = (name: string) => `\${${r.imageOutput(DEV, name)}}`;
  expect(site().application_stack).toEqual({
    docker: [
      {
        registry_url: `https://${out("registry_login_server")}`,
        image_name: `${out("repository")}@sha256`,
        image_tag: `\${trimprefix(${r.imageOutput(DEV, "image_digest")}, "sha256:")}`,
      },
    ],
  });
  expect(Object.values((r.stack(DEV).data as Json).terraform_remote_state as Json)).toEqual([
    expect.objectContaining({ backend: "local", config: { path: "../../../terraform.diabetes-image.tfstate" } }),
  ]);
});

test("prod (registry: own) runs the same digest from its own registry", () => {
  expect(site(PROD).application_stack).toEqual({
    docker: [
      {
        registry_url: `https://${ref("azurerm_container_registry", "login_server", PROD)}`,
        image_name: `\${${r.imageOutput(PROD, "repository")}}@sha256`,
        image_tag: `\${trimprefix(${r.imageOutput(PROD, "image_digest")}, "sha256:")}`,
      },
    ],
  });
});

test("app settings are exactly the identity-based connections, the telemetry auth, the timeout and the storage switch", () => {
  const clientId = ref("azurerm_user_assigned_identity", "client_id");
  const data = (attr: string) => `\${azurerm_storage_account.${Object.entries(r.resources(DEV, "azurerm_storage_account")).find(([, a]) => a.name === "stdiabetesdevd0128c0")?.[0]}.${attr}}`;
  expect(settings()).toEqual({
    WEBSITES_ENABLE_APP_SERVICE_STORAGE: "false",
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `ClientId=${clientId};Authorization=AAD`,
    AzureFunctionsJobHost__functionTimeout: "02:00:00",
    AzureWebJobsStorage__credential: "managedidentity",
    AzureWebJobsStorage__clientId: clientId,
    MLFUNC_TRIGGER_STORAGE__blobServiceUri: data("primary_blob_endpoint"),
    MLFUNC_TRIGGER_STORAGE__queueServiceUri: data("primary_queue_endpoint"),
    MLFUNC_TRIGGER_STORAGE__credential: "managedidentity",
    MLFUNC_TRIGGER_STORAGE__clientId: clientId,
    MLFUNC_TRIGGER_SERVICEBUS__fullyQualifiedNamespace: `${ref("azurerm_servicebus_namespace", "name")}.servicebus.windows.net`,
    MLFUNC_TRIGGER_SERVICEBUS__credential: "managedidentity",
    MLFUNC_TRIGGER_SERVICEBUS__clientId: clientId,
  });
});

test("no registry password setting and no FUNCTIONS_WORKER_RUNTIME, in any stack", () => {
  for (const stack of [DEV, PROD]) {
    const keys = Object.keys(settings(stack));
    expect(keys.filter((k) => k.startsWith("DOCKER_REGISTRY_"))).toEqual([]);
    expect(keys).not.toContain("FUNCTIONS_WORKER_RUNTIME");
    expect(keys).not.toContain("AzureWebJobsStorage");
  }
});

test("function app waits for AcrPull before its first pull", () => {
  for (const stack of [DEV, PROD]) {
    const dependsOn = app(stack).depends_on as string[];
    expect(dependsOn).toContain(roleAddress("AcrPull", stack));
  }
  // prod's image is in its own registry only once the import ran.
  expect(app(PROD).depends_on).toContain(`azapi_resource_action.${r.importId(PROD)}`);
});

test("it waits for every role assignment of its identity, their propagation and the digest check, nothing else", () => {
  const assignments = Object.keys(r.resources(DEV, "azurerm_role_assignment")).map((id) => `azurerm_role_assignment.${id}`);
  const propagation = Object.keys(r.resources(DEV, "terraform_data")).filter((id) => id.startsWith("identity_role-propagation"));
  const digestCheck = Object.keys(r.resources(DEV, "terraform_data")).filter((id) => id.startsWith("image_digest"));
  expect([propagation, digestCheck].map((ids) => ids.length)).toEqual([1, 1]);
  const waits = [`terraform_data.${propagation[0]}`, `terraform_data.${digestCheck[0]}`];
  expect([...(app().depends_on as string[])].sort()).toEqual([...assignments, ...waits].sort());
});

test("an http-only app has no trigger connection settings", () => {
  const c = defaultConfig();
  c.functions = [{ name: "predict", trigger: { type: "http", authLevel: "anonymous" } }];
  devOnly(c);
  const only = synth(c).only(DEV, "azurerm_linux_function_app");
  expect(Object.keys(only.app_settings as Json).sort()).toEqual([
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
    "AzureFunctionsJobHost__functionTimeout",
    "AzureWebJobsStorage__clientId",
    "AzureWebJobsStorage__credential",
    "WEBSITES_ENABLE_APP_SERVICE_STORAGE",
  ]);
});

test("a function app name override is used as given", () => {
  const c = defaultConfig();
  ((c.environments as Record<string, Json>).prod as Json).names = { functionApp: "diabetes-scoring" };
  expect(synth(c).only(PROD, "azurerm_linux_function_app").name).toBe("diabetes-scoring");
});

test("the function timeout is an app setting per plan, so dev and prod run one image", () => {
  const timeout = (stack: string) => (r.only(stack, "azurerm_linux_function_app").app_settings as Json).AzureFunctionsJobHost__functionTimeout;
  expect(timeout(DEV)).toBe("02:00:00");
  expect(timeout(PROD)).toBe("01:00:00");
  const tag = (stack: string) => (((r.only(stack, "azurerm_linux_function_app").site_config as Json).application_stack as Json).docker as Json[])[0]?.image_tag;
  expect(tag(DEV)).toBe(tag(PROD));
});
