// Fetch v16+ responses carry one broker address field: the top-level tagged field NodeEndpoints
// (KIP-951), which the encoding puts at the very end of the frame, after all records. So a relay can
// skim the response up to its tagged section, letting the records stream by, and rewrite only that
// small tail. When the frame's size prefix has already been sent, the rewritten tail must keep the
// original length: it is padded with an unknown tagged field (which Kafka's clients skip), or, when the
// proxy's addresses are longer than the broker's, the endpoints are left out (clients then learn the new
// leader from a Metadata request, as before KIP-951) and the tail padded to its length.
import {
  API_KEYS,
  KafkaDecodeError,
  Reader,
  Writer,
  apiSchema,
  decodeTaggedSection,
  encodeTaggedSection,
  skimBuffer,
  skimPositional,
  skimTaggedFields,
  type FieldSchema,
  type Skim,
  type SkimBounds,
  type UnknownTaggedField,
} from "../wire/index.js";

/** Maps a broker address to the proxy listener standing in for it (see responses.ts AdvertiseNode). */
type Advertise = (node: string, host: string, port: number) => Promise<{ host: string; port: number }>;

const FETCH_RESPONSE: readonly FieldSchema[] = apiSchema(API_KEYS.Fetch)!.response;

/** Fetch versions whose responses end with the NodeEndpoints tagged field. */
export const fetchHasNodeEndpoints = (version: number): boolean => version >= 16;

/**
 * The walk over a Fetch v16+ response frame (without size prefix) from its correlation id to the start
 * of the body's tagged fields: what follows is the tail.
 */
export function fetchHeadWalk(version: number): (b: SkimBounds) => Skim {
  return function* (b) {
    yield { skip: 4 }; // correlation id
    yield* skimTaggedFields(); // response header v1
    yield* skimPositional(FETCH_RESPONSE, version, true, b);
  };
}

type Body = Record<string, unknown> & {
  nodeEndpoints?: { nodeId: number; host: string; port: number }[];
  unknownTaggedFields?: UnknownTaggedField[];
};

function encodeTail(o: Body, version: number): Buffer {
  const w = new Writer(64);
  encodeTaggedSection(w, o, FETCH_RESPONSE, version);
  return w.result();
}

export interface RewrittenTail {
  tail: Buffer;
  /** Set when the endpoints had to be left out to keep the length. */
  warning?: string;
}

/**
 * The tail (the body's tagged-field section) with node endpoints pointing at the proxy, or null when it
 * names none. With `keepLength`, the result has exactly the original tail's length.
 */
export async function rewriteFetchTail(
  tail: Buffer,
  version: number,
  advertise: Advertise,
  keepLength: boolean,
): Promise<RewrittenTail | null> {
  const r = new Reader(tail);
  const o = decodeTaggedSection(r, FETCH_RESPONSE, version) as Body;
  if (r.remaining !== 0)
    throw new KafkaDecodeError(`Fetch v${version} response has ${r.remaining} trailing bytes`);
  if (!o.nodeEndpoints?.length) return null;
  for (const e of o.nodeEndpoints) Object.assign(e, await advertise(`${e.nodeId}`, e.host, e.port));
  const out = encodeTail(o, version);
  if (!keepLength || out.length === tail.length) return { tail: out };
  let warning: string | undefined;
  if (out.length > tail.length) {
    delete o.nodeEndpoints;
    warning =
      "a streamed Fetch response's node endpoints were left out: the proxy's addresses are longer than the broker's and the frame's size was already sent (the client will refresh its metadata instead)";
  }
  return { tail: padTail(o, version, tail.length), ...(warning ? { warning } : {}) };
}

/** Encodes the tagged section padded to exactly `target` bytes. */
export function padTail(o: Body, version: number, target: number): Buffer {
  const plain = encodeTail(o, version);
  if (plain.length === target) return plain;
  if (plain.length > target) throw new RangeError(`tail of ${plain.length} bytes cannot fit in ${target}`);
  // An unknown tagged field after every known tag: at least 2 bytes (tag, size) plus its data.
  const tags = [...(o.unknownTaggedFields ?? []).map((t) => t.tag), 0];
  const padTag = Math.max(...tags) + 1;
  const known = o.unknownTaggedFields ?? [];
  for (let k = target - plain.length - 2; k >= 0; k--) {
    const padded = encodeTail(
      { ...o, unknownTaggedFields: [...known, { tag: padTag, data: Buffer.alloc(k) }] },
      version,
    );
    if (padded.length === target) return padded;
    if (padded.length < target) return nonMinimalCount(padded, target);
  }
  return nonMinimalCount(plain, target);
}

/** Re-encodes the section's leading field count as a longer (non-minimal) varint to reach `target`. */
function nonMinimalCount(section: Buffer, target: number): Buffer {
  const r = new Reader(section);
  const count = r.uvarint();
  const rest = section.subarray(r.pos);
  const extra = target - section.length;
  if (r.pos + extra > 5) throw new RangeError(`cannot pad a tagged section by ${extra} bytes`);
  const bytes: number[] = [];
  let v = count;
  for (let i = 0; i < r.pos + extra; i++) {
    const last = i === r.pos + extra - 1;
    bytes.push((v & 0x7f) | (last ? 0 : 0x80));
    v >>>= 7;
  }
  return Buffer.concat([Buffer.from(bytes), rest]);
}

/**
 * A whole Fetch v16+ response frame (without size prefix) with its node endpoints rewritten (size prefix
 * included), or null when it names none: the records are skimmed over, never decoded or copied.
 */
export async function rewriteFetchFrame(
  frame: Buffer,
  version: number,
  advertise: Advertise,
): Promise<Buffer | null> {
  const at = skimBuffer(frame, fetchHeadWalk(version));
  const t = await rewriteFetchTail(frame.subarray(at), version, advertise, false);
  if (!t) return null;
  const out = Buffer.allocUnsafe(4 + at + t.tail.length);
  out.writeInt32BE(at + t.tail.length, 0);
  frame.copy(out, 4, 0, at);
  t.tail.copy(out, 4 + at);
  return out;
}
