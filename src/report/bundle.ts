// Bundles (`faultbox test --bundle FILE`, and by default after a run with a failing test): one .tar.gz
// that carries a failure to another machine: the spec and every file it loaded or read (and service
// programs given by a relative path), the seed and the test selection, the JSON result, the normalized
// trace, the environment (versions of faultbox, Node, Kafka) and a replay script. `faultbox replay`
// runs it again and compares.
//
// Layout inside the archive (one top folder, so `tar xzf` makes no mess):
//   faultbox-bundle/manifest.json   what ran: seed, spec path, selection, verdicts, files
//   faultbox-bundle/env.json        versions and platform
//   faultbox-bundle/result.json     the JSON result (--output)
//   faultbox-bundle/trace.norm      the normalized trace (--normalize)
//   faultbox-bundle/replay.sh       re-runs the spec with the same seed and selection
//   faultbox-bundle/spec/...        the files, relative to the folder that holds them all
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from "node:fs";
import { release } from "node:os";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { specFilesRead } from "../core/files.js";
import type { Suite } from "../core/model.js";
import { packageFile } from "../core/package-files.js";
import { canonicalKafkaVersion } from "../launch/kafka-local/versions.js";
import type { JsonDoc } from "./doc.js";
import { shellQuote } from "./replay.js";
import { readTar, writeTar, type TarEntry } from "./tar.js";

export const BUNDLE_FORMAT = "faultbox-bundle";
const TOP = "faultbox-bundle";
/** A service program larger than this is named in the manifest, not carried. */
const MAX_PROGRAM_BYTES = 50 * 1024 * 1024;
/** Bundles kept in the default folder; older ones are removed when a new one is written there. */
export const KEEP_DEFAULT_BUNDLES = 20;

export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  version: 1;
  created_at: string;
  faultbox_version: string;
  seed: string;
  /** The spec inside the bundle, e.g. `spec/examples/orders/faultbox.star`. */
  spec: string;
  /** The spec as it was given on the command line (relative to where faultbox ran). */
  spec_given: string;
  /** `faultbox test` options that shape the run: --test, --runs, --timeout, --shard. */
  options: { test?: string; runs?: number; timeout?: number; shard?: string };
  tests: { name: string; result: string }[];
  summary: { pass: number; fail: number; inconclusive: number };
  files: { path: string; size: number; mode: number; why: string }[];
  /** Programs the spec runs that the bundle does not carry (by name on PATH, absolute, too large). */
  external: { service: string; program: string; why: string }[];
}

export interface BundleEnv {
  faultbox: string;
  node: string;
  platform: string;
  arch: string;
  os_release: string;
  /** The Apache Kafka release a Kafka image runs as when no container engine is reachable. */
  kafka_local_version: string;
  /** Images the spec's services name (the embedded broker is `faultbox/embedded-kafka`). */
  images: { service: string; image: string }[];
  /** FAULTBOX_* settings of the environment (they change how services run). */
  settings: Record<string, string>;
}

export interface Bundle {
  manifest: BundleManifest;
  env: BundleEnv;
  result: JsonDoc;
  normalized: string;
  entries: TarEntry[];
}

function faultboxVersion(): string {
  const pkg = packageFile("package.json");
  return (JSON.parse(readFileSync(pkg, "utf8")) as { version: string }).version;
}

/** The deepest folder holding every path. */
function commonRoot(paths: string[]): string {
  let root = dirname(paths[0]!);
  for (const p of paths) {
    while (relative(root, p).startsWith("..") || isAbsolute(relative(root, p))) {
      const up = dirname(root);
      if (up === root) break;
      root = up;
    }
  }
  return root;
}

function isFile(path: string): { size: number; mode: number } | undefined {
  try {
    const st = statSync(path);
    return st.isFile() ? { size: st.size, mode: st.mode & 0o777 } : undefined;
  } catch {
    return undefined;
  }
}

export interface BundleInput {
  suite: Suite;
  /** The spec path as given on the command line. */
  specGiven: string;
  doc: JsonDoc;
  normalized: string;
  seed: string;
  options: BundleManifest["options"];
}

