/**
 * The one rule for what may go into the image, applied alike to the model, the scoring script and
 * sourceDir, to every link's target as well as its name. Validation reports its problems; the build
 * context ships exactly the files it lists.
 */
import { existsSync, lstatSync, readFileSync, readdirSync, realpathSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import ignore, { Ignore } from "ignore";

export const IGNORE_FILE = ".mlfuncignore";

/** An explicit exception written in the deployment file: a path (absolute here) and why. */
export interface AllowEntry {
  readonly path: string;
  readonly reason: string;
}

export interface ShipRules {
  /** The deployment file's folder: nothing outside it ships unless an allow entry covers it. */
  readonly project: string;
  readonly allow: readonly AllowEntry[];
  /** `.mlfuncignore` in the project folder, gitignore syntax. */
  readonly ignore?: Ignore;
}

/** A file that ships: where it goes (relative to the shipped root, `/`-separated) and where it is read. */
export interface ShippedFile {
  readonly path: string;
  readonly source: string;
  readonly size: number;
}

export interface Listing {
  readonly files: ShippedFile[];
  /** Entries left out, with the reason: never-ship names, .mlfuncignore matches. */
  readonly omitted: Array<{ path: string; why: string }>;
  /** What stops the listing, each a sentence naming the path and the fix. */
  readonly problems: string[];
  /** Files that ship although their name never ships, because an allow entry names them: warned at every synth. */
  readonly allowedNeverShip: Array<{ path: string; why: string }>;
}

/** Names that never ship, by category. The first match names the reason. */
const NEVER_SHIP: ReadonlyArray<readonly [RegExp, string]> = [
  [/\.tfstate(\..*)?$/i, "Terraform state"],
  [/(^tfplan$|\.tfplan(\.json)?$)/i, "a Terraform plan"],
  [/\.tfvars(\.json)?$/i, "Terraform variables"],
  [/^id_(rsa|dsa|ecdsa|ed25519)(_sk)?$/i, "a private key"],
  [/\.(pem|key|p8|p12|pfx|jks|keystore|ppk|crt|cer|der)$/i, "a private key or certificate"],
  [
    /^(credentials(\.json)?|client_secret.*\.json|service[-_]?account.*\.json|local\.settings\.json|secrets?\.(json|ya?ml|toml|ini)|\.?netrc|_netrc|\.pypirc|\.npmrc|\.git-credentials|\.dockercfg|\.htpasswd)$/i,
    "a credential file",
  ],
  [/^\.env/i, "an environment file (.env*)"],
  [/^node_modules$/, "node_modules"],
  [/^(\.mlfunc|cdktf\.out.*|\.terraform)$/, "mlfunc's or Terraform's own output"],
];
/** In folders only: bulk and hidden entries (.git, .ssh, .aws, caches) are left out too. */
const FOLDER_ONLY: ReadonlyArray<readonly [RegExp, string]> = [
  [/^__pycache__$|\.py[co]$/, "a Python cache"],
  [/^\./, "a hidden file or folder"],
];

/** Reasons that mean a secret or state: worth a warning when a folder held one and it was left out. */
const SECRETS = new Set(NEVER_SHIP.filter(([, why]) => !["node_modules", "mlfunc's or Terraform's own output"].includes(why)).map(([, why]) => why));

export function isSecret(why: string): boolean {
  return [...SECRETS].some((w) => why === w || why.startsWith(`a link to ${w}`));
}

/** Why a name never ships, or undefined when it may. */
export function neverShip(name: string, inFolder: boolean): string | undefined {
  for (const [pattern, why] of inFolder ? [...NEVER_SHIP, ...FOLDER_ONLY] : NEVER_SHIP) if (pattern.test(name)) return why;
  return undefined;
}

export function shipRules(project: string, allow: ReadonlyArray<{ path: string; reason: string }> = []): ShipRules {
  const file = join(project, IGNORE_FILE);
  const rules = existsSync(file) ? ignore().add(readFileSync(file, "utf8")) : undefined;
  return { project, allow: allow.map((a) => ({ path: resolve(project, a.path), reason: a.reason })), ignore: rules };
}

/**
 * Why an allow entry is refused, or undefined. Inside the project any path may be named. Outside it
 * an entry names one existing file, or exactly the folder the deployment file ships (`shippedRoots`:
 * model.path, model.sourceDir), so an entry can never open the machine: never `/`, a home folder, a
 * folder that holds the project or a home folder, or any other folder.
 */
export function allowEntryProblem(project: string, entryPath: string, shippedRoots: readonly string[] = []): string | undefined {
  const path = resolve(project, entryPath);
  if (inside(project, path)) return undefined;
  const fix = "name the one file outside the deployment file's folder that must ship (or the model.path or model.sourceDir folder itself), or move it into that folder";
  if (path === resolve("/")) return `is the root folder: everything on the machine would ship; ${fix}`;
  const home = homedir();
  if (path === home || path === "/root" || ["/home", "/Users"].includes(dirname(path))) return `is a home folder, with its keys and credentials; ${fix}`;
  if (inside(path, project)) return `holds the deployment file's folder (${project}), so everything beside it would ship; ${fix}`;
  if (inside(path, home) || inside(path, "/home") || inside(path, "/Users")) return `holds home folders, with their keys and credentials; ${fix}`;
  const st = statSync(path, { throwIfNoEntry: false });
  if (st === undefined) return `does not exist; ${fix}`;
  if (st.isDirectory() && !shippedRoots.some((r) => resolve(project, r) === path)) return `is a folder outside the deployment file's folder that is neither model.path nor model.sourceDir; ${fix}`;
  return undefined;
}

const inside = (parent: string, child: string) => child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep);

