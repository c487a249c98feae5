// The time module (as starlark-go's lib/time): durations, times, parse_duration, parse_time, now, ...
// Dialect extension for Faultbox: time.time() with no arguments returns the current Unix time in
// seconds as a float (Python's time.time()), so `int(time.time())` works.
import { unpackArgs, positional } from "../args.js";
import {
  Builtin,
  EvalError,
  Float,
  type HashKey,
  Module,
  StarObject,
  type Value,
  typeName,
  normInt,
} from "../values.js";

const NS = 1n;
const US = 1000n;
const MS = 1000000n;
const SEC = 1000000000n;
const MIN = 60n * SEC;
const HOUR = 60n * MIN;

export class Duration extends StarObject {
  constructor(readonly ns: bigint) {
    super();
  }
  typeName(): string {
    return "time.duration";
  }
  override truth(): boolean {
    return this.ns !== 0n;
  }
  override hashKey(): HashKey {
    return "\uffffD" + this.ns.toString();
  }
  override repr(): string {
    return formatDuration(this.ns);
  }
  override attr(name: string): Value | undefined {
    const n = this.ns;
    switch (name) {
      case "hours":
        return new Float(Number(n) / 3.6e12);
      case "minutes":
        return new Float(Number(n) / 6e10);
      case "seconds":
        return new Float(Number(n) / 1e9);
      case "milliseconds":
        return normInt(n / MS);
      case "microseconds":
        return normInt(n / US);
      case "nanoseconds":
        return normInt(n);
    }
    return undefined;
  }
  override attrNames(): string[] {
    return ["hours", "microseconds", "milliseconds", "minutes", "nanoseconds", "seconds"];
  }
  override equals(o: Value): boolean {
    return o instanceof Duration && o.ns === this.ns;
  }
  override compare(o: Value): number {
    const x = (o as Duration).ns;
    return this.ns < x ? -1 : this.ns > x ? 1 : 0;
  }
  override binary(op: string, y: Value, side: "left" | "right"): Value | undefined {
    if (side === "right") {
      if (op === "*" && (typeof y === "number" || typeof y === "bigint"))
        return new Duration(this.ns * BigInt(y));
      if (op === "+" && y instanceof Time) return new Time(y.ns + this.ns, y.loc);
      if (op === "/" || op === "//") throw new EvalError("unsupported operation");
      return undefined;
    }
    switch (op) {
      case "+":
        if (y instanceof Duration) return new Duration(this.ns + y.ns);
        if (y instanceof Time) return new Time(y.ns + this.ns, y.loc);
        break;
      case "-":
        if (y instanceof Duration) return new Duration(this.ns - y.ns);
        break;
      case "*":
        if (typeof y === "number" || typeof y === "bigint") return new Duration(this.ns * BigInt(y));
        break;
      case "/":
        if (y instanceof Duration) {
          if (y.ns === 0n) throw new EvalError(`${this.typeName()} division by zero`);
          return new Float(Number(this.ns) / Number(y.ns));
        }
        if (typeof y === "number" || typeof y === "bigint") {
          if (BigInt(y) === 0n) throw new EvalError(`${this.typeName()} division by zero`);
          return new Duration(this.ns / BigInt(y));
        }
        if (y instanceof Float) {
          if (y.v === 0) throw new EvalError(`${this.typeName()} division by zero`);
          return new Duration(BigInt(Math.trunc(Number(this.ns) / y.v)));
        }
        break;
      case "//":
        if (y instanceof Duration) {
          if (y.ns === 0n) throw new EvalError(`${this.typeName()} division by zero`);
          return normInt(this.ns / y.ns);
        }
        break;
    }
    return undefined;
  }
}

