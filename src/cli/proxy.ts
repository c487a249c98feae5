// `faultbox proxy`: protocol proxies in front of upstreams named on the command line or in a config
// file, and the HTTP control API that adds and removes their rules (src/control/). Runs in the
// foreground, logs one line per connection, fault and rule change (human or JSON lines), and stops
// cleanly on SIGINT/SIGTERM. Imports only the proxy side of faultbox: no engine, Starlark or kafkajs.
import { readFileSync } from "node:fs";
import { extname } from "node:path";
import type { Address } from "../core/protocol.js";
import { randomSeed } from "../core/random.js";
import { registerProxyProtocols, PROXY_PROTOCOLS } from "../control/protocols.js";
import { startControlServer, type ControlServer } from "../control/server.js";
import { ProxySession, type ControlAction, type ControlEvent, type ProxySpec } from "../control/session.js";

export const PROXY_USAGE = `Usage: faultbox proxy [--kafka NAME=HOST:PORT[,listen=[HOST:]PORT]]... [--tcp ...] [--http ...]
                      [--postgres ...] [--config FILE] [--control [HOST:]PORT] [--token TOKEN]
                      [--seed N] [--log human|json] [--event-buffer N]

Runs fault proxies in front of the named upstreams and a control API (JSON over HTTP) to add and
remove their rules. Clients connect to the proxy's listen address instead of the upstream.

  --kafka NAME=HOST:PORT    a Kafka proxy named NAME in front of the broker (bootstrap) at HOST:PORT;
                            ,listen=PORT or ,listen=HOST:PORT fixes where it listens (default: a free
                            port on 127.0.0.1, printed at start and listed by GET /proxies)
  --tcp, --http, --postgres the same for TCP, HTTP and PostgreSQL upstreams (repeatable, like --kafka)
  --config FILE             proxies and settings from a JSON or YAML file (see docs/proxy.md)
  --control [HOST:]PORT     where the control API listens (default 127.0.0.1:8475; port 0: any free)
  --token TOKEN             require "Authorization: Bearer TOKEN" on every control call (also read from
                            FAULTBOX_PROXY_TOKEN); required when --control is not a loopback address
  --seed N                  seed of the probabilistic rules (default: random, printed at start)
  --log human|json          one line per connection, fault and rule change; json: one JSON object a line
  --event-buffer N          events kept for GET /events (default 10000; older ones are dropped)

Control API: GET /proxies, POST /proxies/NAME/rules {"action": "drop", "topic": "orders"},
DELETE /proxies/NAME/rules/ID, POST /reset, GET /events, GET /events/stream, GET /seed
(docs/proxy.md; OpenAPI document at GET /openapi.json).`;

class UsageError extends Error {}

const DEFAULT_CONTROL = "127.0.0.1:8475";
const FLAGS_WITH_VALUE = ["config", "control", "token", "seed", "log", "event-buffer"];

interface Settings {
  proxies: ProxySpec[];
  control: Address;
  token?: string;
  seed: bigint;
  log: "human" | "json";
  eventBuffer?: number;
}

/** "host:port", "[v6]:port" or (when `defaultHost` is given) a bare port. */
function parseAddress(text: string, what: string, defaultHost?: string): Address {
  const t = text.trim();
  let host: string | undefined;
  let port: string;
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(t);
  if (v6) [host, port] = [v6[1]!, v6[2]!];
  else if (/^\d+$/.test(t) && defaultHost !== undefined) [host, port] = [defaultHost, t];
  else {
    const i = t.lastIndexOf(":");
    if (i <= 0 || t.indexOf(":") !== i) throw new UsageError(`${what}: expected HOST:PORT, got "${text}"`);
    [host, port] = [t.slice(0, i), t.slice(i + 1)];
  }
  const n = Number(port);
  if (!/^\d+$/.test(port) || n > 65535 || (n === 0 && defaultHost === undefined))
    throw new UsageError(`${what}: bad port "${port}" in "${text}"`);
  return { host: host!, port: n };
}

const isLoopback = (host: string) =>
  host === "localhost" || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host);
const isWildcard = (host: string) => host === "0.0.0.0" || host === "::" || host === "";

