// Time from navigation to the first panorama frame, in headless Chromium (Debian's, WebGL2 on
// SwiftShader) at 1280x720: cloudhall's web viewer against Pannellum and Photo Sphere Viewer,
// all showing the same 4096x2048 panorama from the same `cloudhall serve`: cloudhall and Pannellum
// on its multires pyramid (assets/pano/SITE/SCENE/, as `make content` tiles it), Pannellum and
// Photo Sphere Viewer on the same panorama as one JPEG (square.jpg here, which `make content`
// writes beside this script). Each viewer runs in a
// fresh browser context (nothing cached) RUNS times; the median is reported, with the served
// wasm's size (raw, gzip, brotli).
//
// `make web` first; then `cd web/bench && npm install && npm run bench`.
// CLOUDHALL_BIN: the cloudhall binary (default: the release build, else the debug build).
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, statSync, symlinkSync, writeFileSync, readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { homedir, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const dist = join(root, "web/dist");
const target = process.env.CARGO_TARGET_DIR || join(homedir(), ".cache/cloudhall/target");
const bin = process.env.CLOUDHALL_BIN || [join(target, "release/cloudhall"), join(target, "debug/cloudhall")].find(existsSync);
const RUNS = Number(process.env.RUNS || 3);
const SITE = "chifeng-museum", SCENE = "square";
const PANO = "/square.jpg";
const PYRAMID = `/assets/pano/${SITE}/${SCENE}`;
const mods = join(here, "node_modules");

if (!existsSync(join(dist, "cloudhall_bg.wasm"))) throw new Error("no web build: run `make web` first");

// One folder served at /: the web build, and a page for each of the other two viewers.
const web = mkdtempSync(join(tmpdir(), "cloudhall-bench-web-"));
for (const f of readdirSync(dist)) symlinkSync(join(dist, f), join(web, f));
const copy = (from, to) => {
  const bytes = readFileSync(from);
  writeFileSync(join(web, to), bytes);
  writeFileSync(join(web, to + ".gz"), gzipSync(bytes, { level: 9 }));
};
copy(join(here, "square.jpg"), "square.jpg");
copy(join(mods, "pannellum/build/pannellum.js"), "pannellum.js");
copy(join(mods, "pannellum/build/pannellum.css"), "pannellum.css");
copy(join(mods, "@photo-sphere-viewer/core/index.module.js"), "psv.module.js");
copy(join(mods, "@photo-sphere-viewer/core/index.css"), "psv.css");
copy(join(mods, "three/build/three.module.js"), "three.module.js");
copy(join(mods, "three/build/three.core.js"), "three.core.js");
const page = (head, body) => `<!doctype html><html><head><meta charset="utf-8">${head}
<style>html, body { margin: 0; height: 100%; overflow: hidden; } #v { width: 100vw; height: 100vh; }</style></head>
<body><div id="v"></div>${body}</body></html>`;
// Each page sets window.firstFrameAt on the frame after its viewer says the panorama is shown.
writeFileSync(join(web, "pannellum.html"), page(`<link rel="stylesheet" href="pannellum.css"><script src="pannellum.js"></script>`,
  `<script>
  const v = pannellum.viewer("v", { type: "equirectangular", panorama: "${PANO}", autoLoad: true, hfov: 100 });
  v.on("load", () => requestAnimationFrame(() => { window.firstFrameAt = performance.now(); }));
  v.on("error", (e) => { window.failed = String(e); });
</script>`));
const pyramid = JSON.parse(readFileSync(join(root, "assets/pano", SITE, SCENE, "config.json"), "utf8"));
writeFileSync(join(web, "pannellum-multires.html"), page(`<link rel="stylesheet" href="pannellum.css"><script src="pannellum.js"></script>`,
  `<script>
  const v = pannellum.viewer("v", { ...${JSON.stringify(pyramid)}, basePath: "${PYRAMID}/", autoLoad: true, hfov: 100 });
  const done = () => v.isLoaded() && !v.getRenderer().isLoading()
    ? requestAnimationFrame(() => { window.firstFrameAt = performance.now(); }) : setTimeout(done, 10);
  done();
  v.on("error", (e) => { window.failed = String(e); });
</script>`));
writeFileSync(join(web, "psv.html"), page(`<link rel="stylesheet" href="psv.css">
<script type="importmap">{ "imports": { "three": "./three.module.js", "@photo-sphere-viewer/core": "./psv.module.js" } }</script>`,
  `<script type="module">
  import { Viewer } from "@photo-sphere-viewer/core";
  const viewer = new Viewer({ container: "v", panorama: "${PANO}", defaultZoomLvl: 0, navbar: false });
  viewer.addEventListener("ready", () => requestAnimationFrame(() => { window.firstFrameAt = performance.now(); }), { once: true });
</script>`));

const port = 20000 + Math.floor(Math.random() * 20000);
const base = `http://127.0.0.1:${port}`;
const server = spawn(bin, ["serve", "--addr", `127.0.0.1:${port}`, "--tour", join(root, "scenes"),
  "--data", mkdtempSync(join(tmpdir(), "cloudhall-bench-")), "--web", web],
  { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, RUST_LOG: "warn" } });
