import { Json, SynthResult, synth } from "../support/synth";

const DEV = "diabetes-dev";
const TAGS = { app: "diabetes", environment: "dev", "managed-by": "mlfunc", owner: "ml-platform" };

let r: SynthResult;
beforeAll(() => {
  r = synth();
});

const idOnly = (type: string): string => r.idOnly(DEV, type);
const ref = (type: string, attr: string): string => `\${${type}.${idOnly(type)}.${attr}}`;
const roles = (): Json[] => Object.values(r.resources(DEV, "azurerm_role_assignment"));

test("a Log Analytics workspace, PerGB2018, 30 days", () => {
  expect(r.only(DEV, "azurerm_log_analytics_workspace")).toEqual({
    name: "log-diabetes-dev",
    resource_group_name: ref("azurerm_resource_group", "name"),
    location: ref("azurerm_resource_group", "location"),
    sku: "PerGB2018",
    retention_in_days: 30,
    tags: TAGS,
  });
});

test("workspace-based Application Insights with local (key) auth disabled", () => {
  expect(r.only(DEV, "azurerm_application_insights")).toEqual({
    name: "appi-diabetes-dev",
    resource_group_name: ref("azurerm_resource_group", "name"),
    location: ref("azurerm_resource_group", "location"),
    application_type: "other",
    workspace_id: ref("azurerm_log_analytics_workspace", "id"),
    local_authentication_disabled: true,
    retention_in_days: 30,
    tags: TAGS,
  });
});

test("the app's identity is Monitoring Metrics Publisher on App Insights, and only there", () => {
  const publishers = roles().filter((a) => a.role_definition_name === "Monitoring Metrics Publisher");
  expect(publishers).toEqual([
    {
      scope: ref("azurerm_application_insights", "id"),
      role_definition_name: "Monitoring Metrics Publisher",
      principal_id: ref("azurerm_user_assigned_identity", "principal_id"),
      principal_type: "ServicePrincipal",
      skip_service_principal_aad_check: true,
    },
  ]);
});

test("the function app reports with the connection string and authenticates as its identity", () => {
  const app = r.only(DEV, "azurerm_linux_function_app");
  expect((app.site_config as Json).application_insights_connection_string).toBe(ref("azurerm_application_insights", "connection_string"));
  expect((app.app_settings as Json).APPLICATIONINSIGHTS_AUTHENTICATION_STRING).toBe(`ClientId=${ref("azurerm_user_assigned_identity", "client_id")};Authorization=AAD`);
});

test("no instrumentation key is passed anywhere", () => {
  const text = JSON.stringify(r.stack(DEV));
  expect(text).not.toMatch(/instrumentation_key|APPINSIGHTS_INSTRUMENTATIONKEY/);
});

test("the prod stack has its own workspace and App Insights", () => {
  expect(r.only("diabetes-prod", "azurerm_log_analytics_workspace").name).toBe("log-diabetes-prod");
  expect(r.only("diabetes-prod", "azurerm_application_insights").name).toBe("appi-diabetes-prod");
});
