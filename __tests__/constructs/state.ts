import { Testing, TerraformStack } from "cdktf";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { Json, SynthResult, defaultConfig, defaultTexts, devOnly, parsed, scratch, synth, synthError, synthTexts } from "../support/synth";
import { loadDeployment } from "../../config/load";
import { buildStateApp, parseBootstrapArgs, stateBlock } from "../../commands/bootstrap-state";
import { evaluateStack } from "../../policy/engine";
import type { JsonObject } from "../../policy/types";

const PRINCIPAL = "11111111-2222-3333-4444-555555555555";

function withState(state: Json | undefined): Json {
  const c = defaultConfig();
  if (state === undefined) delete c.state;
  else c.state = state;
  return c;
}

const backendOf = (r: SynthResult, stack: string) => (r.stack(stack).terraform as Json).backend as Json;
const addresses = (r: SynthResult, stack: string) =>
  Object.entries(r.stack(stack).resource as Record<string, Json>)
    .flatMap(([type, byId]) => Object.keys(byId).map((id) => `${type}.${id}`))
    .sort();

/**
 * The default deployment, on local state (it has no state block), synthesized once for the test file:
 * the baseline of the backend cases and the "before" of the environment cases.
 */
const defaults = defaultTexts();

describe("state backends", () => {
  const local = parsed(defaults);
  const azurerm = synth(withState({ backend: "azurerm", resourceGroup: "rg-tfstate", storageAccount: "sttfstate01", container: "tfstate", keyPrefix: "teams/ml/" }));
  const remote = synth(withState({ backend: "remote", organization: "contoso", workspaces: "mlfunc-{stack}" }));

  test("local is the default: one state file per stack at the project root, by a relative path", () => {
    expect(backendOf(local, "diabetes-image")).toEqual({ local: { path: "../../../terraform.diabetes-image.tfstate" } });
    expect(backendOf(local, "diabetes-dev")).toEqual({ local: { path: "../../../terraform.diabetes-dev.tfstate" } });
    expect(backendOf(local, "diabetes-prod")).toEqual({ local: { path: "../../../terraform.diabetes-prod.tfstate" } });
  });

  test("azurerm: one key per stack, Entra ID auth, no storage key or subscription in the file", () => {
    for (const env of ["dev", "prod"]) {
      expect(backendOf(azurerm, `diabetes-${env}`)).toEqual({
        azurerm: {
          resource_group_name: "rg-tfstate",
          storage_account_name: "sttfstate01",
          container_name: "tfstate",
          key: `teams/ml/diabetes-${env}.tfstate`,
          use_azuread_auth: true,
        },
      });
    }
  });

  test("environments read the image stack's state from the same backend", () => {
    const remoteOf = (r: SynthResult, stack: string) => Object.values(((r.stack(stack).data as Json).terraform_remote_state as Json) ?? {});
    expect(backendOf(azurerm, "diabetes-image")).toEqual({ azurerm: expect.objectContaining({ key: "teams/ml/diabetes-image.tfstate" }) });
    for (const env of ["dev", "prod", "canary"]) {
      expect(remoteOf(local, `diabetes-${env}`)).toEqual([{ backend: "local", config: { path: "../../../terraform.diabetes-image.tfstate" }, workspace: "${terraform.workspace}" }]);
      expect(remoteOf(azurerm, `diabetes-${env}`)).toEqual([
        {
          backend: "azurerm",
          config: { resource_group_name: "rg-tfstate", storage_account_name: "sttfstate01", container_name: "tfstate", key: "teams/ml/diabetes-image.tfstate", use_azuread_auth: true },
          workspace: "${terraform.workspace}",
        },
      ]);
      expect(remoteOf(remote, `diabetes-${env}`)).toEqual([
        expect.objectContaining({ backend: "remote", config: expect.objectContaining({ organization: "contoso", workspaces: { name: "mlfunc-diabetes-image" } }) }),
      ]);
    }
  });

  test("azurerm without keyPrefix keys by stack name", () => {
    const r = synth(devOnly(withState({ backend: "azurerm", resourceGroup: "rg-tfstate", storageAccount: "sttfstate01", container: "tfstate" })));
    expect((backendOf(r, "diabetes-dev").azurerm as Json).key).toBe("diabetes-dev.tfstate");
  });

  test("remote: the cloud block with a workspace per stack", () => {
    expect((remote.stack("diabetes-prod").terraform as Json).cloud).toEqual({
      hostname: "app.terraform.io",
      organization: "contoso",
      workspaces: { name: "mlfunc-diabetes-prod" },
    });
    expect((remote.stack("diabetes-dev").terraform as Json).cloud).toEqual(expect.objectContaining({ workspaces: { name: "mlfunc-diabetes-dev" } }));
  });

  test("switching backend changes no resource's logical id or settings", () => {
    for (const stack of ["diabetes-dev", "diabetes-prod"]) {
      expect(addresses(azurerm, stack)).toEqual(addresses(local, stack));
      expect(addresses(remote, stack)).toEqual(addresses(local, stack));
      expect(azurerm.stack(stack).resource).toEqual(local.stack(stack).resource);
    }
  });
});

