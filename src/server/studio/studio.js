// The curators' studio: edit a site as a draft, see it in the hall's own viewer, publish it.
// Every change is one step of the draft (undo and redo walk them); the draft is saved to the
// server a moment after each change, checked there by `cloudhall check`, and its diagnostics are
// shown beside the fields they are about.
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v === true) e.setAttribute(k, "");
    else if (v !== false && v != null) e.setAttribute(k, v);
  }
  for (const k of kids.flat()) if (k != null) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return e;
};

const S = {
  token: sessionStorage.getItem("cloudhall-curator") || "",
  me: null,
  sites: [],
  categories: [],
  map: null,
  site: null, // the site being edited (the draft's contents)
  rev: 0,
  published: false,
  scene: 0, // index of the scene on the stage
  sel: { kind: "site" }, // what the side panel edits: site | scene | hotspot
  undo: [],
  redo: [],
  check: { errors: 0, warnings: 0, items: [] },
  place: null, // the hotspot kind a click places, or null
  markers: false, // whether the overlay takes the pointer (placing and dragging)
  saveTimer: null,
  saving: Promise.resolve(),
  frameWanted: false,
  arrival: null, // {scene, hotspot}: choosing a Go's arrival view
  analysis: {}, // scene id -> {speech, peaks, duration} of its narration
};

// ---- talking to the server -------------------------------------------------------------------

async function api(method, path, body, raw) {
  const headers = { Authorization: "Bearer " + S.token };
  let payload;
  if (raw) payload = raw;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const res = await fetch(path, { method, headers, body: payload });
  let data = null;
  const text = await res.text();
  try { data = text ? JSON.parse(text) : null; } catch { data = { error: text }; }
  return { status: res.status, data };
}

function say(text, kind = "ok") {
  const m = $("#message");
  m.textContent = text;
  m.className = "on " + kind;
}

function quiet() {
  $("#message").className = "";
}

// ---- sign-in ---------------------------------------------------------------------------------

async function signIn(token) {
  S.token = token;
  const r = await api("GET", "/api/v1/studio/me");
  if (r.status !== 200) {
    $("#signin").hidden = false;
    $("#app").hidden = true;
    $("#signin-error").textContent = (r.data && r.data.error) || "sign-in failed";
    return false;
  }
  sessionStorage.setItem("cloudhall-curator", token);
  S.me = r.data;
  $("#who").textContent = "策展人 Curator: " + S.me.name;
  $("#signin").hidden = true;
  $("#app").hidden = false;
  for (const id of ["#signout", "#open-versions", "#open-log"]) $(id).hidden = false;
  await loadSites();
  return true;
}

$("#signin").addEventListener("submit", (e) => {
  e.preventDefault();
  signIn($("#token").value.trim());
});

$("#signout").addEventListener("click", () => {
  sessionStorage.removeItem("cloudhall-curator");
  location.reload();
});

// ---- sites -----------------------------------------------------------------------------------

async function loadSites() {
  const r = await api("GET", "/api/v1/studio/sites");
  if (r.status !== 200) return say(r.data.error, "bad");
  S.sites = r.data.sites;
  S.categories = r.data.categories;
  S.map = r.data.map;
  renderSites();
}

function renderSites() {
  const ul = $("#sites");
  ul.replaceChildren();
  for (const s of S.sites) {
    const current = S.site && S.site.id === s.id;
    ul.append(el("li", {},
      el("button", { type: "button", class: "pick", "aria-current": current ? "true" : "false", onclick: () => openSite(s.id) },
        s.name.zh || s.id, " ", s.draft ? el("span", { class: "tag draft" }, "草稿 draft") : null,
        !s.published ? el("span", { class: "tag" }, "未发布 new") : null)));
  }
}

async function openSite(id) {
  await flush();
  const r = await api("GET", "/api/v1/studio/sites/" + encodeURIComponent(id));
  if (r.status !== 200) return say(r.data.error, "bad");
  S.site = r.data.editing.site;
  S.rev = r.data.editing.rev;
  S.published = r.data.editing.published;
  S.check = r.data.check;
  $("#save-state").textContent = r.data.editing.draft ? `草稿 Draft (revision ${S.rev})` : S.published ? "已发布，没有草稿 Published; no draft" : "";
  S.undo = [];
  S.redo = [];
  S.scene = 0;
  S.sel = { kind: "site" };
  quiet();
  renderAll();
  showFrame();
}

$("#new-site").addEventListener("submit", async (e) => {
  e.preventDefault();
  const id = $("#new-id").value.trim();
  const c = S.map ? S.map.center : { lat: 42.26, lon: 118.9 };
  const site = {
    id,
    name: { zh: $("#new-zh").value.trim(), en: $("#new-en").value.trim() },
    summary: { zh: "", en: "" },
    category: S.categories.length ? S.categories[0].id : "",
    location: { lat: c.lat, lon: c.lon, district: { zh: "", en: "" }, estimated: true },
    education_base: { confirmed: false, note: { zh: "", en: "" } },
    sources: [],
    people: [],
    scenes: [],
  };
  const r = await api("POST", "/api/v1/studio/sites", { site });
  if (r.status !== 201) return say(r.data.error, "bad");
  // The form is cleared only once the server has the site.
  e.target.reset();
  await loadSites();
  await openSite(id);
  say("已创建草稿 The site is a draft now: add scenes and upload their panoramas.");
});

// ---- editing: every change is a step that undo and redo walk ---------------------------------

/** Change the site with `fn`; `visual` changes refresh the preview once saved. */
function edit(fn, visual = false) {
  S.undo.push(JSON.stringify(S.site));
  if (S.undo.length > 200) S.undo.shift();
  S.redo = [];
  fn(S.site);
  if (visual) S.frameWanted = true;
  changed();
}

function changed() {
  $("#undo").disabled = S.undo.length === 0;
  $("#redo").disabled = S.redo.length === 0;
  renderAll();
  scheduleSave();
}

function step(from, to) {
  if (!from.length) return;
  to.push(JSON.stringify(S.site));
  S.site = JSON.parse(from.pop());
  S.scene = Math.min(S.scene, Math.max(0, S.site.scenes.length - 1));
  if (S.sel.kind === "hotspot" && !(scene() && scene().hotspots[S.sel.index])) S.sel = { kind: "scene" };
  S.frameWanted = true;
  changed();
}

$("#undo").addEventListener("click", () => step(S.undo, S.redo));
$("#redo").addEventListener("click", () => step(S.redo, S.undo));
document.addEventListener("keydown", (e) => {
  if (!(e.ctrlKey || e.metaKey) || !S.site) return;
  if (e.target.matches("input, textarea")) return; // their own undo
  if (e.key === "z" && !e.shiftKey) { e.preventDefault(); step(S.undo, S.redo); }
  if ((e.key === "z" && e.shiftKey) || e.key === "y") { e.preventDefault(); step(S.redo, S.undo); }
});

function scheduleSave() {
  clearTimeout(S.saveTimer);
  $("#save-state").textContent = "未保存 Unsaved changes…";
  S.saveTimer = setTimeout(() => { S.saving = S.saving.then(save); }, 500);
}

