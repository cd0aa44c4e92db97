// Cloudhall against Pannellum (the npm package, in headless Chromium as hall.test.mjs drives it):
// `cloudhall tiles` makes a multires pyramid of the render-test tour's panorama; Pannellum and
// `cloudhall view --screenshot` each show it from the same views, and the middles of the two
// frames must agree. The pyramid `cloudhall tiles --out` writes has exactly the levels, file
// names and tile sizes Pannellum's generate.py computes, and cloudhall shows such a pyramid. A site
// written by `cloudhall export pannellum` opens in Pannellum as it is and its scene links work.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, extname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { centre, cloudhall, fixture, fixture2048, launchBrowser, meanDifference, root } from "./common.mjs";
import { decodePng, encodePng } from "./png.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const PANNELLUM = join(here, "node_modules/pannellum/build");
// Both frames are 960x600: at 320x200 the viewer's compact layout (fingertip-tall buttons
// wrapping at the top right, the title at the top left) covers most of the middle, while at
// this size the middle 40% x 40% compared below is clear of every overlay.
const [W, H] = [960, 600];
const [SITE, SCENE] = ["orient", "discs"];
const TOLERANCE = 12; // mean absolute difference per channel, of 255
const CENTRE_TOLERANCE = 40;
let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

/** A copy of the render-test tour to change freely: DIR/scenes, and DIR/assets where tour.ron's
 * `assets: "../assets"` points. */
function tourCopy() {
  const dir = mkdtempSync(join(tmpdir(), "cloudhall-pannellum-"));
  for (const f of ["test-pano.png", "test-pano.jpg", "outline.geojson"]) cpSync(join(root, "tests/fixtures/assets", f), join(dir, "assets", f));
  for (const f of ["tour.ron", "orient.ron"]) cpSync(join(root, "tests/fixtures/render", f), join(dir, "scenes", f));
  return dir;
}

/** Cloudhall's frame of `view` of the test scene, written to `out`. */
function cloudhallShot(dir, { yaw, pitch, hfov }, out) {
  cloudhall("view", "--tour", join(dir, "scenes"), "--site", SITE, "--scene", SCENE, "--yaw", `${yaw}`,
    "--pitch", `${pitch}`, "--hfov", `${hfov}`, "--screenshot", out, "--width", `${W}`, "--height", `${H}`,
    "--lang", "en", "--no-autorotate");
  return decodePng(readFileSync(out));
}

/** Serves Pannellum's build at /pannellum/, the pyramid in `dir` at /pano/, and at / a page with
 * one W x H viewer of `config` (config.json as written, hosted the way Pannellum's docs host
 * generate.py's output: a basePath in front of multiRes.basePath) looking where the query says. */
async function pannellumServer(dir, config) {
  const page = `<!doctype html><meta charset=utf-8>
<link rel=stylesheet href=/pannellum/pannellum.css><script src=/pannellum/pannellum.js></script>
<style>html,body{margin:0;overflow:hidden}#pano{width:${W}px;height:${H}px}</style><div id=pano></div>
<script>
const q = new URLSearchParams(location.search);
window.viewer = pannellum.viewer("pano", { ...${JSON.stringify(config)}, basePath: "/pano/", autoLoad: true,
  showControls: false, compass: false, minHfov: 10, maxHfov: 120,
  yaw: Number(q.get("yaw")), pitch: Number(q.get("pitch")), hfov: Number(q.get("hfov")) });
viewer.on("error", (e) => { window.failed = String(e); });
</script>`;
  const types = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".jpg": "image/jpeg" };
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://localhost").pathname);
    const [, top, rest] = path.match(/^\/(pannellum|pano)\/(.+)$/) || [];
    const base = top === "pannellum" ? PANNELLUM : dir, file = join(base, rest || ".");
    let body = path === "/" ? page : null;
    try { body ??= top && file.startsWith(base + sep) ? readFileSync(file) : null; } catch (_) { /* none: 404 */ }
    res.writeHead(body ? 200 : 404, { "content-type": types[path === "/" ? ".html" : extname(file)] || "application/octet-stream" });
    res.end(body);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { server, base: `http://127.0.0.1:${server.address().port}` };
}

/** Pannellum's frame of `view` (PNG bytes) once every tile in view is in: the viewer is loaded
 * (isLoaded(), not the 'load' event: for multires that fires inside pannellum.viewer(), before a
 * listener can be added) and its renderer has no tile in view still loading (it draws the frame
 * before it asks); then half a second more. */
