import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeLine, jsonDecoder, logfmtDecoder, regexDecoder } from "../../src/core/decoders.js";

test("json_decoder: an object line becomes the data dict; anything else is kept raw", () => {
  assert.deepEqual(decodeLine('{"event":"x","n":1}', jsonDecoder()), { event: "x", n: 1 });
  assert.deepEqual(decodeLine("[1,2]", jsonDecoder()), { raw: "[1,2]" });
  assert.deepEqual(decodeLine("not json", jsonDecoder()), { raw: "not json" });
  assert.deepEqual(decodeLine("plain", undefined), { raw: "plain" });
});

test("logfmt_decoder: key=value, quoted values with escapes, bare keys", () => {
  assert.deepEqual(decodeLine('level=info msg="order \\"o-1\\" created" id=o-1 retry', logfmtDecoder()), {
    level: "info",
    msg: 'order "o-1" created',
    id: "o-1",
    retry: true,
  });
  assert.deepEqual(decodeLine("", logfmtDecoder()), { raw: "" });
});

test("regex_decoder: named groups (Go (?P<name>) or JS (?<name>) syntax); no match keeps the line raw", () => {
  const d = regexDecoder("(?P<level>[A-Z]+) order=(?<id>\\S+)");
  assert.deepEqual(decodeLine("INFO order=o-9 done", d), { level: "INFO", id: "o-9" });
  assert.deepEqual(decodeLine("nothing here", d), { raw: "nothing here" });
  assert.throws(() => regexDecoder("(unclosed"), /regex_decoder\(\): bad pattern/);
});