export function formatDuration(ns: bigint): string {
  if (ns === 0n) return "0s";
  const neg = ns < 0n;
  let u = neg ? -ns : ns;
  let out: string;
  if (u < SEC) {
    // sub-second: use the largest fitting unit
    const [unit, div] = u < US ? ["ns", NS] : u < MS ? ["µs", US] : ["ms", MS];
    out = fracString(u, div) + unit;
  } else {
    const h = u / HOUR;
    u -= h * HOUR;
    const m = u / MIN;
    u -= m * MIN;
    out = (h > 0n ? `${h}h` : "") + (h > 0n || m > 0n ? `${m}m` : "") + fracString(u, SEC) + "s";
  }
  return (neg ? "-" : "") + out;
}

function fracString(v: bigint, div: bigint): string {
  const whole = v / div;
  let frac = (v % div)
    .toString()
    .padStart(div.toString().length - 1, "0")
    .replace(/0+$/, "");
  if (div === 1n) frac = "";
  return whole.toString() + (frac ? "." + frac : "");
}

export function parseDuration(s: string): bigint {
  const orig = s;
  const bad = () => new EvalError(`time: invalid duration "${orig}"`);
  let neg = false;
  if (s.startsWith("-") || s.startsWith("+")) {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (s === "") throw bad();
  const units: Record<string, number> = {
    ns: 1,
    us: 1e3,
    µs: 1e3,
    μs: 1e3,
    ms: 1e6,
    s: 1e9,
    m: 60e9,
    h: 3600e9,
  };
  let total = 0n;
  const re = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/;
  while (s.length > 0) {
    const m = re.exec(s);
    if (!m || (m[1] === "" && (m[2] === undefined || m[2] === ""))) {
      if (/^[\d.]+$/.test(s)) throw new EvalError(`time: missing unit in duration "${orig}"`);
      if (/^[\d.]+/.test(s))
        throw new EvalError(`time: unknown unit "${s.replace(/^[\d.]+/, "")}" in duration "${orig}"`);
      throw bad();
    }
    const unit = BigInt(units[m[3]!]!);
    const whole = BigInt(m[1] || "0");
    let part = whole * unit;
    if (m[2]) {
      const fracDigits = m[2];
      part += (BigInt(fracDigits) * unit) / 10n ** BigInt(fracDigits.length);
    }
    total += part;
    s = s.slice(m[0].length);
  }
  return neg ? -total : total;
}

// ---------- time ----------
function tzOffsetMinutes(loc: string, epochMs: number): number {
  if (loc === "UTC" || loc === "") return 0;
  if (loc === "Local") return -new Date(epochMs).getTimezoneOffset();
  const dtf = new Intl.DateTimeFormat("en-US", {
    timeZone: loc,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  });
  const p: Record<string, number> = {};
  for (const part of dtf.formatToParts(new Date(epochMs)))
    if (part.type !== "literal") p[part.type] = Number(part.value);
  const asUTC = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour! % 24, p.minute!, p.second!);
  return Math.round((asUTC - Math.floor(epochMs / 1000) * 1000) / 60000);
}

function isValidTimezone(loc: string): boolean {
  if (loc === "UTC" || loc === "Local") return true;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: loc });
    return true;
  } catch {
    return false;
  }
}

function tzAbbrev(loc: string, epochMs: number): string {
  if (loc === "UTC" || loc === "") return "UTC";
  try {
    const parts = new Intl.DateTimeFormat("en-US", {
      timeZone: loc === "Local" ? undefined : loc,
      timeZoneName: "short",
    }).formatToParts(new Date(epochMs));
    return parts.find((p) => p.type === "timeZoneName")?.value ?? loc;
  } catch {
    return loc;
  }
}

const ZERO_TIME_NS = -62135596800n * SEC; // 0001-01-01T00:00:00Z

