/* landuse-efficiency map tools shared by the offline map pages (inlined by maps/assets.py) and the web
 * map (served from /static/maps/map_tools.js): hatching patterns and legend swatches, a print view,
 * a measuring tool and an attribute table of the parcels in view. DOM built with DOM calls only (no
 * inline style attributes or inline scripts: the web service's Content-Security-Policy allows neither).
 *
 * The measuring tool is written here rather than vendored: the maintained Leaflet plugins measure
 * distance only (Leaflet.PolylineMeasure) or are unmaintained and pull in a CDN-era build
 * (leaflet-measure, last release 2018); land staff need areas in 亩 as well, offline. */
(function () {
  'use strict';
  var D2R = Math.PI / 180, R_EARTH = 6378137;

  // ---- hatching ------------------------------------------------------------------------------
  var S = 10;  // pattern tile, CSS pixels
  function hatchCanvas(name, color, bg) {
    var c = document.createElement('canvas'); c.width = S; c.height = S;
    var x = c.getContext('2d');
    if (bg) { x.fillStyle = bg; x.fillRect(0, 0, S, S); }
    x.strokeStyle = color; x.fillStyle = color; x.lineWidth = 1.5; x.lineCap = 'square';
    function diag() { x.moveTo(0, S); x.lineTo(S, 0); x.moveTo(-S / 2, S / 2); x.lineTo(S / 2, -S / 2); x.moveTo(S / 2, S * 1.5); x.lineTo(S * 1.5, S / 2); }
    function back() { x.moveTo(0, 0); x.lineTo(S, S); x.moveTo(-S / 2, S / 2); x.lineTo(S / 2, S * 1.5); x.moveTo(S / 2, -S / 2); x.lineTo(S * 1.5, S / 2); }
    x.beginPath();
    switch (name) {
      case 'back_diagonal': back(); break;
      case 'cross': diag(); back(); break;
      case 'horizontal': x.moveTo(0, S / 2); x.lineTo(S, S / 2); break;
      case 'vertical': x.moveTo(S / 2, 0); x.lineTo(S / 2, S); break;
      case 'grid': x.moveTo(0, S / 2); x.lineTo(S, S / 2); x.moveTo(S / 2, 0); x.lineTo(S / 2, S); break;
      case 'dots': x.arc(S / 2, S / 2, 1.8, 0, 2 * Math.PI); x.fill(); return c;
      case 'dense': diag(); x.moveTo(0, S / 2); x.lineTo(S / 2, 0); x.moveTo(S / 2, S); x.lineTo(S, S / 2); break;
      case 'diagonal_dashed': x.moveTo(0, S); x.lineTo(S / 2, S / 2); break;
      case 'back_diagonal_dashed': x.moveTo(0, 0); x.lineTo(S / 2, S / 2); break;
      case 'horizontal_dashed': x.moveTo(0, S / 2); x.lineTo(S / 2, S / 2); break;
      case 'rings': x.arc(S / 2, S / 2, 2.6, 0, 2 * Math.PI); break;
      default: diag();
    }
    x.stroke();
    return c;
  }
  var patterns = {};
  function pattern(ctx, name, color) {
    var k = name + color;
    if (!patterns[k]) patterns[k] = hatchCanvas(name, color);
    return ctx.createPattern(patterns[k], 'repeat');
  }
  var HATCH_NAMES = ['diagonal', 'back_diagonal', 'cross', 'horizontal', 'vertical', 'grid', 'dots', 'dense',
    'diagonal_dashed', 'back_diagonal_dashed', 'horizontal_dashed', 'rings'];

  // a legend swatch: entry = [colour, label, style]; style '' | 'dashed' | 'outline[-dashed|-dotted]' | hatch name
  function swatch(entry, opts) {
    var i = document.createElement('i'), color = entry[0], style = entry[2] || '';
    i.className = 'lu-swatch';
    if (!style) { i.style.background = color; }
    else if (style === 'dashed') { i.style.background = color; i.style.border = '1px dashed ' + ((opts && opts.dashColor) || '#737373'); }
    else if (style.indexOf('outline') === 0) {
      i.style.background = 'transparent';
      i.style.border = '2px ' + (style === 'outline-dashed' ? 'dashed' : style === 'outline-dotted' ? 'dotted' : 'solid') + ' ' + color;
    } else if (HATCH_NAMES.indexOf(style) >= 0) {
      i.style.backgroundColor = '#fff';
      i.style.backgroundImage = 'url(' + hatchCanvas(style, color, '#fff').toDataURL() + ')';
      i.style.border = '1.5px solid ' + color;
    } else { i.style.background = color; }
    return i;
  }

  function el(tag, cls, text, parent) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function stopEvents(node) { L.DomEvent.disableClickPropagation(node); L.DomEvent.disableScrollPropagation(node); }

  // tool buttons share one bar (top left)
  function toolBar(map) {
    if (map._luToolBar) return map._luToolBar;
    var ctl = L.control({ position: 'topleft' });
    ctl.onAdd = function () { var d = L.DomUtil.create('div', 'leaflet-bar lu-tools'); stopEvents(d); return d; };
    ctl.addTo(map);
    map._luToolBar = ctl.getContainer();
    return map._luToolBar;
  }
  function button(map, label, title, onClick) {
    var a = el('a', 'lu-tool', label, toolBar(map));
    a.href = '#'; a.title = title || label; a.setAttribute('role', 'button');
    L.DomEvent.on(a, 'click', function (ev) { L.DomEvent.preventDefault(ev); onClick(a); });
    return a;
  }

  // ---- measuring -----------------------------------------------------------------------------
  function geodesicArea(pts) {  // m², spherical excess on the WGS84 semi-major axis sphere
    var a = 0, n = pts.length, i, p1, p2;
    if (n < 3) return 0;
    for (i = 0; i < n; i++) {
      p1 = pts[i]; p2 = pts[(i + 1) % n];
      a += (p2.lng - p1.lng) * D2R * (2 + Math.sin(p1.lat * D2R) + Math.sin(p2.lat * D2R));
    }
    return Math.abs(a * R_EARTH * R_EARTH / 2);
  }
  function pathLength(map, pts, closed) {
    var d = 0, i;
    for (i = 1; i < pts.length; i++) d += map.distance(pts[i - 1], pts[i]);
    if (closed && pts.length > 2) d += map.distance(pts[pts.length - 1], pts[0]);
    return d;
  }
  function fmtLen(m) { return m < 1000 ? m.toFixed(1) + ' 米' : (m / 1000).toFixed(3) + ' 千米'; }
  function fmtArea(m2) { return (m2 / (10000 / 15)).toFixed(2) + ' 亩 / ' + (m2 / 10000).toFixed(3) + ' 公顷 / ' + Math.round(m2).toLocaleString('zh-CN') + ' 平方米'; }

  function measure(map, T) {
    var state = { mode: null, pts: [], layer: L.layerGroup().addTo(map), shape: null, label: null, btns: {} };
    var hint = null;
    function clear() {
      state.layer.clearLayers(); state.pts = []; state.shape = null; state.label = null;
      window.__luMeasure = null;
    }
    function draw(preview) {
      var pts = preview ? state.pts.concat([preview]) : state.pts;
      if (state.shape) state.layer.removeLayer(state.shape);
      var o = { color: '#ff6f00', weight: 3, dashArray: '6 4', fillOpacity: 0.15, interactive: false };
      state.shape = (state.mode === 'area' ? L.polygon(pts, o) : L.polyline(pts, o)).addTo(state.layer);
      if (!pts.length) return;
      var txt, res;
      if (state.mode === 'area') {
        res = { area_m2: geodesicArea(pts), perimeter_m: pathLength(map, pts, true) };
        txt = T.areaLabel + ': ' + fmtArea(res.area_m2);
      } else {
        res = { distance_m: pathLength(map, pts, false) };
        txt = T.distance + ': ' + fmtLen(res.distance_m);
      }
      window.__luMeasure = { mode: state.mode, points: pts.length, latlngs: pts.map(function (p) { return [p.lat, p.lng]; }), result: res, text: txt };
      if (!state.label) state.label = L.tooltip({ permanent: true, direction: 'left', offset: [-10, 0], className: 'lu-measure-label' });
      // at the last fixed point: a label under the cursor would take the next click
      state.label.setLatLng(state.pts.length ? state.pts[state.pts.length - 1] : pts[0]).setContent(txt);
      if (!state.layer.hasLayer(state.label)) state.layer.addLayer(state.label);
    }
    function onClick(e) { state.pts.push(e.latlng); draw(); }
    function onMove(e) { if (state.pts.length) draw(e.latlng); }
    function onDbl(e) { L.DomEvent.stop(e); stop(true); }
    function start(mode) {
      stop(false); clear();
      state.mode = mode; state.active = true; map._luMeasuring = true;
      map.getContainer().classList.add('lu-measuring');
      if (map.doubleClickZoom) { state.dbl = map.doubleClickZoom.enabled(); map.doubleClickZoom.disable(); }
      map.on('click', onClick); map.on('mousemove', onMove); map.on('dblclick', onDbl);
      state.btns[mode].classList.add('lu-on');
      hint = el('div', 'lu-measure-hint', T.measureHint, map.getContainer());
    }
    function stop(finish) {
      map.off('click', onClick); map.off('mousemove', onMove); map.off('dblclick', onDbl);
      map.getContainer().classList.remove('lu-measuring');
      if (state.dbl && map.doubleClickZoom) map.doubleClickZoom.enable();
      state.dbl = false;
      Object.keys(state.btns).forEach(function (k) { state.btns[k].classList.remove('lu-on'); });
      if (hint) { hint.remove(); hint = null; }
      if (finish) draw();
      // the click that ends a measurement must not open a popup: release on the next tick (unless restarted)
      state.active = false;
      setTimeout(function () { map._luMeasuring = state.active; }, 0);
      state.mode = finish ? state.mode : null;
    }
    state.btns.line = button(map, T.measureLine, T.measureHint, function () { start('line'); });
    state.btns.area = button(map, T.measureArea, T.measureHint, function () { start('area'); });
    button(map, T.measureClear, T.measureClear, function () { stop(false); clear(); });
    return { start: start, stop: stop, clear: clear, area: geodesicArea };
  }

  // ---- print view ----------------------------------------------------------------------------
  // opts: { T, title(), subtitle(), made, policy, container (element to lay out; default: the map's) }
  function printView(map, opts) {
    var T = opts.T, body = document.body, mapEl = map.getContainer(), bar = null, frame = null, rule = null;
    var saved = null;
    function pageRule(paper) {
      var css = '@page { size: ' + paper + ' landscape; margin: 8mm; }';
      for (var i = 0; i < document.styleSheets.length; i++) {
        var sh = document.styleSheets[i];
        try { var n = sh.cssRules.length; sh.insertRule(css, n); return { sheet: sh, index: n }; } catch (e) { /* not ours */ }
      }
      return null;
    }
    function setPaper(paper) {
      body.classList.remove('lu-paper-A4', 'lu-paper-A3'); body.classList.add('lu-paper-' + paper);
      if (rule) { try { rule.sheet.deleteRule(rule.index); } catch (e) { /* gone */ } }
      rule = pageRule(paper);
      map.invalidateSize({ animate: false });
      if (saved) map.fitBounds(saved, { animate: false });
    }
    function enter() {
      saved = map.getBounds();
      body.classList.add('lu-printing');
      bar = el('div', 'lu-print-bar', null, body);
      el('b', null, T.printTitle + '  ', bar);
      el('span', null, T.paper + ' ', bar);
      var sel = el('select', null, null, bar);
      ['A4', 'A3'].forEach(function (p) { var o = el('option', null, p + ' 横向', sel); o.value = p; });
      sel.addEventListener('change', function () { setPaper(sel.value); });
      var go = el('button', null, T.doPrint, bar); go.type = 'button';
      go.addEventListener('click', function () { window.print(); });
      var out = el('button', null, T.exitPrint, bar); out.type = 'button';
      out.addEventListener('click', exit);
      frame = el('div', 'lu-print-frame', null, mapEl);
      var head = el('div', 'lu-print-head', null, frame);
      el('div', 'lu-print-title', opts.title(), head);
      var sub = opts.subtitle ? opts.subtitle() : '';
      if (sub) el('div', 'lu-print-sub', sub, head);
      var north = el('div', 'lu-print-north', null, frame);
      el('span', 'lu-north-arrow', '▲', north); el('span', null, T.north, north);
      var foot = el('div', 'lu-print-foot', null, frame);
      el('span', null, T.printed + ': ' + (opts.made || new Date().toISOString().slice(0, 10)), foot);
      if (opts.policy) el('span', null, T.policy + ': ' + opts.policy, foot);
      stopEvents(frame);
      setPaper('A4');
      window.__luPrint = { paper: 'A4', title: opts.title() };
      if (opts.onEnter) opts.onEnter();
    }
    function exit() {
      body.classList.remove('lu-printing', 'lu-paper-A4', 'lu-paper-A3');
      if (bar) bar.remove(); if (frame) frame.remove(); bar = frame = null;
      if (rule) { try { rule.sheet.deleteRule(rule.index); } catch (e) { /* gone */ } rule = null; }
      map.invalidateSize({ animate: false });
      if (saved) map.fitBounds(saved, { animate: false });
      window.__luPrint = null;
      if (opts.onExit) opts.onExit();
    }
    button(map, T.print, T.printTitle, enter);
    return { enter: enter, exit: exit, setPaper: setPaper };
  }

  // ---- attribute table -----------------------------------------------------------------------
  // opts: { T, columns: [{key, label, digits?, pct?}], rows() → objects in view, total() → n in view,
  //         onPick(row), filename }
  var FORMULA = /^[=+\-@\t\r]/;
  function csvCell(v) {
    if (v == null) return '';
    var s = String(v);
    if (typeof v === 'string' && FORMULA.test(s)) s = "'" + s;  // OWASP CSV injection
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }
  function toCsv(columns, rows) {
    var lines = [columns.map(function (c) { return csvCell(c.label); }).join(',')];
    rows.forEach(function (r) { lines.push(columns.map(function (c) { return csvCell(r[c.key]); }).join(',')); });
    return '\ufeff' + lines.join('\r\n') + '\r\n';
  }
  function attributeTable(map, opts) {
    var T = opts.T, cols = opts.columns, LIMIT = 500;
    var panel = null, tbody = null, count = null, filter = '', sortKey = null, sortDir = 1, current = [];
    function fmt(c, v) {
      if (v == null || v !== v) return '';
      if (typeof v === 'number') {
        if (c.pct) return (v * 100).toFixed(1) + '%';
        return v.toLocaleString('zh-CN', { maximumFractionDigits: c.digits == null ? 2 : c.digits });
      }
      return String(v);
    }
    function compute() {
      var rows = opts.rows(), q = filter.trim().toLowerCase();
      if (q) rows = rows.filter(function (r) {
        return cols.some(function (c) { var v = r[c.key]; return v != null && String(v).toLowerCase().indexOf(q) >= 0; });
      });
      if (sortKey) {
        rows = rows.slice().sort(function (a, b) {
          var x = a[sortKey], y = b[sortKey];
          if (x == null && y == null) return 0; if (x == null) return 1; if (y == null) return -1;
          if (typeof x === 'number' && typeof y === 'number') return (x - y) * sortDir;
          return String(x).localeCompare(String(y), 'zh-CN') * sortDir;
        });
      }
      return rows;
    }
    function render() {
      if (!panel) return;
      current = compute();
      tbody.textContent = '';
      current.slice(0, LIMIT).forEach(function (r) {
        var tr = el('tr', null, null, tbody);
        cols.forEach(function (c) { var td = el('td', typeof r[c.key] === 'number' ? 'n' : null, fmt(c, r[c.key]), tr); });
        tr.addEventListener('click', function () { if (opts.onPick) opts.onPick(r); });
      });
      count.textContent = T.rowsShown.replace('{n}', current.length).replace('{m}', opts.total ? opts.total() : current.length) +
        (current.length > LIMIT ? '；' + T.tableLimit.replace('{n}', LIMIT) : '');
      window.__luTable = { rows: current, columns: cols, csv: function () { return toCsv(cols, current); } };
    }
    function exportCsv() {
      var blob = new Blob([toCsv(cols, current)], { type: 'text/csv;charset=utf-8' });
      var a = el('a', null, null, document.body);
      a.href = URL.createObjectURL(blob); a.download = opts.filename ? opts.filename() : 'parcels.csv';
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
    }
    function open() {
      if (panel) { close(); return; }
      panel = el('div', 'lu-table-panel', null, map.getContainer());
      stopEvents(panel);
      var head = el('div', 'lu-table-head', null, panel);
      el('b', null, T.tableTitle, head);
      var inp = el('input', null, null, head); inp.type = 'search'; inp.placeholder = T.filter; inp.value = filter;
      var timer = null;
      inp.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(function () { filter = inp.value; render(); }, 150); });
      count = el('span', 'lu-table-count', '', head);
      var ex = el('button', null, T.exportCsv, head); ex.type = 'button'; ex.className = 'lu-table-export';
      ex.addEventListener('click', exportCsv);
      var cl = el('button', null, T.close, head); cl.type = 'button';
      cl.addEventListener('click', close);
      var wrap = el('div', 'lu-table-wrap', null, panel);
      var table = el('table', 'lu-table', null, wrap);
      var tr = el('tr', null, null, el('thead', null, null, table));
      cols.forEach(function (c) {
        var th = el('th', null, c.label, tr);
        th.addEventListener('click', function () {
          if (sortKey === c.key) sortDir = -sortDir; else { sortKey = c.key; sortDir = 1; }
          Array.prototype.forEach.call(tr.children, function (x) { x.classList.remove('lu-asc', 'lu-desc'); });
          th.classList.add(sortDir > 0 ? 'lu-asc' : 'lu-desc');
          render();
        });
      });
      tbody = el('tbody', null, null, table);
      map.on('moveend', render);
      render();
    }
    function close() {
      if (!panel) return;
      map.off('moveend', render);
      panel.remove(); panel = null; window.__luTable = null;
    }
    button(map, T.table, T.tableTitle, open);
    return { open: open, close: close, refresh: render, csv: function () { return toCsv(cols, current); } };
  }

  window.LanduseTools = {
    hatchCanvas: hatchCanvas, pattern: pattern, swatch: swatch, measure: measure, printView: printView,
    attributeTable: attributeTable, geodesicArea: geodesicArea, toCsv: toCsv, csvCell: csvCell, el: el
  };
})();
