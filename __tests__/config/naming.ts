import { Json, defaultConfig, devOnly, synth } from "../support/synth";
import { NAME_RULES, NameKind, OVERRIDABLE_NAMES, ResourceNames, nameProblem, resourceNames, shortHash, suggestName } from "../../config/naming";

/** The rule each derived name must follow; the repository is checked separately (it is the app name). */
const KIND_OF: Record<Exclude<keyof ResourceNames, "repository">, NameKind> = {
  resourceGroup: "resourceGroup",
  logAnalytics: "logAnalytics",
  appInsights: "appInsights",
  identity: "identity",
  registry: "registry",
  registryToken: "registryToken",
  hostStorageAccount: "storageAccount",
  dataStorageAccount: "storageAccount",
  servicePlan: "servicePlan",
  functionApp: "functionApp",
  containerApp: "containerApp",
  containerAppsEnvironment: "containerAppsEnvironment",
  serviceBusNamespace: "serviceBusNamespace",
  eventGridTopic: "eventGridTopic",
  virtualNetwork: "virtualNetwork",
};

/** A valid app name of exactly `length` characters, with hyphens and digits mixed in. */
function appName(length: number): string {
  const name = `m${"l-f2".repeat(20)}`.slice(0, length);
  return name.endsWith("-") ? `${name.slice(0, -1)}x` : name;
}

// Up to the environment rule's 16 characters, where the env part must be cut too.
const ENVS = ["d", "qa", "dev", "prod", "test1", "staging", "preprod2", "westeurope01", "e".repeat(13), "p".repeat(14), "q".repeat(15), "r".repeat(16)];
const LENGTHS = Array.from({ length: 39 }, (_, i) => i + 2);

