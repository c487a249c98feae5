// The bundles' tar subset: what we write, GNU tar reads; what we read is only plain files inside the
// archive's folder (a bundle from someone else must not write elsewhere).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readTar, writeTar } from "../../src/report/tar.js";
import { pruneBundles } from "../../src/report/bundle.js";

test("our archives round-trip and GNU tar extracts them with their modes, long paths included", () => {
  const long = `b/${"d".repeat(90)}/${"e".repeat(90)}/file.star`;
  const entries = [
    { path: "b/manifest.json", data: Buffer.from('{"a":1}\n'), mode: 0o644 },
    { path: "b/replay.sh", data: Buffer.from("#!/bin/sh\necho hi\n"), mode: 0o755 },
    { path: long, data: Buffer.alloc(1500, 7), mode: 0o600 },
    { path: "b/empty", data: Buffer.alloc(0), mode: 0o644 },
  ];
  const tar = writeTar(entries);
  assert.deepEqual(readTar(tar), entries);

  const dir = mkdtempSync(join(tmpdir(), "fb-tar-"));
  writeFileSync(join(dir, "x.tar"), tar);
  const r = spawnSync("tar", ["xf", "x.tar"], { cwd: dir, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(readFileSync(join(dir, "b/replay.sh"), "utf8"), "#!/bin/sh\necho hi\n");
  assert.equal(statSync(join(dir, "b/replay.sh")).mode & 0o777, 0o755);
  assert.deepEqual(readFileSync(join(dir, long)), Buffer.alloc(1500, 7));
});

test("reading refuses links, paths leaving the folder, absolute paths and damaged archives", () => {
  const dir = mkdtempSync(join(tmpdir(), "fb-tar-bad-"));
  writeFileSync(join(dir, "f"), "x");
  symlinkSync("/etc/passwd", join(dir, "link"));
  spawnSync("tar", ["cf", "link.tar", "link"], { cwd: dir });
  assert.throws(() => readTar(readFileSync(join(dir, "link.tar"))), /"link" is not a regular file/);
  spawnSync("tar", ["cf", "up.tar", "--transform", "s,^f$,../evil,", "f"], { cwd: dir });
  assert.throws(() => readTar(readFileSync(join(dir, "up.tar"))), /unsafe path in archive: "\.\.\/evil"/);
  spawnSync("tar", ["cf", "abs.tar", "-P", "--transform", "s,^f$,/tmp/evil,", "f"], { cwd: dir });
  assert.throws(() => readTar(readFileSync(join(dir, "abs.tar"))), /unsafe path in archive: "\/tmp\/evil"/);

  const good = writeTar([{ path: "a/b", data: Buffer.from("hello"), mode: 0o644 }]);
  const flipped = Buffer.from(good);
  flipped[10] = flipped[10]! ^ 1;
  assert.throws(() => readTar(flipped), /bad tar header checksum/);
  assert.throws(() => readTar(good.subarray(0, 600)), /truncated|closing blocks/);
  assert.throws(() => writeTar([{ path: "../x", data: Buffer.alloc(0), mode: 0o644 }]), /unsafe path/);
});

test("the default bundle folder keeps the newest bundles and nothing else is touched", () => {
  const dir = mkdtempSync(join(tmpdir(), "fb-prune-"));
  const names = Array.from(
    { length: 23 },
    (_, i) => `run-20260101-0000${String(i).padStart(2, "0")}-7.tar.gz`,
  );
  for (const n of names) writeFileSync(join(dir, n), "");
  writeFileSync(join(dir, "mine.tar.gz"), "");
  assert.deepEqual(pruneBundles(dir, 20), names.slice(0, 3));
  assert.deepEqual(pruneBundles(dir, 20), []);
  assert.ok(statSync(join(dir, "mine.tar.gz")).isFile());
});
