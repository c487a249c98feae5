import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolveBinary, startLocalProcess } from "../../src/launch/local.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

test("a local process: output lines captured per stream, stop() ends the whole process group", async () => {
  const lines: string[] = [];
  const script = 'echo started; echo oops >&2; sleep 300 & echo "child $!"; wait';
  const p = await startLocalProcess({
    argv: ["/bin/sh", "-c", script],
    env: { PATH: process.env.PATH! },
    cwd: "/",
    onLine: (s, l) => lines.push(`${s}:${l}`),
  });
  while (lines.length < 3) await new Promise((r) => setTimeout(r, 20));
  const child = Number(lines.find((l) => l.startsWith("stdout:child"))!.split(" ")[1]);
  assert.ok(alive(child));
  // Order across stdout and stderr is not defined; within a stream it is.
  assert.deepEqual(lines.filter((l) => !l.startsWith("stdout:child")).sort(), [
    "stderr:oops",
    "stdout:started",
  ]);
  await p.stop(2000);
  assert.equal(alive(p.pid), false);
  assert.equal(alive(child), false, "the grandchild in the same group is gone too");
  assert.deepEqual(p.lastLines(2).length, 2);
});

test("a process ignoring SIGTERM is killed after the grace period", async () => {
  const p = await startLocalProcess({
    argv: ["/bin/sh", "-c", "trap '' TERM; echo ready; while true; do sleep 1; done"],
    env: { PATH: process.env.PATH! },
    cwd: "/",
    onLine: () => undefined,
  });
  await new Promise((r) => setTimeout(r, 100));
  await p.stop(200);
  assert.equal(alive(p.pid), false);
  const exit = await p.exited;
  assert.equal(exit.signal, "SIGKILL");
});

test("binaries resolve relative to the spec folder or on PATH, with a clear error otherwise", () => {
  assert.equal(resolveBinary("sh", "/", { PATH: "/usr/bin:/bin" }).endsWith("/sh"), true);
  assert.throws(
    () => resolveBinary("./nope", "/tmp", {}),
    /binary "\.\/nope" not found \(looked at \/tmp\/nope\)/,
  );
  assert.throws(() => resolveBinary("no-such-binary-xyz", "/", { PATH: "/bin" }), /not found on PATH/);
});
