// `--parallel N` / `--pool`: loads the extra copies of the spec the lanes run on (core/lanes.ts).
import { freemem } from "node:os";
import type { SpecBuilder } from "../core/builder.js";
import { selectTests } from "../core/engine.js";
import { laneCount, type Lane } from "../core/lanes.js";
import { pickShard, type Shard } from "../core/shard.js";
import { UsageError } from "./args.js";

export interface LanePlan {
  lanes: Lane[];
  /** Why there are fewer lanes than asked for, to tell the user. */
  note?: string;
}

/**
 * The lanes for a run: the loaded spec plus as many fresh loads as needed. Each load chooses its own
 * ports for `interface(..., 0)`; a service started from a binary on a fixed port cannot run twice at
 * once, so that is a usage error naming it.
 */
export async function loadLanes(
  first: SpecBuilder,
  load: () => Promise<SpecBuilder>,
  how: { parallel: number; pool: boolean; filter?: string; shard?: Shard },
): Promise<LanePlan> {
  const tests = pickShard(selectTests(first.suite, how.filter), how.shard).length;
  const { lanes: count, boundedBy } = laneCount(first.suite, tests, how.parallel, how.pool, freemem());
  const builders = [first, ...(await Promise.all(Array.from({ length: count - 1 }, load)))];
  const other = builders[1];
  if (other) {
    for (const svc of first.suite.services) {
      if (svc.image || svc.remote) continue; // images and remotes get their addresses at launch
      const twin = other.suite.services.find((s) => s.name === svc.name);
      const fixed = svc.interfaces.find(
        (i) => twin?.interfaces.find((j) => j.name === i.name)?.port === i.port,
      );
      if (fixed)
        throw new UsageError(
          `--parallel and --pool run every test's services in copies side by side, but service "${svc.name}" listens on fixed port ${fixed.port} (interface "${fixed.name}"): declare it as interface("${fixed.name}", "${fixed.protocol}", 0) so each copy gets a free port`,
        );
    }
  }
  const wanted = how.pool ? 2 * how.parallel : how.parallel;
  return {
    lanes: builders.map((b) => ({ suite: b.suite, runtime: b.runtime })),
    ...(boundedBy && count < Math.min(wanted, tests)
      ? { note: `the pool runs ${count} lanes, not ${Math.min(wanted, tests)}: ${boundedBy}` }
      : {}),
  };
}