/** NAME=HOST:PORT[,listen=[HOST:]PORT] of --kafka and friends. */
function parseProxyFlag(protocol: string, text: string): ProxySpec {
  const where = `--${protocol} ${text}`;
  const eq = text.indexOf("=");
  if (eq <= 0)
    throw new UsageError(`${where}: expected NAME=HOST:PORT (e.g. --${protocol} ${protocol}=127.0.0.1:9092)`);
  const name = text.slice(0, eq);
  const [upstream, ...options] = text.slice(eq + 1).split(",");
  let listen: Address = { host: "127.0.0.1", port: 0 };
  for (const o of options) {
    const [k, v] = o.split("=", 2);
    if (k !== "listen" || v === undefined)
      throw new UsageError(`${where}: unknown option "${o}"; valid: listen=[HOST:]PORT`);
    listen = parseAddress(v, `${where}: listen=`, "127.0.0.1");
  }
  return checkSpec(
    { name, protocol, upstream: parseAddress(upstream ?? "", `${where}: upstream`), listen },
    where,
  );
}

function checkSpec(spec: ProxySpec, where: string): ProxySpec {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(spec.name))
    throw new UsageError(`${where}: a proxy name is letters, digits, "_", "." and "-" (got "${spec.name}")`);
  if (!PROXY_PROTOCOLS.includes(spec.protocol))
    throw new UsageError(
      `${where}: unknown protocol "${spec.protocol}"; valid: ${PROXY_PROTOCOLS.join(", ")}`,
    );
  // Kafka clients connect to the broker addresses the proxy advertises, which are its listen host.
  if (spec.protocol === "kafka" && isWildcard(spec.listen.host))
    throw new UsageError(
      `${where}: a Kafka proxy advertises its listen address to clients, so it needs one they can reach (listen=10.0.0.5:19092), not ${spec.listen.host || "an empty host"}`,
    );
  return spec;
}

const CONFIG_KEYS = ["control", "seed", "log", "event_buffer", "proxies"];
const PROXY_KEYS = ["name", "protocol", "upstream", "listen", "rules"];

async function readConfig(file: string): Promise<Partial<Settings> & { proxies: ProxySpec[] }> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(
      `--config ${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`,
    );
  }
  let data: unknown;
  try {
    if ([".yaml", ".yml"].includes(extname(file).toLowerCase())) data = (await import("yaml")).parse(text);
    else data = JSON.parse(text);
  } catch (err) {
    throw new UsageError(
      `${file}: not valid ${/\.ya?ml$/i.test(file) ? "YAML" : "JSON"}: ${(err as Error).message}`,
    );
  }
  if (data === null || typeof data !== "object" || Array.isArray(data))
    throw new UsageError(
      `${file}: expected an object with "proxies" (and optionally ${CONFIG_KEYS.filter((k) => k !== "proxies").join(", ")})`,
    );
  const o = data as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (k === "token")
      throw new UsageError(
        `${file}: a token does not belong in a file; pass --token or set FAULTBOX_PROXY_TOKEN`,
      );
    if (!CONFIG_KEYS.includes(k))
      throw new UsageError(`${file}: unknown key "${k}"; valid: ${CONFIG_KEYS.join(", ")}`);
  }
  const out: Partial<Settings> & { proxies: ProxySpec[] } = { proxies: [] };
  if (o.control !== undefined) out.control = parseAddress(String(o.control), `${file}: control`, "127.0.0.1");
  if (o.seed !== undefined) out.seed = parseSeed(String(o.seed), `${file}: seed`);
  if (o.log !== undefined) out.log = parseLog(String(o.log), `${file}: log`);
  if (o.event_buffer !== undefined)
    out.eventBuffer = parseCount(String(o.event_buffer), `${file}: event_buffer`);
  if (o.proxies !== undefined && !Array.isArray(o.proxies))
    throw new UsageError(`${file}: "proxies" must be a list`);
  for (const [i, p] of ((o.proxies as unknown[]) ?? []).entries()) {
    const where = `${file}: proxies[${i}]`;
    if (p === null || typeof p !== "object" || Array.isArray(p))
      throw new UsageError(`${where}: expected an object`);
    const e = p as Record<string, unknown>;
    for (const k of Object.keys(e))
      if (!PROXY_KEYS.includes(k))
        throw new UsageError(`${where}: unknown key "${k}"; valid: ${PROXY_KEYS.join(", ")}`);
    for (const k of ["name", "protocol", "upstream"])
      if (typeof e[k] !== "string") throw new UsageError(`${where}: "${k}" is required (a string)`);
    if (e.rules !== undefined && !Array.isArray(e.rules))
      throw new UsageError(`${where}: "rules" must be a list of rule objects`);
    out.proxies.push(
      checkSpec(
        {
          name: e.name as string,
          protocol: e.protocol as string,
          upstream: parseAddress(e.upstream as string, `${where}: upstream`),
          listen:
            e.listen === undefined
              ? { host: "127.0.0.1", port: 0 }
              : parseAddress(String(e.listen), `${where}: listen`, "127.0.0.1"),
          ...(e.rules ? { rules: e.rules as unknown[] } : {}),
        },
        where,
      ),
    );
  }
  return out;
}

