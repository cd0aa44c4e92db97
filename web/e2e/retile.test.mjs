// A returning visitor sees a scene tiled again. The hall's offline copy (web/sw.js) keeps assets
// cache-first; their URLs carry the content version the tour names (src/server/versions.rs), so
// when `cloudhall tiles` writes a new pyramid into the scene's folder under the running server,
// the next visit fetches the new tiles instead of showing the kept ones (or a mix of both).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { centre, cloudhall, launchBrowser, root, serve } from "./common.mjs";
import { decodePng, encodePng } from "./png.mjs";

const READY = 240_000;
let dir, server, base, browser, passed = false;

/** A 2048x1024 panorama of one colour, tiled into DIR/assets/pyr. */
function tile(rgb) {
  const png = join(dir, "assets/solid.png");
  writeFileSync(png, encodePng(2048, 1024, () => rgb));
  cloudhall("tiles", png, "--out", join(dir, "assets/pyr"), "--tile", "256");
  return JSON.parse(readFileSync(join(dir, "assets/pyr/config.json"), "utf8")).multiRes;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "cloudhall-retile-"));
  cpSync(join(root, "tests/fixtures/render/tour.ron"), join(dir, "scenes/tour.ron"));
  cpSync(join(root, "tests/fixtures/assets/outline.geojson"), join(dir, "assets/outline.geojson"));
  const m = tile([200, 30, 30]);
  writeFileSync(join(dir, "scenes/orient.ron"), `Site(
    id: "orient",
    name: (zh: "方位厅", en: "Orientation Hall"),
    summary: (zh: "重新切片。", en: "Tiled again."),
    category: "ancient-civilisation",
    location: (lat: 42.26, lon: 118.89, district: (zh: "红山区", en: "Hongshan District")),
    education_base: (confirmed: false, note: (zh: "测试。", en: "Test.")),
    sources: ["test fixture"],
    scenes: [
        (
            id: "multi",
            name: (zh: "多分辨率", en: "Multires"),
            panorama: Multires(path: "pyr/%l/%s%y_%x.jpg", tile_size: 256, levels: ${m.maxLevel}, face_size: ${m.cubeResolution}, preview: "pyr/preview.jpg"),
            view: (yaw: 0.0, pitch: 0.0, hfov: 90.0),
            limits: (min_hfov: 10.0, max_hfov: 120.0, min_pitch: -90.0, max_pitch: 90.0),
        ),
    ],
)
`);
  ({ server, base } = await serve(join(dir, "scenes"), join(dir, "data"), join(root, "web/dist")));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.kill();
  if (dir && passed) rmSync(dir, { recursive: true, force: true });
});

const close = (a, b) => a.every((v, k) => Math.abs(v - b[k]) < 40);

test("a scene tiled again shows its new picture to a returning visitor with the offline copy active", async () => {
  const context = await browser.newContext({ viewport: { width: 640, height: 400 } });
  const page = await context.newPage();
  const shown = async () => {
    await page.waitForFunction(() => document.body.dataset.ready === "1" && document.body.dataset.tiles === "idle",
      null, { timeout: READY });
    await page.waitForTimeout(1500);
    return centre(decodePng(await page.screenshot()));
  };
  await page.goto(`${base}/?site=orient&scene=multi`);
  await page.waitForFunction(() => document.body.dataset.offline === "ready", null, { timeout: READY });
  const red = await shown();
  assert.ok(close(red, [200, 30, 30]), `the first picture: ${red}`);
  // Let the worker keep what the page fetched before it took over.
  await page.waitForTimeout(3000);
  const kept = await page.evaluate(async () => (await (await caches.open("cloudhall-v2")).keys()).map((r) => r.url));
  assert.ok(kept.some((u) => u.includes("/assets/pyr/") && u.includes("?v=")), `the tiles are kept, versioned: ${kept.join(" ")}`);

  const was = (await (await fetch(`${base}/api/v1/tour`)).json()).versions["pyr/"];
  tile([30, 30, 200]);
  // The server takes the new files' versions within a few seconds.
  for (let i = 0; i < 60; i++) {
    if ((await (await fetch(`${base}/api/v1/tour`)).json()).versions["pyr/"] !== was) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  await page.reload();
  const blue = await shown();
  assert.ok(close(blue, [30, 30, 200]), `the picture after tiling again: ${blue} (first ${red})`);
  // The older version's tiles have gone from the offline copy as the new ones came.
  const now = await page.evaluate(async () => (await (await caches.open("cloudhall-v2")).keys()).map((r) => r.url));
  const versions = new Set(now.filter((u) => u.includes("/assets/pyr/1/")).map((u) => new URL(u).searchParams.get("v")));
  assert.equal(versions.size, 1, `one version of the level-1 tiles is kept: ${[...versions]}`);
  await context.close();
  passed = true;
});
