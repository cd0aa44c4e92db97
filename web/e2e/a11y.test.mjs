// The hall for visitors who cannot see the screen, in headless Chromium against a real
// `cloudhall serve` of the bundled tour:
// - axe-core finds no serious or critical violation on the hall's page, with a board open and
//   with the memorial open;
// - Chromium's own accessibility tree (CDP Accessibility.getFullAXTree) holds the scene's
//   hotspots as buttons named by where they lead, and the live region receives the subtitles
//   as the narration plays;
// - keyboard only (not one pointer event): from the site list to a site, through two scenes,
//   a board read, and a flower laid that the server counts; the narration bar's every control
//   (seek, speed, subtitles, volume, mute, the transcript and its lines);
// - reduced motion and a larger interface show in screenshots, and the choices are remembered.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundledHall, root } from "./common.mjs";

const READY = 240_000;
const VIEW = { width: 1024, height: 640 };
let hall, browser, base, tour;

before(async () => {
  hall = await bundledHall("a11y");
  ({ browser, base, tour } = hall);
});

after(async () => { await hall?.close(); });

/** The hall at `query` in English, once the viewer has drawn and filled the layer. */
async function open(query) {
  const page = await browser.newPage({ viewport: VIEW });
  page.problems = [];
  page.on("pageerror", (e) => page.problems.push(String(e)));
  await page.addInitScript(() => {
    window.pointerEvents = 0;
    for (const t of ["pointerdown", "mousedown", "touchstart"]) {
      window.addEventListener(t, (e) => { if (e.isTrusted) window.pointerEvents++; }, true);
    }
  });
  await page.goto(`${base}/?lang=en&${query}`);
  await page.waitForFunction(() => document.body.dataset.ready === "1", null, { timeout: READY });
  await page.waitForSelector("#a11y-scene", { state: "attached", timeout: 60_000 });
  return page;
}

/** A scene with a Go hotspot to another scene of its site, and a site memorial somewhere in that site. */
function route() {
  for (const s of tour.sites) {
    if (s.id === tour.start_site) continue;
    const first = s.scenes[0];
    const go = first.hotspots.find((h) => h.kind.Go && !h.kind.Go.site);
    if (!go) continue;
    const second = s.scenes.find((sc) => sc.id === go.kind.Go.scene);
    const info = second.hotspots.find((h) => h.kind.Info);
    const memorialScene = s.scenes.find((sc) => sc.hotspots.some((h) => h.kind.Memorial === "Site"));
    if (info && memorialScene) return { site: s, first, second, info, memorialScene };
  }
  throw new Error("the bundled tour has no such site");
}

/** Press Tab (Shift+Tab with `back`; at most 150 times) until the focused element passes `pred`. */
async function tabTo(page, pred, what, back = false) {
  for (let i = 0; i < 150; i++) {
    await page.keyboard.press(back ? "Shift+Tab" : "Tab");
    if (await page.evaluate(pred)) return;
  }
  throw new Error(`Tab never reached ${what}`);
}

const focusedText = (text) => new Function(`return document.activeElement?.textContent === ${JSON.stringify(text)}`);

/** Turn on the setting `key` from a script (no pointer event) and wait until the viewer has
 * re-rendered the layer with it on: the old controls are gone from the page. */
async function rerender(page, key) {
  await page.evaluate((k) => {
    window.oldLayer = document.querySelector("#a11y-content h1");
    document.querySelector(`#a11y-content [data-key="${k}"]`).click();
  }, key);
  await page.waitForFunction((k) => !window.oldLayer.isConnected &&
    document.querySelector(`#a11y-content [data-key="${k}"]`)?.checked === true, key, { timeout: 30_000 });
}

