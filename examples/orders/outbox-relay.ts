// Correct mode's publisher. It sends every outbox record that is not yet known to be processed and
// keeps re-sending it, every resendAfterMs, until the consumer's `processed` row for that order
// appears. Why end to end: a broker ack does not prove the record is readable (a proxy `drop` acks
// and discards, a broker can lose an acked record on an unclean failover), so the only proof of
// delivery is the effect itself. Re-sends are safe because the consumer deduplicates by order id.
import type pg from "pg";
import type { Producer } from "kafkajs";
import { emit, errorText, warn } from "./log.js";

export interface OutboxRelayOptions {
  pool: pg.Pool;
  producer: Producer;
  topic: string;
  intervalMs: number;
  resendAfterMs: number;
}

export interface OutboxRelay {
  /** Run a pass now (a new order was committed) instead of at the next interval. */
  wake(): void;
  /** Finishes the pass under way, then stops. */
  stop(): Promise<void>;
}

const BATCH = 100;
const MAX_FAILURE_BACKOFF_MS = 2_000;

// Orders whose effect the consumer committed need no more sends.
const CONFIRM_PROCESSED = `
UPDATE outbox o SET confirmed_at = now()
  FROM processed p
 WHERE o.confirmed_at IS NULL AND p.order_id = o.order_id`;

const DUE_FOR_SENDING = `
SELECT seq, order_id, payload, attempts FROM outbox
 WHERE confirmed_at IS NULL
   AND (last_sent_at IS NULL OR last_sent_at < now() - $1 * interval '1 millisecond')
 ORDER BY seq LIMIT ${BATCH}`;

const MARK_SENT = `UPDATE outbox SET attempts = attempts + 1, last_sent_at = now() WHERE seq = ANY($1::bigint[])`;

interface DueRow {
  seq: string;
  order_id: string;
  payload: string;
  attempts: number;
}

/** One pass; returns false when publishing failed (the records stay due). */
async function relayOnce(o: OutboxRelayOptions): Promise<boolean> {
  await o.pool.query(CONFIRM_PROCESSED);
  const due = (await o.pool.query<DueRow>(DUE_FOR_SENDING, [o.resendAfterMs])).rows;
  if (due.length === 0) return true;
  try {
    await o.producer.send({
      topic: o.topic,
      messages: due.map((r) => ({ key: r.order_id, value: r.payload })),
    });
  } catch (err) {
    emit("publish_failed", { order_ids: due.map((r) => r.order_id), error: errorText(err) });
    return false;
  }
  // If this update fails the records are sent again next pass: a duplicate the consumer absorbs.
  await o.pool.query(MARK_SENT, [due.map((r) => r.seq)]);
  for (const r of due) emit("published", { order_id: r.order_id, attempt: r.attempts + 1 });
  return true;
}

export function startOutboxRelay(o: OutboxRelayOptions): OutboxRelay {
  let stopped = false;
  let wakeNow: (() => void) | undefined;
  let wakeRequested = false;
  let failures = 0;

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      if (wakeRequested) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeNow = undefined;
        resolve();
      }
      wakeNow = done;
    });

  const loop = (async () => {
    while (!stopped) {
      wakeRequested = false;
      let ok = false;
      try {
        ok = await relayOnce(o);
      } catch (err) {
        warn("outbox relay pass failed", { error: errorText(err) });
      }
      failures = ok ? 0 : failures + 1;
      if (stopped) break;
      await pause(ok ? o.intervalMs : Math.min(o.intervalMs * 2 ** failures, MAX_FAILURE_BACKOFF_MS));
    }
  })();

  return {
    wake() {
      wakeRequested = true;
      wakeNow?.();
    },
    async stop() {
      stopped = true;
      wakeNow?.();
      await loop;
    },
  };
}
