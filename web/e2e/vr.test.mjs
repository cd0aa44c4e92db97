// Looking around by turning the phone, and the VR glasses mode, in headless Chromium with a
// phone's profile against a real `cloudhall serve`. The phone's sensor is played by dispatching
// `deviceorientation` events, as the browser would send them (web/device.js keeps the latest):
// - the gyroscope is offered on a phone; once on, the view follows the phone from where the
//   visitor looked (no jump), in portrait and in landscape, and a drag adds its offset;
// - VR glasses mode: two eyes side by side, resting the gaze on a Go walks on, looking at the
//   floor leaves the mode, and so does the back gesture.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { bundledHall } from "./common.mjs";
import { decodePng } from "./png.mjs";

const READY = 240_000;
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true };
let hall, browser, base, tour;

before(async () => {
  hall = await bundledHall("e2e");
  ({ browser, base, tour } = hall);
});

after(async () => { await hall?.close(); });

/** A scene with a Go hotspot to a scene of the same site, near the horizon. */
function sceneWithGo() {
  for (const s of tour.sites) {
    for (const sc of s.scenes) {
      const h = sc.hotspots.find((h) => h.kind.Go && !h.kind.Go.site && Math.abs(h.pitch) < 20);
      if (h) return { site: s.id, scene: sc.id, h };
    }
  }
  throw new Error("no Go hotspot in the tour");
}

/** The phone's sensor: sends `window.__orientation` sixty times a second. */
async function sensor(page, alpha, beta, gamma) {
  await page.evaluate(([alpha, beta, gamma]) => {
    window.__orientation = { alpha, beta, gamma };
    if (window.__sensor) return;
    window.__sensor = setInterval(() => {
      const o = window.__orientation;
      window.dispatchEvent(new DeviceOrientationEvent("deviceorientation", { alpha: o.alpha, beta: o.beta, gamma: o.gamma, absolute: false }));
    }, 16);
  }, [alpha, beta, gamma]);
}

const view = (page) => {
  const p = new URL(page.url()).searchParams;
  return { site: p.get("site"), scene: p.get("scene"), yaw: Number(p.get("yaw")), pitch: Number(p.get("pitch")) };
};

const yawDiff = (a, b) => Math.abs(((a - b + 540) % 360) - 180);

/** Wait until the address's view has settled near `want` (the address follows once the view rests). */
async function viewNear(page, want, what) {
  const deadline = Date.now() + 30_000;
  let v;
  while (Date.now() < deadline) {
    v = view(page);
    if ((want.yaw === undefined || yawDiff(v.yaw, want.yaw) <= 2) && (want.pitch === undefined || Math.abs(v.pitch - want.pitch) <= 2)) return v;
    await page.waitForTimeout(250);
  }
  assert.fail(`${what}: the view is ${JSON.stringify(v)}, expected ${JSON.stringify(want)}`);
}

async function tap(cdp, x, y) {
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [{ x, y, id: 1 }] });
  await new Promise((r) => setTimeout(r, 100));
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
}

test("turning the phone turns the view from where the visitor looked, upright and on its side, and a drag adds to it", async () => {
  const { site, scene } = sceneWithGo();
  const context = await browser.newContext(PHONE);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await page.goto(`${base}/?site=${site}&scene=${scene}&yaw=30&pitch=0&hfov=90`);
  await page.waitForFunction(() => document.body.dataset.ready === "1", null, { timeout: READY });
  // Upright, facing north. The first readings show a gyroscope: on a phone it is offered.
  await sensor(page, 0, 90, 0);
  await page.waitForFunction(() => document.body.dataset.gyro === "offered" && document.body.dataset.gyroYes, null, { timeout: 30_000 });
  const [x, y] = (await page.evaluate(() => document.body.dataset.gyroYes)).split(",").map(Number);
  await tap(cdp, x, y);
  await page.waitForFunction(() => document.body.dataset.gyro === "on", null, { timeout: 30_000 });
  assert.equal(await page.evaluate(() => localStorage.getItem("cloudhall-gyro")), "on", "the choice is remembered");
  await page.waitForTimeout(1000);
  await viewNear(page, { yaw: 30, pitch: 0 }, "no jump when the gyroscope starts");
  // Turned 45 degrees to the right (alpha falls as the phone turns clockwise).
  await sensor(page, -45, 90, 0);
  await viewNear(page, { yaw: 75, pitch: 0 }, "turned right");
  // Its top tipped 20 degrees away: the view looks up.
  await sensor(page, -45, 110, 0);
  await viewNear(page, { yaw: 75, pitch: 20 }, "tipped up");
  // On its left side (landscape), facing north again: the screen's angle is taken into account.
  await cdp.send("Emulation.setDeviceMetricsOverride", {
    width: 844, height: 390, deviceScaleFactor: 1, mobile: true, screenOrientation: { type: "landscapePrimary", angle: 90 },
  });
  assert.equal(await page.evaluate(() => screen.orientation.angle), 90);
  await sensor(page, 90, 0, -90);
  await viewNear(page, { yaw: 30, pitch: 0 }, "landscape, facing north");
  await sensor(page, 45, 0, -90);
  await viewNear(page, { yaw: 75, pitch: 0 }, "landscape, turned right");
  // A finger drags the view left: the offset stays while the phone keeps still.
  const before = view(page).yaw;
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [{ x: 300, y: 200, id: 1 }] });
  for (let i = 1; i <= 10; i++) {
    await cdp.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: [{ x: 300 + i * 20, y: 200, id: 1 }] });
    await page.waitForTimeout(16);
  }
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  await page.waitForTimeout(2500);
  const dragged = view(page).yaw;
  assert.ok(yawDiff(dragged, before) > 5, `the drag moved the view: ${before} -> ${dragged}`);
  await page.waitForTimeout(1500);
  assert.ok(yawDiff(view(page).yaw, dragged) <= 2, "and it stays while the phone keeps still");
  await context.close();
});

