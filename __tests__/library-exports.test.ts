/** The package entry exports every construct of constructs/: a platform team composes the same parts. */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import * as entry from "../index";
import { ROOT } from "./support/synth";

const isClass = (v: unknown): v is new (...args: never[]) => unknown => typeof v === "function" && /^class\b/.test(Function.prototype.toString.call(v));

describe("package entry", () => {
  const files = readdirSync(join(ROOT, "constructs")).filter((f) => f.endsWith(".ts"));
  const classes = files.flatMap((f) => Object.entries(require(join(ROOT, "constructs", f)) as Record<string, unknown>).filter(([, v]) => isClass(v)).map(([name, v]) => ({ file: f, name, value: v })));

  test("every class of constructs/ is exported under its own name", () => {
    const missing = classes.filter((c) => (entry as Record<string, unknown>)[c.name] !== c.value).map((c) => `${c.name} (constructs/${c.file})`);
    expect(missing).toEqual([]);
  });

  test("the constructs a reader of the stack meets are among them", () => {
    expect(classes.map((c) => c.name)).toEqual(expect.arrayContaining(["MlfuncStack", "FunctionApp", "ContainerApp", "ContainerAppsEnvironment", "CustomRole", "SmokeTesters", "StateStack"]));
  });
});
