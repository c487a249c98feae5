// Free ports for interface(..., 0): found ahead by preparePorts() in this process, handed out by
// allocatePortSync() without starting a child process; a child process only when the pool is empty.
import { test } from "node:test";
import assert from "node:assert/strict";
import childProcess from "node:child_process";
import { syncBuiltinESMExports } from "node:module";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import "../../src/index.js"; // registers the protocols interfaces name
import { allocatePortSync, pooledPorts, preparePorts } from "../../src/core/ports.js";
import { loadStarlarkSpec } from "../../src/spec/load.js";

/** Counts the child processes started with spawnSync while `fn` runs (the fallback's way). */
async function countSpawns<T>(fn: () => Promise<T> | T): Promise<{ value: T; spawns: string[] }> {
  const original = childProcess.spawnSync;
  const spawns: string[] = [];
  childProcess.spawnSync = ((cmd: string, args?: readonly string[], opts?: object) => {
    spawns.push([cmd, ...(args ?? [])].join(" ").slice(0, 80));
    return original(cmd, args ?? [], opts ?? {});
  }) as typeof original;
  syncBuiltinESMExports(); // so the named import in topology.ts sees the wrapper
  try {
    return { value: await fn(), spawns };
  } finally {
    childProcess.spawnSync = original;
    syncBuiltinESMExports();
  }
}

/** Whether `port` can be bound on 127.0.0.1 now. */
const bindable = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen({ port, host: "127.0.0.1", exclusive: true }, () => s.close(() => resolve(true)));
  });

test("prepared ports are handed out without a child process, each once, and are free", async () => {
  await preparePorts(8, 8);
  assert.ok(pooledPorts() >= 8, `pooled ${pooledPorts()}`);
  const { value: ports, spawns } = await countSpawns(() =>
    Array.from({ length: 8 }, () => allocatePortSync()),
  );
  assert.deepEqual(spawns, []);
  assert.equal(new Set(ports).size, 8, String(ports));
  for (const p of ports) {
    assert.ok(p >= 1024 && p < 65536, String(p));
    assert.ok(await bindable(p), `port ${p} is taken`);
  }
});

test("an empty pool falls back to a child process, and never repeats a port handed out before", async () => {
  await preparePorts(2, 2);
  const seen = new Set<number>();
  const { spawns } = await countSpawns(() => {
    // Synchronously, so no refill can run: the pool drains and the rest come from child processes.
    const pooled = pooledPorts();
    for (let i = 0; i < pooled; i++) seen.add(allocatePortSync());
    assert.equal(pooledPorts(), 0);
    seen.add(allocatePortSync());
    seen.add(allocatePortSync());
    assert.equal(seen.size, pooled + 2, String([...seen]));
  });
  assert.equal(spawns.length, 2, spawns.join("\n"));
  assert.ok(
    spawns.every((s) => s.startsWith(process.execPath)),
    spawns.join("\n"),
  );
  for (const p of seen) assert.ok(await bindable(p), `port ${p} is taken`);
});

test("preparePorts keeps the pool filled after ports were taken", async () => {
  await preparePorts(4, 8);
  while (pooledPorts() > 1) allocatePortSync();
  await preparePorts(4, 8);
  assert.ok(pooledPorts() >= 4, `pooled ${pooledPorts()}`);
});

test("a Starlark spec's port-0 interfaces and an image's published ports need no child process", async () => {
  const dir = mkdtempSync(join(tmpdir(), "faultbox-ports-"));
  try {
    // More interfaces than the pool holds at first: the engine tops it up between declarations.
    const services = Array.from(
      { length: 6 },
      (_, i) =>
        `svc${i} = service("svc${i}", interface("a", "http", 0), interface("b", "tcp", 0), binary = "/bin/true")`,
    );
    writeFileSync(
      join(dir, "faultbox.star"),
      [
        ...services,
        'img = service("img", interface("main", "http", 8080), interface("admin", "http", 9090), image = "nginx:1")',
        "def test_a():",
        "    pass",
        "",
      ].join("\n"),
    );
    const { value: b, spawns } = await countSpawns(() => loadStarlarkSpec(join(dir, "faultbox.star")));
    assert.deepEqual(spawns, []);
    const ports = b.suite.services
      .filter((s) => s.name.startsWith("svc"))
      .flatMap((s) => s.interfaces.map((i) => i.port));
    const published = Object.values(b.suite.services.find((s) => s.name === "img")!.ports);
    assert.equal(ports.length, 12);
    assert.equal(published.length, 2);
    assert.equal(new Set([...ports, ...published]).size, 14, String([...ports, ...published]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
