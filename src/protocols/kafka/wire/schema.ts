// The shape of the message tables generated from Kafka's JSON definitions (see generated/schemas.ts).

export type PrimitiveType =
  | "bool"
  | "int8"
  | "int16"
  | "uint16"
  | "int32"
  | "int64"
  | "float64"
  | "string"
  | "bytes"
  | "records"
  | "uuid";

/** Inclusive version range; an open range ("3+") ends at 32767. */
export type VersionRange = readonly [number, number];

export interface FieldSchema {
  /** camelCase of Kafka's field name, e.g. "throttleTimeMs". */
  readonly name: string;
  readonly type: PrimitiveType | "struct" | "array";
  /** Element type of an array. */
  readonly element?: PrimitiveType | "struct";
  /** Members of a struct or of an array's struct elements. */
  readonly fields?: readonly FieldSchema[];
  /** Versions in which the field exists (null: never). */
  readonly versions: VersionRange | null;
  readonly nullable?: VersionRange | null;
  readonly tag?: number;
  readonly taggedVersions?: VersionRange | null;
  /** Overrides the message's flexible versions for this field (null: never compact). */
  readonly flexible?: VersionRange | null;
  /** Kafka's default, as written in the definition ("-1", "null", "true", "0x7fffffff", ...). */
  readonly default?: string;
}

export interface ApiSchema {
  readonly name: string;
  readonly apiKey: number;
  readonly validVersions: VersionRange | null;
  readonly flexibleVersions: VersionRange | null;
  readonly request: readonly FieldSchema[];
  readonly response: readonly FieldSchema[];
  /** The latest version when the definitions mark it unstable (it may change shape in a later release). */
  readonly unstableVersions?: VersionRange;
  /**
   * Old versions whose fields a newer Kafka release pruned when it dropped them (e.g. ListOffsets v0's
   * maxNumOffsets), laid out by the older definition; `request`/`response` describe all other versions.
   */
  readonly legacy?: {
    readonly versions: VersionRange;
    readonly flexibleVersions: VersionRange | null;
    readonly request: readonly FieldSchema[];
    readonly response: readonly FieldSchema[];
  };
}

/** The request and response fields of an API at one version (legacy tables for pruned old versions). */
export function layoutAt(
  s: ApiSchema,
  version: number,
): {
  flexibleVersions: VersionRange | null;
  request: readonly FieldSchema[];
  response: readonly FieldSchema[];
} {
  return s.legacy && inRange(s.legacy.versions, version) ? s.legacy : s;
}

/** A tagged field the codec does not know, preserved byte for byte. */
export interface UnknownTaggedField {
  tag: number;
  data: Buffer;
}

export const inRange = (r: VersionRange | null | undefined, v: number): boolean =>
  r != null && v >= r[0] && v <= r[1];
