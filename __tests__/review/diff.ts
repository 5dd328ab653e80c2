import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { diffStack, diffSynthDirs, forceNewAttributes, loadSynthTree } from "../../review/diff";
import { ReviewInputError } from "../../review/errors";
import type { JsonObject } from "../../review/json-text";
import { renderMarkdown } from "../../review/report";
import type { ResourceDiff, StackDiff } from "../../review/types";

const meta = (p: string): JsonObject => ({ metadata: { path: p, uniqueId: p.split("/").pop() ?? p } });

/** Pair 1, base: a minimal mlfunc stack as cdktf synthesizes it. */
const baseStack: JsonObject = {
  terraform: { required_providers: { azurerm: { source: "azurerm", version: "4.55.0" } } },
  resource: {
    azurerm_resource_group: { rg_1: { "//": meta("s/rg"), name: "rg-diabetes-dev", location: "westeurope" } },
    azurerm_user_assigned_identity: {
      identity_AAAA: { "//": meta("s/identity"), name: "id-diabetes-dev", location: "${azurerm_resource_group.rg_1.location}", resource_group_name: "${azurerm_resource_group.rg_1.name}" },
    },
    azurerm_storage_account: {
      models_1: { name: "stdiabetesdev01", account_kind: "StorageV2", account_replication_type: "LRS", account_tier: "Standard", location: "westeurope", resource_group_name: "rg-diabetes-dev" },
      data_1: { name: "stdiabetesdata", account_kind: "StorageV2", account_replication_type: "LRS", account_tier: "Standard", location: "westeurope", resource_group_name: "rg-diabetes-dev" },
      host_1: { name: "stdiabeteshost", account_kind: "StorageV2", account_replication_type: "LRS", account_tier: "Standard", location: "westeurope", resource_group_name: "rg-diabetes-dev" },
      legacy_1: { name: "stdiabeteslegacy", account_kind: "Storage", account_replication_type: "GRS", account_tier: "Standard", location: "westeurope", resource_group_name: "rg-diabetes-dev" },
    },
    azurerm_linux_function_app: {
      app_1: {
        "//": meta("s/function-app/app"),
        name: "func-diabetes-dev",
        location: "westeurope",
        resource_group_name: "rg-diabetes-dev",
        identity: { type: "UserAssigned", identity_ids: ["${azurerm_user_assigned_identity.identity_AAAA.id}"] },
        app_settings: { WEBSITES_ENABLE_APP_SERVICE_STORAGE: "false", AzureWebJobsStorage__clientId: "${azurerm_user_assigned_identity.identity_AAAA.client_id}" },
        site_config: { always_on: true, application_stack: { docker: [{ registry_url: "https://crdiabetes.azurecr.io", image_name: "diabetes", image_tag: "3da3c5850f29ac02" }] } },
        depends_on: ["azurerm_role_assignment.pull_1"],
      },
    },
    azurerm_role_assignment: {
      pull_1: { scope: "${azurerm_container_registry.acr_1.id}", role_definition_name: "AcrPull", principal_id: "${azurerm_user_assigned_identity.identity_AAAA.principal_id}" },
      metrics_1: { scope: "/subscriptions/x/rg", role_definition_name: "Monitoring Metrics Publisher", principal_id: "${azurerm_user_assigned_identity.identity_AAAA.principal_id}" },
    },
    azurerm_container_registry_token_password: { pw_1: { container_registry_token_id: "${azurerm_container_registry_token.t_1.id}", password1: { expiry: "2027-01-01T00:00:00Z" } } },
    azurerm_servicebus_namespace: { sb_1: { name: "sb-diabetes-dev", location: "westeurope", resource_group_name: "rg-diabetes-dev", sku: "Standard", admin_password: "literal-Passw0rd-in-config" } },
  },
};

