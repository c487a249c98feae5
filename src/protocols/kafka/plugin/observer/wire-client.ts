// A minimal request/response Kafka connection over our own codec, for the topic observer: it reads the
// broker directly (never through the fault proxy), so it sees exactly what the broker stored.
import { connect, type Socket } from "node:net";
import {
  API_KEYS,
  FrameReader,
  decodeResponse,
  encodeRequest,
  type ApiKey,
  type RequestBody,
  type ResponseBody,
} from "../../wire/index.js";
import type { Address } from "../../../../core/protocol.js";

const CLIENT_ID = "faultbox-observer";

export class WireConnection {
  private readonly socket: Socket;
  private readonly frames = new FrameReader();
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (f: Buffer) => void; reject: (e: Error) => void }>();
  private closedWith: Error | undefined;
  readonly ready: Promise<void>;

  constructor(readonly address: Address) {
    this.socket = connect({ host: address.host, port: address.port });
    this.socket.setNoDelay(true);
    this.ready = new Promise((resolve, reject) => {
      this.socket.once("connect", () => resolve());
      this.socket.once("error", reject);
    });
    this.socket.on("data", (chunk: Buffer) => {
      try {
        for (const frame of this.frames.push(chunk)) {
          const id = frame.readInt32BE(0);
          const p = this.pending.get(id);
          if (!p) continue;
          this.pending.delete(id);
          p.resolve(frame);
        }
      } catch (err) {
        this.fail(err as Error);
      }
    });
    this.socket.on("error", (err) => this.fail(err));
    this.socket.on("close", () =>
      this.fail(new Error(`connection to ${address.host}:${address.port} closed`)),
    );
  }

  private fail(err: Error): void {
    this.closedWith ??= err;
    for (const p of this.pending.values()) p.reject(this.closedWith);
    this.pending.clear();
    this.socket.destroy();
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  async request<K extends ApiKey>(
    apiKey: K,
    version: number,
    body: RequestBody<K>,
  ): Promise<ResponseBody<K>> {
    await this.ready;
    if (this.closedWith) throw this.closedWith;
    const id = this.nextId++;
    const frame = await new Promise<Buffer>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.write(encodeRequest(apiKey, version, id, CLIENT_ID, body));
    });
    return decodeResponse(apiKey, version, frame).body;
  }

  close(): void {
    this.fail(new Error("closed"));
  }
}

export { API_KEYS };
