// The staff's pages in headless Chromium against a real `cloudhall serve`:
// - /stats.html, rendered on the server: its charts' bars are as long as the seeded numbers;
// - /admin, the moderation page: a wrong token is refused; messages wait oldest first, a
//   message written as HTML shows as text, words from the word list are marked, and `a`
//   approves the message in hand, logged under the moderator's name.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchBrowser, root, serve } from "./common.mjs";

let server, browser, base, tour, data;
const scenes = join(root, "scenes");
const web = join(root, "web/dist");

async function post(path, body, token) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(base + path, { method: "POST", headers, body: JSON.stringify(body) });
  return [res.status, await res.json().catch(() => ({}))];
}

before(async () => {
  data = mkdtempSync(join(tmpdir(), "cloudhall-staff-"));
  writeFileSync(join(data, "moderators"), "# the hall's staff\nalice:token-of-alice\nbob:token-of-bob\n");
  const words = join(data, "words.txt");
  writeFileSync(words, "# nothing yet\n");
  ({ server, base } = await serve(scenes, data, web, ["--words", words]));
  tour = await (await fetch(base + "/api/v1/tour")).json();
  // Visits: 1, 2 and 4 parts to three sites.
  const sites = tour.sites.slice(0, 3);
  for (const [i, s] of sites.entries()) {
    for (let n = 0; n < 5 * 2 ** i; n++) {
      const [code] = await post("/api/v1/visits", { site: s.id, scene: s.scenes[0].id, client_id: `v${i}` });
      assert.equal(code, 201);
    }
  }
  // Messages to moderate: one written as HTML, one with a word the list will learn later.
  const msg = (key, text) => post("/api/v1/memorial/messages", { target: { site: sites[0].id }, name: "学生", text, client_id: `c-${key}`, idempotency_key: key });
  assert.equal((await msg("m1", "<img src=x onerror=\"document.body.dataset.pwned='1'\"><b>英雄</b>"))[0], 202);
  assert.equal((await msg("m2", "缅怀先烈 scamword 永垂不朽"))[0], 202);
  // The word list now has that word (as after an operator's edit): a restart on the same data.
  server.kill();
  await new Promise((r) => server.once("exit", r));
  writeFileSync(words, "scamword\n");
  ({ server, base } = await serve(scenes, data, web, ["--words", words]));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.kill();
});

test("the statistics page draws bars as long as the numbers, without JavaScript", async () => {
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 900, height: 900 } });
  const page = await context.newPage();
  await page.goto(base + "/stats.html");
  assert.equal(await page.locator("#total-visits").textContent(), "35");
  const bars = await page.$$eval('[data-chart="visits-per-site"] svg rect[fill="#A01E1E"]', (rs) =>
    rs.map((r) => Number(r.getAttribute("width"))));
  const drawn = bars.filter((w) => w > 0);
  assert.equal(drawn.length, 3, `three sites have visits: ${bars}`);
  // Sites are listed by id: find each seeded site's bar by its rank.
  const order = tour.sites.slice(0, 3).map((s) => s.id);
  const sorted = [...order].sort();
  const width = (id) => drawn[sorted.indexOf(id)];
  const unit = width(order[0]);
  assert.ok(Math.abs(width(order[1]) / unit - 2) < 0.1 && Math.abs(width(order[2]) / unit - 4) < 0.15,
    `bars in proportion 1:2:4: ${order.map(width)}`);
  // Today's bar in the 30 days chart is the tallest, and the numbers are in the table too.
  const days = await page.$$eval('[data-chart="visits-30-days"] svg rect[fill="#A01E1E"]', (rs) =>
    rs.map((r) => Number(r.getAttribute("height"))));
  assert.equal(days.length, 30);
  assert.ok(days[29] > 0 && days.slice(0, 29).every((h) => h === 0), `${days}`);
  const cells = await page.$$eval('[data-chart="visits-30-days"] td.n', (tds) => tds.map((t) => t.textContent));
  assert.equal(cells[29], "35");
  const csv = await (await fetch(base + "/api/v1/stats.csv")).text();
  assert.match(csv, /^chart,label,value\n/);
  assert.match(csv, /\ntotals,total-visits,35\n/);
  await context.close();
});

test("moderation: a wrong token is refused; HTML shows as text, listed words are marked, and a approves", async () => {
  const page = await browser.newPage({ viewport: { width: 900, height: 900 } });
  const problems = [];
  page.on("pageerror", (e) => problems.push(String(e)));
  await page.goto(base + "/admin");
  await page.fill("#token", "token-of-eve");
  await page.press("#token", "Enter");
  await page.waitForFunction(() => document.getElementById("signin-error").textContent.length > 0);
  assert.equal(await page.isHidden("#queue"), true, "nothing is shown to a wrong token");

  await page.fill("#token", "token-of-alice");
  await page.press("#token", "Enter");
  await page.waitForFunction(() => document.body.dataset.ready === "1" && document.body.dataset.pending === "2");
  assert.equal(await page.textContent("#who"), "alice");
  assert.equal(await page.evaluate(() => sessionStorage.getItem("cloudhall-moderator-token")), "token-of-alice",
    "the token is kept for this tab");
  assert.equal(await page.evaluate(() => localStorage.length), 0, "and nowhere else");
  const items = page.locator("#pending li");
  // Oldest first: the HTML one, shown as the text it is.
  assert.equal(await items.nth(0).locator(".text").textContent(), "<img src=x onerror=\"document.body.dataset.pwned='1'\"><b>英雄</b>");
  assert.equal(await page.locator("#pending img, #pending b").count(), 0, "no element came from a visitor's text");
  assert.equal(await page.evaluate(() => document.body.dataset.pwned), undefined);
  assert.equal(await items.nth(1).locator("mark").textContent(), "scamword", "the listed word is marked");

  // j moves to the second, k back to the first; a approves it.
  await page.keyboard.press("j");
  await page.keyboard.press("k");
  const first = await items.nth(0).getAttribute("data-id");
  await page.keyboard.press("a");
  await page.waitForFunction(() => document.body.dataset.pending === "1");
  assert.notEqual(await items.nth(0).getAttribute("data-id"), first);
  assert.match(await page.textContent("#log"), new RegExp(`alice · 通过 approved #${first}`));
  const shown = await (await fetch(`${base}/api/v1/memorial/messages?site=${tour.sites[0].id}`)).json();
  assert.deepEqual(shown.messages.map((m) => String(m.id)), [first], "the approved message is shown to visitors");
  // r rejects the other; the queue is empty.
  await page.keyboard.press("r");
  await page.waitForFunction(() => document.body.dataset.pending === "0");
  assert.equal(await page.isVisible("#empty"), true);
  assert.deepEqual(problems, []);
  await page.close();
});