/** What the bundle carries: the spec, what it loaded and read, service programs given by a relative path. */
function collect(suite: Suite): {
  files: { abs: string; why: string }[];
  external: BundleManifest["external"];
} {
  const files = new Map<string, string>([[resolve(suite.file), "the spec"]]);
  for (const f of specFilesRead()) if (!files.has(f) && isFile(f)) files.set(f, "loaded or read by the spec");
  const external: BundleManifest["external"] = [];
  for (const s of suite.services) {
    if (!s.binary) continue;
    if (!s.binary.includes("/")) {
      external.push({ service: s.name, program: s.binary, why: "found on PATH where it runs" });
      continue;
    }
    if (isAbsolute(s.binary)) {
      external.push({ service: s.name, program: s.binary, why: "an absolute path: must exist there" });
      continue;
    }
    const abs = resolve(s.cwd, s.binary);
    const st = isFile(abs);
    if (!st) external.push({ service: s.name, program: s.binary, why: "not a file here" });
    else if (st.size > MAX_PROGRAM_BYTES)
      external.push({
        service: s.name,
        program: s.binary,
        why: `larger than ${MAX_PROGRAM_BYTES >> 20} MiB`,
      });
    else if (!files.has(abs)) files.set(abs, `program of service "${s.name}"`);
  }
  return { files: [...files].map(([abs, why]) => ({ abs, why })), external };
}

function environment(suite: Suite): BundleEnv {
  return {
    faultbox: faultboxVersion(),
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    os_release: release(),
    kafka_local_version: canonicalKafkaVersion(process.env.FAULTBOX_KAFKA_VERSION || undefined),
    images: suite.services.filter((s) => s.image).map((s) => ({ service: s.name, image: s.image! })),
    settings: Object.fromEntries(
      Object.entries(process.env)
        .filter(([k, v]) => k.startsWith("FAULTBOX_") && !k.startsWith("FAULTBOX_TEST_") && v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : 1)) as [string, string][],
    ),
  };
}

function replayScript(m: BundleManifest): string {
  const args = [
    "--seed",
    m.seed,
    ...(m.options.test !== undefined ? ["--test", m.options.test] : []),
    ...(m.options.runs !== undefined ? ["--runs", String(m.options.runs)] : []),
    ...(m.options.timeout !== undefined ? ["--timeout", String(m.options.timeout)] : []),
    ...(m.options.shard !== undefined ? ["--shard", m.options.shard] : []),
  ];
  return `#!/bin/sh
# Re-runs the bundled spec with the seed and selection it ran with (faultbox ${m.faultbox_version}).
# From the unpacked bundle: sh faultbox-bundle/replay.sh [more faultbox test flags]
# Or without unpacking it: faultbox replay BUNDLE [--test NAME]
# FAULTBOX names the faultbox command when it is not on PATH (e.g. FAULTBOX=/path/to/bin/faultbox.js).
set -e
here=$(cd "$(dirname "$0")" && pwd)
exec \${FAULTBOX:-faultbox} test "$here"/${shellQuote(m.spec)} ${args.map(shellQuote).join(" ")} "$@"
`;
}

/** Writes the bundle; returns the manifest. */
export function writeBundle(path: string, input: BundleInput): BundleManifest {
  const { files, external } = collect(input.suite);
  const root = commonRoot(files.map((f) => f.abs));
  const specRel = relative(root, resolve(input.suite.file)).split(sep).join("/");
  const env = environment(input.suite);
  const entries: TarEntry[] = [];
  const listed: BundleManifest["files"] = [];
  for (const f of files) {
    const rel = "spec/" + relative(root, f.abs).split(sep).join("/");
    const data = readFileSync(f.abs);
    const mode = isFile(f.abs)!.mode;
    entries.push({ path: `${TOP}/${rel}`, data, mode });
    listed.push({ path: rel, size: data.length, mode, why: f.why });
  }
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    version: 1,
    created_at: new Date().toISOString(),
    faultbox_version: env.faultbox,
    seed: input.seed,
    spec: `spec/${specRel}`,
    spec_given: input.specGiven,
    options: input.options,
    tests: input.doc.tests.map((t) => ({ name: t.name, result: t.result })),
    summary: { pass: input.doc.pass, fail: input.doc.fail, inconclusive: input.doc.inconclusive ?? 0 },
    files: listed,
    external,
  };
  const json = (v: unknown) => Buffer.from(JSON.stringify(v, null, 2) + "\n");
  entries.unshift(
    { path: `${TOP}/manifest.json`, data: json(manifest), mode: 0o644 },
    { path: `${TOP}/env.json`, data: json(env), mode: 0o644 },
    { path: `${TOP}/result.json`, data: json(input.doc), mode: 0o644 },
    { path: `${TOP}/trace.norm`, data: Buffer.from(input.normalized), mode: 0o644 },
    { path: `${TOP}/replay.sh`, data: Buffer.from(replayScript(manifest)), mode: 0o755 },
  );
  mkdirSync(dirname(resolve(path)), { recursive: true });
  writeFileSync(path, gzipSync(writeTar(entries)));
  return manifest;
}

