import { test } from "node:test";
import assert from "node:assert/strict";
import { syscallFaultsSupported } from "../../../src/syscall/index.js";
import { byName, faultbox, type JsonResult } from "./cli-helpers.js";

const support = syscallFaultsSupported();

test(
  "syscall faults from a Starlark spec: fault_assumption window and inline fault(svc, connect=deny(...))",
  { skip: support.ok ? false : support.reason },
  () => {
    const r = faultbox(["test", "examples/http-syscall/faultbox.star", "--seed", "4", "--format", "json"]);
    assert.equal(r.status, 0, r.stderr + r.stdout.slice(0, 2000));
    const json = JSON.parse(r.stdout) as JsonResult;
    const scenario = byName(json, "test_order_without_network");
    const applied = scenario.events!.find((e) => e.type === "fault_applied" && e.service === "api");
    assert.match(String(applied?.data.connect), /deny\("ECONNREFUSED"\)/);
    assert.ok(scenario.events!.some((e) => e.type === "fault_removed" && e.service === "api"));
    // Outside the window nothing is denied.
    const inline = byName(json, "test_inline_window");
    const removedAt = inline.events!.find((e) => e.type === "fault_removed")!.seq;
    assert.ok(
      !inline.events!.some(
        (e) => e.type === "syscall" && e.seq > removedAt && String(e.data.decision).startsWith("deny"),
      ),
    );
  },
);
