// The system under test of the examples: a tiny order API (ROLE=api) that reserves stock from an
// inventory service (ROLE=inventory) over HTTP and, when DATABASE_URL is set, stores orders in
// PostgreSQL. It logs one JSON line per business event on stdout, which specs observe.
import { createServer, request } from "node:http";

const role = process.env.ROLE ?? "api";
const port = Number(process.env.PORT ?? 8080);
let counter = 0;
const orders = new Map();
let db;

function log(fields) {
  process.stdout.write(JSON.stringify({ role, ...fields }) + "\n");
}

async function database() {
  if (!process.env.DATABASE_URL) return undefined;
  if (!db) {
    const { default: pg } = await import("pg");
    db = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
    db.on("error", () => undefined);
  }
  return db;
}

function reply(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

function reserve(sku) {
  return new Promise((resolve) => {
    const req = request(
      `http://${process.env.INVENTORY_ADDR}/reserve?sku=${encodeURIComponent(sku)}`,
      { method: "POST", timeout: 5000 },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode === 200 ? "ok" : `inventory answered ${res.statusCode}`));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (err) => resolve(`inventory unreachable: ${err.message}`));
    req.end();
  });
}

async function readBody(req) {
  let text = "";
  for await (const c of req) text += c;
  return text;
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url, "http://x");
  try {
    if (url.pathname === "/health") return reply(res, 200, { status: "ok", role });
    if (url.pathname === "/counter") return reply(res, 200, { count: ++counter });
    if (role === "inventory" && url.pathname === "/reserve") {
      log({ event: "reserved", sku: url.searchParams.get("sku") });
      return reply(res, 200, { reserved: true });
    }
    if (role === "api" && url.pathname === "/orders" && req.method === "POST") {
      const order = JSON.parse((await readBody(req)) || "{}");
      const id = String(order.id ?? "");
      if (!id) return reply(res, 400, { error: "id required" });
      const reserved = await reserve(order.sku ?? "sku-1");
      if (reserved !== "ok") {
        log({ event: "order_failed", order_id: id, reason: reserved });
        return reply(res, 503, { error: reserved });
      }
      const pool = await database();
      if (pool) await pool.query("INSERT INTO orders (id, sku) VALUES ($1, $2)", [id, order.sku ?? "sku-1"]);
      else orders.set(id, order);
      log({ event: "order_created", order_id: id });
      return reply(res, 201, { id, status: "created" });
    }
    if (role === "api" && url.pathname.startsWith("/orders/")) {
      const id = url.pathname.slice("/orders/".length);
      const pool = await database();
      const found = pool
        ? (await pool.query("SELECT id, sku FROM orders WHERE id = $1", [id])).rows[0]
        : orders.get(id);
      return found ? reply(res, 200, found) : reply(res, 404, { error: "not found" });
    }
    reply(res, 404, { error: "no route" });
  } catch (err) {
    log({ event: "error", message: err.message });
    reply(res, 500, { error: err.message });
  }
});

server.listen(port, "127.0.0.1", () => log({ event: "listening", port }));
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => server.close(() => process.exit(0)));
