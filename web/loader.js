// Loads the hall. On a phone the viewer (WebAssembly) takes seconds to arrive, so the page does
// the first things itself, in this order:
//   1. the tour (preloaded by index.html) and the first scene's level-1 tiles, decoded by the
//      browser off the page's thread, drawn at once with a few lines of WebGL (first.js): the
//      visitor sees the scene and can look around;
//   2. then the viewer, compiled while it streams, and the font for the first screen;
//   3. the viewer takes over at the visitor's view and reports when hotspots and narration work.
// The page also decodes every image the viewer asks for (window.cloudhallDecode), keeps the
// AudioContexts to resume them on a tap, and registers the service worker (sw.js) that lets the
// hall open offline.

import { FirstView, assetUrl, firstImages, lookAround, startScene } from "./first.js";

const fill = document.getElementById("fill");
const what = document.getElementById("what");
const loading = document.getElementById("loading");
const sound = document.getElementById("sound");
const firstCanvas = document.getElementById("first");
const status = document.getElementById("status");

function show(text, fraction) {
  const pct = Math.max(0, Math.min(100, Math.round(fraction * 100)));
  fill.style.width = pct + "%";
  what.textContent = text + " " + pct + "%";
  status.textContent = text + " " + pct + "%";
}

function fail(message) {
  fill.style.background = "#777";
  what.textContent = message;
  status.textContent = message;
  loading.classList.remove("gone");
}

// When each step was reached (ms since navigation), for the benchmark in web/bench.
const steps_at = (window.cloudhallSteps = []);
const mark = (what) => { if (!steps_at.some(([w]) => w === what)) steps_at.push([what, performance.now()]); };

// Downloads the page started for the viewer, taken over by its first request for the same URL
// (src/viewer/io.rs get).
const prefetched = new Map();
window.cloudhallTakePrefetched = (url) => {
  const p = prefetched.get(url);
  prefetched.delete(url);
  return p;
};
function prefetch(url) {
  const p = fetch(url).then((r) => (r.ok ? r.arrayBuffer() : Promise.reject(new Error(url + ": " + r.status))));
  p.catch(() => {});
  prefetched.set(url, p);
  return p;
}

