/**
 * `review --base <ref>` for a deployment file in its own git repository: the ref is looked up there,
 * the two sides are always different files, and the gate and the image report work on the result.
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { main, parseReviewArgs, runReview } from "../review/cli";
import { ReviewInputError } from "../review/errors";
import { formatBytes } from "../review/images";
import { synthForReview } from "../commands/synth";
import { renderMarkdown, reviewExitCode, type JsonReport } from "../review/report";
import { EXAMPLE, ROOT, scratch, type Json } from "./support/synth";
import { type Run, captured } from "./support/capture";

// Each case synthesizes the app twice; on a shared, busy machine that takes seconds.
jest.setTimeout(120_000);

/** Runs the review's `main` with stdout and stderr captured. */
const run = (argv: readonly string[]): Promise<Run> => captured(() => main(argv));

function git(cwd: string, ...args: string[]): string {
  const r = spawnSync("git", ["-c", "user.name=mlfunc-test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false", ...args], { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.trim();
}

/** The example app as a repository of its own: deployment file, model, script and requirements. */
function appRepo(dir: string): { dir: string; file: string; doc: () => Json; write: (doc: Json) => void } {
  mkdirSync(join(dir, "model"), { recursive: true });
  copyFileSync(join(EXAMPLE, "sklearn_regression_model.pkl"), join(dir, "model", "model.pkl"));
  copyFileSync(join(EXAMPLE, "score.py"), join(dir, "score.py"));
  copyFileSync(join(EXAMPLE, "requirements.txt"), join(dir, "requirements.txt"));
  const doc = parse(readFileSync(join(ROOT, "mlfunc.yaml"), "utf8")) as Json;
  doc.model = { path: "model/model.pkl", scoringScript: "score.py", pythonVersion: "3.11", requirements: "requirements.txt" };
  const file = join(dir, "mlfunc.yaml");
  const write = (d: Json) => writeFileSync(file, stringify(d));
  write(doc);
  writeFileSync(join(dir, ".gitignore"), "cdktf.out/\n.mlfunc/\nterraform.*.tfstate*\nlocal.yaml\n");
  git(dir, "init", "--quiet", "--initial-branch=main");
  git(dir, "add", "-A");
  git(dir, "commit", "--quiet", "-m", "app");
  return { dir, file, doc: () => parse(readFileSync(file, "utf8")) as Json, write };
}

/** The deployment without its blob and Service Bus functions: their containers and queues go. */
function withoutQueuesAndContainers(doc: Json): Json {
  return { ...doc, functions: (doc.functions as Json[]).filter((f) => (f.trigger as Json).type === "http") };
}

describe("review --base for an app kept in its own repository", () => {
  let work: { dir: string; cleanup: () => void };
  let app: ReturnType<typeof appRepo>;
  const saved = { config: process.env.MLFUNC_CONFIG, cwd: process.cwd() };

  beforeAll(() => {
    work = scratch();
    app = appRepo(join(work.dir, "myapp"));
  });
  afterAll(() => {
    process.chdir(saved.cwd);
    work.cleanup();
  });
  beforeEach(() => {
    process.env.MLFUNC_CONFIG = app.file;
    git(app.dir, "checkout", "--quiet", "--", ".");
    git(app.dir, "clean", "--quiet", "-fdx");
  });
  afterEach(() => {
    process.chdir(saved.cwd);
    if (saved.config === undefined) delete process.env.MLFUNC_CONFIG;
    else process.env.MLFUNC_CONFIG = saved.config;
  });

  test("a change that deletes containers and queues: the ref is read from the app's repository and the gate fails the review", async () => {
    app.write(withoutQueuesAndContainers(app.doc()));
    const r = await run(["--base", "HEAD", "--format", "json"]);
    const report = JSON.parse(r.stdout) as JsonReport;
    expect(r.code).toBe(1);
    expect(report.status).toBe("fail");
    const removed = report.diff.flatMap((s) => s.resources.filter((x) => x.kind === "removed").map((x) => `${s.stack} ${x.type}`));
    for (const env of ["diabetes-dev", "diabetes-prod"]) {
      expect(removed).toEqual(expect.arrayContaining([`${env} azurerm_storage_container`, `${env} azurerm_servicebus_queue`]));
    }
    const blocked = report.gates.filter((g) => g.allowedBy === undefined).map((g) => `${g.stack} ${g.action} ${g.type}`);
    expect(blocked).toEqual(
      expect.arrayContaining([
        "diabetes-dev delete azurerm_storage_container",
        "diabetes-dev delete azurerm_servicebus_queue",
        "diabetes-prod delete azurerm_storage_container",
        "diabetes-prod delete azurerm_servicebus_queue",
      ]),
    );
    // Role assignments go too, but hold no data: not gated.
    expect(report.gates.some((g) => g.type === "azurerm_role_assignment")).toBe(false);
    for (const g of report.gates) expect(r.stderr).toContain(`review: blocked delete of ${g.stack}/${g.address} (`);
    expect(report.notes).toContain(`The base is "HEAD" of ${realpathSync(app.dir)}, synthesized with the mlfunc code running this review (that repository holds the app, not mlfunc's sources).`);
    // This checkout's cdktf.out and state are untouched by a review of another app.
    expect(existsSync(join(app.dir, "cdktf.out"))).toBe(false);
  });

  test("--fail-on low or none does not let deletes of data through; --allow-delete and a reasoned entry in the file do", async () => {
    app.write(withoutQueuesAndContainers(app.doc()));
    expect((await run(["--base", "HEAD", "--fail-on", "low"])).code).toBe(1);
    const flags = await run(["--base", "HEAD", "--allow-delete", "azurerm_storage_*", "--allow-delete", "azurerm_servicebus_*"]);
    expect(flags.stderr).toBe("");
    expect(flags.code).toBe(0);
    expect(flags.stdout.split("\n")[0]).toMatch(/^\*\*mlfunc review: ⚠️ /);

    const partly = await run(["--base", "HEAD", "--allow-delete", "diabetes-dev/azurerm_storage_*", "--allow-delete", "diabetes-dev/azurerm_servicebus_*", "--allow-delete", "nothing.matches*"]);
    expect(partly.code).toBe(1);
    expect(partly.stderr).not.toContain("diabetes-dev/");
    expect(partly.stderr).toContain("review: blocked delete of diabetes-prod/azurerm_storage_container.");
    expect(partly.stdout).toContain('> --allow-delete "nothing.matches\\*" matches no gated delete or replacement.');

    const reason = "blob and queue triggers retired; containers drained in CHG-1234";
    const entries = [
      { address: "azurerm_storage_*", reason },
      { address: "azurerm_servicebus_*", reason },
    ];
    app.write({ ...withoutQueuesAndContainers(app.doc()), review: { allowDelete: entries } });
    const file = await run(["--base", "HEAD"]);
    expect(file.stderr).toBe("");
    expect(file.code).toBe(0);
    // Entries the base lacks are this change approving itself: first thing in the report, and in the verdict.
    const lines = file.stdout.split("\n");
    expect(lines[0]).toMatch(/^\*\*mlfunc review: ⚠️ .*, 21 deletes allowed by entries this change adds, /);
    expect(lines.slice(2, 5)).toEqual([
      "> ⚠️ **This change adds 2 review.allowDelete entries** (absent from the base's deployment file); each lets a delete through that the gate would block:",
      // Per stack (dev, prod, canary): the data account with its input, output and Event Grid dead-letter
      // containers; the namespace with its two queues.
      `> - \`azurerm_storage_*\`: ${reason} (12 deletes and replacements allowed)`,
      `> - \`azurerm_servicebus_*\`: ${reason} (9 deletes and replacements allowed)`,
    ]);
    expect(file.stdout).toContain(`in the deployment file (**an entry this change adds**): ${reason}`);

    // Once the entries are in the base, the same review no longer flags them.
    git(app.dir, "commit", "--quiet", "-am", "allow the deletes");
    app.write({ ...app.doc(), tags: { team: "ml" } });
    const committed = await run(["--base", "HEAD", "--format", "json"]);
    const report = JSON.parse(committed.stdout) as JsonReport;
    expect(report.newAllows).toEqual([]);
    expect(report.verdict).not.toContain("this change adds");
    git(app.dir, "reset", "--quiet", "--hard", "HEAD~1");
  });

  test("a catch-all allow entry is refused, in the file and on the command line", async () => {
    const message = "matches every resource address, which would turn the delete gate off for every stack; name the resources, e.g. azurerm_storage_container.data-storage_container-input_*";
    for (const address of ["*", "**", "?*", "*.*", "diabetes-dev/*"]) {
      app.write({ ...app.doc(), review: { allowDelete: [{ address, reason: "delete whatever this change deletes" }] } });
      const r = await run(["--base", "HEAD"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`review.allowDelete[0].address (line`);
      expect(r.stderr).toContain(`${JSON.stringify(address)} — ${message}`);
    }
    const flag = await run(["--base", "HEAD", "--allow-delete", "?*"]);
    expect({ code: flag.code, stderr: flag.stderr }).toEqual({ code: 2, stderr: `review: --allow-delete: "?*" ${message}\n` });
  });

  test("with --base-out the base's allow entries are unknown: the report says it cannot tell which entries the change adds", async () => {
    const base = join(work.dir, "base-out");
    synthForReview(app.file, base);
    const reason = "blob and queue triggers retired; containers drained in CHG-1234";
    app.write({ ...withoutQueuesAndContainers(app.doc()), review: { allowDelete: [{ address: "azurerm_storage_*", reason }, { address: "azurerm_servicebus_*", reason }] } });
    const r = await run(["--base-out", base, "--format", "json"]);
    const report = JSON.parse(r.stdout) as JsonReport;
    expect(report.newAllows).toEqual([]);
    expect(report.notes).toContain(
      "The base revision's review.allowDelete entries could not be read (--base-out gives a synthesized folder, not a revision), so this report cannot tell which of the 2 entries this change adds: check them in the diff of the deployment file.",
    );
  });

  test.each([["ok"], ["\u200b".repeat(10)], ["\u00a0\u2003\u202e\u2066 a b c d \u0007\u00ad\ufeff\u2060"]])("a reason too short to say anything (%j) is refused in the deployment file", async (reason) => {
    app.write({ ...app.doc(), review: { allowDelete: [{ address: "azurerm_storage_container.*", reason }] } });
    const r = await run(["--base", "HEAD"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('review.allowDelete[0].reason (line');
    expect(r.stderr).toContain('say why the delete is intended, in at least 10 visible characters (spaces, control and invisible characters do not count), e.g. "queue replaced by a topic; drained in CHG-1234"');
  });

  test("setting nameSeed replaces the worldwide-unique resources: blocked by default, all listed", async () => {
    app.write({ ...app.doc(), nameSeed: "contoso-ml" });
    const r = await run(["--base", "HEAD", "--format", "json"]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as JsonReport;
    const blockedTypes = new Set(report.gates.filter((g) => !g.allowedBy).map((g) => g.type));
    expect([...blockedTypes].sort()).toEqual(
      expect.arrayContaining(["azurerm_container_registry", "azurerm_servicebus_namespace", "azurerm_storage_account"]),
    );
    // --fail-on-replace widens the gate to every replacement, the function app included.
    const wide = JSON.parse((await run(["--base", "HEAD", "--format", "json", "--fail-on-replace"])).stdout) as JsonReport;
    expect(wide.gates.length).toBeGreaterThan(report.gates.length);
    expect(wide.gates.some((g) => g.type === "azurerm_linux_function_app" && g.holds === undefined)).toBe(true);
  });

  test("run from the app's own repository, with the default file name", async () => {
    app.write(withoutQueuesAndContainers(app.doc()));
    delete process.env.MLFUNC_CONFIG;
    process.chdir(app.dir);
    const r = await run(["--base", "HEAD"]);
    expect(r.stderr).not.toContain("no mlfunc app");
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("| Synth diff vs `HEAD` |");
  });

  test("a new model and script: the report lists the build-context files that changed, with sizes", async () => {
    const before = readFileSync(join(app.dir, "model", "model.pkl")).length;
    appendFileSync(join(app.dir, "model", "model.pkl"), Buffer.alloc(2500));
    appendFileSync(join(app.dir, "score.py"), "\n# retrained\n");
    writeFileSync(join(app.dir, "extra.txt"), "x");
    const review = await runReview(parseReviewArgs(["--base", "HEAD"]));
    expect(reviewExitCode(review)).toBe(0);
    const md = renderMarkdown(review);
    expect(md).toMatch(/<details open><summary>🚀 New image <code>[0-9a-f]{16}<\/code>, built once by <code>diabetes-image<\/code>: 2 build-context files changed<\/summary>/);
    // The section leads with the digest the environments will run.
    expect(md).toContain(
      "**Digest environments will run:** the `sha256` digest `diabetes-image` records when it pushes this build (its `image_digest` output, known once it applies). `diabetes-canary`, `diabetes-dev`, `diabetes-prod` run that digest (`…@sha256:…`), never a tag, and build nothing.",
    );
    expect(md).toContain(`- \`model/model.pkl\` changed (${formatBytes(before)} → ${formatBytes(before + 2500)})`);
    expect(md).toMatch(/- `scoring\/score\.py` changed \(\d+(\.\d)? k?B → \d+(\.\d)? k?B\)/);
    expect(review.notes).toContain('mlfunc.yaml itself is the same at "HEAD" as in the working tree.');
    expect(review.images).toHaveLength(1);
    // One build; the Container Apps environment runs the same digest as the App Service ones.
    expect(review.images?.[0]?.stacks).toEqual(["diabetes-image"]);
    expect(review.images?.[0]?.runs).toEqual(["diabetes-canary", "diabetes-dev", "diabetes-prod"]);
    expect(review.promotions).toEqual([]);
    // Only the image stack's JSON changes: environments name the digest through its state.
    const changed = review.diff?.map((s) => `${s.stack} ${s.resources.map((r) => r.type).join(" ")}`);
    expect(changed).toEqual(["diabetes-canary ", "diabetes-dev ", "diabetes-image docker_image docker_registry_image", "diabetes-prod "]);
    expect(review.images?.[0].files?.find((f) => f.path === "model/model.pkl")).toEqual({ path: "model/model.pkl", kind: "changed", beforeBytes: before, afterBytes: before + 2500 });
  });

  test("the checked-out commit of a repository without changes: exit 2, the two sides are the same files", async () => {
    const r = await run(["--base", "HEAD"]);
    expect(r).toEqual({
      code: 2,
      stdout: "",
      stderr: `review: --base: "HEAD" is the commit checked out in ${realpathSync(app.dir)}, and nothing there has changed since: both sides are the same files, so the review could only say "no change"; compare with the branch you will merge into (--base origin/main) or an earlier commit (--base HEAD~1)\n`,
    });
  });

  test("a deployment file git ignores: exit 2", async () => {
    const local = join(app.dir, "local.yaml");
    writeFileSync(local, readFileSync(app.file));
    process.env.MLFUNC_CONFIG = local;
    const r = await run(["--base", "HEAD"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`local.yaml is ignored by git in ${realpathSync(app.dir)}, so "HEAD" cannot hold an earlier revision of it and both sides would be the same file`);
  });

  test("an unknown ref in the app's repository: exit 2", async () => {
    app.write(withoutQueuesAndContainers(app.doc()));
    const r = await run(["--base", "nosuchref"]);
    expect(r).toEqual({
      code: 2,
      stdout: "",
      stderr: `review: --base: unknown git ref "nosuchref" in ${realpathSync(app.dir)}; fetch it first (git fetch origin main) or name a branch, tag or commit that exists\n`,
    });
  });

  test("a --base ref with terminal escapes is written out in the progress line and the error", async () => {
    process.env.MLFUNC_QUIET = "0";
    let r: Run;
    try {
      r = await run(["--base", "nosuchref\u001b[31m\u009b2J"]);
    } finally {
      process.env.MLFUNC_QUIET = "1";
    }
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "review: building and synthesizing nosuchref\\u001b[31m\\u009b2J in a temporary worktree\n" +
        `review: --base: unknown git ref "nosuchref\\u001b[31m\\u009b2J" in ${realpathSync(app.dir)}; fetch it first (git fetch origin main) or name a branch, tag or commit that exists\n`,
    );
  });

  test("a deployment file the ref does not have yet: every stack is new", async () => {
    const second = join(app.dir, "second.yaml");
    writeFileSync(second, readFileSync(app.file));
    process.env.MLFUNC_CONFIG = second;
    const r = await run(["--base", "HEAD", "--format", "json"]);
    const report = JSON.parse(r.stdout) as JsonReport;
    expect(r.code).toBe(0);
    expect(report.diff.map((s) => `${s.stack} ${s.status}`)).toEqual(["diabetes-canary added", "diabetes-dev added", "diabetes-image added", "diabetes-prod added"]);
    expect(report.notes).toContain('second.yaml does not exist at "HEAD": every stack of this deployment is new.');
  });
});

describe("review --base for the app inside the mlfunc checkout: the ref is built with its own code", () => {
  const worktrees = (repo: string): string[] =>
    git(repo, "worktree", "list", "--porcelain")
      .split("\n")
      .filter((l) => l.startsWith("worktree "));

  /**
   * A clone of this checkout at HEAD, after `prepare` (which may commit to it), with its mlfunc.yaml then
   * changed to drop the queues and containers and named by MLFUNC_CONFIG while `check` runs.
   */
  async function inClone(prepare: (clone: string) => void, check: (clone: string) => Promise<void>): Promise<void> {
    const work = scratch();
    const saved = process.env.MLFUNC_CONFIG;
    try {
      const clone = join(work.dir, "mlfunc");
      spawnSync("git", ["clone", "--quiet", "--shared", ROOT, clone], { encoding: "utf8" });
      prepare(clone);
      const file = join(clone, "mlfunc.yaml");
      writeFileSync(file, stringify(withoutQueuesAndContainers(parse(readFileSync(file, "utf8")) as Json)));
      process.env.MLFUNC_CONFIG = file;
      await check(clone);
    } finally {
      if (saved === undefined) delete process.env.MLFUNC_CONFIG;
      else process.env.MLFUNC_CONFIG = saved;
      work.cleanup();
    }
  }

  test("a clone of this checkout at HEAD, its mlfunc.yaml changed: the diff shows the change, no worktree is left behind", () =>
    inClone(
      () => undefined,
      async (clone) => {
        const review = await runReview(parseReviewArgs(["--base", "HEAD"]), { codeRoot: clone });
        expect(review.base).toBe("HEAD");
        expect(review.notes?.some((n) => n.includes("synthesized with the mlfunc code running this review"))).toBe(false);
        expect(review.diff?.flatMap((s) => s.resources.filter((r) => r.kind === "removed").map((r) => r.type))).toEqual(
          expect.arrayContaining(["azurerm_storage_container", "azurerm_servicebus_queue"]),
        );
        expect(worktrees(clone)).toHaveLength(1);
      },
    ));

  test("a ref whose code does not parse: exit-2 input error naming the file and line, no worktree left behind", () => {
    let line = 0;
    return inClone(
      (clone) => {
        appendFileSync(join(clone, "main.ts"), "\nexport const broken = ;\n");
        git(clone, "commit", "--quiet", "-am", "broken");
        line = readFileSync(join(clone, "main.ts"), "utf8").split("\n").length - 1;
      },
      async (clone) => {
        const review = runReview(parseReviewArgs(["--base", "HEAD"]), { codeRoot: clone });
        await expect(review).rejects.toThrow(ReviewInputError);
        await expect(review).rejects.toThrow(`--base: "HEAD" does not compile:\n✘ [ERROR] Unexpected ";"\n\n    main.ts:${line}:22:`);
        expect(worktrees(clone)).toHaveLength(1);
      },
    );
  });
});

describe("formatBytes", () => {
  test.each([
    [0, "0 B"],
    [999, "999 B"],
    [1000, "1.0 kB"],
    [1_200_000, "1.2 MB"],
    [1_349_999, "1.3 MB"],
    [999_990, "1.0 MB"],
    [2_147_483_648, "2.1 GB"],
  ])("%d bytes → %s", (bytes, text) => expect(formatBytes(bytes)).toBe(text));
});