/** Wait for the draft to be saved (before publishing, or leaving the site). */
async function flush() {
  if (S.saveTimer) {
    clearTimeout(S.saveTimer);
    S.saveTimer = null;
    S.saving = S.saving.then(save);
  }
  await S.saving;
}

async function save() {
  S.saveTimer = null;
  if (!S.site) return;
  const r = await api("PUT", "/api/v1/studio/sites/" + encodeURIComponent(S.site.id), { rev: S.rev, site: pruned(S.site) });
  if (r.status === 200) {
    S.rev = r.data.rev;
    S.check = r.data.check;
    $("#save-state").textContent = `草稿已保存 Draft saved (revision ${S.rev})`;
    const entry = S.sites.find((s) => s.id === S.site.id);
    if (entry && !entry.draft) { entry.draft = { rev: S.rev }; renderSites(); }
    renderChecks();
    renderPublish();
    if (S.frameWanted) { S.frameWanted = false; showFrame(true); }
  } else if (r.status === 409) {
    conflictMessage(r.data);
  } else {
    $("#save-state").textContent = "未保存 Not saved";
    say((r.data && r.data.error) || "not saved", "bad");
  }
}

/** The site as saved: a description left empty in both languages is no description (the
 * fields show for every scene and hotspot, and an empty pair is not a mistake). */
function pruned(site) {
  const copy = JSON.parse(JSON.stringify(site));
  const empty = (t) => t && !t.zh.trim() && !t.en.trim();
  for (const sc of copy.scenes) {
    if (empty(sc.description)) delete sc.description;
    for (const h of sc.hotspots) if (empty(h.description)) delete h.description;
  }
  return copy;
}

function conflictMessage(c) {
  const when = c.at ? new Date(c.at * 1000).toLocaleTimeString() : "";
  say(`冲突 Conflict: ${c.error}${when ? " (" + when + ")" : ""}`, "bad");
  const m = $("#message");
  m.append(" ", el("button", { type: "button", onclick: () => openSite(S.site.id) }, "载入最新 Load the latest"));
  $("#save-state").textContent = "未保存：冲突 Not saved: conflict";
}

// ---- the stage: the hall's own viewer in a frame, and the markers over it ---------------------

function scene() {
  return S.site && S.site.scenes[S.scene];
}

function frameView() {
  try {
    const q = new URLSearchParams($("#frame").contentWindow.location.search);
    const n = (k) => (q.has(k) ? Number(q.get(k)) : NaN);
    if (q.get("scene") && Number.isFinite(n("yaw"))) return { scene: q.get("scene"), yaw: n("yaw"), pitch: n("pitch"), hfov: n("hfov") };
  } catch { /* not loaded yet */ }
  const sc = scene();
  return sc ? { scene: sc.id, ...sc.view } : { scene: "", yaw: 0, pitch: 0, hfov: 100 };
}

/** Show the current scene in the frame; `keep` keeps the direction the curator looks in. */
function showFrame(keep = false, sceneId) {
  const sc = scene();
  if (!S.site || !sc || !S.me) return;
  // While a Go's arrival view is being chosen, the frame stays on the Go's target.
  if (sc.panorama.Equirect === "" && !sceneId) {
    // Nothing to draw yet: the viewer would only say the file is missing.
    $("#frame").removeAttribute("src");
    $("#status").textContent = "上传这个场景的全景照片 Upload this scene's panorama on the right.";
    return drawMarkers();
  }
  const arrival = S.arrival && S.sel.kind === "hotspot" && S.sel.index === S.arrival.hotspot ? S.arrival.scene : null;
  const id = sceneId || arrival || sc.id;
  const q = new URLSearchParams({ site: S.site.id, scene: id });
  const v = frameView();
  if (keep && v.scene === id) for (const k of ["yaw", "pitch", "hfov"]) q.set(k, v[k].toFixed(1));
  $("#frame").src = `/studio/view/${S.me.preview}/?${q}`;
  drawMarkers();
}

$("#reload-view").addEventListener("click", () => showFrame(true));

