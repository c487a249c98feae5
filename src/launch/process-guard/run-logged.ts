// Runs a short-lived command (a storage format, initdb) to completion, its output kept in a log file
// that error messages can quote. Resolves to the exit code, -1 when it could not run at all.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";

export function runLogged(argv: string[], logFile: string, options: { cwd?: string } = {}): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"], cwd: options.cwd });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => chunks.push(d));
    child.stderr.on("data", (d: Buffer) => chunks.push(d));
    child.on("error", (err) => {
      chunks.push(Buffer.from(String(err)));
      resolve(-1);
    });
    child.on("close", (code) => {
      writeFileSync(logFile, Buffer.concat(chunks));
      resolve(code ?? -1);
    });
  });
}
