// A TypeScript test body that builds its fault_assumption while it runs: nothing declared it when the
// spec loaded, so the service started without the supervisor and the window fails saying why.
import { defineSpec } from "../../../src/index.js";
import { registerSeccompController } from "../../../src/syscall/index.js";

registerSeccompController();

export default defineSpec((fb) => {
  const ticker = fb.service("ticker", {
    binary: "sh",
    args: ["-c", "while :; do echo tick; sleep 0.05; done"],
  });
  fb.test("late_assumption", async () => {
    const late = fb.faultAssumption("late", { target: ticker, syscall: { write: fb.syscall.deny("EIO") } });
    await fb.fault(late, async () => undefined);
  });
});