describe("backend validation", () => {
  test.each([
    [
      "azurerm without container",
      { backend: "azurerm", resourceGroup: "rg-tfstate", storageAccount: "sttfstate01" },
      ['  state.container: (missing) — required; add "container" (a string)'],
    ],
    [
      "azurerm with a bad storage account",
      { backend: "azurerm", resourceGroup: "rg-tfstate", storageAccount: "St_State", container: "tfstate" },
      ['  state.storageAccount: "St_State" — a storage account name must be lowercase letters and digits only; try "ststate"'],
    ],
    [
      "azurerm with a key prefix starting with a slash",
      { backend: "azurerm", resourceGroup: "rg-tfstate", storageAccount: "sttfstate01", container: "tfstate", keyPrefix: "/abs" },
      [`  state.keyPrefix: "/abs" — must be up to 200 letters, digits, '.', '_', '-' or '/', starting with a letter or digit; e.g. "mlfunc/"`],
    ],
    [
      "remote without {stack}",
      { backend: "remote", organization: "contoso", workspaces: "shared" },
      ['  state.workspaces: "shared" — must contain "{stack}" so that each stack gets its own workspace, e.g. "mlfunc-{stack}"'],
    ],
    [
      "unknown backend",
      { backend: "s3", bucket: "x" },
      ['  state.backend: "s3" — state.backend must be "local", "azurerm" or "remote"'],
    ],
    [
      "unknown key in a backend",
      { backend: "azurerm", resourceGroup: "rg-tfstate", storageAccount: "sttfstate01", container: "tfstate", keyprefx: "x" },
      ['  state.keyprefx: "x" — unknown key; did you mean "keyPrefix"? (allowed here: backend, resourceGroup, storageAccount, container, keyPrefix)'],
    ],
  ])("%s", (_name, state, lines) => {
    const message = synthError(withState(state));
    const body = message.split("\n").slice(1).map((l) => l.replace(/ \(line \d+\)/, ""));
    expect(body).toEqual(lines);
  });
});

describe("environments are isolated", () => {
  const base = parsed(defaults);
  const before = defaults;

  test("the default deployment file has no state block, so the shared local-state synth is its before", () => {
    expect(defaultConfig().state).toBeUndefined();
  });

  test("adding an environment adds only its stack", () => {
    const c = defaultConfig();
    (c.environments as Json).staging = { plan: { sku: "S1" } };
    const after = synthTexts(c);
    expect(Object.keys(after).sort()).toEqual(["diabetes-canary", "diabetes-dev", "diabetes-image", "diabetes-prod", "diabetes-staging"]);
    expect(after["diabetes-image"]).toBe(before["diabetes-image"]);
    expect(after["diabetes-dev"]).toBe(before["diabetes-dev"]);
    expect(after["diabetes-prod"]).toBe(before["diabetes-prod"]);
    expect(after["diabetes-canary"]).toBe(before["diabetes-canary"]);
  });

  test("removing an environment removes only its stack", () => {
    const c = defaultConfig();
    delete (c.environments as Json).dev;
    const after = synthTexts(c);
    expect(Object.keys(after)).toEqual(["diabetes-image", "diabetes-prod", "diabetes-canary"]);
    expect(after["diabetes-image"]).toBe(before["diabetes-image"]);
    expect(after["diabetes-prod"]).toBe(before["diabetes-prod"]);
  });

  test("renaming an environment renames only its stack", () => {
    const c = defaultConfig();
    const envs = c.environments as Json;
    c.environments = { development: envs.dev, prod: envs.prod };
    const after = synthTexts(c);
    expect(Object.keys(after).sort()).toEqual(["diabetes-development", "diabetes-image", "diabetes-prod"]);
    expect(after["diabetes-prod"]).toBe(before["diabetes-prod"]);
    expect(after["diabetes-development"]).toContain('"name": "rg-diabetes-development"');
  });

  test("per-environment overrides reach only their own stack", () => {
    const c = defaultConfig();
    (c.environments as Record<string, Json>).prod!.location = "northeurope";
    (c.environments as Record<string, Json>).prod!.tags = { criticality: "high", costcenter: "42" };
    const after = synthTexts(c);
    expect(after["diabetes-dev"]).toBe(before["diabetes-dev"]);
    const prod = JSON.parse(after["diabetes-prod"] ?? "{}") as Json;
    const group = Object.values((prod.resource as Record<string, Record<string, Json>>).azurerm_resource_group ?? {})[0];
    expect(group).toEqual(expect.objectContaining({ location: "northeurope", tags: expect.objectContaining({ costcenter: "42", criticality: "high" }) }));
    expect(base.only("diabetes-prod", "azurerm_resource_group").location).toBe("westeurope");
  });

  test("overrides are validated like the rest", () => {
    const c = defaultConfig();
    (c.environments as Record<string, Json>).prod!.location = "West Europe";
    (c.environments as Record<string, Json>).prod!.plan = { sku: "EP1", minInstances: 4, maxInstances: 2 };
    const body = synthError(c).split("\n").slice(1).map((l) => l.replace(/ \(line \d+\)/, ""));
    expect(body).toEqual([
      '  environments.prod.plan.minInstances: 4 — must not exceed maxInstances (2); raise maxInstances or lower minInstances',
      '  environments.prod.location: "West Europe" — not an Azure region name; write "westeurope"',
    ]);
  });
});

