// The studio's three times, in headless Chromium (Debian's, WebGL2 on SwiftShader) against a
// release `cloudhall serve` on a copy of the test tour, at 1280x720:
//   1. from the end of a 16384x8192 JPEG's upload (the server's 202) to the new scene drawn in
//      the studio's frame by the hall's viewer (the job tiled, the draft saved, the frame's
//      first frame of the scene);
//   2. from pressing Publish to a visitor's page showing the change: the server's answer, the
//      tour API serving it, a visitor's fresh page's first sharp view of the published scene,
//      and that page's viewer running;
//   3. the studio's first load: from navigation (signed in) to the site list shown, and to the
//      preview's first frame of a site.
// RUNS times each (default 3); medians are reported, with every run.
//
// `make web` and `cargo build --release --bin cloudhall` first; then
// `cd web/bench && npm install && node studio.mjs`.
// CLOUDHALL_BIN: the cloudhall binary (default: the release build).
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, existsSync, statSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const target = process.env.CARGO_TARGET_DIR || join(homedir(), ".cache/cloudhall/target");
const bin = process.env.CLOUDHALL_BIN || join(target, "release/cloudhall");
const RUNS = Number(process.env.RUNS || 3);
const TOKEN = "curator-token-for-bench";
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (!existsSync(bin)) throw new Error(`no ${bin}: cargo build --release --bin cloudhall`);
const work = mkdtempSync(join(tmpdir(), "cloudhall-studio-bench-"));
cpSync(join(root, "tests/fixtures/good"), join(work, "good"), { recursive: true });
cpSync(join(root, "tests/fixtures/assets"), join(work, "assets"), { recursive: true });

// A 16384x8192 photo-like JPEG (smooth gradients with fine noise), made with Pillow.
const big = join(work, "big.jpg");
const py = spawnSync(existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3", ["-c", `
import random
from PIL import Image
w, h = 16384, 8192
small = Image.new("RGB", (512, 256))
px = small.load()
for y in range(256):
    for x in range(512):
        px[x, y] = ((x * 7 + random.randint(0, 40)) % 256, (y * 5 + random.randint(0, 40)) % 256, (x + y + random.randint(0, 60)) % 256)
small.resize((w, h), Image.BICUBIC).save("${big}", quality=88)
`], { stdio: "inherit" });
if (py.status !== 0) throw new Error("python3 with Pillow is needed to make the test photo");
console.log(`photo: 16384x8192, ${(statSync(big).size / 1e6).toFixed(1)} MB`);

const port = 18000 + Math.floor(Math.random() * 2000);
const base = `http://127.0.0.1:${port}`;
const server = spawn(bin, ["serve", "--addr", `127.0.0.1:${port}`, "--tour", join(work, "good"), "--data", join(work, "data"), "--web", join(root, "web/dist")],
  { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, RUST_LOG: "warn", CLOUDHALL_CURATOR_TOKENS: `bench:${TOKEN}` } });
for (let i = 0; ; i++) {
  try { if ((await fetch(base + "/health")).ok) break; } catch { /* not yet */ }
  if (i > 200) throw new Error("the server did not come up");
  await new Promise((r) => setTimeout(r, 100));
}
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"] });

async function studioPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  page.on("dialog", (d) => d.accept());
  await page.addInitScript((t) => sessionStorage.setItem("cloudhall-curator", t), TOKEN);
  return page;
}

const frameReady = (page, scene) => page.waitForFunction((scene) => {
  try {
    const w = document.querySelector("#frame").contentWindow;
    return w.document.body.dataset.ready === "1" && new URLSearchParams(w.location.search).get("scene") === scene;
  } catch { return false; }
}, scene, { timeout: 120_000, polling: 20 });

