// withPortLock lets two test files that run specs binding the same fixed port (the seed's integrity.star:
// PostgreSQL on 25432) share a track of `npm test`: their runs of such specs take turns.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { fixedPorts, withPortLock, withPortLocks } from "./shared-services.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const stateDir = mkdtempSync(join(tmpdir(), "faultbox-port-lock-"));
after(() => rmSync(stateDir, { recursive: true, force: true }));

/** Runs `fn` as a file of a shared run whose state directory is `stateDir`, or of none. */
async function inRun<T>(dir: string | undefined, fn: () => Promise<T>): Promise<T> {
  const saved = { dir: process.env.FAULTBOX_TEST_STATE_DIR, pid: process.env.FAULTBOX_TEST_OWNER_PID };
  if (dir) {
    process.env.FAULTBOX_TEST_STATE_DIR = dir;
    process.env.FAULTBOX_TEST_OWNER_PID = String(process.pid);
  } else {
    delete process.env.FAULTBOX_TEST_STATE_DIR;
    delete process.env.FAULTBOX_TEST_OWNER_PID;
  }
  try {
    return await fn();
  } finally {
    for (const [key, value] of [
      ["FAULTBOX_TEST_STATE_DIR", saved.dir],
      ["FAULTBOX_TEST_OWNER_PID", saved.pid],
    ] as const)
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
  }
}

/** Two holders of `ports` started together; the order their starts and ends happened in. */
async function twoHolders(dir: string | undefined, ports: [number[], number[]]): Promise<string[]> {
  const order: string[] = [];
  const holder = (name: string, held: number[]) =>
    withPortLocks(held, async () => {
      order.push(`${name} start`);
      await sleep(150);
      order.push(`${name} end`);
    });
  await inRun(dir, () => Promise.all([holder("a", ports[0]), holder("b", ports[1])]));
  return order;
}

test("the fixed PostgreSQL ports of the specs that bind one, and none for a spec that binds none", () => {
  const spec = (path: string) => readFileSync(join(root, path), "utf8");
  assert.deepEqual(fixedPorts(spec("examples/seed/integrity.star")), [25432]);
  assert.deepEqual(fixedPorts(spec("test/integration/seed/fixtures/orphan_event_naive.star")), [25433]);
  assert.deepEqual(fixedPorts(spec("examples/seed/publish_consume.star")), []);
});

test("in a shared run, two holders of the same port take turns; of different ports, they overlap", async () => {
  assert.deepEqual(await twoHolders(stateDir, [[41001], [41001]]), ["a start", "a end", "b start", "b end"]);
  // Several ports are taken in one order, so holders of overlapping sets neither overlap nor deadlock.
  assert.deepEqual(
    await twoHolders(stateDir, [
      [41003, 41002],
      [41002, 41003],
    ]),
    ["a start", "a end", "b start", "b end"],
  );
  assert.deepEqual(await twoHolders(stateDir, [[41004], [41005]]), ["a start", "b start", "a end", "b end"]);
});

test("outside a shared run (a test file on its own) there is nothing to wait for", async () => {
  assert.deepEqual(await twoHolders(undefined, [[41006], [41006]]), ["a start", "b start", "a end", "b end"]);
});

test("a lock is released when its holder throws", async () => {
  await assert.rejects(
    inRun(stateDir, () =>
      withPortLock(41007, () => {
        throw new Error("the spec failed");
      }),
    ),
    /the spec failed/,
  );
  assert.equal(
    await inRun(stateDir, () => withPortLock(41007, () => Promise.resolve("taken again"))),
    "taken again",
  );
});