describe("derived names", () => {
  test("the default app's dev names follow the conventional abbreviations, global ones carry a hash of app/env", () => {
    expect(shortHash("diabetes/dev")).toBe("0128c0");
    expect(resourceNames("diabetes", "dev")).toEqual({
      resourceGroup: "rg-diabetes-dev",
      logAnalytics: "log-diabetes-dev",
      appInsights: "appi-diabetes-dev",
      identity: "id-diabetes-dev",
      registry: "crdiabetesdev0128c0",
      registryToken: "push-diabetes-dev",
      repository: "diabetes",
      hostStorageAccount: "stdiabetesdevh0128c0",
      dataStorageAccount: "stdiabetesdevd0128c0",
      servicePlan: "asp-diabetes-dev",
      functionApp: "func-diabetes-dev-0128c0",
      serviceBusNamespace: "sb-diabetes-dev-0128c0",
      containerApp: "ca-diabetes-dev",
      containerAppsEnvironment: "cae-diabetes-dev",
      eventGridTopic: "evgt-diabetes-dev",
      virtualNetwork: "vnet-diabetes-dev",
    });
  });

  test("hyphens are dropped where the kind forbids them", () => {
    const n = resourceNames("my-model", "prod");
    expect(n.registry).toMatch(/^crmymodelprod[0-9a-f]{6}$/);
    expect(n.hostStorageAccount).toMatch(/^stmymodelprodh[0-9a-f]{6}$/);
    expect(n.dataStorageAccount).toMatch(/^stmymodelprodd[0-9a-f]{6}$/);
    expect(n.functionApp).toBe(`func-my-model-prod-${shortHash("my-model/prod")}`);
  });

  test("overrides replace exactly the names they set", () => {
    const n = resourceNames("diabetes", "dev", { registry: "crshared01", functionApp: "my-func" });
    expect(n.registry).toBe("crshared01");
    expect(n.functionApp).toBe("my-func");
    expect(n.resourceGroup).toBe("rg-diabetes-dev");
    expect(n.hostStorageAccount).toBe("stdiabetesdevh0128c0");
  });

  test("every overridable name has a rule", () => {
    expect(Object.keys(OVERRIDABLE_NAMES).sort()).toEqual(
      ["appInsights", "containerApp", "containerAppsEnvironment", "dataStorageAccount", "functionApp", "hostStorageAccount", "identity", "logAnalytics", "registry", "resourceGroup", "serviceBusNamespace", "servicePlan", "virtualNetwork"],
    );
  });

  test("generated app names of every length 2..40 are valid app names", () => {
    for (const length of LENGTHS) {
      const app = appName(length);
      expect(app).toHaveLength(length);
      expect(nameProblem("app", app)).toBeUndefined();
    }
  });

  // One failing pair is reported as a list, so a regression names every bad case at once.
  test("for app names of length 2..40 and many environments, every derived name is valid", () => {
    const bad: string[] = [];
    for (const length of LENGTHS) {
      for (const env of ENVS) {
        const app = appName(length);
        let names: ResourceNames;
        try {
          names = resourceNames(app, env);
        } catch (e) {
          bad.push(`${app}/${env}: ${(e as Error).message}`);
          continue;
        }
        for (const [field, kind] of Object.entries(KIND_OF) as Array<[keyof typeof KIND_OF, NameKind]>) {
          const problem = nameProblem(kind, names[field]);
          if (problem) bad.push(`${app}/${env} ${field}=${names[field]}: ${problem}`);
        }
        if (names.repository !== app) bad.push(`${app}/${env} repository=${names.repository}`);
      }
    }
    expect(bad).toEqual([]);
  });

  test("a 40-character app name is cut, not rejected, and the hash keeps two such apps apart", () => {
    const a = `${"a".repeat(39)}1`;
    const b = `${"a".repeat(39)}2`;
    const na = resourceNames(a, "prod");
    const nb = resourceNames(b, "prod");
    expect(na.hostStorageAccount).toHaveLength(24);
    expect(na.hostStorageAccount).toBe(`st${"a".repeat(11)}prodh${shortHash(`${a}/prod`)}`);
    expect(na.registry).toHaveLength(50);
    for (const field of ["registry", "hostStorageAccount", "dataStorageAccount", "functionApp", "serviceBusNamespace"] as const) {
      expect(na[field]).not.toBe(nb[field]);
    }
  });

  test("globally unique names differ between environments of one app", () => {
    const dev = resourceNames("diabetes", "dev");
    const prod = resourceNames("diabetes", "prod");
    for (const field of ["registry", "hostStorageAccount", "dataStorageAccount", "functionApp", "serviceBusNamespace"] as const) {
      expect(dev[field]).not.toBe(prod[field]);
    }
    expect(dev.hostStorageAccount).not.toBe(dev.dataStorageAccount);
  });

  test("a 16-character environment synthesizes with a 24-character storage account", () => {
    const c = defaultConfig();
    c.environments = { productionwesteu: (c.environments as Json).dev };
    const r = synth(c);
    const accounts = Object.values(r.resources("diabetes-productionwesteu", "azurerm_storage_account")).map((a) => String(a.name));
    expect(accounts).toHaveLength(2);
    for (const name of accounts) {
      expect(name).toHaveLength(24);
      expect(nameProblem("storageAccount", name)).toBeUndefined();
    }
  });

  test("derivation is a pure function of its input", () => {
    expect(resourceNames(appName(33), "staging")).toEqual(resourceNames(appName(33), "staging"));
  });
});