// The viewer's projection (src/pano/view.rs): hfov across the width, a pinhole camera.
const rad = (d) => (d * Math.PI) / 180;
const deg = (r) => (r * 180) / Math.PI;
function dir(yaw, pitch) {
  return [Math.cos(rad(pitch)) * Math.sin(rad(yaw)), Math.sin(rad(pitch)), Math.cos(rad(pitch)) * Math.cos(rad(yaw))];
}
const dot = (a, b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
function basis(v) {
  return [dir(v.yaw, v.pitch), dir(v.yaw + 90, 0), dir(v.yaw, v.pitch + 90)];
}
function tangents(v, w, h) {
  const tx = Math.tan(rad(v.hfov) / 2);
  return [tx, tx / (w / h)];
}
function project(v, w, h, yaw, pitch) {
  const d = dir(yaw, pitch);
  const [f, r, u] = basis(v);
  const z = dot(d, f);
  if (z <= 1e-3) return null;
  const [tx, ty] = tangents(v, w, h);
  return [((dot(d, r) / z / tx + 1) / 2) * w, ((1 - dot(d, u) / z / ty) / 2) * h];
}
function unproject(v, w, h, sx, sy) {
  const [tx, ty] = tangents(v, w, h);
  const x = ((sx / w) * 2 - 1) * tx;
  const y = (1 - (sy / h) * 2) * ty;
  const [f, r, u] = basis(v);
  const d = [0, 1, 2].map((i) => f[i] + r[i] * x + u[i] * y);
  const len = Math.hypot(...d);
  let yaw = deg(Math.atan2(d[0], d[2]));
  if (yaw <= -180) yaw += 360;
  return { yaw: Math.round(yaw * 10) / 10, pitch: Math.round(deg(Math.asin(d[1] / len)) * 10) / 10 };
}

const KIND_LABEL = { Go: "前往", Info: "展板", Memorial: "纪念", Link: "链接" };
const kindOf = (h) => Object.keys(typeof h.kind === "string" ? { [h.kind]: 1 } : h.kind)[0];

function drawMarkers() {
  const ov = $("#overlay");
  ov.classList.toggle("on", S.markers || !!S.place);
  ov.replaceChildren();
  const sc = scene();
  if (!sc || !(S.markers || S.place)) return;
  const v = frameView();
  const { width: w, height: h } = ov.getBoundingClientRect();
  sc.hotspots.forEach((hs, i) => {
    const p = project(v, w, h, hs.yaw, hs.pitch);
    if (!p) return;
    const m = el("div", { class: "marker" + (S.sel.kind === "hotspot" && S.sel.index === i ? " selected" : ""), "data-hotspot": hs.id },
      `${KIND_LABEL[kindOf(hs)] || ""} ${hs.id}`);
    m.style.left = p[0] + "px";
    m.style.top = p[1] + "px";
    m.addEventListener("pointerdown", (e) => dragMarker(e, i, m));
    ov.append(m);
  });
}

function dragMarker(e, i, m) {
  e.stopPropagation();
  e.preventDefault();
  S.sel = { kind: "hotspot", index: i };
  const ov = $("#overlay");
  const box = ov.getBoundingClientRect();
  const v = frameView();
  let moved = null;
  m.setPointerCapture(e.pointerId);
  const move = (ev) => {
    moved = unproject(v, box.width, box.height, ev.clientX - box.left, ev.clientY - box.top);
    m.style.left = ev.clientX - box.left + "px";
    m.style.top = ev.clientY - box.top + "px";
  };
  const up = () => {
    m.removeEventListener("pointermove", move);
    m.removeEventListener("pointerup", up);
    if (moved) edit((s) => Object.assign(s.scenes[S.scene].hotspots[i], moved), true);
    else renderAll();
  };
  m.addEventListener("pointermove", move);
  m.addEventListener("pointerup", up);
}

$("#overlay").addEventListener("click", (e) => {
  if (!S.place || e.target !== $("#overlay")) return;
  const box = $("#overlay").getBoundingClientRect();
  const at = unproject(frameView(), box.width, box.height, e.clientX - box.left, e.clientY - box.top);
  placeHotspot(S.place, at);
});

$("#place-centre").addEventListener("click", () => {
  const v = frameView();
  placeHotspot(S.place || "info", { yaw: v.yaw, pitch: v.pitch });
});

function freeId(base, taken) {
  let n = 1;
  while (taken.includes(`${base}-${n}`)) n++;
  return `${base}-${n}`;
}

function placeHotspot(kind, at) {
  const sc = scene();
  if (!sc) return say("先添加场景 Add a scene first.", "bad");
  const other = S.site.scenes.find((s) => s.id !== sc.id);
  const kinds = {
    go: { Go: { scene: other ? other.id : "" } },
    info: { Info: { title: { zh: "", en: "" }, body: { zh: "", en: "" } } },
    memorial: { Memorial: "Site" },
    link: { Link: { url: "https://", title: { zh: "", en: "" } } },
  };
  const id = kind === "go" && other ? freeId("to-" + other.id, sc.hotspots.map((h) => h.id)).replace(/-1$/, "") : freeId(kind, sc.hotspots.map((h) => h.id));
  const unique = sc.hotspots.some((h) => h.id === id) ? freeId(id, sc.hotspots.map((h) => h.id)) : id;
  edit((s) => {
    s.scenes[S.scene].hotspots.push({ id: unique, yaw: at.yaw, pitch: at.pitch, kind: kinds[kind] });
  }, true);
  S.sel = { kind: "hotspot", index: sc.hotspots.length - 1 };
  setPlace(null);
  renderAll();
  $("#status").textContent = `已放置 Placed ${unique} at yaw ${at.yaw}°, pitch ${at.pitch}°`;
}

function setPlace(kind) {
  S.place = kind;
  for (const b of document.querySelectorAll("[data-place]")) b.setAttribute("aria-pressed", String(b.dataset.place === kind));
  $("#status").textContent = kind ? "在全景中点击放置 Click in the panorama to place it (Esc to stop)" : "";
  drawMarkers();
}

for (const b of document.querySelectorAll("[data-place]")) {
  b.addEventListener("click", () => setPlace(S.place === b.dataset.place ? null : b.dataset.place));
}
document.addEventListener("keydown", (e) => { if (e.key === "Escape" && S.place) setPlace(null); });

$("#start-here").addEventListener("click", () => {
  const sc = scene();
  if (!sc) return;
  const v = frameView();
  edit((s) => { s.scenes[S.scene].view = { yaw: v.yaw, pitch: v.pitch, hfov: v.hfov }; });
  $("#status").textContent = `起始视角 Start view: yaw ${v.yaw}°, pitch ${v.pitch}°, fov ${v.hfov}°`;
});

// The frame's view changes as the curator looks around; markers follow.
setInterval(() => {
  const v = frameView();
  const key = `${v.scene} ${v.yaw} ${v.pitch} ${v.hfov}`;
  if (key !== S.lastView) { S.lastView = key; drawMarkers(); }
}, 300);
window.addEventListener("resize", drawMarkers);

// ---- the lists -------------------------------------------------------------------------------

function renderScenes() {
  $("#scenes-box").hidden = !S.site;
  const ul = $("#scenes");
  ul.replaceChildren();
  if (!S.site) return;
  ul.append(el("li", {}, el("button", { type: "button", class: "pick", "aria-current": String(S.sel.kind === "site"), onclick: () => { S.sel = { kind: "site" }; renderAll(); } }, "站点信息 Site details")));
  S.site.scenes.forEach((sc, i) => {
    const start = (S.site.start_scene || (S.site.scenes[0] && S.site.scenes[0].id)) === sc.id;
    ul.append(el("li", {},
      el("button", { type: "button", class: "pick", "aria-current": String(S.scene === i && S.sel.kind !== "site"), onclick: () => { S.scene = i; S.sel = { kind: "scene" }; renderAll(); showFrame(); } },
        start ? "★ " : "", sc.name.zh || sc.id),
      el("button", { type: "button", title: "上移 Move up", "aria-label": `Move ${sc.id} up`, disabled: i === 0, onclick: () => moveScene(i, -1) }, "↑"),
      el("button", { type: "button", title: "下移 Move down", "aria-label": `Move ${sc.id} down`, disabled: i === S.site.scenes.length - 1, onclick: () => moveScene(i, 1) }, "↓")));
  });
}

function moveScene(i, by) {
  edit((s) => {
    const [x] = s.scenes.splice(i, 1);
    s.scenes.splice(i + by, 0, x);
  });
  S.scene = i + by;
  renderAll();
}

$("#new-scene").addEventListener("submit", (e) => {
  e.preventDefault();
  const id = $("#new-scene-id").value.trim();
  if (S.site.scenes.some((s) => s.id === id)) return say(`场景 ${id} 已存在 There is already a scene ${id}.`, "bad");
  edit((s) => {
    s.scenes.push({
      id,
      name: { zh: id, en: id },
      panorama: { Equirect: "" },
      view: { yaw: 0, pitch: 0, hfov: 100 },
      limits: { min_hfov: 30, max_hfov: 120, min_pitch: -90, max_pitch: 90 },
      hotspots: [],
    });
  });
  S.scene = S.site.scenes.length - 1;
  S.sel = { kind: "scene" };
  e.target.reset();
  renderAll();
  showFrame();
  $("#status").textContent = "上传这个场景的全景照片 Upload this scene's panorama on the right.";
});

// ---- the side panel: fields bound to the draft -----------------------------------------------

/** A text input bound to `get`/`set` on the draft; `field` is its check path. */
function input(label, field, get, set, opts = {}) {
  const id = "f-" + field.replace(/[^a-z0-9]/gi, "-");
  const tag = opts.area ? "textarea" : "input";
  const box = el(tag, { id, "data-field": field, type: opts.type || (opts.area ? null : "text"), step: opts.step, lang: opts.lang });
  box.value = get() ?? "";
  box.addEventListener("change", () => {
    const v = opts.type === "number" ? Number(box.value) : box.value;
    // After the focus has moved on (Tab), so that the redrawn panel puts it back there.
    setTimeout(() => edit(() => set(v), !!opts.visual), 0);
  });
  return el("div", {}, el("label", { for: id }, label), box);
}

function text2(label, field, obj, key, area) {
  return el("div", { class: "pair" },
    input(label + " (中文)", `${field}.zh`, () => obj()[key].zh, (v) => { obj()[key].zh = v; }, { area, lang: "zh" }),
    input(label + " (English)", `${field}.en`, () => obj()[key].en, (v) => { obj()[key].en = v; }, { area, lang: "en" }));
}

function renderEditor() {
  const box = $("#editor");
  box.replaceChildren();
  if (!S.site) return box.append(el("p", {}, "选择或新建一个站点。 Choose a site, or make a new one."));
  if (S.sel.kind === "site" || !scene()) return box.append(...siteEditor());
  if (S.sel.kind === "hotspot" && scene().hotspots[S.sel.index]) return box.append(...hotspotEditor(S.sel.index));
  box.append(...sceneEditor());
}

function siteEditor() {
  const site = () => S.site;
  const cat = el("select", { id: "f-category", "data-field": "category", onchange: (e) => edit((s) => { s.category = e.target.value; }) },
    S.categories.map((c) => el("option", { value: c.id, selected: c.id === S.site.category }, `${c.name.zh} ${c.name.en}`)));
  return [
    el("h3", {}, `站点 Site: ${S.site.id}`),
    text2("名称 Name", "name", site, "name"),
    text2("简介 Summary", "summary", site, "summary", true),
    el("label", { for: "f-category" }, "类别 Category"), cat,
    el("h3", {}, "位置 Location"),
    mapPicker(),
    el("div", { class: "row" },
      input("纬度 Latitude", "location.lat", () => S.site.location.lat, (v) => { S.site.location.lat = v; }, { type: "number", step: "0.0001" }),
      input("经度 Longitude", "location.lon", () => S.site.location.lon, (v) => { S.site.location.lon = v; }, { type: "number", step: "0.0001" })),
    text2("区域 District", "location.district", () => S.site.location, "district"),
    el("h3", {}, "教育基地 Education base"),
    el("label", {}, el("input", { type: "checkbox", style: "width:auto", "data-field": "education_base.confirmed", checked: S.site.education_base.confirmed,
      onchange: (e) => edit((s) => { s.education_base.confirmed = e.target.checked; }) }), " 已确认 Confirmed"),
    text2("说明 Note", "education_base.note", () => S.site.education_base, "note", true),
    input("来源 Sources (one a line)", "sources", () => S.site.sources.join("\n"), (v) => { S.site.sources = v.split("\n").map((x) => x.trim()).filter(Boolean); }, { area: true }),
    ...planEditor(),
  ];
}

/** The city outline; a click sets the site's location. */
function mapPicker() {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.id = "map-pick";
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "城市地图：点击设定位置 City map: click to set the location");
  const b = S.mapBounds || { w: 115.5, e: 121.2, s: 41.2, n: 45.5 };
  svg.setAttribute("viewBox", `${b.w} ${-b.n} ${b.e - b.w} ${b.n - b.s}`);
  svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
  if (S.mapPath) {
    const p = document.createElementNS(svg.namespaceURI, "path");
    p.setAttribute("d", S.mapPath);
    p.setAttribute("fill", "#dfe8da");
    p.setAttribute("stroke", "#6b8f71");
    p.setAttribute("stroke-width", "0.02");
    svg.append(p);
  } else loadOutline();
  const dotEl = document.createElementNS(svg.namespaceURI, "circle");
  dotEl.setAttribute("cx", S.site.location.lon);
  dotEl.setAttribute("cy", -S.site.location.lat);
  dotEl.setAttribute("r", "0.08");
  dotEl.setAttribute("fill", "#8b1a1a");
  svg.append(dotEl);
  svg.addEventListener("click", (e) => {
    const pt = svg.createSVGPoint();
    pt.x = e.clientX;
    pt.y = e.clientY;
    const at = pt.matrixTransform(svg.getScreenCTM().inverse());
    edit((s) => { s.location.lon = Math.round(at.x * 10000) / 10000; s.location.lat = Math.round(-at.y * 10000) / 10000; });
  });
  return svg;
}

