// What every step returns. A failed step (connection refused, SQL error) is ok=false; it never throws.
export interface Response {
  ok: boolean;
  error: string;
  /** HTTP status; 0 for other protocols or when no response arrived. */
  status: number;
  body: string;
  /**
   * JSON-decoded body (or protocol-specific data such as rows); the body string when not JSON. A failed
   * step (ok=false) has none: null, never an empty string that reads like an empty result.
   */
  data: unknown;
  duration_ms: number;
  /** The step that produced it, as the spec wrote it: `db.main.query` (for messages). */
  step?: string;
}

export function decodeBody(body: string): unknown {
  if (body === "") return body;
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}
