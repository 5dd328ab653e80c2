/** Deployment-file validation of hosting: containerApps: each bad input and the exact message it must produce. */
import { writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { stringify } from "yaml";
import { parseDeployment } from "../../config/load";
import { DeploymentError } from "../../config/problems";
import { Json, defaultConfig, scratch } from "../support/synth";

/** The default app with its environments replaced by `envs`. */
function withEnvs(envs: Json): Json {
  const c = defaultConfig();
  c.environments = envs;
  return c;
}

function problems(config: Json): string[] {
  const { dir, cleanup } = scratch();
  try {
    const file = join(dir, "mlfunc.yaml");
    const text = stringify(config);
    writeFileSync(file, text);
    try {
      parseDeployment(text, file, relative(process.cwd(), file));
    } catch (e) {
      if (!(e instanceof DeploymentError)) throw e;
      return e.message.split("\n").slice(1).map((l) => l.replace(/ \(line \d+\)/, ""));
    }
    return [];
  } finally {
    cleanup();
  }
}

const aca = (containerApps: Json, extra: Json = {}): Json => withEnvs({ aca: { hosting: "containerApps", containerApps, ...extra } });

test("the default example's Container Apps environment is valid and defaults apply", () => {
  const c = defaultConfig();
  const { dir, cleanup } = scratch();
  try {
    const d = parseDeployment(stringify(c), join(dir, "mlfunc.yaml"));
    const canary = d.environments.find((e) => e.name === "canary");
    expect(canary?.hosting).toBe("containerApps");
    expect(canary?.containerApps).toEqual({
      minReplicas: 0,
      maxReplicas: 10,
      cpu: 1,
      memory: "2Gi",
      workloadProfile: "Consumption",
      ingress: "external",
      cooldownPeriod: undefined,
      revisions: { mode: "single", latestWeight: 100 },
    });
    expect(d.environments.find((e) => e.name === "dev")?.hosting).toBe("appService");
    expect(d.environments.find((e) => e.name === "dev")?.containerApps).toBeUndefined();
  } finally {
    cleanup();
  }
});

test("a GPU profile defaults to its whole size per replica", () => {
  const { dir, cleanup } = scratch();
  try {
    const d = parseDeployment(stringify(aca({ workloadProfile: "Consumption-GPU-NC24-A100" }, { location: "westus3" })), join(dir, "mlfunc.yaml"));
    expect(d.environments[0]?.containerApps).toMatchObject({ cpu: 24, memory: "220Gi", workloadProfile: "Consumption-GPU-NC24-A100" });
  } finally {
    cleanup();
  }
});

const CASES: ReadonlyArray<readonly [string, Json, readonly string[]]> = [
  ["unknown hosting", withEnvs({ x: { hosting: "aks" } }), ['  environments.x.hosting: "aks" — must be "appService" or "containerApps"']],
  [
    "plan on Container Apps",
    withEnvs({ x: { hosting: "containerApps", plan: { sku: "EP1" } } }),
    ["  environments.x.plan: {...} — plan is for hosting: appService; on Container Apps set containerApps.minReplicas, maxReplicas, cpu and memory instead, and remove plan"],
  ],
  [
    "containerApps settings without the hosting",
    withEnvs({ x: { containerApps: { minReplicas: 1 } } }),
    ['  environments.x.containerApps: "(settings)" — containerApps settings need hosting: containerApps; add "hosting: containerApps" or remove the containerApps block'],
  ],
  [
    "replica limits",
    aca({ minReplicas: -1, maxReplicas: 1001 }),
    [
      "  environments.aca.containerApps.minReplicas: -1 — must be at least 0",
      "  environments.aca.containerApps.maxReplicas: 1001 — Functions on Container Apps scale out to at most 1000 replicas; lower it",
    ],
  ],
  ["min above max", aca({ minReplicas: 5, maxReplicas: 2 }), ["  environments.aca.containerApps.minReplicas: 5 — must not exceed maxReplicas (2); raise maxReplicas or lower minReplicas"]],
  [
    "a cpu/memory pair Consumption does not offer",
    aca({ cpu: 1, memory: "3Gi" }),
    ['  environments.aca.containerApps.memory: "3Gi" — the Consumption profile pairs 1 vCPU with 2Gi (memory is twice the vCPUs); write "2Gi" or change cpu'],
  ],
  ["cpu off the 0.25 grid", aca({ cpu: 0.3, memory: "0.6Gi" }), ["  environments.aca.containerApps.cpu: 0.3 — the Consumption profile takes 0.25 to 4 vCPU in steps of 0.25"]],
  ["cpu above Consumption", aca({ cpu: 8, memory: "16Gi" }), ["  environments.aca.containerApps.cpu: 8 — the Consumption profile takes 0.25 to 4 vCPU in steps of 0.25"]],
  ["memory not in GiB", aca({ memory: "2048Mi" }), ['  environments.aca.containerApps.memory: "2048Mi" — memory is a GiB amount such as "2Gi" or "0.5Gi"']],
  [
    "unknown workload profile",
    aca({ workloadProfile: "D4" }),
    ['  environments.aca.containerApps.workloadProfile: "D4" — unknown serverless workload profile; use "Consumption", "Consumption-GPU-NC8as-T4", "Consumption-GPU-NC24-A100"'],
  ],
  [
    "profile name in the wrong case",
    aca({ workloadProfile: "consumption-gpu-nc8as-t4" }),
    ['  environments.aca.containerApps.workloadProfile: "consumption-gpu-nc8as-t4" — profile names are case-sensitive: write "Consumption-GPU-NC8as-T4"'],
  ],
  [
    "GPU profile in a region without it",
    aca({ workloadProfile: "Consumption-GPU-NC24-A100" }, { location: "westeurope" }),
    [
      '  environments.aca.containerApps.workloadProfile: "Consumption-GPU-NC24-A100" — NVIDIA A100 serverless GPUs are not offered in westeurope; deploy this environment to one of australiaeast, brazilsouth, eastus, italynorth, swedencentral, westus, westus3 (set environments.<env>.location), or check az containerapp env workload-profile list-supported --location westeurope',
    ],
  ],
  ["GPU replica above the profile", aca({ workloadProfile: "Consumption-GPU-NC8as-T4", memory: "64Gi" }, { location: "westeurope" }), ['  environments.aca.containerApps.memory: "64Gi" — Consumption-GPU-NC8as-T4 replicas take above 0 and at most 56Gi, with at most two decimals']],
  // https://learn.microsoft.com/azure/container-apps/containers#allocations, and mlfunc's floor for the host.
  ["a GPU replica of 0.001 vCPU", aca({ workloadProfile: "Consumption-GPU-NC8as-T4", cpu: 0.001, memory: "0.001Gi" }, { location: "westeurope" }), ["  environments.aca.containerApps.cpu: 0.001 — Consumption-GPU-NC8as-T4 replicas take above 0 and at most 8 vCPU, with at most two decimals"]],
  ["a GPU replica too small for the host", aca({ workloadProfile: "Consumption-GPU-NC8as-T4", cpu: 0.25, memory: "8Gi" }, { location: "westeurope" }), ["  environments.aca.containerApps.cpu: 0.25 — the Functions host and the Python worker need at least 0.5 vCPU and 1Gi a replica; use cpu: 0.5 or more (up to 8)"]],
  ["a GPU replica of 0.001Gi", aca({ workloadProfile: "Consumption-GPU-NC8as-T4", cpu: 2, memory: "0.001Gi" }, { location: "westeurope" }), ['  environments.aca.containerApps.memory: "0.001Gi" — Consumption-GPU-NC8as-T4 replicas take above 0 and at most 56Gi, with at most two decimals']],
  ["a GPU replica with too little memory", aca({ workloadProfile: "Consumption-GPU-NC8as-T4", cpu: 2, memory: "0.5Gi" }, { location: "westeurope" }), ['  environments.aca.containerApps.memory: "0.5Gi" — the Functions host and the Python worker need at least 0.5 vCPU and 1Gi a replica; use memory: "1Gi" or more (up to 56Gi)']],
  ["a Consumption replica too small for the host", aca({ cpu: 0.25, memory: "0.5Gi" }), ['  environments.aca.containerApps.cpu: 0.25 — the Functions host and the Python worker need at least 0.5 vCPU and 1Gi a replica; use cpu: 0.5 with memory: "1Gi" or more']],
  [
    "a traffic split in single mode",
    aca({ revisions: { latestWeight: 10 } }),
    ["  environments.aca.containerApps.revisions.latestWeight: 10 — a traffic split needs mode: multiple; single mode sends all traffic to the newest revision"],
  ],
  [
    "a canary without a stable revision",
    aca({ revisions: { mode: "multiple", latestWeight: 20 } }),
    ['  environments.aca.containerApps.revisions: "(settings)" — stableRevision is required when latestWeight is below 100: name the revision that takes the other 80% (the latest_revision output of the previous deploy)'],
  ],
  [
    "a stable revision of another app",
    aca({ revisions: { mode: "multiple", latestWeight: 20, stableRevision: "ca-other--abc" } }),
    ['  environments.aca.containerApps.revisions.stableRevision: "ca-other--abc" — revisions of this app are named "ca-diabetes-aca--<suffix>"; copy the latest_revision output of the previous deploy'],
  ],
  [
    "a stable revision that gets nothing",
    aca({ revisions: { mode: "multiple", stableRevision: "ca-diabetes-aca--abc" } }),
    ["  environments.aca.containerApps.revisions.latestWeight: 100 — with latestWeight 100 the stable revision gets no traffic; lower latestWeight (e.g. 10 for a 10% canary) or remove stableRevision"],
  ],
  ["weight out of range", aca({ revisions: { mode: "multiple", latestWeight: 0 } }), ["  environments.aca.containerApps.revisions.latestWeight: 0 — must be at least 1 (percent)"]],
  [
    "weight above 100 next to a stable revision: one problem, about the value written",
    aca({ revisions: { mode: "multiple", latestWeight: 101, stableRevision: "ca-diabetes-aca--abc" } }),
    ["  environments.aca.containerApps.revisions.latestWeight: 101 — must be at most 100 (percent)"],
  ],
  [
    "unknown key with a suggestion",
    aca({ minReplica: 0 }),
    ["  environments.aca.containerApps.minReplica: 0 — unknown key; did you mean \"minReplicas\"? (allowed here: minReplicas, maxReplicas, cpu, memory, workloadProfile, ingress, cooldownPeriod, revisions)"],
  ],
  [
    "a bad container app name override",
    aca({}, { names: { containerApp: "CA_Model" } }),
    ['  environments.aca.names.containerApp: "CA_Model" — a container app name must be lowercase letters, digits and hyphens, starting with a letter and ending with a letter or digit; try "ca-model"'],
  ],
];

test.each(CASES)("%s", (_name, config, expected) => {
  expect(problems(config)).toEqual(expected);
});

test("every Container Apps problem of a file is reported at once, cross-field rules despite a bad field", () => {
  expect(problems(aca({ maxReplicas: "ten", cpu: 1, memory: "4Gi", revisions: { mode: "multiple", latestWeight: 50 } }))).toEqual([
    '  environments.aca.containerApps.maxReplicas: "ten" — must be a number, not a string',
    '  environments.aca.containerApps.memory: "4Gi" — the Consumption profile pairs 1 vCPU with 2Gi (memory is twice the vCPUs); write "2Gi" or change cpu',
    '  environments.aca.containerApps.revisions: "(settings)" — stableRevision is required when latestWeight is below 100: name the revision that takes the other 50% (the latest_revision output of the previous deploy)',
  ]);
});
