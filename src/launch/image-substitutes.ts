// When no container engine is reachable, some well-known images can run another way (Kafka images as a
// local Apache Kafka process, registered by the kafka protocol). The image launcher asks the engine
// first; only when none answers does a matching substitute start the service, with a one-line notice.
import type { LaunchRequest, Launcher, RunningProcess } from "../core/launcher.js";

export interface ImageSubstitute {
  /** e.g. "local Apache Kafka (KRaft)" — shown in the notice. */
  describe: string;
  matches(image: string): boolean;
  launch(request: LaunchRequest): Promise<RunningProcess>;
  /** A pseudo-image that never runs in a container engine (e.g. the embedded Kafka broker): no engine is asked, no notice. */
  always?: boolean;
}

const substitutes: ImageSubstitute[] = [];

export function registerImageSubstitute(s: ImageSubstitute): void {
  if (!substitutes.includes(s)) substitutes.push(s);
}

export function findImageSubstitute(image: string): ImageSubstitute | undefined {
  return substitutes.find((s) => s.matches(image));
}

/** Wraps the container launcher: engine first, a substitute when no engine is reachable. */
export function withImageSubstitutes(
  containers: Launcher,
  engineReachable: () => Promise<boolean>,
  notice: (line: string) => void = (line) => process.stderr.write(line + "\n"),
  /** Why no engine is reachable (the engine search's own message), for check(). */
  engineProblem: () => Promise<string | undefined> = async () =>
    (await engineReachable()) ? undefined : "no container engine is reachable",
): Launcher {
  const noticed = new Set<string>();
  return {
    kind: "image",
    async check(svc) {
      if (findImageSubstitute(svc.image ?? "")) return undefined;
      const problem = await engineProblem();
      return problem && `image ${svc.image} cannot run here: ${problem}`;
    },
    async launch(req) {
      const image = req.service.image ?? "";
      const substitute = findImageSubstitute(image);
      if (substitute?.always) return substitute.launch(req);
      if (!substitute || (await engineReachable())) return containers.launch(req);
      const proc = await substitute.launch(req);
      if (!noticed.has(req.service.name)) {
        noticed.add(req.service.name);
        const where = Object.values(proc.addresses)
          .map((a) => `${a.host}:${a.port}`)
          .join(", ");
        notice(
          `faultbox: no container engine reachable; service "${req.service.name}" (image ${image}) runs as ${substitute.describe} on ${where}`,
        );
      }
      return proc;
    },
  };
}
