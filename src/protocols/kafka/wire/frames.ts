// Splits a TCP byte stream into Kafka frames without copying more than a frame straddling chunks.
import { KafkaDecodeError } from "./buffers.js";

/** The broker's default socket.request.max.bytes; fetch responses may reach it too. */
export const MAX_FRAME_BYTES = 100 * 1024 * 1024;

export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxFrameBytes = MAX_FRAME_BYTES) {}

  /** Feeds bytes; returns the complete frames (without size prefix) now available. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Buffer[] = [];
    while (this.buffered >= 4) {
      const size = this.peekSize();
      if (size < 0 || size > this.maxFrameBytes) {
        throw new KafkaDecodeError(`frame size ${size} is outside 0..${this.maxFrameBytes}`);
      }
      if (this.buffered < 4 + size) break;
      frames.push(this.take(4 + size).subarray(4));
    }
    return frames;
  }

  /** Bytes of an incomplete frame still waiting for more data. */
  get pendingBytes(): number {
    return this.buffered;
  }

  private peekSize(): number {
    const first = this.chunks[0]!;
    if (first.length >= 4) return first.readInt32BE(0);
    return this.take(4, true).readInt32BE(0);
  }

  /** Removes n bytes from the front (or only merges them in front when peeking). */
  private take(n: number, peek = false): Buffer {
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (!peek) {
        if (first.length === n) this.chunks.shift();
        else this.chunks[0] = first.subarray(n);
      }
    } else {
      out = Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const c = this.chunks[0]!;
        const k = Math.min(c.length, n - filled);
        c.copy(out, filled, 0, k);
        filled += k;
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      }
      if (peek) {
        this.chunks.unshift(out);
        return out;
      }
    }
    if (!peek) this.buffered -= n;
    return out;
  }
}

/**
 * The complete frame, size prefix included, of a frame returned by FrameReader.push, without copying:
 * FrameReader always returns a view whose 4 preceding bytes are the frame's size prefix.
 */
export function withSizePrefix(frame: Buffer): Buffer {
  return Buffer.from(frame.buffer, frame.byteOffset - 4, frame.length + 4);
}
