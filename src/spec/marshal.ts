// Worker-side conversion between Starlark values and the bridge's wire format.
import {
  Builtin,
  Callable,
  Dict,
  Float,
  List,
  StarObject,
  fromJS,
  isCallable,
  repr,
  truth,
  type Value,
} from "../starlark/index.js";
import type { BoxedWire } from "./wire.js";
import {
  EventValue,
  HistoryValue,
  InterfaceDefValue,
  InterfaceRefValue,
  LinkRefValue,
  NodeRefValue,
  RefValue,
  ResponseValue,
  ServiceValue,
  type EngineCaller,
  type StepCaller,
} from "./values.js";

export class Marshal {
  private readonly values = new Map<number, Value>();
  private readonly fnIds = new Map<Value, number>();
  private readonly fns = new Map<number, Value>();
  private next = 1;

  constructor(
    private readonly methodsOf: (protocol: string) => string[],
    private readonly callStep: StepCaller,
    /** Engine requests made by values (service actions, node handles). */
    private readonly ask: EngineCaller = () => {
      throw new Error("no engine to ask");
    },
    /** Node selectors a service offers, from the protocols of its interfaces (Kafka: leader, follower). */
    private readonly selectorsOf: (protocols: string[]) => string[] = () => [],
  ) {}

  fn(id: number): Value {
    const f = this.fns.get(id);
    if (f === undefined) throw new Error(`unknown callable #${id}`);
    return f;
  }

  box(v: Value): BoxedWire {
    const h = this.next++;
    this.values.set(h, v);
    return {
      h,
      truth: truth(v),
      repr: typeof v === "string" ? JSON.stringify(v) : repr(v),
      none: v === null,
    };
  }

  toWire(v: Value | undefined): unknown {
    if (
      v === undefined ||
      v === null ||
      typeof v === "boolean" ||
      typeof v === "string" ||
      typeof v === "number"
    )
      return v ?? null;
    if (typeof v === "bigint") return { $big: v.toString() };
    if (Array.isArray(v)) return v.map((x) => this.toWire(x));
    if (v instanceof Float) return v.v;
    if (v instanceof List) return v.elems.map((x) => this.toWire(x));
    if (v instanceof Dict)
      return { $dict: [...v.map.values()].map((e) => [this.toWire(e.k), this.toWire(e.v)]) };
    if (v instanceof InterfaceRefValue) return { service: v.service, iface: v.iface.name };
    if (v instanceof RefValue) return { $ref: v.ref };
    if (v instanceof EventValue) return { $event: v.raw };
    if (v instanceof Callable || v instanceof Builtin || isCallable(v)) {
      let id = this.fnIds.get(v);
      if (id === undefined) {
        id = this.next++;
        this.fnIds.set(v, id);
        this.fns.set(id, v);
      }
      return { $fn: id, name: (v as Callable).name ?? "lambda" };
    }
    if (v instanceof StarObject) {
      const b = this.box(v);
      return { $h: b.h, truth: b.truth, repr: b.repr };
    }
    return null;
  }

  fromWire(w: unknown): Value {
    if (w === null || w === undefined) return null;
    if (typeof w !== "object") return w as Value;
    if (Array.isArray(w)) return new List(w.map((x) => this.fromWire(x)));
    const o = w as Record<string, unknown>;
    if ("$h" in o) return this.values.get(o.$h as number) ?? null;
    if ("$big" in o) return BigInt(o.$big as string);
    if ("$event" in o) return new EventValue(o.$event as never);
    if ("$response" in o) return new ResponseValue(o.$response as never);
    if ("$history" in o) return new HistoryValue(o.$history as Record<string, unknown>);
    if ("$ref" in o) {
      const info = (o.info as Record<string, unknown>) ?? {};
      const ref = o.$ref as number;
      if (o.kind === "service") {
        const protocols = ((info.interfaces as { protocol: string }[]) ?? []).map((i) => i.protocol);
        return new ServiceValue(
          ref,
          info,
          this.methodsOf,
          this.callStep,
          this.ask,
          this.selectorsOf(protocols),
        );
      }
      if (o.kind === "node_ref") return new NodeRefValue(ref, info, this.ask);
      if (o.kind === "link_ref") return new LinkRefValue(ref, info, this.ask);
      if (o.kind === "interface") return new InterfaceDefValue(ref, "interface", info);
      return new RefValue(ref, String(o.kind), info);
    }
    if ("$dict" in o) {
      const d = new Dict();
      for (const [k, v] of o.$dict as [unknown, unknown][]) d.set(this.fromWire(k), this.fromWire(v));
      return d;
    }
    return fromJS(o);
  }
}