// Images are decoded by the browser (createImageBitmap runs off the page's thread), never by the
// viewer's WebAssembly: the viewer gets RGBA rows. Images the first view has already decoded are
// reused.
const bitmaps = new Map();
let scratch = null;
async function bitmapOf(url) {
  if (url instanceof Uint8Array) {
    try {
      return await createImageBitmap(new Blob([url]), { colorSpaceConversion: "none", premultiplyAlpha: "none" });
    } catch (e) {
      throw new Error(`the image cannot be decoded (${e.message || e})`);
    }
  }
  const kept = bitmaps.get(url);
  if (kept) {
    bitmaps.delete(url);
    return kept;
  }
  const res = await fetch(url);
  if (res.headers.get("X-Cloudhall-Offline")) throw new Error("此场景需要网络 This scene needs the network: you are offline and have not seen it yet");
  if (!res.ok) throw new Error(`${url}: the server answered ${res.status}`);
  try {
    return await createImageBitmap(await res.blob(), { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  } catch (e) {
    throw new Error(`${url}: the image cannot be decoded (${e.message || e})`);
  }
}
async function decodeRgba(url) {
  const bmp = await bitmapOf(url);
  const { width, height } = bmp;
  scratch = scratch || new OffscreenCanvas(1, 1);
  if (scratch.width < width || scratch.height < height) {
    scratch.width = Math.max(scratch.width, width);
    scratch.height = Math.max(scratch.height, height);
  }
  const ctx = scratch.getContext("2d", { willReadFrequently: true });
  ctx.globalCompositeOperation = "copy";
  ctx.drawImage(bmp, 0, 0);
  bmp.close();
  const data = ctx.getImageData(0, 0, width, height, { colorSpace: "srgb" }).data;
  return [width, height, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)];
}
// Failures reach the viewer as text, which it shows in its error panel.
window.cloudhallDecode = (url) => decodeRgba(url).catch((e) => Promise.reject(String((e && e.message) || e)));
window.cloudhallDecodeBytes = window.cloudhallDecode;

// The viewer's reports: the viewer download is the first half of the bar, the viewer's own
// loading (tour, assets, first panorama) the second.
const steps = { tour: "正在读取展馆 Reading the tour…", assets: "正在加载 Loading…", panorama: "正在打开全景 Opening the panorama…" };
let handedOver = false;
window.cloudhallProgress = (text, fraction) => {
  mark(text);
  if (fraction < 0 || text.startsWith("error")) {
    fail("无法打开展馆 The hall cannot open: " + text.replace(/^error: /, ""));
    return;
  }
  if (text === "ready" || text === "preview" || fraction >= 1) {
    // The small preview of the first panorama is enough to start looking around; the viewer
    // says itself that the full image is still loading.
    if (text === "preview") {
      document.body.dataset.preview = "1";
      if (first.sharp) return; // the page's own first view is sharper: kept until "ready"
    } else {
      window.cloudhallReadyAt = performance.now();
      show("完成 Ready", 1);
      document.body.dataset.ready = "1";
    }
    handOver();
    return;
  }
  show(steps[text] || text, 0.5 + fraction / 2);
};

// The viewer has drawn the scene at the view it read from the first view: the first view goes on
// the next frame, once the viewer's frame is on screen.
function handOver() {
  if (handedOver) return;
  handedOver = true;
  first.active = false;
  requestAnimationFrame(() => {
    window.cloudhallFirstView = null;
    firstCanvas.hidden = true;
    status.hidden = true;
    loading.classList.add("gone");
    // Not in a frame (the studio's preview): the page around it keeps the keyboard.
    if (window.self === window.top) document.getElementById("cloudhall").focus();
  });
  keepOffline();
  // The phone's orientation and the VR glasses mode's page side, once the viewer runs.
  import("./device.js").catch((e) => console.warn("no gyroscope or VR glasses mode:", e));
}

// The offline copy (sw.js), registered once the viewer runs: by then the viewer's own download is
// in the browser's cache, and the worker's copy of it costs no second download. What this page
// fetched before the worker took over (the first scene's tiles) is handed to it to keep.
function keepOffline() {
  if (!("serviceWorker" in navigator) || !window.isSecureContext) return;
  navigator.serviceWorker.register("sw.js", { type: "module" }).then(() => navigator.serviceWorker.ready).then((reg) => {
    const urls = performance.getEntriesByType("resource").map((e) => e.name).filter((u) => u.includes("/assets/"));
    reg.active.postMessage({ cache: urls });
    document.body.dataset.offline = "ready";
  }).catch((e) => console.warn("the hall will not open offline:", e));
}

// The narration's <audio> may not start before the visitor's first tap (the browser's autoplay
// rule): the viewer calls this when the browser refuses to play, and the "tap for sound" button
// shows until a tap, after which the viewer's next try plays.
window.cloudhallSoundBlocked = () => {
  if (document.body.dataset.ready || document.body.dataset.preview) sound.style.display = "block";
};
function soundAllowed() {
  sound.style.display = "none";
}
for (const e of ["pointerdown", "keydown", "touchend"]) window.addEventListener(e, soundAllowed, { capture: true });
sound.addEventListener("click", soundAllowed);

// `?join` without a valid code and a name: ask for them first (a class is joined from the
// address the teacher shows, /?join=CODE, and each student types a name).
function askToJoin(params) {
  const form = document.getElementById("join");
  const code = form.elements.code;
  code.value = (params.get("join") || "").replace(/\D/g, "").slice(0, 9);
  form.elements.name.value = params.get("name") || "";
  loading.classList.add("gone");
  form.hidden = false;
  (code.value.length === 9 ? form.elements.name : code).focus();
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const q = new URLSearchParams({ join: code.value.trim(), name: form.elements.name.value.trim() });
    location.search = "?" + q.toString();
  });
}

