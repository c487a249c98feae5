/**
 * Kafka wire codec.
 *
 * Frames: a frame is `int32 size` + header + body. Decoders take the frame WITHOUT its size prefix
 * (what `FrameReader` yields); encoders return a complete frame WITH its size prefix, ready to write.
 *
 * Requests
 *   peekRequestHeader(frame) -> RequestHeader          fixed fields of any API/version (no schema needed)
 *   decodeRequest(frame) -> DecodedRequest            { apiKey, apiVersion, header, body }, discriminated
 *                                                     by apiKey so `if (r.apiKey === API_KEYS.Produce)`
 *                                                     narrows `r.body` to ProduceRequest
 *   encodeRequest(apiKey, version, correlationId, clientId, body) -> Buffer
 * Responses (the header carries no api key: the caller remembers what it asked)
 *   decodeResponse(apiKey, version, frame) -> { correlationId, body }
 *   encodeResponse(apiKey, version, correlationId, body) -> Buffer
 * Versions
 *   supportedVersions(apiKey), isSupported(apiKey, v), isFlexible(apiKey, v),
 *   requestHeaderVersion / responseHeaderVersion (ApiVersions responses always use header v0)
 * Record batches v2
 *   splitBatches(records), readBatchHeader(batch), readRecords(batch, { maxDecompressedBytes }),
 *   rewriteProducerFields(batch, f), encodeRecordBatch(records, opts), crc32c(bytes), batchCrcValid(batch)
 * Compression (compression/): decompressRecords(codec, payload, maxBytes) for gzip, snappy (raw and
 *   xerial), lz4 and zstd behind a size guard (default 64 MiB); failures throw DecompressionError
 * Errors
 *   KAFKA_ERRORS, kafkaErrorCode(name), kafkaErrorName(code); malformed input throws KafkaDecodeError
 *   whose message names the API, version and field path.
 *
 * Representation: int64 -> bigint, uuid -> Kafka's 22-character base64url text (as the Kafka tools
 * print it), bytes/records -> Buffer views into the frame, nullable -> `| null`. Fields absent in a
 * version are left undefined when decoding and take Kafka's default when encoding. Tagged fields the
 * codec does not know are kept in `unknownTaggedFields` and written back unchanged.
 *
 * Bodies are typed by generated interfaces (generated/types.ts, `ApiMessages[apiKey]`), produced with
 * the field tables (generated/schemas.ts) by scripts/kafka-codegen/generate.mjs from Apache Kafka's
 * JSON message definitions; struct-codec.ts interprets those tables for every version.
 */
export { KafkaDecodeError, Reader, Writer } from "./buffers.js";
export { crc32c } from "./crc32c.js";
export * from "./errors.js";
export {
  FRAME_HEAD_BYTES,
  FrameReader,
  FrameSplitter,
  MAX_FRAME_BYTES,
  STREAM_ABOVE_BYTES,
  withSizePrefix,
  type FrameEvent,
} from "./frames.js";
export * from "./skim.js";
export {
  apiSchema,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  isFlexible,
  isSupported,
  peekRequestHeader,
  requestHeaderVersion,
  responseHeaderVersion,
  supportedVersions,
  type DecodedRequest,
  type DecodedResponse,
  type RequestBody,
  type RequestHeader,
  type ResponseBody,
} from "./messages.js";
export * from "./record-batch.js";
export {
  decodeTaggedSection,
  defaultStruct,
  encodeTaggedSection,
  uuidToBytes,
  uuidToString,
  ZERO_UUID,
} from "./struct-codec.js";
export { API_KEYS, type ApiKey, type ApiMessages } from "./generated/types.js";
export type * from "./generated/types.js";
export type { ApiSchema, FieldSchema, UnknownTaggedField } from "./schema.js";
