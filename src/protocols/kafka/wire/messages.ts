// Request/response framing: headers (request v1/v2, response v0/v1) and typed bodies for every API and
// version in the generated tables.
import { KafkaDecodeError, Reader, Writer } from "./buffers.js";
import { API_SCHEMAS, REQUEST_HEADER_FIELDS } from "./generated/schemas.js";
import type { ApiKey, ApiMessages } from "./generated/types.js";
import { inRange, layoutAt, type ApiSchema, type UnknownTaggedField } from "./schema.js";
import { decodeStruct, encodeStruct } from "./struct-codec.js";

const byKey = new Map<number, ApiSchema>(API_SCHEMAS.map((s) => [s.apiKey, s]));

/** The generated schema of an API, or undefined when the codec does not know the API key. */
export const apiSchema = (apiKey: number): ApiSchema | undefined => byKey.get(apiKey);

/** The versions of an API this codec can encode and decode, or undefined for an unknown API. */
export function supportedVersions(apiKey: number): readonly [number, number] | undefined {
  return byKey.get(apiKey)?.validVersions ?? undefined;
}

export function isSupported(apiKey: number, version: number): boolean {
  return inRange(byKey.get(apiKey)?.validVersions, version);
}

export function isFlexible(apiKey: number, version: number): boolean {
  const s = byKey.get(apiKey);
  if (!s) throw new KafkaDecodeError(`unknown API key ${apiKey}`);
  return inRange(layoutAt(s, version).flexibleVersions, version);
}

/** Request header v2 for flexible versions, else v1. */
export const requestHeaderVersion = (apiKey: number, version: number): 1 | 2 =>
  isFlexible(apiKey, version) ? 2 : 1;

/** Response header v1 for flexible versions, except ApiVersions which always answers with v0. */
export const responseHeaderVersion = (apiKey: number, version: number): 0 | 1 =>
  apiKey !== 18 && isFlexible(apiKey, version) ? 1 : 0;

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  unknownTaggedFields?: UnknownTaggedField[];
}

/** A decoded request, discriminated by `apiKey`. */
export type DecodedRequest = {
  [K in ApiKey]: { apiKey: K; apiVersion: number; header: RequestHeader; body: ApiMessages[K]["request"] };
}[ApiKey];

export type RequestBody<K extends ApiKey> = ApiMessages[K]["request"];
export type ResponseBody<K extends ApiKey> = ApiMessages[K]["response"];

/** The schema of an API at a version it supports (legacy tables for pruned old versions). */
function checkVersion(apiKey: number, version: number): ApiSchema {
  const s = byKey.get(apiKey);
  if (!s) throw new KafkaDecodeError(`unknown API key ${apiKey}`);
  if (!inRange(s.validVersions, version)) {
    throw new KafkaDecodeError(
      `${s.name} version ${version} is not supported (codec knows ${s.validVersions?.join("-")})`,
    );
  }
  return s;
}

/**
 * Reads the fixed part of any request header (api key, version, correlation id, client id), which is
 * laid out the same for every API and version. `frame` excludes the 4-byte size prefix.
 */
export function peekRequestHeader(frame: Buffer): RequestHeader {
  const r = new Reader(frame);
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  const n = r.int16();
  const clientId = n < 0 ? null : r.bytes(n).toString("utf8");
  return { apiKey, apiVersion, correlationId, clientId };
}

/** Decodes a request frame (without its size prefix). Throws KafkaDecodeError when malformed. */
export function decodeRequest(frame: Buffer): DecodedRequest {
  const r = new Reader(frame);
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const s = checkVersion(apiKey, apiVersion);
  const layout = layoutAt(s, apiVersion);
  const flexible = inRange(layout.flexibleVersions, apiVersion);
  r.pos = 0;
  let header: RequestHeader;
  let body: unknown;
  try {
    const h = decodeStruct(r, REQUEST_HEADER_FIELDS, flexible ? 2 : 1, flexible);
    header = {
      apiKey,
      apiVersion,
      correlationId: h.correlationId as number,
      clientId: h.clientId as string | null,
      ...(h.unknownTaggedFields
        ? { unknownTaggedFields: h.unknownTaggedFields as UnknownTaggedField[] }
        : {}),
    };
  } catch (e) {
    throw described(e, `${s.name} v${apiVersion} request header`);
  }
  try {
    body = decodeStruct(r, layout.request, apiVersion, flexible);
  } catch (e) {
    throw described(e, `${s.name} v${apiVersion} request`);
  }
  if (r.remaining !== 0)
    throw new KafkaDecodeError(`${s.name} v${apiVersion} request has ${r.remaining} trailing bytes`);
  return { apiKey, apiVersion, header, body } as DecodedRequest;
}

