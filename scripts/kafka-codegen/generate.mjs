#!/usr/bin/env node
// Generates the Kafka message tables and TypeScript types of src/protocols/kafka/wire/generated/ from
// Apache Kafka's JSON message definitions (Apache-2.0). The codec interprets the tables at run time,
// so every version of every listed API is encoded and decoded by the same small, tested interpreter.
//
//   node scripts/kafka-codegen/generate.mjs [schema-dir]
// schema-dir defaults to ../shared/reference/kafka-message-schemas (relative to the repository).
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const schemaDir = process.argv[2] ?? join(root, "..", "shared", "reference", "kafka-message-schemas");
const outDir = join(root, "src", "protocols", "kafka", "wire", "generated");

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
  "DescribeProducers",
  "ConsumerGroupHeartbeat",
  "ConsumerGroupDescribe",
  "DescribeTopicPartitions",
  "OffsetDelete",
];

/** JSON with // comments (outside strings) removed. */
function readCommentedJson(path) {
  const text = readFileSync(path, "utf8");
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
  return JSON.parse(out);
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
function convert(msg, interfaces) {
  const common = new Map((msg.commonStructs ?? []).map((s) => [s.name, s]));
  const valid = range(msg.validVersions);
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
      members.push(
        `  /** ${(f.about ?? "").replace(/\*\//g, "* /")} (versions ${f.versions}${f.nullableVersions ? `, nullable ${f.nullableVersions}` : ""}${f.tag !== undefined ? `, tag ${f.tag}` : ""}) */\n  ${fs.name}${always ? "" : "?"}: ${isArray ? `(${tsType}${PRIMITIVES.has(t) ? "" : ""})[]` : tsType}${nullable};`,
      );
    }
    members.push(
      "  /** Tagged fields this codec does not know, kept so a relayed message is re-encoded unchanged. */\n  unknownTaggedFields?: UnknownTaggedField[];",
    );
    interfaces.set(ifaceName, `export interface ${ifaceName} {\n${members.join("\n")}\n}`);
    return out;
  }
  return { valid, flexible: range(msg.flexibleVersions), fields: fields(msg.fields, msg.name, null) };
}

const interfaces = new Map();
const apis = [];
for (const api of APIS) {
  const reqPath = join(schemaDir, `${api}Request.json`);
  if (!existsSync(reqPath)) throw new Error(`no schema for ${api} in ${schemaDir}`);
  const req = readCommentedJson(reqPath);
  const resp = readCommentedJson(join(schemaDir, `${api}Response.json`));
  const r = convert(req, interfaces);
  const s = convert(resp, interfaces);
  apis.push({
    name: api,
    apiKey: req.apiKey,
    validVersions: r.valid,
    flexibleVersions: r.flexible,
    request: r.fields,
    response: s.fields,
  });
}
const headers = {
  request: convert(readCommentedJson(join(schemaDir, "RequestHeader.json")), interfaces).fields,
  response: convert(readCommentedJson(join(schemaDir, "ResponseHeader.json")), interfaces).fields,
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
    [...interfaces.values()].join("\n\n") +
    `\n\n/** Request and response body types by API key. */\nexport interface ApiMessages {\n${map}\n}\n\n` +
    `export type ApiKey = keyof ApiMessages;\n` +
    `export const API_KEYS = {\n${apis.map((a) => `  ${a.name}: ${a.apiKey},`).join("\n")}\n} as const;\n`,
);
console.log(`generated ${apis.length} APIs into ${outDir}`);
