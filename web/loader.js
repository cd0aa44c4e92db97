// Loads the hall: checks for WebGL2, downloads the viewer (WebAssembly) with a progress bar,
// starts it, and lets the viewer report the tour, assets and first panorama on the same bar.
// Browsers start audio only after a gesture: the first tap resumes the narration's audio.

const fill = document.getElementById("fill");
const what = document.getElementById("what");
const loading = document.getElementById("loading");
const sound = document.getElementById("sound");

function show(text, fraction) {
  const pct = Math.max(0, Math.min(100, Math.round(fraction * 100)));
  fill.style.width = pct + "%";
  what.textContent = text + " " + pct + "%";
}

function fail(message) {
  fill.style.background = "#777";
  what.textContent = message;
}

// The viewer's reports: the download is the first half of the bar, the viewer's own loading
// (tour, assets, first panorama) the second.
const steps = { tour: "正在读取展馆 Reading the tour…", assets: "正在加载 Loading…", panorama: "正在打开全景 Opening the panorama…" };
// When each step was reached (ms since navigation), for the benchmark in web/bench.
const steps_at = (window.cloudhallSteps = []);
const mark = (what) => steps_at.push([what, performance.now()]);
window.cloudhallProgress = (text, fraction) => {
  if (!steps_at.some(([w]) => w === text)) mark(text);
  if (fraction < 0 || text.startsWith("error")) {
    fail("无法打开展馆 The hall cannot open: " + text.replace(/^error: /, ""));
    return;
  }
  if (text === "ready" || text === "preview" || fraction >= 1) {
    // The small preview of the first panorama is enough to start looking around; the viewer
    // says itself that the full image is still loading.
    if (text === "preview") document.body.dataset.preview = "1";
    else {
      window.cloudhallReadyAt = performance.now();
      show("完成 Ready", 1);
      document.body.dataset.ready = "1";
    }
    if (!loading.classList.contains("gone")) {
      loading.classList.add("gone");
      document.getElementById("cloudhall").focus();
      if (audioContexts.some((c) => c.state !== "running")) sound.style.display = "block";
    }
    return;
  }
  show(steps[text] || text, 0.5 + fraction / 2);
};

// Keep every AudioContext the viewer makes, to resume them on a tap. The viewer makes its audio
// output when the narration first plays, which may be after the page is shown: a context that
// cannot start by itself (no tap yet) brings up the "tap for sound" button.
const audioContexts = [];
for (const name of ["AudioContext", "webkitAudioContext"]) {
  const Original = window[name];
  if (!Original) continue;
  window[name] = class extends Original {
    constructor(...args) {
      super(...args);
      audioContexts.push(this);
      setTimeout(() => { if (this.state === "suspended" && (document.body.dataset.ready || document.body.dataset.preview)) sound.style.display = "block"; }, 0);
    }
  };
}
function resumeAudio() {
  for (const c of audioContexts) if (c.state === "suspended") c.resume();
  sound.style.display = "none";
}
for (const e of ["pointerdown", "keydown", "touchend"]) window.addEventListener(e, resumeAudio, { capture: true });
sound.addEventListener("click", resumeAudio);

async function download(url, total) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(url + ": " + res.status);
  if (!res.body || !total) return new Uint8Array(await res.arrayBuffer());
  const reader = res.body.getReader();
  const parts = [];
  let got = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    got += value.length;
    show("正在下载展馆程序 Downloading the viewer…", Math.min(got / total, 1) / 2);
  }
  const out = new Uint8Array(got);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

// `?join` without a valid code and a name: ask for them first (a class is joined from the
// address the teacher shows, /?join=CODE, and each student types a name).
function askToJoin(params) {
  const form = document.getElementById("join");
  const code = form.elements.code;
  code.value = (params.get("join") || "").replace(/\D/g, "").slice(0, 6);
  form.elements.name.value = params.get("name") || "";
  loading.classList.add("gone");
  form.hidden = false;
  (code.value.length === 6 ? form.elements.name : code).focus();
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const q = new URLSearchParams({ join: code.value.trim(), name: form.elements.name.value.trim() });
    location.search = "?" + q.toString();
  });
}

async function main() {
  const params = new URLSearchParams(location.search);
  if (params.has("join") && !(/^\d{6}$/.test(params.get("join").trim()) && (params.get("name") || "").trim())) {
    askToJoin(params);
    return;
  }
  if (!document.createElement("canvas").getContext("webgl2")) {
    fail("此浏览器不支持 WebGL2，无法显示全景。请使用新版 Chrome、Edge、Firefox 或 Safari。 This browser has no WebGL2, which the panoramas need: please open the hall in a recent Chrome, Edge, Firefox or Safari.");
    document.body.dataset.webgl2 = "missing";
    return;
  }
  let total = 0;
  try { total = (await (await fetch("build.json")).json()).wasm_bytes; } catch (_) { /* no size: no percentages */ }
  const bytes = await download("cloudhall_bg.wasm", total);
  mark("wasm downloaded");
  show("正在启动 Starting…", 0.5);
  const { default: init } = await import("./cloudhall.js");
  // The viewer throws to hand control to the browser's event loop once it runs: that is not a failure.
  try { await init({ module_or_path: bytes }); } catch (e) {
    if (!String(e).includes("Using exceptions for control flow")) throw e;
  }
}

main().catch((e) => fail("无法打开展馆 The hall cannot open: " + e));