function parseSeed(v: string, what: string): bigint {
  if (!/^\d+$/.test(v) || BigInt(v) >= 1n << 64n)
    throw new UsageError(`${what}: a whole number from 0 to 2^64-1, got "${v}"`);
  return BigInt(v);
}

function parseLog(v: string, what: string): "human" | "json" {
  if (v !== "human" && v !== "json") throw new UsageError(`${what}: human or json, got "${v}"`);
  return v;
}

function parseCount(v: string, what: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 10_000_000)
    throw new UsageError(`${what}: a whole number from 1 to 10000000, got "${v}"`);
  return Number(v);
}

async function parseSettings(argv: string[]): Promise<Settings | "help"> {
  const proxies: ProxySpec[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--help" || a === "-h") return "help";
    if (!a.startsWith("--"))
      throw new UsageError(`unexpected argument "${a}"; faultbox proxy takes flags only`);
    const eq = a.indexOf("=");
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    const known = [...PROXY_PROTOCOLS, ...FLAGS_WITH_VALUE];
    if (!known.includes(name))
      throw new UsageError(`unknown flag --${name}; valid: ${known.map((k) => `--${k}`).join(", ")}, --help`);
    const value = eq >= 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new UsageError(`flag --${name} needs a value`);
    if (PROXY_PROTOCOLS.includes(name)) proxies.push(parseProxyFlag(name, value));
    else if (name in flags) throw new UsageError(`flag --${name} is given twice`);
    else flags[name] = value;
  }
  const config = flags.config !== undefined ? await readConfig(flags.config) : undefined;
  const all = [...(config?.proxies ?? []), ...proxies];
  if (all.length === 0)
    throw new UsageError(
      "no proxies: name at least one, e.g. --kafka kafka=127.0.0.1:9092 (or --config FILE)",
    );
  const control =
    flags.control !== undefined
      ? parseAddress(flags.control, "--control", "127.0.0.1")
      : (config?.control ?? parseAddress(DEFAULT_CONTROL, "--control"));
  const token = flags.token ?? process.env.FAULTBOX_PROXY_TOKEN ?? undefined;
  if (token !== undefined && token.trim().length < 8)
    throw new UsageError("--token: use at least 8 characters (a random string; it guards the control API)");
  if (!isLoopback(control.host) && !token)
    throw new UsageError(
      `--control ${control.host}: the control API would be reachable from other machines; give --token TOKEN (or set FAULTBOX_PROXY_TOKEN) and send it as "Authorization: Bearer TOKEN", or listen on 127.0.0.1`,
    );
  return {
    proxies: all,
    control,
    ...(token ? { token } : {}),
    seed: flags.seed !== undefined ? parseSeed(flags.seed, "--seed") : (config?.seed ?? randomSeed()),
    log: flags.log !== undefined ? parseLog(flags.log, "--log") : (config?.log ?? "human"),
    ...(flags["event-buffer"] !== undefined
      ? { eventBuffer: parseCount(flags["event-buffer"], "--event-buffer") }
      : config?.eventBuffer !== undefined
        ? { eventBuffer: config.eventBuffer }
        : {}),
  };
}

