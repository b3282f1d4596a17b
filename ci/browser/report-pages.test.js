// The checker's report pages in a real browser: headless Chromium (Debian's `chromium`),
// driven by playwright-core (which never downloads a browser of its own here).
//
//   node ci/browser/report-pages.test.js [PAGES_DIR] [SCREENSHOT_DIR]
//
// PAGES_DIR (default target-loom/webpool-check/webpool-verdicts/verdicts) holds the verdict matrix's report
// pages, as `cargo test -p webpool-verdicts` under loom writes them. For each card's page
// (CHECK.html; not the .record copies) it asserts: no script error and no console error; every
// step reachable with the arrow keys, in order, from the first to the last and back; at each
// step the highlighted code line is the step's file:line, and its text is that line of the file
// on disk; the swimlane's cursor sits on the step's row. Then the two done-when checks:
// the while-let deadlock's page at step 9 ("worker 0 locks L1") shows the `while let` line and
// worker 0's lock bar running to the end; the lost wake-up's page marks a notify that woke
// nobody. A screenshot of each page goes to SCREENSHOT_DIR (default
// target-loom/report-screenshots), and the while-let page's, README-sized, to report-page.jpg
// there (docs/report-page.jpg is a copy).
//
// No browser, no pages: the test fails and says so. It never passes having checked nothing.
"use strict";

const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..", "..");
const pagesDir = path.resolve(process.argv[2] || path.join(root, "target-loom/webpool-check/webpool-verdicts/verdicts"));
const shotsDir = path.resolve(process.argv[3] || path.join(root, "target-loom/report-screenshots"));
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";

/** Fails the whole test with `message`. */
function fail(message) {
  console.error(`report pages: FAILED: ${message}`);
  process.exit(1);
}

function check(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}

/** The report pages under `dir`: CHECK.html of each card folder (not index, not .record/.replay). */
function reportPages(dir) {
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === "rows") {
      continue;
    }
    for (const file of fs.readdirSync(path.join(dir, entry.name))) {
      if (/^[a-z_]+\.html$/.test(file)) {
        found.push(path.join(dir, entry.name, file));
      }
    }
  }
  return found.sort();
}

/** Line `line` (1-based) of source `file`, as a step names it (relative to the repository). */
function sourceLine(file, line) {
  const full = path.isAbsolute(file) ? file : path.join(root, file);
  if (!fs.existsSync(full)) {
    return null;
  }
  return fs.readFileSync(full, "utf8").split("\n")[line - 1];
}

/** What the page shows now: the current step, the code panel, the swimlane's cursor. */
async function shown(page) {
  return page.evaluate(() => {
    const current = document.querySelectorAll("#steps tr.current");
    const where = document.getElementById("code-where");
    const hit = document.querySelectorAll("#code-lines .line.hit");
    const cursor = document.getElementById("lane-cursor");
    const n = current.length === 1 ? Number(current[0].getAttribute("data-step")) : null;
    const text = n === null ? null : document.querySelector(`#lane svg text[data-step="${n}"]`);
    return {
      current: current.length,
      step: n,
      rowText: current.length === 1 ? current[0].textContent : null,
      position: document.getElementById("position").textContent,
      file: where.getAttribute("data-file"),
      line: where.getAttribute("data-line"),
      hits: Array.prototype.map.call(hit, (el) => ({
        line: Number(el.getAttribute("data-line")),
        text: el.childNodes[1] ? el.childNodes[1].textContent : "",
      })),
      cursorY: cursor ? Number(cursor.getAttribute("y")) : null,
      stepY: text ? Number(text.getAttribute("y")) : null,
    };
  });
}

