// check-html.mjs MODULES SPEC -- nvcheck's HTML report in headless Chromium.
//
// Driven by tests/cli/html.sh, which renders the pages and writes SPEC (their paths, the
// JSON renderings of the same reports as the expected values, where screenshots go).
// MODULES is a directory whose node_modules holds playwright-core. Prints one line per
// check, "PASS what" or "FAIL what", and "DIAG text"; html.sh makes TAP of them. The
// browser is Debian's chromium (SPEC.chromium), in a fresh profile, with everything
// that could reach the network turned off.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const [modules, specFile] = process.argv.slice(2);
const spec = JSON.parse(fs.readFileSync(specFile, 'utf8'));
const { chromium } = createRequire(path.join(modules, 'package.json'))('playwright-core');
const STEP = 30000; // hang guard for one step; never a performance bound

let failed = 0;
function check(cond, what, ...diag) {
  console.log((cond ? 'PASS ' : 'FAIL ') + what);
  if (!cond) {
    failed++;
    for (const d of diag) console.log('DIAG   ' + (typeof d === 'string' ? d : JSON.stringify(d)));
  }
  return cond;
}
const same = (got, want, what) => check(JSON.stringify(got) === JSON.stringify(want), what,
  'got:  ' + JSON.stringify(got), 'want: ' + JSON.stringify(want));
const diag = (s) => console.log('DIAG ' + s);

// open -- a fresh page on file, recording console errors, page errors, dialogs and
// every request that is not file: or data:.
async function open(ctx, file) {
  const page = await ctx.newPage();
  const log = { errors: [], dialogs: [], requests: [] };
  page.on('console', (m) => { if (m.type() === 'error') log.errors.push(m.text()); });
  page.on('pageerror', (e) => log.errors.push('pageerror: ' + e.message));
  page.on('dialog', (d) => { log.dialogs.push(d.type() + ': ' + d.message()); d.dismiss().catch(() => {}); });
  page.on('request', (r) => { if (!/^(file|data):/.test(r.url())) log.requests.push(r.url()); });
  page.setDefaultTimeout(STEP);
  const t0 = Date.now();
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector('body[data-state=ready]', { timeout: 120000 });
  log.ms = Date.now() - t0;
  log.inPage = await page.evaluate(() => window.nvcheckLoadMs);
  return { page, log };
}

function clean(log, what) {
  check(log.errors.length === 0, what + ': no console or page errors', ...log.errors);
  check(log.requests.length === 0, what + ': no request but file: and data:', ...log.requests);
  check(log.dialogs.length === 0, what + ': no dialog', ...log.dialogs);
}

const shown = (page) => page.$eval('#shown', (e) => e.textContent);
const rowCount = (page) => page.$$eval('#rows tr.row', (r) => r.length);
const cells = (page, cls) => page.$$eval('#rows tr.row td.' + cls, (r) => r.map((e) => e.textContent));
const fmt = (n) => n.toLocaleString('en-US');

// setFilter -- one control to value; waits until the counter says want rows.
async function setFilter(page, sel, value, want, total) {
  if (sel === '#f-text') await page.fill(sel, value);
  else await page.selectOption(sel, value);
  const text = fmt(want) + ' of ' + fmt(total) + (total === 1 ? ' finding' : ' findings');
  await page.waitForFunction((t) => document.querySelector('#shown').textContent === t, text,
    { timeout: STEP }).catch(() => {});
}

// matchText -- what the page's search must find: function or file of a stack frame.
function matchText(f, text) {
  return f.stack.some((fr) => (fr.function || '').toLowerCase().includes(text) ||
    (fr.file || '').toLowerCase().includes(text));
}

async function header(page, j, what) {
  const got = await page.evaluate(() => ({
    errors: +document.querySelector('#tot-errors b').textContent.replace(/,/g, ''),
    warnings: +document.querySelector('#tot-warnings b').textContent.replace(/,/g, ''),
    kinds: Object.fromEntries([...document.querySelectorAll('#by-kind .chip')].map(
      (c) => [c.getAttribute('data-kind'), +c.querySelector('.n').textContent.replace(/,/g, '')])),
  }));
  const kinds = Object.fromEntries(Object.entries(j.summary.by_kind).map(([k, v]) => [k, v.findings]));
  same(got, { errors: j.summary.errors, warnings: j.summary.warnings, kinds }, what + ': header totals (errors, warnings, findings by kind) are the JSON report\'s');
}

