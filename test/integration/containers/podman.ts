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
//   - lock_type "file": the default "shm" locks live in one segment for every rootful Podman on the
//     machine (/dev/shm/libpod_lock), and each fresh service (a new tmpdir) frees all of them at start:
//     two test runs at once (or a run after one killed while holding a lock) hand the same lock to
//     different containers. File locks live in our tmpdir and go with the process that holds them.
//   - the image: a static C program (test/integration/containers/image/server.c) on `scratch`, built
//     with the C compiler the syscall supervisor already needs; no registry is reachable here.
import { execFile, spawn, spawnSync, type ChildProcess } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
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
  /** For the test's own files (specs): deleted with everything else by stop() or on SIGTERM. */
  workDir: string;
  /** A faultbox run of the test's: killed by stop() (and on SIGTERM) if still running then. */
  adopt(child: ChildProcess): void;
  /**
   * Removes the containers (through the engine, then the CLI), stops the service, kills whatever of
   * Podman's is left (conmon, container processes), unmounts and deletes the temporary directory.
   */
  stop(): Promise<void>;
}

/** Requests of the tests' own: shorter than faultbox's, the engine here is private and idle. */
const TEST_REQUEST_TIMEOUT_MS = 60_000;
/** Podman CLI commands (build, rm, rmi) and the compiler; a hung one is killed and reported. */
const COMMAND_TIMEOUT_MS = 120_000;

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
      'lock_type = "file"',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      `events_logfile_path = "${join(dir, "events.log")}"`,
      "[network]",
      `network_config_dir = "${join(dir, "networks")}"`,
      "",
    ].join("\n"),
  );
  for (const d of ["root", "runroot", "tmp", "networks", "image", "work"]) mkdirSync(join(dir, d));
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
    (
      await run(tool("podman"), [...globalArgs, ...args], {
        env,
        maxBuffer: 16 << 20,
        timeout: COMMAND_TIMEOUT_MS,
        killSignal: "SIGKILL",
      })
    ).stdout;

  const logFile = join(dir, "service.log");
  let service: ChildProcess | undefined;
  const runs = new Set<ChildProcess>();
  const client = dockerClient(socket, { timeoutMs: TEST_REQUEST_TIMEOUT_MS });
  const containers = () => client.json<ContainerSummary[]>("GET", "/containers/json?all=1");
  // Killed by the test runner (its per-file timeout sends SIGTERM): no after() hook runs, so leave
  // nothing behind from here, synchronously, then die of the signal as we would have.
  const onSigterm = () => {
    sweep();
    process.kill(process.pid, "SIGTERM");
  };
  process.once("SIGTERM", onSigterm);
  /** Kills what is left (runs, service, conmon, containers), unmounts, deletes the directory. */
  const sweep = () => {
    process.removeListener("SIGTERM", onSigterm);
    for (const child of runs) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    if (service?.pid && service.exitCode === null) killGroup(service.pid);
    killContainerProcesses(join(dir, "runroot"));
    unmountUnder(dir);
    rmSync(dir, { recursive: true, force: true });
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      for (const child of runs)
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
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
      sweep();
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
    await run(tool("cc"), ["-static", "-O2", "-o", join(context, "server"), serverSource], {
      timeout: COMMAND_TIMEOUT_MS,
      killSignal: "SIGKILL",
    });
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
      workDir: join(dir, "work"),
      adopt: (child) => {
        runs.add(child);
        child.once("exit", () => runs.delete(child));
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, "SIGKILL");
  } catch {
    /* gone */
  }
}

/**
 * conmon and the container's own processes do not belong to the service's process group (conmon
 * starts a session of its own): when the service dies before removing its containers, they run on.
 * Their pids are in the runroot; a pid is only killed while it is still that container's (the
 * container id in its command line or cgroup), never a process that reused the number.
 */
function killContainerProcesses(runroot: string): void {
  let ids: string[] = [];
  try {
    ids = readdirSync(join(runroot, "vfs-containers")).filter((n) => /^[0-9a-f]{64}$/.test(n));
  } catch {
    return;
  }
  for (const id of ids) {
    releaseAddress(id);
    for (const file of ["pidfile", "conmon.pid"]) {
      let pid: number;
      try {
        pid = Number(readFileSync(join(runroot, "vfs-containers", id, "userdata", file), "utf8").trim());
      } catch {
        continue;
      }
      if (!Number.isInteger(pid) || pid <= 1) continue;
      let owned = false;
      try {
        owned =
          readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(id) ||
          readFileSync(`/proc/${pid}/cgroup`, "utf8").includes(id);
      } catch {
        /* gone */
      }
      if (owned) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          /* gone meanwhile */
        }
      }
    }
  }
}

/**
 * The default bridge's address book (CNI host-local IPAM) is the host's, shared with every rootful
 * Podman: an address a killed container held stays taken unless its file (named by the address,
 * holding the container id) goes. Only files naming one of our containers are removed.
 */
function releaseAddress(id: string): void {
  const ipam = "/var/lib/cni/networks/podman";
  let names: string[] = [];
  try {
    names = readdirSync(ipam);
  } catch {
    return;
  }
  for (const name of names) {
    try {
      if (readFileSync(join(ipam, name), "utf8").startsWith(id)) rmSync(join(ipam, name), { force: true });
    } catch {
      /* not a file of ours, or gone */
    }
  }
}

/** A container's /dev/shm is a tmpfs mounted inside the storage; deleting the directory needs it gone. */
function unmountUnder(dir: string): void {
  const mounts = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4])
    .filter((m): m is string => m !== undefined && m.startsWith(dir + "/"))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) spawnSync("umount", ["-l", m], { timeout: 10_000 });
}
