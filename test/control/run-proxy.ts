// `faultbox proxy` as a child process, its stdout read line by line: for the CLI tests and the
// examples run against real Kafka (test/integration/proxy-cli/).
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export const BIN = fileURLToPath(new URL("../../bin/faultbox.js", import.meta.url));

export interface RunningProxy {
  child: ChildProcess;
  lines: string[];
  /** Resolves with the first line matching, waiting up to 30 s. */
  line(match: RegExp): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

export function startFaultboxProxy(args: string[], env: NodeJS.ProcessEnv = {}): RunningProxy {
  const child = spawn(process.execPath, [BIN, "proxy", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  const lines: string[] = [];
  const waiters: { match: RegExp; resolve: (l: string) => void }[] = [];
  let buffered = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (c: string) => {
    buffered += c;
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const l = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      lines.push(l);
      for (const w of waiters.filter((x) => x.match.test(l))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(l);
      }
    }
  });
  child.stderr!.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(
    (resolve) => child.on("exit", (code, signal) => resolve({ code, signal, stderr })),
  );
  return {
    child,
    lines,
    exited,
    line: (match) =>
      new Promise((resolve, reject) => {
        const found = lines.find((l) => match.test(l));
        if (found) return resolve(found);
        const timer = setTimeout(
          () =>
            reject(new Error(`no line matching ${match} within 30 s; got:\n${lines.join("\n")}\n${stderr}`)),
          30_000,
        );
        waiters.push({
          match,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
        void exited.then(() =>
          reject(new Error(`exited before a line matching ${match}:\n${lines.join("\n")}\n${stderr}`)),
        );
      }),
  };
}

/** Starts `faultbox proxy ARGS --control 127.0.0.1:0 --log json` and waits for its ready line. */
export async function startReadyProxy(
  args: string[],
): Promise<RunningProxy & { control: string; listen: Record<string, string>; stop(): Promise<void> }> {
  const p = startFaultboxProxy([...args, "--control", "127.0.0.1:0", "--log", "json"]);
  const ready = JSON.parse(await p.line(/"type":"ready"/)) as {
    control: string;
    proxies: { name: string; listen: string }[];
  };
  return {
    ...p,
    control: ready.control,
    listen: Object.fromEntries(ready.proxies.map((x) => [x.name, x.listen])),
    async stop() {
      p.child.kill("SIGTERM");
      await p.exited;
    },
  };
}
