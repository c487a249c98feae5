// Option objects of the TypeScript spec API are checked as strictly as Starlark keyword arguments: a key
// the function does not take is an error naming the valid ones, never silently ignored (a misspelt
// `rules` or a syscall fault in the wrong place would otherwise run the test with no fault at all).
import { nearest } from "../util/spell.js";
import { SpecError, type SourceLocation } from "./errors.js";

/** The keys of an options type, as a value; `satisfies` makes the compiler check the list is complete. */
export type KeyList<T> = Record<Exclude<keyof T, "location">, true>;

/**
 * Throws a SpecError at `location` if `options` holds a key outside `valid`. `hint` may explain a key
 * that is a known mistake (a syscall name where rules go, a Starlark spelling).
 */
export function checkOptionKeys(
  where: string,
  options: unknown,
  valid: readonly string[],
  location: SourceLocation | undefined,
  hint?: (key: string) => string | undefined,
): void {
  if (options === undefined) return;
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new SpecError(
      `${where}: options must be an object ({ ${valid.join(", ")} }), got ${options === null ? "null" : Array.isArray(options) ? "an array" : typeof options}`,
      { location },
    );
  }
  for (const key of Object.keys(options)) {
    if (valid.includes(key)) continue;
    const extra = hint?.(key);
    const near = extra ? undefined : nearest(key, valid);
    throw new SpecError(
      `${where}: unknown option "${key}"${near ? ` (did you mean "${near}"?)` : ""}${extra ? ` (${extra})` : ""}; valid options: ${valid.join(", ")}`,
      { location },
    );
  }
}