async function loadOutline() {
  if (S.mapLoading || !S.map) return;
  S.mapLoading = true;
  try {
    const g = await (await fetch("/assets/" + S.map.outline)).json();
    // Every ring of every polygon: a ring is a list of [lon, lat] points.
    const rings = [];
    const walk = (c) => (Array.isArray(c[0]) && typeof c[0][0] === "number" ? rings.push(c) : c.forEach(walk));
    for (const f of g.features || [g]) walk((f.geometry || f).coordinates);
    let d = "";
    const b = { w: 180, e: -180, s: 90, n: -90 };
    for (const ring of rings) {
      ring.forEach(([x, y], i) => {
        b.w = Math.min(b.w, x); b.e = Math.max(b.e, x); b.s = Math.min(b.s, y); b.n = Math.max(b.n, y);
        d += (i === 0 ? "M" : "L") + x + " " + -y;
      });
      d += "Z";
    }
    S.mapPath = d;
    S.mapBounds = { w: b.w - 0.2, e: b.e + 0.2, s: b.s - 0.2, n: b.n + 0.2 };
    if (S.sel.kind === "site") renderEditor();
  } catch { /* the picker still takes clicks on the empty box */ }
}

function planEditor() {
  const plan = S.site.floor_plan;
  const out = [el("h3", {}, "平面图 Floor plan")];
  out.push(upload("上传平面图 Upload a plan (JPEG, PNG)", "image/jpeg,image/png", async (file) => {
    const r = await api("POST", `/api/v1/studio/plan?site=${S.site.id}&name=${encodeURIComponent(file.name)}`, undefined, file);
    if (r.status !== 200) return say(r.data.error, "bad");
    edit((s) => { s.floor_plan = { image: r.data.image, positions: (s.floor_plan && s.floor_plan.positions) || [] }; });
    say("平面图已上传：选一个场景，在图上点击放置 Plan uploaded: pick a scene below and click on the plan to place it.");
  }, "plan"));
  if (!plan) return out;
  const pick = el("select", { id: "plan-scene", "aria-label": "要放置的场景 Scene to place" },
    S.site.scenes.map((s) => el("option", { value: s.id, selected: s.id === S.planScene }, s.name.zh || s.id)));
  pick.addEventListener("change", () => { S.planScene = pick.value; });
  S.planScene = S.planScene || (S.site.scenes[0] && S.site.scenes[0].id);
  const wrap = el("div", { id: "plan-wrap", "data-field": "floor_plan" }, el("img", { src: "/assets/" + plan.image, alt: "平面图 Floor plan" }));
  for (const p of plan.positions) {
    const pin = el("span", { class: "pin" }, p.scene);
    pin.style.left = p.x * 100 + "%";
    pin.style.top = p.y * 100 + "%";
    wrap.append(pin);
  }
  wrap.addEventListener("click", (e) => {
    const box = wrap.getBoundingClientRect();
    const x = Math.round(((e.clientX - box.left) / box.width) * 1000) / 1000;
    const y = Math.round(((e.clientY - box.top) / box.height) * 1000) / 1000;
    const id = pick.value;
    edit((s) => {
      const list = s.floor_plan.positions;
      const at = list.find((p) => p.scene === id);
      if (at) Object.assign(at, { x, y });
      else list.push({ scene: id, x, y, north: 0 });
    });
  });
  // The same places as numbers, for the keyboard: fractions of the plan's width and height.
  const numbers = plan.positions.map((p, k) => el("div", { class: "row" },
    input(`${p.scene} x`, `floor_plan.positions.${k}.x`, () => p.x, (v) => { S.site.floor_plan.positions[k].x = v; }, { type: "number", step: "0.001" }),
    input(`${p.scene} y`, `floor_plan.positions.${k}.y`, () => p.y, (v) => { S.site.floor_plan.positions[k].y = v; }, { type: "number", step: "0.001" }),
    input(`${p.scene} 北 north°`, `floor_plan.positions.${k}.north`, () => p.north ?? 0, (v) => { S.site.floor_plan.positions[k].north = v; }, { type: "number", step: "0.1" })));
  out.push(el("label", { for: "plan-scene" }, "放置场景 Place scene"), pick, wrap, ...numbers,
    el("button", { type: "button", id: "plan-north", onclick: () => {
      const v = frameView();
      const id = v.scene;
      if (!plan.positions.some((p) => p.scene === id)) return say(`先在平面图上放置 ${id} Place ${id} on the plan first.`, "bad");
      // Looking at yaw v is plan-up: the radar's bearing north + yaw is 0 there.
      const north = Math.round(((((-v.yaw) % 360) + 360) % 360) * 10) / 10;
      edit((s) => { s.floor_plan.positions.find((p) => p.scene === id).north = north; });
      $("#status").textContent = `${id}: 平面图上方 plan-up is this direction (north ${north}°)`;
    } }, "当前方向为平面图上方 The view faces plan-up"));
  return out;
}

