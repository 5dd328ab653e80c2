/** Writes mlfunc.schema.json, the deployment file's JSON Schema for editor completion, next to the deployment file. */
import { writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { jsonSchema } from "../config/schema";
import { projectPaths } from "../config/load";
import { SCHEMA, parseOptions, printedHelp } from "./spec";

export function schemaText(): string {
  return `${JSON.stringify(jsonSchema(), null, 2)}\n`;
}

/** What `mlfunc schema` runs. */
export function run(argv: readonly string[] = []): number {
  if (printedHelp(SCHEMA, argv)) return 0;
  try {
    const { positionals } = parseOptions(SCHEMA, argv, (_option, message) => new Error(message));
    if (positionals.length > 0) throw new Error(`unknown argument "${positionals[0]}"; takes no arguments`);
  } catch (e) {
    process.stderr.write(`schema: ${(e as Error).message}\n`);
    return 2;
  }
  const file = join(projectPaths().dir, "mlfunc.schema.json");
  writeFileSync(file, schemaText());
  process.stdout.write(`wrote ${relative(process.cwd(), file) || file}\n`);
  return 0;
}
