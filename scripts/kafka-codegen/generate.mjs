#!/usr/bin/env node
// Generates the Kafka message tables and TypeScript types of src/protocols/kafka/wire/generated/ from
// Apache Kafka's JSON message definitions (Apache-2.0). The codec interprets the tables at run time,
// so every version of every listed API is encoded and decoded by the same small, tested interpreter.
//
//   node scripts/kafka-codegen/generate.mjs [old-schema-dir] [newer-jar-or-dir]
//   npx prettier --write src/protocols/kafka/wire/generated/
//
// old-schema-dir defaults to ../shared/reference/kafka-message-schemas (Kafka 4.0 snapshot);
// newer-jar-or-dir defaults to ~/.cache/faultbox/kafka/4.1.1/lib/kafka-clients-4.1.1.jar (the
// definitions are its common/message/*.json), or pass a directory of extracted definitions, or "none"
// to generate from the old directory alone.
//
// Why two sources: newer Kafka releases add versions (Produce 12-13, Fetch 18, ...) but also drop old
// ones from validVersions (4.1 offers Produce 3-13, Fetch 4-18), while a 3.9 broker still offers
// Produce 0-11 and Fetch 0-17 and the proxy must decode every version it relays. So each API's table is
// the newest definition with its validVersions widened to the union of both. The widening is only
// trusted where it is VERIFIED: for every version of the union that the old definition also covers,
// the flattened field layout the codec would interpret (field names, types, array element types,
// presence, nullability, tags, tagged-ness, per-field flexibility, defaults, nesting, and the message's
// flexibility) must be identical between the two definitions. Any difference aborts generation with a
// message naming the API, the version and the first differing field; nothing is silently guessed.
// Output is deterministic: APIs sorted by key, fields in definition order, no timestamps.
import { readFileSync, writeFileSync, existsSync, statSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { homedir } from "node:os";
import { fileURLToPath } from "node:url";
import { inflateRawSync } from "node:zlib";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const schemaDir = process.argv[2] ?? join(root, "..", "shared", "reference", "kafka-message-schemas");
const newerSource =
  process.argv[3] ??
  join(homedir(), ".cache", "faultbox", "kafka", "4.1.1", "lib", "kafka-clients-4.1.1.jar");
// FAULTBOX_CODEGEN_OUT: write elsewhere (the generator test checks its refusals without touching src).
const outDir =
  process.env.FAULTBOX_CODEGEN_OUT ?? join(root, "src", "protocols", "kafka", "wire", "generated");

// The APIs the proxy inspects or rewrites, the ones the embedded broker serves, and the admin and
// transaction APIs clients use around them. Add a name here and re-run to extend the codec.
const APIS = [
  "Produce",
  "Fetch",
  "ListOffsets",
  "Metadata",
  "OffsetCommit",
  "OffsetFetch",
  "FindCoordinator",
  "JoinGroup",
  "Heartbeat",
  "LeaveGroup",
  "SyncGroup",
  "DescribeGroups",
  "ListGroups",
  "SaslHandshake",
  "ApiVersions",
  "CreateTopics",
  "DeleteTopics",
  "DeleteRecords",
  "InitProducerId",
  "OffsetForLeaderEpoch",
  "AddPartitionsToTxn",
  "AddOffsetsToTxn",
  "EndTxn",
  "TxnOffsetCommit",
  "DescribeConfigs",
  "SaslAuthenticate",
  "CreatePartitions",
  "DeleteGroups",
  "DescribeCluster",
  "DescribeQuorum",
  "DescribeProducers",
  "ConsumerGroupHeartbeat",
  "ConsumerGroupDescribe",
  "DescribeTopicPartitions",
  "OffsetDelete",
];

/** JSON with // comments (outside strings) removed. */
function parseCommentedJson(text, where) {
  let out = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === "\\") out += text[++i];
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else out += c;
  }
  try {
    return JSON.parse(out);
  } catch (e) {
    throw new Error(`${where}: ${e.message}`);
  }
}

