// `faultbox test SPEC --dry-run`: what a run would do (services, tests in run order, matrix cells),
// from the loaded spec alone. Nothing starts: no service, proxy or observer.
import { relative } from "node:path";
import { selectTests } from "../core/engine.js";
import { pickShard, type Shard } from "../core/shard.js";
import type { ServiceDef, Suite } from "../core/model.js";
import { getProtocol } from "../core/protocol.js";
import { startOrder } from "../core/topology.js";

function how(s: ServiceDef): string {
  if (s.remote) return `remote ${s.remote}`;
  if (s.image) return `image ${s.image}`;
  if (s.binary) return `binary ${[s.binary, ...s.args].join(" ")}`;
  return "declared only";
}

export interface DryRunPlan {
  spec: string;
  services: {
    name: string;
    runs: string;
    interfaces: { name: string; protocol: string; port: number; proxied: boolean }[];
    depends_on: string[];
    reuse: boolean;
  }[];
  tests: { name: string; kind: string; faults: string[]; matrix?: { scenario: string; fault: string } }[];
  matrix?: {
    scenarios: string[];
    faults: string[];
    cells: { scenario: string; fault: string }[];
    excluded: number;
  };
}

export function dryRunPlan(
  suite: Suite,
  filter: string | undefined,
  shard?: Shard,
  cwd = process.cwd(),
): DryRunPlan {
  const tests = pickShard(selectTests(suite, filter), shard);
  const cells = tests.filter((t) => t.matrix).map((t) => t.matrix!);
  return {
    spec: relative(cwd, suite.file) || suite.file,
    services: startOrder(suite.services).map((s) => ({
      name: s.name,
      runs: how(s),
      interfaces: s.interfaces.map((i) => ({
        name: i.name,
        protocol: i.protocol,
        port: i.port,
        proxied: getProtocol(i.protocol)?.proxy !== undefined,
      })),
      depends_on: s.dependsOn,
      reuse: s.reuse,
    })),
    tests: tests.map((t) => ({
      name: t.name,
      kind: t.kind,
      faults: t.faults,
      ...(t.matrix ? { matrix: t.matrix } : {}),
    })),
    ...(suite.matrix
      ? {
          matrix: {
            scenarios: suite.matrix.scenarios,
            faults: suite.matrix.faults,
            cells,
            excluded: suite.matrix.excluded.length,
          },
        }
      : {}),
  };
}

export function formatDryRun(plan: DryRunPlan, runs: number): string {
  const out = [
    `Dry run: ${plan.spec} loaded; nothing was started.`,
    ``,
    `Services (${plan.services.length}, in start order):`,
  ];
  const width = Math.max(4, ...plan.services.map((s) => s.name.length));
  for (const s of plan.services) {
    const ifaces = s.interfaces
      .map((i) => `${i.name} ${i.protocol}:${i.port}${i.proxied ? " (proxied)" : ""}`)
      .join(", ");
    const extra = [
      s.depends_on.length ? `after ${s.depends_on.join(", ")}` : "",
      s.reuse ? "reused across tests" : "",
    ].filter(Boolean);
    out.push(
      `  ${s.name.padEnd(width)}  ${s.runs}${ifaces ? `; ${ifaces}` : ""}${extra.length ? `; ${extra.join("; ")}` : ""}`,
    );
  }
  out.push("", `Tests (${plan.tests.length}, in run order${runs > 1 ? `, each up to ${runs} times` : ""}):`);
  const tw = Math.max(4, ...plan.tests.map((t) => t.name.length));
  for (const t of plan.tests) {
    const what = t.matrix
      ? `matrix cell ${t.matrix.scenario} × ${t.matrix.fault}`
      : t.faults.length
        ? `${t.kind.replace("_", " ")} under ${t.faults.join(", ")}`
        : t.kind.replace("_", " ");
    out.push(`  ${t.name.padEnd(tw)}  ${what}`);
  }
  if (plan.matrix) {
    const m = plan.matrix;
    out.push(
      "",
      `Fault matrix cells: ${m.cells.length} to run (${m.scenarios.length} scenario(s) × ${m.faults.length} fault(s)${m.excluded ? `, ${m.excluded} excluded` : ""})`,
    );
    for (const c of m.cells) out.push(`  ${c.scenario} × ${c.fault}`);
  }
  return out.join("\n") + "\n";
}