async function sorting(page, j) {
  const before = await cells(page, 'fn');
  await page.click('th[data-sort=fn] button');
  const asc = await cells(page, 'fn');
  const sorted = [...before].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  check(JSON.stringify(asc) === JSON.stringify(sorted) && JSON.stringify(asc) !== JSON.stringify(before),
    'sort by function: rows in ascending order, a new order', asc, before);
  await page.click('th[data-sort=fn] button');
  const desc = await cells(page, 'fn');
  same(desc, [...sorted].reverse(), 'sort by function again: descending');
  await page.click('th[data-sort=count] button');
  await page.click('th[data-sort=idx] button');
  const nums = await cells(page, 'num:first-child');
  same(nums.map(Number), j.findings.map((_, i) => i + 1), 'sort by #: back to the report\'s order');
}

async function filters(page, j) {
  const n = j.findings.length;
  for (const [kind, v] of Object.entries(j.summary.by_kind)) {
    await setFilter(page, '#f-kind', kind, v.findings, n);
    const kinds = await cells(page, 'kind');
    check(kinds.length === v.findings && kinds.every((k) => k === kind),
      `filter kind ${kind}: exactly its ${v.findings} rows`, kinds);
  }
  await setFilter(page, '#f-kind', '', n, n);
  for (const [sev, want] of [['error', j.summary.errors], ['warning', j.summary.warnings]]) {
    await setFilter(page, '#f-sev', sev, want, n);
    same(await rowCount(page), want, `filter severity ${sev}: ${want} rows`);
  }
  await setFilter(page, '#f-sev', '', n, n);
  // a process: the forked child of the fork scenario (one finding of its own)
  const procs = j.processes;
  const child = procs.find((p) => procs.some((q) => q.pid === p.ppid));
  const pos = procs.indexOf(child);
  const want = j.findings.filter((f) => f.pids.includes(child.pid)).length;
  await setFilter(page, '#f-proc', String(pos), want, n);
  same([await rowCount(page), await cells(page, 'proc')], [want, Array(want).fill(String(child.pid))],
    `filter process pid ${child.pid} (a forked child): its ${want} row(s)`);
  await setFilter(page, '#f-proc', '', n, n);
  for (const text of ['s_many', 'S_FORK', 'scenarios.c', 'no-such-function']) {
    const w = j.findings.filter((f) => matchText(f, text.toLowerCase())).length;
    await setFilter(page, '#f-text', text, w, n);
    same(await rowCount(page), w, `search '${text}': the ${w} rows with it in a function or file name`);
  }
  await setFilter(page, '#f-text', 's_', j.findings.filter((f) => matchText(f, 's_')).length, n);
  const both = j.findings.filter((f) => f.kind === 'unflushed-write' && matchText(f, 's_')).length;
  await setFilter(page, '#f-kind', 'unflushed-write', both, n);
  same(await rowCount(page), both, `kind and search together: ${both} rows`);
  await page.click('#f-reset');
  same([await rowCount(page), await shown(page)], [n, `${n} of ${n} findings`], 'reset: every row again');
}

async function expansion(page, j, spec) {
  const i = j.findings.findIndex((f) => f.stack[0] && f.stack[0].function === 's_unflushed');
  await page.click(`#rows tr.row[data-i="${i}"]`);
  const d = `#rows tr.detail[data-i="${i}"]`;
  await page.waitForSelector(d);
  const got = await page.$eval(d, (e) => {
    const hl = e.querySelector('pre.src:not([hidden]) .sl.hl');
    return {
      heads: [...e.querySelectorAll('h4')].map((h) => h.textContent),
      frame0: e.querySelector('.fhead').textContent,
      line: hl ? +hl.getAttribute('data-line') : null,
      text: hl ? hl.textContent : null,
      visible: hl ? hl.getBoundingClientRect().height > 0 : false,
    };
  });
  const f = j.findings[i];
  check(got.heads[0] === 'written at:' && got.heads[1] === 'token freed at:',
    'expanded row: the write\'s stack and the related stack (token freed at)', got.heads);
  check(got.frame0.includes(`s_unflushed ${f.stack[0].file}:${spec.marker_line}`),
    'expanded row: frame #0 is s_unflushed at the @nv:unflushed line', got.frame0);
  check(got.line === spec.marker_line && got.text.endsWith(spec.marker_text) && got.visible,
    `expanded row: source shown, line ${spec.marker_line} highlighted`, got);
  // the frame's heading folds its source away and back
  await page.click(`${d} .fhead.has-src`);
  const hidden = await page.$eval(`${d} pre.src`, (p) => p.hidden);
  await page.click(`${d} .fhead.has-src`);
  check(hidden && !(await page.$eval(`${d} pre.src`, (p) => p.hidden)), 'a frame\'s heading folds its source');
  await page.click(`#rows tr.row[data-i="${i}"]`); // collapse
  same(await page.$$eval(d, (e) => e.length), 0, 'clicking the row again collapses it');
  return i;
}

