// The first view, drawn by the page while the viewer (WebAssembly, a few MB) is still on its way.
//
// On a phone the viewer takes seconds to arrive; the scene's level-1 tiles (six small JPEGs, the
// whole sphere) take a fraction of that. This module finds the scene the address asks for in the
// tour, draws it with a few lines of WebGL2 and lets the visitor look around by dragging. The
// viewer then takes over at the view the visitor has reached (window.cloudhallFirstView, read by
// src/viewer/web.rs until the page hands over), so nothing jumps.
//
// Conventions are the viewer's (src/pano): yaw grows to the right, pitch upward, hfov is the
// horizontal field of view; faces are Pannellum's f r b l u d, seen from inside the cube.

const FACES = ["f", "r", "b", "l", "u", "d"];

// The scene, its view and limits, as the viewer chooses them (src/viewer/mod.rs start_position,
// nav.rs enter_first_scene): the address's site and scene, else the tour's start; the address's
// yaw, pitch and hfov over the scene's own view, clamped to the scene's limits.
export function startScene(tour, params) {
  const siteId = params.get("site") || tour.start_site;
  let site = tour.sites.find((s) => s.id === siteId);
  let scene = site && site.scenes.find((s) => s.id === params.get("scene"));
  if (!site || (params.get("scene") && !scene)) site = tour.sites.find((s) => s.id === tour.start_site);
  if (!site) return null;
  scene = scene || site.scenes.find((s) => s.id === site.start_scene) || site.scenes[0];
  if (!scene) return null;
  const num = (k) => {
    const v = params.get(k);
    return v !== null && v.trim() !== "" && Number.isFinite(Number(v)) ? Number(v) : null;
  };
  const lim = scene.limits;
  const view = {
    yaw: num("yaw") ?? scene.view.yaw,
    pitch: num("pitch") ?? scene.view.pitch,
    hfov: num("hfov") ?? scene.view.hfov,
  };
  return { site, scene, view: clamp(view, lim), limits: lim };
}

export function clamp(v, lim) {
  const c = (x, a, b) => Math.min(Math.max(x, a), Math.max(a, b));
  const yaw = ((((v.yaw + 180) % 360) + 360) % 360) - 180;
  return { yaw, pitch: c(v.pitch, lim.min_pitch, lim.max_pitch), hfov: c(v.hfov, lim.min_hfov, lim.max_hfov) };
}

// The URL of asset `rel`, with its content version from the tour when it names one (its own, or
// its deepest folder's): the same URL the viewer asks for (src/api.rs asset_version), so that
// what the page fetched first is what the viewer finds, and a changed file is a new URL.
export function assetUrl(tour, rel) {
  const versions = (tour && tour.versions) || {};
  let v = versions[rel];
  if (v === undefined) {
    let best = "";
    for (const k of Object.keys(versions)) if (k.endsWith("/") && rel.startsWith(k) && k.length > best.length) best = k;
    if (best) v = versions[best];
  }
  return v === undefined ? "assets/" + rel : `assets/${rel}?v=${v}`;
}

// The images that show the whole sphere soonest: a pyramid's level 1 (one tile a face), a cube's
// faces, an equirect's one image; and a pyramid's small preview, which may come first.
export function firstImages(panorama) {
  if (panorama.Multires) {
    const m = panorama.Multires;
    const tile = (f) => m.path.replace("%l", "1").replace("%s", f).replace("%y", "0").replace("%x", "0");
    return { kind: "cube", files: FACES.map(tile), preview: m.preview || null };
  }
  if (panorama.Cube) return { kind: "cube", files: panorama.Cube, preview: null };
  if (panorama.Equirect) return { kind: "equirect", files: [panorama.Equirect], preview: null };
  return null;
}

const VERTEX = `#version 300 es
in vec2 p; out vec2 ndc;
void main() { ndc = p; gl_Position = vec4(p, 0.0, 1.0); }`;