/** A drop zone with a file input. */
function upload(label, accept, onFile, name) {
  const id = "up-" + name;
  const file = el("input", { type: "file", id, accept });
  file.addEventListener("change", () => file.files[0] && onFile(file.files[0]));
  const zone = el("div", { class: "drop", style: "border:2px dashed var(--line);padding:.5rem;border-radius:4px;margin-top:.3rem" },
    el("label", { for: id }, label, " — 拖放到这里 or drop it here"), file);
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.style.borderColor = "var(--accent)"; });
  zone.addEventListener("dragleave", () => { zone.style.borderColor = ""; });
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.style.borderColor = "";
    if (e.dataTransfer.files[0]) onFile(e.dataTransfer.files[0]);
  });
  return zone;
}

function sceneEditor() {
  const i = S.scene;
  const sc = scene();
  const f = `scenes.${i}`;
  const get = () => S.site.scenes[i];
  const out = [
    el("h3", {}, `场景 Scene: ${sc.id}`),
    input("编号 Id", `${f}.id`, () => sc.id, (v) => renameScene(i, v.trim())),
    text2("名称 Name", `${f}.name`, get, "name"),
  ];
  out.push(el("label", {}, "描述 Description (for screen readers)"));
  if (!sc.description) sc.description = { zh: "", en: "" };
  out.push(text2("描述 Description", `${f}.description`, get, "description", true));
  out.push(el("h3", {}, "全景 Panorama"), el("div", { "data-field": `${f}.panorama` },
    sc.panorama.Multires ? `${sc.panorama.Multires.face_size} px/face, ${sc.panorama.Multires.levels} levels` : "尚未上传 Not uploaded yet"));
  out.push(upload("上传全景照片 Upload a 2:1 photo (JPEG, PNG)", "image/jpeg,image/png", (file) => uploadPanorama(i, file), "pano"));
  out.push(el("div", { class: "progress", hidden: true, id: "pano-progress" }, el("div")));
  out.push(el("h3", {}, "视角 View and limits"),
    el("p", {}, `起始 Start: yaw ${sc.view.yaw}°, pitch ${sc.view.pitch}°, fov ${sc.view.hfov}°`),
    el("div", { class: "toolbar" },
      limitButton("最近 Closest zoom = now", (l, v) => { l.min_hfov = Math.round(v.hfov); }),
      limitButton("最远 Widest = now", (l, v) => { l.max_hfov = Math.round(v.hfov); }),
      limitButton("最低 Lowest = now", (l, v) => { l.min_pitch = Math.round(v.pitch); }),
      limitButton("最高 Highest = now", (l, v) => { l.max_pitch = Math.round(v.pitch); })),
    el("p", { "data-field": `${f}.limits` }, `fov ${sc.limits.min_hfov}–${sc.limits.max_hfov}°, pitch ${sc.limits.min_pitch}–${sc.limits.max_pitch}°`),
    el("label", {}, el("input", { type: "radio", name: "start", style: "width:auto", checked: (S.site.start_scene || S.site.scenes[0].id) === sc.id,
      onchange: () => edit((s) => { s.start_scene = sc.id; }) }), " 站点从这个场景开始 Visitors enter the site here"));
  out.push(el("h3", {}, "热点 Hotspots"), el("ul", { class: "list" }, sc.hotspots.map((h, k) => el("li", {},
    el("button", { type: "button", class: "pick", "data-field": `${f}.hotspots.${k}`, onclick: () => { S.sel = { kind: "hotspot", index: k }; renderAll(); } }, `${KIND_LABEL[kindOf(h)]} ${h.id}`)))));
  out.push(el("div", { class: "toolbar" },
    el("button", { type: "button", "aria-pressed": String(S.markers), onclick: () => { S.markers = !S.markers; renderAll(); } }, "拖动热点 Drag hotspots")));
  out.push(...narrationEditor(i));
  out.push(el("h3", {}, "删除 Remove"), el("button", { type: "button", onclick: () => removeScene(i) }, `删除场景 Remove scene ${sc.id}`));
  return out;
}

function limitButton(label, fn) {
  return el("button", { type: "button", onclick: () => {
    const v = frameView();
    edit((s) => fn(s.scenes[S.scene].limits, v));
  } }, label);
}

/** A scene's new id, and every reference to it. */
function renameScene(i, id) {
  const old = S.site.scenes[i].id;
  if (!id || id === old) return;
  S.site.scenes[i].id = id;
  for (const s of S.site.scenes) for (const h of s.hotspots) if (h.kind.Go && !h.kind.Go.site && h.kind.Go.scene === old) h.kind.Go.scene = id;
  if (S.site.start_scene === old) S.site.start_scene = id;
  if (S.site.route) S.site.route = S.site.route.map((r) => (r === old ? id : r));
  if (S.site.floor_plan) for (const p of S.site.floor_plan.positions) if (p.scene === old) p.scene = id;
}

function removeScene(i) {
  const id = S.site.scenes[i].id;
  if (!confirm(`删除场景 ${id}？ Remove scene ${id}? (Undo brings it back.)`)) return;
  edit((s) => {
    s.scenes.splice(i, 1);
    if (s.start_scene === id) delete s.start_scene;
    if (s.floor_plan) s.floor_plan.positions = s.floor_plan.positions.filter((p) => p.scene !== id);
    if (s.route) s.route = s.route.filter((r) => r !== id);
  }, true);
  S.scene = Math.max(0, i - 1);
  S.sel = { kind: "scene" };
  renderAll();
}