// rangeAt -- the client point of finding i's first range in its region's canvas.
async function rangeAt(page, i) {
  return page.evaluate((i) => {
    const data = JSON.parse(document.getElementById('data').textContent);
    const r = data.regions.findIndex((g) => g.ranges.some((q) => q[2] === i));
    const q = data.regions[r].ranges.find((x) => x[2] === i);
    const cv = document.querySelector(`canvas.bar[data-region="${r}"]`);
    cv.scrollIntoView({ block: 'center' });
    const b = cv.getBoundingClientRect(), lo = +cv.getAttribute('data-lo'), hi = +cv.getAttribute('data-hi');
    const x = b.left + ((q[0] + q[1] / 2) - lo) / (hi - lo) * b.width;
    return { x: Math.min(Math.max(x, b.left + 1), b.right - 1), y: b.top + b.height / 2, r };
  }, i);
}

async function regions(page, j, i) {
  let p = await rangeAt(page, i);
  await page.mouse.move(p.x, p.y);
  await page.waitForSelector('#tip', { state: 'visible' }).catch(() => {});
  const tip = await page.$eval('#tip', (t) => [getComputedStyle(t).display, t.textContent]);
  check(tip[0] === 'block' && tip[1].includes(`#${i + 1} unflushed-write`) && tip[1].includes('s_unflushed'),
    'hovering the range in the region bar shows its finding', tip);
  await page.mouse.click(p.x, p.y);
  const row = `#rows tr.row[data-i="${i}"]`;
  await page.waitForSelector(`#rows tr.detail[data-i="${i}"]`).catch(() => {});
  const st = await page.$eval(row, (r) => {
    const b = r.getBoundingClientRect();
    return { open: r.getAttribute('aria-expanded'), inView: b.top >= 0 && b.bottom <= innerHeight };
  });
  same(st, { open: 'true', inView: true }, 'clicking it scrolls to the finding\'s row and expands it');
  // twelve ranges close together (the "many" scenario): "fit to ranges" zooms in,
  // and then each one can be pointed at
  const k = j.findings.findIndex((f, x) => f.stack[0].function === 's_many' && f.region.offset === 320);
  p = await rangeAt(page, k);
  const region = `.region[data-region="${p.r}"]`;
  await page.click(`${region} button.fit`);
  const view = await page.$eval(`${region} canvas`, (c) => [+c.getAttribute('data-lo'), +c.getAttribute('data-hi')]);
  check(view[0] === 0 && view[1] < 2048, 'fit to ranges: the bar shows the written lines only', view);
  p = await rangeAt(page, k);
  await page.mouse.move(p.x, p.y);
  const tip2 = await page.$eval('#tip', (t) => t.querySelector('.t').textContent);
  check(tip2.includes(`#${k + 1} `) && tip2.includes(`:${j.findings[k].stack[0].line}`),
    'zoomed: hovering one of twelve neighbouring ranges shows that one', tip2);
}

async function normalPage(ctx) {
  const s = spec.normal, j = JSON.parse(fs.readFileSync(s.json, 'utf8'));
  const { page, log } = await open(ctx, s.html);
  diag(`scenarios page (${j.findings.length} findings): ready in ${log.ms} ms`);
  await header(page, j, 'scenarios');
  same([await rowCount(page), await shown(page)], [j.findings.length, `${j.findings.length} of ${j.findings.length} findings`], 'every finding is a row');
  await sorting(page, j);
  await filters(page, j);
  const i = await expansion(page, j, s);
  await regions(page, j, i);
  await page.mouse.move(5, 5);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: s.shot, fullPage: true });
  clean(log, 'scenarios page');
  await page.close();
}

async function hostilePage(ctx) {
  const s = spec.hostile;
  if (!s.html) return;
  const { page, log } = await open(ctx, s.html);
  await page.$$eval('#rows tr.row', (rows) => rows.forEach((r) => r.click()));
  await page.$$eval('pre.src', (p) => p.forEach((e) => { e.hidden = false; }));
  await page.waitForTimeout(300);
  const got = await page.evaluate(() => ({
    pwned: window.__pwned === undefined ? null : window.__pwned,
    images: document.images.length,
    scripts: document.scripts.length,
    text: document.body.innerText,
  }));
  same([got.pwned, got.images, got.scripts], [null, 0, 2], 'hostile names: no script ran (window.__pwned unset), no <img>, only the page\'s two scripts');
  check(got.text.includes(s.name), `the file name '${s.name}' shows as text`);
  check(got.text.includes('void put<script>()'), 'the function name \'void put<script>()\' shows as text');
  check(got.text.includes('<script>window.__pwned = 1</script>') && got.text.includes('onerror="window.__pwned = 2"'),
    'the source lines holding HTML show as text');
  await page.screenshot({ path: s.shot, fullPage: true });
  clean(log, 'hostile page');
  await page.close();
}