/** One human line per event or control action. */
function humanLine(e: ControlEvent | ControlAction): string {
  const time = "time" in e ? String(e.time).slice(11, 23) : new Date().toISOString().slice(11, 23);
  const d = e as Record<string, unknown>;
  const conn = d.conn_id !== undefined ? ` conn ${String(d.conn_id)}` : "";
  switch (e.type) {
    case "fault": {
      const where = ["api", "method", "path", "topic", "partition"]
        .filter((k) => d[k] !== undefined)
        .map((k) => `${k}=${String(d[k])}`)
        .join(" ");
      const extra = ["records", "delay_ms", "code", "status"]
        .filter((k) => d[k] !== undefined)
        .map((k) => `${k}=${String(d[k])}`)
        .join(" ");
      return `${time} ${d.proxy}  FAULT ${d.action} rule ${d.rule_id ?? "?"} ${d.rule}${where ? ` on ${where}` : ""}${extra ? ` (${extra})` : ""}${conn}`;
    }
    case "connection_open":
      return `${time} ${d.proxy} ${conn.trim()} open${d.listener ? ` via ${d.listener}` : ""} -> ${d.target}${Array.isArray(d.refused) ? ` (refused first: ${d.refused.join(", ")})` : ""}`;
    case "connection_close":
      return `${time} ${d.proxy} ${conn.trim()} closed`;
    case "malformed":
      return `${time} ${d.proxy} ${conn.trim()} closed: malformed frame from the ${d.from}: ${d.reason}`;
    case "warning":
      return `${time} ${d.proxy}  warning: ${d.message}${conn}`;
    case "rule_added":
      return `${time} ${d.proxy}  rule ${d.rule_id} added: ${d.rule}`;
    case "rule_removed":
      return `${time} ${d.proxy}  rule ${d.rule_id} removed: ${d.rule} (matched ${d.matched ?? "?"}, fired ${d.fired})${d.fired === 0 ? ": it never fired" : ""}`;
    case "reset":
      return `${time} control  reset: ${d.removed} rule(s) removed, events cleared`;
    default:
      return `${time} ${d.proxy ?? "control"}  ${e.type}`;
  }
}

export async function run(argv: string[]): Promise<number> {
  let settings: Settings | "help";
  try {
    settings = await parseSettings(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`error: ${err.message}\n\n${PROXY_USAGE}\n`);
      return 1;
    }
    throw err;
  }
  if (settings === "help") {
    process.stdout.write(PROXY_USAGE + "\n");
    return 0;
  }
  const s = settings;
  const out = (line: string) => process.stdout.write(line + "\n");
  const log =
    s.log === "json"
      ? (e: ControlEvent | ControlAction) =>
          out(JSON.stringify("time" in e ? e : { time: new Date().toISOString(), ...e }))
      : (e: ControlEvent | ControlAction) => out(humanLine(e));

  registerProxyProtocols();
  let session: ProxySession;
  let control: ControlServer;
  try {
    session = await ProxySession.start({
      proxies: s.proxies,
      seed: s.seed,
      eventBuffer: s.eventBuffer,
      onLog: log,
    });
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    return 1;
  }
  try {
    control = await startControlServer(session, {
      host: s.control.host,
      port: s.control.port,
      token: s.token,
    });
  } catch (err) {
    await session.close();
    const e = err as NodeJS.ErrnoException;
    process.stderr.write(
      `error: the control API cannot listen on ${s.control.host}:${s.control.port}: ${e.code === "EADDRINUSE" ? "the address is in use (pick another with --control, or port 0 for any)" : e.message}\n`,
    );
    return 1;
  }

  const proxies = session.proxies();
  if (s.log === "json") {
    out(
      JSON.stringify({
        time: new Date().toISOString(),
        type: "ready",
        control: control.url,
        seed: String(s.seed),
        proxies: proxies.map(({ supported: _s, ...p }) => p),
      }),
    );
  } else {
    out(`faultbox proxy: control API on ${control.url}${s.token ? " (token required)" : ""}, seed ${s.seed}`);
    for (const p of proxies)
      out(`  ${p.name} (${p.protocol}): clients connect to ${p.listen}, upstream ${p.upstream}`);
  }

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        process.stderr.write(`faultbox proxy: ${signal} again, exiting now\n`);
        process.exit(signal === "SIGINT" ? 130 : 143);
      }
      stopping = true;
      if (s.log === "json") out(JSON.stringify({ time: new Date().toISOString(), type: "stopping", signal }));
      else out(`faultbox proxy: ${signal}, stopping`);
      void Promise.all([control.close(), session.close()]).then(() => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        resolve(0);
      });
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