describe("name rules", () => {
  test.each<[NameKind, string, string]>([
    ["storageAccount", "StDiabetes", "a storage account name must be lowercase letters and digits only"],
    ["storageAccount", "st", "a storage account name must be 3-24 characters (this one has 2)"],
    ["storageAccount", "s".repeat(25), "a storage account name must be 3-24 characters (this one has 25)"],
    ["registry", "cr-diabetes", "a container registry name must be letters and digits only"],
    ["registry", "cr01", "a container registry name must be 5-50 characters (this one has 4)"],
    ["container", "Input", "a blob container name must be lowercase letters, digits and hyphens, starting and ending with a letter or digit"],
    ["container", "in", "a blob container name must be 3-63 characters (this one has 2)"],
    ["functionApp", "-func", "a function app name must be lowercase letters, digits and hyphens, not starting or ending with a hyphen"],
    ["resourceGroup", "rg-x.", "a resource group name must be letters, digits, underscores, hyphens, periods and parentheses, not ending with a period"],
    ["resourceGroup", "r".repeat(91), "a resource group name must be 1-90 characters (this one has 91)"],
    ["queue", "-q", "a Service Bus queue name must be letters, digits, periods, hyphens, underscores and slashes, starting and ending with a letter or digit"],
    ["logAnalytics", "log", "a Log Analytics workspace name must be 4-63 characters (this one has 3)"],
    ["storageAccount", "ST", "a storage account name must be 3-24 characters (this one has 2); lowercase letters and digits only"],
  ])("%s %j: %s", (kind, value, message) => {
    expect(nameProblem(kind, value)).toBe(message);
  });

  test.each<[NameKind, string]>([
    ["storageAccount", "abc"],
    ["storageAccount", "a".repeat(24)],
    ["registry", "Cr0123456"],
    ["container", "input-data"],
    ["functionApp", "f1"],
    ["resourceGroup", "rg_(x).y"],
    ["serviceBusNamespace", "sb-app-sbx"],
    ["queue", "orders/in.v1"],
    ["logAnalytics", "log-a"],
    ["function", "predict_v2-x"],
    ["app", "ab"],
    ["environment", "prod2"],
  ])("%s %j is valid", (kind, value) => {
    expect(nameProblem(kind, value)).toBeUndefined();
  });

  test("the length bounds match the rule table", () => {
    for (const kind of Object.keys(NAME_RULES) as NameKind[]) {
      const { min, max } = NAME_RULES[kind];
      expect(nameProblem(kind, "")).toContain(`${min}-${max} characters (this one has 0)`);
    }
  });

  test.each<[NameKind, string, string]>([
    ["storageAccount", "St-Diabetes_Dev", "stdiabetesdev"],
    ["storageAccount", "stdiabetesdevdata0123456789", "stdiabetesdevdata0123456"],
    ["registry", "cr-diabetes-dev", "crdiabetesdev"],
    ["container", "Input_Data", "input-data"],
    ["container", "in", "inx"],
    ["functionApp", "func-diabetes-", "func-diabetes"],
    ["resourceGroup", "rg-diabetes-dev.", "rg-diabetes-dev"],
    ["logAnalytics", "log_diabetes", "log-diabetes"],
    ["environment", "Dev", "dev"],
    ["app", "My App!", "my-app"],
  ])("suggestName(%s, %j) is %j", (kind, value, suggestion) => {
    expect(suggestName(kind, value)).toBe(suggestion);
    expect(nameProblem(kind, suggestion)).toBeUndefined();
  });
});

describe("nameSeed", () => {
  test("changes every worldwide-unique name and keeps the others", () => {
    const plain = resourceNames("diabetes", "dev");
    const seeded = resourceNames("diabetes", "dev", {}, "contoso-ml");
    expect(seeded.registry).not.toBe(plain.registry);
    expect(seeded.hostStorageAccount).not.toBe(plain.hostStorageAccount);
    expect(seeded.dataStorageAccount).not.toBe(plain.dataStorageAccount);
    expect(seeded.functionApp).not.toBe(plain.functionApp);
    expect(seeded.serviceBusNamespace).not.toBe(plain.serviceBusNamespace);
    expect(seeded.resourceGroup).toBe(plain.resourceGroup);
    expect(seeded.identity).toBe(plain.identity);
    expect(seeded.functionApp).toBe(`func-diabetes-dev-${shortHash("contoso-ml/diabetes/dev")}`);
  });

  test("reaches the synthesized stack from the deployment file", () => {
    const c = defaultConfig();
    c.nameSeed = "contoso-ml";
    devOnly(c);
    expect(synth(c).only("diabetes-dev", "azurerm_linux_function_app").name).toBe(resourceNames("diabetes", "dev", {}, "contoso-ml").functionApp);
  });
});
