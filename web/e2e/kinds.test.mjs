// The three panorama kinds in the browser (headless Chromium as hall.test.mjs drives it, served by
// a real `cloudhall serve` with the web build of `make web`): one panorama, the render-test
// fixture at 2048x1024, given as an equirect, as six cube faces and as a multires pyramid (both
// made by `cloudhall tiles`), must look the same from the same views. Each view's centre is the
// orientation disc (or the sky) that should be there, and the middles of the cube and multires
// frames agree with the equirect's. The renderers differ per kind (the equirect sampled in a
// shader, cube faces and tiles as quads), so a face turned, mirrored or swapped in one of them
// shows here.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { centre, cloudhall, fixture2048, launchBrowser, meanDifference, root, serve } from "./common.mjs";
import { decodePng } from "./png.mjs";

// 960x600, as in pannellum.test.mjs: at this size the middle 40% x 40% compared below is clear
// of the viewer's overlays.
const [W, H] = [960, 600];
const READY = 240_000;
const TOLERANCE = 8; // mean absolute difference per channel, of 255, against the equirect
const VIEWS = [
  { yaw: 0, pitch: 0, hfov: 60, want: "red" },
  { yaw: 90, pitch: 0, hfov: 60, want: "green" },
  { yaw: 180, pitch: 0, hfov: 60, want: "blue" },
  { yaw: -90, pitch: 0, hfov: 60, want: "yellow" },
  // Near the zenith: only the up face (cube, multires) and the equirect's top rows are seen.
  { yaw: 30, pitch: 80, hfov: 100, want: "sky" },
];
let dir, server, browser, passed = false;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.kill();
  // Kept when the test failed: the frames it names are in it.
  if (dir && passed) rmSync(dir, { recursive: true, force: true });
});

/** One scene of the test site showing `panorama` (RON), from the same view and limits as the others. */
const scene = (id, panorama) => `        (
            id: "${id}",
            name: (zh: "${id}", en: "${id}"),
            panorama: ${panorama},
            view: (yaw: 0.0, pitch: 0.0, hfov: 90.0),
            limits: (min_hfov: 10.0, max_hfov: 120.0, min_pitch: -90.0, max_pitch: 90.0),
        ),
`;

/** The render-test tour with one site of three scenes, one per kind, all of the same panorama:
 * DIR/scenes, and DIR/assets where tour.ron's `assets: "../assets"` points. */
function makeTour() {
  const dir = mkdtempSync(join(tmpdir(), "cloudhall-kinds-"));
  cpSync(join(root, "tests/fixtures/render/tour.ron"), join(dir, "scenes/tour.ron"));
  cpSync(join(root, "tests/fixtures/assets/outline.geojson"), join(dir, "assets/outline.geojson"));
  const big = join(dir, "assets/big.png");
  writeFileSync(big, fixture2048());
  // Faces of 648: tiles of 256 make a pyramid of three levels (162, 324, 648); tiles of 1024,
  // larger than the face, one level of whole faces, which serve as the cube.
  cloudhall("tiles", big, "--out", join(dir, "assets/pyr"), "--tile", "256");
  cloudhall("tiles", big, "--out", join(dir, "assets/cube"), "--tile", "1024");
  const { multiRes: m } = JSON.parse(readFileSync(join(dir, "assets/pyr/config.json"), "utf8"));
  assert.deepEqual([m.cubeResolution, m.maxLevel, m.tileResolution], [648, 3, 256], "the pyramid has the sizes the scene names");
  const faces = "frblud".split("").map((f) => `"cube/1/${f}0_0.jpg"`).join(", ");
  writeFileSync(join(dir, "scenes/orient.ron"), `Site(
    id: "orient",
    name: (zh: "方位厅", en: "Orientation Hall"),
    summary: (zh: "三种全景。", en: "Three panorama kinds."),
    category: "ancient-civilisation",
    location: (lat: 42.26, lon: 118.89, district: (zh: "红山区", en: "Hongshan District")),
    education_base: (confirmed: false, note: (zh: "测试。", en: "Test.")),
    sources: ["test fixture"],
    scenes: [
${scene("eq", 'Equirect("big.png")')}${scene("cube", `Cube(${faces})`)}${scene("multi",
  'Multires(path: "pyr/%l/%s%y_%x.jpg", tile_size: 256, levels: 3, face_size: 648, preview: "pyr/preview.jpg")')}    ],
)
`);
  return dir;
}

