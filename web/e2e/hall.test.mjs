// The hall in headless Chromium (Debian's /usr/bin/chromium, WebGL2 on SwiftShader), served by a
// real `cloudhall serve` with the web build of `make web`: the page loads and shows the
// panorama, a deep link opens its view, dragging turns the view and the address follows, and a
// click on a Go hotspot changes the scene and the address. Pixels are read from screenshots.
//
// CLOUDHALL_BIN: the cloudhall binary (default: the debug build in CARGO_TARGET_DIR).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir, homedir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import { decodePng } from "./png.mjs";

const root = resolve(import.meta.dirname, "../..");
const target = process.env.CARGO_TARGET_DIR || join(homedir(), ".cache/cloudhall/target");
const bin = process.env.CLOUDHALL_BIN || join(target, "debug/cloudhall");
const VIEW = { width: 960, height: 540 };
const READY = 240_000;
let server, browser, base, tour;

before(async () => {
  const port = 20000 + Math.floor(Math.random() * 20000);
  base = `http://127.0.0.1:${port}`;
  server = spawn(bin, ["serve", "--addr", `127.0.0.1:${port}`, "--tour", join(root, "scenes"),
    "--data", mkdtempSync(join(tmpdir(), "cloudhall-e2e-")), "--web", join(root, "web/dist")],
    { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, RUST_LOG: "warn" } });
  for (let i = 0; ; i++) {
    try { if ((await fetch(base + "/health")).ok) break; } catch (_) { /* not up yet */ }
    if (i > 300) throw new Error("the server did not come up");
    await new Promise((r) => setTimeout(r, 100));
  }
  tour = await (await fetch(base + "/api/v1/tour")).json();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"],
  });
});

after(async () => {
  await browser?.close();
  server?.kill();
});

/** A page at `query`, once the first panorama is on screen. */
async function open(query) {
  const page = await browser.newPage({ viewport: VIEW });
  const problems = [];
  page.on("pageerror", (e) => problems.push(String(e)));
  page.problems = problems;
  await page.goto(base + "/" + query);
  await page.waitForFunction(() => document.body.dataset.ready === "1" || document.body.dataset.webgl2 === "missing",
    null, { timeout: READY });
  assert.notEqual(await page.evaluate(() => document.body.dataset.webgl2), "missing", "headless Chromium has WebGL2");
  return page;
}

/** The colour in the middle of the page, after a few frames. */
async function centre(page) {
  await page.waitForTimeout(1500);
  const png = decodePng(await page.screenshot());
  return png.pixel(Math.floor(png.width / 2), Math.floor(png.height / 2));
}

/** Which orientation disc a colour is (red at yaw 0, green 90, blue 180, yellow -90), if any. */
function disc([r, g, b]) {
  if (r > 150 && g > 140 && b < 100) return "yellow";
  if (r > 150 && g < 100 && b < 100) return "red";
  if (g > 120 && r < 110 && b < 110) return "green";
  if (b > 120 && r < 100 && g < 130) return "blue";
  return "none";
}

function param(page, key) {
  return new URL(page.url()).searchParams.get(key);
}

const first = () => {
  const site = tour.sites.find((s) => s.id === tour.start_site) || tour.sites[0];
  return { site: site.id, scene: site.scenes[0].id, sceneData: site.scenes[0] };
};

test("the page loads compressed and shows the panorama", async () => {
  const { site, scene } = first();
  const page = await browser.newPage({ viewport: VIEW });
  const wasm = page.waitForResponse((r) => r.url().endsWith("cloudhall_bg.wasm"));
  await page.goto(`${base}/?site=${site}&scene=${scene}&yaw=0&pitch=0&hfov=40`);
  const res = await wasm;
  assert.equal(res.headers()["content-type"], "application/wasm");
  assert.equal(res.headers()["content-encoding"], "br");
  await page.waitForFunction(() => document.body.dataset.ready === "1", null, { timeout: READY });
  assert.equal(await page.locator("#loading").evaluate((e) => getComputedStyle(e).opacity), "0", "the loading bar is gone");
  assert.equal(disc(await centre(page)), "red", "the red disc at yaw 0 is in the middle");
  await page.close();
});

test("a deep link opens that view", async () => {
  const { site, scene } = first();
  const page = await open(`?site=${site}&scene=${scene}&yaw=90&pitch=0&hfov=40`);
  assert.equal(disc(await centre(page)), "green", "yaw 90: the green disc");
  assert.equal(param(page, "scene"), scene);
  await page.close();
});

test("dragging turns the view and the address follows", async () => {
  const { site, scene } = first();
  const page = await open(`?site=${site}&scene=${scene}&yaw=0&pitch=0&hfov=40`);
  assert.equal(disc(await centre(page)), "red");
  const [x, y] = [VIEW.width / 2, VIEW.height / 2];
  await page.mouse.move(x, y + 60);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) {
    await page.mouse.move(x - i * 40, y + 60);
    await page.waitForTimeout(50);
  }
  await page.mouse.up();
  await page.waitForFunction(() => Math.abs(parseFloat(new URL(location.href).searchParams.get("yaw"))) > 5,
    null, { timeout: 60_000 });
  assert.notEqual(disc(await centre(page)), "red", "the red disc has moved away");
  await page.close();
});

test("clicking a Go hotspot moves to its scene and the address says so", async () => {
  let pick;
  for (const s of tour.sites) {
    for (const sc of s.scenes) {
      const h = sc.hotspots.find((h) => h.kind.Go && !h.kind.Go.site && Math.abs(h.pitch) < 30);
      if (h && !pick) pick = { site: s.id, scene: sc.id, h };
    }
  }
  assert.ok(pick, "the tour has a Go hotspot");
  const { site, scene, h } = pick;
  const page = await open(`?site=${site}&scene=${scene}&yaw=${h.yaw}&pitch=${h.pitch}&hfov=60`);
  await page.waitForTimeout(1000);
  await page.mouse.move(VIEW.width / 2, VIEW.height / 2);
  await page.mouse.down();
  await page.waitForTimeout(150);
  await page.mouse.up();
  const to = h.kind.Go.scene;
  await page.waitForFunction((to) => new URL(location.href).searchParams.get("scene") === to, to, { timeout: 60_000 });
  assert.equal(param(page, "site"), site);
  assert.deepEqual(page.problems, []);
  await page.close();
});