describe("bootstrap-state", () => {
  const { dir, cleanup } = scratch();
  afterAll(cleanup);
  const configFile = join(dir, "mlfunc.yaml");
  writeFileSync(configFile, stringify(defaultConfig()));
  const deployment = loadDeployment(configFile);
  const app = buildStateApp(deployment, PRINCIPAL, join(dir, "out"));
  const stack = app.node.findChild("diabetes-state") as TerraformStack;
  const json = JSON.parse(Testing.synth(stack, true)) as Json;
  const res = json.resource as Record<string, Record<string, Json>>;
  const one = (type: string) => {
    const all = Object.values(res[type] ?? {});
    expect(all).toHaveLength(1);
    return all[0] as Json;
  };

  test("state storage: versioned, soft delete, TLS 1.2, HTTPS only, no public access, no shared key", () => {
    expect(one("azurerm_storage_account")).toEqual(
      expect.objectContaining({
        name: "stdiabetestfstatea3ce01",
        min_tls_version: "TLS1_2",
        https_traffic_only_enabled: true,
        allow_nested_items_to_be_public: false,
        shared_access_key_enabled: false,
        blob_properties: { versioning_enabled: true, delete_retention_policy: { days: 30 }, container_delete_retention_policy: { days: 30 } },
      }),
    );
    expect(one("azurerm_storage_container")).toEqual(expect.objectContaining({ name: "tfstate", container_access_type: "private" }));
    expect(one("azurerm_resource_group").name).toBe("rg-diabetes-tfstate");
  });

  test("a CanNotDelete lock and Storage Blob Data Contributor for the given principal", () => {
    expect(one("azurerm_management_lock")).toEqual(expect.objectContaining({ lock_level: "CanNotDelete", scope: expect.stringContaining("azurerm_storage_account.") }));
    expect(one("azurerm_role_assignment")).toEqual(
      expect.objectContaining({ principal_id: PRINCIPAL, role_definition_name: "Storage Blob Data Contributor", scope: expect.stringContaining("azurerm_storage_container.") }),
    );
  });

  test("its resources pass every policy rule of the plan review", () => {
    expect(evaluateStack("diabetes-state", json as JsonObject)).toEqual({ findings: [], suppressed: [] });
  });

  test("the state stack itself is on local state", () => {
    expect((json.terraform as Json).backend).toEqual({ local: { path: "../../../terraform.diabetes-state.tfstate" } });
  });

  test("prints the state block that the deployment file accepts", () => {
    const block = stateBlock(deployment);
    expect(block).toBe(
      ["state:", "  backend: azurerm", "  resourceGroup: rg-diabetes-tfstate", "  storageAccount: stdiabetestfstatea3ce01", "  container: tfstate", "  keyPrefix: diabetes/", ""].join("\n"),
    );
    const withBlock = `${stringify(devOnly(withState(undefined)))}${block}`;
    const r = synth(withBlock);
    expect((backendOf(r, "diabetes-dev").azurerm as Json).key).toBe("diabetes/diabetes-dev.tfstate");
  });

  test.each([
    [[], "--principal-id is required: the object id of who runs Terraform (az ad signed-in-user show --query id -o tsv, or a service principal's object id)"],
    [["--principal-id", "me"], '--principal-id "me" is not an object id (a GUID like 00000000-0000-0000-0000-000000000000)'],
    [["--principal-id", PRINCIPAL, "--force"], 'unknown option "--force"; usage: mlfunc bootstrap-state [--principal-id <object-id>] [--deploy] [--auto-approve]'],
  ])("bad arguments %j", (argv, message) => {
    expect(() => parseBootstrapArgs(argv)).toThrow(message);
  });
});
