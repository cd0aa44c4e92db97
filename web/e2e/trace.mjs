import { chromium } from "playwright-core";
import fs from "node:fs";
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium",
  args: ["--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"] });
const page = await browser.newPage({ viewport: { width: 960, height: 540 } });
await browser.startTracing(page, { path: "/tmp/trace.json", categories: ["disabled-by-default-v8.cpu_profiler", "v8", "devtools.timeline", "toplevel"] });
await page.goto(process.argv[2]);
await new Promise((r) => setTimeout(r, Number(process.argv[3] || 25000)));
console.log("stopping");
await browser.stopTracing();
console.log("stopped");
await browser.close();