async function pannellumShot(base, view) {
  const page = await browser.newPage({ viewport: { width: W, height: H } });
  const problems = [];
  page.on("pageerror", (e) => problems.push(String(e)));
  await page.goto(`${base}/?${new URLSearchParams(view)}`);
  await page.waitForFunction(() => window.failed || (viewer.isLoaded() && !viewer.getRenderer().isLoading()),
    null, { timeout: 60_000 });
  await page.waitForTimeout(500);
  const [failed, ...at] = await page.evaluate(() => [window.failed || null, viewer.getYaw(), viewer.getPitch(), viewer.getHfov()]);
  assert.deepEqual([failed, problems], [null, []], "Pannellum shows the pyramid");
  assert.deepEqual(at, [view.yaw, view.pitch, view.hfov], "Pannellum looks where it was told, unclamped");
  const png = await page.locator("#pano").screenshot();
  await page.close();
  return png;
}

/** Mean absolute difference per channel over the middle 40% x 40% of two frames, and the mean
 * colour of the 5x5 pixels at the centre of each. */
function compare(a, b) {
  return { mean: meanDifference(a, b), centres: [centre(a), centre(b)] };
}

const far = (a, b) => Math.max(...a.map((v, k) => Math.abs(v - b[k])));

/** Pyramids `pano` (PNG bytes) into the copied tour with `cloudhall tiles`, then compares
 * Pannellum's frame of each view with cloudhall's; prints the figures of every view, then fails
 * naming both frames of any view that differs. The copy is kept on failure. */
async function compareWithPannellum(pano, views) {
  const dir = tourCopy();
  const input = join(dir, "assets/test-pano.png");
  writeFileSync(input, pano);
  cloudhall("tiles", input, "--site", SITE, "--scene", SCENE, "--tour", join(dir, "scenes"), "--tile", "256");
  const pyramid = join(dir, "assets/pano", SITE, SCENE);
  const config = JSON.parse(readFileSync(join(pyramid, "config.json"), "utf8"));
  assert.equal(config.type, "multires");
  assert.match(readFileSync(join(dir, "scenes/orient.ron"), "utf8"),
    /Multires\(path: "pano\/orient\/discs\/%l\/%s%y_%x\.jpg"/, "the scene now shows the pyramid");
  const { server, base } = await pannellumServer(pyramid, config);
  const failures = [];
  try {
    for (const view of views) {
      const name = `${view.yaw}_${view.pitch}_${view.hfov}`;
      const [theirPath, ourPath] = [join(dir, `pannellum_${name}.png`), join(dir, `cloudhall_${name}.png`)];
      writeFileSync(theirPath, await pannellumShot(base, view));
      const [theirs, ours] = [decodePng(readFileSync(theirPath)), cloudhallShot(dir, view, ourPath)];
      assert.deepEqual([ours.width, ours.height], [W, H], "cloudhall's frame has the size asked for");
      const { mean, centres } = compare(theirs, ours);
      console.log(`yaw ${view.yaw} pitch ${view.pitch} hfov ${view.hfov}: mean difference ${mean.toFixed(2)}/255,`
        + ` centre Pannellum [${centres[0]}] cloudhall [${centres[1]}]`);
      if (mean > TOLERANCE || far(...centres) > CENTRE_TOLERANCE) {
        failures.push(`${name}: mean ${mean.toFixed(2)}, centres [${centres[0]}] vs [${centres[1]}]: ${theirPath} ${ourPath}`);
      }
    }
  } finally {
    server.close();
  }
  assert.deepEqual(failures, [], "Pannellum's and cloudhall's frames of the pyramid agree");
  rmSync(dir, { recursive: true });
}

/** A 2048x1024 panorama whose every pixel is coloured by its direction: red how far it looks to
 * yaw 90, green how far up, blue how far to yaw 0. The fixture's sky and ground are one colour
 * each, so a turned or mirrored up or down face passes over it unseen; here it cannot. */
const directions = () => encodePng(2048, 1024, (x, y) => {
  const yaw = ((x + 0.5) / 2048 - 0.5) * 2 * Math.PI, pitch = (0.5 - (y + 0.5) / 1024) * Math.PI;
  return [Math.sin(yaw) * Math.cos(pitch), Math.sin(pitch), Math.cos(yaw) * Math.cos(pitch)].map((v) => Math.round(128 + 127 * v));
});

test("cloudhall shows a pyramid from `cloudhall tiles` as Pannellum does", async () => {
  await compareWithPannellum(fixture2048(), [
    { yaw: 0, pitch: 0, hfov: 90 }, { yaw: 90, pitch: 30, hfov: 60 }, { yaw: -120, pitch: -60, hfov: 100 }]);
});

test("cloudhall turns a pyramid's up and down faces as Pannellum does", async () => {
  await compareWithPannellum(directions(), [{ yaw: 45, pitch: 70, hfov: 90 }, { yaw: -120, pitch: -60, hfov: 100 }]);
});

/** What Pannellum's utils/multires/generate.py makes of a full equirectangular panorama `width`
 * pixels wide with tiles of `tile`: its config numbers, and each tile's file and [width, height].
 * The face is 8*floor(width/π/8); levels go down to one tile per face (one fewer in its
 * floating-point edge case, which uses Python's round, halves to even); each level down halves
 * the face, rounding down; the last row and column of tiles are cropped to the face. */
function generatePy(width, tile) {
  const cubeResolution = 8 * Math.floor(width / Math.PI / 8);
  const tileResolution = Math.min(tile, cubeResolution);
  let maxLevel = Math.ceil(Math.log(cubeResolution / tileResolution) / Math.log(2)) + 1;
  const x = cubeResolution / 2 ** (maxLevel - 2), r = Math.round(x);
  if ((x % 1 === 0.5 && r % 2 ? r - 1 : r) === tileResolution) maxLevel -= 1;
  const tiles = {};
  for (let level = maxLevel, size = cubeResolution; level >= 1; level--, size = Math.floor(size / 2)) {
    const n = Math.ceil(size / tileResolution), edge = (i) => Math.min(tileResolution, size - i * tileResolution);
    for (const face of "fbudlr") {
      for (let i = 0; i < n * n; i++) tiles[`${level}/${face}${Math.floor(i / n)}_${i % n}.jpg`] = [edge(i % n), edge(Math.floor(i / n))];
    }
  }
  return { cubeResolution, tileResolution, maxLevel, tiles };
}

/** [width, height] from a JPEG's frame header (SOFn), or null. */
function jpegSize(buf) {
  for (let at = 2; at + 9 < buf.length;) {
    if (buf[at] !== 0xff) return null;
    const m = buf[at + 1];
    if (m === 0xff) { at++; continue; } // a fill byte
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) return [buf.readUInt16BE(at + 7), buf.readUInt16BE(at + 5)];
    at += 2 + buf.readUInt16BE(at + 2);
  }
  return null;
}

