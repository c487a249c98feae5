// `npm test` (scripts/test.mjs) leaves nothing running: a process a test leaked, or one a test file had
// started when the runner was stopped (orphaned when its test file died), is found by the run's marker
// in its environment and stopped. The real runner runs here on a throwaway test tree of its own.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { processLiving } from "../../src/util/proc.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A checkout with the real runner and test support, whose only test file is `body`. */
function tree(body: string): { dir: string; pidFile: string } {
  const dir = mkdtempSync(join(tmpdir(), "faultbox-runner-"));
  dirs.push(dir);
  mkdirSync(join(dir, "scripts"));
  for (const f of ["test.mjs", "test-totals.mjs"])
    copyFileSync(join(root, "scripts", f), join(dir, "scripts", f));
  for (const d of ["node_modules", "src"]) symlinkSync(join(root, d), join(dir, d));
  // At the end the runner stops the shared services (shared-services.ts), then what is left (processes.ts).
  mkdirSync(join(dir, "test", "support"), { recursive: true });
  for (const f of ["shared-services.ts", "processes.ts"])
    symlinkSync(join(root, "test", "support", f), join(dir, "test", "support", f));
  const pidFile = join(dir, "child.pid");
  writeFileSync(
    join(dir, "test", "leftover.test.ts"),
    `import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { test } from "node:test";
test("starts a child", async () => {
${body.replaceAll("PID_FILE", JSON.stringify(pidFile))}
});
`,
  );
  return { dir, pidFile };
}

/** Running (a killed process whose parent is gone may stay a zombie until something reaps it). */
const alive = processLiving;

/** The environment of a runner of its own: not inside this test run, nor inside node:test. */
function runnerEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of [
    "FAULTBOX_TEST_STATE_DIR",
    "FAULTBOX_TEST_OWNER_PID",
    "FAULTBOX_BUNDLE_DIR",
    "NODE_TEST_CONTEXT",
  ])
    delete env[key];
  return env;
}

function runner(dir: string) {
  const child = spawn(process.execPath, [join(dir, "scripts", "test.mjs")], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
    env: runnerEnv(),
  });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
  const done = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, done, output: () => out };
}

/** The pid the test file wrote (the file may exist a moment before its contents do). */
async function pidFrom(file: string, output: () => string): Promise<number> {
  const read = () => (existsSync(file) ? Number(readFileSync(file, "utf8")) : NaN);
  for (let i = 0; i < 300 && !(read() > 0); i++) await sleep(100);
  const pid = read();
  assert.ok(pid > 0, `the test file never started its child:\n${output()}`);
  return pid;
}

/** Whatever a failed assertion left running: the runner of the tree, and the child. */
function kill(pids: (number | undefined)[]): void {
  for (const pid of pids)
    try {
      if (pid) process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
}

test("a process a test leaked (in a process group of its own) is stopped at the end, and named", async () => {
  const { dir, pidFile } = tree(`  const c = spawn("sleep", ["300"], { detached: true, stdio: "ignore" });
  c.unref();
  writeFileSync(PID_FILE, String(c.pid));`);
  const r = runner(dir);
  const code = await r.done;
  const pid = await pidFrom(pidFile, r.output);
  const leaked = alive(pid);
  kill([leaked ? pid : undefined]);
  assert.equal(code, 0, r.output());
  assert.equal(leaked, false, `the leaked sleep ${pid} still ran after the runner:\n${r.output()}`);
  assert.match(
    r.output(),
    /1 process\(es\) of this run still running after every test file ended \(a test leaked them\)/,
  );
  assert.match(r.output(), new RegExp(`\\n  ${pid} sleep 300`));
  assert.match(r.output(), /1 passed, 0 failed, 0 skipped\n$/);
});

test("a child of a test file, orphaned when the runner is stopped with SIGTERM, is stopped too", async () => {
  const { dir, pidFile } = tree(`  const c = spawn("sleep", ["300"], { stdio: "ignore" });
  writeFileSync(PID_FILE, String(c.pid));
  await new Promise(() => {});`);
  const r = runner(dir);
  let pid: number | undefined;
  try {
    pid = await pidFrom(pidFile, r.output);
    assert.equal(alive(pid), true, `the test file's sleep ${pid} is not running`);
    r.child.kill("SIGTERM");
    await r.done;
    assert.equal(alive(pid), false, `the sleep ${pid} outlived the runner:\n${r.output()}`);
    assert.match(r.output(), /process\(es\) of this run still running after the interrupt/);
  } finally {
    kill([r.child.exitCode === null ? r.child.pid : undefined, pid && alive(pid) ? pid : undefined]);
  }
});
