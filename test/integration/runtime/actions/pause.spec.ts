// pause()/resume() on a local process: inside the window every process of the service's group is
// stopped (state "T" in /proc/<pid>/stat); after it, the service runs and answers again.
import { readFileSync } from "node:fs";
import { defineSpec } from "../../../../src/index.js";

function state(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
}

export default defineSpec((fb) => {
  const main = fb.interface("main", "http", 0);
  const store = fb.service("store", {
    binary: "node",
    args: ["store.mjs"],
    interfaces: [main],
    env: { PORT: String(main.port) },
    healthcheck: fb.http(`127.0.0.1:${main.port}/starts`),
    observe: [fb.stdout({ decoder: fb.jsonDecoder() })],
  });
  fb.test("paused_inside_the_window", async () => {
    const started = await fb.assertEventually({
      where: (e) => e.type === "stdout" && e.data.event === "started",
    });
    const pid = Number(started.data.pid);
    fb.assertEq(state(pid) === "T", false, "running before the window");
    await fb.fault(
      store,
      async () => fb.assertEq(state(pid), "T", "stopped inside the window"),
      fb.actions.pause(),
    );
    fb.assertEq(state(pid) === "T", false, "running again after the window");
    fb.assertEq((await store.main.get({ path: "/starts" })).status, 200);
    const actions = await fb.events({ where: (e) => e.type === "service_action" });
    fb.assertEq(
      actions.map((e) => e.data.action),
      ["pause", "resume"],
    );
  });
});
