// The controller as core's SyscallController: a launcher spawns wrap()'s argv prefix before the
// service's argv (as src/launch/local.ts does), attach() connects, and core-shaped rules apply.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SyscallRule as CoreSyscallRule } from "../../src/core/model.js";
import { createSeccompController, syscallFaultsSupported } from "../../src/syscall/index.js";
import { LineDriver, buildFixture } from "./support.js";

const support = syscallFaultsSupported();
const skip = support.ok ? false : support.reason;

function coreRule(key: string, syscalls: string[], errno: string, pathGlob?: string): CoreSyscallRule {
  return {
    key,
    syscalls,
    fault: { kind: "syscall_fault", action: "deny", errno, probability: 1, text: `deny("${errno}")` },
    ...(pathGlob ? { pathGlob } : {}),
  };
}

test("core's fault windows reach a service launched through wrap()/attach()", { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "faultbox-ctl-"));
  const events: [string, Record<string, unknown>][] = [];
  const controller = createSeccompController();
  assert.equal(controller.unavailableReason(), undefined);
  // Core expands write to write, writev, pwrite64; the filter widens to the whole family.
  const wrapper = await controller.wrap({
    service: "db",
    syscalls: ["write", "writev", "pwrite64"],
    seed: 5n,
    emit: (type, data) => events.push([type, data]),
  });
  const child = spawn(wrapper.argvPrefix[0]!, [...wrapper.argvPrefix.slice(1), buildFixture("target")], {
    stdio: ["pipe", "pipe", "inherit"],
    detached: true,
  });
  try {
    const session = await wrapper.attach(child.pid!);
    const target = new LineDriver(child.stdin!, child.stdout!);
    const file = join(dir, "table.dat");
    await session.setRules([coreRule("write", ["write", "writev", "pwrite64"], "EIO", file)]);
    assert.equal(await target.ask(`write ${file}`), "EIO");
    assert.equal(await target.ask(`writes ${file} 2`), "xx"); // pwrite64: in core's list
    assert.deepEqual(await session.clearRules(), { write: { matched: 3, fired: 3 } });
    assert.equal(await target.ask(`write ${file}`), "ok");

    await session.setRules([coreRule("fsync", ["fsync"], "EIO")]).then(
      () => assert.fail("fsync is not in the filter"),
      (err: Error) => assert.match(err.message, /cannot fault fsync.*launched intercepting only \[write/),
    );
    await session.setRules([coreRule("write", ["write"], "ENOSPC", join(dir, "never-*"))]);
    assert.deepEqual(await session.clearRules(), { write: { matched: 0, fired: 0 } }); // zero traffic shows as 0
    const pid = await target.ask("pid");
    assert.deepEqual(events[0], [
      "syscall",
      { syscall: "write", pid, tid: pid, decision: "deny(EIO)", path: file },
    ]);
    assert.equal(events.length, 3);
    await session.close();
  } finally {
    process.kill(-child.pid!, "SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});

test("attach() fails fast when the supervisor dies before connecting", { skip }, async () => {
  const controller = createSeccompController();
  const wrapper = await controller.wrap({ service: "db", syscalls: ["write"], seed: 0n, emit: () => {} });
  const child = spawn("true", { stdio: "ignore" }); // not the supervisor: it never connects
  await assert.rejects(wrapper.attach(child.pid!), /supervisor of service "db" exited before connecting/);
});