// The first view: shown from the scene's level-1 tiles (or its preview, if that comes first),
// draggable until the viewer takes over.
const first = { active: false, sharp: false, view: null, limits: null };
async function drawFirstView(params, tour, view) {
  const start = startScene(tour, params);
  const images = start && firstImages(start.scene.panorama);
  if (!images) return;
  Object.assign(first, { view: start.view, limits: start.limits });
  let frame = 0;
  const redraw = () => {
    window.cloudhallFirstView = first.view;
    if (!frame) frame = requestAnimationFrame(() => { frame = 0; view.draw(first.view); });
  };
  lookAround(firstCanvas, first, redraw);
  const decode = (rel) => bitmapOf(assetUrl(tour, rel)).then((b) => { bitmaps.set(assetUrl(tour, rel), b); return b; });
  const full = Promise.all(images.files.map(decode));
  let sharp = false;
  const reveal = (kind) => {
    if (kind !== "preview") first.sharp = true;
    firstCanvas.hidden = false;
    first.active = !handedOver;
    view.draw(first.view);
    window.cloudhallFirstView = handedOver ? null : first.view;
    requestAnimationFrame(() => {
      mark("first view: " + kind);
      document.body.dataset.firstView = kind;
      if (kind === "preview") window.cloudhallPreviewAt = performance.now();
      else window.firstFrameAt = performance.now();
      // At once, not faded: the scene is what the visitor came for.
      loading.style.transition = "none";
      loading.classList.add("gone");
      status.hidden = handedOver;
    });
  };
  if (images.preview) {
    decode(images.preview).then((b) => {
      bitmaps.delete(assetUrl(tour, images.preview));
      if (sharp || handedOver) return b.close();
      view.setEquirect(b);
      reveal("preview");
    }).catch(() => {});
  }
  const faces = await full;
  sharp = true;
  if (handedOver) return;
  if (images.kind === "cube") view.setFaces(faces);
  else view.setEquirect(faces[0]);
  reveal("level 1");
}

// The viewer: its JS glue and its WebAssembly, compiled while the bytes stream in.
async function startViewer() {
  let total = 0;
  const size = fetch("build.json").then((r) => r.json()).then((b) => { total = b.wasm_bytes; }).catch(() => {});
  const glue = import("./cloudhall.js");
  const res = await fetch("cloudhall_bg.wasm");
  if (!res.ok) throw new Error("cloudhall_bg.wasm: " + res.status);
  await size;
  let got = 0;
  const reader = res.body.getReader();
  const counted = new ReadableStream({
    async pull(ctrl) {
      const { done, value } = await reader.read();
      if (done) {
        mark("wasm downloaded");
        ctrl.close();
        return;
      }
      got += value.length;
      if (total) show("正在下载展馆程序 Downloading the viewer…", Math.min(got / total, 1) / 2);
      ctrl.enqueue(value);
    },
  });
  const wasm = new Response(counted, { headers: { "Content-Type": "application/wasm" } });
  const { default: init } = await glue;
  // The viewer throws to hand control to the browser's event loop once it runs: that is not a failure.
  try { await init({ module_or_path: wasm }); } catch (e) {
    if (!String(e).includes("Using exceptions for control flow")) throw e;
  }
}

async function main() {
  const params = new URLSearchParams(location.search);
  if (params.has("join") && !(/^\d{9}$/.test(params.get("join").replace(/[\s-]/g, "")) && (params.get("name") || "").trim())) {
    askToJoin(params);
    return;
  }
  if (!document.createElement("canvas").getContext("webgl2")) {
    fail("此浏览器不支持 WebGL2，无法显示全景。请使用新版 Chrome、Edge、Firefox 或 Safari。 This browser has no WebGL2, which the panoramas need: please open the hall in a recent Chrome, Edge, Firefox or Safari.");
    document.body.dataset.webgl2 = "missing";
    return;
  }
  const tour = prefetch("api/v1/tour").then((b) => JSON.parse(new TextDecoder().decode(b)));
  // A live session starts where the class is, which only the viewer asks the server: no first view.
  const live = params.has("join") || params.has("guide");
  let shown = Promise.resolve();
  if (!live) {
    try {
      // The WebGL context and its shader are made while the tour and the tiles are on their way.
      const view = new FirstView(firstCanvas);
      shown = tour.then((t) => drawFirstView(params, t, view));
    } catch (e) {
      shown = Promise.reject(e);
    }
    shown = shown.catch((e) => console.warn("the first view could not be drawn:", e));
  }
  // The viewer's bytes wait for the first view's, so that they do not share the link.
  await Promise.race([shown, new Promise((r) => setTimeout(r, 4000))]);
  // What the viewer fetches before it starts (src/viewer/web.rs prepare), alongside it.
  tour.then((t) => {
    for (const rel of [t.font_first || t.font, t.map && t.map.outline]) if (rel) prefetch(assetUrl(t, rel));
  }).catch(() => {});
  await startViewer();
}

main().catch((e) => fail("无法打开展馆 The hall cannot open: " + e));
