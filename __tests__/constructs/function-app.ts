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

test("the image name and tag are in application_stack.docker[0]", () => {
  const tag = String(r.only(DEV, "docker_image").name).split(":").pop();
  expect(site().application_stack).toEqual({
    docker: [{ registry_url: `https://${ref("azurerm_container_registry", "login_server")}`, image_name: "diabetes", image_tag: tag }],
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
    expect(dependsOn).toContain(`docker_registry_image.${idOnly("docker_registry_image", stack)}`);
  }
});

test("it waits for every role assignment of its identity, their propagation and the push, nothing else", () => {
  const assignments = Object.keys(r.resources(DEV, "azurerm_role_assignment")).map((id) => `azurerm_role_assignment.${id}`);
  const propagation = Object.keys(r.resources(DEV, "terraform_data")).filter((id) => id.startsWith("identity_role-propagation"));
  expect(propagation).toHaveLength(1);
  const waits = [`terraform_data.${propagation[0]}`, `docker_registry_image.${idOnly("docker_registry_image")}`];
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
