import { createHash } from "node:crypto";

/**
 * A construct id part for an Azure name that may hold characters ids cannot ("/", "."). A
 * rewritten name gets a short hash, so two names never share an id.
 */
export function idPart(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9_-]/g, "_");
  return safe === name ? name : `${safe}-${createHash("sha256").update(name).digest("hex").slice(0, 6)}`;
}
