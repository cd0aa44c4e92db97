// What the browser tests share: the cloudhall binary and a runner for it, `cloudhall serve` on a
// random port, headless Chromium with WebGL2 on SwiftShader, and the render-test panorama at the
// smallest size `cloudhall tiles` takes.
//
// CLOUDHALL_BIN: the cloudhall binary (default: the debug build in CARGO_TARGET_DIR).
// CHROMIUM: the browser (default: Debian's /usr/bin/chromium).
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { decodePng, encodePng } from "./png.mjs";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const target = process.env.CARGO_TARGET_DIR || join(homedir(), ".cache/cloudhall/target");
export const bin = process.env.CLOUDHALL_BIN || join(target, "debug/cloudhall");
// The Vulkan loader wants a private runtime dir for cloudhall's headless frames: mkdtemp makes
// it 0700.
const xdg = mkdtempSync(join(tmpdir(), "cloudhall-xdg-"));

/** Runs cloudhall to the end and returns it; its output is the failure message if it does not exit 0. */
export function cloudhall(...args) {
  const r = spawnSync(bin, args, { encoding: "utf8", timeout: 300_000,
    env: { ...process.env, WGPU_BACKEND: "vulkan", XDG_RUNTIME_DIR: xdg, RUST_LOG: "warn" } });
  assert.equal(r.status, 0, `cloudhall ${args.join(" ")}: ${r.error ?? ""}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** A port the system says is free now (it may be taken again before use: `serve` retries). */
async function freePort() {
  const { createServer } = await import("node:net");
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** `cloudhall serve` of the tour in `scenes` with the web build in `web` (and `extra` arguments),
 * on a free port, once it answers: the process and its base URL. A port taken between the
 * choice and the server's start (by another test's connection) is given up for another one. */
export async function serve(scenes, data, web, extra = []) {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const server = spawn(bin, ["serve", "--addr", `127.0.0.1:${port}`, "--tour", scenes, "--data", data, "--web", web, ...extra],
      { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, RUST_LOG: "warn" } });
    let exited = false;
    server.once("exit", () => { exited = true; });
    for (let i = 0; !exited; i++) {
      try { if ((await fetch(base + "/health")).ok) return { server, base }; } catch (_) { /* not up yet */ }
      if (i > 300) throw new Error("the server did not come up");
      await new Promise((r) => setTimeout(r, 100));
    }
    if (attempt >= 5) throw new Error("the server would not start (five ports tried)");
  }
}

/** The bundled tour served with the web build, on a fresh data folder named `tag`: the server,
 * its base URL, the tour as the API gives it, and a browser. `close` ends both. */
export async function bundledHall(tag) {
  const { server, base } = await serve(join(root, "scenes"), mkdtempSync(join(tmpdir(), `cloudhall-${tag}-`)), join(root, "web/dist"));
  const tour = await (await fetch(base + "/api/v1/tour")).json();
  const browser = await launchBrowser();
  return { server, base, tour, browser, close: async () => { await browser.close(); server.kill(); } };
}

/** Headless Chromium with WebGL2 on SwiftShader (and `extra` switches). */
export function launchBrowser(extra = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist", ...extra],
  });
}

/** The render-test panorama (512x256) as decoded pixels. */
export const fixture = decodePng(readFileSync(join(root, "tests/fixtures/assets/test-pano.png")));

/** The render-test panorama at 2048x1024 (PNG bytes), each pixel repeated 4x4: its discs sharp
 * and where they were, at the smallest size `cloudhall tiles` takes. */
export const fixture2048 = () =>
  encodePng(2048, 1024, (x, y) => fixture.pixel(x * fixture.width >> 11, y * fixture.height >> 10));

/** The mean colour of the 5x5 pixels at the centre of a decoded frame (a single pixel could
 * sit on an edge). */
export function centre(img) {
  const s = [0, 0, 0];
  const [cx, cy] = [img.width / 2, img.height / 2];
  for (let d = 0; d < 25; d++) img.pixel(cx + (d % 5) - 2, cy + Math.floor(d / 5) - 2).forEach((v, k) => { s[k] += v; });
  return s.map((v) => Math.round(v / 25));
}

/** Mean absolute difference per channel between two decoded frames of one size, over the region
 * given as fractions of the frame ([x0, y0, x1, y1]; default the middle 40% x 40%). */
export function meanDifference(a, b, [x0, y0, x1, y1] = [0.3, 0.3, 0.7, 0.7]) {
  let sum = 0, n = 0;
  for (let y = Math.round(a.height * y0); y < Math.round(a.height * y1); y++) {
    for (let x = Math.round(a.width * x0); x < Math.round(a.width * x1); x++) {
      const [p, q] = [a.pixel(x, y), b.pixel(x, y)];
      for (let k = 0; k < 3; k++) sum += Math.abs(p[k] - q[k]);
      n += 3;
    }
  }
  return sum / n;
}

/** The first run of `run` pixels, in reading order, within `tol` of `rgb`: where a button of
 * that colour starts (a run that long is no stray pixel of the panorama). */
export function findColour(png, [r, g, b], tol = 6, run = 40) {
  for (let y = 0; y < png.height; y++) {
    let n = 0;
    for (let x = 0; x < png.width; x++) {
      const [pr, pg, pb] = png.pixel(x, y);
      n = Math.abs(pr - r) <= tol && Math.abs(pg - g) <= tol && Math.abs(pb - b) <= tol ? n + 1 : 0;
      if (n === run) return [x - run + 1, y];
    }
  }
  return null;
}