export class Time extends StarObject {
  constructor(
    readonly ns: bigint, // since the Unix epoch
    readonly loc: string = "UTC",
  ) {
    super();
  }
  typeName(): string {
    return "time.time";
  }
  override truth(): boolean {
    return this.ns !== ZERO_TIME_NS;
  }
  override hashKey(): HashKey {
    return "\uffffT" + this.ns.toString();
  }
  /** Calendar fields in the time's location. */
  fields(): {
    year: number;
    month: number;
    day: number;
    hour: number;
    minute: number;
    second: number;
    nano: number;
    offMin: number;
    wday: number;
  } {
    const ms = Number(this.ns / MS) - (this.ns % MS < 0n ? 1 : 0);
    const off = tzOffsetMinutes(this.loc, ms);
    const sec = this.ns / SEC - (this.ns % SEC < 0n ? 1n : 0n);
    const nano = Number(this.ns - sec * SEC);
    const d = new Date(Number(sec) * 1000 + off * 60000);
    return {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
      nano,
      offMin: off,
      wday: d.getUTCDay(),
    };
  }
  override attr(name: string): Value | undefined {
    const f = this.fields();
    switch (name) {
      case "year":
        return f.year;
      case "month":
        return f.month;
      case "day":
        return f.day;
      case "hour":
        return f.hour;
      case "minute":
        return f.minute;
      case "second":
        return f.second;
      case "nanosecond":
        return f.nano;
      case "unix":
        return normInt(this.ns / SEC - (this.ns % SEC < 0n ? 1n : 0n));
      case "unix_nano":
        return normInt(this.ns);
      case "in_location":
        return new Builtin("in_location", (_t, a, k) => {
          positional("in_location", a, k, 1, 1);
          const loc = a[0]!;
          if (typeof loc !== "string") throw new EvalError(`in_location: got ${typeName(loc)}, want string`);
          if (!isValidTimezone(loc)) throw new EvalError(`in_location: unknown time zone ${loc}`);
          return new Time(this.ns, loc);
        });
      case "format":
        return new Builtin("format", (_t, a, k) => {
          positional("format", a, k, 1, 1);
          const layout = a[0]!;
          if (typeof layout !== "string") throw new EvalError(`format: got ${typeName(layout)}, want string`);
          return formatTime(this, layout);
        });
    }
    return undefined;
  }
  override attrNames(): string[] {
    return [
      "day",
      "format",
      "hour",
      "in_location",
      "minute",
      "month",
      "nanosecond",
      "second",
      "unix",
      "unix_nano",
      "year",
    ];
  }
  override repr(): string {
    return formatTime(this, "2006-01-02 15:04:05.999999999 -0700 MST");
  }
  override equals(o: Value): boolean {
    return o instanceof Time && o.ns === this.ns;
  }
  override compare(o: Value): number {
    const x = (o as Time).ns;
    return this.ns < x ? -1 : this.ns > x ? 1 : 0;
  }
  override binary(op: string, y: Value, side: "left" | "right"): Value | undefined {
    if (side === "right") return undefined;
    if (op === "-" && y instanceof Time) return new Duration(this.ns - y.ns);
    if (op === "-" && y instanceof Duration) return new Time(this.ns - y.ns, this.loc);
    if (op === "+" && y instanceof Duration) return new Time(this.ns + y.ns, this.loc);
    return undefined;
  }
}

const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const p2 = (n: number) => String(n).padStart(2, "0");

// Go layout tokens, longest first.
const TOKENS = [
  "January",
  "Monday",
  "2006",
  "-07:00:00",
  "-0700",
  "-07:00",
  "Z07:00",
  "Z0700",
  "MST",
  "Jan",
  "Mon",
  "002",
  "01",
  "02",
  "03",
  "04",
  "05",
  "06",
  "15",
  "PM",
  "pm",
  "-07",
  "Z07",
  "_2",
  "1",
  "2",
  "3",
  "4",
  "5",
];

function formatOffset(tok: string, sign: string, ao: number): string {
  const hh = p2(Math.floor(ao / 60));
  const mm = p2(ao % 60);
  if (tok === "07") return sign + hh;
  if (tok === "0700") return sign + hh + mm;
  if (tok === "07:00:00") return sign + hh + ":" + mm + ":00";
  return sign + hh + ":" + mm;
}

