// Services die with their owner: a test process killed mid-run (SIGKILL: no handler runs at all;
// SIGTERM) leaves no broker, no PostgreSQL and no data directory behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { processesUsing } from "../../support/processes.js";

const fixture = fileURLToPath(new URL("./owner.fixture.ts", import.meta.url));
const runnerFixture = fileURLToPath(new URL("./runner.fixture.mjs", import.meta.url));

interface Started {
  kafkaDir: string;
  postgresDir: string;
}

/** Runs node with `args` until it prints the services' JSON line. */
function startOwner(args: string[]): Promise<{ child: ReturnType<typeof spawn>; started: Started }> {
  // Not part of this run's shared services: the fixture owns what it starts.
  const env = { ...process.env };
  delete env.FAULTBOX_TEST_STATE_DIR;
  delete env.FAULTBOX_TEST_OWNER_PID;
  const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  return new Promise<{ child: ReturnType<typeof spawn>; started: Started }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`owner fixture printed nothing within 120 s:\n${err}`));
    }, 120_000);
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      if (out.includes("\n")) {
        clearTimeout(timer);
        resolve({ child, started: JSON.parse(out.split("\n")[0]!) as Started });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`owner fixture exited ${code} before starting:\n${err}`));
    });
  }).finally(() => child.stdout!.removeAllListeners("data"));
}

async function assertGoneWithin(dirs: string[], ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  let left = dirs.flatMap(processesUsing);
  while ((left.length > 0 || dirs.some(existsSync)) && Date.now() < deadline) {
    await sleep(250);
    left = dirs.flatMap(processesUsing);
  }
  assert.deepEqual(left, [], "processes left behind");
  for (const d of dirs) assert.equal(existsSync(d), false, `${d} left behind`);
}

for (const signal of ["SIGKILL", "SIGTERM"] as const) {
  test(`a test process killed with ${signal} leaves no broker or PostgreSQL behind`, async () => {
    const { child, started } = await startOwner(["--import", "tsx", fixture]);
    try {
      // Both services are really running before the kill.
      assert.ok(processesUsing(started.kafkaDir).some((p) => p.cmdline.includes("kafka.Kafka")));
      assert.ok(processesUsing(started.postgresDir).some((p) => /postgres/.test(p.cmdline)));
    } finally {
      child.kill(signal);
    }
    await assertGoneWithin([started.kafkaDir, started.postgresDir], 30_000);
  });
}

test("shared services outlive the test file that started them and die with a SIGKILLed test runner", async () => {
  const scratch = mkdtempSync(join(tmpdir(), "faultbox-runner-"));
  try {
    const { child, started } = await startOwner([runnerFixture, scratch]);
    // The test file that started them has exited. Had they been its, its watchdogs would have
    // stopped them within 0.5 s (owner poll) + 3 s (Kafka's grace before SIGKILL); wait past that.
    await sleep(4000);
    try {
      assert.ok(processesUsing(started.kafkaDir).some((p) => p.cmdline.includes("kafka.Kafka")));
      assert.ok(processesUsing(started.postgresDir).some((p) => /postgres/.test(p.cmdline)));
    } finally {
      child.kill("SIGKILL");
    }
    await assertGoneWithin([started.kafkaDir, started.postgresDir], 30_000);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});
