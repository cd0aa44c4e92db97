// The studio in headless Chromium, as a new curator uses it, against a real `cloudhall serve`
// on a copy of the test tour: sign in, make a site from nothing, add two scenes and upload their
// panoramas, place a Go hotspot each way and an Info board by clicking in the panorama (drawn by
// the hall's own web viewer), record a narration from Chromium's fake microphone and time two
// subtitle lines from its pauses, upload a floor plan and place both scenes on it, publish; then
// a visitor's page shows the new site, walks between its scenes and plays the narration; then the
// earlier version is restored from the page and the site is gone. Screenshots for the README go
// to docs/studio/.
//
// CLOUDHALL_BIN: the cloudhall binary (default: the debug build in CARGO_TARGET_DIR).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixture2048, launchBrowser, root, serve } from "./common.mjs";
import { encodePng } from "./png.mjs";

const LAPTOP = { width: 1280, height: 720 };
const READY = Number(process.env.READY || 240_000);
const TOKEN = "curator-token-for-e2e";
const docs = join(root, "docs/studio");
let server, browser, base, work;

before(async () => {
  work = mkdtempSync(join(tmpdir(), "cloudhall-studio-e2e-"));
  cpSync(join(root, "tests/fixtures/good"), join(work, "good"), { recursive: true });
  cpSync(join(root, "tests/fixtures/assets"), join(work, "assets"), { recursive: true });
  writeFileSync(join(work, "gate.png"), fixture2048());
  writeFileSync(join(work, "hall.png"), fixture2048());
  // A floor plan: two rooms side by side.
  writeFileSync(join(work, "plan.png"), encodePng(400, 200, (x, y) =>
    (x < 8 || x > 391 || y < 8 || y > 191 || (x > 196 && x < 204 && (y < 80 || y > 120))) ? [60, 60, 60] : [245, 240, 225]));
  mkdirSync(docs, { recursive: true });
  process.env.CLOUDHALL_CURATOR_TOKENS = `lin:${TOKEN}`;
  ({ server, base } = await serve(join(work, "good"), join(work, "data"), join(root, "web/dist")));
  delete process.env.CLOUDHALL_CURATOR_TOKENS;
  browser = await launchBrowser(["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]);
});

after(async () => {
  await browser?.close();
  server?.kill();
});

/** Type into a field as a person does: the text, then Tab to the next control. */
async function type(page, selector, text) {
  await page.fill(selector, text);
  await page.press(selector, "Tab");
  // The change is applied on the next turn of the page's loop, which redraws the panel.
  await page.evaluate(() => new Promise((r) => setTimeout(r, 10)));
}

/** Wait until the draft on the page is saved (nothing pending) and return what the check says. */
async function saved(page) {
  await page.waitForFunction(() => S.saveTimer === null && /Draft saved|草稿已保存/.test(document.querySelector("#save-state").textContent),
    null, { timeout: 60_000 });
  await page.evaluate(() => S.saving);
  return page.evaluate(() => S.check);
}

/** Wait until the studio's frame shows `scene` of the draft, drawn by the hall's viewer. */
async function frameShows(page, scene) {
  const frame = page.frame({ url: /\/studio\/view\// }) || page.frames()[1];
  await page.waitForFunction((scene) => {
    try {
      const w = document.querySelector("#frame").contentWindow;
      return w.document.body.dataset.ready === "1" && new URLSearchParams(w.location.search).get("scene") === scene
        && new URLSearchParams(w.location.search).has("yaw");
    } catch { return false; }
  }, scene, { timeout: READY }).catch(async (e) => {
    const seen = await page.evaluate(() => {
      const w = document.querySelector("#frame").contentWindow;
      return { src: document.querySelector("#frame").src, href: w.location.href, data: { ...w.document.body.dataset }, text: w.document.body.innerText.slice(0, 300) };
    });
    throw new Error(`the frame does not show ${scene}: ${JSON.stringify(seen)}\n${e.message}`);
  });
  return frame;
}

/** Click on `selector` at a fraction of its size, scrolled into view first. */
async function clickAt(page, selector, fx, fy) {
  const target = page.locator(selector);
  await target.scrollIntoViewIfNeeded();
  const box = await target.boundingBox();
  await target.click({ position: { x: box.width * fx, y: box.height * fy } });
}

/** Click in the panorama at a fraction of the stage's size. */
const clickStage = (page, fx, fy) => clickAt(page, "#overlay", fx, fy);

async function uploadPanorama(page, file) {
  await page.setInputFiles("#up-pano", join(work, file));
  await page.waitForFunction(() => /is ready/.test(document.querySelector("#status").textContent), null, { timeout: 120_000 });
  await saved(page);
}

test("a new curator builds a two-scene site, publishes it, a visitor walks it, and the earlier version comes back", async () => {
  const page = await browser.newPage({ viewport: LAPTOP });
  const problems = [];
  page.on("pageerror", (e) => problems.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error" || /ERROR/.test(m.text())) console.log("console:", m.text().slice(0, 300)); });
  page.on("response", (r) => { if (r.status() >= 400) console.log("status", r.status(), r.url()); });
  page.on("dialog", (d) => d.accept());
  await page.goto(base + "/studio");

  // A wrong token is refused and said so; the right one signs in.
  await page.fill("#token", "not-a-token-at-all");
  await page.press("#token", "Enter");
  await page.waitForFunction(() => document.querySelector("#signin-error").textContent.length > 0);
  await page.screenshot({ path: join(docs, "sign-in.png") });
  await page.fill("#token", TOKEN);
  await page.press("#token", "Enter");
  await page.waitForSelector("#app:not([hidden])");
  assert.match(await page.textContent("#who"), /lin/);

  // A site from nothing.
  await page.fill("#new-id", "gamma");
  await page.fill("#new-zh", "丙馆");
  await page.fill("#new-en", "Gamma Hall");
  await page.click("#new-site button[type=submit]");
  await page.waitForSelector("#scenes-box:not([hidden])");
  assert.equal(await page.inputValue("#new-id"), "", "the form is cleared once the server has the site");
  await type(page, "#f-summary-zh", "一座用于测试的新展馆。");
  await type(page, "#f-summary-en", "A new hall, made in the studio.");
  await type(page, "#f-location-district-zh", "红山区");
  await type(page, "#f-location-district-en", "Hongshan District");
  await type(page, "#f-education-base-note-zh", "待确认。");
  await type(page, "#f-education-base-note-en", "To be confirmed.");
  await type(page, "#f-sources", "studio test");
  // The location by clicking the city map.
  const before = await page.evaluate(() => ({ ...S.site.location }));
  await clickAt(page, "#map-pick", 0.55, 0.6);
  const after = await page.evaluate(() => ({ ...S.site.location }));
  assert.ok(after.lat !== before.lat || after.lon !== before.lon, "a click on the map moves the site");

  // Two scenes, each with its panorama uploaded and tiled on the server.
  for (const [id, zh, en] of [["gate", "正门", "Gate"], ["hall", "展厅", "Hall"]]) {
    await page.fill("#new-scene-id", id);
    await page.press("#new-scene-id", "Enter");
    await page.waitForSelector(`#f-scenes-${id === "gate" ? 0 : 1}-name-zh`);
    const i = id === "gate" ? 0 : 1;
    await type(page, `#f-scenes-${i}-name-zh`, zh);
    await type(page, `#f-scenes-${i}-name-en`, en);
    await type(page, `#f-scenes-${i}-description-zh`, `${zh}，一个测试场景。`);
    await type(page, `#f-scenes-${i}-description-en`, `The ${en.toLowerCase()}, a test scene.`);
    await uploadPanorama(page, `${id}.png`);
  }

  // A third scene: moved up, renamed, then removed again.
  await page.fill("#new-scene-id", "spare");
  await page.press("#new-scene-id", "Enter");
  await page.click("button[aria-label='Move spare up']");
  assert.deepEqual(await page.evaluate(() => S.site.scenes.map((s) => s.id)), ["gate", "spare", "hall"]);
  await page.click("#scenes li:nth-child(3) button.pick");
  await type(page, "#f-scenes-1-id", "spare-room");
  assert.deepEqual(await page.evaluate(() => S.site.scenes.map((s) => s.id)), ["gate", "spare-room", "hall"]);
  await page.click("text=Remove scene spare-room");
  assert.deepEqual(await page.evaluate(() => S.site.scenes.map((s) => s.id)), ["gate", "hall"]);

  // A Go each way, placed by clicking at the middle of the panorama: a visitor arriving faces it.
  await page.click("#scenes li:nth-child(2) button.pick");
  await frameShows(page, "gate");
  // The first scene is where visitors enter until another is chosen; the gate's start view and
  // zoom limits are taken from the view.
  assert.equal(await page.isChecked("input[name=start]"), true);
  await page.click("#start-here");
  const look = await page.evaluate(() => frameView());
  assert.deepEqual(await page.evaluate(() => S.site.scenes[0].view), { yaw: look.yaw, pitch: look.pitch, hfov: look.hfov });
  await page.click("text=Closest zoom = now");
  assert.equal(await page.evaluate(() => S.site.scenes[0].limits.min_hfov), Math.round(look.hfov));
  await page.screenshot({ path: join(docs, "scene.png") });
  await page.click("[data-place=go]");
  await clickStage(page, 0.5, 0.5);
  assert.equal(await page.evaluate(() => S.site.scenes[0].hotspots[0].kind.Go.scene), "hall");
  // Its arrival view, by looking (here: the hall's own start view).
  await page.click("#arrival-set");
  await frameShows(page, "hall");
  await page.click("#arrival-use");
  assert.ok(await page.evaluate(() => S.site.scenes[0].hotspots[0].kind.Go.view), "the arrival view is set");
  // An Info board, off to the left.
  await page.click("#scenes li:nth-child(2) button.pick");
  await frameShows(page, "gate");
  await page.click("[data-place=info]");
  await clickStage(page, 0.25, 0.45);
  const info = await page.evaluate(() => S.site.scenes[0].hotspots[1]);
  assert.ok(info.kind.Info && info.yaw < -5, `the board is left of the middle: ${JSON.stringify(info)}`);
  await type(page, "#f-scenes-0-hotspots-1-kind-title-zh", "简介");
  await type(page, "#f-scenes-0-hotspots-1-kind-title-en", "About");
  await type(page, "#f-scenes-0-hotspots-1-kind-body-zh", "这座展馆在工作室里建成。");
  await type(page, "#f-scenes-0-hotspots-1-kind-body-en", "This hall was built in the studio.");
  // Undo takes the last change back, redo brings it again.
  await page.click("#undo");
  assert.equal(await page.evaluate(() => S.site.scenes[0].hotspots[1].kind.Info.body.en), "");
  // Ctrl+Y outside a text field (inside one, the field's own undo works on its text).
  await page.locator("#redo").focus();
  await page.keyboard.press("Control+y");
  assert.equal(await page.evaluate(() => S.site.scenes[0].hotspots[1].kind.Info.body.en), "This hall was built in the studio.");

  await page.click("#scenes li:nth-child(3) button.pick");
  await frameShows(page, "hall");
  await page.check("input[name=start]");
  assert.equal(await page.evaluate(() => S.site.start_scene), "hall", "visitors now enter at the hall");
  await page.click("[data-place=go]");
  await clickStage(page, 0.5, 0.5);
  assert.equal(await page.evaluate(() => S.site.scenes[1].hotspots[0].kind.Go.scene), "gate");
  // Saved, the preview redraws the scene with the new hotspot, as visitors will see it.
  await saved(page);
  await frameShows(page, "hall");
  await page.waitForTimeout(1500);
  await page.screenshot({ path: join(docs, "hotspots.png") });

  // Narration for the hall, recorded from the (fake) microphone, with two subtitle lines timed
  // from its pauses.
  await page.click("#scenes li:nth-child(3) button.pick");
  await page.click("#record");
  await page.waitForTimeout(4000);
  await page.click("#record");
  await page.waitForFunction(() => /Audio ready/.test(document.querySelector("#status").textContent), null, { timeout: 60_000 });
  await page.fill("#lines-zh", "欢迎来到展厅。\n请看两侧的展板。");
  await page.fill("#lines-en", "Welcome to the hall.\nThe boards are on both walls.");
  await page.click("#time-lines");
  await page.waitForFunction(() => S.site.scenes[1].narration.cues.length === 2);
  const n = await page.evaluate(() => S.site.scenes[1].narration);
  assert.ok(n.duration > 2.5, `the recording lasts: ${n.duration}`);
  assert.ok(n.cues[0].end <= n.cues[1].start && n.cues[1].end <= n.duration + 0.01, JSON.stringify(n.cues));
  await saved(page);
  await page.screenshot({ path: join(docs, "narration.png") });

  // The floor plan, with both scenes placed on it and the gate's north set from the panorama.
  await page.click("#scenes li:nth-child(1) button.pick");
  await page.setInputFiles("#up-plan", join(work, "plan.png"));
  await page.waitForSelector("#plan-wrap img");
  for (const [id, fx] of [["gate", 0.25], ["hall", 0.75]]) {
    await page.selectOption("#plan-scene", id);
    await clickAt(page, "#plan-wrap img", fx, 0.5);
    await page.waitForSelector(`#plan-wrap .pin:text("${id}")`);
  }
  // North from the panorama: the direction the preview looks in is plan-up.
  const facing = await page.evaluate(() => frameView());
  await page.click("#plan-north");
  const north = await page.evaluate((id) => S.site.floor_plan.positions.find((p) => p.scene === id).north, facing.scene);
  assert.equal(north, Math.round(((((-facing.yaw) % 360) + 360) % 360) * 10) / 10, `${JSON.stringify(facing)} -> ${north}`);
  const positions = await page.evaluate(() => S.site.floor_plan.positions);
  assert.deepEqual(positions.map((p) => p.scene), ["gate", "hall"]);
  assert.ok(Math.abs(positions[0].x - 0.25) < 0.02 && Math.abs(positions[1].x - 0.75) < 0.02, JSON.stringify(positions));
  await page.locator("#plan-wrap").scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(docs, "floor-plan.png") });

  // Checked and published.
  const check = await saved(page);
  assert.equal(check.errors, 0, JSON.stringify(check.items));
  assert.equal(await page.isDisabled("#publish"), false);
  await page.click("#publish");
  await page.waitForFunction(() => /Published gamma/.test(document.querySelector("#message").textContent), null, { timeout: 60_000 });
  await page.screenshot({ path: join(docs, "published.png") });

  // A visitor sees it: the gate, a click on the Go in the middle walks to the hall, where the
  // narration plays; the hall's Go in the middle walks back.
  const tour = await (await fetch(base + "/api/v1/tour")).json();
  assert.ok(tour.sites.some((s) => s.id === "gamma"), "the running server serves the new site");
  const visitor = await browser.newPage({ viewport: { width: 960, height: 540 } });
  const seen = [];
  visitor.on("pageerror", (e) => seen.push(String(e)));
  await visitor.goto(base + "/?site=gamma&scene=gate");
  await visitor.waitForFunction(() => document.body.dataset.ready === "1", null, { timeout: READY });
  await visitor.waitForTimeout(1000);
  const tap = async () => {
    await visitor.mouse.move(480, 270);
    await visitor.mouse.down();
    await visitor.waitForTimeout(150);
    await visitor.mouse.up();
  };
  await tap();
  await visitor.waitForFunction(() => new URL(location.href).searchParams.get("scene") === "hall", null, { timeout: 60_000 });
  await visitor.waitForFunction(() => {
    const a = document.getElementById("narration-audio");
    return a && !a.paused && a.currentTime > 0.3;
  }, null, { timeout: 60_000 });
  await visitor.waitForTimeout(1500);
  await tap();
  await visitor.waitForFunction(() => new URL(location.href).searchParams.get("scene") === "gate", null, { timeout: 60_000 });
  assert.deepEqual(seen, []);
  await visitor.close();

  // The earlier version, restored from the page: the site is gone from the hall.
  await page.click("#open-versions");
  await page.waitForSelector("#versions [data-restore='0']");
  await page.screenshot({ path: join(docs, "versions.png") });
  await page.click("#versions [data-restore='0']");
  await page.waitForFunction(() => /Version 0 is back/.test(document.querySelector("#message").textContent), null, { timeout: 60_000 });
  const restored = await (await fetch(base + "/api/v1/tour")).json();
  assert.deepEqual(restored.sites.map((s) => s.id), ["alpha", "beta"]);
  assert.deepEqual(problems, []);
  await page.close();
});

test("on a tablet the studio fits the screen, and every control is reached with Tab", async () => {
  const page = await browser.newPage({ viewport: { width: 1024, height: 768 }, hasTouch: true });
  await page.goto(base + "/studio");
  await page.evaluate((t) => sessionStorage.setItem("cloudhall-curator", t), TOKEN);
  await page.reload();
  await page.waitForSelector("#app:not([hidden])");
  await page.click("#sites li button.pick");
  await page.waitForSelector("#f-name-zh");
  const width = await page.evaluate(() => [document.documentElement.scrollWidth, innerWidth]);
  assert.ok(width[0] <= width[1], `no sideways scrolling: ${width}`);
  await frameShows(page, "gate");
  await page.screenshot({ path: join(docs, "tablet.png") });
  // Every button, field and list entry on the page is reached by Tab, in turn.
  const wanted = await page.evaluate(() => [...document.querySelectorAll("#app button:not([disabled]), #app input, #app select, #app textarea")]
    .filter((e) => e.offsetParent !== null).length);
  const reached = new Set();
  for (let k = 0; k < wanted + 60; k++) {
    await page.keyboard.press("Tab");
    const id = await page.evaluate(() => {
      const e = document.activeElement;
      if (!e || !document.querySelector("#app").contains(e)) return null;
      e.dataset.reached = "1";
      return [...document.querySelectorAll("#app *")].indexOf(e);
    });
    if (id != null) reached.add(id);
  }
  const missed = await page.evaluate(() => [...document.querySelectorAll("#app button:not([disabled]), #app input, #app select, #app textarea")]
    .filter((e) => e.offsetParent !== null && !e.dataset.reached).map((e) => e.outerHTML.slice(0, 80)));
  assert.deepEqual(missed, [], "controls Tab never reaches");
  assert.ok(reached.size >= wanted, `${reached.size} of ${wanted}`);
  // Text fields are the page's own inputs, so an input method composes into them.
  assert.equal(await page.evaluate(() => document.querySelector("#f-name-zh").tagName), "INPUT");
  await page.close();
});