for (let i = 0; ; i++) {
  try { if ((await fetch(base + "/health")).ok) break; } catch (_) { /* not up yet */ }
  if (i > 300) throw new Error("the server did not come up");
  await new Promise((r) => setTimeout(r, 100));
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"],
});
const viewers = {
  cloudhall: `/?site=${SITE}&scene=${SCENE}&yaw=0&pitch=0&hfov=100`,
  pannellum: "/pannellum.html",
  "pannellum (multires)": "/pannellum-multires.html",
  "photo-sphere-viewer": "/psv.html",
};
const results = {};
try {
  for (let run = 0; run < RUNS; run++) {
    for (const [name, path] of Object.entries(viewers)) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
      const p = await context.newPage();
      await p.goto(base + path);
      await p.waitForFunction(() => window.firstFrameAt || window.failed || document.body.dataset.ready === "1",
        null, { timeout: 300_000, polling: 50 });
      // cloudhall's loader marks the page ready; take the next frame, like the others.
      const ms = await p.evaluate(() => window.firstFrameAt || new Promise((r) =>
        requestAnimationFrame(() => r(window.cloudhallReadyAt ?? performance.now()))));
      const failed = await p.evaluate(() => window.failed);
      const steps = await p.evaluate(() => window.cloudhallSteps);
      if (steps) (results.steps ??= []).push(steps);
      if (failed) throw new Error(`${name}: ${failed}`);
      (results[name] ??= []).push(ms);
      console.error(`${name} run ${run + 1}: ${Math.round(ms)} ms`);
      if (run === 0) await p.screenshot({ path: join(tmpdir(), `bench-${name}.png`) });
      await context.close();
    }
  }
} finally {
  await browser.close();
  server.kill();
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// Where cloudhall's time goes: the median time at which each of its loading steps began.
const runs = results.steps || [];
delete results.steps;
console.log(`| viewer (1280x720, headless Chromium, SwiftShader) | median | fastest | runs |`);
console.log(`|---|---|---|---|`);
for (const [name, xs] of Object.entries(results)) {
  console.log(`| ${name} | ${Math.round(median(xs))} ms | ${Math.round(Math.min(...xs))} ms | ${xs.map(Math.round).join(", ")} |`);
}
if (runs.length) {
  console.log(`\ncloudhall's steps (median ms since navigation): ` + runs[0].map(([what], i) =>
    `${what} ${Math.round(median(runs.map((r) => (r[i] || r[r.length - 1])[1])))}`).join(", "));
}
const size = (f) => (existsSync(join(dist, f)) ? (statSync(join(dist, f)).size / 1e6).toFixed(1) + " MB" : "-");
console.log(`\nserved wasm: ${size("cloudhall_bg.wasm")} raw, ${size("cloudhall_bg.wasm.gz")} gzip, ${size("cloudhall_bg.wasm.br")} brotli`);
console.log(`screenshots of the first runs: ${join(tmpdir(), "bench-*.png")}`);