// The ray through each pixel, turned by pitch then yaw as the viewer's camera is
// (Quat::from_euler(YXZ, -yaw, pitch, 0)); then the face it meets (src/pano/multires.rs face_of)
// or the equirect pixel (src/pano equirect_uv).
const FRAGMENT = `#version 300 es
precision highp float;
precision highp sampler2DArray;
in vec2 ndc; out vec4 colour;
uniform float yaw, pitch, tanHalf, aspect;
uniform int equirect;
uniform sampler2DArray faces;
uniform sampler2D equi;
void main() {
  vec3 v = normalize(vec3(ndc.x * tanHalf, ndc.y * tanHalf / aspect, -1.0));
  float cp = cos(pitch), sp = sin(pitch);
  v = vec3(v.x, v.y * cp - v.z * sp, v.y * sp + v.z * cp);
  float cy = cos(-yaw), sy = sin(-yaw);
  vec3 d = vec3(v.x * cy + v.z * sy, v.y, -v.x * sy + v.z * cy);
  if (equirect == 1) {
    float u = 0.5 + atan(d.x, -d.z) / 6.2831853;
    float t = 0.5 - asin(clamp(d.y, -1.0, 1.0)) / 3.1415927;
    colour = textureLod(equi, vec2(u, t), 0.0);
    return;
  }
  vec3 a = abs(d);
  float layer; vec3 n, r, dn;
  if (a.x >= a.y && a.x >= a.z) {
    if (d.x > 0.0) { layer = 1.0; n = vec3(1,0,0); r = vec3(0,0,1); dn = vec3(0,-1,0); }
    else { layer = 3.0; n = vec3(-1,0,0); r = vec3(0,0,-1); dn = vec3(0,-1,0); }
  } else if (a.y >= a.z) {
    if (d.y > 0.0) { layer = 4.0; n = vec3(0,1,0); r = vec3(1,0,0); dn = vec3(0,0,-1); }
    else { layer = 5.0; n = vec3(0,-1,0); r = vec3(1,0,0); dn = vec3(0,0,1); }
  } else if (d.z < 0.0) { layer = 0.0; n = vec3(0,0,-1); r = vec3(1,0,0); dn = vec3(0,-1,0); }
  else { layer = 2.0; n = vec3(0,0,1); r = vec3(-1,0,0); dn = vec3(0,-1,0); }
  float depth = dot(d, n);
  vec2 uv = (vec2(dot(d, r), dot(d, dn)) / depth + 1.0) * 0.5;
  colour = texture(faces, vec3(uv, layer));
}`;