const results = { upload: [], tiled: [], publishAnswer: [], publishApi: [], publishVisitor: [], publishViewer: [], listShown: [], firstFrame: [] };
for (let run = 0; run < RUNS; run++) {
  // 3. First load, signed in: the list, then the preview's first frame of a site.
  const page = await studioPage();
  const t0 = Date.now();
  await page.goto(base + "/studio");
  await page.waitForSelector("#sites li button.pick");
  results.listShown.push(Date.now() - t0);
  await page.click("#sites li button.pick");
  await frameReady(page, "gate");
  results.firstFrame.push(Date.now() - t0);

  // 1. A new site with a scene; its 16384x8192 panorama uploaded.
  const id = `bench-${run}`;
  await page.fill("#new-id", id);
  await page.fill("#new-zh", "测试");
  await page.fill("#new-en", "Bench");
  await page.click("#new-site button[type=submit]");
  await page.waitForSelector("#scenes-box:not([hidden])");
  await page.waitForFunction((id) => S.site && S.site.id === id, id);
  await page.fill("#new-scene-id", "room");
  await page.press("#new-scene-id", "Enter");
  await page.waitForSelector("#up-pano");
  await page.evaluate(() => {
    const original = window.fetch;
    window.fetch = async (...a) => {
      const r = await original(...a);
      if (String(a[0]).includes("/api/v1/studio/panorama")) window.uploadEnded = performance.now();
      return r;
    };
  });
  await page.setInputFiles("#up-pano", big);
  await page.waitForFunction(() => window.uploadEnded, null, { timeout: 300_000, polling: 20 });
  await page.waitForFunction(() => /is ready/.test(document.querySelector("#status").textContent), null, { timeout: 300_000, polling: 20 });
  const tiled = await page.evaluate(() => performance.now() - window.uploadEnded);
  await frameReady(page, "room");
  const shown = await page.evaluate(() => performance.now() - window.uploadEnded);
  results.tiled.push(Math.round(tiled));
  results.upload.push(Math.round(shown));

  // 2. Publish (the site needs its texts first), then what a visitor gets.
  for (const [sel, v] of [["#f-scenes-0-description-zh", "测试场景"], ["#f-scenes-0-description-en", "A scene"]]) {
    await page.fill(sel, v);
    await page.press(sel, "Tab");
  }
  await page.click("#scenes li:nth-child(1) button.pick");
  for (const [sel, v] of [["#f-summary-zh", "测试"], ["#f-summary-en", "Bench"], ["#f-location-district-zh", "红山区"], ["#f-location-district-en", "Hongshan"],
    ["#f-education-base-note-zh", "无"], ["#f-education-base-note-en", "None"], ["#f-sources", "bench"]]) {
    await page.fill(sel, v);
    await page.press(sel, "Tab");
  }
  await page.waitForFunction(() => S.saveTimer === null && S.check.errors === 0 && !document.querySelector("#publish").disabled, null, { timeout: 60_000 });
  const visitor = await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
  const p0 = Date.now();
  await page.click("#publish");
  await page.waitForFunction(() => /Published/.test(document.querySelector("#message").textContent), null, { timeout: 60_000, polling: 10 });
  results.publishAnswer.push(Date.now() - p0);
  for (;;) {
    const t = await (await fetch(base + "/api/v1/tour")).json();
    if (t.sites.some((s) => s.id === id)) break;
  }
  results.publishApi.push(Date.now() - p0);
  await visitor.goto(`${base}/?site=${id}&scene=room`);
  // The first sharp view of the new scene (the page's own first view, before the viewer takes
  // over), then the viewer running (hotspots and narration work).
  await visitor.waitForFunction(() => document.body.dataset.firstView && document.body.dataset.firstView !== "preview", null, { timeout: 120_000, polling: 10 });
  results.publishVisitor.push(Date.now() - p0);
  await visitor.waitForFunction(() => document.body.dataset.ready === "1", null, { timeout: 120_000, polling: 20 });
  results.publishViewer.push(Date.now() - p0);
  await visitor.context().close();
  await page.context().close();
  console.log(`run ${run + 1}: ${JSON.stringify(Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v[v.length - 1]])))}`);
}
await browser.close();
server.kill();

const line = (name, key, aim) => console.log(`${name.padEnd(58)} median ${String(median(results[key])).padStart(6)} ms  (runs: ${results[key].join(", ")})${aim ? `  aim < ${aim} ms` : ""}`);
console.log(`\nstudio benchmark, ${RUNS} runs, release ${bin}`);
line("upload end -> tiled (job done, draft saved)", "tiled");
line("upload end -> scene drawn in the studio's frame", "upload", 10000);
line("publish -> the studio's answer", "publishAnswer");
line("publish -> /api/v1/tour serves it", "publishApi");
line("publish -> a visitor's fresh page shows the new scene", "publishVisitor", 2000);
line("publish -> that page's viewer running (hotspots work)", "publishViewer");
line("studio first load -> site list shown", "listShown");
line("studio first load -> preview's first frame of a site", "firstFrame", 3000);
