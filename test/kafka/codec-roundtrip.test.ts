import { test } from "node:test";
import assert from "node:assert/strict";
import {
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  type ApiKey,
} from "../../src/protocols/kafka/wire/index.js";
import { API_SCHEMAS } from "../../src/protocols/kafka/wire/generated/schemas.js";
import { inRange, layoutAt } from "../../src/protocols/kafka/wire/schema.js";
import { prng, sampleStruct } from "./sample-messages.js";

// For every API and version the codec knows: encode a random body, decode it, re-encode it. The decoded
// body must equal the sample and the bytes must be identical (encode(decode(x)) == x).
for (const api of API_SCHEMAS) {
  test(`${api.name} (key ${api.apiKey}) round-trips every version ${api.validVersions!.join("-")}`, () => {
    const [min, max] = api.validVersions!;
    for (let v = min; v <= max; v++) {
      const layout = layoutAt(api, v); // legacy tables for old versions a newer release pruned
      const flexible = inRange(layout.flexibleVersions, v);
      for (let i = 0; i < 12; i++) {
        const rnd = prng(api.apiKey * 100000 + v * 100 + i);
        const key = api.apiKey as ApiKey;

        const req = sampleStruct(rnd, layout.request, v, flexible);
        const clientId = i % 3 === 0 ? null : `client-${i}`;
        const reqFrame = encodeRequest(key, v, 1000 + i, clientId, req as never);
        assert.equal(reqFrame.readInt32BE(0), reqFrame.length - 4, "size prefix");
        const decoded = decodeRequest(reqFrame.subarray(4));
        assert.equal(decoded.apiKey, api.apiKey);
        assert.equal(decoded.apiVersion, v);
        assert.equal(decoded.header.correlationId, 1000 + i);
        assert.equal(decoded.header.clientId, clientId);
        assert.deepEqual(decoded.body, req, `${api.name} v${v} request sample ${i}`);
        const again = encodeRequest(key, v, 1000 + i, clientId, decoded.body as never);
        assert.ok(again.equals(reqFrame), `${api.name} v${v} request bytes differ after re-encoding`);

        const resp = sampleStruct(rnd, layout.response, v, flexible);
        const respFrame = encodeResponse(key, v, -7 - i, resp as never);
        const back = decodeResponse(key, v, respFrame.subarray(4));
        assert.equal(back.correlationId, -7 - i);
        assert.deepEqual(back.body, resp, `${api.name} v${v} response sample ${i}`);
        assert.ok(encodeResponse(key, v, -7 - i, back.body as never).equals(respFrame));
      }
    }
  });
}