// A canvas that draws a panorama from decoded images (ImageBitmaps) at a view.
export class FirstView {
  constructor(canvas) {
    this.canvas = canvas;
    const gl = canvas.getContext("webgl2", { antialias: false, alpha: false, preserveDrawingBuffer: true });
    if (!gl) throw new Error("no WebGL2");
    this.gl = gl;
    const shader = (type, src) => {
      const s = gl.createShader(type);
      gl.shaderSource(s, src);
      gl.compileShader(s);
      if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(s));
      return s;
    };
    const prog = gl.createProgram();
    gl.attachShader(prog, shader(gl.VERTEX_SHADER, VERTEX));
    gl.attachShader(prog, shader(gl.FRAGMENT_SHADER, FRAGMENT));
    gl.linkProgram(prog);
    if (!gl.getProgramParameter(prog, gl.LINK_STATUS)) throw new Error(gl.getProgramInfoLog(prog));
    gl.useProgram(prog);
    this.prog = prog;
    gl.bindBuffer(gl.ARRAY_BUFFER, gl.createBuffer());
    gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([-1, -1, 3, -1, -1, 3]), gl.STATIC_DRAW);
    const at = gl.getAttribLocation(prog, "p");
    gl.enableVertexAttribArray(at);
    gl.vertexAttribPointer(at, 2, gl.FLOAT, false, 0, 0);
    this.u = Object.fromEntries(["yaw", "pitch", "tanHalf", "aspect", "equirect", "faces", "equi"]
      .map((k) => [k, gl.getUniformLocation(prog, k)]));
    gl.uniform1i(this.u.faces, 0);
    gl.uniform1i(this.u.equi, 1);
    this.ready = false;
  }

  texture(target, unit) {
    const gl = this.gl;
    const t = gl.createTexture();
    gl.activeTexture(gl.TEXTURE0 + unit);
    gl.bindTexture(target, t);
    for (const [k, v] of [[gl.TEXTURE_MIN_FILTER, gl.LINEAR], [gl.TEXTURE_MAG_FILTER, gl.LINEAR],
      [gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE], [gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE]]) gl.texParameteri(target, k, v);
    return t;
  }

  // Six square faces of one size, in the order f r b l u d.
  setFaces(bitmaps) {
    const gl = this.gl;
    const size = bitmaps[0].width;
    if (bitmaps.some((b) => b.width !== size || b.height !== size)) throw new Error("the faces differ in size");
    this.texture(gl.TEXTURE_2D_ARRAY, 0);
    gl.texStorage3D(gl.TEXTURE_2D_ARRAY, 1, gl.RGBA8, size, size, 6);
    bitmaps.forEach((b, i) => gl.texSubImage3D(gl.TEXTURE_2D_ARRAY, 0, 0, 0, i, size, size, 1, gl.RGBA, gl.UNSIGNED_BYTE, b));
    gl.uniform1i(this.u.equirect, 0);
    this.ready = true;
  }

  // One 2:1 image (an equirect, or a pyramid's preview).
  setEquirect(bitmap) {
    const gl = this.gl;
    this.texture(gl.TEXTURE_2D, 1);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, gl.RGBA, gl.UNSIGNED_BYTE, bitmap);
    gl.uniform1i(this.u.equirect, 1);
    this.ready = true;
  }

  draw(view) {
    const gl = this.gl;
    const dpr = Math.min(window.devicePixelRatio || 1, 2);
    const w = Math.max(1, Math.round(this.canvas.clientWidth * dpr));
    const h = Math.max(1, Math.round(this.canvas.clientHeight * dpr));
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    gl.viewport(0, 0, w, h);
    const rad = Math.PI / 180;
    gl.uniform1f(this.u.yaw, view.yaw * rad);
    gl.uniform1f(this.u.pitch, view.pitch * rad);
    gl.uniform1f(this.u.tanHalf, Math.tan((view.hfov * rad) / 2));
    gl.uniform1f(this.u.aspect, w / h);
    gl.drawArrays(gl.TRIANGLES, 0, 3);
  }
}

// Dragging turns the view as the viewer does (src/pano/view.rs drag: the panorama follows the
// finger); the wheel and two fingers zoom. `onChange(view)` after each change.
export function lookAround(canvas, state, onChange) {
  const pointers = new Map();
  let pinch = null;
  const vfov = (hfov, aspect) => (2 * Math.atan(Math.tan((hfov * Math.PI) / 360) / aspect) * 180) / Math.PI;
  canvas.addEventListener("pointerdown", (e) => {
    if (!state.active) return;
    canvas.setPointerCapture(e.pointerId);
    pointers.set(e.pointerId, [e.clientX, e.clientY]);
    pinch = null;
  });
  canvas.addEventListener("pointermove", (e) => {
    const last = pointers.get(e.pointerId);
    if (!state.active || !last) return;
    const w = canvas.clientWidth || 1, h = canvas.clientHeight || 1;
    if (pointers.size === 1) {
      const v = state.view;
      const dx = e.clientX - last[0], dy = e.clientY - last[1];
      state.view = clamp({ yaw: v.yaw - (dx * v.hfov) / w, pitch: v.pitch + (dy * vfov(v.hfov, w / h)) / h, hfov: v.hfov }, state.limits);
    }
    pointers.set(e.pointerId, [e.clientX, e.clientY]);
    if (pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      const d = Math.hypot(a[0] - b[0], a[1] - b[1]);
      pinch = pinch || { d, hfov: state.view.hfov };
      state.view = clamp({ ...state.view, hfov: (pinch.hfov * pinch.d) / Math.max(d, 1) }, state.limits);
    }
    onChange(state.view);
  });
  const up = (e) => { pointers.delete(e.pointerId); pinch = null; };
  canvas.addEventListener("pointerup", up);
  canvas.addEventListener("pointercancel", up);
  canvas.addEventListener("wheel", (e) => {
    if (!state.active) return;
    e.preventDefault();
    state.view = clamp({ ...state.view, hfov: state.view.hfov * Math.pow(1.1, Math.sign(e.deltaY)) }, state.limits);
    onChange(state.view);
  }, { passive: false });
}