async function bigPage(ctx) {
  const s = spec.big, j = JSON.parse(fs.readFileSync(s.json, 'utf8')), n = j.findings.length;
  const { page, log } = await open(ctx, s.html);
  diag(`${fmt(n)} findings: page ready ${log.ms} ms after navigation started (script done at ${Math.round(log.inPage)} ms page time)`);
  same(await shown(page), `${fmt(n)} of ${fmt(n)} findings`, `${fmt(n)} findings: the counter says all of them`);
  const rows = await rowCount(page);
  check(rows > 0 && rows <= 200, `${fmt(n)} findings: only the first rows are in the document (${rows})`);
  await header(page, j, `${fmt(n)} findings`);
  const kind = 'overwritten-unflushed', want = j.summary.by_kind[kind].findings;
  let t0 = Date.now();
  await setFilter(page, '#f-kind', kind, want, n);
  diag(`${fmt(n)} findings: filter by kind took ${Date.now() - t0} ms`);
  same(await shown(page), `${fmt(want)} of ${fmt(n)} findings`, `${fmt(n)} findings: filter by kind (${want})`);
  await setFilter(page, '#f-kind', '', n, n);
  t0 = Date.now();
  await page.click('th[data-sort=size] button');
  diag(`${fmt(n)} findings: sort by bytes took ${Date.now() - t0} ms`);
  await page.click('th[data-sort=idx] button');
  // scrolling down renders more rows
  await page.evaluate(() => document.getElementById('more').scrollIntoView());
  await page.waitForFunction((r) => document.querySelectorAll('#rows tr.row').length > r, rows).catch(() => {});
  check((await rowCount(page)) > rows, `${fmt(n)} findings: scrolling to the end renders more rows`);
  // a range in the first region whose row is far down: clicking renders up to it
  const far = await page.evaluate(() => {
    const d = JSON.parse(document.getElementById('data').textContent);
    return Math.max(...d.regions[0].ranges.map((q) => q[2]));
  });
  await page.evaluate(() => window.scrollTo(0, 0));
  const p = await rangeAt(page, far);
  await page.click('.region[data-region="0"] button.fit');
  const q = await rangeAt(page, far);
  await page.mouse.click(q.x, q.y);
  await page.waitForSelector(`#rows tr.detail[data-i="${far}"]`).catch(() => {});
  check(await page.$(`#rows tr.detail[data-i="${far}"]`) !== null,
    `${fmt(n)} findings: clicking a range jumps to its row (#${far + 1}), rendering up to it`, p);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.mouse.move(5, 5);
  await page.screenshot({ path: s.shot });
  clean(log, `${fmt(n)} findings page`);
  await page.close();
}

// endsPage -- how each process ended: the process table's End column and the header
// say it in words ("exited 3", "killed by SIGSEGV", "exec'd"), row by row as the JSON
// report's processes[].end; a page of one process says it in the header alone.
async function endsPage(ctx) {
  const s = spec.ends, j = JSON.parse(fs.readFileSync(s.json, 'utf8'));
  let { page, log } = await open(ctx, s.html);
  const cellsEnd = await page.$$eval('table.ptable tbody td.end', (r) => r.map((e) => e.textContent));
  same([...cellsEnd].sort(), [...s.want].sort(), 'process table: each process\'s end in words');
  const fromJson = j.processes.map((p) => (p.end.how === 'exit' ? `exited ${p.end.status}`
    : p.end.how === 'signal' ? `killed by ${p.end.signal_name}` : 'exec\'d'));
  same(cellsEnd, fromJson, 'process table: row by row, the JSON report\'s processes[].end');
  const head = await page.$eval('#tot-end', (e) => e.textContent);
  same(head.split(', ').sort(), s.want.map((t) => '1 ' + t).sort(), 'header: how many processes ended each way');
  clean(log, 'ends page');
  await page.close();
  ({ page, log } = await open(ctx, s.one));
  same(await page.$eval('#tot-end', (e) => e.textContent), 'exited 3', 'one process: the header says "exited 3"');
  clean(log, 'one-process ends page');
  await page.close();
}

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'nvcheck-chromium-'));
let ctx;
try {
  ctx = await chromium.launchPersistentContext(profile, {
    executablePath: spec.chromium,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 120000,
  });
  for (const [name, fn] of [['scenarios page', normalPage], ['hostile page', hostilePage], ['ends page', endsPage],
    ['big page', bigPage]]) {
    try {
      await fn(ctx);
    } catch (e) {
      check(false, `${name}: ran to the end`, String(e.stack || e).split('\n').slice(0, 6).join(' | '));
    }
  }
} finally {
  if (ctx) await ctx.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