/** Pair 1, head: the same stack after a pull request. */
const headStack: JsonObject = {
  terraform: { required_providers: { azurerm: { source: "azurerm", version: "4.55.0" } } },
  resource: {
    azurerm_resource_group: { rg_1: { "//": meta("s/renamed-construct-path/rg"), name: "rg-diabetes-dev", location: "westeurope" } },
    // Same identity, new construct id.
    azurerm_user_assigned_identity: {
      identity_BBBB: { "//": meta("s/pull-identity"), name: "id-diabetes-dev", location: "${azurerm_resource_group.rg_1.location}", resource_group_name: "${azurerm_resource_group.rg_1.name}" },
    },
    azurerm_storage_account: {
      models_1: { name: "stdiabetesdev02", account_kind: "StorageV2", account_replication_type: "LRS", account_tier: "Standard", location: "westeurope", resource_group_name: "rg-diabetes-dev" },
      data_1: { name: "stdiabetesdata", account_kind: "StorageV2", account_replication_type: "GRS", account_tier: "Standard", location: "westeurope", resource_group_name: "rg-diabetes-dev" },
      host_1: { name: "stdiabeteshost", account_kind: "BlockBlobStorage", account_replication_type: "ZRS", account_tier: "Standard", location: "westeurope", resource_group_name: "rg-diabetes-dev" },
      legacy_1: { name: "stdiabeteslegacy", account_kind: "StorageV2", account_replication_type: "RAGRS", account_tier: "Standard", location: "westeurope", resource_group_name: "rg-diabetes-dev" },
    },
    azurerm_linux_function_app: {
      app_1: {
        "//": meta("s/function-app/app"),
        name: "func-diabetes-dev",
        location: "westeurope",
        resource_group_name: "rg-diabetes-dev",
        identity: { type: "UserAssigned", identity_ids: ["${azurerm_user_assigned_identity.identity_BBBB.id}"] },
        app_settings: { WEBSITES_ENABLE_APP_SERVICE_STORAGE: "false", AzureWebJobsStorage__clientId: "${azurerm_user_assigned_identity.identity_BBBB.client_id}", MLFUNC_LOG_LEVEL: "info" },
        site_config: { always_on: true, application_stack: { docker: [{ registry_url: "https://crdiabetes.azurecr.io", image_name: "diabetes", image_tag: "9b1e77aa04c3d210" }] } },
        depends_on: ["azurerm_role_assignment.pull_1", "azurerm_servicebus_queue.in_1"],
      },
    },
    azurerm_role_assignment: {
      pull_1: { scope: "${azurerm_container_registry.acr_1.id}", role_definition_name: "AcrPull", principal_id: "${azurerm_user_assigned_identity.identity_BBBB.principal_id}", description: "image pulls" },
    },
    azurerm_container_registry_token_password: { pw_1: { container_registry_token_id: "${azurerm_container_registry_token.t_1.id}", password1: { expiry: "2028-01-01T00:00:00Z" } } },
    azurerm_servicebus_namespace: { sb_1: { name: "sb-diabetes-dev", location: "westeurope", resource_group_name: "rg-diabetes-dev", sku: "Standard", admin_password: "rotated-Passw0rd-in-config" } },
    azurerm_servicebus_queue: { in_1: { name: "inqueue", namespace_id: "${azurerm_servicebus_namespace.sb_1.id}" } },
  },
};

function find(diff: StackDiff, address: string): ResourceDiff {
  const found = diff.resources.find((r) => r.address === address);
  if (!found) throw new Error(`${address} not in ${diff.resources.map((r) => r.address).join(", ")}`);
  return found;
}

