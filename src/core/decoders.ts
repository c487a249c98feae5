// Line decoders for stdout/stderr sources: a line becomes the event's data dict.

export interface Decoder {
  readonly name: string;
  /** Returns the decoded fields, or throws when the line does not fit (the event then carries {raw}). */
  decode(line: string): Record<string, unknown>;
}

export function jsonDecoder(): Decoder {
  return {
    name: "json",
    decode(line) {
      const v: unknown = JSON.parse(line);
      if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error("not a JSON object");
      return v as Record<string, unknown>;
    },
  };
}

/** `k=v k2="quoted value"` pairs; a bare key is `true`. */
export function logfmtDecoder(): Decoder {
  return {
    name: "logfmt",
    decode(line) {
      const out: Record<string, unknown> = {};
      const re = /\s*([^\s=]+)(?:=(?:"((?:[^"\\]|\\.)*)"|(\S*)))?/gy;
      let m: RegExpExecArray | null;
      let end = 0;
      while (end < line.length && (m = re.exec(line)) !== null) {
        if (m[0].length === 0) break;
        end = re.lastIndex;
        const key = m[1]!;
        if (m[2] !== undefined) out[key] = m[2].replace(/\\(.)/g, "$1");
        else if (m[3] !== undefined) out[key] = m[3];
        else out[key] = true;
      }
      if (line.slice(end).trim() !== "" || Object.keys(out).length === 0) throw new Error("not logfmt");
      return out;
    },
  };
}

/** Named groups become fields. Go/RE2 `(?P<name>...)` is accepted as well as JS `(?<name>...)`. */
export function regexDecoder(pattern: string): Decoder {
  let re: RegExp;
  try {
    re = new RegExp(pattern.replace(/\(\?P</g, "(?<"));
  } catch (err) {
    throw new Error(`regex_decoder(): bad pattern ${JSON.stringify(pattern)}: ${(err as Error).message}`);
  }
  return {
    name: "regex",
    decode(line) {
      const m = re.exec(line);
      if (!m) throw new Error("no match");
      return { ...(m.groups ?? {}) };
    },
  };
}

export function decodeLine(line: string, decoder: Decoder | undefined): Record<string, unknown> {
  if (!decoder) return { raw: line };
  try {
    return decoder.decode(line);
  } catch {
    return { raw: line };
  }
}