test("VR glasses mode: two eyes, the gaze walks on, the floor and the back gesture leave it", async () => {
  const { site, scene, h } = sceneWithGo();
  const context = await browser.newContext({ ...PHONE, viewport: { width: 844, height: 390 } });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(String(e)));
  // Looking straight at the Go hotspot.
  await page.goto(`${base}/?site=${site}&scene=${scene}&yaw=${h.yaw}&pitch=${h.pitch}&hfov=90`);
  await page.waitForFunction(() => document.body.dataset.ready === "1", null, { timeout: READY });
  // The phone held at the hotspot's height (the gyroscope keeps the yaw, not the pitch).
  await sensor(page, 0, 90 + h.pitch, 0);
  await page.waitForFunction(() => document.body.dataset.gyro === "offered", null, { timeout: 30_000 });
  await page.keyboard.press("v");
  await page.waitForFunction(() => document.body.dataset.vr === "on" && document.body.dataset.gyro === "on", null, { timeout: 30_000 });
  await page.waitForTimeout(800);
  // Two eyes: the lens's black round each, and the two halves show the same picture.
  const png = decodePng(await page.screenshot());
  const half = Math.floor(png.width / 2);
  assert.deepEqual(png.pixel(2, 2).slice(0, 3), [0, 0, 0], "the left eye's corner is black");
  assert.deepEqual(png.pixel(half + 2, 2).slice(0, 3), [0, 0, 0], "the right eye's corner is black");
  let same = 0, lit = 0;
  for (let y = Math.floor(png.height * 0.3); y < png.height * 0.7; y += 4) {
    for (let x = Math.floor(half * 0.3); x < half * 0.7; x += 4) {
      const [a, b] = [png.pixel(x, y), png.pixel(x + half, y)];
      if (a[0] + a[1] + a[2] > 60) lit++;
      if (Math.abs(a[0] - b[0]) + Math.abs(a[1] - b[1]) + Math.abs(a[2] - b[2]) < 60) same++;
    }
  }
  assert.ok(lit > 50, "the eyes show the panorama");
  assert.ok(same / lit > 0.6, `the eyes agree (${same} of ${lit} samples)`);
  // Resting on the Go hotspot walks on by itself.
  await page.waitForFunction((to) => new URL(location.href).searchParams.get("scene") === to, h.kind.Go.scene, { timeout: 30_000 });
  assert.equal(await page.evaluate(() => document.body.dataset.vr), "on", "still in VR after walking on");
  // Lying flat, screen up: the phone looks at the floor, and two seconds there leave VR.
  await sensor(page, 0, 0, 0);
  await page.waitForFunction(() => document.body.dataset.vr === "off", null, { timeout: 30_000 });
  // In again, and the back gesture leaves it.
  await sensor(page, 0, 90, 0);
  await page.waitForTimeout(500);
  await page.keyboard.press("v");
  await page.waitForFunction(() => document.body.dataset.vr === "on", null, { timeout: 30_000 });
  await page.goBack();
  await page.waitForFunction(() => document.body.dataset.vr === "off", null, { timeout: 30_000 });
  assert.deepEqual(problems, []);
  await context.close();
});
