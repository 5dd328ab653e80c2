/** `mlfunc init`: the files of an app repository, validated, never overwritten without --force. */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { APP_SCRIPTS, GITIGNORE, adaptWorkflow, appName, run } from "../commands/init";
import { loadDeployment } from "../config/load";
import { EXAMPLE, ROOT, scratch } from "./support/synth";
import { captured } from "./support/capture";

const work = scratch();
afterAll(() => work.cleanup());

function appDir(name: string): string {
  const dir = join(work.dir, name);
  mkdirSync(dir, { recursive: true });
  for (const f of ["score.py", "requirements.txt", "sklearn_regression_model.pkl"]) copyFileSync(join(EXAMPLE, f), join(dir, f));
  return dir;
}

function init(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return captured(async () => run(argv));
}

describe("init", () => {
  test("writes a deployment file that validates, cdktf.json, package.json scripts, .gitignore and both workflows", async () => {
    const dir = appDir("Scoring App");
    const r = await init(dir, "--model", join(dir, "sklearn_regression_model.pkl"), "--script", join(dir, "score.py"), "--requirements", join(dir, "requirements.txt"), "--location", "northeurope");
    expect(r.code).toBe(0);
    const deployment = loadDeployment(join(dir, "mlfunc.yaml"));
    expect(deployment.name).toBe("scoring-app");
    expect(deployment.environments.map((e) => [e.name, e.location])).toEqual([["dev", "northeurope"]]);
    expect(deployment.nameSeed).toMatch(/^scoring-app-[0-9a-f]{6}$/);
    const text = readFileSync(join(dir, "mlfunc.yaml"), "utf8");
    expect(text.split("\n")[0]).toBe("# yaml-language-server: $schema=./node_modules/mlfunc/mlfunc.schema.json");
    // The commented second environment is a valid Container Apps environment once uncommented.
    const uncommented = text.replace(/^ {2}# ( {2}|canary)/gm, "  $1");
    expect((parse(uncommented) as { environments: Record<string, { hosting?: string }> }).environments.canary?.hosting).toBe("containerApps");
    writeFileSync(join(dir, "two.yaml"), uncommented);
    expect(loadDeployment(join(dir, "two.yaml")).environments.map((e) => e.name)).toEqual(["dev", "canary"]);
    expect(JSON.parse(readFileSync(join(dir, "cdktf.json"), "utf8")).app).toBe("node node_modules/mlfunc/scripts/mlfunc.js app");
    expect(JSON.parse(readFileSync(join(dir, "package.json"), "utf8"))).toEqual({ name: "scoring-app", private: true, scripts: APP_SCRIPTS });
    expect(readFileSync(join(dir, ".gitignore"), "utf8")).toBe(GITIGNORE);
    for (const wf of ["review.yml", "deploy.yml"]) {
      const y = readFileSync(join(dir, ".github", "workflows", wf), "utf8");
      expect(y).not.toMatch(/npm run|npm test|diabetes/);
      expect(y).toContain(wf === "review.yml" ? 'npx mlfunc review --base "origin/$BASE_REF"' : 'npx mlfunc deploy "$IMAGE_STACK" "$STACK" --auto-approve');
    }
  });

  test("a second init refuses, names the file and writes nothing; --force overwrites", async () => {
    const dir = appDir("again");
    expect((await init(dir, "--model", join(dir, "sklearn_regression_model.pkl"))).code).toBe(0);
    writeFileSync(join(dir, "cdktf.json"), "{}\n");
    const r = await init(dir, "--model", join(dir, "sklearn_regression_model.pkl"));
    expect(r).toMatchObject({ code: 2, stdout: "" });
    expect(r.stderr).toMatch(/^init: \S*again\/mlfunc\.yaml exists; nothing written \(rerun with --force to overwrite\)\n$/);
    expect(readFileSync(join(dir, "cdktf.json"), "utf8")).toBe("{}\n");
    expect((await init(dir, "--model", join(dir, "sklearn_regression_model.pkl"), "--force")).code).toBe(0);
    expect(readFileSync(join(dir, "cdktf.json"), "utf8")).not.toBe("{}\n");
  });

  test("an existing package.json keeps its fields and gains the scripts; a clashing script refuses", async () => {
    const dir = appDir("pkg");
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "mine", version: "2.0.0", scripts: { test: "jest" } }));
    expect((await init(dir, "--model", join(dir, "sklearn_regression_model.pkl"))).code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, "package.json"), "utf8"))).toEqual({ name: "mine", version: "2.0.0", scripts: { test: "jest", ...APP_SCRIPTS } });
    const other = appDir("clash");
    writeFileSync(join(other, "package.json"), JSON.stringify({ scripts: { synth: "cdktf synth" } }));
    const r = await init(other, "--model", join(other, "sklearn_regression_model.pkl"));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('package.json (its script "synth") exists with other content; rerun with --force to overwrite');
    expect(existsSync(join(other, "mlfunc.yaml"))).toBe(false);
  });

  test.each([
    [["--model", "/etc/hostname"], '--model "/etc/hostname" is outside'],
    [["--model", "MISSING"], "does not exist"],
    [["--requirements", "a.txt", "--environment", "b.yml"], "--requirements and --environment both name the dependencies; give one"],
    [["a", "b"], "one folder at most, not 2"],
    [["--frobnicate"], 'unknown option "--frobnicate"; usage: mlfunc init'],
  ])("%j: exit 2 with the reason, nothing written", async (argv, message) => {
    const dir = appDir(`bad-${argv.join("").replace(/\W/g, "")}`);
    const given = argv.map((a) => (a === "MISSING" ? join(dir, "missing.pkl") : a));
    const r = await init(...(given[0]?.startsWith("-") ? [dir, ...given] : given));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(existsSync(join(dir, "mlfunc.yaml"))).toBe(false);
  });

  test("a deployment file that would not validate: exit 1, every problem, nothing written", async () => {
    const dir = appDir("invalid-name");
    const r = await init(dir, "--model", join(dir, "sklearn_regression_model.pkl"), "--name", "Bad_Name", "--location", "mars");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^init: the deployment file would not validate; nothing written\n/);
    expect(r.stderr).toContain("name");
    expect(r.stderr).toContain("location");
    expect(existsSync(join(dir, "mlfunc.yaml"))).toBe(false);
  });

  test("--environment becomes model.environment, translated to the image's pip requirements", async () => {
    const dir = appDir("conda");
    writeFileSync(join(dir, "env.yml"), "name: model-env\ndependencies:\n  - python=3.12\n  - numpy=1.26\n  - pip\n  - pip:\n      - scikit-learn\n      - joblib\n");
    expect((await init(dir, "--model", join(dir, "sklearn_regression_model.pkl"), "--environment", join(dir, "env.yml"))).code).toBe(0);
    expect(parse(readFileSync(join(dir, "mlfunc.yaml"), "utf8")).model).toMatchObject({ environment: "env.yml" });
    const deployment = loadDeployment(join(dir, "mlfunc.yaml"));
    expect(deployment.model.pythonVersion).toBe("3.12");
    expect(deployment.model.requirements).toEqual(["numpy==1.26.*", "scikit-learn", "joblib"]);
  });

  test("an Azure ML reference stays a reference, with the workspace the short form needs", async () => {
    const ws = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/mlw";
    const dir = appDir("registered");
    const r = await init(dir, "--model", "azureml:diabetes-model:3", "--workspace", ws);
    expect(r.code).toBe(0);
    expect(parse(readFileSync(join(dir, "mlfunc.yaml"), "utf8")).model).toMatchObject({ path: "azureml:diabetes-model:3", workspace: ws });
    expect(r.stdout).toContain("downloaded into .mlfunc/models at the first synth");

    const uri = appDir("registry-uri");
    expect((await init(uri, "--model", "azureml://registries/azureml/models/diabetes-model/versions/3")).code).toBe(0);
    expect(parse(readFileSync(join(uri, "mlfunc.yaml"), "utf8")).model.path).toBe("azureml://registries/azureml/models/diabetes-model/versions/3");
  });

  test.each([
    [["--model", "azureml:diabetes-model:3"], "needs --workspace"],
    [["--model", "azureml:diabetes-model@latest"], "a label names whichever version"],
    [["--model", "model.pkl", "--workspace", "/subscriptions/x"], "--workspace goes with an --model azureml:<name>:<version> reference"],
  ])("init %j is refused: %s", async (argv, message) => {
    const dir = appDir(`bad-${message.length}`);
    const r = await init(dir, ...argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(existsSync(join(dir, "mlfunc.yaml"))).toBe(false);
  });

  test("app names from folder names", async () => {
    expect([appName("My Model"), appName("9lives_model"), appName("x"), appName("a".repeat(50))]).toEqual(["my-model", "lives-model", "mlapp", "a".repeat(40)]);
  });

  test("the workflows adapt every npm script of this checkout", async () => {
    const text = readFileSync(join(ROOT, ".github", "workflows", "review.yml"), "utf8");
    expect(text).toMatch(/npm run --silent review -- /);
    expect(adaptWorkflow(text, "app")).not.toMatch(/npm run|npm test/);
  });
});
