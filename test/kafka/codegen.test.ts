// The codec generator's checks (scripts/kafka-codegen/generate.mjs): a newer definition may prune the
// fields of versions it dropped (those keep the older tables), but one that lays out a version both
// releases offer differently is refused, naming the API, version and field, and nothing is written.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const generator = join(repo, "scripts", "kafka-codegen", "generate.mjs");
const reference = join(repo, "..", "shared", "reference", "kafka-message-schemas");
const skip = existsSync(reference) ? false : `no reference definitions at ${reference}`;

/** A copy of the reference definitions with `file` edited, and an empty output directory. */
function scratch(file: string, edit: (text: string) => string): { newer: string; out: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "faultbox-codegen-"));
  const newer = join(dir, "newer");
  cpSync(reference, newer, { recursive: true });
  const path = join(newer, file);
  const before = readFileSync(path, "utf8");
  const after = edit(before);
  assert.notEqual(after, before, `the edit of ${file} changed nothing`);
  writeFileSync(path, after);
  const out = join(dir, "out");
  mkdirSync(out);
  return { newer, out, dir };
}

const generate = (newer: string, out: string) =>
  spawnSync(process.execPath, [generator, reference, newer], {
    env: { ...process.env, FAULTBOX_CODEGEN_OUT: out },
    encoding: "utf8",
  });

test("a version both definitions offer, laid out differently, stops the generator", { skip }, () => {
  const s = scratch("ProduceRequest.json", (t) =>
    t.replace('{ "name": "Acks", "type": "int16"', '{ "name": "Acks", "type": "int32"'),
  );
  try {
    const r = generate(s.newer, s.out);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /Produce request v0 is offered by both definitions but laid out differently/);
    assert.match(r.stderr, /older: acks int16/);
    assert.match(r.stderr, /newer: acks int32/);
    assert.deepEqual(readdirSync(s.out), [], "nothing written");
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});

test("a dropped version whose fields the newer definition pruned keeps the older tables", { skip }, () => {
  // What Kafka 4.1 did to ListOffsets: v0 dropped, and its MaxNumOffsets field with it.
  const s = scratch("ListOffsetsRequest.json", (t) =>
    t.replace('"validVersions": "0-10"', '"validVersions": "1-10"').replace(
      /,\s*\{ "name": "MaxNumOffsets"[^}]*\}/,
      "", // the field entry and the comma before it
    ),
  );
  try {
    const r = generate(s.newer, s.out);
    assert.equal(r.status, 0, r.stderr);
    const notice = readFileSync(join(s.out, "NOTICE"), "utf8");
    assert.match(notice, /ListOffsets: 0-10 \(0-0 from the older definitions/);
    const schemas = readFileSync(join(s.out, "schemas.ts"), "utf8");
    assert.match(schemas, /"legacy":\{"versions":\[0,0\]/);
    assert.match(schemas, /maxNumOffsets/, "v0's field is in the legacy tables");
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});
