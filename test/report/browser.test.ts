// The HTML report in a real Chromium (Debian's chromium, driven by playwright-core): it opens with no
// console errors and no network requests; each test's timeline has a lane per service and a band per
// fault window; clicking a mark shows its event; zoom, filters and the failure pin work; and a spec
// whose names and payloads hold <script>, quotes and invalid UTF-8 renders them as text. Screenshots go
// to test-artifacts/ for CI to keep.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { JsonDoc } from "../../src/report/doc.js";
import { CHROMIUM, artifactPath, startBrowser, type Browser } from "../support/browser.js";

const bin = new URL("../../bin/faultbox.js", import.meta.url).pathname;
const root = new URL("../..", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "fb-html-"));

/** Runs a spec with --html and --output; returns the page's URL and the JSON result. */
function report(spec: string, name: string): { url: string; doc: JsonDoc } {
  const html = join(dir, `${name}.html`);
  const json = join(dir, `${name}.json`);
  const r = spawnSync(
    process.execPath,
    [bin, "test", spec, "--seed", "1", "--html", html, "--output", json],
    {
      encoding: "utf8",
      cwd: root,
      timeout: 120_000,
    },
  );
  assert.ok(existsSync(html), `no report written (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return { url: pathToFileURL(html).href, doc: JSON.parse(readFileSync(json, "utf8")) as JsonDoc };
}

let browser: Browser;
before(async () => {
  assert.ok(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: install Debian's chromium (scripts/setup.sh does)`,
  );
  browser = await startBrowser();
});
after(async () => browser?.close());

test("the quickstart's report: lanes, bands, a clickable firing, the failure pin, zoom and filters", async () => {
  const { url, doc } = report("examples/quickstart/faultbox.star", "quickstart");
  const { page, errors, requests } = await browser.page();
  await page.goto(url);
  await page.waitForSelector(".fb-timeline");

  const tests = doc.tests.filter((t) => t.events?.length);
  assert.equal(await page.locator(".fb-timeline").count(), tests.length, "one timeline per test");
  const dup = tests.findIndex((t) => t.name === "test_matrix_publish_order_duplicates");
  const section = page.locator("section.test").nth(dup);
  // A lane per service (bus) and the test driver; a band per fault window.
  assert.deepEqual(await section.locator(".fb-lane-label").allTextContents(), ["test driver", "bus"]);
  assert.equal(await section.locator(".fb-band").count(), doc.tests[dup]!.fault_windows!.length);
  assert.match((await section.locator(".fb-band-label").textContent()) ?? "", /duplicates · fired 1×/);
  // Two topic records, each reached by an arrow from the one publish.
  assert.equal(await section.locator(".fb-mark[data-type=topic]").count(), 2);
  assert.equal(await section.locator(".fb-arrow[data-kind=record]").count(), 2);

  // Clicking the firing shows its event.
  await section.locator(".fb-mark[data-type=proxy]").click();
  const detail = section.locator(".fb-detail");
  assert.match((await detail.textContent()) ?? "", /Event #\d+: proxy on bus/);
  assert.match((await detail.locator("pre").textContent()) ?? "", /"action": "duplicate"/);
  assert.equal(
    await section.locator("tr.ev-selected td").first().textContent(),
    String(doc.tests[dup]!.events!.find((e) => e.type === "proxy")!.seq),
  );
  // The failure is pinned; clicking it shows the reason.
  await section.locator(".fb-failure-label").click();
  assert.match(
    (await detail.textContent()) ?? "",
    /Failure at \+[\d.]+ (ms|s), after event #\d+assert_eq failed: 2 != 1/,
  );

  // Zoom: a brush across the middle narrows the axis; fit restores it.
  const ticks = () => section.locator(".fb-axis text").allTextContents();
  const before = await ticks();
  await section.locator(".fb-timeline").scrollIntoViewIfNeeded();
  const box = (await section.locator(".fb-timeline").boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.4, box.y + 60);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.6, box.y + 60, { steps: 5 });
  await page.mouse.up();
  assert.notDeepEqual(await ticks(), before, "the axis changed after zooming in");
  await section.getByRole("button", { name: "fit" }).click();
  assert.deepEqual(await ticks(), before);

  // Filters: hiding a type removes its marks; hiding a lane removes it.
  await section.locator("input[data-type=topic]").uncheck();
  assert.equal(await section.locator(".fb-mark[data-type=topic]").count(), 0);
  await section.locator("input[data-lane=bus]").uncheck();
  assert.deepEqual(await section.locator(".fb-lane-label").allTextContents(), ["test driver"]);
  await section.locator("input[data-lane=bus]").check();
  await section.locator("input[data-type=topic]").check();

  // The latency plot of the proxied interface.
  assert.equal(await section.locator(".fb-plot-svg[data-plot=latency]").count(), 1);

  await page.screenshot({ path: artifactPath("report-quickstart.png"), fullPage: true });
  assert.deepEqual(errors, [], "no console errors");
  assert.deepEqual(requests, [url], "the page loads nothing but itself");
});