/** Walks `page` through every step by keyboard, checking each; returns the step count. */
async function walk(page, name) {
  const data = await page.evaluate(() => JSON.parse(document.getElementById("data").textContent));
  const total = data.steps.length;
  check(total > 0, `${name}: no steps`);
  await page.keyboard.press("Home");
  for (let n = 1; n <= total; n++) {
    const now = await shown(page);
    const step = data.steps[n - 1];
    check(now.current === 1 && now.step === n, `${name}: step ${n} is the one highlighted row (found ${now.step}, ${now.current} rows)`);
    check(now.position === `step ${n} of ${total}`, `${name}: the position says ${now.position}`);
    if (step.file === null) {
      check(now.hits.length === 0, `${name}: step ${n} has no site, yet a code line is highlighted`);
    } else {
      check(now.file === step.file && Number(now.line) === step.line, `${name}: step ${n}: the code panel shows ${now.file}:${now.line}, not ${step.file}:${step.line}`);
      check(now.hits.length === 1 && now.hits[0].line === step.line, `${name}: step ${n}: highlighted line ${JSON.stringify(now.hits)}, not ${step.line}`);
      const onDisk = sourceLine(step.file, step.line);
      if (onDisk !== null) {
        check(now.hits[0].text === onDisk, `${name}: step ${n}: the highlighted text is not line ${step.line} of ${step.file}:\n  page: ${now.hits[0].text}\n  file: ${onDisk}`);
      }
    }
    check(now.cursorY !== null && now.stepY !== null && now.cursorY === now.stepY - 13, `${name}: step ${n}: the swimlane's cursor is at y=${now.cursorY}, the step's row at ${now.stepY}`);
    await page.keyboard.press(n % 2 === 0 ? "ArrowRight" : "ArrowDown");
  }
  // Past the end it stays on the last step; back up with the other two keys.
  check((await shown(page)).step === total, `${name}: moving past the last step leaves it there`);
  await page.keyboard.press("ArrowUp");
  await page.keyboard.press("ArrowLeft");
  check((await shown(page)).step === Math.max(1, total - 2), `${name}: ArrowUp and ArrowLeft go back`);
  await page.keyboard.press("End");
  check((await shown(page)).step === total, `${name}: End goes to the last step`);
  return total;
}

/** The step worth a picture: where a lock held to the end is taken, else the first step marked bad. */
async function telling(page) {
  return page.evaluate(() => {
    const bar = document.querySelector('#lane svg rect[data-to="end"]');
    if (bar) {
      return Number(bar.getAttribute("data-from"));
    }
    const bad = document.querySelector("#steps tr[data-step] .mark.bad");
    return bad ? Number(bad.closest("tr").getAttribute("data-step")) : 1;
  });
}

async function goTo(page, step) {
  await page.keyboard.press("Home");
  for (let i = 1; i < step; i++) {
    await page.keyboard.press("ArrowDown");
  }
}