/**
 * The files of a zip archive (a jar) whose names start with `prefix`, as name -> text. Reads the
 * central directory; entries are stored or deflated, the only methods jar tools write.
 */
function readZipTexts(path, prefix) {
  const zip = readFileSync(path);
  let eocd = zip.length - 22;
  while (eocd >= 0 && zip.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error(`${path}: not a zip archive (no end of central directory)`);
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  const files = new Map();
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error(`${path}: corrupt central directory`);
    const method = zip.readUInt16LE(p + 10);
    const compressed = zip.readUInt32LE(p + 20);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const local = zip.readUInt32LE(p + 42);
    const name = zip.toString("utf8", p + 46, p + 46 + nameLen);
    p += 46 + nameLen + extraLen + commentLen;
    if (!name.startsWith(prefix) || name.endsWith("/")) continue;
    const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(dataStart, dataStart + compressed);
    if (method !== 0 && method !== 8) throw new Error(`${path}: ${name} uses zip method ${method}`);
    files.set(name.slice(prefix.length), (method === 8 ? inflateRawSync(data) : data).toString("utf8"));
  }
  return files;
}

/** A source of message definitions: a directory of JSON files or a kafka-clients jar. */
function definitionSource(path) {
  if (!existsSync(path)) throw new Error(`no message definitions at ${path}`);
  if (statSync(path).isDirectory()) {
    return {
      path,
      has: (file) => existsSync(join(path, file)),
      read: (file) => parseCommentedJson(readFileSync(join(path, file), "utf8"), join(path, file)),
    };
  }
  const files = readZipTexts(path, "common/message/");
  if (files.size === 0) throw new Error(`${path} holds no common/message/*.json`);
  return {
    path,
    has: (file) => files.has(file),
    read: (file) => parseCommentedJson(files.get(file), `${path}!common/message/${file}`),
  };
}

const MAX = 32767;
/** "3+" -> [3, MAX], "1-4" -> [1, 4], "5" -> [5, 5], "none" -> null */
function range(spec) {
  if (spec === undefined || spec === "none") return null;
  if (spec.endsWith("+")) return [Number(spec.slice(0, -1)), MAX];
  const dash = spec.indexOf("-");
  if (dash >= 0) return [Number(spec.slice(0, dash)), Number(spec.slice(dash + 1))];
  return [Number(spec), Number(spec)];
}

const PRIMITIVES = new Set([
  "bool",
  "int8",
  "int16",
  "uint16",
  "int32",
  "int64",
  "float64",
  "string",
  "bytes",
  "records",
  "uuid",
]);
const camel = (s) => s[0].toLowerCase() + s.slice(1);