export function formatTime(t: Time, layout: string): string {
  const f = t.fields();
  const ms = Number(t.ns / MS);
  let out = "";
  let i = 0;
  while (i < layout.length) {
    // fractional seconds: .000 or .999
    const fm = /^[.,](0+|9+)(?!\d)/.exec(layout.slice(i));
    if (fm && (i === 0 || true)) {
      const digits = fm[1]!.length;
      let frac = String(f.nano).padStart(9, "0").slice(0, digits);
      if (fm[1]![0] === "9") {
        frac = frac.replace(/0+$/, "");
        out += frac ? "." + frac : "";
      } else out += "." + frac;
      i += fm[0].length;
      continue;
    }
    const tok = TOKENS.find((k) => layout.startsWith(k, i));
    if (!tok) {
      out += layout[i];
      i++;
      continue;
    }
    i += tok.length;
    const off = f.offMin;
    const sign = off < 0 ? "-" : "+";
    const ao = Math.abs(off);
    switch (tok) {
      case "January":
        out += MONTHS[f.month - 1];
        break;
      case "Jan":
        out += MONTHS[f.month - 1]!.slice(0, 3);
        break;
      case "Monday":
        out += DAYS[f.wday];
        break;
      case "Mon":
        out += DAYS[f.wday]!.slice(0, 3);
        break;
      case "2006":
        out += String(f.year).padStart(4, "0");
        break;
      case "06":
        out += p2(f.year % 100);
        break;
      case "01":
        out += p2(f.month);
        break;
      case "1":
        out += f.month;
        break;
      case "02":
        out += p2(f.day);
        break;
      case "_2":
        out += String(f.day).padStart(2, " ");
        break;
      case "2":
        out += f.day;
        break;
      case "002": {
        const start = Date.UTC(f.year, 0, 1);
        out += String(Math.floor((Date.UTC(f.year, f.month - 1, f.day) - start) / 86400000) + 1).padStart(
          3,
          "0",
        );
        break;
      }
      case "15":
        out += p2(f.hour);
        break;
      case "03":
        out += p2(f.hour % 12 === 0 ? 12 : f.hour % 12);
        break;
      case "3":
        out += f.hour % 12 === 0 ? 12 : f.hour % 12;
        break;
      case "04":
        out += p2(f.minute);
        break;
      case "4":
        out += f.minute;
        break;
      case "05":
        out += p2(f.second);
        break;
      case "5":
        out += f.second;
        break;
      case "PM":
        out += f.hour >= 12 ? "PM" : "AM";
        break;
      case "pm":
        out += f.hour >= 12 ? "pm" : "am";
        break;
      case "MST":
        out += tzAbbrev(t.loc, ms);
        break;
      case "Z07:00":
      case "Z0700":
      case "Z07":
        if (off === 0) {
          out += "Z";
          break;
        }
        out += formatOffset(tok.slice(1), sign, ao);
        break;
      case "-07:00":
      case "-0700":
      case "-07":
      case "-07:00:00":
        out += formatOffset(tok.slice(1), sign, ao);
        break;
    }
  }
  return out;
}

