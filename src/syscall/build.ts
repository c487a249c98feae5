import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { packageFile } from "../core/package-files.js";
import { SyscallFaultError } from "./errors.js";

const SOURCES = ["supervisor.c", "tables.h"];

function nativeDir(): string {
  // The C sources ship in src/syscall/native/, whether this module runs from the sources (tsx) or
  // from the faultbox command's bundle.
  const dir = packageFile("src/syscall/native");
  if (existsSync(join(dir, "supervisor.c"))) return dir;
  throw new SyscallFaultError("UNSUPPORTED", `faultbox supervisor sources not found in ${dir}`);
}

function cacheRoot(): string {
  if (process.env.FAULTBOX_CACHE_DIR) return process.env.FAULTBOX_CACHE_DIR;
  const xdg = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(xdg, "faultbox");
}

function findCompiler(): string | undefined {
  const candidates = [process.env.CC, "cc", "gcc", "clang"].filter((c): c is string => !!c);
  for (const cc of candidates) {
    try {
      execFileSync(cc, ["--version"], { stdio: "ignore" });
      return cc;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

let built: string | undefined;

/**
 * Path of the supervisor binary, compiling it on first use into the user's cache
 * (~/.cache/faultbox/supervisor-<source hash>/) so the work tree stays clean and a changed source
 * rebuilds. FAULTBOX_SUPERVISOR overrides with a prebuilt binary.
 */
export function ensureSupervisor(): string {
  if (built) return built;
  const override = process.env.FAULTBOX_SUPERVISOR;
  if (override) {
    if (!existsSync(override))
      throw new SyscallFaultError("UNSUPPORTED", `FAULTBOX_SUPERVISOR=${override} does not exist`);
    return (built = override);
  }
  const src = nativeDir();
  const hash = createHash("sha256");
  for (const f of SOURCES) hash.update(f).update(readFileSync(join(src, f)));
  const dir = join(cacheRoot(), `supervisor-${process.arch}-${hash.digest("hex").slice(0, 16)}`);
  const bin = join(dir, "faultbox-supervisor");
  if (existsSync(bin)) return (built = bin);

  const cc = findCompiler();
  if (!cc)
    throw new SyscallFaultError(
      "UNSUPPORTED",
      "syscall faults need a C compiler to build the faultbox supervisor once (looked for $CC, cc, gcc, " +
        "clang); install one (e.g. `apt-get install gcc`) or set FAULTBOX_SUPERVISOR to a prebuilt binary",
    );
  mkdirSync(dir, { recursive: true });
  // Build under a unique name and rename: concurrent test processes may race to build.
  const tmp = `${bin}.${process.pid}.tmp`;
  try {
    execFileSync(
      cc,
      [
        "-O2",
        "-Wall",
        "-Wno-format-truncation",
        "-std=gnu11",
        "-pthread",
        "-o",
        tmp,
        join(src, "supervisor.c"),
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
  } catch (err) {
    rmSync(tmp, { force: true });
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? String(err);
    throw new SyscallFaultError(
      "UNSUPPORTED",
      `building the faultbox supervisor with ${cc} failed:\n${stderr}`,
    );
  }
  renameSync(tmp, bin);
  return (built = bin);
}