/** Reads and checks a bundle; errors say what is wrong with the file. */
export function readBundle(path: string): Bundle {
  let entries: TarEntry[];
  try {
    entries = readTar(gunzipSync(readFileSync(path)));
  } catch (err) {
    throw new Error(`${path} is not a faultbox bundle: ${(err as Error).message}`);
  }
  const get = (name: string) => entries.find((e) => e.path === `${TOP}/${name}`)?.data;
  const parse = <T>(name: string): T => {
    const data = get(name);
    if (!data) throw new Error(`${path} is not a faultbox bundle: it has no ${name}`);
    return JSON.parse(data.toString("utf8")) as T;
  };
  const manifest = parse<BundleManifest>("manifest.json");
  if (manifest.format !== BUNDLE_FORMAT || manifest.version !== 1)
    throw new Error(`${path}: unknown bundle format ${manifest.format} version ${manifest.version}`);
  if (!get(manifest.spec)) throw new Error(`${path}: the bundle does not hold its spec ${manifest.spec}`);
  return {
    manifest,
    env: parse<BundleEnv>("env.json"),
    result: parse<JsonDoc>("result.json"),
    normalized: get("trace.norm")?.toString("utf8") ?? "",
    entries,
  };
}

/** Unpacks the bundle's files under `dir`; returns the spec's path there. */
export function extractBundle(bundle: Bundle, dir: string): string {
  for (const e of bundle.entries) {
    const rel = e.path.slice(TOP.length + 1);
    if (!e.path.startsWith(`${TOP}/`) || !rel) continue;
    const out = join(dir, rel);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, e.data);
    chmodSync(out, e.mode);
  }
  return join(dir, bundle.manifest.spec);
}

/** Where a failing run's bundle goes when --bundle does not say: $FAULTBOX_BUNDLE_DIR or ./.faultbox/bundles. */
export function defaultBundleDir(cwd = process.cwd()): string {
  return resolve(cwd, process.env.FAULTBOX_BUNDLE_DIR || join(".faultbox", "bundles"));
}

export function defaultBundleName(seed: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\..*/, "").replace("T", "-");
  return `run-${stamp}-${seed}.tar.gz`;
}

/**
 * How many bundles the default folder keeps: $FAULTBOX_KEEP_BUNDLES (a positive integer) or 20. A value
 * that is not one is an error naming the variable (faultbox test checks it before the run starts).
 */
export function keptBundles(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.FAULTBOX_KEEP_BUNDLES;
  if (text === undefined || text === "") return KEEP_DEFAULT_BUNDLES;
  if (!/^[1-9]\d*$/.test(text.trim()))
    throw new Error(
      `FAULTBOX_KEEP_BUNDLES must be a positive integer (how many bundles the default folder keeps), got "${text}"`,
    );
  return Number(text.trim());
}

/** Keeps the newest `keep` bundles of a default folder (by name: they start with their time). */
export function pruneBundles(dir: string, keep = keptBundles()): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /^run-\d{8}-\d{6}-\d+(-\d+)?\.tar\.gz$/.test(n));
  } catch {
    return [];
  }
  const old = names.sort().slice(0, Math.max(0, names.length - keep));
  for (const n of old) rmSync(join(dir, n), { force: true });
  return old;
}
