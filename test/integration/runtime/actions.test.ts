// Service actions on a local process, through the CLI (test/integration/runtime/actions/): restart,
// kill + start, restart(kill=True), kill() as a fault window (down inside it, back after it), and
// pause() as a window (the process stopped inside it). The service keeps its data on disk in a
// directory this test owns; what it stored before an action is read back after it.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { byName, faultbox, type JsonResult } from "./cli-helpers.js";

const dataDir = mkdtempSync(join(tmpdir(), "fb-actions-data-"));
after(() => rmSync(dataDir, { recursive: true, force: true }));

function run(spec: string): JsonResult {
  const r = faultbox(
    ["test", `test/integration/runtime/actions/${spec}`, "--format", "json", "--seed", "3"],
    {
      ACTIONS_DATA_DIR: dataDir,
    },
  );
  assert.equal(r.status, 0, `${r.stderr}\n${r.stdout.slice(0, 4000)}`);
  return JSON.parse(r.stdout) as JsonResult;
}

test("restart, kill + start, restart(kill=True) and kill() windows on a local process keep its data", () => {
  const json = run("faultbox.star");
  assert.equal(json.fail, 0);
  assert.equal(json.pass, 5);
  const actions = (name: string) =>
    byName(json, name)
      .events!.filter((e) => e.type === "service_action")
      .map((e) => e.data);
  assert.deepEqual(actions("test_restart_keeps_data"), [
    {
      action: "restart",
      nodes: [1],
      kill: false,
      cause: "step",
      duration_ms: actions("test_restart_keeps_data")[0]!.duration_ms,
    },
  ]);
  assert.deepEqual(
    actions("test_kill_then_start").map((d) => d.action),
    ["kill", "start"],
  );
  assert.equal(actions("test_restart_with_kill")[0]!.kill, true);
  const windowed = actions("test_down_inside_the_window");
  assert.deepEqual(
    windowed.map((d) => [d.action, d.cause]),
    [
      ["kill", 'fault "crash"'],
      ["start", 'fault "crash"'],
    ],
  );
  // The window is reported with its action as the rule that matched and fired (once).
  const t = byName(json, "test_down_inside_the_window") as unknown as {
    fault_windows: {
      assumption: string;
      target: string;
      rules: { rule: string; matched: number; fired: number }[];
      opened_at?: string;
      closed_at?: string;
    }[];
  };
  // opened_at/closed_at are wall-clock moments: checked ordered, then left out.
  const windows = t.fault_windows.map(({ opened_at, closed_at, ...w }) => {
    assert.ok(Date.parse(opened_at!) <= Date.parse(closed_at!), `${opened_at} .. ${closed_at}`);
    return w;
  });
  assert.deepEqual(windows, [
    {
      assumption: "crash",
      target: "store",
      rules: [{ rule: "kill()", matched: 1, fired: 1 }],
      matched: 1,
      fired: 1,
    },
  ]);
  // Every start of every test was on the same directory: 5 fresh launches plus 4 restarts.
  assert.equal(readFileSync(join(dataDir, "starts"), "utf8").length >= 9, true);
});

test("pause() as a window stops every process of the service and resume() lets it run again", () => {
  const json = run("pause.spec.ts");
  assert.equal(json.pass, 1);
});
