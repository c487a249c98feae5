// Everything a service starts ends with it: a start script that detaches a daemon with setsid (its
// own session and process group, out of reach of a process-group kill) holding the service's stdout.
// Before, faultbox printed its summary and never exited (the daemon kept the pipe open) and the daemon
// outlived the run. Local services now run under the supervisor's reap mode (a child subreaper).
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomInt } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { faultboxAsync, processesWith, waitUntil } from "./cli-helpers.js";

const dir = mkdtempSync(join(tmpdir(), "fb-daemons-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** A spec whose service detaches `setsid sleep <marker>` holding its stdout, then runs `main`. */
function daemonSpec(name: string, marker: string, main: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    `d = service("d", "sh", args = ["-c", ${JSON.stringify(`setsid sleep ${marker} & echo started; ${main}`)}])

def test_daemon():
${body}
`,
  );
  return file;
}

function run(file: string) {
  const child = faultboxAsync(["test", file]);
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, exited, output: () => out };
}

/** The run's exit code, or "hung" (and the runner killed) when it has not ended within 2 minutes. */
async function endOf(r: ReturnType<typeof run>): Promise<number | null | "hung"> {
  const code = await Promise.race([
    r.exited,
    new Promise<"hung">((resolve) => setTimeout(() => resolve("hung"), 120_000)),
  ]);
  if (code === "hung") r.child.kill("SIGKILL");
  return code;
}

const started =
  '    assert_eventually(where = lambda e: e.type == "stdout" and e.data.get("raw") == "started")';

test("a service's setsid daemon holding stdout ends with the service, and the run ends", async () => {
  const marker = `1000.${randomInt(1e9)}`;
  const r = run(daemonSpec("daemon.star", marker, "exec sleep 2000", started));
  const code = await endOf(r);
  assert.equal(code, 0, r.output());
  assert.match(r.output(), /1 passed, 0 failed/);
  assert.deepEqual(processesWith(marker), [], "the daemon is gone");
});

test("a service that ignores SIGTERM: after the grace, it and its daemon are killed", async () => {
  const marker = `1000.${randomInt(1e9)}`;
  const r = run(daemonSpec("stubborn.star", marker, "trap '' TERM; while :; do sleep 1; done", started));
  const code = await endOf(r);
  assert.equal(code, 0, r.output());
  assert.deepEqual(processesWith(marker), [], "the daemon is gone");
});

test("a runner killed with SIGKILL takes the service's daemon with it", async () => {
  const marker = `1000.${randomInt(1e9)}`;
  const r = run(
    daemonSpec(
      "killed.star",
      marker,
      "exec sleep 2000",
      `${started}\n    assert_eventually(where = lambda e: False, timeout = "120s")`,
    ),
  );
  await waitUntil(
    () => processesWith(marker).length > 0 && r.output().includes("=== RUN"),
    60_000,
    "the daemon to start",
  );
  r.child.kill("SIGKILL");
  await r.exited;
  await waitUntil(() => processesWith(marker).length === 0, 15_000, "the daemon to be stopped");
});
