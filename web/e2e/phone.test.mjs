// The hall on a phone and offline, in headless Chromium against a real `cloudhall serve`:
// - the page draws the first view itself (web/first.js) from the preview or level 1 of the tiles,
//   and the viewer then sharpens it to full detail;
// - after a first visit the hall opens offline (sw.js) and a flower laid offline reaches the
//   server once when the network is back; Chromium finds it installable (manifest, icons);
// - on a phone (390x844, touch) a tap on a Go hotspot walks on, and while the narration plays the
//   interface covers at most 30 % of the screen (the viewer measures its own layout:
//   data-ui-cover, src/viewer/phone.rs).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundledHall, findColour } from "./common.mjs";
import { decodePng } from "./png.mjs";

const READY = 240_000;
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true };
let hall, browser, base, tour;

before(async () => {
  hall = await bundledHall("e2e");
  ({ browser, base, tour } = hall);
});

after(async () => { await hall?.close(); });

/** How much fine detail a frame holds: the mean absolute difference between neighbouring pixels
 * (green channel) over the middle of the frame. A blurred frame scores low, a sharp one high. */
function detail(png) {
  let sum = 0, n = 0;
  for (let y = Math.floor(png.height * 0.2); y < png.height * 0.8; y++) {
    for (let x = Math.floor(png.width * 0.2); x < png.width * 0.8; x++) {
      const g = png.pixel(x, y)[1];
      sum += Math.abs(g - png.pixel(x + 1, y)[1]) + Math.abs(g - png.pixel(x, y + 1)[1]);
      n += 2;
    }
  }
  return sum / n;
}

/** A scene with a hotspot of `kind` near the horizon: its site, scene and the hotspot. */
function sceneWith(pred) {
  for (const s of tour.sites) {
    for (const sc of s.scenes) {
      const h = sc.hotspots.find((h) => pred(h) && Math.abs(h.pitch) < 30);
      if (h) return { site: s.id, scene: sc.id, h };
    }
  }
  throw new Error("no such hotspot in the tour");
}

test("the page draws the first view from level 1 before the viewer, which then sharpens it", async (t) => {
  // The 16K scene's caption wall, zoomed in: level 1 is a blur of it, the deepest level legible.
  const page = await browser.newPage({ viewport: { width: 800, height: 600 } });
  const wasm = [];
  page.on("request", (r) => { if (r.url().endsWith(".wasm")) wasm.push(performance.now()); });
  // The viewer's download waits until the first view is photographed: on a fast machine the
  // viewer would otherwise take over while the screenshot is being taken.
  let release;
  const held = new Promise((r) => { release = r; });
  await page.route("**/cloudhall_bg.wasm", async (route) => { await held; await route.continue(); });
  await page.goto(`${base}/?site=chifeng-museum&scene=hall-liao-to-qing&yaw=-60&pitch=0&hfov=30`);
  await page.waitForFunction(() => document.body.dataset.firstView === "level 1", null, { timeout: READY });
  const blurred = decodePng(await page.screenshot());
  const early = await page.evaluate(() => ({ ready: document.body.dataset.ready, first: window.firstFrameAt, steps: window.cloudhallSteps }));
  assert.notEqual(early.ready, "1", "the first view is the page's own, before the viewer is ready");
  release();
  await page.waitForFunction(() => document.body.dataset.ready === "1" && document.body.dataset.tiles === "idle",
    null, { timeout: READY });
  await page.waitForTimeout(1000);
  const sharp = decodePng(await page.screenshot());
  const [a, b] = [detail(blurred), detail(sharp)];
  t.diagnostic(`fine detail: ${a.toFixed(2)} in the first view (level 1), ${b.toFixed(2)} at full detail`);
  assert.ok(b > a * 1.5, `the view sharpens: fine detail ${a.toFixed(2)} at level 1, ${b.toFixed(2)} at full detail`);
  const steps = Object.fromEntries(early.steps);
  assert.ok(steps["first view: level 1"] < (steps["wasm downloaded"] ?? Infinity), "the first view came before the viewer");
  assert.equal(await page.evaluate(() => document.getElementById("first").hidden), true, "the viewer took over");
  await page.close();
});

