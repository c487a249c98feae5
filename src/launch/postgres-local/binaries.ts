// Where PostgreSQL's server binaries are, and which user runs them. PostgreSQL refuses to run as root,
// so a root caller runs it as the `postgres` user (Debian's packages create it) or else `nobody`.
import { existsSync, readdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { LaunchError } from "../process-guard/launch-error.js";

const INSTALL_HINT =
  "install the server (Debian: apt-get update && apt-get install -y postgresql) or point FAULTBOX_PG_BIN at the directory holding initdb and postgres";

/** Directory with initdb and postgres: FAULTBOX_PG_BIN, else the newest /usr/lib/postgresql/<n>/bin. */
export function findPostgresBin(env: NodeJS.ProcessEnv = process.env): string {
  const has = (dir: string) => existsSync(join(dir, "initdb")) && existsSync(join(dir, "postgres"));
  if (env.FAULTBOX_PG_BIN) {
    if (has(env.FAULTBOX_PG_BIN)) return env.FAULTBOX_PG_BIN;
    throw new LaunchError(
      `PostgreSQL not found: FAULTBOX_PG_BIN=${env.FAULTBOX_PG_BIN} has no initdb and postgres`,
      INSTALL_HINT,
    );
  }
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+$/.test(v) && has(join(root, v, "bin")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0)
    throw new LaunchError(`PostgreSQL server binaries not found under ${root}`, INSTALL_HINT);
  return join(root, versions[0]!, "bin");
}

export interface RunAs {
  user: string;
  uid: number;
  gid: number;
  /** argv prefix that runs a command as that user (empty when no switch is needed). */
  prefix: string[];
}

function lookupId(user: string, flag: "-u" | "-g"): number | undefined {
  const r = spawnSync("id", [flag, user], { encoding: "utf8" });
  return r.status === 0 ? Number(r.stdout.trim()) : undefined;
}

/** The unprivileged user PostgreSQL runs as; setpriv execs (no extra process stays in between). */
export function postgresRunAs(env: NodeJS.ProcessEnv = process.env): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const user of [env.FAULTBOX_PG_USER, "postgres", "nobody"].filter((u): u is string => !!u)) {
    const uid = lookupId(user, "-u");
    const gid = lookupId(user, "-g");
    if (uid !== undefined && gid !== undefined && uid !== 0) {
      return {
        user,
        uid,
        gid,
        prefix: ["setpriv", `--reuid=${uid}`, `--regid=${gid}`, "--clear-groups", "--"],
      };
    }
  }
  throw new LaunchError(
    "running as root, but no unprivileged user to run PostgreSQL as (tried postgres, nobody)",
    "create one (useradd --system postgres) or set FAULTBOX_PG_USER to an existing non-root user",
  );
}