/** Turns JSON fields into the codec's FieldSchema literals and collects TypeScript interfaces. */
function convert(msg, interfaces, validOverride) {
  const common = new Map((msg.commonStructs ?? []).map((s) => [s.name, s]));
  const valid = validOverride ?? range(msg.validVersions);
  const structName = (n) => (n === msg.name ? n : msg.name + n);

  function fields(list, ifaceName, parentVersions) {
    const out = [];
    const members = [];
    for (const f of list) {
      let t = f.type;
      const isArray = t.startsWith("[]");
      if (isArray) t = t.slice(2);
      const fs = { name: camel(f.name) };
      let tsType;
      let sub;
      if (PRIMITIVES.has(t)) {
        tsType =
          {
            bool: "boolean",
            int64: "bigint",
            string: "string",
            bytes: "Buffer",
            records: "Buffer",
            uuid: "string",
          }[t] ?? "number";
      } else {
        const def = f.fields ? f : common.get(t);
        if (!def?.fields) throw new Error(`${msg.name}: unknown type ${f.type} of field ${f.name}`);
        tsType = structName(t);
        sub = () => fields(def.fields, tsType, range(f.versions));
      }
      fs.type = isArray ? "array" : PRIMITIVES.has(t) ? t : "struct";
      if (isArray) fs.element = PRIMITIVES.has(t) ? t : "struct";
      const versions = range(f.versions);
      fs.versions = versions;
      if (f.nullableVersions) fs.nullable = range(f.nullableVersions);
      if (f.tag !== undefined) {
        fs.tag = f.tag;
        fs.taggedVersions = range(f.taggedVersions);
      }
      if (f.flexibleVersions !== undefined) fs.flexible = range(f.flexibleVersions);
      if (f.default !== undefined) fs.default = String(f.default);
      if (sub) fs.fields = sub();
      out.push(fs);
      // A member is optional unless present in every version its struct exists in, and not tagged.
      const always =
        versions &&
        valid &&
        fs.tag === undefined &&
        versions[0] <= Math.max(valid[0], parentVersions?.[0] ?? 0) &&
        versions[1] >= valid[1];
      const nullable = fs.nullable ? " | null" : "";
      members.push({
        name: fs.name,
        doc: `${(f.about ?? "").replace(/\*\//g, "* /")} (versions ${f.versions}${f.nullableVersions ? `, nullable ${f.nullableVersions}` : ""}${f.tag !== undefined ? `, tag ${f.tag}` : ""})`,
        optional: !always,
        type: `${isArray ? `${tsType}[]` : tsType}${nullable}`,
      });
    }
    interfaces.set(ifaceName, members);
    return out;
  }
  return {
    apiKey: msg.apiKey,
    valid,
    flexible: range(msg.flexibleVersions),
    fields: fields(msg.fields, msg.name, null),
  };
}

const inRange = (r, v) => r != null && v >= r[0] && v <= r[1];

/**
 * The fields of a converted table as the codec sees them in one version: one line per field present,
 * with its path, wire type, nullability, tag, compactness and default, nested structs included. Two
 * definitions that give equal lines for a version encode and decode that version identically.
 */
function flatLayout(fields, version, flexible, path = "") {
  const lines = [];
  for (const f of fields) {
    if (!inRange(f.versions, version)) continue;
    // The codec skips a tagged field outside flexible versions or outside its tagged versions.
    if (f.tag !== undefined && !(flexible && inRange(f.taggedVersions, version))) continue;
    const compact = f.flexible !== undefined ? inRange(f.flexible, version) : flexible;
    lines.push(
      `${path}${f.name} ${f.type}${f.element ? `<${f.element}>` : ""}` +
        ` nullable=${inRange(f.nullable, version)} tag=${f.tag ?? "-"} compact=${compact}` +
        ` default=${f.default ?? "-"}`,
    );
    if (f.fields) lines.push(...flatLayout(f.fields, version, compact, `${path}${f.name}.`));
  }
  return lines;
}

/** An interface's source text; members are objects { name, doc, optional, type }. */
function renderInterface(name, members) {
  const lines = members.map((m) => `  /** ${m.doc} */\n  ${m.name}${m.optional ? "?" : ""}: ${m.type};`);
  lines.push(
    "  /** Tagged fields this codec does not know, kept so a relayed message is re-encoded unchanged. */\n  unknownTaggedFields?: UnknownTaggedField[];",
  );
  return `export interface ${name} {\n${lines.join("\n")}\n}`;
}

/** Adds, as optional members, the fields only the older definition's legacy versions have. */
function mergeLegacyMembers(interfaces, legacyInterfaces) {
  for (const [name, members] of legacyInterfaces) {
    const current = interfaces.get(name);
    if (!current) continue; // a struct only legacy versions have is typed through its parent's member
    for (const m of members) {
      if (!current.some((c) => c.name === m.name))
        current.push({ ...m, optional: true, doc: `${m.doc} (legacy versions only)` });
    }
  }
}

/** The versions of `older` that `newer` does not describe identically (see flatLayout). */
function differingVersions(versions, older, newer) {
  const out = [];
  for (const v of versions) {
    const a = flatLayout(older.fields, v, inRange(older.flexible, v));
    const b = flatLayout(newer.fields, v, inRange(newer.flexible, v));
    if (inRange(older.flexible, v) !== inRange(newer.flexible, v) || a.join("\n") !== b.join("\n"))
      out.push({ version: v, older: a, newer: b });
  }
  return out;
}

