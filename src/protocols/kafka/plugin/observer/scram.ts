// The client side of SCRAM (RFC 5802, SHA-256/512, no channel binding) for the observer's connections.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";

export type ScramHash = "sha256" | "sha512";

/** SCRAM's saslname: ',' and '=' escaped. */
const saslName = (s: string) => s.replace(/=/g, "=3D").replace(/,/g, "=2C");

function attributes(message: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of message.split(",")) {
    const i = part.indexOf("=");
    if (i > 0) m.set(part.slice(0, i), part.slice(i + 1));
  }
  return m;
}

export class ScramClient {
  private readonly firstBare: string;
  private serverSignature: Buffer | undefined;

  constructor(
    private readonly hash: ScramHash,
    username: string,
    private readonly password: string,
    /** The client nonce; fixed only by tests (RFC 7677's vector). */
    private readonly nonce = randomBytes(24).toString("base64url"),
  ) {
    this.firstBare = `n=${saslName(username)},r=${this.nonce}`;
  }

  first(): Buffer {
    return Buffer.from(`n,,${this.firstBare}`);
  }

  /** The client-final message answering the server-first one; throws on a malformed or forged reply. */
  final(serverFirst: Buffer): Buffer {
    const text = serverFirst.toString();
    const a = attributes(text);
    const nonce = a.get("r");
    const salt = a.get("s");
    const iterations = Number(a.get("i"));
    if (a.has("e")) throw new Error(`SCRAM: the broker refused: ${a.get("e")}`);
    if (!nonce?.startsWith(this.nonce) || !salt || !Number.isInteger(iterations) || iterations < 1)
      throw new Error(`SCRAM: malformed server-first message ${JSON.stringify(text)}`);
    const keyLength = this.hash === "sha256" ? 32 : 64;
    const salted = pbkdf2Sync(this.password, Buffer.from(salt, "base64"), iterations, keyLength, this.hash);
    const hmac = (key: Buffer, data: string) => createHmac(this.hash, key).update(data).digest();
    const clientKey = hmac(salted, "Client Key");
    const storedKey = createHash(this.hash).update(clientKey).digest();
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.firstBare},${text},${withoutProof}`;
    const signature = hmac(storedKey, authMessage);
    const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
    this.serverSignature = hmac(hmac(salted, "Server Key"), authMessage);
    return Buffer.from(`${withoutProof},p=${proof.toString("base64")}`);
  }

  /** Checks the server-final message: the broker proves it knows the password too. */
  verify(serverFinal: Buffer): void {
    const a = attributes(serverFinal.toString());
    if (a.has("e")) throw new Error(`SCRAM: the broker refused: ${a.get("e")}`);
    const v = Buffer.from(a.get("v") ?? "", "base64");
    if (
      !this.serverSignature ||
      v.length !== this.serverSignature.length ||
      !timingSafeEqual(v, this.serverSignature)
    )
      throw new Error("SCRAM: the broker's signature does not match");
  }
}
