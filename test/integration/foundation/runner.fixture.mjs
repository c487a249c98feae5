// A stand-in for scripts/test.mjs: makes a shared-run state directory inside argv[2], runs one "test
// file" (owner.fixture.ts --exit) that takes shared services, relays the services' JSON line once
// that file has exited, then waits to be killed.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const stateDir = mkdtempSync(join(process.argv[2], "state-"));
const env = {
  ...process.env,
  FAULTBOX_TEST_STATE_DIR: stateDir,
  FAULTBOX_TEST_OWNER_PID: String(process.pid),
};
const fixture = fileURLToPath(new URL("./owner.fixture.ts", import.meta.url));
const child = spawn(process.execPath, ["--import", "tsx", fixture, "--exit"], {
  env,
  stdio: ["ignore", "pipe", "inherit"],
});
let out = "";
child.stdout.setEncoding("utf8").on("data", (d) => (out += d));
child.on("exit", (code) => {
  if (code !== 0) process.exit(code ?? 1);
  process.stdout.write(out);
  setInterval(() => undefined, 60_000);
});
