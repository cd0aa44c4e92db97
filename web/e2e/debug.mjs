import { chromium } from "playwright-core";
const url = process.argv[2];
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium",
  args: ["--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"] });
const page = await browser.newPage({ viewport: { width: 960, height: 540 } });
page.on("console", (m) => console.log("console:", m.type(), m.text().slice(0, 3000)));
page.on("pageerror", (e) => console.log("pageerror:", String(e).slice(0, 500)));
await page.goto(url);
for (let i = 0; i < 1; i++) {
  await page.waitForTimeout(10000);
  const s = await page.evaluate(() => [document.body.dataset.ready, document.getElementById("what").textContent]);
  console.log("t", (i + 1) * 10, s);
  if (s[0] === "1") break;
}
await page.screenshot({ path: "/tmp/demo/web.png" });
await browser.close();
