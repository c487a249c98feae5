// faultbox as users get it: `npm pack`, the tarball installed into a fresh project, `npx faultbox test`
// on a Starlark and a TypeScript spec there, the TypeScript spec and a library user type-checked
// against the package's declarations, and the library's entry points imported by a user's program.
// npm takes what it can from its cache (--prefer-offline); what is not there comes from the registry.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { runCommand, type CommandResult } from "../../support/run-command.js";

const repo = fileURLToPath(new URL("../../..", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "faultbox-npm-pack-"));
const project = join(work, "project");
after(() => rmSync(work, { recursive: true, force: true }));

/** The version of a package this repository was installed with (the user's project pins the same). */
const installedVersion = (name: string): string =>
  (JSON.parse(readFileSync(join(repo, "node_modules", name, "package.json"), "utf8")) as { version: string })
    .version;

function show(r: CommandResult): string {
  return `exit ${r.code}${r.timedOut ? " (timed out)" : ""}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

async function sh(argv: string[], cwd: string, timeoutMs = 300_000): Promise<CommandResult> {
  const r = await runCommand(["sh", "-c", 'cd "$0" && exec "$@"', cwd, ...argv], { timeoutMs });
  assert.ok(!r.timedOut, `${argv.join(" ")} timed out\n${show(r)}`);
  return r;
}

const npmFlags = ["--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"];

before(async () => {
  const pack = await sh(["npm", "pack", "--json", "--pack-destination", work], repo);
  assert.equal(pack.code, 0, show(pack));
  const tarball = join(work, (JSON.parse(pack.stdout) as { filename: string }[])[0]!.filename);
  await sh(["mkdir", "-p", project], work);
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "user-project", private: true, type: "module" }),
  );
  const install = await sh(
    [
      "npm",
      "install",
      ...npmFlags,
      tarball,
      `typescript@${installedVersion("typescript")}`,
      `@types/node@${installedVersion("@types/node")}`,
    ],
    project,
  );
  assert.equal(install.code, 0, show(install));
});

test("package: npx faultbox test runs a Starlark spec on the embedded broker", async () => {
  writeFileSync(
    join(project, "faultbox.star"),
    `load("@faultbox/mocks/kafka.star", "kafka")
bus = kafka.broker(name = "bus", observe = [topic("orders", decoder = json_decoder())])

lost = fault_assumption("lost", target = bus.broker, rules = [drop(topic = "orders")])

def publish():
    r = bus.broker.publish(topic = "orders", data = '{"id": 7}', key = "k")
    assert_true(r.ok, r.error)

scenario(publish)

fault_matrix(scenarios = [publish], faults = [lost],
    default_expect = lambda r: assert_eq(len(events(where = lambda e: e.type == "topic")), 1, "stored once"))

def test_stored():
    publish()
    assert_eventually(where = lambda e: e.type == "topic" and e.data.get("id") == 7)
`,
  );
  const r = await sh(["npx", "--no", "--", "faultbox", "test", "faultbox.star"], project);
  // The drop loses the record (0 != 1): exit 2 with that reason; the plain test passes.
  assert.equal(r.code, 2, show(r));
  assert.match(r.stdout, /--- PASS: test_stored/, show(r));
  assert.match(r.stdout, /--- FAIL: test_matrix_publish_lost/, show(r));
  assert.match(r.stdout + r.stderr, /0 != 1 \(stored once\)/, show(r));
  // It ran from the command's bundle, built in the installed package on this first use (a build that
  // failed would have run the sources through tsx, and passed too).
  const cache = join(project, "node_modules", "faultbox", "node_modules", ".cache", "faultbox");
  const { dir } = JSON.parse(readFileSync(join(cache, "bundle.json"), "utf8")) as { dir: string };
  for (const entry of ["cli.js", "worker-boot.cjs", "worker.cjs", "proxy.js"])
    assert.ok(existsSync(join(cache, dir, entry)), entry);
  // The spec loaded in a worker started from the bundle, which left its code cache for the next run.
  assert.ok(
    readdirSync(join(cache, dir)).some((f) => /^worker\.cjs-v[\d.]+-.*\.codecache$/.test(f)),
    readdirSync(join(cache, dir)).join(" "),
  );
});

const tsSpec = `import { defineSpec } from "faultbox";
import { topicSource } from "faultbox/kafka/plugin";

export default defineSpec((fb) => {
  const main = fb.interface("main", "http", 0);
  const api = fb.service("api", {
    binary: "node",
    args: ["-e", \`require("node:http").createServer((q, s) => s.end(q.url)).listen(\${main.port})\`],
    interfaces: [main],
    healthcheck: fb.ready({ timeout: "20s" }),
  });
  const down = fb.faultAssumption("down", { target: api.main, rules: [fb.rules.error({ status: 503 })] });
  const call = fb.scenario("call", async () => (await api.main.get({ path: "/x" })).status);
  fb.faultScenario("outage", { scenario: call, faults: down, expect: (s) => fb.assertEq(s, 503) });
  fb.test("served", async () => {
    const r = await api.main.get({ path: "/hello" });
    fb.assertEq(r.body, "/hello");
  });
  void topicSource; // the Kafka plugin's entry point resolves and type-checks
});
`;

test('package: npx faultbox test runs a TypeScript spec that imports from "faultbox"', async () => {
  writeFileSync(join(project, "faultbox.spec.ts"), tsSpec);
  const r = await sh(["npx", "--no", "--", "faultbox", "test", "faultbox.spec.ts"], project);
  assert.equal(r.code, 0, show(r));
  assert.match(r.stdout, /--- PASS: test_served/, show(r));
  assert.match(r.stdout, /--- PASS: test_outage/, show(r));
});

test("package: the spec and a library user type-check against the package's declarations", async () => {
  writeFileSync(join(project, "faultbox.spec.ts"), tsSpec);
  writeFileSync(
    join(project, "library.ts"),
    `import { SpecBuilder, createApi, runSuite, type SuiteResult } from "faultbox";
import { Interpreter } from "faultbox/starlark";
import { startEmbeddedKafka } from "faultbox/kafka/broker";
import { startKafkaProxy } from "faultbox/kafka/proxy";
import { drop } from "faultbox/kafka/rules";
import { deny } from "faultbox/syscall";

const interp = new Interpreter({});
const mod = interp.execFile("x.star", "x = 1 + 2\\n");
const kafka = await startEmbeddedKafka({ topics: [{ name: "t", partitions: 2 }] });
const proxy = await startKafkaProxy({ upstream: kafka.bootstrap.split(",")[0]!, seed: 1 });
proxy.addRule(drop({ topic: "t" }));
await proxy.close();
await kafka.close();
const b = new SpecBuilder("x.ts", { repr: String, equals: Object.is, truthy: Boolean });
const fb = createApi(b);
fb.test("nothing", () => fb.assertTrue(true));
const result: SuiteResult = await runSuite(b.suite, b.runtime, { seed: 1n });
void deny;
console.log(JSON.stringify({ x: String(mod.globals.get("x")), kafka: kafka.brokers.length, passed: result.pass }));
`,
  );
  writeFileSync(
    join(project, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        noEmit: true,
        types: ["node"],
      },
      include: ["faultbox.spec.ts", "library.ts"],
    }),
  );
  const tsc = await sh(["npx", "--no", "--", "tsc", "-p", "tsconfig.json"], project);
  assert.equal(tsc.code, 0, show(tsc));

  // The declarations are the real types, not `any`: a misspelt option is a type error.
  writeFileSync(join(project, "faultbox.spec.ts"), tsSpec.replace('binary: "node"', 'bianry: "node"'));
  const bad = await sh(["npx", "--no", "--", "tsc", "-p", "tsconfig.json"], project);
  assert.equal(bad.code, 2, show(bad));
  assert.match(bad.stdout, /'bianry' does not exist in type/, show(bad));

  // The library entry points run for a user's own program (through tsx, which faultbox depends on).
  const run = await sh(["npx", "--no", "--", "tsx", "library.ts"], project);
  assert.equal(run.code, 0, show(run));
  assert.deepEqual(JSON.parse(run.stdout.trim().split("\n").pop()!), { x: "3", kafka: 1, passed: 1 });
});