async function main() {
  let chromium;
  try {
    ({ chromium } = require("playwright-core"));
  } catch (err) {
    fail(`playwright-core is not installed (run npm ci in ci/browser): ${err.message}`);
  }
  if (!fs.existsSync(executablePath)) {
    fail(`no browser at ${executablePath} (apt-get install chromium, or set CHROMIUM): the report pages were not tested`);
  }
  if (!fs.existsSync(pagesDir)) {
    fail(`no report pages in ${pagesDir}: run the verdict matrix under loom first (ci/browser.sh does)`);
  }
  const pages = reportPages(pagesDir);
  const required = ["while_let/rendezvous.html", "lost_wakeup/one_job_then_drop.html"];
  for (const needed of required) {
    if (!fs.existsSync(path.join(pagesDir, needed))) {
      fail(`${needed} is missing from ${pagesDir}`);
    }
  }
  fs.mkdirSync(shotsDir, { recursive: true });
  let browser;
  try {
    browser = await chromium.launch({
      executablePath,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  } catch (err) {
    fail(`Chromium at ${executablePath} would not start: ${err.message}`);
  }
  const failures = [];
  let steps = 0;
  const started = Date.now();
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  // Anything but file:// is refused: the pages must be self-contained.
  const fetched = [];
  await context.route(/^(?!file:)/, (route) => { fetched.push(route.request().url()); route.abort(); });
  for (const file of [...pages, path.join(pagesDir, "index.html")]) {
    const name = path.relative(pagesDir, file);
    if (!fs.existsSync(file)) {
      failures.push(`${name}: missing`);
      continue;
    }
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (err) => errors.push(`script error: ${err.message}`));
    page.on("console", (msg) => { if (msg.type() === "error") errors.push(`console error: ${msg.text()}`); });
    try {
      await page.goto("file://" + file, { waitUntil: "load" });
      const shot = path.join(shotsDir, name.replace(/[\/]/g, ".").replace(/\.html$/, ".png"));
      if (name === "index.html") {
        const links = await page.evaluate(() => Array.prototype.map.call(document.querySelectorAll("a[href]"), (a) => a.getAttribute("href")));
        check(links.length > 0, "index.html links no report page");
        for (const link of links) {
          check(fs.existsSync(path.join(pagesDir, link)), `index.html links ${link}, which does not exist`);
        }
        await page.screenshot({ path: shot, fullPage: true });
      } else {
        steps += await walk(page, name);
        await goTo(page, await telling(page));
        await page.screenshot({ path: shot, fullPage: true });
      }
      if (name === "while_let/rendezvous.html") {
        await goTo(page, 9);
        const now = await shown(page);
        check(/worker 0\s*locks L1/.test(now.rowText), `while-let: step 9 is "${now.rowText}", not "worker 0 locks L1"`);
        check(now.hits.length === 1 && now.hits[0].text.includes("while let Ok(job)"), `while-let: step 9 is beside ${JSON.stringify(now.hits)}, not the while let line`);
        const bar = await page.evaluate(() => {
          const rect = document.querySelector('#lane svg rect[data-thread="1"][data-lock="L1"]');
          const texts = document.querySelectorAll("#lane svg text[data-step]");
          const last = texts[texts.length - 1];
          return rect && {
            to: rect.getAttribute("data-to"),
            bottom: Number(rect.getAttribute("y")) + Number(rect.getAttribute("height")),
            lastRow: Number(last.getAttribute("y")),
            stroke: rect.getAttribute("stroke"),
          };
        });
        check(bar && bar.to === "end" && bar.bottom >= bar.lastRow, `while-let: worker 0's L1 bar does not run to the end: ${JSON.stringify(bar)}`);
        check(bar.stroke !== "none", "while-let: at step 9 worker 0's L1 bar is not highlighted as held");
        // The README's picture: the page's top down to the swimlane's end state.
        const readme = path.join(shotsDir, "report-page.jpg");
        await page.setViewportSize({ width: 1180, height: 900 });
        const bottom = await page.evaluate(() => {
          const lane = document.getElementById("lane").getBoundingClientRect();
          return Math.ceil(lane.bottom + window.scrollY + 8);
        });
        await page.screenshot({ path: readme, type: "jpeg", quality: 75, fullPage: true, clip: { x: 0, y: 0, width: 1180, height: bottom } });
      }
      if (name === "lost_wakeup/one_job_then_drop.html") {
        const empty = await page.evaluate(() => Array.prototype.map.call(
          document.querySelectorAll("#steps tr[data-step]"), (row) => row.textContent).filter((text) => /notify_(one|all)/.test(text) && text.includes("woke nobody")));
        check(empty.length > 0, "lost-wakeup: no notify is marked as having woken nobody");
        const drawn = await page.evaluate(() => document.querySelector("#lane svg").textContent.includes("woke nobody"));
        check(drawn, "lost-wakeup: the swimlane does not mark the empty notify");
      }
      check(errors.length === 0, `${name}: ${errors.join("; ")}`);
      console.log(`ok   ${name}`);
    } catch (err) {
      failures.push(err.message);
      console.log(`FAIL ${name}: ${err.message}`);
    } finally {
      await page.close();
    }
  }
  await browser.close();
  if (fetched.length > 0) {
    failures.push(`the pages tried to fetch: ${fetched.join(", ")}`);
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (failures.length > 0) {
    fail(`${failures.length} of ${pages.length + 1} pages:\n  ${failures.join("\n  ")}`);
  }
  console.log(`report pages: ${pages.length} pages and the index passed in Chromium (${steps} steps by keyboard) in ${seconds}s; screenshots in ${shotsDir}`);
}

main().catch((err) => fail(err.stack || String(err)));
