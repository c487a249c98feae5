// load_file/load_json/load_yaml and spec-relative load(): paths resolve against the spec's folder
// and may not leave it (a spec is shareable; reading ~/.ssh from one must not be possible).
import { readFileSync, realpathSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { SpecError } from "./errors.js";

export function resolveInside(dir: string, path: string, what: string): string {
  const full = resolve(dir, path);
  let real = full;
  try {
    real = realpathSync(full);
  } catch {
    throw new SpecError(`${what}: cannot read "${path}": no such file in ${dir}`);
  }
  const rel = relative(realpathSync(dir), real);
  if (rel.startsWith("..") || isAbsolute(rel)) {
    throw new SpecError(
      `${what}: "${path}" is outside the spec's folder (${dir}); only files under it can be loaded`,
    );
  }
  return real;
}

export function loadFile(dir: string, path: string): string {
  return readFileSync(resolveInside(dir, path, "load_file"), "utf8");
}

export function loadJson(dir: string, path: string): unknown {
  const text = readFileSync(resolveInside(dir, path, "load_json"), "utf8");
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new SpecError(`load_json: "${path}" is not valid JSON: ${(err as Error).message}`);
  }
}

export function loadYaml(dir: string, path: string): unknown {
  const text = readFileSync(resolveInside(dir, path, "load_yaml"), "utf8");
  try {
    return parseYaml(text);
  } catch (err) {
    throw new SpecError(`load_yaml: "${path}" is not valid YAML: ${(err as Error).message}`);
  }
}
