// The supervisor against a real target (fixtures/target.c): faults apply only while rules are
// live, only to matching paths, delays hold only the calling thread, probability is seeded.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createServer, type AddressInfo, type Server } from "node:net";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import {
  SyscallFaultError,
  delay,
  ensureSupervisor,
  deny,
  launchSupervised,
  op,
  rule,
  syscallFaultsSupported,
  type LaunchOptions,
  type SupervisedProcess,
  type SyscallFaultEvent,
} from "../../src/syscall/index.js";
import { LineDriver, buildFixture, processGone, waitFor } from "./support.js";

const support = syscallFaultsSupported();
const skip = support.ok ? false : support.reason;
const dir = mkdtempSync(join(tmpdir(), "faultbox-syscall-"));
const running: SupervisedProcess[] = [];
after(async () => {
  await Promise.all(running.map((p) => p.close({ graceMs: 1000 })));
  rmSync(dir, { recursive: true, force: true });
});

function listen(): Promise<Server> {
  return new Promise((resolve) => {
    const srv = createServer((sock) => sock.destroy());
    srv.listen(0, "127.0.0.1", () => resolve(srv));
  });
}

async function start(opts: Partial<LaunchOptions> = {}) {
  const events: SyscallFaultEvent[] = [];
  const proc = await launchSupervised({
    argv: [buildFixture("target")],
    stdio: ["pipe", "pipe", "inherit"],
    cwd: dir,
    onEvent: (e) => events.push(e),
    ...opts,
  });
  running.push(proc);
  return { proc, events, target: new LineDriver(proc.child.stdin!, proc.child.stdout!) };
}

test("a write gets EIO only while the rule is set", { skip }, async () => {
  const { proc, target, events } = await start({ syscalls: ["write", "openat"] });
  const file = join(dir, "data.log");
  assert.equal(await target.ask(`write ${file}`), "ok");
  await proc.setRules([rule(op({ syscalls: ["write"], path: file }), deny("EIO", { label: "disk" }))]);
  assert.equal(await target.ask(`write ${file}`), "EIO");
  assert.equal(await target.ask(`write ${file}`), "EIO");
  const stats = await proc.clearRules();
  assert.equal(await target.ask(`write ${file}`), "ok");
  assert.deepEqual(
    stats.map((s) => [s.label, s.matches, s.fires]),
    [["disk", 2, 2]],
  );
  assert.equal(events.length, 2);
  assert.deepEqual(
    { ...events[0], tid: 0 },
    {
      ruleId: events[0]!.ruleId,
      label: "disk",
      pid: proc.pid,
      tid: 0,
      syscall: "write",
      action: "deny",
      errno: "EIO",
      delayMs: undefined,
      path: file,
    },
  );
});

test("a path filter faults only the files it matches", { skip }, async () => {
  const { proc, target, events } = await start({ syscalls: ["write", "openat"] });
  await proc.setRules([
    rule(op({ syscalls: ["write"], path: `${dir}/wal-*` }), deny("ENOSPC")),
    rule(op({ syscalls: ["openat"], path: "secret*" }), deny("EACCES")),
  ]);
  assert.equal(await target.ask(`write ${dir}/wal-1`), "ENOSPC");
  assert.equal(await target.ask(`write ${dir}/data-1`), "ok");
  assert.equal(await target.ask(`write ${dir}/sub/wal-1`), "open ENOENT"); // `*` stays in one component
  assert.equal(await target.ask(`write ${dir}/secretary`), "open EACCES");
  assert.equal(await target.ask("open secret-relative"), "EACCES"); // resolved against the cwd
  assert.equal(await target.ask("open /etc/hostname"), "ok");
  assert.deepEqual(
    events.map((e) => [e.syscall, e.errno, e.path]),
    [
      ["write", "ENOSPC", `${dir}/wal-1`],
      ["openat", "EACCES", `${dir}/secretary`],
      ["openat", "EACCES", `${dir}/secret-relative`],
    ],
  );
});

test("a connect rule's path is the destination address", { skip }, async () => {
  const servers = await Promise.all([listen(), listen()]);
  try {
    const [db, other] = servers.map((s) => (s.address() as AddressInfo).port) as [number, number];
    const { proc, target, events } = await start({ syscalls: ["connect"] });
    await proc.setRules([rule(op({ syscalls: ["connect"], path: `127.0.0.1:${db}` }), deny("ECONNREFUSED"))]);
    assert.equal(await target.ask(`connect ${db}`), "ECONNREFUSED");
    assert.equal(await target.ask(`connect ${other}`), "ok");
    // The fault's event reaches us on its own channel, maybe after the target's answers.
    await waitFor("the connect fault's event", () => events.length > 0);
    assert.deepEqual(
      events.map((e) => [e.syscall, e.path]),
      [["connect", `127.0.0.1:${db}`]],
    );
  } finally {
    servers.forEach((s) => s.close());
  }
});

