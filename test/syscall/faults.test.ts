import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ERRNO_NAMES,
  KNOWN_SYSCALLS,
  SyscallFaultError,
  allow,
  delay,
  deny,
  ensureSupervisor,
  expandSyscalls,
  op,
  parseDuration,
  rule,
} from "../../src/syscall/index.js";
import { absoluteGlob, decodeField, ruleLine } from "../../src/syscall/protocol.js";

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof SyscallFaultError) return `${err.code}: ${err.message}`;
    throw err;
  }
  return undefined;
}

test("deny takes errno names in any case and rejects unknown ones with the supported list", () => {
  assert.equal(deny("eio").errno, "EIO");
  assert.equal(deny("ENOSPC").probability, 1);
  const msg = code(() => deny("EWHATEVER"));
  assert.match(msg!, /^BAD_FAULT: deny\(\): unknown errno "EWHATEVER"; supported: .*ECONNREFUSED.*EIO/);
});

test("probability accepts fractions and percentages, and refuses ambiguous or out-of-range numbers", () => {
  assert.equal(deny("EIO", { probability: 0.25 }).probability, 0.25);
  assert.equal(deny("EIO", { probability: "50%" }).probability, 0.5);
  assert.match(
    code(() => deny("EIO", { probability: 30 }))!,
    /30 is ambiguous.*"30%" or 0\.3/,
  );
  assert.match(
    code(() => deny("EIO", { probability: "often" }))!,
    /"often" is not a probability/,
  );
  assert.match(
    code(() => deny("EIO", { probability: -1 }))!,
    /^BAD_FAULT: deny\(probability=\): -1 is negative/,
  );
});

test("max_fires must be a positive integer; unknown keywords are errors", () => {
  assert.equal(delay("1s", { max_fires: 3 }).maxFires, 3);
  assert.match(
    code(() => deny("EIO", { max_fires: 0 }))!,
    /max_fires must be an integer > 0/,
  );
  assert.match(
    code(() => deny("EIO", { max_fires: 1.5 }))!,
    /max_fires must be an integer > 0/,
  );
  const bad = { probabilty: 0.5 } as unknown as { probability: number };
  assert.match(
    code(() => deny("EIO", bad))!,
    /deny\(\): unknown keyword "probabilty"/,
  );
});

test("delay parses Go durations and milliseconds", () => {
  assert.equal(delay("250ms").delayMs, 250);
  assert.equal(delay("1m30s").delayMs, 90_000);
  assert.equal(delay("1.5s").delayMs, 1500);
  assert.equal(delay("100us").delayMs, 0.1);
  assert.equal(delay(20).delayMs, 20);
  assert.equal(parseDuration("delay", "2h"), 7_200_000);
  assert.match(
    code(() => delay("soon"))!,
    /delay\(\): bad duration "soon"/,
  );
  assert.match(
    code(() => delay("10 parsecs"))!,
    /bad duration/,
  );
});

test("allow never fires", () => {
  assert.deepEqual(allow(), { kind: "allow", probability: 0 });
});

test("families expand to every entry point of the same operation", () => {
  assert.deepEqual(expandSyscalls(["write"]), ["write", "writev", "pwrite64", "pwritev", "pwritev2"]);
  assert.deepEqual(expandSyscalls(["fsync", "fdatasync"]), [
    "fsync",
    "fdatasync",
    "sync_file_range",
    "syncfs",
  ]);
  assert.deepEqual(expandSyscalls(["openat"]), ["open", "creat", "openat", "openat2"]);
  assert.deepEqual(expandSyscalls(["pwrite64"]), ["pwrite64"]);
  assert.match(
    code(() => expandSyscalls(["wrte"]))!,
    /^UNKNOWN_SYSCALL: unknown syscall "wrte". Valid names: /,
  );
});

test("op() validates its syscalls and path; rule() keeps the op's path", () => {
  const o = op({ syscalls: ["write", "fsync"], path: "/data/**" });
  assert.deepEqual(rule(o, deny("EIO")), {
    syscalls: ["write", "fsync"],
    path: "/data/**",
    fault: deny("EIO"),
  });
  assert.deepEqual(rule("connect", deny("ECONNREFUSED")).syscalls, ["connect"]);
  assert.match(
    code(() => op({ syscalls: [] }))!,
    /op\(\): syscalls= needs at least one/,
  );
  assert.match(
    code(() => op({ syscalls: ["nope"] }))!,
    /unknown syscall "nope"/,
  );
  assert.match(
    code(() => op({ syscalls: ["write"], path: "" }))!,
    /path= must be a non-empty glob/,
  );
});

test("rule lines encode globs so spaces and percent signs survive; relative globs match at any depth", () => {
  assert.equal(absoluteGlob("orders.db"), "**/orders.db");
  assert.equal(absoluteGlob("/data/*"), "/data/*");
  const line = ruleLine(7, ["write"], deny("EIO", { probability: 0.5 }), "/a b/%x", 42n);
  assert.equal(line, "rule 7 write deny EIO 0.5 0 42 %2Fa%20b%2F%25x");
  assert.equal(ruleLine(1, ["fsync"], delay("2ms"), undefined, 1n), "rule 1 fsync delay 2000000 1 0 1 -");
  assert.equal(decodeField("%2Fa%20b%0A%C3%A9"), "/a b\né");
});

test("the supervisor knows every syscall and errno name the TypeScript side offers", () => {
  const listed = execFileSync(ensureSupervisor(), ["--list"], { encoding: "utf8" }).split("\n");
  const syscalls = new Set(listed.filter((l) => l.startsWith("syscall ")).map((l) => l.split(" ")[1]));
  const errnos = new Set(listed.filter((l) => l.startsWith("errno ")).map((l) => l.split(" ")[1]));
  const absentOnArm64 = ["open", "creat", "unlink", "rename", "mkdir", "rmdir"];
  for (const s of KNOWN_SYSCALLS)
    if (process.arch === "x64" || !absentOnArm64.includes(s))
      assert.ok(syscalls.has(s), `supervisor lacks ${s}`);
  assert.deepEqual([...errnos].sort(), [...ERRNO_NAMES].sort());
});

test("without a C compiler, the support probe says what to install", () => {
  const cache = mkdtempSync(join(tmpdir(), "faultbox-nocc-"));
  try {
    const script =
      'import("./src/syscall/index.ts").then((m) => console.log(JSON.stringify(m.syscallFaultsSupported())))';
    const out = execFileSync(process.execPath, ["--import", "tsx", "-e", script], {
      encoding: "utf8",
      env: { PATH: "/nonexistent", FAULTBOX_CACHE_DIR: cache, HOME: cache },
    });
    const support = JSON.parse(out) as { ok: boolean; reason: string };
    assert.equal(support.ok, false);
    assert.match(support.reason, /need a C compiler .*apt-get install gcc.*FAULTBOX_SUPERVISOR/);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});
