// The small subset of POSIX ustar that bundles need: regular files with a mode, written and read by
// us. A reader of a bundle someone sent must never write outside the folder it extracts to, so it
// accepts regular files only (no links, devices or absolute paths) and refuses any path with `..`.

export interface TarEntry {
  /** Relative path with `/` separators. */
  path: string;
  data: Buffer;
  /** Permission bits, e.g. 0o644 or 0o755. */
  mode: number;
}

const BLOCK = 512;

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, "0") + "\0";
}

/** Splits a path into ustar's name (100 bytes) and prefix (155 bytes) at a `/`. */
function splitPath(path: string): { name: string; prefix: string } {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: "" };
  for (let i = path.lastIndexOf("/"); i > 0; i = path.lastIndexOf("/", i - 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(name) <= 100 && Buffer.byteLength(prefix) <= 155) return { name, prefix };
  }
  throw new Error(`path too long for a bundle (ustar keeps 255 bytes): ${path}`);
}

function header(e: TarEntry, mtime: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  const { name, prefix } = splitPath(e.path);
  h.write(name, 0, 100);
  h.write(octal(e.mode & 0o7777, 8), 100);
  h.write(octal(0, 8), 108); // uid
  h.write(octal(0, 8), 116); // gid
  h.write(octal(e.data.length, 12), 124);
  h.write(octal(mtime, 12), 136);
  h.write("        ", 148); // checksum placeholder: eight spaces
  h.write("0", 156); // regular file
  h.write("ustar\0", 257);
  h.write("00", 263);
  h.write(prefix, 345, 155);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + " ", 148);
  return h;
}

/** An uncompressed tar archive of the entries (all with the same modification time, seconds). */
export function writeTar(entries: TarEntry[], mtime = Math.floor(Date.now() / 1000)): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    checkPath(e.path);
    parts.push(header(e, mtime), e.data);
    const pad = (BLOCK - (e.data.length % BLOCK)) % BLOCK;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

function checkPath(path: string): void {
  if (
    !path ||
    path.startsWith("/") ||
    path.split("/").some((p) => p === ".." || p === "") ||
    path.includes("\0")
  )
    throw new Error(`unsafe path in archive: ${JSON.stringify(path)}`);
}

function field(h: Buffer, at: number, len: number): string {
  const raw = h.subarray(at, at + len);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? len : end).toString("utf8");
}

/** The regular files of a tar archive; throws on anything else, or on a malformed or unsafe entry. */
export function readTar(tar: Buffer): TarEntry[] {
  const out: TarEntry[] = [];
  let at = 0;
  while (at + BLOCK <= tar.length) {
    const h = tar.subarray(at, at + BLOCK);
    if (h.every((b) => b === 0)) return out;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
    if (parseInt(field(h, 148, 8).trim(), 8) !== sum)
      throw new Error(`bad tar header checksum at byte ${at}`);
    const type = String.fromCharCode(h[156]!);
    const name = field(h, 0, 100);
    const prefix = field(h, 345, 155);
    const path = prefix ? `${prefix}/${name}` : name;
    const size = parseInt(field(h, 124, 12).trim() || "0", 8);
    const mode = parseInt(field(h, 100, 8).trim() || "644", 8);
    if (!Number.isSafeInteger(size) || size < 0 || at + BLOCK + size > tar.length)
      throw new Error(`tar entry ${JSON.stringify(path)} is truncated`);
    if (type === "5") {
      at += BLOCK; // a directory: created as files need it
      continue;
    }
    if (type !== "0" && type !== "\0")
      throw new Error(`tar entry ${JSON.stringify(path)} is not a regular file`);
    checkPath(path);
    out.push({ path, data: Buffer.from(tar.subarray(at + BLOCK, at + BLOCK + size)), mode: mode & 0o777 });
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  throw new Error("tar archive ends without its closing blocks");
}