test(
  "a glob ending in / covers the files directly in that directory; ** crosses directories",
  { skip },
  async () => {
    const { proc, target } = await start({ syscalls: ["write"] });
    mkdirSync(join(dir, "logs", "old"), { recursive: true });
    mkdirSync(join(dir, "pg", "base", "1"), { recursive: true });
    await proc.setRules([
      rule(op({ syscalls: ["write"], path: `${dir}/logs/` }), deny("EIO")),
      rule(op({ syscalls: ["write"], path: `${dir}/pg/**` }), deny("ENOSPC")),
    ]);
    assert.equal(await target.ask(`write ${dir}/logs/a.log`), "EIO");
    assert.equal(await target.ask(`write ${dir}/logs/old/b.log`), "ok");
    assert.equal(await target.ask(`write ${dir}/pg/base/1/1259`), "ENOSPC");
    assert.equal(await target.ask(`write ${dir}/pgdata`), "ok");
  },
);

test("a delay on fsync holds only the thread that calls it", { skip }, async () => {
  const { proc, target, events } = await start({ syscalls: ["write", "fsync", "openat"] });
  const slow = join(dir, "slow.dat");
  await proc.setRules([rule(op({ syscalls: ["fsync"], path: slow }), delay("3s"))]);
  // Thread A fsyncs `slow` (delayed); thread B waits until A is inside fsync, then writes and
  // fsyncs another file through the same filter. B must finish first.
  const first = await target.ask(`fsync-race ${slow} ${join(dir, "fast.dat")}`);
  const second = await target.next();
  const slowTid = Number(/slow-tid (\d+)/.exec(first)?.[1]);
  assert.match(first, /^B done ok ok slow-tid \d+$/);
  assert.equal(second, "A done ok");
  assert.deepEqual(
    events.map((e) => [e.syscall, e.action, e.tid, e.path]),
    [["fsync", "delay", slowTid, slow]],
  );
});

test("seeded probability gives the same firing pattern twice, another seed another", { skip }, async () => {
  const file = join(dir, "prob.dat");
  const rules = [rule(op({ syscalls: ["write"], path: file }), deny("EIO", { probability: 0.5 }))];
  async function pattern(seed: number): Promise<string[]> {
    const { proc, target } = await start({ syscalls: ["write"], seed });
    const out: string[] = [];
    for (let i = 0; i < 2; i++) {
      await proc.setRules(rules); // each set restarts the rule's generator
      out.push(await target.ask(`writes ${file} 64`));
    }
    await proc.close();
    return out;
  }
  const [a1, a2] = await pattern(11);
  const [b1] = await pattern(11);
  const [c1] = await pattern(12);
  assert.match(a1!, /o/);
  assert.match(a1!, /x/);
  assert.equal(a2, a1);
  assert.equal(b1, a1);
  assert.notEqual(c1, a1);
});

test("max_fires caps how often a rule fires", { skip }, async () => {
  const { proc, target } = await start({ syscalls: ["write"] });
  const file = join(dir, "capped.dat");
  await proc.setRules([rule(op({ syscalls: ["write"], path: file }), deny("EIO", { max_fires: 3 }))]);
  assert.equal(await target.ask(`writes ${file} 8`), "xxxooooo");
});

test("io_uring is refused inside the filter so no write escapes it", { skip }, async () => {
  const { target } = await start({ syscalls: ["write"] });
  assert.equal(await target.ask("uring"), "ENOSYS");
});

test("killing the supervisor kills the target and its children", { skip }, async () => {
  const { proc, target } = await start({ syscalls: ["write"] });
  const grandchild = Number(await target.ask("fork-sleep"));
  assert.ok(!processGone(proc.pid) && !processGone(grandchild));
  process.kill(proc.supervisorPid, "SIGKILL");
  await waitFor("the target to die", () => processGone(proc.pid));
  // The grandchild has no death signal of its own: its filtered syscalls now fail, and close()
  // reaps the process group it shares with the target.
  await proc.close();
  await waitFor("the target's child to die", () => processGone(grandchild));
});

