// A real container engine for the container launcher's integration tests: a private Podman service
// speaking the Docker Engine API on its own socket, with the test image built locally.
//
//   const reason = podmanUnavailableReason();          // a string when the tests must be skipped
//   const engine = await startPodman();                // socket, dockerHost, image, containers()
//   ...
//   await engine.stop();                               // containers, images, service, temp dir
//
// Everything Podman stores lives under one temporary directory (storage, runroot, tmpdir, network
// configs, containers.conf), so nothing leaks into /var/lib/containers, and the system-wide sockets
// that faultbox probes (/run/podman/podman.sock, /var/run/docker.sock) are never created: other tests
// keep seeing "no engine". What does reach the host is Podman's default bridge network (CNI: the
// cni-podman0 bridge, its iptables chains and IPAM state in /var/lib/cni/networks/podman), as with any
// rootful Podman; they are reused by the next run, not removed.
//
// Why each setting:
//   - root only: rootless Podman needs subuid ranges and user namespaces this machine may not grant.
//   - storage driver vfs: works on any filesystem (also an overlay /tmp); the test image is under 1 MB.
//   - cgroup manager cgroupfs and a file events logger: there is no systemd or journald here.
//   - explicit ulimits: by default Podman asks runc for RLIMIT_NOFILE 1048576 and RLIMIT_NPROC above
//     what this process holds, and without CAP_SYS_RESOURCE runc fails ("error setting rlimit type 7:
//     operation not permitted"). Soft and hard are equal because Podman 4.3's compatible API swaps them
//     when they differ ("rlimit type 7: invalid argument").
//   - the image: a static C program (test/integration/containers/image/server.c) on `scratch`, built
//     with the C compiler the syscall supervisor already needs; no registry is reachable here.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { missingTool, tool } from "../../support/tools.js";
import { dockerClient, type DockerClient } from "../../../src/launch/docker-api.js";
import { guardProcessGroup, releaseProcessGroup } from "../../../src/launch/watchdog.js";

const run = promisify(execFile);
const serverSource = fileURLToPath(new URL("./image/server.c", import.meta.url));

/** The image every test uses: an HTTP service (see image/server.c for its routes). */
export const TEST_IMAGE = "localhost/faultbox-test-http:1";

export interface ContainerSummary {
  Id: string;
  Names: string[];
  State: string;
  Labels: Record<string, string> | null;
}

export interface PodmanEngine {
  /** The API socket; DOCKER_HOST=unix://<socket> points faultbox at it. */
  socket: string;
  dockerHost: string;
  client: DockerClient;
  /** Every container the engine knows, running or not. */
  containers(): Promise<ContainerSummary[]>;
  /** The engine's own record of what it did (for failure messages). */
  serviceLog(): string;
  /** Figures for the report: how long starting the service and building the image took. */
  timings: { serviceMs: number; imageMs: number };
  stop(): Promise<void>;
}

/** Why the real-engine tests cannot run here, or undefined when they can. */
export function podmanUnavailableReason(): string | undefined {
  const podman = missingTool("podman");
  if (podman) return podman;
  if (process.getuid?.() !== 0) return "the Podman API service is started as root; run the tests as root";
  const cc = missingTool("cc");
  if (cc) return `no C compiler to build the test image (${cc})`;
  return undefined;
}

/** The hard limit this process holds for a resource, as /proc/self/limits reports it. */
function hardLimit(label: string, fallback: number): number {
  const line = readFileSync("/proc/self/limits", "utf8")
    .split("\n")
    .find((l) => l.startsWith(label));
  const hard = line?.slice(label.length).trim().split(/\s+/)[1];
  return hard && /^\d+$/.test(hard) ? Number(hard) : fallback;
}

export async function startPodman(): Promise<PodmanEngine> {
  const dir = mkdtempSync(join(tmpdir(), "fb-podman-"));
  const socket = join(dir, "api.sock");
  const nofile = Math.min(hardLimit("Max open files", 1024), 65536);
  const conf = join(dir, "containers.conf");
  writeFileSync(
    conf,
    [
      "[containers]",
      `default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=4096:4096"]`,
      "[engine]",
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      `events_logfile_path = "${join(dir, "events.log")}"`,
      "[network]",
      `network_config_dir = "${join(dir, "networks")}"`,
      "",
    ].join("\n"),
  );
  for (const d of ["root", "runroot", "tmp", "networks", "image"]) mkdirSync(join(dir, d));
  const globalArgs = [
    "--root",
    join(dir, "root"),
    "--runroot",
    join(dir, "runroot"),
    "--tmpdir",
    join(dir, "tmp"),
    "--storage-driver",
    "vfs",
    "--cgroup-manager",
    "cgroupfs",
    "--events-backend",
    "file",
  ];
  const env = { ...process.env, CONTAINERS_CONF: conf };
  const podman = async (...args: string[]) =>
    (await run(tool("podman"), [...globalArgs, ...args], { env, maxBuffer: 16 << 20 })).stdout;

  const logFile = join(dir, "service.log");
  let service: ChildProcess | undefined;
  const client = dockerClient(socket);
  const containers = () => client.json<ContainerSummary[]>("GET", "/containers/json?all=1");
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      if (service?.exitCode === null) {
        for (const c of await containers().catch(() => []))
          await client.json("DELETE", `/containers/${c.Id}?force=1`).catch(() => undefined);
      }
      // Through the CLI too: it reaches the same storage even when the service has died.
      await podman("rm", "--all", "--force").catch(() => undefined);
      await podman("rmi", "--all", "--force").catch(() => undefined);
    } finally {
      if (service?.pid && service.exitCode === null) {
        try {
          process.kill(-service.pid, "SIGTERM");
        } catch {
          /* gone already */
        }
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            try {
              process.kill(-service!.pid!, "SIGKILL");
            } catch {
              /* gone */
            }
            resolve();
          }, 5000);
          service!.once("exit", () => {
            clearTimeout(t);
            resolve();
          });
        });
        releaseProcessGroup(service.pid);
      }
      rmSync(dir, { recursive: true, force: true });
    }
  };

  try {
    const t0 = Date.now();
    const out = openSync(logFile, "a");
    service = spawn(tool("podman"), [...globalArgs, "system", "service", "--time=0", `unix://${socket}`], {
      env,
      detached: true, // its own process group: stopped as a whole, and by the watchdog if we die
      stdio: ["ignore", out, out],
    });
    closeSync(out);
    guardProcessGroup(service.pid!);
    const exited = new Promise<never>((_, reject) =>
      service!.once("exit", (code) =>
        reject(new Error(`podman system service exited (${code}): ${readFileSync(logFile, "utf8")}`)),
      ),
    );
    exited.catch(() => undefined);
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (
        existsSync(socket) &&
        (await client.json("GET", "/_ping").then(
          () => true,
          () => false,
        ))
      )
        break;
      if (Date.now() > deadline) throw new Error(`the Podman API did not answer on ${socket} within 30 s`);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 100))]);
    }
    const serviceMs = Date.now() - t0;

    const t1 = Date.now();
    const context = join(dir, "image");
    await run(tool("cc"), ["-static", "-O2", "-o", join(context, "server"), serverSource]);
    writeFileSync(
      join(context, "Containerfile"),
      'FROM scratch\nCOPY server /server\nENTRYPOINT ["/server"]\n',
    );
    await podman("build", "--quiet", "--tag", TEST_IMAGE, context);
    const imageMs = Date.now() - t1;

    return {
      socket,
      dockerHost: `unix://${socket}`,
      client,
      containers,
      serviceLog: () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : ""),
      timings: { serviceMs, imageMs },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