const allowHint = (path: string, project: string) => {
  const shown = inside(project, path) ? relative(project, path).split(sep).join("/") : path;
  return `ship: { allow: [{ path: ${JSON.stringify(shown)}, reason: "<why it must ship>" }] }`;
};

/**
 * Lists what ships from `root` (a file or a folder, absolute), and what stops it shipping.
 */
export function listShipped(root: string, rules: ShipRules): Listing {
  const files: ShippedFile[] = [];
  const omitted: Array<{ path: string; why: string }> = [];
  const problems: string[] = [];
  const allowedNeverShip: Array<{ path: string; why: string }> = [];
  const allowedExactly = (p: string) => rules.allow.some((a) => a.path === p);
  const allowedOutside = (p: string) => rules.allow.some((a) => inside(a.path, p));
  const outside = (p: string) => !inside(rules.project, p) && !allowedOutside(p);

  /** The real path of a link, or a problem: dangling, a loop, or unreadable. */
  const target = (full: string, label: string): string | undefined => {
    try {
      return realpathSync(full);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ELOOP") problems.push(`${label} is a link loop; remove the link or point it at a file`);
      else if (code === "ENOENT") problems.push(`${label} is a link to a missing file (dangling); fix or remove the link`);
      else problems.push(`${label} cannot be read (${code ?? "error"}); fix its permissions or remove it`);
      return undefined;
    }
  };

  /** A path as the messages show it: relative to the project when inside it. */
  const label = (full: string) => (relative(rules.project, full).startsWith("..") ? full : relative(rules.project, full).split(sep).join("/"));

  // The root itself: named by the deployment file, so a refusal is a problem, not a silent skip.
  const rootReal = target(root, "it");
  const done = () => ({ files, omitted, problems, allowedNeverShip });
  if (rootReal === undefined) return done();
  for (const p of new Set([root, rootReal])) {
    const why = neverShip(basename(p), false);
    if (why && !allowedExactly(p) && !allowedExactly(root)) {
      problems.push(`${p === root ? basename(p) : `leads to ${p}, which`} is ${why}, which never ships in the image; point at another file, or ship it on purpose with ${allowHint(root, rules.project)}`);
      return done();
    }
    if (why && !allowedNeverShip.some((a) => a.why === why)) allowedNeverShip.push({ path: basename(root), why });
    if (outside(p)) {
      problems.push(`${p === root ? `resolves to ${p}` : `leads to ${p}`}, outside the project (${rules.project}, the deployment file's folder), so it cannot ship; move it into the project, or ship it on purpose with ${allowHint(p, rules.project)}`);
      return done();
    }
  }
  const rootStat = statSync(rootReal);
  if (rootStat.isDirectory() && (inside(rootReal, rules.project) || inside(root, rules.project))) {
    problems.push(`holds the deployment file's own folder, and with it Terraform state, node_modules and build output, which must not go into the image; point it at the folder with the files to ship`);
    return done();
  }
  if (!rootStat.isDirectory()) {
    if (!rootStat.isFile()) problems.push(`is ${kindOf(rootStat)}, not a file; only regular files and folders can ship`);
    else files.push({ path: basename(root), source: rootReal, size: rootStat.size });
    return done();
  }

  const visit = (dir: string, ancestors: ReadonlySet<string>) => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (e) {
      problems.push(`${label(dir)} cannot be read (${(e as NodeJS.ErrnoException).code ?? "error"}); fix its permissions, or list it in ${IGNORE_FILE}`);
      return;
    }
    for (const name of names) {
      const full = join(dir, name);
      const rel = relative(root, full).split(sep).join("/");
      const lst = lstatSync(full);
      const why = neverShip(name, true);
      if (why && !allowedExactly(full)) {
        omitted.push({ path: rel, why });
        continue;
      }
      if (why) allowedNeverShip.push({ path: rel, why });
      let real = full;
      if (lst.isSymbolicLink()) {
        const t = target(full, label(full));
        if (t === undefined) continue;
        real = t;
        const targetWhy = neverShip(basename(t), true);
        if (targetWhy && !allowedExactly(t)) {
          omitted.push({ path: rel, why: `a link to ${targetWhy} (${t})` });
          continue;
        }
        if (targetWhy && !why) allowedNeverShip.push({ path: rel, why: `a link to ${targetWhy} (${t})` });
        if (outside(t)) {
          problems.push(`${label(full)} is a link to ${t}, outside the project, so it cannot ship; copy what the model needs into the project, remove the link, or ship it on purpose with ${allowHint(t, rules.project)}`);
          continue;
        }
      }
      if (matchesIgnore(rules, full, real, root)) {
        omitted.push({ path: rel, why: IGNORE_FILE });
        continue;
      }
      const st = statSync(real);
      if (st.isDirectory()) {
        if (ancestors.has(real)) {
          problems.push(`${label(full)} is a link to one of its own parent folders (a loop); remove the link`);
          continue;
        }
        if (existsSync(join(real, "pyvenv.cfg"))) {
          omitted.push({ path: rel, why: "a Python virtualenv" });
          continue;
        }
        visit(full, new Set([...ancestors, real]));
      } else if (st.isFile()) {
        files.push({ path: rel, source: real, size: st.size });
      } else {
        problems.push(`${label(full)} is ${kindOf(st)}, not a file; only regular files and folders can ship: remove it, or list it in ${IGNORE_FILE}`);
      }
    }
  };
  visit(root, new Set([rootReal]));
  return done();
}

function matchesIgnore(rules: ShipRules, full: string, real: string, root: string): boolean {
  if (!rules.ignore) return false;
  const dir = statSync(real, { throwIfNoEntry: false })?.isDirectory() ?? false;
  const base = inside(rules.project, full) ? rules.project : root;
  const rel = relative(base, full).split(sep).join("/");
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return false;
  return rules.ignore.ignores(dir ? `${rel}/` : rel);
}

function kindOf(st: ReturnType<typeof statSync>): string {
  if (st?.isFIFO()) return "a FIFO (named pipe)";
  if (st?.isSocket()) return "a socket";
  if (st?.isCharacterDevice() || st?.isBlockDevice()) return "a device";
  return "not a regular file";
}
