// Attribute access: methods of built-in types (bound on demand) and fields of host objects and structs.
import {
  bytesMethods,
  dictMethods,
  listMethods,
  type MethodImpl,
  setMethods,
  stringMethods,
} from "./methods.js";
import { nearest } from "../util/spell.js";
import {
  Builtin,
  Bytes,
  Dict,
  EvalError,
  List,
  StarObject,
  StarSet,
  Struct,
  TAG_BYTES,
  TAG_DICT,
  TAG_LIST,
  TAG_SET,
  typeName,
  type Value,
} from "./values.js";

export function methodTable(v: Value): Map<string, MethodImpl> | undefined {
  if (typeof v === "string") return stringMethods;
  if (v instanceof List) return listMethods;
  if (v instanceof Dict) return dictMethods;
  if (v instanceof StarSet) return setMethods;
  if (v instanceof Bytes) return bytesMethods;
  return undefined;
}

export function methodFor(v: Value, name: string): MethodImpl | undefined {
  if (typeof v === "string") return stringMethods.get(name);
  if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
  switch (v.tag) {
    case TAG_LIST:
      return listMethods.get(name);
    case TAG_DICT:
      return dictMethods.get(name);
    case TAG_SET:
      return setMethods.get(name);
    case TAG_BYTES:
      return bytesMethods.get(name);
  }
  return undefined;
}

/** Errors of set methods name the method, as in starlark-go ("add: cannot insert into frozen hash table"). */
export function prefixMethodErrors(table: Map<string, MethodImpl>): void {
  for (const [name, m] of table) {
    table.set(name, (th, recv, args, kw, n) => {
      try {
        return m(th, recv, args, kw, n);
      } catch (e) {
        if (e instanceof EvalError && !e.message.startsWith(name + ":")) {
          const w = new EvalError(`${name}: ${e.message}`);
          throw w;
        }
        throw e;
      }
    });
  }
}
prefixMethodErrors(setMethods);

/** The method `name` of each built-in type: for strings, and indexed by StarObject.tag. */
export function methodsNamed(name: string): {
  string: MethodImpl | undefined;
  tagged: (MethodImpl | undefined)[];
} {
  const tagged: (MethodImpl | undefined)[] = [];
  tagged[0] = undefined;
  tagged[TAG_LIST] = listMethods.get(name);
  tagged[TAG_DICT] = dictMethods.get(name);
  tagged[TAG_SET] = setMethods.get(name);
  tagged[TAG_BYTES] = bytesMethods.get(name);
  return { string: stringMethods.get(name), tagged };
}

// One shared Builtin implementation per method, so bound methods of the same receiver compare equal.
const boundImpls = new Map<MethodImpl, (th: any, args: Value[], kw: any, self: Builtin) => Value>();

export function getAttrOrUndefined(v: Value, name: string): Value | undefined {
  const m = methodFor(v, name);
  if (m !== undefined) {
    let impl = boundImpls.get(m);
    if (!impl) {
      impl = (th, args, kw, self) => m(th, self.recv!, args, kw, self.name);
      boundImpls.set(m, impl);
    }
    return new Builtin(name, impl, v);
  }
  if (v instanceof StarObject && v.attr) return v.attr(name);
  return undefined;
}

export function attrNames(v: Value): string[] {
  const t = methodTable(v);
  if (t) return [...t.keys()].sort();
  if (v instanceof StarObject && v.attrNames) return v.attrNames();
  return [];
}

export function getAttr(v: Value, name: string): Value {
  const r = getAttrOrUndefined(v, name);
  if (r !== undefined) return r;
  if (v instanceof Struct) {
    const hint = nearest(name, attrNames(v));
    throw new EvalError(
      `${v.ctor === "struct" ? "" : v.ctor + " "}struct has no .${name} attribute${hint ? ` (did you mean .${hint}?)` : ""}`,
    );
  }
  const hint = nearest(name, attrNames(v));
  throw new EvalError(
    `${typeName(v)} has no .${name} field or method${hint ? ` (did you mean .${hint}?)` : ""}`,
  );
}

export function setField(v: Value, name: string, x: Value): void {
  if (v instanceof StarObject && v.setField) {
    try {
      v.setField(name, x);
    } catch (e) {
      if (e instanceof EvalError && / field$/.test(e.message)) {
        const hint = nearest(name, attrNames(v));
        if (hint) throw new EvalError(`${e.message} (did you mean .${hint}?)`);
      }
      throw e;
    }
    return;
  }
  throw new EvalError(`can't assign to .${name} field of ${typeName(v)}`);
}