test("a pyramid in generate.py's layout loads in cloudhall", () => {
  const dir = tourCopy();
  writeFileSync(join(dir, "fixture.png"), fixture2048());
  writeFileSync(join(dir, "directions.png"), directions());
  // Faces of 648: in tiles of 128, four levels of 648, 324, 162, 81 (edge tiles 8, 68, 34 wide);
  // in tiles of 100, four levels too (edge tiles 48, 24, 62 wide).
  for (const [input, tile, out] of [[join(dir, "fixture.png"), 128, "gen"], [join(dir, "directions.png"), 100, "gen2"]]) {
    cloudhall("tiles", input, "--out", join(dir, "assets", out), "--tile", `${tile}`);
    const want = generatePy(decodePng(readFileSync(input)).width, tile);
    const { multiRes: m } = JSON.parse(readFileSync(join(dir, "assets", out, "config.json"), "utf8"));
    assert.deepEqual([m.path, m.extension, m.tileResolution, m.maxLevel, m.cubeResolution],
      ["/%l/%s%y_%x", "jpg", want.tileResolution, want.maxLevel, want.cubeResolution], `${out}: config.json has generate.py's numbers`);
    const files = readdirSync(join(dir, "assets", out), { recursive: true }).filter((f) => /^\d+\/.+\./.test(f));
    assert.deepEqual(files.sort(), Object.keys(want.tiles).sort(), `${out}: the tiles generate.py writes, no more`);
    for (const f of files) {
      assert.deepEqual(jpegSize(readFileSync(join(dir, "assets", out, f))), want.tiles[f], `${out}/${f}: its size`);
    }
    if (out !== "gen") continue;
    // The scene shows the fixture's pyramid: at yaw 90 and 180 the discs of the panorama are ahead.
    const ron = join(dir, "scenes/orient.ron");
    writeFileSync(ron, readFileSync(ron, "utf8").replace('Equirect("test-pano.png")', `Multires(path: "gen/%l/%s%y_%x.jpg", `
      + `tile_size: ${want.tileResolution}, levels: ${want.maxLevel}, face_size: ${want.cubeResolution}, preview: "gen/preview.jpg")`));
    for (const yaw of [90, 180]) {
      const seen = centre(cloudhallShot(dir, { yaw, pitch: 0, hfov: 60 }, join(dir, `gen_${yaw}.png`)));
      const ahead = fixture.pixel(Math.floor((yaw / 360 + 0.5) * fixture.width) % fixture.width, fixture.height / 2);
      assert.ok(far(seen, ahead) <= CENTRE_TOLERANCE, `yaw ${yaw}: [${seen}] ahead, not [${ahead}]: ${join(dir, `gen_${yaw}.png`)}`);
    }
  }
  rmSync(dir, { recursive: true });
});

