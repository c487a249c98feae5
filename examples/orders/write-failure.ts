// How a failed order write is answered: the client learns whether to fix the request or retry.
import type { Reply } from "./http.js";
import { errorText } from "./log.js";

function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

export function orderWriteFailure(err: unknown, orderId: string): Reply {
  const detail = errorText(err);
  switch (sqlState(err)) {
    case "23505":
      return { status: 409, body: { error: "order already exists", order_id: orderId, detail } };
    case "23514":
      return {
        status: 422,
        body: { error: "order rejected by a database constraint", order_id: orderId, detail },
      };
    default:
      return { status: 500, body: { error: "database write failed", order_id: orderId, detail } };
  }
}
