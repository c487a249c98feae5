// util/proc.ts: the state of a process read from /proc, as the launcher, the pause action and the
// syscall controller use it to tell a living service from a gone one or a zombie.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { processLiving, procStat } from "../../src/util/proc.js";

test("a running process is living, with its state and process group", async (t) => {
  const child = spawn("sleep", ["30"], { detached: true, stdio: "ignore" });
  t.after(() => child.kill("SIGKILL"));
  await once(child, "spawn");
  const pid = child.pid!;
  assert.equal(processLiving(pid), true);
  const stat = procStat(pid)!;
  assert.match(stat.state, /^[RSD]$/);
  assert.equal(stat.pgrp, pid, "a detached child leads its own process group");
  assert.equal(procStat(process.pid)!.state, "R", "this process, reading its own stat, is running");
});

test("a zombie is not living; a reaped process has no state", async (t) => {
  // `sleep 0.05` is a child of a shell that then becomes `sleep 30` (exec) and never reaps it.
  const parent = spawn("sh", ["-c", "sleep 0.05 & echo $!; exec sleep 30"], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  t.after(() => parent.kill("SIGKILL"));
  const [line] = (await once(parent.stdout!, "data")) as [Buffer];
  const zombie = Number(line.toString().trim());
  assert.ok(zombie > 0, `no pid printed: ${line.toString()}`);
  for (let i = 0; i < 100 && procStat(zombie)?.state !== "Z"; i++) await sleep(20);
  assert.equal(procStat(zombie)?.state, "Z", "the unreaped child became a zombie");
  assert.equal(processLiving(zombie), false);
  parent.kill("SIGKILL"); // the zombie's parent goes: init reaps it
  await once(parent, "exit");
  for (let i = 0; i < 100 && procStat(zombie) !== undefined; i++) await sleep(20);
  assert.equal(procStat(zombie), undefined);
  assert.equal(processLiving(zombie), false);
});

test("a command name with spaces and parentheses does not shift the fields", async (t) => {
  // The kernel's comm field is the executable's name in parentheses: "(a) b (c)" here.
  const { copyFileSync, mkdtempSync, rmSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { tmpdir } = await import("node:os");
  const dir = mkdtempSync(join(tmpdir(), "faultbox-proc-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const exe = join(dir, "a) b (c");
  copyFileSync("/bin/sleep", exe);
  const child = spawn(exe, ["30"], { detached: true, stdio: "ignore" });
  t.after(() => child.kill("SIGKILL"));
  await once(child, "spawn");
  const stat = procStat(child.pid!)!;
  assert.match(stat.state, /^[RSD]$/);
  assert.equal(stat.pgrp, child.pid);
});
