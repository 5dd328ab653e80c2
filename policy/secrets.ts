/**
 * Telling a literal secret from a reference: shared by MLF-SEC-001 (every string of a stack) and the
 * constructs that take free-form settings, which refuse one before it reaches the JSON.
 */
import type { JsonValue } from "./types";
import { isExpression } from "./values";

/** A key after `AccountKey=` and friends that is not an interpolation. */
const CONNECTION_KEY = /\b(AccountKey|SharedAccessKey|InstrumentationKey)\s*=\s*(?!\$\{)[^;\s"]/i;
const PEM_PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
/** Attribute (or map key) names whose value is a credential: `password`, `registry_password`, `client_secret`, ... */
const SECRET_NAME = /(?:^|_)(password|client_secret|access_key)$/i;

/** What kind of secret `value` (under `key`) holds, or undefined. Never returns the value. */
export function secretIn(key: string, value: JsonValue): string | undefined {
  if (typeof value === "string") {
    if (PEM_PRIVATE_KEY.test(value)) return "a PEM private key";
    const conn = CONNECTION_KEY.exec(value);
    if (conn) return `a connection string with a literal ${conn[1]}`;
  }
  const name = SECRET_NAME.exec(key);
  if (!name) return undefined;
  const literal = (typeof value === "string" && value !== "" && !isExpression(value)) || typeof value === "number";
  return literal ? `a literal ${(name[1] ?? "").toLowerCase()}` : undefined;
}