async function uploadPanorama(i, file) {
  const sc = S.site.scenes[i];
  const bar = $("#pano-progress");
  if (bar) bar.hidden = false;
  $("#status").textContent = `上传中 Uploading ${file.name}…`;
  const r = await api("POST", `/api/v1/studio/panorama?site=${S.site.id}&scene=${sc.id}&name=${encodeURIComponent(file.name)}`, undefined, file);
  if (r.status !== 202) {
    if (bar) bar.hidden = true;
    $("#status").textContent = "";
    return say(r.data.error, "bad");
  }
  for (;;) {
    await new Promise((ok) => setTimeout(ok, 250));
    const j = await api("GET", "/api/v1/studio/jobs/" + r.data.job);
    if (j.status !== 200) return say(j.data.error, "bad");
    const b = $("#pano-progress");
    if (b) b.firstChild.style.width = (100 * j.data.done) / Math.max(1, j.data.total) + "%";
    $("#status").textContent = `切片中 Tiling ${file.name}: ${j.data.done} / ${j.data.total}`;
    if (j.data.state === "failed") return say(j.data.error, "bad");
    if (j.data.state === "done") {
      const id = sc.id;
      edit((s) => {
        const t = s.scenes.find((x) => x.id === id);
        if (t) t.panorama = j.data.panorama;
      }, true);
      $("#status").textContent = `全景已就绪 ${file.name} is ready.`;
      return;
    }
  }
}

// ---- narration: a file or a recording, subtitles timed from its pauses -----------------------

function narrationEditor(i) {
  const sc = S.site.scenes[i];
  const f = `scenes.${i}.narration`;
  const out = [el("h3", {}, "讲解 Narration")];
  const rec = el("button", { type: "button", id: "record" }, S.recorder ? "停止录音 Stop recording" : "录音 Record");
  rec.addEventListener("click", () => (S.recorder ? S.recorder.stop() : record(i)));
  out.push(el("div", { class: "toolbar" }, rec), upload("上传音频 Upload audio (MP3, WAV, M4A, Ogg, WebM…)", "audio/*", (file) => sendAudio(i, file), "audio"));
  const n = sc.narration;
  if (!n) return out;
  out.push(el("audio", { controls: true, src: "/assets/" + n.audio, style: "width:100%" }));
  const zh = el("textarea", { id: "lines-zh", lang: "zh", "data-field": `${f}.cues` }, n.cues.map((c) => c.text.zh).join("\n"));
  const en = el("textarea", { id: "lines-en", lang: "en" }, n.cues.map((c) => c.text.en).join("\n"));
  out.push(el("label", { for: "lines-zh" }, "字幕 Subtitles, one line each (中文)"), zh,
    el("label", { for: "lines-en" }, "Subtitles (English), the same lines"), en,
    el("button", { type: "button", id: "time-lines", onclick: () => timeLines(i, zh.value, en.value) }, "按停顿定时 Time the lines from the pauses"));
  const wave = el("canvas", { id: "wave", width: 600, height: 100, "aria-label": "波形：拖动字幕边界调整时间 Waveform: drag a subtitle's edge to move it", role: "img" });
  // Each line's times as numbers too, for the keyboard.
  out.push(wave, ...n.cues.map((c, k) => el("div", { class: "row" },
    input(`${k + 1}. 开始 start (s)`, `${f}.cues.${k}.start`, () => c.start, (v) => { S.site.scenes[i].narration.cues[k].start = v; }, { type: "number", step: "0.01" }),
    input(`${k + 1}. 结束 end (s)`, `${f}.cues.${k}.end`, () => c.end, (v) => { S.site.scenes[i].narration.cues[k].end = v; }, { type: "number", step: "0.01" }))));
  drawWave(wave, i);
  return out;
}

async function record(i) {
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch (e) {
    return say("无法使用麦克风 The microphone is not available: " + e.message, "bad");
  }
  const chunks = [];
  const r = new MediaRecorder(stream);
  r.ondataavailable = (e) => e.data.size && chunks.push(e.data);
  r.onstop = async () => {
    stream.getTracks().forEach((t) => t.stop());
    S.recorder = null;
    renderEditor();
    await sendAudio(i, new Blob(chunks, { type: r.mimeType || "audio/webm" }));
  };
  S.recorder = r;
  r.start(250);
  renderEditor();
  $("#status").textContent = "录音中 Recording… press Stop when done.";
}

async function sendAudio(i, blob) {
  const sc = S.site.scenes[i];
  $("#status").textContent = "转换音频 Converting the audio…";
  const r = await api("POST", `/api/v1/studio/audio?site=${S.site.id}&scene=${sc.id}`, undefined, blob);
  if (r.status !== 200) { $("#status").textContent = ""; return say(r.data.error, "bad"); }
  S.analysis[sc.id] = r.data;
  const id = sc.id;
  edit((s) => {
    const t = s.scenes.find((x) => x.id === id);
    const cues = t.narration ? t.narration.cues.filter((c) => c.end <= r.data.duration) : [];
    t.narration = { audio: r.data.audio, duration: Math.round(r.data.duration * 1000) / 1000, cues };
  });
  $("#status").textContent = `音频就绪 Audio ready: ${r.data.duration.toFixed(1)} s, ${r.data.speech.length} stretches of speech`;
}

async function timeLines(i, zhText, enText) {
  const sc = S.site.scenes[i];
  const zh = zhText.split("\n").map((l) => l.trim()).filter(Boolean);
  const en = enText.split("\n").map((l) => l.trim()).filter(Boolean);
  if (zh.length !== en.length) return say(`两种语言的行数不同 ${zh.length} Chinese lines and ${en.length} English lines: give each line in both languages.`, "bad");
  const a = S.analysis[sc.id] || { speech: [], duration: sc.narration.duration };
  const r = await api("POST", "/api/v1/studio/timing", { lines: zh.length, speech: a.speech, duration: sc.narration.duration });
  if (r.status !== 200) return say(r.data.error, "bad");
  const round = (x) => Math.round(x * 100) / 100;
  edit((s) => {
    s.scenes[i].narration.cues = r.data.times.map(([a0, b0], k) => ({ start: round(a0), end: round(b0), text: { zh: zh[k], en: en[k] } }));
  });
}

async function peaksOf(sc) {
  const a = S.analysis[sc.id];
  if (a && a.peaks) return a.peaks;
  try {
    const buf = await (await fetch("/assets/" + sc.narration.audio)).arrayBuffer();
    const audio = await new OfflineAudioContext(1, 1, 44100).decodeAudioData(buf);
    const data = audio.getChannelData(0);
    const n = 600;
    const peaks = Array.from({ length: n }, (_, k) => {
      let m = 0;
      for (let j = Math.floor((k * data.length) / n); j < Math.floor(((k + 1) * data.length) / n); j++) m = Math.max(m, Math.abs(data[j]));
      return m;
    });
    S.analysis[sc.id] = { ...(a || {}), peaks, speech: (a && a.speech) || [] };
    return peaks;
  } catch { return []; }
}