describe("offline diff of synthesized stacks", () => {
  const diff = diffStack("diabetes-dev", baseStack, headStack);

  test("lists removed, renamed, changed and added resources, destructive ones first", () => {
    expect(diff.status).toBe("changed");
    expect(diff.resources.map((r) => `${r.kind}${r.replace ? "!" : ""} ${r.address}`)).toEqual([
      "removed azurerm_role_assignment.metrics_1",
      "renamed! azurerm_user_assigned_identity.identity_BBBB",
      "changed! azurerm_role_assignment.pull_1",
      "changed! azurerm_storage_account.host_1",
      "changed! azurerm_storage_account.models_1",
      "changed azurerm_container_registry_token_password.pw_1",
      "changed azurerm_linux_function_app.app_1",
      "changed azurerm_servicebus_namespace.sb_1",
      "changed azurerm_storage_account.data_1",
      "changed azurerm_storage_account.legacy_1",
      "added azurerm_servicebus_queue.in_1",
    ]);
  });

  test("metadata and depends_on changes are not changes", () => {
    expect(diff.resources.find((r) => r.address === "azurerm_resource_group.rg_1")).toBeUndefined();
  });

  test("a changed logical id with the same type and name is a renamed construct and a replacement", () => {
    const identity = find(diff, "azurerm_user_assigned_identity.identity_BBBB");
    expect(identity).toMatchObject({ kind: "renamed", previousAddress: "azurerm_user_assigned_identity.identity_AAAA", replace: true, replaceReasons: [], changes: [] });
  });

  test("references to a renamed resource are not reported as changes of their own", () => {
    const app = find(diff, "azurerm_linux_function_app.app_1");
    expect(app.changes.map((c) => c.path)).toEqual(["app_settings.MLFUNC_LOG_LEVEL", "site_config.application_stack.docker[0].image_tag"]);
  });

  test("a new image tag on the function app is flagged as a redeploy, not a replacement", () => {
    const app = find(diff, "azurerm_linux_function_app.app_1");
    expect(app).toMatchObject({ redeploy: true, replace: false });
    expect(app.changes[1]).toEqual({ path: "site_config.application_stack.docker[0].image_tag", before: '"3da3c5850f29ac02"', after: '"9b1e77aa04c3d210"' });
  });

  test("name changes force a new resource; the attribute is marked", () => {
    const models = find(diff, "azurerm_storage_account.models_1");
    expect(models.replaceReasons).toEqual(["name"]);
    expect(models.changes).toEqual([{ path: "name", before: '"stdiabetesdev01"', after: '"stdiabetesdev02"', forcesReplacement: true }]);
  });

  test("storage kind and replication force a new account only on the transitions the provider replaces", () => {
    expect(find(diff, "azurerm_storage_account.data_1")).toMatchObject({ replace: false, replaceReasons: [] });
    expect(find(diff, "azurerm_storage_account.legacy_1")).toMatchObject({ replace: false, replaceReasons: [] });
    expect(find(diff, "azurerm_storage_account.host_1").replaceReasons).toEqual(["account_kind", "account_replication_type"]);
  });

  test.each([
    [{ account_replication_type: "LRS" }, { account_replication_type: "GRS" }, []],
    [{ account_replication_type: "LRS" }, { account_replication_type: "ZRS" }, ["account_replication_type"]],
    [{ account_replication_type: "RAGZRS" }, { account_replication_type: "GZRS" }, []],
    [{ account_replication_type: "GZRS" }, { account_replication_type: "RAGRS" }, ["account_replication_type"]],
    [{ account_kind: "Storage" }, { account_kind: "StorageV2" }, []],
    [{ account_kind: "BlobStorage" }, { account_kind: "StorageV2" }, []],
    [{ account_kind: "StorageV2" }, { account_kind: "BlobStorage" }, ["account_kind"]],
    [{ location: "westeurope" }, { location: "northeurope" }, ["location"]],
    [{ resource_group_name: "a" }, { resource_group_name: "b" }, ["resource_group_name"]],
    [{ account_tier: "Standard" }, { account_tier: "Premium" }, ["account_tier"]],
  ] as [JsonObject, JsonObject, string[]][])("storage account %j → %j replaces on %j", (before, after, expected) => {
    expect(forceNewAttributes("azurerm_storage_account", before, after)).toEqual(expected);
  });

  test("role assignments cannot be updated: any change replaces them", () => {
    expect(find(diff, "azurerm_role_assignment.pull_1")).toMatchObject({ replace: true, replaceReasons: ["description"] });
  });

  test("a role definition's name is updated in place; its scope or id replaces it", () => {
    expect(forceNewAttributes("azurerm_role_definition", { name: "a", scope: "/s/1" }, { name: "b", scope: "/s/1" })).toEqual([]);
    expect(forceNewAttributes("azurerm_role_definition", { name: "a", scope: "/s/1" }, { name: "a", scope: "/s/2" })).toEqual(["scope"]);
  });

  test("non-azurerm resources are never flagged as replacements by these rules", () => {
    expect(forceNewAttributes("docker_image", { name: "a" }, { name: "b" })).toEqual([]);
  });

  test("literal credentials in the configuration are masked, references are not", () => {
    expect(find(diff, "azurerm_servicebus_namespace.sb_1").changes).toEqual([
      { path: "admin_password", before: "(sensitive)", after: "(sensitive)", sensitive: true },
    ]);
    expect(find(diff, "azurerm_container_registry_token_password.pw_1").changes).toEqual([
      { path: "password1.expiry", before: '"2027-01-01T00:00:00Z"', after: '"2028-01-01T00:00:00Z"' },
    ]);
  });

  test("the report lists the diff's deletes and replacements at the top", () => {
    const md = renderMarkdown({ plans: [], diff: [diff], base: "origin/main", findings: [], failOn: "high" });
    expect(md).not.toContain("Passw0rd");
    const top = md.slice(0, md.indexOf("<details"));
    expect(top).toContain("- 🔴 **delete** `azurerm_role_assignment.metrics_1`");
    expect(top).toContain("- 🟠 **replace** `azurerm_user_assigned_identity.identity_BBBB` logical id renamed from `azurerm_user_assigned_identity.identity_AAAA`");
    expect(top).toContain("- 🟠 **replace** `azurerm_storage_account.host_1` forced by `account_kind`, `account_replication_type`");
    expect(md).toContain("- 🟡 **change** `azurerm_linux_function_app.app_1` 🚀 **redeploy** (new image tag)");
  });
});