test("a dragged first view is where the viewer takes over", async () => {
  const page = await browser.newPage({ viewport: { width: 800, height: 600 } });
  // Hold the viewer back until the drag is done.
  let release;
  const held = new Promise((r) => { release = r; });
  await page.route("**/cloudhall_bg.wasm", async (route) => { await held; await route.continue(); });
  await page.goto(`${base}/?site=chifeng-museum&scene=square&yaw=0&pitch=0&hfov=90`);
  await page.waitForFunction(() => document.body.dataset.firstView === "level 1", null, { timeout: READY });
  await page.mouse.move(400, 300);
  await page.mouse.down();
  for (let i = 1; i <= 8; i++) await page.mouse.move(400 - i * 20, 300);
  await page.mouse.up();
  // 160 px of 800 at hfov 90: 18 degrees to the right.
  const dragged = await page.evaluate(() => window.cloudhallFirstView.yaw);
  assert.ok(Math.abs(dragged - 18) < 0.5, `the first view turned with the drag: ${dragged}`);
  const before = decodePng(await page.screenshot());
  release();
  await page.waitForFunction(() => document.body.dataset.ready === "1", null, { timeout: READY });
  await page.waitForTimeout(1500);
  const after = decodePng(await page.screenshot());
  assert.ok(Math.abs(parseFloat(new URL(page.url()).searchParams.get("yaw")) - dragged) < 0.2, "the viewer took the dragged view");
  // Same view, same scene: the centre looks the same in both (the viewer may be sharper).
  const c = (png) => png.pixel(400, 300);
  const diff = c(before).map((v, k) => Math.abs(v - c(after)[k]));
  assert.ok(Math.max(...diff) < 40, `no jump at the hand-over: ${c(before)} then ${c(after)}`);
  await page.close();
});

test("after a first visit the hall opens offline, and a flower laid offline reaches the server once", async () => {
  const { site, scene, h } = sceneWith((h) => h.kind.Memorial === "Site");
  const counts = async () => (await (await fetch(`${base}/api/v1/memorial/counts?site=${site}`)).json()).counts.flower;
  const before = await counts();
  const context = await browser.newContext({ viewport: { width: 960, height: 540 } });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(String(e)));
  const url = `${base}/?site=${site}&scene=${scene}&yaw=${h.yaw}&pitch=${h.pitch}&hfov=60`;
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.ready === "1" && document.body.dataset.offline === "ready",
    null, { timeout: READY });
  // Let the worker keep the first scene's tiles.
  await page.waitForTimeout(3000);
  const online = decodePng(await page.screenshot());
  await context.setOffline(true);
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.ready === "1", null, { timeout: READY });
  await page.waitForTimeout(1500);
  const offline = decodePng(await page.screenshot());
  const c = (png) => png.pixel(480, 200);
  assert.ok(c(online).every((v, k) => Math.abs(v - c(offline)[k]) < 30), `the scene shows offline: ${c(online)} online, ${c(offline)}`);
  // The memorial hotspot is in the middle: open it and lay a flower, offline.
  await page.mouse.click(480, 270, { delay: 120 });
  let at = null;
  for (let i = 0; i < 20 && !at; i++) {
    await page.waitForTimeout(500);
    at = findColour(decodePng(await page.screenshot()), [140, 26, 26]);
  }
  assert.ok(at, "the memorial panel shows its offering buttons offline");
  await page.mouse.click(at[0] + 16, at[1] + 14, { delay: 120 });
  await page.waitForTimeout(4000);
  assert.equal(await counts(), before, "offline, nothing reached the server");
  await context.setOffline(false);
  for (let i = 0; i < 60 && (await counts()) === before; i++) await page.waitForTimeout(500);
  await page.waitForTimeout(5000);
  assert.equal(await counts(), before + 1, "the flower arrived once");
  assert.deepEqual(problems, []);
  await context.close();
});

