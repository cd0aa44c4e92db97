import { chromium } from "playwright-core";
const t0 = Date.now();
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium",
  args: ["--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"] });
const page = await browser.newPage({ viewport: { width: 960, height: 540 } });
page.on("crash", () => console.log("CRASH at", Date.now() - t0)); page.on("close", () => console.log("CLOSE at", Date.now() - t0));
const cdp = await page.context().newCDPSession(page);
await cdp.send("Profiler.enable");
await cdp.send("Profiler.setSamplingInterval", { interval: 1000 });
await cdp.send("Profiler.start");
await page.goto(process.argv[2]);
await new Promise((r) => setTimeout(r, Number(process.argv[3] || 25000)));
console.log("stopping");
const { profile } = await cdp.send("Profiler.stop");
const self = new Map();
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const counts = new Map();
for (const s of profile.samples) counts.set(s, (counts.get(s) || 0) + 1);
for (const [id, c] of counts) {
  const n = byId.get(id);
  const k = n.callFrame.functionName + " " + n.callFrame.url.split("/").pop();
  self.set(k, (self.get(k) || 0) + c);
}
const total = profile.samples.length;
console.log("samples", total);
for (const [k, c] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(c, (100 * c / total).toFixed(1) + "%", k);
await browser.close();
