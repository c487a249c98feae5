// A TypeScript spec whose fault window denies a service's writes: core routes the fault to the
// seccomp controller, which logs a `syscall` event for each denied write.
import { defineSpec } from "../../../../src/index.js";
import { registerSeccompController } from "../../../../src/syscall/index.js";

registerSeccompController();

const out = process.env.FAULTBOX_TEST_OUT ?? "/tmp/faultbox-disk-spec.out";

export default defineSpec((fb) => {
  const writer = fb.service("writer", {
    binary: "sh",
    // Appends a line every 50 ms; its own stdout is also a write, so nothing is printed while
    // writes are denied.
    args: ["-c", 'while :; do echo tick >> "$OUT" && echo wrote; sleep 0.05; done'],
    env: { OUT: out },
  });
  const diskFails = fb.faultAssumption("disk_fails", {
    target: writer,
    syscall: { write: fb.syscall.deny("EIO", { label: "disk" }) },
  });
  fb.test("writes_fail_in_the_window", async () => {
    await fb.fault(diskFails, async () => {
      // The file's write, not only the `echo wrote` of an iteration the window opened in the middle of.
      await fb.assertEventually({
        where: (e) =>
          e.type === "syscall" &&
          e.data.decision === "deny(EIO)" &&
          e.data.label === "disk" &&
          e.data.path === out,
        timeout: "10s",
      });
    });
  });
  fb.test("writes_resume_after_the_window", async () => {
    let removedAt = 0;
    await fb.fault(diskFails, async () => {
      await fb.assertEventually({ where: (e) => e.type === "syscall", timeout: "10s" });
    });
    removedAt = (await fb.events({ where: (e) => e.type === "fault_removed" })).at(-1)!.seq;
    await fb.assertEventually({
      where: (e) => e.type === "stdout" && e.data.raw === "wrote" && e.seq > removedAt,
      timeout: "10s",
    });
  });
});
