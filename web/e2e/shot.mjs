// Open a page of the hall, optionally click at points (x,y,...), and save a screenshot:
// `node shot.mjs URL OUT.png [x,y ...]`, for finding where things are on the page.
import { chromium } from "playwright-core";
const [url, out, ...clicks] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium",
  args: ["--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"] });
const page = await browser.newPage({ viewport: { width: Number(process.env.W || 960), height: Number(process.env.H || 540) },
  isMobile: !!process.env.MOBILE, hasTouch: !!process.env.MOBILE, deviceScaleFactor: Number(process.env.DPR || 1) });
page.on("pageerror", (e) => console.log("pageerror:", String(e).slice(0, 500)));
page.on("console", (m) => { if (m.type() === "error" || m.text().includes("WARN") || m.text().includes("ERROR")) console.log("console:", m.text().slice(0, 300)); });
await page.goto(url);
await page.waitForFunction(() => document.body.dataset.ready === "1", null, { timeout: 120000 });
await page.waitForTimeout(1500);
for (const c of clicks) {
  const [x, y] = c.split(",").map(Number);
  await page.mouse.click(x, y, { delay: 120 });
  await page.waitForTimeout(1500);
}
await page.screenshot({ path: out });
console.log("url:", page.url());
await browser.close();
