// The hall in headless Chromium (Debian's /usr/bin/chromium, WebGL2 on SwiftShader), served by a
// real `cloudhall serve` with the web build of `make web`: the page loads and shows the
// panorama, a deep link opens its view, dragging turns the view and the address follows, and a
// click on a Go hotspot changes the scene and the address, the narration sounds through the
// page's <audio> and pauses with the viewer, a flower laid on the page raises the
// server's count, a slow link shows the scene's preview first, and a student joins a live class
// from the page. Pixels are read from screenshots: where a test reads a direction from a colour,
// it uses a second server with the render-test tour (tests/fixtures/render), whose panorama has
// coloured discs at the four points; the bundled panoramas carry no test aids.
//
// CLOUDHALL_BIN: the cloudhall binary (default: the debug build in CARGO_TARGET_DIR).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findColour, launchBrowser, root, serve } from "./common.mjs";
import { decodePng } from "./png.mjs";

const VIEW = { width: 960, height: 540 };
const READY = 240_000;
let server, browser, base, tour;
/** The render-test tour's server, and its scene with the discs. */
let orientServer, orient;
const DISCS = { site: "orient", scene: "discs" };

before(async () => {
  ({ server, base } = await serve(join(root, "scenes"), mkdtempSync(join(tmpdir(), "cloudhall-e2e-")), join(root, "web/dist")));
  ({ server: orientServer, base: orient } = await serve(join(root, "tests/fixtures/render"),
    mkdtempSync(join(tmpdir(), "cloudhall-e2e-orient-")), join(root, "web/dist")));
  tour = await (await fetch(base + "/api/v1/tour")).json();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.kill();
  orientServer?.kill();
});

/** A page at `query` (of the server at `at`), once the first panorama is on screen. */
async function open(query, at = base) {
  const page = await browser.newPage({ viewport: VIEW });
  const problems = [];
  page.on("pageerror", (e) => problems.push(String(e)));
  page.problems = problems;
  await page.goto(at + "/" + query);
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

/** The mean colour of the middle 80x80 pixels of the page, after a few frames. */
async function middle(page) {
  await page.waitForTimeout(1500);
  const png = decodePng(await page.screenshot());
  const sum = [0, 0, 0];
  for (let y = -40; y < 40; y++) {
    for (let x = -40; x < 40; x++) {
      const p = png.pixel(Math.floor(png.width / 2) + x, Math.floor(png.height / 2) + y);
      for (let c = 0; c < 3; c++) sum[c] += p[c];
    }
  }
  return sum.map((v) => Math.round(v / 6400));
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
  const { site, scene } = DISCS;
  const page = await browser.newPage({ viewport: VIEW });
  const wasm = page.waitForResponse((r) => r.url().endsWith("cloudhall_bg.wasm"));
  await page.goto(`${orient}/?site=${site}&scene=${scene}&yaw=0&pitch=0&hfov=40`);
  const res = await wasm;
  assert.equal(res.headers()["content-type"], "application/wasm");
  assert.equal(res.headers()["content-encoding"], "br");
  await page.waitForFunction(() => document.body.dataset.ready === "1", null, { timeout: READY });
  // The bar fades out over 0.4 s once the panorama is ready.
  await page.waitForFunction(() => getComputedStyle(document.getElementById("loading")).opacity === "0", null, { timeout: 5_000 })
    .catch(() => {});
  assert.equal(await page.locator("#loading").evaluate((e) => getComputedStyle(e).opacity), "0", "the loading bar is gone");
  assert.equal(disc(await centre(page)), "red", "the red disc at yaw 0 is in the middle");
  await page.close();
});

test("a deep link opens that view", async () => {
  const { site, scene } = DISCS;
  const page = await open(`?site=${site}&scene=${scene}&yaw=90&pitch=0&hfov=40`, orient);
  assert.equal(disc(await centre(page)), "green", "yaw 90: the green disc");
  assert.equal(param(page, "scene"), scene);
  await page.close();
});

