// A raw Kafka client for proxy unit tests: sends frames as given, collects response frames.
import { connect, type Socket } from "node:net";
import { FrameReader } from "../../src/protocols/kafka/wire/index.js";

export interface RawClient {
  socket: Socket;
  responses: Buffer[];
  closed: Promise<void>;
  send(frame: Buffer): void;
  /** Resolves once at least n responses arrived (rejects if the connection closes first). */
  waitFor(n: number, timeoutMs?: number): Promise<Buffer[]>;
}

export async function rawClient(address: string): Promise<RawClient> {
  const [host, port] = [
    address.slice(0, address.lastIndexOf(":")),
    Number(address.slice(address.lastIndexOf(":") + 1)),
  ];
  const socket = connect({ host, port });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.on("error", () => {});
  const frames = new FrameReader();
  const responses: Buffer[] = [];
  const waiters: (() => void)[] = [];
  socket.on("data", (c) => {
    responses.push(...frames.push(c).map((f) => Buffer.from(f)));
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  return {
    socket,
    responses,
    closed,
    send: (frame) => void socket.write(frame),
    async waitFor(n, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (responses.length < n) {
        if (socket.destroyed)
          throw new Error(`connection closed after ${responses.length} of ${n} responses`);
        if (Date.now() > deadline) throw new Error(`timed out after ${responses.length} of ${n} responses`);
        await Promise.race([
          new Promise<void>((r) => waiters.push(r)),
          closed,
          new Promise((r) => setTimeout(r, 50)),
        ]);
      }
      return responses;
    },
  };
}