test("the hall is installable: Chromium finds its manifest, icons and offline worker in order", async () => {
  const context = await browser.newContext({ viewport: { width: 960, height: 540 } });
  const page = await context.newPage();
  await page.goto(`${base}/`);
  await page.waitForFunction(() => document.body.dataset.offline === "ready", null, { timeout: READY });
  const cdp = await context.newCDPSession(page);
  // A test browser's contexts are private windows ("in-incognito"), where nothing installs: every
  // other reason would be the hall's.
  const { installabilityErrors } = await cdp.send("Page.getInstallabilityErrors");
  assert.deepEqual(installabilityErrors.filter((e) => e.errorId !== "in-incognito"), [], "no reason it could not be installed");
  const { errors } = await cdp.send("Page.getAppManifest");
  assert.deepEqual(errors, [], "the manifest parses without complaint");
  const manifest = await (await fetch(`${base}/manifest.webmanifest`)).json();
  assert.equal(manifest.display, "fullscreen");
  for (const icon of manifest.icons) assert.equal((await fetch(`${base}/${icon.src}`)).status, 200, icon.src);
  await context.close();
});

test("on a phone a tap on a Go hotspot walks on, and the interface leaves the panorama most of the screen", async (t) => {
  const { site, scene, h } = sceneWith((h) => h.kind.Go && !h.kind.Go.site);
  const context = await browser.newContext(PHONE);
  const page = await context.newPage();
  await page.goto(`${base}/?site=${site}&scene=${scene}&yaw=${h.yaw}&pitch=${h.pitch}&hfov=60`);
  await page.waitForFunction(() => document.body.dataset.ready === "1", null, { timeout: READY });
  // The narration plays and its subtitles show: the interface's share of the screen, from the layout.
  await page.waitForFunction(() => document.body.dataset.narration === "playing", null, { timeout: 60_000 });
  await page.waitForTimeout(1500);
  const cover = Number(await page.evaluate(() => document.body.dataset.uiCover));
  await page.screenshot({ path: join(tmpdir(), "cloudhall-phone-portrait.png") });
  t.diagnostic(`the interface covers ${(cover * 100).toFixed(1)} % of 390x844 while the narration plays`);
  assert.ok(cover > 0.05 && cover <= 0.30, `the interface covers ${(cover * 100).toFixed(1)} % of 390x844`);
  // A tap (touch events, as a phone sends them) on the Go hotspot in the middle.
  const cdp = await context.newCDPSession(page);
  const [x, y] = [195, 422];
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [{ x, y, id: 1 }] });
  await page.waitForTimeout(120);
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  const to = h.kind.Go.scene;
  await page.waitForFunction((to) => new URL(location.href).searchParams.get("scene") === to, to, { timeout: 60_000 });
  await context.close();
});

test("on a phone on its side the interface folds too", async (t) => {
  const { site, scene } = sceneWith((h) => h.kind.Go);
  const context = await browser.newContext({ ...PHONE, viewport: { width: 844, height: 390 } });
  const page = await context.newPage();
  await page.goto(`${base}/?site=${site}&scene=${scene}`);
  await page.waitForFunction(() => document.body.dataset.ready === "1" && document.body.dataset.narration === "playing",
    null, { timeout: READY });
  await page.waitForTimeout(1500);
  const cover = Number(await page.evaluate(() => document.body.dataset.uiCover));
  await page.screenshot({ path: join(tmpdir(), "cloudhall-phone-landscape.png") });
  t.diagnostic(`the interface covers ${(cover * 100).toFixed(1)} % of 844x390 while the narration plays`);
  assert.ok(cover > 0.05 && cover <= 0.35, `the interface covers ${(cover * 100).toFixed(1)} % of 844x390`);
  await context.close();
});
