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
import type { KafkaSaslCredentials } from "../sasl.js";
import { ScramClient } from "./scram.js";

const CLIENT_ID = "faultbox-observer";
/**
 * A broker that stopped answering (paused with SIGSTOP, or cut off) still accepts connections in the
 * kernel; without a bound the observer's drain would wait for it forever.
 */
const REQUEST_TIMEOUT_MS = 15_000;

export class WireConnection {
  private readonly socket: Socket;
  private readonly frames = new FrameReader();
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (f: Buffer) => void; reject: (e: Error) => void }>();
  private closedWith: Error | undefined;
  private onFail: (err: Error) => void = () => undefined;
  readonly ready: Promise<void>;

  constructor(
    readonly address: Address,
    sasl?: KafkaSaslCredentials,
    /** How long a connect or an answer may take before the connection is given up. */
    private readonly timeoutMs = REQUEST_TIMEOUT_MS,
  ) {
    this.socket = connect({ host: address.host, port: address.port });
    this.socket.setNoDelay(true);
    const connected = new Promise<void>((resolve, reject) => {
      this.socket.once("connect", () => resolve());
      this.socket.once("error", reject);
      // A connection given up before it connected (timeout, close) fails whoever waits for it.
      this.onFail = reject;
    });
    this.ready = sasl
      ? connected.then(() =>
          this.authenticate(sasl).catch((e: Error) => {
            const err = new Error(
              `SASL ${sasl.mechanism} authentication of "${sasl.username}" at ${address.host}:${address.port} failed: ${e.message}`,
            );
            this.fail(err);
            throw err;
          }),
        )
      : connected;
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
    this.onFail(this.closedWith);
    for (const p of this.pending.values()) p.reject(this.closedWith);
    this.pending.clear();
    this.socket.destroy();
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /** SaslHandshake v1, then SaslAuthenticate rounds (KIP-152): PLAIN in one, SCRAM in two. */
  private async authenticate(c: KafkaSaslCredentials): Promise<void> {
    const hs = await this.send(API_KEYS.SaslHandshake, 1, { mechanism: c.mechanism });
    if (hs.errorCode !== 0)
      throw new Error(
        `the broker does not offer ${c.mechanism} (error ${hs.errorCode}; it offers ${hs.mechanisms.join(", ") || "none"})`,
      );
    const round = async (authBytes: Buffer): Promise<Buffer> => {
      const r = await this.send(API_KEYS.SaslAuthenticate, 1, { authBytes });
      if (r.errorCode !== 0) throw new Error(r.errorMessage ?? `error ${r.errorCode}`);
      return r.authBytes;
    };
    if (c.mechanism === "PLAIN") {
      await round(Buffer.from(`\0${c.username}\0${c.password}`));
      return;
    }
    const scram = new ScramClient(
      c.mechanism === "SCRAM-SHA-256" ? "sha256" : "sha512",
      c.username,
      c.password,
    );
    const serverFirst = await round(scram.first());
    scram.verify(await round(scram.final(serverFirst)));
  }

  async request<K extends ApiKey>(
    apiKey: K,
    version: number,
    body: RequestBody<K>,
  ): Promise<ResponseBody<K>> {
    // The connect is bounded too: a stopped broker's full accept queue drops new SYNs, and the
    // kernel retries them for minutes.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.ready,
      new Promise<void>((_, reject) => {
        timer = setTimeout(() => {
          const err = new Error(
            `${this.address.host}:${this.address.port} did not accept the connection within ${this.timeoutMs / 1000} s`,
          );
          this.fail(err);
          reject(err);
        }, this.timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    return this.send(apiKey, version, body);
  }

  private async send<K extends ApiKey>(
    apiKey: K,
    version: number,
    body: RequestBody<K>,
  ): Promise<ResponseBody<K>> {
    if (this.closedWith) throw this.closedWith;
    const id = this.nextId++;
    let timer: NodeJS.Timeout | undefined;
    const frame = await new Promise<Buffer>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.write(encodeRequest(apiKey, version, id, CLIENT_ID, body));
      timer = setTimeout(
        () =>
          this.fail(
            new Error(
              `${this.address.host}:${this.address.port} did not answer within ${this.timeoutMs / 1000} s`,
            ),
          ),
        this.timeoutMs,
      );
    }).finally(() => clearTimeout(timer));
    return decodeResponse(apiKey, version, frame).body;
  }

  close(): void {
    this.fail(new Error("closed"));
  }
}

export { API_KEYS };
