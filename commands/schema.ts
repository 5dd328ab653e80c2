/** Writes mlfunc.schema.json, the deployment file's JSON Schema for editor completion. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { jsonSchema } from "../config/schema";
import { PROJECT_ROOT } from "../build-context/generate";

export const SCHEMA_FILE = join(PROJECT_ROOT, "mlfunc.schema.json");

export function schemaText(): string {
  return `${JSON.stringify(jsonSchema(), null, 2)}\n`;
}

/** What `node scripts/mlfunc.js schema` runs. */
export function run(): number {
  writeFileSync(SCHEMA_FILE, schemaText());
  process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
  return 0;
}
