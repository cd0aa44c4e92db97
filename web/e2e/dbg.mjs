import { launchBrowser } from "./common.mjs";
const b = await launchBrowser();
const page = await b.newPage({ viewport: { width: 1024, height: 768 }, hasTouch: true });
await page.goto("http://127.0.0.1:18555/studio");
await page.evaluate(() => sessionStorage.setItem("cloudhall-curator", "curator-token-x"));
await page.reload();
await page.waitForSelector("#app:not([hidden])");
await page.click("#sites li button.pick");
await page.waitForSelector("#f-name-zh");
await page.waitForTimeout(8000);
for (let k = 0; k < 40; k++) {
  await page.keyboard.press("Tab");
  const d = await page.evaluate(() => { const e = document.activeElement; return e ? e.tagName + "#" + e.id + " " + (e.textContent || "").slice(0, 20) : "none"; });
  let inner = "";
  if (d.startsWith("IFRAME")) inner = await page.evaluate(() => { const e = document.querySelector("#frame").contentDocument.activeElement; return e ? e.tagName + "#" + e.id + " " + (e.textContent || "").slice(0, 30) : "none"; });
  console.log(k, d, inner);
}
await b.close();
