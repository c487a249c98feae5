// Service actions on a container, against a real engine (a private Podman service, see podman.ts):
// restart (graceful, and with kill=True), kill + start and pause/resume act on the same container, so
// what it wrote to its own filesystem is there after the action, and the engine reports the state the
// action left (paused inside a pause() window). After every run no container is left.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { byName, faultbox, type JsonResult } from "../runtime/cli-helpers.js";
import { TEST_IMAGE, podmanUnavailableReason, startPodman, type PodmanEngine } from "./podman.js";

const skip = podmanUnavailableReason();

describe("service actions on containers (Podman's Docker-compatible API)", { skip }, () => {
  let engine: PodmanEngine;
  let dir: string;

  before(async () => {
    engine = await startPodman();
    dir = engine.workDir;
  });
  after(async () => {
    await engine?.stop();
  });

  const runSpec = (name: string, body: string) => {
    const file = join(dir, name);
    writeFileSync(file, body);
    const r = faultbox(["test", file, "--format", "json", "--seed", "9"], { DOCKER_HOST: engine.dockerHost });
    let json: JsonResult | undefined;
    try {
      json = JSON.parse(r.stdout) as JsonResult;
    } catch {
      /* the status assertion shows the output */
    }
    return { ...r, json };
  };
  const assertNoContainerLeft = async () =>
    assert.deepEqual(
      (await engine.containers()).map((c) => `${c.Names.join(",")} (${c.State})`),
      [],
      "every container the run created is removed",
    );

  test("restart, restart(kill=True) and kill + start keep the container's own data; kill() in a window", async () => {
    const r = runSpec(
      "actions.star",
      `
api = service("api", interface("main", "http", 8080),
    image = ${JSON.stringify(TEST_IMAGE)},
    env = {"PORT": "8080"},
    healthcheck = http("127.0.0.1:8080/health", timeout = "20s"),
    observe = [stdout(decoder = json_decoder())],
)

def stopping():
    return len(events(where = lambda e: e.type == "stdout" and e.data.get("msg") == "stopping"))

def test_restart_keeps_data():
    assert_eq(api.main.get(path = "/put/order/o-1").body, "stored")
    assert_eq(api.main.get(path = "/starts").body, "1")
    api.restart()
    assert_eq(api.main.get(path = "/starts").body, "2", "the same container started again")
    assert_eq(api.main.get(path = "/get/order").body, "o-1", "its filesystem kept the data")
    assert_eq(stopping(), 1, "a graceful restart: SIGTERM first")
    api.restart(kill = True)
    assert_eq(api.main.get(path = "/starts").body, "3")
    assert_eq(stopping(), 1, "restart(kill=True): SIGKILL, no shutdown hook")
    assert_eq(api.main.get(path = "/get/order").body, "o-1")

def test_kill_then_start():
    api.main.get(path = "/put/k/v")
    api.kill()
    assert_eq(api.main.get(path = "/health").status, 502, "down")
    api.start()
    assert_eq(api.main.get(path = "/get/k").body, "v")
    # Its output after the start still becomes events.
    assert_eventually(where = lambda e: e.type == "stdout" and e.data.get("path") == "/get/k")

def test_kill_window():
    down = fault(api, kill(), run = lambda: api.main.get(path = "/health"))
    assert_eq(down.status, 502)
    assert_eq(api.main.get(path = "/starts").body, "2", "started again when the window closed")
`,
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const acts = (name: string) =>
      byName(r.json!, name)
        .events!.filter((e) => e.type === "service_action")
        .map((e) => [e.data.action, e.data.kill ?? null, e.data.cause]);
    assert.deepEqual(acts("test_restart_keeps_data"), [
      ["restart", false, "step"],
      ["restart", true, "step"],
    ]);
    assert.deepEqual(acts("test_kill_window"), [
      ["kill", null, 'fault "api"'],
      ["start", null, 'fault "api"'],
    ]);
    await assertNoContainerLeft();
  });

  test("pause() as a window: the engine reports the container paused inside it, running after it", async () => {
    const r = runSpec(
      "pause.spec.mts",
      `
import { defineSpec } from ${JSON.stringify(new URL("../../../src/index.js", import.meta.url).pathname)};
import { dockerClient } from ${JSON.stringify(new URL("../../../src/launch/docker-api.js", import.meta.url).pathname)};

const engine = dockerClient(process.env.DOCKER_HOST!.slice("unix://".length));
const states = async () =>
  (await engine.json<{ Labels: Record<string, string>; State: string }[]>("GET", "/containers/json?all=1"))
    .filter((c) => c.Labels?.["faultbox.runner"])
    .map((c) => c.State);

export default defineSpec((fb) => {
  const api = fb.service("api", {
    interfaces: [fb.interface("main", "http", 8080)],
    image: ${JSON.stringify(TEST_IMAGE)},
    env: { PORT: "8080" },
    healthcheck: fb.http("127.0.0.1:8080/health", { timeout: "20s" }),
  });
  fb.test("paused_inside_the_window", async () => {
    fb.assertEq(await states(), ["running"]);
    await fb.fault(api, async () => fb.assertEq(await states(), ["paused"]), fb.actions.pause());
    fb.assertEq(await states(), ["running"]);
    fb.assertEq((await api.main.get({ path: "/health" })).body, "ok");
  });
});
`,
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    await assertNoContainerLeft();
  });
});