async function drawWave(canvas, i) {
  const sc = S.site.scenes[i];
  const n = sc.narration;
  const peaks = await peaksOf(sc);
  const g = canvas.getContext("2d");
  const { width: w, height: h } = canvas;
  const x = (t) => (t / n.duration) * w;
  const paint = () => {
    g.clearRect(0, 0, w, h);
    n.cues.forEach((c, k) => {
      g.fillStyle = k % 2 ? "rgba(139,26,26,.12)" : "rgba(224,168,0,.18)";
      g.fillRect(x(c.start), 0, x(c.end) - x(c.start), h);
    });
    g.fillStyle = "#555";
    peaks.forEach((p, k) => g.fillRect((k / peaks.length) * w, h / 2 - (p * h) / 2, Math.max(1, w / peaks.length), p * h));
    g.fillStyle = "#8b1a1a";
    for (const c of n.cues) { g.fillRect(x(c.start) - 1, 0, 2, h); g.fillRect(x(c.end) - 1, 0, 2, h); }
  };
  paint();
  // Dragging a cue's edge moves it (never past its neighbours).
  canvas.onpointerdown = (e) => {
    const box = canvas.getBoundingClientRect();
    const px = ((e.clientX - box.left) / box.width) * w;
    let best = null;
    n.cues.forEach((c, k) => {
      for (const edge of ["start", "end"]) {
        const d = Math.abs(x(c[edge]) - px);
        if (d < 8 && (!best || d < best.d)) best = { k, edge, d };
      }
    });
    if (!best) return;
    canvas.setPointerCapture(e.pointerId);
    const before = JSON.stringify(S.site);
    canvas.onpointermove = (ev) => {
      const t = Math.round(((ev.clientX - box.left) / box.width) * n.duration * 100) / 100;
      const c = n.cues[best.k];
      const lo = best.edge === "start" ? (n.cues[best.k - 1] ? n.cues[best.k - 1].end : 0) : c.start + 0.1;
      const hi = best.edge === "end" ? (n.cues[best.k + 1] ? n.cues[best.k + 1].start : n.duration) : c.end - 0.1;
      c[best.edge] = Math.min(hi, Math.max(lo, t));
      paint();
    };
    canvas.onpointerup = () => {
      canvas.onpointermove = null;
      canvas.onpointerup = null;
      S.undo.push(before);
      S.redo = [];
      changed();
    };
  };
}

// ---- hotspots --------------------------------------------------------------------------------

function hotspotEditor(k) {
  const i = S.scene;
  const h = () => S.site.scenes[i].hotspots[k];
  const f = `scenes.${i}.hotspots.${k}`;
  const kind = kindOf(h());
  const out = [
    el("button", { type: "button", onclick: () => { S.sel = { kind: "scene" }; renderAll(); } }, "← 返回场景 Back to the scene"),
    el("h3", {}, `热点 Hotspot: ${h().id}`),
    input("编号 Id", `${f}.id`, () => h().id, (v) => { h().id = v.trim(); }),
    el("div", { class: "row" },
      input("方位 Yaw°", `${f}.yaw`, () => h().yaw, (v) => { h().yaw = v; }, { type: "number", step: "0.1", visual: true }),
      input("俯仰 Pitch°", `${f}.pitch`, () => h().pitch, (v) => { h().pitch = v; }, { type: "number", step: "0.1", visual: true })),
  ];
  const kindSel = el("select", { id: "f-kind", "data-field": `${f}.kind` },
    ["Go", "Info", "Memorial", "Link"].map((x) => el("option", { value: x, selected: x === kind }, `${KIND_LABEL[x]} ${x}`)));
  kindSel.addEventListener("change", () => {
    const fresh = { Go: { Go: { scene: "" } }, Info: { Info: { title: { zh: "", en: "" }, body: { zh: "", en: "" } } }, Memorial: { Memorial: "Site" }, Link: { Link: { url: "https://", title: { zh: "", en: "" } } } };
    edit(() => { h().kind = fresh[kindSel.value]; }, true);
  });
  out.push(el("label", { for: "f-kind" }, "类型 Kind"), kindSel);
  if (kind === "Go") {
    const go = () => h().kind.Go;
    const target = el("select", { id: "f-target", "data-field": `${f}.kind.scene` },
      el("option", { value: "" }, "— 选择 choose —"),
      S.site.scenes.map((s) => el("option", { value: s.id, selected: s.id === go().scene }, s.name.zh || s.id)));
    target.addEventListener("change", () => edit(() => { go().scene = target.value; delete go().view; }, true));
    out.push(el("label", { for: "f-target" }, "前往场景 Leads to scene"), target);
    out.push(el("p", {}, go().view ? `到达视角 Arrival view: yaw ${go().view.yaw}°, pitch ${go().view.pitch}°` : "到达视角：目标场景的起始视角 Arrives at the scene's own start view"));
    if (S.arrival) {
      out.push(el("p", {}, "在预览中看向到达后应面对的方向，然后： Look where visitors should face on arrival, then:"),
        el("div", { class: "toolbar" },
          el("button", { type: "button", class: "primary", id: "arrival-use", onclick: () => {
            const v = frameView();
            if (v.scene !== S.arrival.scene) return say("预览尚未显示目标场景 The preview is not showing the target scene yet: wait a moment.", "bad");
            S.arrival = null;
            edit(() => { go().view = { yaw: v.yaw, pitch: v.pitch, hfov: v.hfov }; });
            showFrame();
          } }, "使用这个视角 Use this view"),
          el("button", { type: "button", onclick: () => { S.arrival = null; renderAll(); showFrame(); } }, "取消 Cancel")));
    } else {
      out.push(el("button", { type: "button", id: "arrival-set", disabled: !go().scene, onclick: () => {
        S.arrival = { hotspot: k, scene: go().scene };
        showFrame(false, go().scene);
        renderAll();
      } }, "看向到达方向 Set the arrival view by looking"));
    }
  } else if (kind === "Info") {
    const info = () => h().kind.Info;
    out.push(text2("标题 Title", `${f}.kind.title`, info, "title"), text2("内容 Text", `${f}.kind.body`, info, "body", true));
  } else if (kind === "Memorial") {
    const sel = el("select", { id: "f-memorial", "data-field": `${f}.kind` },
      el("option", { value: "" }, "本站点 The site"),
      (S.site.people || []).map((p) => el("option", { value: p.id, selected: h().kind.Memorial.Person === p.id }, p.name.zh)));
    sel.addEventListener("change", () => edit(() => { h().kind = { Memorial: sel.value ? { Person: sel.value } : "Site" }; }));
    out.push(el("label", { for: "f-memorial" }, "纪念对象 In memory of"), sel);
  } else if (kind === "Link") {
    const link = () => h().kind.Link;
    out.push(input("网址 URL", `${f}.kind.url`, () => link().url, (v) => { link().url = v.trim(); }), text2("标题 Title", `${f}.kind.title`, link, "title"));
  }
  if (!h().description) h().description = { zh: "", en: "" };
  out.push(text2("描述 Description (for screen readers)", `${f}.description`, h, "description"));
  out.push(el("button", { type: "button", style: "margin-top:.6rem", onclick: () => {
    edit((s) => { s.scenes[i].hotspots.splice(k, 1); }, true);
    S.sel = { kind: "scene" };
    renderAll();
  } }, `删除热点 Delete hotspot ${h().id}`));
  return out;
}

