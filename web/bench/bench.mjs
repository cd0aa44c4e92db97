// Time from navigation to the first panorama frame, in headless Chromium (Debian's, WebGL2 on
// SwiftShader), in two profiles: desktop (1280x720) and phone (390x844 with touch, CPU slowed 4x,
// a fast 4G link: 9 Mbit/s, 170 ms). cloudhall's web viewer against Pannellum and Photo Sphere Viewer,
// all showing the same 4096x2048 panorama from the same `cloudhall serve`: cloudhall and Pannellum
// on its multires pyramid (assets/pano/SITE/SCENE/, as `make content` tiles it), Pannellum and
// Photo Sphere Viewer on the same panorama as one JPEG (square.jpg here, which `make content`
// writes beside this script). Each viewer runs in a
// fresh browser context (nothing cached) RUNS times (default 5); the median is reported, with the
// bytes fetched before the first frame (and what they are), the served wasm's size (raw, gzip,
// brotli), and the longest task on the page's thread while the visitor walks three scenes, opens
// the map and plays the narration (PerformanceObserver `longtask`).
//
// cloudhall's first frame is its page's first view of the scene at level 1 of its tiles (web/first.js);
// the blurred preview's time and the time until hotspots and narration work (the viewer has taken
// over) are reported beside it. Device pixel ratio 1 in both profiles (SwiftShader draws every pixel
// on the CPU).
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
const RUNS = Number(process.env.RUNS || 5);
const PROFILES = (process.env.PROFILES || "phone,desktop").split(",");
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
const profiles = {
  desktop: { context: { viewport: { width: 1280, height: 720 }, deviceScaleFactor: 1 }, cpu: 1, net: null },
  phone: {
    context: { viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true },
    cpu: 4,
    net: { offline: false, latency: 170, downloadThroughput: 9e6 / 8, uploadThroughput: 9e6 / 8 },
  },
};

// Long tasks on the page's thread, from the start.
const observeLongTasks = () => {
  window.longTasks = [];
  new PerformanceObserver((l) => { for (const e of l.getEntries()) window.longTasks.push([e.startTime, e.duration]); })
    .observe({ type: "longtask", buffered: true });
};

// What the page fetched until `t` (ms since navigation): bytes on the wire, by kind.
const fetchedBefore = (t) => {
  const nav = performance.getEntriesByType("navigation")[0];
  const parts = [["page", nav.transferSize]];
  for (const e of performance.getEntriesByType("resource")) {
    if (e.responseEnd <= t) parts.push([e.name.replace(location.origin, ""), e.transferSize]);
  }
  return parts;
};

const kind = (url) => url === "page" ? "page" : /\.wasm/.test(url) ? "viewer (wasm)" : /\.js/.test(url) ? "code (js)"
  : /api\/v1\/tour/.test(url) ? "tour (json)" : /\/preview\.jpg/.test(url) ? "preview" : /\/1\/[a-z]0_0/.test(url) ? "level-1 tiles"
  : /\/[0-9]+\/[a-z][0-9]+_[0-9]+/.test(url) ? "tiles" : /\.jpg/.test(url) ? "panorama jpeg" : /\.ttf/.test(url) ? "font" : "other";

// Walk three scenes by keyboard (Tab to a hotspot, Enter: a Go walks on, an Info opens and Escape
// closes it), open and close the map (M), play the narration (Space): the longest task meanwhile.
async function walk(p) {
  const start = await p.evaluate(() => performance.now());
  const scene = () => p.evaluate(() => new URL(location.href).searchParams.get("scene"));
  let walked = 0;
  for (let tries = 0; walked < 3 && tries < 40; tries++) {
    const was = await scene();
    await p.keyboard.press("Tab");
    await p.waitForTimeout(150);
    await p.keyboard.press("Enter");
    await p.waitForTimeout(1500);
    if ((await scene()) !== was) walked++;
    else await p.keyboard.press("Escape");
  }
  await p.keyboard.press("KeyM");
  await p.waitForTimeout(1500);
  await p.keyboard.press("KeyM");
  await p.keyboard.press("Space");
  await p.waitForTimeout(2500);
  const longest = await p.evaluate((s) => Math.max(0, ...window.longTasks.filter(([t]) => t >= s).map(([, d]) => d)), start);
  return { walked, longest };
}

