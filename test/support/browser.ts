// A real Chromium (Debian's `chromium` package, installed by scripts/setup.sh) driven by playwright-core,
// for the HTML report's browser tests: headless, no sandbox (tests run as root), no network of its own
// (no background networking, component updates, sync or QUIC), and a fresh profile each time.
import { mkdtempSync, rmSync } from "node:fs";
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = process.env.FAULTBOX_CHROMIUM ?? "/usr/bin/chromium";

export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Where browser tests keep screenshots for CI to collect (.ci/run prints it; gitignored). */
export const ARTIFACTS = join(new URL("../..", import.meta.url).pathname, "test-artifacts");

export interface Browser {
  context: BrowserContext;
  /** A new page whose console errors and uncaught exceptions are collected. */
  page(): Promise<{ page: Page; errors: string[]; requests: string[] }>;
  close(): Promise<void>;
}

export async function startBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "fb-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1400, height: 900 },
  });
  return {
    context,
    async page() {
      const page = await context.newPage();
      const errors: string[] = [];
      const requests: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      page.on("pageerror", (e) => errors.push(`uncaught: ${e.message}`));
      page.on("request", (r) => requests.push(r.url()));
      return { page, errors, requests };
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}
