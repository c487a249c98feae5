// The starlark-go side of the Starlark benchmarks: bench/starlark/gomain.go.tmpl built against
// go.starlark.net@latest (from the Go module proxy) in a temporary directory outside the repository.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** The driver's path, or undefined (with a line saying why) when Go or the module is not available. */
export function buildGoDriver(work: string): string | undefined {
  const dir = join(work, "go");
  const bin = join(dir, "benchgo");
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "main.go"), readFileSync(join(here, "gomain.go.tmpl"), "utf8"));
    const env = { ...process.env, GOFLAGS: "-mod=mod" };
    if (!existsSync(join(dir, "go.mod")))
      execFileSync("go", ["mod", "init", "benchgo"], { cwd: dir, env, stdio: "ignore" });
    execFileSync("go", ["get", "go.starlark.net@latest"], { cwd: dir, env, stdio: "ignore" });
    execFileSync("go", ["mod", "tidy"], { cwd: dir, env, stdio: "ignore" });
    execFileSync("go", ["build", "-o", bin, "."], { cwd: dir, env, stdio: "ignore" });
    const v = execFileSync("go", ["list", "-m", "go.starlark.net"], {
      cwd: dir,
      env,
      encoding: "utf8",
    }).trim();
    console.log(`starlark-go: ${v} (built in ${dir})`);
    return bin;
  } catch (e) {
    console.log(
      `starlark-go: not available (${(e as Error).message.split("\n")[0]}); printing our figures only`,
    );
    return undefined;
  }
}