/** Parses `s` by a Go layout (subset: the numeric tokens, fractions, zones Z07:00 / -0700, month names). */
export function parseTime(s: string, layout: string, loc: string): Time {
  const bad = () => new EvalError(`parsing time "${s}" as "${layout}": cannot parse`);
  let i = 0;
  let j = 0;
  let year = 1;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let nano = 0;
  let pm: boolean | undefined;
  let offMin: number | undefined;
  const num = (min: number, max: number): number => {
    const m = new RegExp(`^\\d{${min},${max}}`).exec(s.slice(j));
    if (!m) throw bad();
    j += m[0].length;
    return Number(m[0]);
  };
  while (i < layout.length) {
    const fm = /^[.,](0+|9+)(?!\d)/.exec(layout.slice(i));
    if (fm) {
      i += fm[0].length;
      const m = /^[.,](\d+)/.exec(s.slice(j));
      if (m) {
        nano = Number(m[1]!.padEnd(9, "0").slice(0, 9));
        j += m[0].length;
      } else if (fm[1]![0] === "0") throw bad();
      continue;
    }
    const tok = TOKENS.find((k) => layout.startsWith(k, i));
    if (!tok) {
      if (s[j] !== layout[i]) throw bad();
      i++;
      j++;
      continue;
    }
    i += tok.length;
    switch (tok) {
      case "2006":
        year = num(4, 4);
        break;
      case "06":
        year = 2000 + num(2, 2);
        if (year >= 2069) year -= 100;
        break;
      case "01":
        month = num(2, 2);
        break;
      case "1":
        month = num(1, 2);
        break;
      case "02":
        day = num(2, 2);
        break;
      case "2":
      case "_2":
        if (s[j] === " ") j++;
        day = num(1, 2);
        break;
      case "15":
        hour = num(2, 2);
        break;
      case "03":
        hour = num(2, 2);
        break;
      case "3":
        hour = num(1, 2);
        break;
      case "04":
        minute = num(2, 2);
        break;
      case "4":
        minute = num(1, 2);
        break;
      case "05":
        second = num(2, 2);
        if (/^[.,]\d/.test(s.slice(j)) && !/^[.,]/.test(layout.slice(i))) {
          const m = /^[.,](\d+)/.exec(s.slice(j))!;
          nano = Number(m[1]!.padEnd(9, "0").slice(0, 9));
          j += m[0].length;
        }
        break;
      case "5":
        second = num(1, 2);
        break;
      case "PM":
      case "pm": {
        const ap = s.slice(j, j + 2).toUpperCase();
        if (ap !== "AM" && ap !== "PM") throw bad();
        pm = ap === "PM";
        j += 2;
        break;
      }
      case "Jan":
      case "January": {
        const idx = MONTHS.findIndex((m) => s.startsWith(tok === "Jan" ? m.slice(0, 3) : m, j));
        if (idx < 0) throw bad();
        month = idx + 1;
        j += tok === "Jan" ? 3 : MONTHS[idx]!.length;
        break;
      }
      case "Mon":
      case "Monday": {
        const idx = DAYS.findIndex((d) => s.startsWith(tok === "Mon" ? d.slice(0, 3) : d, j));
        if (idx < 0) throw bad();
        j += tok === "Mon" ? 3 : DAYS[idx]!.length;
        break;
      }
      case "MST": {
        const m = /^[A-Z]{3,4}/.exec(s.slice(j));
        if (!m) throw bad();
        if (m[0] === "UTC" || m[0] === "GMT") offMin = 0;
        j += m[0].length;
        break;
      }
      default: {
        // zone offsets
        if (tok.startsWith("Z") && s[j] === "Z") {
          offMin = 0;
          j++;
          break;
        }
        const m = /^([+-])(\d{2}):?(\d{2})?/.exec(s.slice(j));
        if (!m) throw bad();
        offMin = (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0));
        j += m[0].length;
      }
    }
  }
  if (j !== s.length) throw new EvalError(`parsing time "${s}": extra text: "${s.slice(j)}"`);
  if (pm !== undefined) {
    if (pm && hour < 12) hour += 12;
    if (!pm && hour === 12) hour = 0;
  }
  return fromFields(year, month, day, hour, minute, second, nano, offMin === undefined ? loc : "UTC", offMin);
}

function fromFields(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  nano: number,
  loc: string,
  offMin?: number,
): Time {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  let ms = d.getTime();
  if (offMin !== undefined) ms -= offMin * 60000;
  else if (loc !== "UTC") {
    // find the offset in effect at that local time
    let off = tzOffsetMinutes(loc, ms);
    off = tzOffsetMinutes(loc, ms - off * 60000);
    ms -= off * 60000;
  }
  return new Time(BigInt(ms) * MS + BigInt(nano), loc);
}

