// The page's side of looking around by turning the phone and of the VR glasses mode. The viewer
// (src/viewer/gyro.rs, src/viewer/vr.rs) reads what is kept here and calls these functions: the
// browser's orientation events, its permission prompt, full screen, the orientation lock, the
// wake lock and the back gesture are page matters.

let readings = 0;
window.cloudhallOrientation = null;

function screenAngle() {
  if (screen.orientation && typeof screen.orientation.angle === "number") return screen.orientation.angle;
  return typeof window.orientation === "number" ? window.orientation : 0;
}

window.addEventListener("deviceorientation", (e) => {
  if (e.beta == null || e.gamma == null) return; // a desktop's empty event: no gyroscope
  window.cloudhallOrientation = { alpha: e.alpha ?? 0, beta: e.beta, gamma: e.gamma, screen: screenAngle(), n: ++readings };
});

// iOS sends no orientation until the visitor allows it, and only a tap may ask: there the viewer
// offers the gyroscope on the strength of the prompt alone.
window.cloudhallMotionNeedsPermission =
  typeof (window.DeviceOrientationEvent && DeviceOrientationEvent.requestPermission) === "function";

// iOS asks the visitor first, and only from a tap: the viewer calls this as the tap that turned
// the gyroscope on is handled.
window.cloudhallAskMotion = () => {
  const ask = window.DeviceOrientationEvent && DeviceOrientationEvent.requestPermission;
  if (typeof ask !== "function") return;
  ask.call(DeviceOrientationEvent)
    .then((answer) => { document.body.dataset.gyroPermission = answer; })
    .catch((e) => console.warn("the phone's orientation was not allowed:", e));
};

// VR glasses mode: full screen, in landscape, the screen kept awake. The back gesture (or the
// back button) leaves it: entering pushes a history entry, and going back counts in
// `cloudhallVrBack`, which the viewer watches.
let wakeLock = null;
let inVr = false;
window.cloudhallVrBack = 0;

window.cloudhallEnterVr = async () => {
  if (inVr) return;
  inVr = true;
  history.pushState({ cloudhallVr: true }, "", location.href);
  try { await document.documentElement.requestFullscreen?.({ navigationUI: "hide" }); } catch (_) { /* not allowed here */ }
  try { await screen.orientation?.lock?.("landscape"); } catch (_) { /* only in full screen, only on phones */ }
  try { wakeLock = await navigator.wakeLock?.request("screen"); } catch (_) { /* no wake lock: the phone may dim */ }
  document.body.dataset.vr = "on";
};

window.cloudhallLeaveVr = () => {
  if (!inVr) return;
  inVr = false;
  document.body.dataset.vr = "off";
  try { screen.orientation?.unlock?.(); } catch (_) { /* nothing was locked */ }
  if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
  wakeLock?.release().catch(() => {});
  wakeLock = null;
  if (history.state && history.state.cloudhallVr) history.back();
};

window.addEventListener("popstate", () => {
  if (inVr) window.cloudhallVrBack += 1;
});

// The wake lock goes when the page is hidden; it is asked again when the visitor comes back.
document.addEventListener("visibilitychange", async () => {
  if (inVr && document.visibilityState === "visible") {
    try { wakeLock = await navigator.wakeLock?.request("screen"); } catch (_) { /* as above */ }
  }
});
