/**
 * Options declared once (commands/spec.ts): the parser, every command's --help, the `help` file and
 * the README's command table come from or are checked against the same declarations.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { COMMANDS, INVOKE, SMOKE, helpText, overviewText, parseOptions, usageLine } from "../commands/spec";
import { ROOT } from "./support/synth";

const LAUNCHER = join(ROOT, "scripts", "mlfunc.js");
const launcher = require(LAUNCHER) as { COMMANDS: Record<string, unknown>; CLI: Set<string> };

function mlfunc(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [LAUNCHER, ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, MLFUNC_QUIET: "1" } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const fail = (option: string, message: string): Error => new Error(`${option}|${message}`);

describe("declarations", () => {
  test("the launcher runs exactly the declared commands, besides its own app, bench and build", () => {
    const run = [...Object.keys(launcher.COMMANDS), ...launcher.CLI].filter((c) => !["app", "bench"].includes(c)).sort();
    expect(run).toEqual(COMMANDS.map((c) => c.name).sort());
  });

  test("a usage line lists the positionals and every option with its value", () => {
    expect(usageLine(SMOKE)).toBe("usage: mlfunc smoke <stack> [--input <file>] [--function <name>]... [--timeout <seconds>] [--json]");
  });

  test("help lists every option, -h/--help last, then the notes", () => {
    const text = helpText(INVOKE);
    expect(text.split("\n")[0]).toBe(usageLine(INVOKE));
    expect(text).toContain("\n      --env <env>          the environment whose settings apply (default the first)\n");
    expect(text).toContain("\n  -h, --help               show this help and exit\n\nexit 0 ok, 1 failed, 2 bad input\n");
  });

  test("the help file is the overview: one line per command", () => {
    expect(readFileSync(join(ROOT, "help"), "utf8")).toBe(overviewText());
    for (const c of COMMANDS) expect(overviewText()).toMatch(new RegExp(`\\n  ${c.name} +${c.summary.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\n`));
  });

  test.each(["README.md", "docs/commands.md"])("%s's command table has one row per command, with its summary", (file) => {
    const text = readFileSync(join(ROOT, file), "utf8");
    const rows = text.split("\n").filter((l) => /^\| `mlfunc [a-z-]+/.test(l));
    expect(rows).toEqual(COMMANDS.map((c) => `| \`mlfunc ${c.name}${c.args ? ` ${c.args}` : ""}\` | ${c.summary.replace(/\|/g, "\\|")} |`));
  });
});

describe("parseOptions", () => {
  test("values, repeated options, positionals, = values and -h", () => {
    const p = parseOptions(SMOKE, ["app-dev", "--function", "a", "--function=b", "--timeout", "5", "--json", "-h"], fail);
    expect(p).toEqual({ values: { function: ["a", "b"], timeout: "5", json: true }, positionals: ["app-dev"], help: true });
  });

  test.each([
    [["--verbose"], '--verbose|unknown option "--verbose"; usage: mlfunc smoke'],
    [["-x"], '-x|unknown option "-x"; usage: mlfunc smoke'],
    [["a", "--input"], "--input|--input needs a value; usage: mlfunc smoke"],
    [["a", "--input", "--json"], "--input|--input needs a value; usage: mlfunc smoke"],
    [["a", "--json=yes"], "--json|--json takes no value; usage: mlfunc smoke"],
  ])("%j is refused, naming the option", (argv, message) => {
    expect(() => parseOptions(SMOKE, argv, fail)).toThrow(message);
  });

  test("a value after = may start with dashes", () => {
    expect(parseOptions(SMOKE, ["a", "--input=--odd"], fail).values.input).toBe("--odd");
  });
});

describe("--help through the launcher", () => {
  test("mlfunc --help, -h and help print the overview, exit 0", () => {
    for (const arg of ["--help", "-h", "help"]) expect(mlfunc(arg)).toEqual({ status: 0, stdout: overviewText(), stderr: "" });
  });

  test.each(COMMANDS.map((c) => [c.name]))("mlfunc %s --help: usage and options on stdout, exit 0", (name) => {
    const spec = COMMANDS.find((c) => c.name === name);
    const r = mlfunc(name, "--help");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(helpText(spec ?? INVOKE));
    expect(r.stdout.startsWith(`usage: mlfunc ${name}`)).toBe(true);
  });

  test("-h after other arguments also asks for help, and nothing runs", () => {
    const r = mlfunc("invoke", "predict", "missing.json", "-h");
    expect(r).toEqual({ status: 0, stdout: helpText(INVOKE), stderr: "" });
  });

  test("npm --prefix <checkout> run from another folder says which deployment file it reads", () => {
    const { MLFUNC_CONFIG: _config, MLFUNC_QUIET: _quiet, ...env } = process.env;
    const elsewhere = mkdtempSync(join(tmpdir(), "mlfunc-prefix-"));
    try {
      const r = spawnSync("npm", ["--prefix", ROOT, "run", "--silent", "validate"], { cwd: elsewhere, encoding: "utf8", env });
      expect(r.status).toBe(0);
      expect(r.stderr).toContain(
        `mlfunc: npm runs this script from ${ROOT}, so it reads ${join(ROOT, "mlfunc.yaml")}, not a file in ${realpathSync(elsewhere)}; set MLFUNC_CONFIG, or install mlfunc in the app and run npx mlfunc validate\n`,
      );
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  test("an unknown command: exit 2, pointing at --help", () => {
    const r = mlfunc("frobnicate");
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('mlfunc: unknown command "frobnicate"; usage: mlfunc <command> [options]; mlfunc --help lists the commands\n');
  });
});
