// A tiny key-value service that keeps its data on disk (ACTIONS_DATA_DIR, set by the test), for the
// service-action tests: every start is counted in the same directory, a graceful stop (SIGTERM) says so
// on stdout before exiting, and each start prints its pid.
//   GET /put?k=K&v=V  stores V under K          GET /get?k=K  -> V, or 404
//   GET /starts       -> how many times the service started on this directory
import { createServer } from "node:http";
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.env.ACTIONS_DATA_DIR;
if (!dir) {
  console.error("ACTIONS_DATA_DIR is not set");
  process.exit(2);
}
const dataFile = join(dir, "data.json");
const startsFile = join(dir, "starts");
appendFileSync(startsFile, "x");
const data = () => (existsSync(dataFile) ? JSON.parse(readFileSync(dataFile, "utf8")) : {});

const server = createServer((req, res) => {
  const u = new URL(req.url ?? "/", "http://store");
  const k = u.searchParams.get("k") ?? "";
  if (u.pathname === "/put") {
    writeFileSync(dataFile, JSON.stringify({ ...data(), [k]: u.searchParams.get("v") }));
    return res.end("stored");
  }
  if (u.pathname === "/get") {
    const v = data()[k];
    res.statusCode = v === undefined ? 404 : 200;
    return res.end(v ?? "no such key");
  }
  if (u.pathname === "/starts") return res.end(String(readFileSync(startsFile, "utf8").length));
  res.statusCode = 404;
  res.end("unknown route");
});
process.on("SIGTERM", () => {
  console.log(JSON.stringify({ event: "stopping", pid: process.pid }));
  server.close(() => process.exit(0));
});
server.listen(Number(process.env.PORT), "127.0.0.1", () =>
  console.log(JSON.stringify({ event: "started", pid: process.pid })),
);
