// Open a page of the hall headlessly and say what happens: console messages, page errors and the
// loading bar, then a screenshot. `node debug.mjs URL [OUT.png]`, for looking at a failing test.
import { chromium } from "playwright-core";
const url = process.argv[2];
const out = process.argv[3] || "hall.png";
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium",
  args: ["--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"] });
const page = await browser.newPage({ viewport: { width: 960, height: 540 } });
page.on("console", (m) => console.log("console:", m.type(), m.text().slice(0, 3000)));
page.on("pageerror", (e) => console.log("pageerror:", String(e).slice(0, 500)));
await page.goto(url);
for (let i = 0; i < 12; i++) {
  await page.waitForTimeout(4000);
  const s = await page.evaluate(() => [document.body.dataset.ready, document.getElementById("what").textContent]);
  console.log("t", (i + 1) * 10, s);
  if (s[0] === "1") break;
}
await page.screenshot({ path: out });
console.log("screenshot:", out);
await browser.close();