async function axe(page) {
  await page.addScriptTag({ path: join(root, "web/e2e/node_modules/axe-core/axe.min.js") });
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

test("axe-core finds nothing serious on the map, the hall, an open board and the memorial", async () => {
  const { site, second, info, memorialScene } = route();
  const map = await open("");
  assert.equal(await map.evaluate(() => document.body.dataset.map), "open");
  assert.deepEqual(await axe(map), [], "the city map");
  await map.close();
  const page = await open(`site=${site.id}&scene=${second.id}`);
  assert.deepEqual(await axe(page), [], "the hall");
  // The layer's controls, as a screen reader would use them.
  await page.keyboard.press("Tab");
  await tabTo(page, focusedText(`Board: ${info.kind.Info.title.en}`), "the board's hotspot");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#a11y-board", { timeout: 30_000 });
  assert.deepEqual(await axe(page), [], "an open board");
  await page.close();

  const mem = await open(`site=${site.id}&scene=${memorialScene.id}`);
  await mem.keyboard.press("Tab");
  await tabTo(mem, () => document.activeElement?.dataset.kind === "memorial", "the memorial's hotspot");
  await mem.keyboard.press("Enter");
  await mem.waitForSelector("#a11y-board form", { timeout: 30_000 });
  assert.deepEqual(await axe(mem), [], "the memorial");
  assert.deepEqual(mem.problems, []);
  await mem.close();
});

test("the accessibility tree names each hotspot by where it leads, and the live region speaks the subtitles", async () => {
  const { site, first } = route();
  const page = await open(`site=${site.id}&scene=${first.id}`);
  const cdp = await page.context().newCDPSession(page);
  const { nodes } = await cdp.send("Accessibility.getFullAXTree");
  const buttons = nodes.filter((n) => n.role?.value === "button").map((n) => n.name?.value || "");
  for (const h of first.hotspots.filter((h) => h.kind.Go)) {
    const to = h.kind.Go.site ? tour.sites.find((s) => s.id === h.kind.Go.site) : site;
    const scene = to.scenes.find((sc) => sc.id === h.kind.Go.scene);
    assert.ok(buttons.some((b) => b.startsWith("Go to: ") && b.includes(scene.name.en)),
      `a button leads to ${scene.name.en}: ${JSON.stringify(buttons)}`);
  }
  const description = nodes.find((n) => (n.name?.value || "").includes(first.description.en.slice(0, 30)) ||
    (n.role?.value === "StaticText" && (n.name?.value || "").startsWith(first.description.en.slice(0, 30))));
  assert.ok(description, "the scene's description is in the tree");

  // Play the narration from the layer (the skip link leads to it) and listen to the live region.
  await page.keyboard.press("Tab");
  await tabTo(page, () => document.activeElement?.dataset.key === "narration", "the narration button");
  await page.keyboard.press("Enter");
  const cues = first.narration.cues.map((c) => c.text.en);
  await page.waitForFunction((cues) => cues.includes(document.getElementById("a11y-live").textContent),
    cues, { timeout: 60_000 });
  const { nodes: after } = await cdp.send("Accessibility.getFullAXTree");
  const status = after.find((n) => n.role?.value === "status" &&
    after.some((c) => (n.childIds || []).includes(c.nodeId) || cues.includes(c.name?.value)));
  assert.ok(status, "the live region is a status in the tree");
  const spoken = after.map((n) => n.name?.value || "");
  assert.ok(cues.some((c) => spoken.includes(c)), "a subtitle reached the tree");
  assert.equal(await page.evaluate(() => window.pointerEvents), 0);
  await page.close();
});

test("keyboard only: from the map to a site, two scenes, a board, a flower the server counts and a message", async () => {
  const { site, first, second, info, memorialScene } = route();
  const counts = async () =>
    (await (await fetch(`${base}/api/v1/memorial/counts?site=${site.id}`)).json()).counts.flower;
  const before = await counts();
  // A first visit opens on the city map.
  const page = await open("");
  assert.equal(await page.evaluate(() => document.body.dataset.map), "open", "the hall opens on the map");
  // Tab enters the layer; the map's sites are in it.
  await page.keyboard.press("Tab");
  assert.ok(await page.evaluate(() => document.getElementById("a11y").contains(document.activeElement)),
    "Tab from the panorama goes into the text layer");
  // The search narrows the sites, and keeps its words when the layer is re-rendered.
  await tabTo(page, () => document.activeElement?.dataset.key === "search", "the site search");
  await page.keyboard.type(site.name.en);
  const shown = () => page.$$eval("#a11y-content nav button[data-name]", (bs) => bs.filter((b) => !b.parentElement.hidden).map((b) => b.dataset.name));
  assert.deepEqual(await shown(), [site.name.en], "the search leaves the one site");
  await rerender(page, "reduced_motion");
  assert.equal(await page.evaluate(() => document.activeElement?.value), site.name.en, "the search keeps its words");
  assert.deepEqual(await shown(), [site.name.en], "and its narrowing");
  await tabTo(page, focusedText(site.name.en), `the site ${site.name.en}`);
  await page.keyboard.press("Enter");
  await page.waitForFunction((id) => new URL(location.href).searchParams.get("site") === id, site.id, { timeout: 60_000 });
  await page.waitForFunction(() => document.activeElement?.id === "a11y-scene", null, { timeout: 30_000 });
  assert.equal(await page.evaluate(() => document.body.dataset.map), "closed", "choosing a site leaves the map");
  const heading = await page.evaluate(() => document.activeElement.textContent);
  assert.equal(heading, `${site.name.en} · ${first.name.en}`, "focus moves to the new scene's heading");
  // Through a Go hotspot to the second scene.
  await tabTo(page, focusedText(`Go to: ${second.name.en}`), "the Go hotspot");
  await page.keyboard.press("Enter");
  await page.waitForFunction((id) => new URL(location.href).searchParams.get("scene") === id, second.id, { timeout: 60_000 });
  // A board, read and closed.
  await tabTo(page, focusedText(`Board: ${info.kind.Info.title.en}`), "the board's hotspot");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.activeElement?.id === "a11y-board-title", null, { timeout: 30_000 });
  assert.equal(await page.evaluate(() => document.activeElement.textContent), info.kind.Info.title.en);
  await tabTo(page, () => document.activeElement?.dataset.key === "close", "the board's close button");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => !document.getElementById("a11y-board"), null, { timeout: 30_000 });
  // To the memorial's scene from the strip, then the flower.
  if (memorialScene.id !== second.id) {
    await tabTo(page, focusedText(memorialScene.name.en), "the memorial's scene in the strip");
    await page.keyboard.press("Enter");
    await page.waitForFunction((id) => new URL(location.href).searchParams.get("scene") === id, memorialScene.id,
      { timeout: 60_000 });
  }
  await tabTo(page, () => document.activeElement?.dataset.kind === "memorial", "the memorial's hotspot");
  await page.keyboard.press("Enter");
  await tabTo(page, focusedText("Lay a flower"), "the flower button");
  await page.keyboard.press("Enter");
  for (let i = 0; i < 60 && (await counts()) === before; i++) await page.waitForTimeout(500);
  assert.equal(await counts(), before + 1, "the server counted the flower");
  // A message, typed into the layer's form and sent with Enter on its button.
  await tabTo(page, () => document.activeElement?.dataset.key === "name", "the name field");
  await page.keyboard.type("Li Ming");
  await page.keyboard.press("Tab");
  await page.keyboard.type("We remember.");
  // The layer is re-rendered when the viewer changes (here a setting, as the narration ending
  // would): the half-written message stays, and so does the focus in it.
  await rerender(page, "high_contrast");
  assert.deepEqual(await page.evaluate(() => ["name", "text"].map((k) => document.querySelector(`#a11y-board [data-key="${k}"]`).value)),
    ["Li Ming", "We remember."], "a re-render keeps what was typed");
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.key), "text");
  // One limit in the form and on the server.
  assert.equal(await page.evaluate(() => document.querySelector('#a11y-board [data-key="text"]').maxLength), 300);
  // Every announcement, one by one (a subtitle may come in the same frame as the answer).
  await page.evaluate(() => {
    window.said = [];
    const live = document.getElementById("a11y-live");
    new MutationObserver((ms) => {
      for (const m of ms) for (const n of m.addedNodes) window.said.push(n.textContent);
    }).observe(live, { childList: true, subtree: true });
  });
  const field = () => page.evaluate(() => document.querySelector('#a11y-board [data-key="text"]')?.value);
  const post = () => page.waitForResponse((r) => r.url().includes("/api/v1/memorial/messages") && r.request().method() === "POST",
    { timeout: 60_000 });
  // A word the server refuses: the answer is said and shown, and the text stays to mend.
  await page.keyboard.type(" shit");
  let posted = post();
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.key), "send");
  await page.keyboard.press("Enter");
  let res = await posted;
  assert.equal(res.status(), 422, "the server refused the word");
  await page.waitForFunction(() => window.said.some((s) => s.includes("not sent")), null, { timeout: 30_000 })
    .catch(async () => assert.fail(`the refusal was not said: ${JSON.stringify(await page.evaluate(() => [window.said,
      document.querySelector('#a11y-board [data-key="answer"]')?.textContent, document.documentElement.lang]))}`));
  assert.equal(await field(), "We remember. shit", "a refused message stays in the form");
  assert.match(await page.evaluate(() => document.querySelector('#a11y-board [data-key="answer"]')?.textContent || ""), /not sent/);
  // Mended and sent again: accepted, thanked, and only now the form is empty.
  await tabTo(page, () => document.activeElement?.dataset.key === "text", "the message field", true);
  await page.keyboard.press("Control+A");
  await page.keyboard.type("We remember.");
  posted = post();
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  res = await posted;
  assert.ok(res.status() < 300, `the server took the message: ${res.status()}`);
  assert.deepEqual(JSON.parse(res.request().postData()).text, "We remember.");
  await page.waitForFunction(() => window.said.some((s) => s.includes("Thank you")), null, { timeout: 30_000 })
    .catch(async () => assert.fail(`the thanks were not said: ${JSON.stringify(await page.evaluate(() => window.said))}`));
  await page.waitForFunction(() => document.querySelector('#a11y-board [data-key="text"]')?.value === "", null, { timeout: 10_000 });
  assert.equal(await page.evaluate(() => window.pointerEvents), 0, "not one pointer event");
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("keyboard only: the narration bar's seek, speed, subtitles, volume, mute and transcript", async () => {
  const { site, first } = route();
  const cues = first.narration.cues;
  assert.ok(cues.length >= 3, "the first scene's narration has sentences to seek to");
  const page = await open(`site=${site.id}&scene=${first.id}`);
  // Everything the live region says, in order: a subtitle may follow an answer at once.
  await page.evaluate(() => {
    window.said = [];
    const live = document.getElementById("a11y-live");
    new MutationObserver(() => window.said.push(live.textContent)).observe(live, { childList: true, subtree: true });
  });
  const said = (pred, what) => page.waitForFunction(pred, null, { timeout: 30_000 })
    .catch(async () => assert.fail(`${what}; the live region said ${JSON.stringify(await page.evaluate(() => window.said))}`));
  const text = (key) => page.evaluate((k) => document.querySelector(`#a11y-content [data-key="${k}"]`)?.textContent, key);
  const press = async (key, back = false) => {
    await tabTo(page, new Function(`return document.activeElement?.dataset.key === ${JSON.stringify(key)}`), key, back);
    await page.keyboard.press("Enter");
  };
  // N skips to the narration's play button.
  await page.keyboard.press("Tab");
  await page.keyboard.press("n");
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.key), "narration", "N leads to the narration");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.querySelector('[data-key="narration"]')?.getAttribute("aria-pressed") === "true",
    null, { timeout: 30_000 });

  // Speed: the control's name changes, and the change is said.
  assert.equal(await text("speed"), "Speed 1.0×");
  await press("speed");
  await page.waitForFunction(() => document.querySelector('[data-key="speed"]')?.textContent === "Speed 1.25×", null, { timeout: 30_000 });
  await said(() => window.said.includes("Speed 1.25×"), "the new speed is said");
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.key), "speed", "focus stays on the control");

  // Subtitles: the next language.
  const subtitles = await text("subtitles");
  await press("subtitles");
  await page.waitForFunction((was) => document.querySelector('[data-key="subtitles"]')?.textContent !== was, subtitles, { timeout: 30_000 });
  const now = await text("subtitles");
  assert.match(now, /^Subtitles: (Chinese|English|off)$/);
  await said(new Function(`return window.said.includes(${JSON.stringify(now)})`), "the new subtitles are said");

  // Volume: louder by a tenth, then muted.
  const volume = Number((await text("volume")).match(/(\d+) %/)[1]);
  await press(volume < 100 ? "louder" : "softer");
  const want = `Volume ${volume < 100 ? volume + 10 : volume - 10} %`;
  await page.waitForFunction((w) => document.querySelector('[data-key="volume"]')?.textContent === w, want, { timeout: 30_000 });
  await said(new Function(`return window.said.includes(${JSON.stringify(want)})`), "the new volume is said");
  await press("mute");
  await page.waitForFunction(() => document.querySelector('[data-key="mute"]')?.getAttribute("aria-pressed") === "true", null, { timeout: 30_000 });
  assert.equal(await text("volume"), "Sound off");

  // Paused from here (unless it has ended), so that where a seek lands is exact.
  if (await page.evaluate(() => document.querySelector('[data-key="narration"]').getAttribute("aria-pressed") === "true")) {
    await press("narration", true);
  }
  await page.waitForFunction(() => document.querySelector('[data-key="narration"]')?.getAttribute("aria-pressed") === "false",
    null, { timeout: 30_000 });

  // The transcript: every sentence, each a control that plays from it.
  await press("transcript");
  await page.waitForSelector("#a11y-transcript", { timeout: 30_000 });
  assert.equal(await page.evaluate(() => document.querySelector('[data-key="transcript"]').getAttribute("aria-expanded")), "true");
  assert.deepEqual(await axe(page), [], "the narration bar with its transcript open");
  const lines = await page.$$eval("#a11y-transcript button", (bs) => bs.map((b) => b.textContent));
  assert.equal(lines.length, cues.length, "one line per sentence");
  cues.forEach((c, i) => assert.ok(lines[i].endsWith(c.text.en), `line ${i}: ${lines[i]}`));
  // To the last sentence: where it landed is said, then that sentence as a subtitle.
  const last = cues.length - 1;
  const mmss = (t) => `${Math.floor(t / 60)}:${String(Math.floor(t % 60)).padStart(2, "0")}`;
  const duration = mmss(first.narration.duration);
  assert.ok(cues[last].start > 20, "the last sentence is not where the narration was paused");
  await page.evaluate(() => { window.said = []; });
  await press(`line-${last}`);
  assert.equal(lines[last].split(" ")[0], mmss(cues[last].start), "the line says when it is spoken");
  await said(new Function(`return window.said.includes(${JSON.stringify(`${mmss(cues[last].start)} of ${duration}`)})`),
    "where the seek landed");
  await said(new Function(`return window.said.includes(${JSON.stringify(cues[last].text.en)})`), "the last sentence is spoken");
  // Ten seconds back from there, and ten forward again.
  await page.evaluate(() => { window.said = []; });
  await press("back", true);
  await said(new Function(`return window.said.includes(${JSON.stringify(`${mmss(cues[last].start - 10)} of ${duration}`)})`),
    "ten seconds back");
  await press("forward");
  await said(new Function(`return window.said.includes(${JSON.stringify(`${mmss(cues[last].start)} of ${duration}`)})`),
    "ten seconds forward again");

  assert.equal(await page.evaluate(() => window.pointerEvents), 0, "not one pointer event");
  assert.deepEqual(page.problems, []);
  await page.close();
});