/** The middle 40% x 40% of a frame, raw bytes: enough to tell whether it still changes. */
async function middle(page) {
  return page.screenshot({ clip: { x: W * 0.3, y: H * 0.3, width: W * 0.4, height: H * 0.4 } });
}

/** The page's frame (PNG bytes) of `view` of `id`, once it is still: ready says the panorama is
 * shown, but a pyramid's finer tiles arrive after; so until two middles half a second apart are
 * the same (10 s at most). */
async function shot(base, id, { yaw, pitch, hfov }) {
  const page = await browser.newPage({ viewport: { width: W, height: H } });
  const problems = [];
  page.on("pageerror", (e) => problems.push(String(e)));
  await page.goto(`${base}/?site=orient&scene=${id}&yaw=${yaw}&pitch=${pitch}&hfov=${hfov}&lang=en`);
  await page.waitForFunction(() => document.body.dataset.ready === "1" || document.body.dataset.webgl2 === "missing",
    null, { timeout: READY });
  assert.notEqual(await page.evaluate(() => document.body.dataset.webgl2), "missing", "headless Chromium has WebGL2");
  let last = await middle(page);
  for (let t = 0; t < 10_000; t += 500) {
    await page.waitForTimeout(500);
    const now = await middle(page);
    if (now.equals(last)) break;
    last = now;
  }
  const png = await page.screenshot();
  assert.deepEqual(problems, [], `${id}: no errors on the page`);
  assert.equal(new URL(page.url()).searchParams.get("scene"), id, "the page shows the scene asked for");
  await page.close();
  return png;
}

/** What a colour is: an orientation disc (hall.test.mjs's thresholds), the sky (120, 190, 255), or none. */
function disc([r, g, b]) {
  if (r > 150 && g > 140 && b < 100) return "yellow";
  if (r > 150 && g < 100 && b < 100) return "red";
  if (g > 120 && r < 110 && b < 110) return "green";
  if (b > 120 && r < 100 && g < 130) return "blue";
  if (b > 200 && g > 150 && r > 90 && r < 150) return "sky";
  return "none";
}

test("the browser draws equirect, cube and multires panoramas alike", async () => {
  dir = makeTour();
  // Scenes no Go hotspot leads to are warnings only: check exits 0.
  cloudhall("check", join(dir, "scenes"));
  let base;
  ({ server, base } = await serve(join(dir, "scenes"), join(dir, "data"), join(root, "web/dist")));
  mkdirSync(join(dir, "shots"));
  // Every figure is printed before anything is asserted, so one run shows them all.
  const failures = [];
  for (const view of VIEWS) {
    const name = `${view.yaw}_${view.pitch}_${view.hfov}`;
    const frames = {};
    for (const id of ["eq", "cube", "multi"]) {
      const path = join(dir, "shots", `${id}_${name}.png`);
      writeFileSync(path, await shot(base, id, view));
      frames[id] = { path, img: decodePng(readFileSync(path)) };
      assert.deepEqual([frames[id].img.width, frames[id].img.height], [W, H], "the frame has the viewport's size");
    }
    for (const id of ["eq", "cube", "multi"]) {
      const { path, img } = frames[id];
      const c = centre(img), mean = id === "eq" ? 0 : meanDifference(frames.eq.img, img);
      console.log(`${id.padEnd(5)} yaw ${view.yaw} pitch ${view.pitch} hfov ${view.hfov}: centre [${c}] ${disc(c)}`
        + (id === "eq" ? "" : `, mean difference from eq ${mean.toFixed(2)}/255`));
      if (disc(c) !== view.want) failures.push(`${id} ${name}: centre [${c}] is ${disc(c)}, not ${view.want}: ${path}`);
      if (mean > TOLERANCE) failures.push(`${id} ${name}: mean difference ${mean.toFixed(2)} from eq: ${path} ${frames.eq.path}`);
    }
  }
  assert.deepEqual(failures, [], "the three kinds look the same");
  passed = true;
});