test("when the controlling process dies, the supervisor and the target die with it", { skip }, async () => {
  const owner = spawn(
    process.execPath,
    ["--import", "tsx", fileURLToPath(new URL("./fixtures/owner.ts", import.meta.url))],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const line = await new LineDriver(owner.stdin ?? new PassThrough(), owner.stdout!).next();
  const [supervisorPid, targetPid] = line.split(" ").map(Number) as [number, number];
  assert.ok(!processGone(supervisorPid) && !processGone(targetPid));
  owner.kill("SIGKILL");
  await waitFor("the supervisor to die", () => processGone(supervisorPid));
  await waitFor("the target to die", () => processGone(targetPid));
});

test("close() stops the target and everything it started", { skip }, async () => {
  const { proc, target } = await start({ syscalls: ["write"] });
  const grandchild = Number(await target.ask("fork-sleep"));
  const status = await proc.close();
  assert.deepEqual(status, { code: null, signal: "SIGTERM" });
  await waitFor("the target's child to die", () => processGone(grandchild));
});

test("when the target exits, descendants that left its process group are stopped too", { skip }, async () => {
  const { proc, target } = await start({ syscalls: ["write"] });
  const daemon = Number(await target.ask("fork-sleep setsid"));
  assert.ok(!processGone(daemon));
  proc.child.stdin!.write("exit 4\n");
  assert.deepEqual(await proc.exited, { code: 4, signal: null });
  await waitFor("the setsid() child to die", () => processGone(daemon));
});

test("the target's exit status comes through", { skip }, async () => {
  const proc = await launchSupervised({ argv: ["sh", "-c", "exit 3"], syscalls: ["write"] });
  assert.deepEqual(await proc.exited, { code: 3, signal: null });
});

test(
  "a rule on a syscall the filter does not intercept is refused with the launch set",
  { skip },
  async () => {
    const { proc } = await start({ syscalls: ["write"] });
    await assert.rejects(proc.setRules([rule("fsync", delay("1s"))]), (err: unknown) => {
      assert.ok(err instanceof SyscallFaultError);
      assert.equal(err.code, "FAULT_NOT_FILTERABLE");
      assert.match(
        err.message,
        /cannot fault fsync, fdatasync, sync_file_range, syncfs on ".*target-\w+": it was launched intercepting only \[write, writev, pwrite64, pwritev, pwritev2\]/,
      );
      return true;
    });
  },
);

test("a command that cannot be executed fails the launch with the reason", { skip }, async () => {
  await assert.rejects(launchSupervised({ argv: [join(dir, "no-such-binary")] }), {
    name: "SyscallFaultError",
    code: "LAUNCH_FAILED",
    message: `cannot start "${join(dir, "no-such-binary")}": No such file or directory`,
  });
  await assert.rejects(launchSupervised({ argv: ["true"], user: "no-such-user-xyz" }), {
    code: "LAUNCH_FAILED",
    message: 'user "no-such-user-xyz" does not exist on this machine',
  });
});

// SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP exists from Linux 6.6: the target hands its CPU to the supervisor
// instead of waking it elsewhere (bench/syscall measures what that saves on an idle machine).
const [major, minor] = (await import("node:os")).release().split(".").map(Number);
const syncKernel = major! > 6 || (major === 6 && minor! >= 6);

test(
  "notifications use synchronous wake-ups where the kernel has them, and faults still apply",
  { skip: skip || (syncKernel ? false : "kernel older than 6.6") },
  async () => {
    const file = join(dir, "sync.log");
    const on = await start({ syscalls: ["write"] });
    assert.equal(on.proc.syncWakeup, true);
    await on.proc.setRules([rule(op({ syscalls: ["write"], path: file }), deny("EIO"))]);
    assert.equal(await on.target.ask(`write ${file}`), "EIO");
    await on.proc.clearRules();
    assert.equal(await on.target.ask(`write ${file}`), "ok");
    const off = await start({ syscalls: ["write"], syncWakeup: false });
    assert.equal(off.proc.syncWakeup, false);
    assert.equal(await off.target.ask(`write ${file}`), "ok");
  },
);

test(
  "reap mode: the supervisor leaves as its target did; SIGUSR2 from its launcher ends the target and its daemons, from anyone else it is passed on",
  { skip },
  async () => {
    const bin = ensureSupervisor();
    const died = spawn(bin, ["--reap", "--", "sh", "-c", "kill -TERM $$"], { stdio: "ignore" });
    assert.deepEqual(await new Promise((r) => died.once("exit", (code, signal) => r({ code, signal }))), {
      code: null,
      signal: "SIGTERM",
    });

    const script = `trap 'echo usr2' USR2; setsid sleep 1000 & echo "daemon $!"; while :; do sleep 0.05; done`;
    const child = spawn(bin, ["--reap", "--", "sh", "-c", script], { stdio: ["ignore", "pipe", "inherit"] });
    const lines = new LineDriver(new PassThrough(), child.stdout!);
    const daemon = Number((await lines.next()).split(" ")[1]);
    assert.equal(processGone(daemon), false);
    // From another process: passed on to the target, which keeps running.
    spawnSync("kill", ["-USR2", String(child.pid)]);
    assert.equal(await lines.next(), "usr2");
    // From the launcher (this process): everything ends, the setsid daemon included.
    const exited = new Promise((r) => child.once("exit", (code, signal) => r({ code, signal })));
    process.kill(child.pid!, "SIGUSR2");
    assert.deepEqual(await exited, { code: 137, signal: null });
    await waitFor("the daemon to be killed", () => processGone(daemon));
  },
);
