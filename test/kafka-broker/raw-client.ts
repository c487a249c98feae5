// A bare Kafka connection for unit tests: sends requests encoded by our codec and decodes the answers,
// so tests can put exact versions and byte-level batches on the wire.
import { connect, type Socket } from "node:net";
import {
  decodeResponse,
  encodeRequest,
  FrameReader,
  type ApiKey,
  type RequestBody,
  type ResponseBody,
} from "../../src/protocols/kafka/wire/index.js";

export class RawClient {
  private readonly frames = new FrameReader();
  private readonly waiting: ((frame: Buffer) => void)[] = [];
  private correlationId = 0;
  closed: Promise<void>;

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      for (const f of this.frames.push(chunk)) this.waiting.shift()?.(f);
    });
    this.closed = new Promise((resolve) => socket.on("close", () => resolve()));
    socket.on("error", () => {});
  }

  static open(hostPort: string): Promise<RawClient> {
    const [host, port] = hostPort.split(":") as [string, string];
    return new Promise((resolve, reject) => {
      const s = connect(Number(port), host, () => resolve(new RawClient(s)));
      s.once("error", reject);
    });
  }

  /** Sends a request and resolves with its decoded response. */
  async call<K extends ApiKey>(apiKey: K, version: number, body: RequestBody<K>): Promise<ResponseBody<K>> {
    const frame = await this.send(apiKey, version, body, true);
    return decodeResponse(apiKey, version, frame!).body;
  }

  /** Sends a request; when `expectResponse`, resolves with the raw response frame. */
  send<K extends ApiKey>(
    apiKey: K,
    version: number,
    body: RequestBody<K>,
    expectResponse: boolean,
  ): Promise<Buffer | null> {
    const id = ++this.correlationId;
    this.socket.write(encodeRequest(apiKey, version, id, "raw-test", body));
    if (!expectResponse) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      this.waiting.push(resolve);
      void this.closed.then(() => reject(new Error(`connection closed before the answer to request ${id}`)));
    });
  }

  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Writes hand-made bytes and resolves with the next response frame. */
  writeRawAndRead(bytes: Buffer): Promise<Buffer> {
    const answer = new Promise<Buffer>((resolve) => this.waiting.push(resolve));
    this.socket.write(bytes);
    return answer;
  }

  close(): void {
    this.socket.destroy();
  }
}
