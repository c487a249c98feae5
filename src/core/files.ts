// load_file/load_json/load_yaml and spec-relative load(): paths resolve against the spec's folder
// and may not leave it (a spec is shareable; reading ~/.ssh from one must not be possible).
import { readFileSync, realpathSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import { SpecError } from "./errors.js";
import { yamlModule } from "./lazy-module.js";

/** Every file the spec loaded or read so far (absolute real paths), for bundles. One spec per process. */
const specFiles = new Set<string>();
let forward: ((path: string) => void) | undefined;

/** Records a file the spec read (load(), load_file/json/yaml), from whichever thread read it. */
export function noteSpecFile(path: string): void {
  if (specFiles.has(path)) return;
  specFiles.add(path);
  forward?.(path);
}

/** A thread that reads spec files for another (the Starlark worker) passes each new one on. */
export function forwardSpecFiles(to: (path: string) => void): void {
  forward = to;
}

export function specFilesRead(): string[] {
  return [...specFiles].sort();
}

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

/** Reads a file for load_file/load_json/load_yaml, noting it as one the spec read. */
function readSpecFile(dir: string, path: string, what: string): string {
  const real = resolveInside(dir, path, what);
  const text = readFileSync(real, "utf8");
  noteSpecFile(real);
  return text;
}

export function loadFile(dir: string, path: string): string {
  return readSpecFile(dir, path, "load_file");
}

export function loadJson(dir: string, path: string): unknown {
  const text = readSpecFile(dir, path, "load_json");
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new SpecError(`load_json: "${path}" is not valid JSON: ${(err as Error).message}`);
  }
}

export function loadYaml(dir: string, path: string): unknown {
  const text = readSpecFile(dir, path, "load_yaml");
  try {
    return yamlModule().parse(text);
  } catch (err) {
    throw new SpecError(`load_yaml: "${path}" is not valid YAML: ${(err as Error).message}`);
  }
}
