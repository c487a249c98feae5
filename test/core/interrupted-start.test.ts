// Ctrl-C (the run's signal) while a launcher is still bringing a service up. The test is over at once,
// but the launcher goes on (a container the engine has just started, still being inspected): what it
// returns late must be stopped, and the run must not end before that, or the service outlives the run
// and its open handles (a container's log stream) keep the runner from exiting.
import { test } from "node:test";
import assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import "../../src/index.js";
import { createApi } from "../../src/core/define.js";
import { SpecBuilder } from "../../src/core/builder.js";
import { runSuite } from "../../src/core/engine.js";
import { getLauncher, registerLauncher, type LaunchRequest } from "../../src/core/launcher.js";

test("interrupted while a service is launching: the run ends inconclusive, and what the launcher returns late is stopped before the run returns", async () => {
  const original = getLauncher("image")!;
  let launchStarted!: (req: LaunchRequest) => void;
  const launching = new Promise<LaunchRequest>((r) => (launchStarted = r));
  let finishLaunch!: () => void;
  const gate = new Promise<void>((r) => (finishLaunch = r));
  const stopped: string[] = [];
  registerLauncher({
    kind: "image",
    async launch(req) {
      launchStarted(req);
      await gate;
      return {
        addresses: {},
        exited: new Promise(() => undefined),
        lastLines: () => [],
        stop: async () => {
          stopped.push(req.service.name);
        },
      };
    },
  });
  try {
    const b = new SpecBuilder("/tmp/interrupted-start.ts", {
      repr: (v) => JSON.stringify(v),
      equals: isDeepStrictEqual,
      truthy: Boolean,
    });
    const fb = createApi(b);
    fb.service("slow", { image: "example/slow:1", interfaces: [fb.interface("main", "http", 8080)] });
    fb.test("needs_slow", async () => undefined);
    const abort = new AbortController();
    let returned = false;
    const run = runSuite(b.suite, b.runtime, { seed: 1n, signal: abort.signal }).finally(
      () => (returned = true),
    );
    const req = await launching;
    abort.abort();
    // The launcher finishes only after the stop: once the run returned (it must not, before that),
    // or after a while.
    await Promise.race([run, new Promise((r) => setTimeout(r, 2000))]);
    assert.equal(returned, false, "the run waits for the launch under way");
    finishLaunch();
    const result = await run;
    assert.deepEqual(stopped, ["slow"], "the service started late is stopped before the run returns");
    assert.equal(result.tests[0]!.result, "inconclusive");
    assert.equal(result.tests[0]!.reason, "interrupted");
    assert.equal(req.signal?.aborted, true, "the launcher sees the run's stop (to give up a pull)");
  } finally {
    registerLauncher(original);
  }
});
