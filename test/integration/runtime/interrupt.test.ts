import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { faultboxAsync, processesWith, waitUntil } from "./cli-helpers.js";

const spec = "examples/http-failing/faultbox.spec.ts";

async function startLongRun(marker: string) {
  const child = faultboxAsync(["test", spec, "--test", "long_running"], {
    FAULTBOX_EXAMPLE_SLOW: "1",
    FAULTBOX_EXAMPLE_MARKER: marker,
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: string | null }>((res) =>
    child.once("exit", (code, signal) => res({ code, signal })),
  );
  await waitUntil(
    () => processesWith(marker).length > 0 && out.includes("=== RUN"),
    30_000,
    "the service to start",
  );
  return { child, exited, output: () => out };
}

test("Ctrl-C (SIGINT) stops the run and leaves no service process behind", async () => {
  const marker = `fb-marker-${randomBytes(4).toString("hex")}`;
  const { child, exited, output } = await startLongRun(marker);
  child.kill("SIGINT");
  const { code } = await exited;
  assert.equal(code, 3, output()); // the interrupted test is inconclusive
  assert.deepEqual(processesWith(marker), []);
});

test("a runner killed with SIGKILL still leaves no service behind (watchdog)", async () => {
  const marker = `fb-marker-${randomBytes(4).toString("hex")}`;
  const { child, exited } = await startLongRun(marker);
  child.kill("SIGKILL");
  await exited;
  await waitUntil(() => processesWith(marker).length === 0, 15_000, "the watchdog to stop the service");
  assert.deepEqual(processesWith(marker), []);
});
