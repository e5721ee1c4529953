/* viewer.js -- the viewer of nvcheck's HTML report (embedded by render_html.c).
 *
 * It reads the JSON document in the script element "data" (html_data.c describes it) and
 * builds the page: the header (programs, processes, totals), one bar per NV region
 * (drawn on a canvas, to scale, ranges coloured by kind; hover shows the finding,
 * click jumps to it) and the findings table (sortable, filterable, rows expand to
 * stacks with source lines).
 *
 * Safety: data only ever reaches the page as text -- createElement, textContent,
 * setAttribute with fixed attribute names -- never through innerHTML or a URL.
 * Size: 10,000 findings must load at once, so the table renders CHUNK rows at a time
 * (more as the end comes into view), region rows likewise, and each region is one
 * canvas whatever its number of ranges, hit-tested by x coordinate.
 */
(function () {
  'use strict';

  var D = JSON.parse(document.getElementById('data').textContent);
  var CHUNK = 100, RCHUNK = 40, BAR_H = 28;
  var FINDINGS = D.findings, FRAMES = D.frames, STACKS = D.stacks, SNIPS = D.snippets;
  var PROCS = D.processes, REGIONS = D.regions;

  /* ---- small DOM helpers: text only ---- */

  function h(tag, attrs, kids) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (attrs[k] !== null && attrs[k] !== undefined) e.setAttribute(k, String(attrs[k]));
      });
    }
    if (kids !== undefined) add(e, kids);
    return e;
  }

  function add(e, kids) {
    (Array.isArray(kids) ? kids : [kids]).forEach(function (k) {
      if (k === null || k === undefined || k === false) return;
      e.appendChild(typeof k === 'object' ? k : document.createTextNode(String(k)));
    });
    return e;
  }

  function base(p) {
    var i = p.lastIndexOf('/');
    return i < 0 ? p : p.slice(i + 1);
  }

  function num(n) {
    return n === null || n === undefined ? '' : Number(n).toLocaleString('en-US');
  }

  function plural(n, one, many) {
    return num(n) + ' ' + (n === 1 ? one : many || one + 's');
  }

  function utc(t) {
    return new Date(t * 1000).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
  }

  var KIND_COLOURS = {
    'unflushed-write': '#d1242f', 'undrained-flush': '#e16f24', 'invalid-token': '#8250df',
    'out-of-region': '#a40e26', 'invalid-argument': '#6639ba', 'redundant-flush': '#218bff',
    'overwritten-unflushed': '#bf8700', 'leaked-token': '#1a7f37'
  };

  function colour(kind) {
    if (Object.prototype.hasOwnProperty.call(KIND_COLOURS, kind)) return KIND_COLOURS[kind];
    var x = 0;
    for (var i = 0; i < kind.length; i++) x = (x * 31 + kind.charCodeAt(i)) % 360;
    return 'hsl(' + x + ', 55%, 42%)';
  }

  function swatch(kind) {
    var s = h('span', { 'class': 'sw' });
    s.style.background = colour(kind);
    return s;
  }

  /* ---- what rows show and sort by ---- */

  function frameText(fr) {
    if (fr[0]) return fr[0];
    if (fr[3]) return base(fr[3]) + (fr[4] ? '+' + fr[4] : '');
    return fr[4] || '??';
  }

  function procName(p) {
    var pr = PROCS[p], prog = pr.argv.length ? base(pr.argv[0]) : '?';
    return pr.pid === null ? prog + ' #' + (p + 1) : prog + ' (pid ' + pr.pid + ')';
  }

  /* few -- a list of pids or names, the first three and how many more. */
  function few(v) {
    return v.slice(0, 3).join(', ') + (v.length > 3 ? ' +' + (v.length - 3) + ' more' : '');
  }

  var rows = FINDINGS.map(function (f, i) {
    var st = STACKS[f.stack], top = st.length ? FRAMES[st[0]] : null;
    return {
      i: i, f: f, sev: f.severity === 'warning' ? 1 : 0,
      fn: top ? frameText(top) : '', file: top && top[1] ? base(top[1]) : '', line: top && top[2] ? top[2] : 0,
      loc: top && top[1] ? base(top[1]) + ':' + (top[2] || '?') : '',
      proc: f.pids ? few(f.pids) : few(f.procs.map(procName)),
      procKey: f.pids ? f.pids[0] : f.procs[0],
      size: f.bytes !== null ? f.bytes : f.size !== null ? f.size : -1,
      text: null
    };
  });

  function searchText(r) {
    if (r.text === null) {
      r.text = STACKS[r.f.stack].map(function (k) {
        var fr = FRAMES[k];
        return (fr[0] || '') + '\n' + (fr[1] || '');
      }).join('\n').toLowerCase();
    }
    return r.text;
  }

  function cmp(a, b) {
    return a < b ? -1 : a > b ? 1 : 0;
  }

  var SORTS = {
    idx: function (a, b) { return a.i - b.i; },
    sev: function (a, b) { return a.sev - b.sev; },
    kind: function (a, b) { return cmp(a.f.kind, b.f.kind); },
    fn: function (a, b) { return cmp(a.fn, b.fn); },
    loc: function (a, b) { return cmp(a.file, b.file) || a.line - b.line; },
    proc: function (a, b) { return cmp(a.procKey, b.procKey); },
    size: function (a, b) { return a.size - b.size; },
    count: function (a, b) { return a.f.count - b.f.count; },
    msg: function (a, b) { return cmp(a.f.message || '', b.f.message || ''); }
  };

  var COLUMNS = [
    ['idx', '#'], ['sev', 'Severity'], ['kind', 'Kind'], ['fn', 'Function'], ['loc', 'Location'],
    ['proc', 'Process'], ['size', 'Bytes'], ['count', 'Count'], ['msg', 'Message']
  ];

  /* ---- state ---- */

  var state = { sort: 'idx', dir: 1, kind: '', sev: '', proc: '', text: '' };
  var view = [], pos = new Int32Array(rows.length), shown = 0, open = {};
  var rowEl = {}, tbody, moreEl, shownEl, controls = {};

  /* ---- header ---- */

  function programs() {
    var seen = {}, out = [];
    PROCS.forEach(function (p) {
      var n = p.argv.length ? base(p.argv[0]) : '?';
      if (!Object.prototype.hasOwnProperty.call(seen, n)) { seen[n] = 1; out.push(n); }
    });
    return out;
  }

  // endText -- how a process ended: "exited 3", "killed by SIGSEGV", "exec'd".
  function endText(e) {
    if (!e) return 'end not recorded';
    if (e.how === 'exit') return e.status !== null ? 'exited ' + e.status : 'exited (status not recorded)';
    if (e.how === 'signal') return 'killed by ' + (e.signal_name || 'signal ' + e.signal);
    if (e.how === 'exec') return 'exec\'d';
    return e.how;
  }

  // endSummary -- the header's: one process's end, or how many ended each way.
  function endSummary() {
    if (PROCS.length === 1) return endText(PROCS[0].end);
    var n = Object.create(null), order = [];
    PROCS.forEach(function (p) {
      var t = endText(p.end);
      if (!n[t]) { n[t] = 0; order.push(t); }
      n[t]++;
    });
    return order.map(function (t) { return n[t] + ' ' + t; }).join(', ');
  }

  function header() {
    var s = D.summary, progs = programs(), hd = h('header', { id: 'top' });
    document.title = 'nvcheck: ' + s.errors + ' errors, ' + s.warnings + ' warnings' +
      (progs.length ? ' \u2014 ' + progs.join(', ') : '');
    add(hd, h('h1', null, ['nvcheck report ', h('span', { 'class': 'progs' }, progs.join(', '))]));
    var starts = PROCS.map(function (p) { return p.start_time; }).filter(function (t) { return t; });
    var tot = h('div', { 'class': 'totals' }, [
      h('span', { 'class': 'tot err', id: 'tot-errors' }, [h('b', null, num(s.errors)), ' ' + (s.errors === 1 ? 'error' : 'errors')]),
      h('span', { 'class': 'tot warn', id: 'tot-warnings' }, [h('b', null, num(s.warnings)), ' ' + (s.warnings === 1 ? 'warning' : 'warnings')]),
      h('span', { 'class': 'tot', id: 'tot-findings' }, plural(s.findings, 'finding') + ', ' +
        plural(s.occurrences, 'occurrence') + ', in ' + plural(s.processes, 'process', 'processes')),
      PROCS.some(function (p) { return p.pid !== null; }) ? h('span', { 'class': 'tot' }, 'pids ' +
        PROCS.map(function (p) { return p.pid; }).join(', ')) : null,
      starts.length ? h('span', { 'class': 'tot' }, 'started ' + utc(Math.min.apply(null, starts))) : null,
      PROCS.length ? h('span', { 'class': 'tot', id: 'tot-end' }, endSummary()) : null
    ]);
    add(hd, tot);
    add(hd, h('div', { 'class': 'chips', id: 'by-kind' }, s.by_kind.map(function (k) {
      return h('span', { 'class': 'chip', 'data-kind': k[0], title: k[1] }, [swatch(k[0]), k[0] + ': ',
        h('b', { 'class': 'n' }, num(k[2])), k[3] !== k[2] ? ' (' + plural(k[3], 'occurrence') + ')' : '']);
    })));
    PROCS.forEach(function (p, i) {
      if (!p.truncated) return;
      add(hd, h('div', { 'class': 'note' }, procName(i) + ' is incomplete: ' +
        (p.dropped_occurrences ? num(p.dropped_occurrences) + ' occurrences beyond max_findings=' + p.max_findings + ' dropped; ' : '') +
        (p.stacks_dropped ? num(p.stacks_dropped) + ' stacks not stored; ' : '') + 'findings may be missing.'));
    });
    add(hd, processTable());
    return hd;
  }

  function processTable() {
    var d = h('details', { 'class': 'procs' });
    if (PROCS.length <= 8) d.setAttribute('open', '');
    add(d, h('summary', null, 'Processes (' + PROCS.length + ')'));
    var t = h('table', { 'class': 'ptable' }), tb = h('tbody');
    add(t, h('thead', null, h('tr', null, ['Process', 'Parent', 'Program and arguments', 'Run',
      'Started', 'End', 'Findings', 'Report'].map(function (c) { return h('th', null, c); }))));
    PROCS.forEach(function (p, i) {
      add(tb, h('tr', { 'data-proc': i }, [
        h('td', null, p.pid !== null ? 'pid ' + p.pid : '#' + (i + 1)),
        h('td', null, p.ppid !== null ? String(p.ppid) : ''),
        h('td', { 'class': 'argv' }, p.argv.join(' ')),
        h('td', { 'class': 'mono' }, p.run_id || ''),
        h('td', null, p.start_time ? utc(p.start_time) : ''),
        h('td', { 'class': 'end' }, endText(p.end)),
        h('td', { 'class': 'num' }, num(p.findings) + (p.truncated ? ' (incomplete)' : '')),
        h('td', { 'class': 'mono' }, p.report || '')
      ]));
    });
    add(t, tb);
    return add(d, t);
  }

  /* ---- regions: one canvas bar each ---- */

  var tip;

  function regionView(r) {
    var lo = 0, hi = r.size || 0;
    r.ranges.forEach(function (x) {
      lo = Math.min(lo, x[0]);
      hi = Math.max(hi, x[0] + x[1]);
    });
    return [lo, Math.max(hi, lo + 1)];
  }

  function fitView(r) {
    var lo = Infinity, hi = -Infinity, full = regionView(r);
    r.ranges.forEach(function (x) {
      lo = Math.min(lo, x[0]);
      hi = Math.max(hi, x[0] + x[1]);
    });
    var pad = Math.max(64, (hi - lo) * 0.05);
    lo = Math.max(full[0], Math.floor((lo - pad) / 64) * 64);
    hi = Math.min(full[1], Math.ceil((hi + pad) / 64) * 64);
    return [lo, Math.max(hi, lo + 1)];
  }

  /* drawRegion -- r's bar, w CSS pixels wide (measured once for many: no layout per bar). */
  function drawRegion(r, w) {
    var cv = r.canvas, dpr = window.devicePixelRatio || 1;
    var lo = r.view[0], hi = r.view[1], span = hi - lo, g = cv.getContext('2d');
    cv.width = Math.round(w * dpr);
    cv.height = Math.round(BAR_H * dpr);
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, BAR_H);
    function x(off) { return (off - lo) / span * w; }
    g.fillStyle = '#fbe9eb';
    g.fillRect(0, 6, w, BAR_H - 12); /* outside the region: only out-of-region ranges */
    g.fillStyle = '#e6ebf0';
    var rs = r.size || hi;
    g.fillRect(Math.max(0, x(0)), 6, Math.min(w, x(rs)) - Math.max(0, x(0)), BAR_H - 12);
    if (w / span * 64 >= 6) { /* cache lines are visible: draw them */
      g.fillStyle = '#cfd8e1';
      for (var l = Math.ceil(lo / 64) * 64; l <= hi; l += 64) g.fillRect(Math.round(x(l)), 6, 1, BAR_H - 12);
    }
    var order = r.ranges.slice().sort(function (a, b) { return b[1] - a[1]; });
    r.hits = [];
    order.forEach(function (q) {
      var x0 = x(q[0]), x1 = x(q[0] + q[1]);
      if (x1 < 0 || x0 > w) return;
      if (x1 - x0 < 2) { var c = (x0 + x1) / 2; x0 = c - 1; x1 = c + 1; }
      x0 = Math.max(0, x0); x1 = Math.min(w, x1);
      g.fillStyle = colour(FINDINGS[q[2]].kind);
      g.fillRect(x0, 2, x1 - x0, BAR_H - 4);
      r.hits.push([x0, x1, q]);
    });
    r.loEl.textContent = (lo < 0 ? '-' : '+') + num(Math.abs(lo));
    r.hiEl.textContent = (hi < 0 ? '-' : '+') + num(Math.abs(hi));
    cv.setAttribute('data-lo', lo);
    cv.setAttribute('data-hi', hi);
  }

  /* hitsAt -- the ranges under x (within 3 px), innermost (narrowest, containing) first. */
  function hitsAt(r, px) {
    var out = [];
    r.hits.forEach(function (t) {
      if (px >= t[0] - 3 && px <= t[1] + 3) {
        var d = px < t[0] ? t[0] - px : px > t[1] ? px - t[1] : 0;
        out.push([d, t[1] - t[0], t[2]]);
      }
    });
    out.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
    return out.map(function (t) { return t[2]; });
  }

  function showTip(r, ev) {
    var px = ev.clientX - r.canvas.getBoundingClientRect().left, hs = hitsAt(r, px);
    if (!hs.length) { tip.style.display = 'none'; r.canvas.removeAttribute('title'); return; }
    tip.textContent = '';
    var seen = {}, n = 0;
    hs.forEach(function (q) {
      if (seen[q[2]] || n >= 5) return;
      seen[q[2]] = 1;
      n++;
      var f = FINDINGS[q[2]], row = rows[q[2]];
      add(tip, h('div', { 'class': 't', 'data-finding': q[2] }, [swatch(f.kind), '#' + (q[2] + 1) + ' ' + f.kind + ' ',
        h('span', { 'class': 'mono' }, '+' + num(q[0]) + ', ' + plural(q[1], 'byte') + ' \u2014 ' + row.fn + ' ' + row.loc)]));
    });
    var more = Object.keys(hs.reduce(function (a, q) { a[q[2]] = 1; return a; }, {})).length - n;
    if (more > 0) add(tip, h('div', { 'class': 't' }, '\u2026 ' + plural(more, 'more finding')));
    add(tip, h('div', { 'class': 't muted' }, 'click to show the first'));
    tip.style.display = 'block';
    var x = Math.min(ev.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
    var y = ev.clientY + 18 + tip.offsetHeight > window.innerHeight ? ev.clientY - tip.offsetHeight - 10 : ev.clientY + 18;
    tip.style.left = Math.max(4, x) + 'px';
    tip.style.top = Math.max(4, y) + 'px';
  }

  function regionRow(r, i) {
    var kinds = {}, fs = {};
    r.ranges.forEach(function (q) { fs[q[2]] = 1; kinds[FINDINGS[q[2]].kind] = 1; });
    r.view = regionView(r);
    r.loEl = h('span', { 'class': 'lo' });
    r.hiEl = h('span', { 'class': 'hi' });
    r.canvas = h('canvas', { 'class': 'bar', 'data-region': i, role: 'img',
      'aria-label': 'region ' + (i + 1) + ': ' + plural(r.ranges.length, 'unpersisted range') });
    var fit = h('button', { 'class': 'fit', type: 'button' }, 'fit to ranges');
    fit.addEventListener('click', function () {
      var whole = fit.textContent !== 'fit to ranges';
      r.view = whole ? regionView(r) : fitView(r);
      fit.textContent = whole ? 'fit to ranges' : 'whole region';
      drawRegion(r, r.canvas.clientWidth);
    });
    r.canvas.addEventListener('mousemove', function (ev) { showTip(r, ev); });
    r.canvas.addEventListener('mouseleave', function () { tip.style.display = 'none'; });
    r.canvas.addEventListener('click', function (ev) {
      var hs = hitsAt(r, ev.clientX - r.canvas.getBoundingClientRect().left);
      if (hs.length) { tip.style.display = 'none'; jumpTo(hs[0][2]); }
    });
    var el = h('div', { 'class': 'region', 'data-region': i }, [
      h('div', { 'class': 'rhead' }, [
        h('b', null, 'Region ' + (i + 1)),
        h('span', { 'class': 'mono' }, (r.base ? r.base + ', ' : '') +
          (r.size !== null ? plural(r.size, 'byte') : 'size unknown')),
        h('span', null, procName(r.proc)),
        h('span', null, Object.keys(kinds).map(function (k) { return add(h('span'), [swatch(k), k + ' ']); })),
        h('span', { 'class': 'muted' }, plural(Object.keys(fs).length, 'finding') + ', ' +
          plural(r.ranges.length, 'range')),
        fit
      ]),
      r.canvas,
      h('div', { 'class': 'axis' }, [r.loEl, h('span', null, 'offset in region, bytes'), r.hiEl])
    ]);
    return el;
  }

  /* regionsSection -- the region bars, inserted before next (canvases need their width). */
  function regionsSection(next) {
    var sec = h('section', { id: 'regions' });
    next.parentNode.insertBefore(sec, next);
    add(sec, h('h2', null, ['NV regions ', h('small', null, '(' + REGIONS.length + ')')]));
    if (!REGIONS.length) {
      add(sec, h('p', { 'class': 'hint' }, 'No finding is about a range of a region.'));
      return;
    }
    add(sec, h('p', { 'class': 'hint' }, 'Each bar is one region to scale, with the ranges its findings ' +
      'left unpersisted coloured by kind. Hover a range to see its finding; click it to jump to the finding.'));
    var list = h('div', { 'class': 'rlist' }), done = 0, sentinel = h('div', { 'class': 'more' });
    function more() {
      var end = Math.min(REGIONS.length, done + RCHUNK), fresh = [];
      for (; done < end; done++) {
        list.insertBefore(regionRow(REGIONS[done], done), sentinel);
        fresh.push(REGIONS[done]);
      }
      var w = fresh.length ? fresh[0].canvas.clientWidth : 0;
      fresh.forEach(function (r) { drawRegion(r, w); });
      sentinel.textContent = done < REGIONS.length ? plural(REGIONS.length - done, 'more region') : '';
    }
    add(list, sentinel);
    add(sec, list);
    more();
    if (done < REGIONS.length) {
      new IntersectionObserver(function (es) {
        if (es.some(function (e) { return e.isIntersecting; }) && done < REGIONS.length) more();
      }, { root: list, rootMargin: '200px' }).observe(sentinel);
    }
    var pending = false;
    window.addEventListener('resize', function () {
      if (pending) return;
      pending = true;
      requestAnimationFrame(function () {
        pending = false;
        var w = REGIONS[0].canvas.clientWidth;
        for (var i = 0; i < done; i++) drawRegion(REGIONS[i], w);
      });
    });
  }

  /* ---- one finding, expanded ---- */

  function frameItem(fr, k, openSrc) {
    var sn = fr[6] >= 0 ? SNIPS[fr[6]] : null;
    var head = h('div', { 'class': 'fhead' + (sn ? ' has-src' : '') }, [
      h('span', { 'class': 'tw' }, sn ? (openSrc ? '\u25BE' : '\u25B8') : ''),
      h('span', { 'class': 'no' }, '#' + k + ' '),
      fr[0] ? h('span', { 'class': 'func' }, fr[0]) : null,
      fr[1] ? h('span', { 'class': 'file' }, ' ' + fr[1] + (fr[2] ? ':' + fr[2] : '')) : null,
      fr[3] ? h('span', { 'class': 'mod' }, ' (' + fr[3] + (fr[4] ? '+' + fr[4] : '') + ')') :
        !fr[0] && !fr[1] ? h('span', { 'class': 'mod' }, ' ' + (fr[4] || '??')) : null,
      fr[5] ? h('span', { 'class': 'mod' }, ' [inlined]') : null
    ]);
    var li = h('li', { 'class': 'frame' }, head);
    if (!sn) return li;
    var pre = h('pre', { 'class': 'src' });
    sn[1].forEach(function (text, j) {
      var n = sn[0] + j;
      add(pre, h('span', { 'class': n === fr[2] ? 'sl hl' : 'sl', 'data-line': n },
        [h('span', { 'class': 'ln' }, String(n)), text]));
    });
    pre.hidden = !openSrc;
    add(li, pre);
    if (sn[2]) add(li, h('div', { 'class': 'stale' }, 'this source file is newer than the binary: its lines may have moved'));
    head.addEventListener('click', function () {
      pre.hidden = !pre.hidden;
      head.firstChild.textContent = pre.hidden ? '\u25B8' : '\u25BE';
    });
    return li;
  }

  function stackList(si) {
    var ol = h('ol', { 'class': 'frames' }), first = true, st = STACKS[si];
    if (!st.length) return add(ol, h('li', { 'class': 'muted' }, '(no stack recorded)'));
    st.forEach(function (k, j) {
      var fr = FRAMES[k], openSrc = first && fr[6] >= 0;
      if (openSrc) first = false;
      add(ol, frameItem(fr, j, openSrc));
    });
    return ol;
  }

  var MAIN_ROLE = {
    'unflushed-write': 'written at', 'undrained-flush': 'written at', 'overwritten-unflushed': 'written at',
    'redundant-flush': 'flushed at', 'leaked-token': 'token created at'
  };

  function fact(dl, name, value) {
    if (value === null || value === undefined || value === '') return;
    add(dl, [h('dt', null, name), h('dd', null, String(value))]);
  }

  function details(i) {
    var f = FINDINGS[i], d = h('div', { 'class': 'detail' }), dl = h('dl', { 'class': 'facts' });
    add(d, h('p', { 'class': 'msg' }, f.message || f.kind));
    fact(dl, 'address', f.address);
    fact(dl, 'size', f.size !== null ? plural(f.size, 'byte') : null);
    if (f.region) {
      fact(dl, 'region', (f.region.base ? f.region.base + ' ' : '') +
        (f.region.size !== null ? '(' + plural(f.region.size, 'byte') + ') ' : '') + 'offset ' + f.region.offset);
    }
    fact(dl, 'token', f.token);
    fact(dl, 'routine', f.routine);
    fact(dl, 'thread', f.thread ? f.thread + (f.tid ? ' (tid ' + f.tid + ')' : '') : null);
    fact(dl, 'occurrences', f.count > 1 ? num(f.count) + (f.bytes !== null ? ', ' + plural(f.bytes, 'byte') + ' in total' : '') : null);
    fact(dl, f.procs.length > 1 ? 'processes' : 'process', f.procs.map(procName).join(', '));
    add(d, dl);
    var role = Object.prototype.hasOwnProperty.call(MAIN_ROLE, f.kind) ? MAIN_ROLE[f.kind] : 'called at';
    add(d, [h('h4', null, role + ':'), stackList(f.stack)]);
    f.related.forEach(function (rel) {
      var t = rel[0].replace(/-/g, ' ');
      add(d, [h('h4', null, (/ at$/.test(t) ? t : t + ' at') + ':'), stackList(rel[1])]);
    });
    return d;
  }

  /* ---- the table ---- */

  function rowFor(r) {
    var f = r.f, tr = h('tr', { 'class': 'row', tabindex: 0, 'data-i': r.i, 'aria-expanded': 'false' }, [
      h('td', { 'class': 'num' }, String(r.i + 1)),
      h('td', null, h('span', { 'class': 'sev ' + f.severity }, f.severity)),
      h('td', { 'class': 'kind' }, [swatch(f.kind), f.kind]),
      h('td', { 'class': 'fn' }, r.fn),
      h('td', { 'class': 'loc' }, r.loc),
      h('td', { 'class': 'proc' }, r.proc),
      h('td', { 'class': 'num' }, r.size >= 0 ? num(r.size) : ''),
      h('td', { 'class': 'num' }, num(f.count)),
      h('td', { 'class': 'msg', title: f.message || '' }, f.message || '')
    ]);
    rowEl[r.i] = tr;
    if (open[r.i]) {
      tr.classList.add('open');
      tr.setAttribute('aria-expanded', 'true');
    }
    return tr;
  }

  function expand(i, tr) {
    var dt = h('tr', { 'class': 'detail', 'data-i': i }, h('td', { colspan: COLUMNS.length }, details(i)));
    tr.classList.add('open');
    tr.setAttribute('aria-expanded', 'true');
    open[i] = dt;
    tr.parentNode.insertBefore(dt, tr.nextSibling);
  }

  function toggle(i) {
    var tr = rowEl[i];
    if (open[i]) {
      if (open[i].parentNode) open[i].parentNode.removeChild(open[i]);
      delete open[i];
      tr.classList.remove('open');
      tr.setAttribute('aria-expanded', 'false');
    } else {
      expand(i, tr);
    }
  }

  function renderMore() {
    var end = Math.min(view.length, shown + CHUNK), frag = document.createDocumentFragment();
    for (; shown < end; shown++) {
      var tr = rowFor(view[shown]);
      add(frag, tr);
      if (open[view[shown].i]) add(frag, open[view[shown].i]);
    }
    tbody.appendChild(frag);
    moreEl.textContent = shown < view.length ? plural(view.length - shown, 'more finding') + ' \u2026' : '';
  }

  function matches(r) {
    var f = r.f;
    if (state.kind && f.kind !== state.kind) return false;
    if (state.sev && f.severity !== state.sev) return false;
    if (state.proc !== '' && f.procs.indexOf(+state.proc) < 0) return false;
    return !state.text || searchText(r).indexOf(state.text) >= 0;
  }

  function apply() {
    var s = SORTS[state.sort], dir = state.dir;
    view = rows.filter(matches);
    view.sort(function (a, b) { return dir * s(a, b) || a.i - b.i; });
    pos.fill(-1);
    view.forEach(function (r, k) { pos[r.i] = k; });
    tbody.textContent = '';
    rowEl = {};
    shown = 0;
    renderMore();
    shownEl.textContent = num(view.length) + ' of ' + plural(rows.length, 'finding');
    if (!rows.length) add(tbody, h('tr', null, h('td', { colspan: COLUMNS.length, 'class': 'empty' },
      'No findings: every byte written was made durable.')));
    document.querySelectorAll('#ftable th').forEach(function (th) {
      var k = th.getAttribute('data-sort');
      th.setAttribute('aria-sort', k === state.sort ? (dir > 0 ? 'ascending' : 'descending') : 'none');
    });
  }

  function jumpTo(i) {
    if (pos[i] < 0) resetFilters();
    while (shown <= pos[i]) renderMore();
    var tr = rowEl[i];
    if (!open[i]) toggle(i);
    tr.scrollIntoView({ block: 'center' });
    tr.classList.remove('flash');
    void tr.offsetWidth;
    tr.classList.add('flash');
    tr.focus({ preventScroll: true });
  }

  function select(id, label, options) {
    var s = h('select', { id: id });
    options.forEach(function (o) { add(s, h('option', { value: o[0] }, o[1])); });
    s.addEventListener('change', function () { state[label] = s.value; apply(); });
    controls[label] = s;
    return h('label', null, [label === 'sev' ? 'Severity ' : label === 'proc' ? 'Process ' : 'Kind ', s]);
  }

  function resetFilters() {
    state.kind = state.sev = state.proc = state.text = '';
    ['kind', 'sev', 'proc', 'text'].forEach(function (k) { controls[k].value = ''; });
    apply();
  }

  function toolbar() {
    var text = h('input', { id: 'f-text', type: 'search', placeholder: 'function or file in the stack', 'aria-label': 'search' });
    var timer = 0;
    text.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () { state.text = text.value.trim().toLowerCase(); apply(); }, 120);
    });
    controls.text = text;
    var reset = h('button', { id: 'f-reset', type: 'button' }, 'Reset');
    reset.addEventListener('click', resetFilters);
    shownEl = h('span', { id: 'shown' });
    return h('div', { 'class': 'toolbar' }, [
      select('f-kind', 'kind', [['', 'all']].concat(D.summary.by_kind.map(function (k) { return [k[0], k[0] + ' (' + k[2] + ')']; }))),
      select('f-sev', 'sev', [['', 'all'], ['error', 'errors'], ['warning', 'warnings']]),
      select('f-proc', 'proc', [['', 'all']].concat(PROCS.map(function (p, i) { return [String(i), procName(i)]; }))),
      h('label', null, ['Search ', text]), reset, shownEl
    ]);
  }

  function findingsSection() {
    var sec = h('section', { id: 'findings' }), tr = h('tr');
    add(sec, h('h2', null, 'Findings'));
    add(sec, toolbar());
    COLUMNS.forEach(function (c) {
      var b = h('button', { type: 'button' }, c[1]);
      b.addEventListener('click', function () {
        state.dir = state.sort === c[0] ? -state.dir : 1;
        state.sort = c[0];
        apply();
      });
      add(tr, h('th', { 'data-sort': c[0], 'aria-sort': 'none' }, b));
    });
    tbody = h('tbody', { id: 'rows' });
    tbody.addEventListener('click', function (ev) {
      var t = ev.target.closest ? ev.target.closest('tr.row') : null;
      if (t && tbody.contains(t)) toggle(+t.getAttribute('data-i'));
    });
    tbody.addEventListener('keydown', function (ev) {
      var t = ev.target;
      if ((ev.key === 'Enter' || ev.key === ' ') && t.classList && t.classList.contains('row')) {
        ev.preventDefault();
        toggle(+t.getAttribute('data-i'));
      }
    });
    add(sec, h('table', { id: 'ftable' }, [h('thead', null, tr), tbody]));
    moreEl = h('div', { id: 'more', 'class': 'more' });
    add(sec, moreEl);
    new IntersectionObserver(function (es) {
      if (es.some(function (e) { return e.isIntersecting; }) && shown < view.length) renderMore();
    }, { rootMargin: '800px' }).observe(moreEl);
    return sec;
  }

  /* ---- start ---- */

  var app = document.getElementById('app');
  app.textContent = ''; /* the message shown when this script cannot run */
  tip = h('div', { id: 'tip', role: 'tooltip' });
  add(app, [header(), findingsSection(), tip]);
  regionsSection(document.getElementById('findings'));
  apply();
  window.nvcheckLoadMs = performance.now();
  document.body.setAttribute('data-state', 'ready');
})();
