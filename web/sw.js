// The hall's offline copy. After a first visit the page, the viewer, the tour and every scene the
// visitor has seen open with no network; a scene not seen yet says that it needs the network.
//
// - The page and its code: from the network when it answers (a new build shows at once), else
//   from the cache. The page registers this worker once the viewer runs, so its own download of
//   the viewer is in the browser's HTTP cache and is not fetched twice.
// - The tour (api/v1/tour): the same, so a changed tour is seen online and the last one offline.
// - Assets (tiles, previews, narration, plans): from the cache first, kept as they pass. Their
//   URLs carry their content version (?v=, named by the tour: src/server/versions.rs), so a file
//   changed on the server (a scene tiled again) is a new URL, fetched anew; its older versions
//   then go, and the assets together stay within ASSET_BYTES, the ones kept longest ago going
//   first (web/sw-cache.mjs). Offline, an older version is better than nothing. The page posts
//   the assets it fetched before this worker took over ({cache: [urls]}), so the first scene is
//   kept too.
// - Writes (visits, offerings, messages) are never answered from here: the memorial keeps its
//   own queue in local storage and sends it, once, when the server answers again.

import { evictions } from "./sw-cache.mjs";

// v2: asset URLs carry versions; v1's unversioned copies are let go at activation.
const CACHE = "cloudhall-v2";
const CORE = ["./", "index.html", "loader.js", "first.js", "device.js", "a11y.js", "sw-cache.mjs", "cloudhall.js", "cloudhall_bg.wasm",
  "build.json", "manifest.webmanifest", "icon-192.png", "icon-512.png", "api/v1/tour"];
// The most bytes of assets kept (the page and its code aside): the whole bundled hall at phone
// sizes is about a third of this.
const ASSET_BYTES = 300 * 1024 * 1024;

const isAsset = (url) => new URL(url).pathname.includes("/assets/");

// The assets kept, oldest first, with their sizes: read from the cache once per start of this
// worker, then kept up to date here. One change at a time (a queue), so that two fetches
// finishing together cannot count the same bytes twice.
let index = null;
let queue = Promise.resolve();
async function sizeOf(res) {
  const n = Number(res.headers.get("content-length"));
  return Number.isFinite(n) && n > 0 ? n : (await res.clone().blob()).size;
}
async function readIndex(cache) {
  if (index) return index;
  index = [];
  for (const req of await cache.keys()) {
    if (!isAsset(req.url)) continue;
    const res = await cache.match(req);
    if (res) index.push({ url: req.url, bytes: await sizeOf(res) });
  }
  return index;
}

/** Keep an asset's answer, then let go of what sw-cache.mjs says. */
function keep(cache, request, res) {
  queue = queue.then(async () => {
    const entries = await readIndex(cache);
    const url = request.url;
    const bytes = await sizeOf(res);
    await cache.put(request, res);
    const at = entries.findIndex((e) => e.url === url);
    if (at >= 0) entries.splice(at, 1);
    entries.push({ url, bytes });
    const gone = new Set(evictions(entries, ASSET_BYTES));
    for (const u of gone) await cache.delete(u);
    index = entries.filter((e) => !gone.has(e.url));
  }).catch(() => {});
  return queue;
}

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // One by one: a file missing from a build (an icon) must not stop the others.
    await Promise.all(CORE.map((u) => cache.add(new Request(u, { cache: "no-cache" })).catch(() => {})));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  const urls = (event.data && event.data.cache) || [];
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    for (const u of urls) {
      const url = new URL(u, self.registration.scope);
      if (url.origin !== self.location.origin || !url.pathname.includes("/assets/")) continue;
      if (await cache.match(url)) continue;
      try {
        const res = await fetch(url);
        if (res.status === 200) await keep(cache, new Request(url), res);
      } catch (_) { /* offline already: nothing to keep */ }
    }
  })());
});

const offline = (what) => new Response(JSON.stringify({ error: `offline: ${what} needs the network` }), {
  status: 503,
  statusText: "Offline",
  headers: { "Content-Type": "application/json", "X-Cloudhall-Offline": "1" },
});

async function networkFirst(request, key) {
  const cache = await caches.open(CACHE);
  try {
    const res = await fetch(request);
    if (res.ok) await cache.put(key, res.clone());
    return res;
  } catch (_) {
    return (await cache.match(key, { ignoreSearch: true })) || offline(new URL(request.url).pathname);
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(request, { ignoreVary: true });
  if (kept) return kept;
  try {
    const res = await fetch(request);
    // Whole answers only: a Range answer (206) cannot stand for the file.
    if (res.status === 200) await keep(cache, request, res.clone());
    return res;
  } catch (_) {
    // Offline: another version of the file, if one is kept, rather than nothing.
    return (await cache.match(request, { ignoreSearch: true, ignoreVary: true })) || offline("this scene");
  }
}

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  const path = url.pathname;
  if (path.includes("/assets/")) {
    if (req.headers.has("range")) return;
    event.respondWith(cacheFirst(req));
  } else if (path.endsWith("/api/v1/tour")) {
    event.respondWith(networkFirst(req, new Request("api/v1/tour")));
  } else if (req.mode === "navigate") {
    event.respondWith(networkFirst(req, new Request("./")));
  } else if (!path.includes("/api/") && !path.endsWith("/health") && !path.endsWith("/metrics")) {
    event.respondWith(networkFirst(req, req));
  }
});
