// The line protocol between the controller and the supervisor (see native/supervisor.c).
import { createHash } from "node:crypto";
import type { SyscallFault } from "./faults.js";

/** Percent-encodes a text field so it holds no space, newline or other control byte. */
export function encodeField(text: string): string {
  return encodeURIComponent(text);
}

/** Decodes a field the supervisor percent-encoded byte by byte (paths need not be UTF-8). */
export function decodeField(field: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < field.length; i++) {
    if (field[i] === "%" && /^[0-9A-Fa-f]{2}$/.test(field.slice(i + 1, i + 3))) {
      bytes.push(parseInt(field.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(field[i]!, "utf8"));
  }
  return Buffer.from(bytes).toString("utf8");
}

/** Each rule draws from its own generator, seeded from the run seed and its place in the set, so
 * setting the same rules again with the same seed repeats the same firing pattern. */
export function ruleSeed(runSeed: bigint, index: number): bigint {
  const digest = createHash("sha256").update(`${runSeed}:${index}`).digest();
  return digest.readBigUInt64BE(0);
}

/** A path glob is matched against absolute paths; a relative one matches at any depth. */
export function absoluteGlob(glob: string): string {
  return glob.startsWith("/") || glob.startsWith("*") ? glob : `**/${glob}`;
}

export function ruleLine(
  id: number,
  syscalls: readonly string[],
  fault: SyscallFault,
  glob: string | undefined,
  seed: bigint,
): string {
  const arg =
    fault.kind === "deny"
      ? fault.errno!
      : fault.kind === "delay"
        ? String(Math.round(fault.delayMs! * 1e6))
        : "-";
  const fields = [
    "rule",
    String(id),
    syscalls.join(","),
    fault.kind,
    arg,
    String(fault.probability),
    String(fault.maxFires ?? 0),
    seed.toString(),
    glob === undefined ? "-" : encodeField(absoluteGlob(glob)),
  ];
  return fields.join(" ");
}
