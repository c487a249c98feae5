// SASL on a proxied connection. SaslHandshake v1 + SaslAuthenticate (KIP-152) are ordinary requests and
// need nothing here. After a successful SaslHandshake v0 (KIP-43, still sent by kafka-python 2.0.2) the
// client and the broker exchange RAW SASL tokens: a 4-byte size, then the token, no Kafka header and no
// correlation id. This tracker tells the connection which client frames are such tokens (relayed as
// they are; the next broker frame is the token answering each), and when the Kafka protocol resumes:
//   PLAIN          one client token, one broker reply (empty on success; the broker closes on failure)
//   SCRAM-SHA-*    client-first → server-first, client-final → server-final
//   anything else  the number of round trips is the mechanism's business (GSSAPI, OAUTHBEARER, ...):
//                  the rest of the connection is relayed frame by frame without being read, so faults,
//                  address rewriting and version capping cannot apply on it (the connection is told why).
import { API_KEYS, KafkaDecodeError, decodeRequest, decodeResponse } from "../wire/index.js";

/** Kafka's default `sasl.server.max.receive.size`: a broker refuses larger tokens, so they are corrupt. */
export const MAX_SASL_TOKEN_BYTES = 524288;

/** Client tokens each mechanism sends after a v0 handshake (one broker reply follows each). */
const CLIENT_TOKENS: Record<string, number> = {
  PLAIN: 1,
  "SCRAM-SHA-256": 2,
  "SCRAM-SHA-512": 2,
};

/** What a frame from the client is. */
export type SaslClientFrame =
  /** a Kafka request: parse it */
  | "request"
  /** a raw SASL token: relay it; the broker's next frame is the raw token answering it */
  | "token"
  /** the connection is an opaque relay: forward unread, and relay the broker's frames as they come */
  | "opaque";

type State =
  | { phase: "kafka" }
  | { phase: "tokens"; mechanism: string; clientTokensLeft: number }
  | { phase: "opaque"; mechanism: string };

export class SaslV0Tracker {
  private state: State = { phase: "kafka" };
  /** Mechanism of a SaslHandshake v0 sent upstream whose response has not arrived. */
  private pendingMechanism: string | undefined;

  constructor(private readonly maxTokenBytes = MAX_SASL_TOKEN_BYTES) {}

  /** True once the connection is relayed unread (an unfollowable mechanism after a v0 handshake). */
  get opaque(): boolean {
    return this.state.phase === "opaque";
  }

  /** The mechanism whose raw tokens are being relayed, if any. */
  get mechanism(): string | undefined {
    return this.state.phase === "kafka" ? undefined : this.state.mechanism;
  }

  /**
   * Classifies the client's next frame (without size prefix). Throws a KafkaDecodeError for a raw
   * token larger than any broker accepts, which can only be a corrupt stream.
   */
  clientFrame(frame: Buffer): SaslClientFrame {
    const s = this.state;
    if (s.phase === "kafka") return "request";
    if (s.phase === "opaque") return "opaque";
    if (frame.length > this.maxTokenBytes)
      throw new KafkaDecodeError(
        `raw ${s.mechanism} SASL token of ${frame.length} bytes after a SaslHandshake v0 exceeds ${this.maxTokenBytes} bytes (the broker's sasl.server.max.receive.size default): the stream is corrupt`,
      );
    if (--s.clientTokensLeft === 0) this.state = { phase: "kafka" };
    return "token";
  }

  /** Notes a client's SaslHandshake request (frame without size prefix) before it is forwarded. */
  handshakeRequested(frame: Buffer): void {
    const req = decodeRequest(frame);
    if (req.apiKey !== API_KEYS.SaslHandshake) return;
    this.pendingMechanism = req.apiVersion === 0 ? req.body.mechanism : undefined;
  }

  /**
   * The broker's response to a SaslHandshake v0 (frame without size prefix), seen before the client
   * gets it. On success the raw token exchange starts; returns a warning when the connection becomes
   * an opaque relay.
   */
  handshakeAnswered(frame: Buffer): string | undefined {
    const mechanism = this.pendingMechanism;
    this.pendingMechanism = undefined;
    if (mechanism === undefined) return undefined;
    const r = decodeResponse(API_KEYS.SaslHandshake, 0, frame);
    if (r.body.errorCode !== 0) return undefined; // the client gives up or tries another handshake
    const tokens = CLIENT_TOKENS[mechanism];
    if (tokens !== undefined) {
      this.state = { phase: "tokens", mechanism, clientTokensLeft: tokens };
      return undefined;
    }
    this.state = { phase: "opaque", mechanism };
    return `SASL mechanism ${mechanism} after a SaslHandshake v0 exchanges raw tokens the proxy cannot follow: the rest of this connection is relayed unread, so fault rules, broker address rewriting and version capping do not apply to it (clients using SaslHandshake v1 with SaslAuthenticate are not affected)`;
  }
}