test("the bundled 16K pyramid opens in Pannellum as it is, and its small captions match cloudhall's", async () => {
  // The sample tour's 16384x8192 scene (five levels, faces of 5208 px), served to Pannellum as
  // `make content` wrote it: zoomed on the caption wall both viewers need the top level, and
  // its lines of 14-pixel text must land on the same pixels (tests/pano_kinds.rs shows they are
  // legible there and a blur below the top level).
  const [site, scene] = ["chifeng-museum", "hall-liao-to-qing"];
  const pyramid = join(root, "assets/pano", site, scene);
  const config = JSON.parse(readFileSync(join(pyramid, "config.json"), "utf8"));
  assert.deepEqual([config.multiRes.cubeResolution, config.multiRes.maxLevel], [5208, 5]);
  const dir = mkdtempSync(join(tmpdir(), "cloudhall-pannellum-16k-"));
  const { server, base } = await pannellumServer(pyramid, config);
  const failures = [];
  try {
    for (const view of [{ yaw: -130, pitch: 4, hfov: 20 }, { yaw: -100, pitch: 0, hfov: 100 }]) {
      const name = `${view.yaw}_${view.pitch}_${view.hfov}`;
      const theirs = decodePng(await pannellumShot(base, view));
      const out = join(dir, `cloudhall_${name}.png`);
      cloudhall("view", "--tour", join(root, "scenes"), "--site", site, "--scene", scene, "--yaw", `${view.yaw}`,
        "--pitch", `${view.pitch}`, "--hfov", `${view.hfov}`, "--screenshot", out, "--width", `${W}`,
        "--height", `${H}`, "--lang", "en", "--no-autorotate");
      const ours = decodePng(readFileSync(out));
      // The upper middle of the frame: the subtitles of the scene's narration sit lower.
      const mean = meanDifference(theirs, ours, [0.3, 0.2, 0.7, 0.5]);
      console.log(`16K ${name}: mean difference ${mean.toFixed(2)}/255`);
      if (mean > TOLERANCE) failures.push(`${name}: mean ${mean.toFixed(2)}; cloudhall's frame ${out}`);
    }
  } finally {
    server.close();
  }
  assert.deepEqual(failures, [], "Pannellum and cloudhall show the 16K pyramid alike");
  rmSync(dir, { recursive: true });
});

test("a pyramid made by Pannellum's own generate.py shows in cloudhall as in Pannellum", async () => {
  // The real generator from the npm package (nona for the faces, Pillow for the levels), on the
  // direction-coloured panorama, so a face turned or mirrored anywhere would show.
  const dir = tourCopy();
  const input = join(dir, "assets/directions.png");
  writeFileSync(input, directions());
  const out = join(dir, "assets/real");
  const py = spawnSync(process.env.PYTHON || "/usr/bin/python3",
    [join(here, "node_modules/pannellum/utils/multires/generate.py"), "-o", out, "-n", "/usr/bin/nona", "--tilesize", "256", input],
    { encoding: "utf8", timeout: 300_000 });
  assert.equal(py.status, 0, `generate.py: ${py.error ?? ""}\n${py.stdout}\n${py.stderr}`);
  const config = JSON.parse(readFileSync(join(out, "config.json"), "utf8"));
  const m = config.multiRes;
  assert.deepEqual([m.tileResolution, m.maxLevel, m.cubeResolution], [256, 3, 648], "generate.py's numbers");
  // Its pyramid as a cloudhall scene, the source image as the preview (generate.py makes none).
  const ron = join(dir, "scenes/orient.ron");
  writeFileSync(ron, readFileSync(ron, "utf8").replace('Equirect("test-pano.png")', `Multires(path: "real${m.path}.${m.extension}", `
    + `tile_size: ${m.tileResolution}, levels: ${m.maxLevel}, face_size: ${m.cubeResolution}, preview: "directions.png")`));
  cloudhall("check", join(dir, "scenes"));
  const { server, base } = await pannellumServer(out, config);
  const failures = [];
  try {
    for (const view of [{ yaw: 0, pitch: 0, hfov: 90 }, { yaw: 45, pitch: 70, hfov: 90 }, { yaw: -120, pitch: -60, hfov: 100 }]) {
      const name = `${view.yaw}_${view.pitch}_${view.hfov}`;
      const [theirPath, ourPath] = [join(dir, `generated_pannellum_${name}.png`), join(dir, `generated_cloudhall_${name}.png`)];
      writeFileSync(theirPath, await pannellumShot(base, view));
      const [theirs, ours] = [decodePng(readFileSync(theirPath)), cloudhallShot(dir, view, ourPath)];
      const { mean, centres } = compare(theirs, ours);
      console.log(`generate.py pyramid, yaw ${view.yaw} pitch ${view.pitch} hfov ${view.hfov}: mean difference `
        + `${mean.toFixed(2)}/255, centre Pannellum [${centres[0]}] cloudhall [${centres[1]}]`);
      if (mean > TOLERANCE || far(...centres) > CENTRE_TOLERANCE) failures.push(`${name}: mean ${mean.toFixed(2)}: ${theirPath} ${ourPath}`);
    }
  } finally {
    server.close();
  }
  assert.deepEqual(failures, [], "cloudhall shows generate.py's pyramid as Pannellum does");
  rmSync(dir, { recursive: true });
});

