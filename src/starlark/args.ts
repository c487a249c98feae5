// Argument unpacking for builtins: positional and keyword arguments matched against a parameter spec,
// with errors that name the function and the parameter (unknown, missing, repeated).
import { nearest } from "../util/spell.js";
import { type ArgsKw, EvalError, typeName, type Value } from "./values.js";

/**
 * Unpacks arguments by a spec such as ["topic", "data", "key?", "*", "timeout?"]:
 * `name` is required, `name?` optional; after "*" parameters are keyword-only.
 * Returns one slot per named parameter (undefined when an optional one was omitted).
 */
export function unpackArgs(
  fnName: string,
  args: Value[],
  kwargs: ArgsKw,
  spec: readonly string[],
): (Value | undefined)[] {
  const names: string[] = [];
  const optional: boolean[] = [];
  let nPositional = -1;
  for (const s of spec) {
    if (s === "*") {
      nPositional = names.length;
      continue;
    }
    optional.push(s.endsWith("?"));
    names.push(s.endsWith("?") ? s.slice(0, -1) : s);
  }
  if (nPositional < 0) nPositional = names.length;
  const out: (Value | undefined)[] = new Array(names.length).fill(undefined);
  if (args.length > nPositional) {
    throw new EvalError(`${fnName}: got ${args.length} arguments, want at most ${nPositional}`);
  }
  for (let i = 0; i < args.length; i++) out[i] = args[i];
  for (const [k, v] of kwargs) {
    const i = names.indexOf(k);
    if (i < 0) {
      const hint = nearest(k, names);
      throw new EvalError(
        `${fnName}: unexpected keyword argument ${k}${hint ? ` (did you mean ${hint}?)` : ""}; valid: ${names.join(", ")}`,
      );
    }
    if (out[i] !== undefined) throw new EvalError(`${fnName}: got multiple values for keyword argument ${k}`);
    out[i] = v;
  }
  for (let i = 0; i < names.length; i++) {
    if (out[i] === undefined && !optional[i])
      throw new EvalError(`${fnName}: missing argument for ${names[i]}`);
  }
  return out;
}

/** Checks a builtin that takes only positional arguments, between min and max of them. */
export function positional(fnName: string, args: Value[], kwargs: ArgsKw, min: number, max: number): void {
  if (kwargs.length > 0)
    throw new EvalError(
      `${fnName}: unexpected keyword arguments (it takes none, got ${kwargs.map(([k]) => k).join(", ")})`,
    );
  if (args.length < min)
    throw new EvalError(
      `${fnName}: got ${args.length} arguments, want ${min === max ? "" : "at least "}${min}`,
    );
  if (args.length > max)
    throw new EvalError(
      `${fnName}: got ${args.length} arguments, want ${min === max ? "" : "at most "}${max}`,
    );
}

export function wantString(fnName: string, v: Value, param: string | number): string {
  if (typeof v !== "string")
    throw new EvalError(`${fnName}: for parameter ${param}: got ${typeName(v)}, want string`);
  return v;
}

export function wantInt(fnName: string, v: Value, param: string | number): number {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") throw new EvalError(`${fnName}: for parameter ${param}: ${v} out of range`);
  throw new EvalError(`${fnName}: for parameter ${param}: got ${typeName(v)}, want int`);
}