/** Pixels of the interface's dark panels (the title card, navy over the sky) in the top-left of a frame that shows sky there. */
function panelPixels(png) {
  let n = 0;
  for (let y = 0; y < Math.floor(png.height * 0.2); y++) {
    for (let x = 0; x < Math.floor(png.width * 0.45); x++) {
      const [r, g, b] = png.pixel(x, y);
      if (r < 70 && g < 80) n++;
    }
  }
  return n;
}

test("the system's reduced motion is honoured, and a larger interface shows on screen and is remembered", async () => {
  const big = { width: 1280, height: 800 };
  const context = await browser.newContext({ viewport: big, reducedMotion: "reduce" });
  const page = await context.newPage();
  // Looking up and behind at the cemetery's gate: sky under the title card.
  const at = `${base}/?lang=en&site=chifeng-martyrs-cemetery&scene=gate&yaw=180&pitch=40&hfov=100`;
  const ready = async () => {
    await page.waitForFunction(() => document.body.dataset.ready === "1", null, { timeout: READY });
    await page.waitForSelector("#a11y-scene", { state: "attached", timeout: 60_000 });
    await page.waitForTimeout(1500);
  };
  await page.goto(at);
  await ready();
  assert.equal(await page.locator('[data-key="reduced_motion"]').isChecked(), true,
    "the layer shows reduced motion on, as the system asks");
  const { decodePng } = await import("./png.mjs");
  const before = panelPixels(decodePng(await page.screenshot({ path: join(tmpdir(), "cloudhall-a11y-100.png") })));
  await page.selectOption('[data-key="ui_scale"]', "150");
  await page.waitForTimeout(2000);
  const after = panelPixels(decodePng(await page.screenshot({ path: join(tmpdir(), "cloudhall-a11y-150.png") })));
  console.log(`title card: ${before} dark pixels at 100 %, ${after} at 150 %`);
  assert.ok(before > 2000 && after > 1.5 * before, `the interface is larger at 150 %: ${before} then ${after}`);
  // The next visit starts at 150 %.
  await page.goto(at);
  await ready();
  assert.equal(await page.locator('[data-key="ui_scale"]').inputValue(), "150", "remembered");
  const again = panelPixels(decodePng(await page.screenshot()));
  assert.ok(again > 1.5 * before, `still larger after a reload: ${again}`);
  await context.close();
});

