import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const bin = new URL("../../bin/faultbox.js", import.meta.url).pathname;
const root = new URL("../..", import.meta.url).pathname;

function faultbox(args: string[], cwd = root) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", cwd });
}

test("faultbox check loads a spec without running it and lists its tests", () => {
  const r = faultbox(["check", "examples/http-basic/faultbox.star"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^ok {2}examples\/http-basic\/faultbox\.star — 2 service\(s\), 6 test\(s\)/m);
  assert.match(r.stdout, /test_matrix_place_order_inventory_down/);
  const json = JSON.parse(
    faultbox(["check", "examples/http-basic/faultbox.spec.ts", "--format", "json"]).stdout,
  );
  assert.equal(json.ok, true);
  assert.deepEqual(json.services, ["inventory", "api"]);
});

test("faultbox check reports a spec error with file, line and code (exit 1)", () => {
  const dir = mkdtempSync(join(tmpdir(), "fb-check-"));
  writeFileSync(
    join(dir, "faultbox.star"),
    'a = 1\nsvc = service("svc", "/bin/true", healthcheck = "tcp")\n',
  );
  const r = faultbox(["check", join(dir, "faultbox.star")]);
  assert.equal(r.status, 1);
  assert.match(
    r.stderr,
    /^error: \[SPEC_LOAD_FAILED\] .*faultbox\.star:2: service\(\) healthcheck must be a tcp\(\), http\(\) or ready\(\) value, got "tcp"/,
  );
  assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, "no stack trace from our internals");
});

test("usage errors exit 1 naming the problem", () => {
  assert.match(
    faultbox(["test", "examples/http-basic/faultbox.star", "--frobnicate"]).stderr,
    /unknown flag: --frobnicate/,
  );
  assert.equal(faultbox(["test", "examples/http-basic/faultbox.star", "--seed", "abc"]).status, 1);
  assert.match(
    faultbox(["test", "examples/http-basic/faultbox.star", "--format=xml"]).stderr,
    /--format must be text or json/,
  );
  // A report path that cannot be written is refused before the run, not after minutes of tests.
  const noDir = faultbox(["test", "examples/http-basic/faultbox.star", "--html", "/nonexistent-dir/r.html"]);
  assert.equal(noDir.status, 1);
  assert.match(noDir.stderr, /--html \/nonexistent-dir\/r\.html: directory \/nonexistent-dir does not exist/);
  assert.doesNotMatch(noDir.stdout + noDir.stderr, /Seed:/, "nothing ran");
  const isDir = faultbox(["test", "examples/http-basic/faultbox.star", "--junit", tmpdir()]);
  assert.equal(isDir.status, 1);
  assert.match(isDir.stderr, /--junit .* is a directory; give a file name/);
  const missing = faultbox(["test", "nope.star"]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /spec file not found: nope\.star/);
});

