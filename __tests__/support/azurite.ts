/**
 * Azurite's blob service on a free loopback port, over HTTPS with a throwaway self-signed certificate
 * and `--oauth basic`, so the storage SDK authenticates with bearer tokens as it does against Azure.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import type { TokenCredential } from "../../commands/smoke-state";
import { generate } from "selfsigned";

export interface Azurite {
  /** https://127.0.0.1:<port>/<account> for Azurite's one account, whatever account is asked for. */
  readonly endpoint: (account: string) => string;
  readonly ca: string;
  stop(): Promise<void>;
}

export const AZURITE_ACCOUNT = "devstoreaccount1";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startAzurite(): Promise<Azurite> {
  const pems = await generate(undefined, {
    keyType: "ec",
    curve: "P-256",
    extensions: [{ name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] }],
  });
  const { mkdtempSync, writeFileSync, rmSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { tmpdir } = await import("node:os");
  const dir = mkdtempSync(join(tmpdir(), "mlfunc-azurite-"));
  writeFileSync(join(dir, "cert.pem"), pems.cert);
  writeFileSync(join(dir, "key.pem"), pems.private);
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      require.resolve("azurite/dist/src/blob/main.js"),
      "--blobHost", "127.0.0.1",
      "--blobPort", String(port),
      "--inMemoryPersistence",
      "--oauth", "basic",
      "--cert", join(dir, "cert.pem"),
      "--key", join(dir, "key.pem"),
      "--skipApiVersionCheck",
      "--disableTelemetry",
      "--silent",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Azurite did not start within 60 s: ${output}`)), 60_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes("successfully listens")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited with ${code}: ${output}`));
    });
  });
  return {
    endpoint: () => `https://127.0.0.1:${port}/${AZURITE_ACCOUNT}`,
    ca: pems.cert,
    stop: async () => {
      child.removeAllListeners("exit");
      const exited = new Promise((r) => child.once("exit", r));
      child.kill();
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A TokenCredential handing out unsigned tokens with the claims Azurite's basic OAuth checks
 * (audience, issuer, lifetime); it stands in for DefaultAzureCredential, which needs Entra ID.
 */
export class TestCredential implements TokenCredential {
  readonly scopes: string[] = [];

  async getToken(scopes: string | string[]): Promise<{ token: string; expiresOnTimestamp: number }> {
    const scope = Array.isArray(scopes) ? (scopes[0] ?? "") : scopes;
    this.scopes.push(scope);
    const now = Math.floor(Date.now() / 1000);
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const claims = { aud: scope.replace(/\/\.default$/, ""), iss: "https://sts.windows.net/00000000-0000-0000-0000-000000000001/", iat: now - 60, nbf: now - 60, exp: now + 3600, oid: "test" };
    return { token: `${part({ alg: "RS256", typ: "JWT" })}.${part(claims)}.c2lnbmF0dXJl`, expiresOnTimestamp: (now + 3600) * 1000 };
  }
}