/** Pair 2: a moved block, a stack that appears and one that goes away. */
describe("offline diff across stacks and moves", () => {
  const before: JsonObject = {
    resource: {
      azurerm_storage_account: { old_id: { name: "stdiabetesprod", location: "westeurope", resource_group_name: "rg" } },
      azurerm_storage_container: { input_1: { name: "input", storage_account_id: "${azurerm_storage_account.old_id.id}" } },
    },
  };
  const after: JsonObject = {
    resource: {
      azurerm_storage_account: { new_id: { name: "stdiabetesprod", location: "westeurope", resource_group_name: "rg" } },
      azurerm_storage_container: { input_1: { name: "input", storage_account_id: "${azurerm_storage_account.new_id.id}" } },
    },
    moved: [{ from: "azurerm_storage_account.old_id", to: "azurerm_storage_account.new_id" }],
  };

  test("a moved block turns a rename into a move without replacement", () => {
    const diff = diffStack("diabetes-prod", before, after);
    expect(diff.resources).toEqual([
      { address: "azurerm_storage_account.new_id", previousAddress: "azurerm_storage_account.old_id", type: "azurerm_storage_account", kind: "renamed", replace: false, replaceReasons: [], redeploy: false, changes: [] },
    ]);
  });

  test("reads cdktf.out folders; whole stacks added and removed", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "mlfunc-review-diff-"));
    try {
      const listed: Record<string, Record<string, object>> = { base: {}, head: {} };
      const write = (tree: string, stack: string, doc: JsonObject): void => {
        mkdirSync(path.join(root, tree, "stacks", stack), { recursive: true });
        writeFileSync(path.join(root, tree, "stacks", stack, "cdk.tf.json"), JSON.stringify(doc));
        listed[tree][stack] = { synthesizedStackPath: `stacks/${stack}/cdk.tf.json`, workingDirectory: `stacks/${stack}` };
        writeFileSync(path.join(root, tree, "manifest.json"), JSON.stringify({ version: "0.21.0", stacks: listed[tree] }));
      };
      write("base", "diabetes-prod", before);
      write("base", "diabetes-old", before);
      write("head", "diabetes-prod", before);
      write("head", "diabetes-new", after);
      // A folder the manifest does not list (left by a synth of another file) is not a stack.
      mkdirSync(path.join(root, "head", "stacks", "other-app-dev"), { recursive: true });
      writeFileSync(path.join(root, "head", "stacks", "other-app-dev", "cdk.tf.json"), JSON.stringify(after));
      const diffs = await diffSynthDirs(path.join(root, "base"), path.join(root, "head"));
      expect(diffs.map((d) => `${d.stack}: ${d.status} ${d.resources.map((r) => r.kind).join(",")}`)).toEqual([
        "diabetes-new: added added,added",
        "diabetes-old: removed removed,removed",
        "diabetes-prod: unchanged ",
      ]);

      writeFileSync(path.join(root, "head", "stacks", "diabetes-new", "cdk.tf.json"), "{ nope");
      const broken = path.join(root, "head", "stacks", "diabetes-new", "cdk.tf.json");
      await expect(loadSynthTree(path.join(root, "head"))).rejects.toThrow(new ReviewInputError(broken, "not valid JSON at line 1, column 3: unexpected 'n' (expected a property name in double quotes)"));
      await expect(loadSynthTree(path.join(root, "missing"))).rejects.toThrow(
        `${path.join(root, "missing")}: no synthesized stacks here (expected manifest.json and stacks/<name>/cdk.tf.json; run \`npm run synth\`)`,
      );
      writeFileSync(path.join(root, "head", "manifest.json"), JSON.stringify({ stacks: { evil: { synthesizedStackPath: "../../etc/passwd", workingDirectory: "." } } }));
      await expect(loadSynthTree(path.join(root, "head"))).rejects.toThrow(
        `${path.join(root, "head", "manifest.json")}: stack "evil": synthesizedStackPath "../../etc/passwd" points outside ${path.join(root, "head")}`,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("Service Bus namespace SKU", () => {
  const ns = (sku: string): JsonObject => ({ name: "sb-x", location: "westeurope", resource_group_name: "rg", sku });
  test.each([
    ["Standard", "Premium", ["sku"]],
    ["Premium", "Standard", ["sku"]],
    ["Basic", "Standard", []],
  ])("%s to %s forces a new namespace: %j", (from, to, expected) => {
    expect(forceNewAttributes("azurerm_servicebus_namespace", ns(from), ns(to))).toEqual(expected);
  });
});

describe("replacements that follow references, across renames", () => {
  const rg = (name: string): JsonObject => ({ name, location: "westeurope" });
  const account = (rgRef: string, tier = "Standard"): JsonObject => ({ name: "stx", location: `\${${rgRef}.location}`, resource_group_name: `\${${rgRef}.name}`, account_tier: tier, account_replication_type: "LRS" });
  const doc = (resources: Record<string, Record<string, JsonObject>>, moved?: JsonObject[]): JsonObject => ({ resource: resources, ...(moved ? { moved } : {}) });

  test("a renamed resource group with the same literal name replaces only itself", () => {
    const before = doc({ azurerm_resource_group: { old_rg: rg("rg-x") }, azurerm_storage_account: { acct: account("azurerm_resource_group.old_rg") } });
    const after = doc({ azurerm_resource_group: { new_rg: rg("rg-x") }, azurerm_storage_account: { acct: account("azurerm_resource_group.new_rg") } });
    const diff = diffStack("s", before, after);
    expect(diff.resources.filter((r) => r.replace).map((r) => r.address)).toEqual(["azurerm_resource_group.new_rg"]);
  });

  test("a moved container follows its replaced storage account", () => {
    const container = (acct: string): JsonObject => ({ name: "input", storage_account_id: `\${${acct}.id}` });
    const before = doc({ azurerm_resource_group: { rg: rg("rg-x") }, azurerm_storage_account: { acct: account("azurerm_resource_group.rg") }, azurerm_storage_container: { old_c: container("azurerm_storage_account.acct") } });
    const after = doc(
      { azurerm_resource_group: { rg: rg("rg-x") }, azurerm_storage_account: { acct: account("azurerm_resource_group.rg", "Premium") }, azurerm_storage_container: { new_c: container("azurerm_storage_account.acct") } },
      [{ from: "azurerm_storage_container.old_c", to: "azurerm_storage_container.new_c" }],
    );
    const diff = diffStack("s", before, after);
    expect(find(diff, "azurerm_storage_container.new_c")).toMatchObject({ kind: "renamed", replace: true, replaceReasons: ["storage_account_id (follows the replaced azurerm_storage_account.acct)"] });
  });
});