test("flags that would be lost or mistaken are usage errors, before anything runs", () => {
  const spec = "examples/http-basic/faultbox.star";
  for (const [args, message] of [
    // only one of two values would count
    [
      ["--test", "place_order", "--test", "health"],
      /flag --test given twice \("place_order" and "health"\); it takes one value/,
    ],
    [["--parallel", "2", "--parallel=3"], /flag --parallel given twice \("2" and "3"\)/],
    // a single dash is not taken for a second spec file
    [["-p", "2"], /unknown flag: -p \(did you mean --parallel\?\); flags start with --/],
    // a broken regular expression is named, not a crash with a stack trace when tests are picked
    [["--test", "~["], /--test ~\[: not a valid regular expression: .*Unterminated character class/],
    [["--dry-run", "--test", "~(a"], /--test ~\(a: not a valid regular expression/],
    [
      ["--no-bundle", "--bundle", join(tmpdir(), "b.tgz")],
      /--bundle .*b\.tgz and --no-bundle contradict each other/,
    ],
  ] as [string[], RegExp][]) {
    const r = faultbox(["test", spec, ...args]);
    assert.equal(r.status, 1, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message, args.join(" "));
    assert.doesNotMatch(r.stderr, /at .*\.(ts|js):\d+|SyntaxError/, "no stack trace");
    assert.doesNotMatch(r.stdout, /Seed:/, "nothing ran");
  }
  const replay = faultbox(["replay", "nope.tgz", "--test", "~["]);
  assert.equal(replay.status, 1);
  assert.match(replay.stderr, /--test ~\[: not a valid regular expression/);
  assert.equal(existsSync(join(tmpdir(), "b.tgz")), false, "no bundle was written");
});

test("a directory as SPEC stands for its faultbox.star; one without it is an error naming its specs", () => {
  const check = faultbox(["check", "examples/quickstart"]);
  assert.equal(check.status, 0, check.stderr);
  assert.match(check.stdout, /^ok {2}examples\/quickstart\/faultbox\.star — /m);
  const seed = faultbox(["test", "examples/seed"]);
  assert.equal(seed.status, 1);
  assert.match(
    seed.stderr,
    /^error: examples\/seed is a directory without a faultbox\.star; give the spec file, e\.g\. examples\/seed\/faults\.star or /m,
  );
  assert.doesNotMatch(seed.stderr, /EISDIR/);
  const empty = mkdtempSync(join(tmpdir(), "fb-dir-"));
  const none = faultbox(["check", "."], empty);
  assert.equal(none.status, 1);
  assert.match(
    none.stderr,
    /^error: \. is a directory without a faultbox\.star; give the spec file \(a \.star, \.ts or \.mts file\)/m,
  );
});

test("faultbox init writes a starter spec that loads, and never overwrites", () => {
  const dir = mkdtempSync(join(tmpdir(), "fb-init-"));
  const r = faultbox(["init", "./server", "--name", "shop", "--port", "9090"], dir);
  assert.equal(r.status, 0, r.stderr);
  const text = readFileSync(join(dir, "faultbox.star"), "utf8");
  assert.match(text, /shop = service\("shop", "\.\/server",\n {4}interface\("main", "http", 9090\)/);
  assert.match(text, /def test_health_check\(\):/);
  // The starter names ./server, which does not exist yet: check says so (a set-up error), then passes.
  const missing = faultbox(["check", "faultbox.star"], dir);
  assert.equal(missing.status, 1);
  assert.match(
    missing.stderr,
    /SETUP_ERROR\] faultbox\.star:\d+: service "shop": binary "\.\/server" not found/,
  );
  writeFileSync(join(dir, "server"), "#!/bin/sh\n", { mode: 0o755 });
  const check = faultbox(["check", "faultbox.star"], dir);
  assert.equal(check.status, 0, check.stderr);
  assert.equal(faultbox(["init"], dir).status, 1);
  const tcp = faultbox(["init", "--protocol", "tcp", "--output", "-"], dir);
  assert.match(tcp.stdout, /def test_ping\(\):/);
  assert.equal(existsSync(join(dir, "-")), false);
  assert.match(
    faultbox(["init", "--protocol", "udp", "--output", "-"], dir).stderr,
    /--protocol must be http or tcp/,
  );
});

/** A free TCP port on 127.0.0.1 (closed again before it is returned). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function faultboxAsync(
  args: string[],
  cwd: string,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** The starter spec with its commented-out fault example uncommented, as a user would. */
function uncommentFault(text: string): string {
  const at = text.indexOf("# A protocol fault");
  assert.ok(at > 0, "the starter has a commented-out fault example");
  const fault = text
    .slice(at)
    .split("\n")
    .map((l, i) => (i === 0 ? l : l.replace(/^# ?/, "")))
    .join("\n");
  return text.slice(0, at) + fault;
}

for (const protocol of ["http", "tcp"] as const) {
  test(`faultbox init --protocol ${protocol}: the starter passes with its fault example uncommented`, async () => {
    const dir = mkdtempSync(join(tmpdir(), `fb-init-${protocol}-`));
    // A service that does what the starter's test expects: /health answers 200, or PING answers PONG.
    writeFileSync(
      join(dir, "server.mjs"),
      protocol === "http"
        ? `import http from "node:http";
http.createServer((req, res) => res.end(req.url === "/health" ? "ok" : "?")).listen(Number(process.env.PORT), "127.0.0.1");\n`
        : `import net from "node:net";
net.createServer((s) => s.on("data", (d) => s.write(String(d).trim() === "PING" ? "PONG\\n" : "?\\n"))).listen(Number(process.env.PORT), "127.0.0.1");\n`,
    );
    writeFileSync(join(dir, "server"), `#!/bin/sh\nexec "${process.execPath}" server.mjs\n`, { mode: 0o755 });
    const port = await freePort();
    const init = faultbox(["init", "./server", "--protocol", protocol, "--port", String(port)], dir);
    assert.equal(init.status, 0, init.stderr);
    const spec = join(dir, "faultbox.star");
    writeFileSync(spec, uncommentFault(readFileSync(spec, "utf8")));
    const r = await faultboxAsync(["test", "faultbox.star", "--format", "json"], dir);
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { pass: number; fail: number; tests: { name: string }[] };
    assert.equal(doc.fail, 0, r.stderr);
    assert.equal(doc.pass, 2, "the starter's test and the uncommented fault example both ran and passed");
  });
}
