// The tests' external programs come from one resolver: the interpreter setup provisions, not the first
// python3 on PATH, and a clear message naming the package when one is missing or unfit.
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { runCommand } from "./run-command.js";

const toolsModule = fileURLToPath(new URL("./tools.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "faultbox-tools-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Resolves `name` in a fresh process (resolution reads the environment once) and prints the outcome. */
async function resolveIn(env: NodeJS.ProcessEnv, name: string): Promise<{ path?: string; problem?: string }> {
  const script = `import { missingTool, tool } from ${JSON.stringify(toolsModule)};
const problem = missingTool(${JSON.stringify(name)});
console.log(JSON.stringify(problem ? { problem } : { path: tool(${JSON.stringify(name)}) }));`;
  const r = await runCommand([process.execPath, "--import", "tsx", "--input-type=module", "-e", script], {
    env,
  });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as { path?: string; problem?: string };
}

/** A stand-in interpreter: answers the version check with `version`, or fails to import kafka. */
function fakePython(path: string, version: string | undefined): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(
    path,
    version
      ? `#!/bin/sh\necho ${version}\n`
      : "#!/bin/sh\necho \"ModuleNotFoundError: No module named 'kafka'\" >&2\nexit 1\n",
  );
  chmodSync(path, 0o755);
  return path;
}

test("tools: Python is the venv setup provisions, whatever python3 PATH finds first", async () => {
  // A python3 first on PATH (as pyenv's shim is on this machine) is not the one the tests run.
  fakePython(join(dir, "shims", "python3"), undefined);
  const cache = join(dir, "cache");
  const venvPython = fakePython(join(cache, "python", "bin", "python"), "3.0.12");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${join(dir, "shims")}:${process.env.PATH}`,
    FAULTBOX_CACHE_DIR: cache,
  };
  delete env.FAULTBOX_TEST_PYTHON;
  assert.deepEqual(await resolveIn(env, "python"), { path: venvPython });
});

test("tools: an interpreter without kafka-python, or with another version, is refused saying what to do", async () => {
  const none = await resolveIn(
    { ...process.env, FAULTBOX_TEST_PYTHON: fakePython(join(dir, "bare", "python"), undefined) },
    "python",
  );
  assert.match(
    none.problem!,
    /^python: .*bare\/python cannot import kafka-python \(ModuleNotFoundError: No module named 'kafka'\); run scripts\/setup\.sh \(as root\) or set FAULTBOX_TEST_PYTHON/,
  );
  const old = await resolveIn(
    { ...process.env, FAULTBOX_TEST_PYTHON: fakePython(join(dir, "old", "python"), "2.0.2") },
    "python",
  );
  assert.match(old.problem!, /old\/python has kafka-python 2\.0\.2, the tests are written for 3\.0\.12/);
  // Without the venv (a fresh machine before setup.sh): the message says to run it.
  const env: NodeJS.ProcessEnv = { ...process.env, FAULTBOX_CACHE_DIR: join(dir, "empty-cache") };
  delete env.FAULTBOX_TEST_PYTHON;
  const missing = await resolveIn(env, "python");
  assert.match(missing.problem!, /empty-cache\/python\/bin\/python does not exist; run scripts\/setup\.sh/);
});

test("tools: a program missing from PATH is named with its package", async () => {
  const r = await resolveIn({ ...process.env, PATH: dir }, "kcat");
  assert.equal(
    r.problem,
    "kcat: kcat is not on PATH; run scripts/setup.sh (as root) or apt-get install -y kcat",
  );
});