// ---- the check, beside the fields ------------------------------------------------------------

function renderChecks() {
  for (const e of document.querySelectorAll(".field-error, .field-warning")) e.remove();
  for (const e of document.querySelectorAll(".has-error")) e.classList.remove("has-error");
  const ul = $("#checks");
  ul.replaceChildren();
  const mine = S.site ? `${S.site.id}.ron` : "";
  const items = S.check.items.filter((it) => it.file === mine || it.severity === "error");
  if (!items.length) ul.append(el("li", {}, "没有问题 No problems found."));
  for (const it of items) {
    const where = it.field ? fieldName(it.field) : `${it.file}:${it.line}:${it.col}`;
    const li = el("li", { class: it.severity }, el("button", { type: "button", onclick: () => goTo(it.field) }, where), ` ${it.severity === "error" ? "错误 error" : "提示 warning"}: ${it.message}`, it.hint ? ` (${it.hint})` : "");
    ul.append(li);
    const box = it.field && bestField(it.field);
    if (box) {
      box.classList.toggle("has-error", it.severity === "error");
      box.insertAdjacentElement("afterend", el("p", { class: "field-" + it.severity, role: it.severity === "error" ? "alert" : null }, it.message));
    }
  }
}

/** The shown input a check path is about: the longest `data-field` that is a prefix of it. */
function bestField(path) {
  let best = null;
  for (const e of document.querySelectorAll("#editor [data-field]")) {
    const f = e.dataset.field;
    if ((path === f || path.startsWith(f + ".")) && (!best || f.length > best.dataset.field.length)) best = e;
  }
  return best;
}

function fieldName(path) {
  const m = path.match(/^scenes\.(\d+)(?:\.hotspots\.(\d+))?/);
  if (!m || !S.site) return path;
  const sc = S.site.scenes[+m[1]];
  if (!sc) return path;
  if (m[2] != null) return `${sc.id} › ${(sc.hotspots[+m[2]] || {}).id} › ${path.split(".").slice(4).join(".")}`;
  return `${sc.id} › ${path.split(".").slice(2).join(".")}`;
}

function goTo(path) {
  if (!path) return;
  const m = path.match(/^scenes\.(\d+)(?:\.hotspots\.(\d+))?/);
  if (m) {
    S.scene = +m[1];
    S.sel = m[2] != null ? { kind: "hotspot", index: +m[2] } : { kind: "scene" };
    showFrame();
  } else S.sel = { kind: "site" };
  renderAll();
  const box = bestField(path);
  if (box) box.focus();
}

function renderPublish() {
  const entry = S.site && S.sites.find((s) => s.id === S.site.id);
  const draft = S.rev > 0 || (entry && entry.draft);
  $("#publish").disabled = !S.site || !draft || S.check.errors > 0;
  $("#publish").title = S.check.errors > 0 ? `先修正 ${S.check.errors} 个错误 Fix the ${S.check.errors} error(s) first` : "";
  $("#discard").disabled = !S.site || !draft;
}

$("#publish").addEventListener("click", async () => {
  await flush();
  const id = S.site.id;
  const r = await api("POST", `/api/v1/studio/sites/${id}/publish`, { rev: S.rev });
  if (r.status === 200) {
    const w = r.data.warnings.length;
    say(`已发布 Published ${id} as version ${r.data.version.n}: visitors see it now.${w ? ` ${w} warning(s) remain.` : ""}`);
    await loadSites();
    await openSite(id);
    say(`已发布 Published ${id} as version ${r.data.version.n}: visitors see it now.${w ? ` ${w} warning(s) remain.` : ""}`);
  } else if (r.status === 409) conflictMessage(r.data);
  else {
    if (r.data.check) { S.check = r.data.check; renderChecks(); }
    say(r.data.error, "bad");
  }
});

$("#discard").addEventListener("click", async () => {
  if (!confirm("放弃这个草稿？ Discard this draft? The published site stays as it is.")) return;
  clearTimeout(S.saveTimer);
  await S.saving;
  const id = S.site.id;
  const r = await api("DELETE", `/api/v1/studio/sites/${id}/draft?rev=${S.rev}`);
  if (r.status !== 204) return say(r.data.error, "bad");
  await loadSites();
  if (S.sites.some((s) => s.id === id)) await openSite(id);
  else { S.site = null; renderAll(); }
  say("草稿已放弃 The draft is discarded.");
});

// ---- versions and the log --------------------------------------------------------------------

for (const b of document.querySelectorAll("[data-close]")) b.addEventListener("click", () => b.closest("dialog").close());

$("#open-versions").addEventListener("click", async () => {
  const r = await api("GET", "/api/v1/studio/versions");
  if (r.status !== 200) return say(r.data.error, "bad");
  const ul = $("#versions");
  ul.replaceChildren();
  const list = r.data.versions.slice().reverse();
  if (!list.length) ul.append(el("li", {}, "还没有发布 Nothing published from the studio yet."));
  list.forEach((v, k) => ul.append(el("li", {},
    el("span", { style: "flex:1" }, `#${v.n} ${v.what} — ${v.by}, ${new Date(v.at * 1000).toLocaleString()}`),
    k === 0 ? el("span", { class: "tag" }, "当前 current") : el("button", { type: "button", "data-restore": v.n, onclick: () => restore(v.n) }, "恢复 Restore"))));
  $("#versions-dialog").showModal();
});

async function restore(n) {
  if (!confirm(`恢复到版本 ${n}？ Restore version ${n}? It is published at once, as a new version.`)) return;
  const r = await api("POST", `/api/v1/studio/versions/${n}/restore`, {});
  $("#versions-dialog").close();
  if (r.status !== 200) return say(r.data.error, "bad");
  await loadSites();
  if (S.site && !S.sites.some((s) => s.id === S.site.id)) { S.site = null; $("#frame").removeAttribute("src"); }
  else if (S.site) await openSite(S.site.id);
  renderAll();
  say(`已恢复版本 ${n} Version ${n} is back (published as version ${r.data.version.n}).`);
}

$("#open-log").addEventListener("click", async () => {
  const r = await api("GET", "/api/v1/studio/log");
  if (r.status !== 200) return say(r.data.error, "bad");
  $("#log").replaceChildren(...r.data.log.map((e) => el("li", {}, `${new Date(e.at * 1000).toLocaleString()} ${e.by} ${e.action} ${e.site} ${e.detail}`)));
  $("#log-dialog").showModal();
});

// ---- drawing everything ----------------------------------------------------------------------

function renderAll() {
  // The panels are drawn afresh: keep the keyboard's place (a field left with Tab, a button).
  const focused = document.activeElement && document.activeElement.id;
  renderSites();
  renderScenes();
  renderEditor();
  renderChecks();
  renderPublish();
  drawMarkers();
  $("#undo").disabled = S.undo.length === 0;
  $("#redo").disabled = S.redo.length === 0;
  if (focused && document.activeElement !== document.getElementById(focused)) document.getElementById(focused)?.focus();
}

if (S.token) signIn(S.token);
else $("#signin").hidden = false;
