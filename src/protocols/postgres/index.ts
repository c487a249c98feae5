// The postgres protocol: query(sql=) returns rows as dicts in .data; exec(sql=) returns rows_affected.
// Credentials come from the service's env (POSTGRES_USER/PASSWORD/DB) unless given as step kwargs.
// The proxy works at connection level (drop/delay a connection), not per query.
import type { Client, ClientConfig } from "pg";
import { pgModule } from "../../core/lazy-module.js";
import type { Address, ProtocolPlugin, StepCall, StepOutcome } from "../../core/protocol.js";
import { postgresProxyPlugin } from "./proxy.js";

const INT8_OID = 20;

/** count(*) is int8; answering it as a number (when exact) lets specs compare `rows == 0`. */
const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === INT8_OID && format !== "binary") {
      return (v: string) => {
        const n = Number(v);
        return Number.isSafeInteger(n) ? n : v;
      };
    }
    return pgModule().types.getTypeParser(oid, format ?? "text");
  },
};

function clientConfig(
  target: Address,
  env: Record<string, string>,
  args: Record<string, unknown>,
): ClientConfig {
  if (typeof args.connstr === "string")
    return { connectionString: args.connstr, types, connectionTimeoutMillis: 10_000 };
  const user = String(args.user ?? env.POSTGRES_USER ?? env.PGUSER ?? "postgres");
  return {
    host: target.host,
    port: target.port,
    user,
    password: String(args.password ?? env.POSTGRES_PASSWORD ?? env.PGPASSWORD ?? ""),
    database: String(args.database ?? env.POSTGRES_DB ?? env.PGDATABASE ?? user),
    connectionTimeoutMillis: 10_000,
    types,
  };
}

async function withClient<T>(
  target: Address,
  env: Record<string, string>,
  args: Record<string, unknown>,
  fn: (c: Client) => Promise<T>,
): Promise<T> {
  const client = new (pgModule().Client)(clientConfig(target, env, args));
  client.on("error", () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function runSql(call: StepCall, kind: "query" | "exec"): Promise<StepOutcome> {
  try {
    const res = await withClient(call.target, call.serviceEnv, call.args, (c) =>
      c.query(String(call.args.sql)),
    );
    if (kind === "query") {
      const rows = res.rows as Record<string, unknown>[];
      return { ok: true, body: JSON.stringify(rows), data: rows, fields: { rows: rows.length } };
    }
    const data = { rows_affected: res.rowCount ?? 0 };
    return { ok: true, body: JSON.stringify(data), data, fields: { rows_affected: data.rows_affected } };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

const params = ["sql", "user", "password", "database", "connstr"];

export const postgresProtocol: ProtocolPlugin = {
  ...postgresProxyPlugin,
  steps: {
    query: { params, required: ["sql"], run: (c) => runSql(c, "query") },
    exec: { params, required: ["sql"], run: (c) => runSql(c, "exec") },
  },
  healthcheck: (target, ctx) =>
    withClient(target, ctx.serviceEnv, {}, async (c) => void (await c.query("SELECT 1"))),
};