test("names and payloads with <script>, quotes and invalid UTF-8 render as text", async () => {
  const evil = Buffer.concat([
    Buffer.from(`<script>window.__pwned=1</script>`),
    Buffer.from([0xff, 0xfe, 0xe2, 0x82]), // invalid UTF-8: stray bytes, a truncated sequence
    Buffer.from(`\\"q\\' <img src=x onerror=\\"window.__pwned=2\\">`),
  ]);
  const spec = Buffer.concat(
    `load("@faultbox/mocks/kafka.star", "kafka")
bus = kafka.broker(name = "bus", observe = [topic("t")])
evil_fault = fault_assumption("EVIL", target = bus.broker, rules = [duplicate(topic = "t")])
def publish_evil():
    bus.broker.publish(topic = "t", data = "EVIL", key = "EVIL")
    assert_eq("EVIL", "ok", "EVIL")
fault_matrix(scenarios = [publish_evil], faults = [evil_fault])
`
      .split("EVIL")
      .flatMap((part, i) => (i === 0 ? [Buffer.from(part)] : [evil, Buffer.from(part)])),
  );
  const specFile = join(dir, "evil.star");
  writeFileSync(specFile, spec);
  const { url, doc } = report(specFile, "evil");
  assert.equal(doc.fail, 1);
  const html = readFileSync(new URL(url), "utf8");
  assert.equal((html.match(/<script[\s>]/g) ?? []).length, 2, "the data block and the report's own script");
  assert.doesNotMatch(html, /<img/);

  const { page, errors } = await browser.page();
  await page.goto(url);
  await page.waitForSelector(".fb-timeline");
  assert.equal(await page.evaluate("typeof window.__pwned"), "undefined");
  assert.equal(await page.locator("img").count(), 0);
  assert.equal(await page.locator("script").count(), 2);
  // The name shows as written, invalid bytes as U+FFFD.
  const shown = `<script>window.__pwned=1</script>\ufffd\ufffd\ufffd"q' <img src=x onerror="window.__pwned=2">`;
  assert.ok(((await page.locator(".fb-band-label").textContent()) ?? "").includes(shown));
  assert.ok(((await page.locator("h3").first().textContent()) ?? "").includes(shown));
  await page.locator(".fb-mark[data-type=topic]").first().click();
  assert.ok(
    ((await page.locator(".fb-detail pre").textContent()) ?? "").includes(JSON.stringify(shown).slice(1, -1)),
  );
  await page.screenshot({ path: artifactPath("report-escaping.png"), fullPage: true });
  assert.deepEqual(errors, []);
});

test("a history check's counts, its anomalies ringed on the timeline, an example's click selects its event", async () => {
  const { url, doc } = report("test/report/specs/history.star", "history");
  const check = doc.tests[0]!.events!.find((e) => e.type === "history_check")!;
  const lost = (check.data!.anomalies as Record<string, { events: number[] }[]>).lost!;
  assert.equal(lost.length, 1);
  const { page, errors } = await browser.page();
  await page.goto(url);
  await page.waitForSelector(".fb-timeline");
  const history = page.locator(".history");
  assert.match(
    (await history.locator("h4").textContent()) ?? "",
    /VIOLATION\s+History check assert_history\(\) on orders/,
  );
  assert.match(
    (await history.locator(".hist-counts").textContent()) ?? "",
    /sent 10 · acked 10 ·.*stored 10/,
  );
  const row = (kind: string) => history.locator("tr", { has: page.locator(`th:text-is("${kind}")`) });
  assert.equal(await row("lost").locator("td.num").textContent(), "1");
  assert.equal(await row("duplicated").locator("td.num").textContent(), "1");
  assert.equal(await row("lost").getAttribute("class"), "hist-bad");
  assert.equal(await row("skipped").getAttribute("class"), "hist-none");
  assert.ok((await page.locator(".fb-anomaly").count()) >= 2, "the anomalies' events are ringed");

  await history.locator("li.hist-example", { hasText: "lost:" }).click();
  assert.match(
    (await page.locator(".fb-detail").textContent()) ?? "",
    new RegExp(`Event #${lost[0]!.events[0]}: `),
  );
  await page.screenshot({ path: artifactPath("report-history.png"), fullPage: true });
  assert.deepEqual(errors, []);
});
