// A service that crashes while starting: the test fails with the service's last output lines.
import { defineSpec } from "../../src/index.js";

export default defineSpec((fb) => {
  fb.service("crashy", {
    binary: "node",
    args: [
      "-e",
      "console.log('loading config'); console.error('fatal: config file missing'); process.exit(3)",
    ],
    interfaces: [fb.interface("main", "http", 0)],
    healthcheck: fb.ready({ timeout: "10s" }),
  });
  fb.test("never_runs", async () => {
    fb.assertTrue(true);
  });
});