test("a site exported with `cloudhall export pannellum` opens in Pannellum as it is, and its scene hotspots walk on", async () => {
  const dir = tourCopy();
  const out = join(dir, "exported");
  cloudhall("export", "pannellum", out, "--site", SITE, "--tour", join(dir, "scenes"), "--lang", "en");
  const config = JSON.parse(readFileSync(join(out, "config.json"), "utf8"));
  assert.equal(config.default.firstScene, SCENE);
  // The export folder served as it is, with Pannellum's build beside it, and a page that hands
  // config.json to pannellum.viewer unchanged.
  const page = `<!doctype html><meta charset=utf-8>
<link rel=stylesheet href=/pannellum/pannellum.css><script src=/pannellum/pannellum.js></script>
<style>html,body{margin:0;overflow:hidden}#pano{width:${W}px;height:${H}px}</style><div id=pano></div>
<script>
fetch("config.json").then((r) => r.json()).then((config) => {
  window.viewer = pannellum.viewer("pano", config);
  viewer.on("error", (e) => { window.failed = String(e); });
});
</script>`;
  const types = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".jpg": "image/jpeg", ".png": "image/png", ".json": "application/json" };
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://localhost").pathname);
    const pannellumFile = path.startsWith("/pannellum/") ? join(PANNELLUM, path.slice("/pannellum/".length)) : null;
    const file = pannellumFile || join(out, path);
    let body = path === "/" ? page : null;
    try { body ??= file.startsWith(pannellumFile ? PANNELLUM + sep : out + sep) ? readFileSync(file) : null; } catch (_) { /* none: 404 */ }
    res.writeHead(body ? 200 : 404, { "content-type": types[path === "/" ? ".html" : extname(file)] || "application/octet-stream" });
    res.end(body);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const tab = await browser.newPage({ viewport: { width: W, height: H } });
  const problems = [];
  tab.on("pageerror", (e) => problems.push(String(e)));
  try {
    await tab.goto(`http://127.0.0.1:${server.address().port}/`);
    await tab.waitForFunction(() => window.failed || (window.viewer && viewer.isLoaded()), null, { timeout: 60_000 });
    assert.equal(await tab.evaluate(() => window.failed || null), null, "Pannellum shows the exported scene");
    assert.equal(await tab.evaluate(() => viewer.getScene()), SCENE);
    // Face the Go hotspot and click it, as a visitor would.
    const go = config.scenes[SCENE].hotSpots.find((h) => h.type === "scene");
    await tab.evaluate(([yaw, pitch]) => viewer.lookAt(pitch, yaw, 90, false), [go.yaw, go.pitch]);
    await tab.waitForTimeout(300);
    await tab.locator(".pnlm-hotspot.pnlm-scene").first().click();
    await tab.waitForFunction((to) => viewer.getScene() === to && viewer.isLoaded(), go.sceneId, { timeout: 30_000 });
    if (go.targetYaw !== undefined) {
      const yaw = await tab.evaluate(() => viewer.getYaw());
      assert.ok(Math.abs(((yaw - go.targetYaw + 540) % 360) - 180) < 1, `it faces the hotspot's target view: ${yaw}, not ${go.targetYaw}`);
    }
    assert.deepEqual(problems, []);
  } finally {
    await tab.close();
    server.close();
  }
});