test("dragging turns the view and the address follows", async () => {
  const { site, scene } = DISCS;
  const page = await open(`?site=${site}&scene=${scene}&yaw=0&pitch=0&hfov=40`, orient);
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

test("the narration sounds through the page's own audio element, scene after scene, and pauses with the viewer", async () => {
  // A scene with narration whose Go hotspot leads to another scene with narration.
  let pick;
  for (const s of tour.sites) {
    for (const sc of s.scenes) {
      const h = sc.hotspots.find((h) => h.kind.Go && !h.kind.Go.site && Math.abs(h.pitch) < 30
        && sc.narration && s.scenes.find((n) => n.id === h.kind.Go.scene)?.narration);
      if (h && !pick) pick = { site: s.id, scene: sc.id, h };
    }
  }
  assert.ok(pick, "the tour has a narrated scene with a Go hotspot to another narrated scene");
  const { site, scene, h } = pick;
  const page = await open(`?site=${site}&scene=${scene}&yaw=${h.yaw}&pitch=${h.pitch}&hfov=60`);
  const audio = () => page.evaluate(() => {
    const a = document.getElementById("narration-audio");
    return a && { paused: a.paused, t: a.currentTime, src: a.src, count: document.querySelectorAll("audio").length };
  });
  // The browser lets a page sound only after the visitor's first gesture: here the tap on Go.
  await page.waitForTimeout(1000);
  await page.mouse.move(VIEW.width / 2, VIEW.height / 2);
  await page.mouse.down();
  await page.waitForTimeout(150);
  await page.mouse.up();
  await page.waitForFunction((to) => new URL(location.href).searchParams.get("scene") === to, h.kind.Go.scene, { timeout: 60_000 });
  const sounding = () => page.waitForFunction((after) => {
    const a = document.getElementById("narration-audio");
    return a && !a.paused && a.currentTime > after;
  }, 0.5, { timeout: 60_000 });
  await sounding();
  const playing = await audio();
  assert.match(playing.src, /^blob:/, "the element plays the bytes the viewer fetched (kept for offline visits)");
  assert.equal(playing.count, 1, "one narration at a time");
  // Space pauses the narration: the viewer's clock and the sound alike.
  await page.keyboard.press("Space");
  await page.waitForFunction(() => document.body.dataset.narration === "paused" && document.getElementById("narration-audio").paused,
    null, { timeout: 30_000 });
  const held = (await audio()).t;
  await page.waitForTimeout(800);
  assert.equal((await audio()).t, held, "a paused narration stays where it is");
  await page.keyboard.press("Space");
  await page.waitForFunction((held) => {
    const a = document.getElementById("narration-audio");
    return document.body.dataset.narration === "playing" && !a.paused && a.currentTime > held + 0.3;
  }, held, { timeout: 30_000 });
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("a flower laid on the page raises the server's count", async () => {
  let pick;
  for (const s of tour.sites) {
    for (const sc of s.scenes) {
      const h = sc.hotspots.find((h) => h.kind.Memorial === "Site" && Math.abs(h.pitch) < 30);
      if (h && !pick) pick = { site: s.id, scene: sc.id, h };
    }
  }
  assert.ok(pick, "the tour has a memorial for a site");
  const { site, scene, h } = pick;
  const counts = async () => (await (await fetch(`${base}/api/v1/memorial/counts?site=${site}`)).json()).counts.flower;
  const before = await counts();
  const page = await open(`?site=${site}&scene=${scene}&yaw=${h.yaw}&pitch=${h.pitch}&hfov=60`);
  await page.waitForTimeout(1000);
  // The memorial hotspot is in the middle of the view: a click opens its panel.
  await page.mouse.click(VIEW.width / 2, VIEW.height / 2, { delay: 120 });
  // The offering buttons are the memorial's dark red (0.55, 0.1, 0.1); "lay a flower" comes first.
  let at = null;
  for (let i = 0; i < 20 && !at; i++) {
    await page.waitForTimeout(500);
    at = findColour(decodePng(await page.screenshot()), [140, 26, 26]);
  }
  assert.ok(at, "the memorial panel shows its offering buttons");
  await page.mouse.click(at[0] + 16, at[1] + 14, { delay: 120 });
  for (let i = 0; i < 60 && (await counts()) === before; i++) await page.waitForTimeout(500);
  assert.equal(await counts(), before + 1, "one flower more on the server");
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("on a slow link the scene's small preview shows before the full panorama", async () => {
  const { site, scene, sceneData } = first();
  const page = await browser.newPage({ viewport: VIEW });
  // Panorama tiles arrive 20 s late; the previews (a pyramid's preview.jpg, thumbnails) at once.
  let release;
  const held = new Promise((r) => { release = r; });
  await page.route("**/assets/pano/**", async (route) => {
    if (!new URL(route.request().url()).pathname.endsWith("/preview.jpg")) {
      await Promise.race([held, new Promise((r) => setTimeout(r, 20_000))]);
    }
    await route.continue();
  });
  await page.goto(`${base}/?site=${site}&scene=${scene}&yaw=0&pitch=0&hfov=40`);
  await page.waitForFunction(() => document.body.dataset.preview === "1", null, { timeout: READY });
  assert.notEqual(await page.evaluate(() => document.body.dataset.ready), "1", "the full panorama is not in yet");
  assert.ok(sceneData.thumbnail || sceneData.panorama.Multires, "the scene has a preview");
  const early = await middle(page);
  assert.ok(early.reduce((a, b) => a + b) > 60, `the preview is drawn, not a dark canvas: ${early}`);
  release();
  await page.waitForFunction(() => document.body.dataset.ready === "1", null, { timeout: READY });
  const late = await middle(page);
  const apart = Math.max(...early.map((c, i) => Math.abs(c - late[i])));
  assert.ok(apart < 40, `the preview shows what the full panorama shows there: ${early} then ${late}`);
  await page.close();
});

/** A live-session client as a plain WebSocket in a page of its own: `hello` is its first
 * message; `send` sends more; `waitFor(pred)` finds a message it heard. */
async function liveClient(code, hello, at = base) {
  const page = await browser.newPage();
  await page.goto(at + "/health");
  await page.evaluate(({ url, hello }) => new Promise((resolve, reject) => {
    window.heard = [];
    window.ws = new WebSocket(url);
    ws.onmessage = (e) => window.heard.push(JSON.parse(e.data));
    ws.onerror = reject;
    ws.onopen = () => { ws.send(JSON.stringify({ v: 1, ...hello })); resolve(); };
  }), { url: `${at.replace("http", "ws")}/api/v1/sessions/${code}/ws`, hello });
  return {
    send: (m) => page.evaluate((m) => window.ws.send(JSON.stringify({ v: 1, ...m })), m),
    waitFor: async (what) => {
      for (let t = 0; t < 60_000; t += 200) {
        const m = (await page.evaluate(() => window.heard)).find(what);
        if (m) return m;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error("the live client did not hear it");
    },
    close: () => page.close(),
  };
}

test("a student joins a live class from the page and follows the teacher", async () => {
  const res = await fetch(`${orient}/api/v1/sessions`, { method: "POST" });
  assert.equal(res.status, 201);
  const { code, teacher_token } = await res.json();
  // The teacher is a plain WebSocket client; the student is the hall (both on the server of the
  // discs, so the student's view can be read from the colour ahead).
  const teacher = await liveClient(code, { type: "claim", token: teacher_token }, orient);
  const { send, waitFor } = teacher;
  const { site, scene } = DISCS;
  const other = { id: "second" };
  await send({ type: "go", site, scene, view: { yaw: 0, pitch: 0, hfov: 40 } });
  // Without a name the page asks for one.
  const page = await browser.newPage({ viewport: VIEW });
  page.problems = [];
  page.on("pageerror", (e) => page.problems.push(String(e)));
  await page.goto(`${orient}/?join=${code}`);
  await page.fill("#join input[name=name]", "小明");
  await page.click("#join button");
  await page.waitForFunction(() => document.body.dataset.ready === "1", null, { timeout: READY });
  const joined = await waitFor((m) => m.type === "student" && m.student.name === "小明");
  assert.equal(joined.student.following, true);
  assert.equal(disc(await centre(page)), "red", "the student looks where the teacher looks");
  await send({ type: "view", yaw: 90, pitch: 0, hfov: 40 });
  await page.waitForTimeout(2500);
  assert.equal(disc(await centre(page)), "green", "the teacher turned to yaw 90, and so did the student");
  await send({ type: "go", site, scene: other.id, view: { yaw: 0, pitch: 0, hfov: 60 } });
  await waitFor((m) => m.type === "student" && m.student.name === "小明" && m.student.scene === other.id);
  await send({ type: "end" });
  await teacher.close();
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("on a phone held upright the hall fits the screen and a finger turns the view", async () => {
  const { site, scene } = DISCS;
  const phone = { width: 390, height: 844 };
  // (Device pixel ratio 1: headless Chromium's emulated ratio disagrees with the canvas's device-pixel box.)
  const context = await browser.newContext({ viewport: phone, deviceScaleFactor: 1, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await page.goto(`${orient}/?site=${site}&scene=${scene}&yaw=0&pitch=0&hfov=60`);
  await page.waitForFunction(() => document.body.dataset.ready === "1", null, { timeout: READY });
  const fit = await page.evaluate(() => {
    const r = document.getElementById("cloudhall").getBoundingClientRect();
    return { w: innerWidth, h: innerHeight, sw: document.documentElement.scrollWidth, sh: document.documentElement.scrollHeight,
      canvas: [r.left, r.top, r.width, r.height] };
  });
  assert.equal(fit.w, phone.width);
  assert.ok(fit.sw <= fit.w && fit.sh <= fit.h, `nothing scrolls: ${JSON.stringify(fit)}`);
  assert.deepEqual(fit.canvas, [0, 0, phone.width, phone.height], "the panorama fills the screen");
  assert.equal(disc(await centre(page)), "red");
  // A swipe to the left, with touch events as a phone sends them.
  const cdp = await context.newCDPSession(page);
  const y = phone.height / 2 + 40;
  const touch = (type, x) => cdp.send("Input.dispatchTouchEvent",
    { type, touchPoints: type === "touchEnd" ? [] : [{ x, y, id: 1 }] });
  await touch("touchStart", 300);
  for (let i = 1; i <= 10; i++) {
    await touch("touchMove", 300 - i * 20);
    await page.waitForTimeout(50);
  }
  await touch("touchEnd", 100);
  await page.waitForFunction(() => Math.abs(parseFloat(new URL(location.href).searchParams.get("yaw"))) > 5,
    null, { timeout: 60_000 });
  assert.notEqual(disc(await centre(page)), "red", "the finger turned the view");
  await page.screenshot({ path: join(tmpdir(), "cloudhall-phone.png") });
  await context.close();
});

test("a teacher leads a class from the page: the code is in the address and the class sees the teacher's scene and view", async () => {
  const { site, scene } = first();
  const page = await open(`?guide&site=${site}&scene=${scene}&yaw=0&pitch=0&hfov=40`);
  const code = param(page, "guide");
  assert.match(code || "", /^\d{9}$/, "the address names the session");
  assert.equal((await fetch(`${base}/api/v1/sessions/${code}`)).status, 200);
  const student = await liveClient(code, { type: "join", name: "小红" });
  const { waitFor } = student;
  const welcome = await waitFor((m) => m.type === "welcome");
  assert.equal(welcome.state.teacher_connected, true);
  assert.equal(welcome.state.scene, scene, "the class is where the teacher's page is");
  // The teacher turns the view with the mouse: the class hears the new view.
  const [x, y] = [VIEW.width / 2, VIEW.height / 2 + 60];
  await page.mouse.move(x, y);
  await page.mouse.down();
  for (let i = 1; i <= 8; i++) {
    await page.mouse.move(x - i * 40, y);
    await page.waitForTimeout(50);
  }
  await page.mouse.up();
  const view = await waitFor((m) => m.type === "view" && Math.abs(m.yaw) > 5);
  assert.ok(Math.abs(view.yaw) > 5);
  assert.deepEqual(page.problems, []);
  await student.close();
  await page.close();
});
