// Output contract of the order services, relied on by Faultbox stdout decoders and by the tests:
// stdout carries only JSON lines, one per business event, each with an "event" field
// (e.g. {"event":"processed","order_id":"o-1",...}); diagnostics go to stderr, also as JSON lines.

export type Fields = Record<string, unknown>;

let serviceName = "orders";

export function setServiceName(name: string): void {
  serviceName = name;
}

/** A business event a spec may observe (stdout). */
export function emit(event: string, fields: Fields = {}): void {
  process.stdout.write(JSON.stringify({ event, service: serviceName, ...fields }) + "\n");
}

/** A diagnostic for humans (stderr). */
export function warn(message: string, fields: Fields = {}): void {
  process.stderr.write(
    JSON.stringify({
      level: "warn",
      service: serviceName,
      message,
      ...fields,
      ts: new Date().toISOString(),
    }) + "\n",
  );
}

export function errorText(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) {
    return err.errors.map(errorText).join("; ");
  }
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