test("reduced motion shows on screen: a scene change is a cut, not a dark fade", async () => {
  // The hall's clock (performance.now, which the viewer's time reads) slowed a hundredfold
  // around the move, so that the frame just after it is the same on any machine: with the
  // normal fade it is still dark, with reduced motion it is not.
  const brightness = async (reduced) => {
    const context = await browser.newContext({ viewport: VIEW, reducedMotion: reduced ? "reduce" : "no-preference" });
    await context.addInitScript(() => {
      const real = performance.now.bind(performance);
      let from = null;
      performance.now = () => (from === null ? real() : from + (real() - from) / 100);
      window.cloudhallSlowClock = () => { from = real(); };
    });
    const page = await context.newPage();
    const { site, first, second } = route();
    await page.goto(`${base}/?lang=en&site=${site.id}&scene=${first.id}`);
    await page.waitForFunction(() => document.body.dataset.ready === "1", null, { timeout: READY });
    await page.waitForSelector("#a11y-scene", { state: "attached", timeout: 60_000 });
    await page.waitForTimeout(1500);
    await page.keyboard.press("Tab");
    await tabTo(page, focusedText(`Go to: ${second.name.en}`), "the Go hotspot");
    const { decodePng } = await import("./png.mjs");
    const mean = (png) => {
      let sum = 0, n = 0;
      // Panorama only: right of the text layer, left of the floor plan, above the narration.
      for (let y = Math.floor(png.height * 0.3); y < png.height * 0.62; y += 2) {
        for (let x = Math.floor(png.width * 0.46); x < png.width * 0.74; x += 2) {
          const [r, g, b] = png.pixel(x, y);
          sum += (r + g + b) / 3;
          n++;
        }
      }
      return sum / n;
    };
    const before = mean(decodePng(await page.screenshot()));
    await page.evaluate(() => window.cloudhallSlowClock());
    await page.keyboard.press("Enter");
    await page.waitForFunction((id) => new URL(location.href).searchParams.get("scene") === id, second.id, { timeout: 60_000 });
    await page.waitForTimeout(500);
    const name = `cloudhall-a11y-move-${reduced ? "cut" : "fade"}.png`;
    const after = mean(decodePng(await page.screenshot({ path: join(tmpdir(), name) })));
    await context.close();
    return { before, after };
  };
  const fade = await brightness(false);
  const cut = await brightness(true);
  console.log(`just after a move: ${fade.after.toFixed(0)} with the fade (${fade.before.toFixed(0)} before), ` +
    `${cut.after.toFixed(0)} with reduced motion (${cut.before.toFixed(0)} before)`);
  assert.ok(fade.after < 0.6 * fade.before, "the normal move fades through dark");
  assert.ok(cut.after > 0.7 * cut.before, "with reduced motion the move is a cut");
});