const results = {};
const add = (profile, what, v) => ((results[profile] ??= {})[what] ??= []).push(v);
try {
  for (const profile of PROFILES) {
    const prof = profiles[profile];
    for (let run = 0; run < RUNS; run++) {
      for (const [name, path] of Object.entries(viewers)) {
        const context = await browser.newContext(prof.context);
        const p = await context.newPage();
        await p.addInitScript(observeLongTasks);
        const cdp = await context.newCDPSession(p);
        await cdp.send("Emulation.setCPUThrottlingRate", { rate: prof.cpu });
        if (prof.net) {
          await cdp.send("Network.enable");
          await cdp.send("Network.emulateNetworkConditions", prof.net);
        }
        await p.goto(base + path);
        await p.waitForFunction(() => window.firstFrameAt || window.failed || document.body.dataset.webgl2,
          null, { timeout: 300_000, polling: 50 });
        const ms = await p.evaluate(() => window.firstFrameAt);
        const failed = await p.evaluate(() => window.failed || (document.body.dataset.webgl2 && "no WebGL2"));
        if (failed || !ms) throw new Error(`${name}: ${failed || "no first frame"}`);
        add(profile, name, ms);
        const bytes = await p.evaluate(fetchedBefore, ms);
        add(profile, name + ": bytes", bytes);
        let note = "";
        if (name === "cloudhall") {
          await p.waitForFunction(() => document.body.dataset.ready === "1", null, { timeout: 300_000, polling: 100 });
          const at = await p.evaluate(() => ({ preview: window.cloudhallPreviewAt, ready: window.cloudhallReadyAt, steps: window.cloudhallSteps }));
          if (at.preview) add(profile, "cloudhall: preview", at.preview);
          add(profile, "cloudhall: interactive", at.ready);
          add(profile, "cloudhall: bytes until interactive", await p.evaluate(fetchedBefore, at.ready));
          const loadingLongest = await p.evaluate(() => Math.max(0, ...window.longTasks.map(([, d]) => d)));
          add(profile, "cloudhall: longest task while loading", loadingLongest);
          const w = await walk(p);
          add(profile, "cloudhall: longest task walking", w.longest);
          add(profile, "cloudhall: scenes walked", w.walked);
          note = ` (preview ${Math.round(at.preview || 0)} ms, interactive ${Math.round(at.ready)} ms, walked ${w.walked}, longest task ${Math.round(w.longest)} ms)`;
          if (run === 0) await p.screenshot({ path: join(tmpdir(), `bench-${profile}-${name}-interactive.png`) });
        }
        const total = bytes.reduce((a, [, b]) => a + b, 0);
        console.error(`${profile} ${name} run ${run + 1}: ${Math.round(ms)} ms, ${(total / 1e6).toFixed(2)} MB before${note}`);
        if (run === 0) await p.screenshot({ path: join(tmpdir(), `bench-${profile}-${name}.png`) });
        await context.close();
      }
    }
  }
} finally {
  await browser.close();
  server.kill();
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (b) => (b / 1e6).toFixed(2) + " MB";
for (const profile of PROFILES) {
  const r = results[profile];
  if (!r) continue;
  const title = profile === "phone" ? "phone: 390x844, touch, CPU 4x slower, 9 Mbit/s and 170 ms" : "desktop: 1280x720";
  console.log(`\n### ${title} (headless Chromium, SwiftShader, ${RUNS} fresh runs each)\n`);
  console.log(`| viewer | first frame, median | fastest | bytes before it (median) | runs (ms) |`);
  console.log(`|---|---|---|---|---|`);
  for (const name of Object.keys(viewers)) {
    const xs = r[name];
    if (!xs) continue;
    const bytes = r[name + ": bytes"].map((parts) => parts.reduce((a, [, b]) => a + b, 0));
    console.log(`| ${name} | ${Math.round(median(xs))} ms | ${Math.round(Math.min(...xs))} ms | ${mb(median(bytes))} | ${xs.map(Math.round).join(", ")} |`);
  }
  const m = (k) => (r[k] ? Math.round(median(r[k])) : "-");
  console.log(`\ncloudhall: blurred preview ${m("cloudhall: preview")} ms; hotspots and narration work (interactive) ${m("cloudhall: interactive")} ms; ` +
    `longest task while loading ${m("cloudhall: longest task while loading")} ms; longest task walking 3 scenes, map and narration ` +
    `${m("cloudhall: longest task walking")} ms (worst run ${Math.round(Math.max(...(r["cloudhall: longest task walking"] || [0])))} ms; scenes walked ${(r["cloudhall: scenes walked"] || []).join(", ")})`);
  for (const name of ["cloudhall", "pannellum", "pannellum (multires)"]) {
    const runs = r[name + ": bytes"];
    if (!runs) continue;
    const byKind = {};
    for (const [url, b] of runs[0]) byKind[kind(url)] = (byKind[kind(url)] || 0) + b;
    console.log(`${name}, fetched before the first frame (first run): ` + Object.entries(byKind).map(([k, b]) => `${k} ${(b / 1e3).toFixed(0)} kB`).join(", "));
  }
  const until = r["cloudhall: bytes until interactive"];
  if (until) {
    const byKind = {};
    for (const [url, b] of until[0]) byKind[kind(url)] = (byKind[kind(url)] || 0) + b;
    console.log(`cloudhall, fetched until interactive (first run): ` + Object.entries(byKind).map(([k, b]) => `${k} ${(b / 1e3).toFixed(0)} kB`).join(", "));
  }
}
const size = (f) => (existsSync(join(dist, f)) ? (statSync(join(dist, f)).size / 1e6).toFixed(2) + " MB" : "-");
console.log(`\nserved wasm: ${size("cloudhall_bg.wasm")} raw, ${size("cloudhall_bg.wasm.gz")} gzip, ${size("cloudhall_bg.wasm.br")} brotli`);
console.log(`screenshots of the first runs: ${join(tmpdir(), "bench-*.png")}`);
