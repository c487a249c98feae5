// Splits a TCP byte stream into Kafka frames without copying more than a frame straddling chunks.
import { KafkaDecodeError } from "./buffers.js";

/** The broker's default socket.request.max.bytes; fetch responses may reach it too. */
export const MAX_FRAME_BYTES = 100 * 1024 * 1024;

/** Whole frames only: a FrameSplitter whose frames are never large enough to be handed out in parts. */
export class FrameReader {
  private readonly splitter: FrameSplitter;

  constructor(maxFrameBytes = MAX_FRAME_BYTES) {
    this.splitter = new FrameSplitter(
      maxFrameBytes,
      Math.min(FRAME_HEAD_BYTES, maxFrameBytes),
      maxFrameBytes,
    );
  }

  /** Feeds bytes; returns the complete frames (without size prefix) now available. */
  push(chunk: Buffer): Buffer[] {
    return this.splitter.push(chunk).map((e) => (e as Extract<FrameEvent, { kind: "frame" }>).frame);
  }

  /** Bytes of an incomplete frame still waiting for more data. */
  get pendingBytes(): number {
    return this.splitter.pendingBytes;
  }
}

/**
 * The complete frame, size prefix included, of a frame returned by FrameReader.push, without copying:
 * FrameReader always returns a view whose 4 preceding bytes are the frame's size prefix.
 */
export function withSizePrefix(frame: Buffer): Buffer {
  return Buffer.from(frame.buffer, frame.byteOffset - 4, frame.length + 4);
}

/** Frames above this size are handed out in parts as they arrive (cut-through) rather than whole. */
export const STREAM_ABOVE_BYTES = 1024 * 1024;
/**
 * Bytes of a large frame handed out first, in one piece: enough for any request header plus
 * Produce's transactional id and acks (two int16-length strings), so a relay can decide from them.
 */
export const FRAME_HEAD_BYTES = 128 * 1024;

/**
 * What FrameSplitter hands out. A frame of at most `streamAbove` bytes comes whole; a larger one comes
 * as `start` (its first `headBytes` bytes), then `part`s in arrival order, then `end`. Like FrameReader's
 * frames, `frame` and `head` exclude the size prefix and are views preceded by it (see withSizePrefix).
 */
export type FrameEvent =
  | { kind: "frame"; frame: Buffer }
  | { kind: "start"; size: number; head: Buffer }
  | { kind: "part"; bytes: Buffer }
  | { kind: "end" };

/** Splits a byte stream into frames, handing large frames out in parts so nothing buffers them whole. */
export class FrameSplitter {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes of the current large frame not handed out yet (0: between frames). */
  private remaining = 0;

  constructor(
    private readonly streamAbove = STREAM_ABOVE_BYTES,
    private readonly headBytes = FRAME_HEAD_BYTES,
    private readonly maxFrameBytes = MAX_FRAME_BYTES,
  ) {
    if (headBytes > streamAbove) throw new RangeError("headBytes must not exceed streamAbove");
  }

  push(chunk: Buffer): FrameEvent[] {
    const out: FrameEvent[] = [];
    if (this.remaining > 0) {
      const n = Math.min(this.remaining, chunk.length);
      out.push({ kind: "part", bytes: chunk.subarray(0, n) });
      this.remaining -= n;
      if (this.remaining > 0) return out;
      out.push({ kind: "end" });
      chunk = chunk.subarray(n);
      if (chunk.length === 0) return out;
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= 4) {
      const size = this.peekSize();
      if (size < 0 || size > this.maxFrameBytes) {
        throw new KafkaDecodeError(`frame size ${size} is outside 0..${this.maxFrameBytes}`);
      }
      if (size <= this.streamAbove) {
        if (this.buffered < 4 + size) break;
        out.push({ kind: "frame", frame: this.take(4 + size) });
        continue;
      }
      if (this.buffered < 4 + this.headBytes) break;
      out.push({ kind: "start", size, head: this.take(4 + this.headBytes) });
      let rest = size - this.headBytes;
      while (rest > 0 && this.chunks.length) {
        const c = this.chunks[0]!;
        const n = Math.min(rest, c.length);
        out.push({ kind: "part", bytes: c.subarray(0, n) });
        rest -= n;
        this.buffered -= n;
        if (n === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(n);
      }
      this.remaining = rest;
      if (rest > 0) return out;
      out.push({ kind: "end" });
    }
    return out;
  }

  /** Bytes received and not handed out yet (of a frame not complete, or a large frame's head). */
  get pendingBytes(): number {
    return this.buffered;
  }

  private peekSize(): number {
    this.merge(4);
    return this.chunks[0]!.readInt32BE(0);
  }

  /** Makes the first chunk hold at least n bytes (copying only when a prefix straddles chunks). */
  private merge(n: number): void {
    if (this.chunks[0]!.length >= n) return;
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - filled);
      c.copy(out, filled, 0, k);
      filled += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.chunks.unshift(out);
  }

  /** Removes n bytes (a size prefix and what follows) and returns them without the prefix. */
  private take(n: number): Buffer {
    this.merge(n);
    const first = this.chunks[0]!;
    const out = first.subarray(4, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return out;
  }
}
