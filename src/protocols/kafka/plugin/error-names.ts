// Kafka error names for error(code=...): resolving a name or number, and "did you mean" suggestions
// for a misspelt name (the spec author sees the valid names closest to what was written).
import { distance as editDistance } from "../../../util/spell.js";
import { KAFKA_ERRORS, kafkaErrorCode } from "../wire/errors.js";

const NAMES = Object.keys(KAFKA_ERRORS).filter((n) => n !== "NONE");

/**
 * The `count` error names closest to `written`: names containing it (or contained in it) first, then by
 * edit distance to the whole name or, one more, to its start (so "NOT_LEADR" finds NOT_LEADER_OR_FOLLOWER
 * before the shorter NOT_CONTROLLER).
 */
export function closestKafkaErrorNames(written: string, count = 3): string[] {
  const w = written.toUpperCase().replace(/[\s-]+/g, "_");
  const toStart = (n: string) =>
    Math.min(...[-1, 0, 1].map((d) => editDistance(w, n.slice(0, Math.max(1, w.length + d))))) + 1;
  const score = (n: string) =>
    (n.includes(w) || w.includes(n) ? 0 : 1000) + Math.min(editDistance(w, n), toStart(n));
  return [...NAMES].sort((a, b) => score(a) - score(b) || a.localeCompare(b)).slice(0, count);
}

/** A Kafka error code from a name (any case) or a number; throws naming the closest valid names. */
export function resolveKafkaError(code: string | number, where: string): number {
  if (typeof code === "number") {
    if (!Number.isInteger(code)) throw new Error(`${where}: code= must be an integer or a Kafka error name`);
    return code;
  }
  if (/^-?\d+$/.test(code.trim())) return Number(code.trim());
  try {
    return kafkaErrorCode(code);
  } catch {
    const near = closestKafkaErrorNames(code);
    throw new Error(
      `${where}: unknown Kafka error ${JSON.stringify(code)}; did you mean ${near.join(", ")}? (Kafka error names as in Kafka's Errors enum, or a number)`,
    );
  }
}
