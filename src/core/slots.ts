// Type checks of the values a spec puts in structure slots (fault_matrix(faults=), monitors=,
// observe=, rules=, ...), shared by both front ends through SpecBuilder: a rule where a fault
// assumption belongs is a load error naming the slot and what was given, not a crash at run time.
import { SpecError, type SourceLocation } from "./errors.js";

/** How a value reads in an error: `the rule duplicate(topic="orders")`, `service "db"`, `"text"`. */
export function describeValue(v: unknown, repr: (v: unknown) => string): string {
  if (v === undefined || v === null) return "None";
  if (typeof v === "function") return "a function";
  if (typeof v !== "object") return typeof v === "string" ? JSON.stringify(v) : String(v);
  const o = v as { kind?: unknown; name?: unknown; text?: unknown; service?: unknown };
  switch (o.kind) {
    case "proxy_rule":
      return `the rule ${String(o.text)}`;
    case "syscall_fault":
      return `the syscall fault ${String(o.text)}`;
    case "service_action":
      return `the service action ${String(o.text)}`;
    case "node_ref":
    case "link_ref":
      return String(o.text);
    case "fault_assumption":
      return `fault_assumption("${String(o.name)}")`;
    case "monitor":
      return `monitor "${String(o.name)}"`;
    case "service":
      return `service "${String(o.name)}"`;
    case "interface":
      return `interface ${o.service ? `${String(o.service)}.` : ""}${String(o.name)}`;
    case "stdout":
    case "stderr":
      return `${o.kind}()`;
    case "observer":
      return `${String(o.name)}() (an event source)`;
    case "tcp":
    case "http":
    case "ready":
    case "protocol":
      return "a healthcheck";
  }
  if (typeof o.service === "string" && typeof (o as { iface?: unknown }).iface === "string")
    return `interface ${o.service}.${String((o as { iface: string }).iface)}`;
  if (typeof o.name === "string" && typeof (o as { fn?: unknown }).fn === "function")
    return `scenario ${o.name}`;
  return repr(v);
}

export interface SlotCheck {
  /** What the slot expects, for the message: "fault_assumption() values". */
  expected: string;
  accepts: (v: unknown) => boolean;
}

export const FAULT_ASSUMPTION: SlotCheck = {
  expected:
    "fault_assumption(...) values (a rule such as drop(...) or an action such as kill() goes in fault_assumption(rules=[...]))",
  accepts: (v) => hasKind(v, "fault_assumption"),
};
export const MONITOR: SlotCheck = {
  expected: "monitor(...) values",
  accepts: (v) => hasKind(v, "monitor"),
};
export const RULE: SlotCheck = {
  expected:
    "protocol rules (drop(), delay(delay=), error(), response(), duplicate(), disconnect(), ...) or service actions (kill(), restart(), stop(), pause(), isolate(), cut())",
  accepts: (v) => hasKind(v, "proxy_rule") || hasKind(v, "service_action"),
};
export const FUNCTION: SlotCheck = { expected: "a function", accepts: (v) => typeof v === "function" };
export const SCENARIO: SlotCheck = {
  expected: "scenario functions (a def, or scenario(fn))",
  accepts: (v) =>
    typeof v === "object" &&
    v !== null &&
    typeof (v as { name?: unknown }).name === "string" &&
    typeof (v as { fn?: unknown }).fn === "function",
};
export const SERVICE_OR_NAME: SlotCheck = {
  expected: "services (or service names)",
  accepts: (v) => typeof v === "string" || hasKind(v, "service"),
};
export const OBSERVE_SOURCE: SlotCheck = {
  expected: "event sources: stdout(), stderr(), or a protocol's observer such as topic()",
  accepts: (v) => hasKind(v, "stdout") || hasKind(v, "stderr") || hasKind(v, "observer"),
};
export const HEALTHCHECK: SlotCheck = {
  expected: "a healthcheck: tcp(), http(), ready() or kafka_ready()",
  accepts: (v) => ["tcp", "http", "ready", "protocol"].some((k) => hasKind(v, k)),
};
export const INTERFACE: SlotCheck = {
  expected: "interface(...) values",
  accepts: (v) => hasKind(v, "interface"),
};

function hasKind(v: unknown, kind: string): boolean {
  return typeof v === "object" && v !== null && (v as { kind?: unknown }).kind === kind;
}

/** Checks a list slot (absent is fine); returns it. */
export function checkList<T>(
  where: string,
  slot: string,
  values: unknown,
  check: SlotCheck,
  repr: (v: unknown) => string,
  location?: SourceLocation,
): T[] {
  if (values === undefined || values === null) return [];
  if (!Array.isArray(values))
    throw new SpecError(
      `${where}: ${slot}= must be a list of ${check.expected}, got ${describeValue(values, repr)}`,
      { location },
    );
  values.forEach((v, i) => {
    if (!check.accepts(v))
      throw new SpecError(
        `${where}: ${slot}= takes ${check.expected}; item ${i + 1} is ${describeValue(v, repr)}`,
        { location },
      );
  });
  return values as T[];
}

/** Checks a single-value slot (absent is fine). */
export function checkValue(
  where: string,
  slot: string,
  value: unknown,
  check: SlotCheck,
  repr: (v: unknown) => string,
  location?: SourceLocation,
): void {
  if (value === undefined || value === null || check.accepts(value)) return;
  throw new SpecError(`${where}: ${slot}= takes ${check.expected}, got ${describeValue(value, repr)}`, {
    location,
  });
}
