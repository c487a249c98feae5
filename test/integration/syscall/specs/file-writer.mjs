// The service of fault-keywords.star: POST /write?n=N writes N lines to its data file, one write(2)
// each, and answers how many failed and with which errors; PUT /ping answers without touching a file.
import { mkdtempSync, openSync, writeSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "fb-writer-"));
const fd = openSync(join(dir, "fb-writer-data.log"), "a");

createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://localhost");
  const n = Number(url.searchParams.get("n") ?? 0);
  let failed = 0;
  const errors = new Set();
  for (let i = 0; i < n; i++) {
    try {
      writeSync(fd, `line ${i}\n`);
    } catch (err) {
      failed++;
      errors.add(err.code);
    }
  }
  const body = JSON.stringify({ written: n - failed, failed, errors: [...errors].sort() });
  res.writeHead(200, { "Content-Type": "application/json" });
  res.end(body);
}).listen(Number(process.env.PORT), "127.0.0.1");