function described(e: unknown, what: string): unknown {
  if (e instanceof KafkaDecodeError)
    e.message = `${what}${e.message.startsWith(".") ? "" : ": "}${e.message}`;
  return e;
}

/** Encodes a complete request frame, size prefix included. */
export function encodeRequest<K extends ApiKey>(
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  clientId: string | null,
  body: RequestBody<K>,
  headerTaggedFields?: UnknownTaggedField[],
): Buffer {
  const s = checkVersion(apiKey, apiVersion);
  const layout = layoutAt(s, apiVersion);
  const flexible = inRange(layout.flexibleVersions, apiVersion);
  const w = new Writer(1024);
  w.int32(0);
  const header = {
    requestApiKey: apiKey,
    requestApiVersion: apiVersion,
    correlationId,
    clientId,
    unknownTaggedFields: headerTaggedFields,
  };
  encodeStruct(w, header, REQUEST_HEADER_FIELDS, flexible ? 2 : 1, flexible);
  encodeStruct(w, body as unknown as Record<string, unknown>, layout.request, apiVersion, flexible);
  return finishFrame(w);
}

export interface DecodedResponse<K extends ApiKey = ApiKey> {
  correlationId: number;
  body: ResponseBody<K>;
  headerTaggedFields?: UnknownTaggedField[];
}

/** Decodes a response frame (without its size prefix) of a request sent with (apiKey, apiVersion). */
export function decodeResponse<K extends ApiKey>(
  apiKey: K,
  apiVersion: number,
  frame: Buffer,
): DecodedResponse<K> {
  const s = checkVersion(apiKey, apiVersion);
  const layout = layoutAt(s, apiVersion);
  const flexible = inRange(layout.flexibleVersions, apiVersion);
  const r = new Reader(frame);
  let correlationId: number;
  let headerTaggedFields: UnknownTaggedField[] | undefined;
  let body: unknown;
  try {
    correlationId = r.int32();
    if (responseHeaderVersion(apiKey, apiVersion) === 1) {
      const h = decodeStruct(r, [], 0, true);
      headerTaggedFields = h.unknownTaggedFields as UnknownTaggedField[] | undefined;
    }
    body = decodeStruct(r, layout.response, apiVersion, flexible);
  } catch (e) {
    throw described(e, `${s.name} v${apiVersion} response`);
  }
  if (r.remaining !== 0)
    throw new KafkaDecodeError(`${s.name} v${apiVersion} response has ${r.remaining} trailing bytes`);
  return {
    correlationId,
    body: body as ResponseBody<K>,
    ...(headerTaggedFields ? { headerTaggedFields } : {}),
  };
}

/** Encodes a complete response frame, size prefix included. */
export function encodeResponse<K extends ApiKey>(
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  body: ResponseBody<K>,
  headerTaggedFields?: UnknownTaggedField[],
): Buffer {
  const s = checkVersion(apiKey, apiVersion);
  const layout = layoutAt(s, apiVersion);
  const flexible = inRange(layout.flexibleVersions, apiVersion);
  const w = new Writer(1024);
  w.int32(0);
  w.int32(correlationId);
  if (responseHeaderVersion(apiKey, apiVersion) === 1)
    encodeStruct(w, { unknownTaggedFields: headerTaggedFields }, [], 0, true);
  encodeStruct(w, body as unknown as Record<string, unknown>, layout.response, apiVersion, flexible);
  return finishFrame(w);
}

function finishFrame(w: Writer): Buffer {
  const out = w.result();
  out.writeInt32BE(out.length - 4, 0);
  return out;
}