function nowTime(): Time {
  const ns = process.hrtime.bigint();
  // hrtime is monotonic; anchor it to the wall clock once
  return new Time(BigInt(Date.now()) * MS + (ns % MS), "Local");
}

function wantStr(fn: string, v: Value | undefined, dflt: string): string {
  if (v === undefined) return dflt;
  if (typeof v !== "string") throw new EvalError(`${fn}: got ${typeName(v)}, want string`);
  return v;
}
function wantInt(fn: string, v: Value | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== "number") throw new EvalError(`${fn}: got ${typeName(v)}, want int`);
  return v;
}

export function timeModule(): Module {
  const m = new Map<string, Value>();
  m.set(
    "now",
    new Builtin("now", (_t, a, k) => {
      positional("now", a, k, 0, 0);
      return nowTime();
    }),
  );
  m.set(
    "time",
    new Builtin("time", (_t, a, k) => {
      if (a.length > 0) throw new EvalError("time: unexpected positional arguments");
      if (k.length === 0) return new Float(Date.now() / 1000); // Faultbox extension: Python's time.time()
      const [y, mo, d, h, mi, s, ns, loc] = unpackArgs("time", [], k, [
        "year?",
        "month?",
        "day?",
        "hour?",
        "minute?",
        "second?",
        "nanosecond?",
        "location?",
      ]);
      const l = wantStr("time", loc, "UTC");
      if (!isValidTimezone(l)) throw new EvalError(`time: unknown time zone ${l}`);
      return fromFields(
        wantInt("time", y, 0),
        wantInt("time", mo, 1),
        wantInt("time", d, 1),
        wantInt("time", h, 0),
        wantInt("time", mi, 0),
        wantInt("time", s, 0),
        wantInt("time", ns, 0),
        l,
      );
    }),
  );
  m.set(
    "parse_duration",
    new Builtin("parse_duration", (_t, a, k) => {
      const [d] = unpackArgs("parse_duration", a, k, ["d"]);
      if (d instanceof Duration) return d;
      if (typeof d === "number" || typeof d === "bigint") return new Duration(BigInt(d));
      if (typeof d !== "string")
        throw new EvalError(
          `parse_duration: for parameter d: got ${typeName(d!)}, want a duration, string, or int`,
        );
      return new Duration(parseDuration(d));
    }),
  );
  m.set(
    "parse_time",
    new Builtin("parse_time", (_t, a, k) => {
      const [x, format, location] = unpackArgs("parse_time", a, k, ["x", "format?", "location?"]);
      const s = wantStr("parse_time", x, "");
      const loc = wantStr("parse_time", location, "UTC");
      if (!isValidTimezone(loc)) throw new EvalError(`parse_time: unknown time zone ${loc}`);
      return parseTime(s, wantStr("parse_time", format, "2006-01-02T15:04:05Z07:00"), loc);
    }),
  );
  m.set(
    "from_timestamp",
    new Builtin("from_timestamp", (_t, a, k) => {
      const [sec, nsec] = unpackArgs("from_timestamp", a, k, ["sec", "nsec?"]);
      if (typeof sec !== "number" && typeof sec !== "bigint")
        throw new EvalError(`from_timestamp: got ${typeName(sec!)}, want int`);
      const n = nsec === undefined ? 0n : BigInt(wantInt("from_timestamp", nsec, 0));
      return new Time(BigInt(sec) * SEC + n, "UTC");
    }),
  );
  m.set(
    "is_valid_timezone",
    new Builtin("is_valid_timezone", (_t, a, k) => {
      const [loc] = unpackArgs("is_valid_timezone", a, k, ["loc"]);
      return typeof loc === "string" && isValidTimezone(loc);
    }),
  );
  m.set("nanosecond", new Duration(NS));
  m.set("microsecond", new Duration(US));
  m.set("millisecond", new Duration(MS));
  m.set("second", new Duration(SEC));
  m.set("minute", new Duration(MIN));
  m.set("hour", new Duration(HOUR));
  return new Module("time", m);
}