/** Throws unless `newer` describes every listed version exactly as `older` does. */
function verifySameLayout(what, versions, older, newer) {
  for (const v of versions) {
    const a = flatLayout(older.fields, v, inRange(older.flexible, v));
    const b = flatLayout(newer.fields, v, inRange(newer.flexible, v));
    if (inRange(older.flexible, v) !== inRange(newer.flexible, v))
      throw new Error(`${what} v${v}: flexibility differs between the definitions`);
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (a[i] !== b[i]) {
        throw new Error(
          `${what} v${v}: the newer definition does not describe this version as the older one does\n` +
            `  older: ${a[i] ?? "(no field)"}\n  newer: ${b[i] ?? "(no field)"}\n` +
            `Generate from the older definitions alone, or teach the generator to emit per-version tables.`,
        );
      }
    }
  }
}

const versionsOf = (r) => (r ? Array.from({ length: r[1] - r[0] + 1 }, (_, i) => r[0] + i) : []);

const older = definitionSource(schemaDir);
const newer = newerSource === "none" ? older : definitionSource(newerSource);

/** The older and newer definition of one message file, converted (types go to `interfaces`). */
function bothDefinitions(file, interfaces, legacyInterfaces, union) {
  const o = older.read(file);
  const n = newer.has(file) ? newer.read(file) : o;
  if (o.apiKey !== n.apiKey) throw new Error(`${file}: api key ${o.apiKey} became ${n.apiKey}`);
  return { older: convert(o, legacyInterfaces), newer: convert(n, interfaces, union) };
}

const interfaces = new Map();
const legacyInterfaces = new Map();
const apis = [];
const provenance = [];
for (const api of APIS) {
  if (!older.has(`${api}Request.json`)) throw new Error(`no schema for ${api} in ${older.path}`);
  const ov = range(older.read(`${api}Request.json`).validVersions);
  const nv = range(
    (newer.has(`${api}Request.json`) ? newer : older).read(`${api}Request.json`).validVersions,
  );
  const union = [Math.min(ov[0], nv[0]), Math.max(ov[1], nv[1])];
  const req = bothDefinitions(`${api}Request.json`, interfaces, legacyInterfaces, union);
  const resp = bothDefinitions(`${api}Response.json`, interfaces, legacyInterfaces, union);
  // Versions the newer definitions lay out differently from the older ones: allowed only among the
  // versions the newer release dropped (it may prune their fields), and then encoded by the older
  // tables. A difference in a version both releases offer would be a redefinition: refuse it.
  const differing = [
    ...differingVersions(versionsOf(ov), req.older, req.newer).map((d) => ({ ...d, what: "request" })),
    ...differingVersions(versionsOf(ov), resp.older, resp.newer).map((d) => ({ ...d, what: "response" })),
  ];
  for (const d of differing) {
    if (d.version >= nv[0]) {
      const i = d.older.findIndex((line, j) => line !== d.newer[j]);
      throw new Error(
        `${api} ${d.what} v${d.version} is offered by both definitions but laid out differently:\n` +
          `  older: ${d.older[i] ?? "(no field)"}\n  newer: ${d.newer[i] ?? "(no field)"}`,
      );
    }
  }
  const legacyMax = Math.max(-1, ...differing.map((d) => d.version));
  const schema = {
    name: api,
    apiKey: req.newer.apiKey,
    validVersions: union,
    flexibleVersions: req.newer.flexible,
    request: req.newer.fields,
    response: resp.newer.fields,
  };
  // A latest version the newer release marks unstable may still change shape in a later release: the
  // codec decodes it, but the proxy does not offer it to clients (see capApiVersions).
  const newerRequest = (newer.has(`${api}Request.json`) ? newer : older).read(`${api}Request.json`);
  if (newerRequest.latestVersionUnstable === true) schema.unstableVersions = [nv[1], nv[1]];
  if (legacyMax >= 0) {
    schema.legacy = {
      versions: [ov[0], legacyMax],
      flexibleVersions: req.older.flexible,
      request: req.older.fields,
      response: resp.older.fields,
    };
  }
  apis.push(schema);
  provenance.push(
    `  ${api}: ${union.join("-")}` +
      (legacyMax >= 0
        ? ` (${ov[0]}-${legacyMax} from the older definitions, whose fields the newer dropped)`
        : "") +
      (schema.unstableVersions ? ` (${nv[1]} unstable in the newer release)` : ""),
  );
}
mergeLegacyMembers(interfaces, legacyInterfaces);

