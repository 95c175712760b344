// Drives the stream wall in Debian's headless Chromium (playwright-core, no
// browser download): waits for stream STREAM's tile to show it live, then
// to turn to the defect state with the freeze listed and the freeze to
// appear on its timeline, clicks it, and checks
// that the detail shows the defect's thumbnail. Prints what it saw as JSON;
// exits 1 (with a screenshot beside the data directory) when it does not.
//
//   node wall.mjs http://127.0.0.1:PORT STREAM SCREENSHOT.png
import { chromium } from "playwright-core";

const [url, stream, screenshot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
const tile = `.tile[data-id="${stream}"]`;
try {
  await page.goto(url);
  await page.waitForSelector(`${tile}.live`, { timeout: 30000 });
  await page.waitForFunction(sel => {
    const t = document.querySelector(sel);
    return t && t.classList.contains("defect") && t.querySelector(".defects").textContent.includes("video_freeze");
  }, tile, { timeout: 30000 });
  const shown = await page.textContent(`${tile} .defects`);
  const entry = `${tile} .timeline button.video_freeze`;
  await page.waitForSelector(entry, { timeout: 10000 });
  await page.click(entry);
  await page.waitForFunction(() => {
    const img = document.querySelector("#detail-img");
    return img && !img.hidden && img.complete && img.naturalWidth > 0;
  }, null, { timeout: 10000 });
  const title = await page.textContent("#detail-title");
  await page.waitForFunction(sel => document.querySelector(sel).naturalWidth > 0, `${tile} .pic`, { timeout: 10000 })
    .catch(() => {});
  const picture = await page.$eval(`${tile} .pic`, img => img.naturalWidth);
  console.log(JSON.stringify({ shown, title, picture }));
  await browser.close();
} catch (e) {
  await page.screenshot({ path: screenshot, fullPage: true }).catch(() => {});
  console.error(`${e}\nscreenshot: ${screenshot}`);
  await browser.close();
  process.exit(1);
}