/** A header message: the newer definition, verified to lay out every older version identically. */
function headerFields(file) {
  const o = older.read(file);
  const n = newer.has(file) ? newer.read(file) : o;
  const scratch = new Map();
  const ov = range(o.validVersions);
  verifySameLayout(file, versionsOf(ov), convert(o, scratch), convert(n, scratch));
  return convert(n, interfaces).fields;
}
const headers = {
  request: headerFields("RequestHeader.json"),
  response: headerFields("ResponseHeader.json"),
};
apis.sort((a, b) => a.apiKey - b.apiKey);

const banner = `// GENERATED by scripts/kafka-codegen/generate.mjs from Apache Kafka's message definitions
// (Apache License 2.0, see NOTICE). Do not edit; re-run the generator.\n`;
writeFileSync(
  join(outDir, "schemas.ts"),
  `${banner}import type { ApiSchema, FieldSchema } from "../schema.js";\n\n` +
    `export const API_SCHEMAS: readonly ApiSchema[] = ${JSON.stringify(apis)};\n\n` +
    `export const REQUEST_HEADER_FIELDS: readonly FieldSchema[] = ${JSON.stringify(headers.request)};\n` +
    `export const RESPONSE_HEADER_FIELDS: readonly FieldSchema[] = ${JSON.stringify(headers.response)};\n`,
);
const map = apis
  .map((a) => `  ${a.apiKey}: { name: "${a.name}"; request: ${a.name}Request; response: ${a.name}Response };`)
  .join("\n");
writeFileSync(
  join(outDir, "types.ts"),
  `${banner}import type { UnknownTaggedField } from "../schema.js";\n\n` +
    [...interfaces].map(([name, members]) => renderInterface(name, members)).join("\n\n") +
    `\n\n/** Request and response body types by API key. */\nexport interface ApiMessages {\n${map}\n}\n\n` +
    `export type ApiKey = keyof ApiMessages;\n` +
    `export const API_KEYS = {\n${apis.map((a) => `  ${a.name}: ${a.apiKey},`).join("\n")}\n} as const;\n`,
);
/** How NOTICE names a source: the jar's file name, or the directory relative to the repository. */
function sourceLabel(path) {
  if (path.endsWith(".jar")) return `${basename(path)} (common/message/*.json)`;
  const rel = relative(join(root, ".."), path);
  // The shared reference copy was taken from Kafka's trunk at this commit (see its README).
  return rel === join("shared", "reference", "kafka-message-schemas")
    ? `${rel} (Apache Kafka 4.0.0-SNAPSHOT, commit 1eb7644)`
    : rel;
}
writeFileSync(
  join(outDir, "NOTICE"),
  `The tables and types in this directory are generated by scripts/kafka-codegen/generate.mjs from Apache
Kafka's protocol message definitions (clients/src/main/resources/common/message/*.json):
  older: ${sourceLabel(older.path)}
  newer: ${newer === older ? "(none)" : sourceLabel(newer.path)}
Each API is the newer definition, valid over every version either release offers; versions the newer
definition lays out differently (fields pruned with the versions it dropped) use the older tables.
${provenance.join("\n")}

Apache Kafka
Copyright 2024 The Apache Software Foundation.
Licensed under the Apache License, Version 2.0 (http://www.apache.org/licenses/LICENSE-2.0).
`,
);
console.log(`generated ${apis.length} APIs into ${outDir}\n${provenance.join("\n")}`);
