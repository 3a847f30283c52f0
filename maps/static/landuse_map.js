/* landuse-efficiency parcel map: canvas layers over compact encoded geometry (maps/encode.py).
 * No network access: everything the page needs is inlined by maps/builder.py. */
(function () {
  'use strict';

  // ---- decoding ------------------------------------------------------------------------------
  function decodeInts(s) {
    var out = [], acc = 0, shift = 0, i, b;
    for (i = 0; i < s.length; i++) {
      b = s.charCodeAt(i) - 63;
      acc += (b & 31) * Math.pow(2, shift);
      if (b & 32) { shift += 5; continue; }
      out.push(acc % 2 ? -(acc + 1) / 2 : acc / 2);
      acc = 0; shift = 0;
    }
    return out;
  }

  function text(id) { var el = document.getElementById(id); return el ? el.textContent : ''; }

  // decode a geometry set to Web-Mercator unit coordinates (0..1) plus per-feature ring ranges
  function decodeGeometry(g, origin, quantum) {
    var nr = decodeInts(text(g.nr)), nv = decodeInts(text(g.nv)), xy = decodeInts(text(g.xy));
    var n = nr.length, nRings = nv.length, nVert = xy.length / 2;
    var mx = new Float64Array(nVert), my = new Float64Array(nVert);
    var ringStart = new Int32Array(nRings + 1), featRing = new Int32Array(n + 1);
    var bbox = new Float64Array(n * 4);
    var x = 0, y = 0, v, r, f, k = 0, lon, lat, s;
    var D2R = Math.PI / 180, MAXLAT = 85.0511287798;
    for (v = 0; v < nVert; v++) {
      x += xy[2 * v]; y += xy[2 * v + 1];
      lon = origin[0] + x * quantum; lat = origin[1] + y * quantum;
      lat = Math.max(Math.min(lat, MAXLAT), -MAXLAT);
      s = Math.sin(lat * D2R);
      mx[v] = lon / 360 + 0.5;
      my[v] = 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
    }
    for (r = 0; r < nRings; r++) ringStart[r + 1] = ringStart[r] + nv[r];
    for (f = 0; f < n; f++) {
      featRing[f + 1] = featRing[f] + nr[f];
      var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      for (r = featRing[f]; r < featRing[f + 1]; r++) {
        for (k = ringStart[r]; k < ringStart[r + 1]; k++) {
          if (mx[k] < x0) x0 = mx[k]; if (mx[k] > x1) x1 = mx[k];
          if (my[k] < y0) y0 = my[k]; if (my[k] > y1) y1 = my[k];
        }
      }
      bbox[4 * f] = x0; bbox[4 * f + 1] = y0; bbox[4 * f + 2] = x1; bbox[4 * f + 3] = y1;
    }
    return { n: n, mx: mx, my: my, ringStart: ringStart, featRing: featRing, bbox: bbox };
  }

  function unproject(mx, my) {
    var lon = (mx - 0.5) * 360;
    var lat = (2 * Math.atan(Math.exp((0.5 - my) * 2 * Math.PI)) - Math.PI / 2) * 180 / Math.PI;
    return L.latLng(lat, lon);
  }

  // ---- the canvas layer ----------------------------------------------------------------------
  // A Leaflet Canvas renderer (zoom animation, panning, retina handled by Leaflet) that draws a
  // whole feature set itself: features grouped by class, one path and one fill per class, culled to
  // the view; features smaller than ~2 px (or below minZoom) drawn as dots.
  var DataCanvas = L.Canvas.extend({
    initialize: function (spec, geom, options) {
      L.Canvas.prototype.initialize.call(this, L.extend({ padding: 0.2 }, options));
      this.spec = spec; this.geom = geom;
      this.idx = spec.idx || null;  // subset of features, or all
      this.cls = spec.cls;
      var byClass = [], i, c, n = this.idx ? this.idx.length : geom.n;
      for (c = 0; c < spec.colors.length; c++) byClass.push([]);
      for (i = 0; i < n; i++) byClass[this.cls[i]].push(this.idx ? this.idx[i] : i);
      this.byClass = byClass;
      this.member = null;
      if (this.idx) { this.member = new Int32Array(geom.n).fill(-1); for (i = 0; i < n; i++) this.member[this.idx[i]] = i; }
    },
    _initContainer: function () {
      L.Canvas.prototype._initContainer.call(this);
      this._container.style.pointerEvents = 'none';  // clicks go to the map; we hit-test ourselves
    },
    _updatePaths: function () { if (!this._postponeUpdatePaths) this._drawData(); },
    _redraw: function () { this._drawData(); },
    _draw: function () { this._drawData(); },
    has: function (f) { return this.member ? this.member[f] >= 0 : f < this.geom.n; },
    classOf: function (f) { return this.cls[this.member ? this.member[f] : f]; },
    _drawData: function () {
      if (!this._map || !this._bounds) return;
      var map = this._map, ctx = this._ctx, g = this.geom, spec = this.spec;
      var z = map.getZoom(), S = 256 * Math.pow(2, z), po = map.getPixelOrigin();
      var b = this._bounds;
      ctx.clearRect(b.min.x, b.min.y, b.max.x - b.min.x, b.max.y - b.min.y);
      var vx0 = (b.min.x + po.x) / S, vy0 = (b.min.y + po.y) / S, vx1 = (b.max.x + po.x) / S, vy1 = (b.max.y + po.y) / S;
      var polyMode = z >= (spec.minZoom || 0), minPx = 2 / S;
      var fillOpacity = spec.fillOpacity == null ? 0.8 : spec.fillOpacity;
      var strokeW = spec.weight == null ? (z >= 15 ? 0.8 : 0.4) : spec.weight;
      var c, j, f, r, k, list, bb = g.bbox, dots, ox = po.x, oy = po.y;
      for (c = 0; c < this.byClass.length; c++) {
        list = this.byClass[c]; if (!list.length) continue;
        var color = spec.colors[c];
        ctx.beginPath(); dots = [];
        for (j = 0; j < list.length; j++) {
          f = list[j];
          if (bb[4 * f + 2] < vx0 || bb[4 * f] > vx1 || bb[4 * f + 3] < vy0 || bb[4 * f + 1] > vy1) continue;
          if (!polyMode || (bb[4 * f + 2] - bb[4 * f] < minPx && bb[4 * f + 3] - bb[4 * f + 1] < minPx) ||
              g.ringStart[g.featRing[f] + 1] - g.ringStart[g.featRing[f]] === 1) { dots.push(f); continue; }
          for (r = g.featRing[f]; r < g.featRing[f + 1]; r++) {
            k = g.ringStart[r];
            ctx.moveTo(g.mx[k] * S - ox, g.my[k] * S - oy);
            for (k = k + 1; k < g.ringStart[r + 1]; k++) ctx.lineTo(g.mx[k] * S - ox, g.my[k] * S - oy);
            ctx.closePath();
          }
        }
        if (fillOpacity > 0) { ctx.globalAlpha = fillOpacity; ctx.fillStyle = color; ctx.fill('evenodd'); }
        ctx.globalAlpha = 1;
        if (strokeW > 0) {
          ctx.lineWidth = spec.weight == null ? strokeW : spec.weight;
          ctx.strokeStyle = spec.stroke || (spec.strokeByClass || z < 15 ? color : '#555'); ctx.stroke();
        }
        if (dots.length) {
          ctx.fillStyle = color; ctx.globalAlpha = 1;
          var d = spec.dot || 3, h = d / 2;
          ctx.beginPath();
          for (j = 0; j < dots.length; j++) {
            f = dots[j];
            var px = (bb[4 * f] + bb[4 * f + 2]) / 2 * S - ox, py = (bb[4 * f + 1] + bb[4 * f + 3]) / 2 * S - oy;
            if (spec.round) { ctx.moveTo(px + h, py); ctx.arc(px, py, h, 0, 2 * Math.PI); } else ctx.rect(px - h, py - h, d, d);
          }
          ctx.fill();
          if (spec.round) { ctx.lineWidth = 1; ctx.strokeStyle = '#333'; ctx.stroke(); }
        }
      }
      if (spec.labels && z >= (spec.labelZoom || 0)) this._drawLabels(ctx, S, ox, oy, vx0, vy0, vx1, vy1);
      this.fire('drawn');
    },
    _drawLabels: function (ctx, S, ox, oy, vx0, vy0, vx1, vy1) {
      var g = this.geom, bb = g.bbox, labels = this.spec.labels, f;
      ctx.font = 'bold 13px "WenQuanYi Micro Hei","Microsoft YaHei","PingFang SC",sans-serif';
      ctx.textAlign = 'center'; ctx.textBaseline = 'middle'; ctx.lineWidth = 3; ctx.strokeStyle = '#fff';
      ctx.fillStyle = '#222';
      for (f = 0; f < g.n; f++) {
        if (!this.has(f) || bb[4 * f + 2] < vx0 || bb[4 * f] > vx1 || bb[4 * f + 3] < vy0 || bb[4 * f + 1] > vy1) continue;
        // above the feature's top edge when it is large on screen, else at its centre
        var px = (bb[4 * f] + bb[4 * f + 2]) / 2 * S - ox, top = bb[4 * f + 1] * S - oy, bot = bb[4 * f + 3] * S - oy;
        var py = bot - top > 60 ? top - 10 : (top + bot) / 2;
        ctx.strokeText(labels[f], px, py); ctx.fillText(labels[f], px, py);
      }
    },
    // feature under a container point, or -1 (even-odd point in polygon; dots within their radius)
    hitTest: function (latlng) {
      var map = this._map, g = this.geom, bb = g.bbox, z = map.getZoom(), S = 256 * Math.pow(2, z);
      var s = Math.sin(Math.max(Math.min(latlng.lat, 85.05), -85.05) * Math.PI / 180);
      var x = latlng.lng / 360 + 0.5, y = 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
      var tol = 4 / S, polyMode = z >= (this.spec.minZoom || 0), best = -1, f, r, k, k0, k1, inside;
      var list = this.idx || null, n = list ? list.length : g.n, i;
      for (i = n - 1; i >= 0; i--) {
        f = list ? list[i] : i;
        if (x < bb[4 * f] - tol || x > bb[4 * f + 2] + tol || y < bb[4 * f + 1] - tol || y > bb[4 * f + 3] + tol) continue;
        var cx = (bb[4 * f] + bb[4 * f + 2]) / 2, cy = (bb[4 * f + 1] + bb[4 * f + 3]) / 2;
        var tiny = !polyMode || (bb[4 * f + 2] - bb[4 * f] < 2 / S && bb[4 * f + 3] - bb[4 * f + 1] < 2 / S) ||
          g.ringStart[g.featRing[f] + 1] - g.ringStart[g.featRing[f]] === 1;
        if (tiny) { if (Math.abs(x - cx) <= tol && Math.abs(y - cy) <= tol) return f; continue; }
        inside = false;
        for (r = g.featRing[f]; r < g.featRing[f + 1]; r++) {
          k0 = g.ringStart[r]; k1 = g.ringStart[r + 1];
          for (k = k0; k < k1; k++) {
            var j = k === k0 ? k1 - 1 : k - 1, xi = g.mx[k], yi = g.my[k], xj = g.mx[j], yj = g.my[j];
            if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) inside = !inside;
          }
        }
        if (inside) return f;
      }
      return best;
    },
    featureBounds: function (f) {
      var bb = this.geom.bbox;
      return L.latLngBounds(unproject(bb[4 * f], bb[4 * f + 3]), unproject(bb[4 * f + 2], bb[4 * f + 1]));
    },
    featureLatLngs: function (f) {
      var g = this.geom, out = [], r, k, ring;
      for (r = g.featRing[f]; r < g.featRing[f + 1]; r++) {
        ring = [];
        for (k = g.ringStart[r]; k < g.ringStart[r + 1]; k++) ring.push(unproject(g.mx[k], g.my[k]));
        out.push(ring);
      }
      return out;
    }
  });

  // ---- helpers -------------------------------------------------------------------------------
  function esc(s) {
    return s == null ? '' : String(s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  function num(v, d) {
    if (v == null || v !== v) return '—';
    return Number(v).toLocaleString('zh-CN', { maximumFractionDigits: d == null ? 2 : d });
  }
  function pct(v) { return v == null || v !== v ? '—' : (v * 100).toFixed(1) + '%'; }
  function row(k, v) { return '<tr><th>' + esc(k) + '</th><td>' + v + '</td></tr>'; }

  // ---- the page ------------------------------------------------------------------------------
  function init(map, C) {
    var T = C.text, t0 = performance.now();
    window.__mapDrawn = false;
    var P = C.parcels, Z = C.zones, B = C.buildings, F = C.flags;
    var geoms = {};
    geoms.parcels = decodeGeometry(P.geom, C.origin, P.geom.q);
    geoms.zones = decodeGeometry(Z.geom, C.origin, Z.geom.q);
    if (B) geoms.buildings = decodeGeometry(B.geom, C.origin, B.geom.q);
    window.__decodeMs = performance.now() - t0;

    // flags per parcel
    var flagsOf = {};
    if (F) for (var i = 0; i < F.p.length; i++) (flagsOf[F.p[i]] = flagsOf[F.p[i]] || []).push(i);

    if (C.bounds) map.fitBounds(C.bounds, { animate: false });

    // layers
    var layers = {}, order = [], base = {}, overlays = {}, pending = 0;
    C.layers.forEach(function (spec, zi) {
      var pane = map.createPane('lu-' + spec.id);
      pane.style.zIndex = 400 + (spec.z || zi);
      pane.style.pointerEvents = 'none';
      var lyr = new DataCanvas(spec, geoms[spec.source], { pane: 'lu-' + spec.id });
      lyr.spec = spec; lyr.source = spec.source;
      layers[spec.id] = lyr; order.push(lyr);
      if (spec.group === 'base') base[spec.name] = lyr; else overlays[spec.name] = lyr;
      if (spec.on) {
        pending++;
        lyr.once('drawn', function () { if (--pending === 0) { window.__mapDrawn = true; window.__drawMs = performance.now() - t0; } });
        lyr.addTo(map);
      }
    });
    if (pending === 0) window.__mapDrawn = true;
    if (C.tiles) {
      C.tiles.forEach(function (tl) {
        var tlayer = L.tileLayer(tl.url, tl.options);
        overlays[tl.name] = tlayer; tlayer.addTo(map);
      });
    }
    L.control.layers(base, overlays, { collapsed: false, position: 'topright' }).addTo(map);
    L.control.scale({ metric: true, imperial: false, position: 'bottomleft' }).addTo(map);
    if (L.control.fullscreen) {
      L.control.fullscreen({ position: 'topleft', title: T.fullscreen, titleCancel: T.exitFullscreen, forceSeparateButton: true }).addTo(map);
    }
    map.attributionControl.setPrefix('Leaflet');

    // legend for every visible layer
    var legend = L.control({ position: 'bottomright' });
    legend.onAdd = function () {
      this._div = L.DomUtil.create('div', 'lu-legend');
      L.DomEvent.disableClickPropagation(this._div); L.DomEvent.disableScrollPropagation(this._div);
      return this._div;
    };
    legend.update = function () {
      var html = '';
      order.forEach(function (l) {
        if (!map.hasLayer(l) || !l.spec.legend) return;
        var lg = l.spec.legend, used = new Uint8Array(lg.entries.length);
        for (var c = 0; c < l.byClass.length; c++) if (l.byClass[c].length) used[c] = 1;
        html += '<div class="lu-legend-block"><div class="lu-legend-title">' + esc(lg.title) + '</div>';
        lg.entries.forEach(function (e, c) {
          if (!used[c] && c === lg.entries.length - 1 && l.spec.hideEmptyLast) return;
          html += '<div class="lu-legend-row"><i style="background:' + e[0] + '"></i>' + esc(e[1]) + '</div>';
        });
        html += '</div>';
      });
      this._div.innerHTML = html;
    };
    legend.addTo(map); legend.update();
    map.on('overlayadd overlayremove baselayerchange', function () { legend.update(); });

    // title
    var title = L.control({ position: 'topleft' });
    title.onAdd = function () { var d = L.DomUtil.create('div', 'lu-title'); d.textContent = C.title; return d; };
    title.addTo(map);

    // popups
    function parcelHtml(f) {
      var h = '<div class="lu-popup"><h4>' + esc(T.parcel) + ' ' + esc(P.code[f]) + '</h4><table>';
      h += row(T.holder, esc(P.holders[P.holder[f]] || '—'));
      h += row(T.zone, esc(Z.name[P.zone[f]] || P.zones[P.zone[f]] || '—'));
      h += row(T.area, num(P.area[f], 2));
      h += row(T.stage, esc(P.stages[P.stage[f]] || '—'));
      h += row(T.revenue, num(P.rev[f], 1));
      h += row(T.tax, num(P.tax[f], 2));
      h += row(T.far, num(P.far[f], 2));
      h += row(T.coverage, pct(P.cov[f]));
      h += row(T.grade, esc(P.grades[P.grade[f]] || T.ungraded));
      h += '</table>';
      var fl = flagsOf[f];
      if (fl && fl.length) {
        h += '<div class="lu-flags"><b>' + esc(T.flags) + '</b><ol>';
        fl.forEach(function (i) {
          var rule = F.rules[F.r[i]];
          h += '<li><b>' + esc(rule[1]) + '</b> <span class="lu-code">' + esc(rule[0]) + '</span>';
          if (F.ev[i]) h += '<br>' + esc(T.evidence) + ': ' + esc(F.ev[i]);
          if (F.acts[F.a[i]]) h += '<br>' + esc(T.action) + ': ' + esc(F.acts[F.a[i]]);
          h += '</li>';
        });
        h += '</ol></div>';
      } else h += '<div class="lu-noflags">' + esc(T.noFlags) + '</div>';
      return h + '</div>';
    }
    function zoneHtml(f) {
      var h = '<div class="lu-popup"><h4>' + esc(Z.name[f]) + '</h4><table>';
      h += row(T.zoneCode, esc(Z.code[f]));
      h += row(T.score, Z.score[f] == null ? esc(T.unscored) : num(Z.score[f], 1));
      h += row(T.rank, Z.rank[f] == null ? '—' : esc(Z.rank[f]));
      h += row(T.revenue, num(Z.rev[f], 1));
      h += row(T.growth, pct(Z.growth[f]));
      h += row(T.developed, num(Z.dev[f], 1));
      h += row(T.occupancy, pct(Z.occ[f]));
      return h + '</table></div>';
    }
    function buildingHtml(f) {
      var h = '<div class="lu-popup"><h4>' + esc(T.factory) + ' ' + esc(B.code[f]) + '</h4><table>';
      h += row(T.parcel, esc(B.parcel[f]));
      h += row(T.floorArea, num(B.area[f], 0));
      h += row(T.occupancy, pct(B.occ[f]));
      return h + '</table></div>';
    }
    var highlight = null;
    function select(src, f, latlng) {
      var lyr = null;
      order.forEach(function (l) { if (l.source === src && !lyr) lyr = l; });
      if (highlight) { map.removeLayer(highlight); highlight = null; }
      if (lyr && src !== 'zones') {
        highlight = L.polygon(lyr.featureLatLngs(f), { color: '#00e5ff', weight: 3, fill: false, interactive: false }).addTo(map);
      }
      var html = src === 'parcels' ? parcelHtml(f) : src === 'zones' ? zoneHtml(f) : buildingHtml(f);
      L.popup({ maxWidth: 360 }).setLatLng(latlng).setContent(html).openOn(map);
    }
    map.on('popupclose', function () { if (highlight) { map.removeLayer(highlight); highlight = null; } });
    function hit(latlng) {
      for (var i = order.length - 1; i >= 0; i--) {
        var l = order[i];
        if (!map.hasLayer(l)) continue;
        var f = l.hitTest(latlng);
        if (f >= 0) return { src: l.source, f: f, layer: l };
      }
      return null;
    }
    map.on('click', function (e) { var h = hit(e.latlng); if (h) select(h.src, h.f, e.latlng); });

    // tooltip on hover
    var tip = L.tooltip({ direction: 'top', offset: [0, -8], className: 'lu-tip' }), tipReq = null, lastMove = null;
    map.on('mousemove', function (e) {
      lastMove = e.latlng;
      if (tipReq) return;
      tipReq = requestAnimationFrame(function () {
        tipReq = null;
        var h = hit(lastMove);
        if (!h) { map.closeTooltip(tip); map.getContainer().style.cursor = ''; return; }
        var s = h.src === 'parcels' ? esc(P.code[h.f]) + '<br>' + esc(P.holders[P.holder[h.f]] || '') :
          h.src === 'zones' ? esc(Z.name[h.f]) : esc(T.factory) + ' ' + esc(B.code[h.f]) + ' ' + pct(B.occ[h.f]);
        tip.setLatLng(lastMove).setContent(s);
        if (!map.hasLayer(tip)) map.openTooltip(tip);
        map.getContainer().style.cursor = 'pointer';
      });
    });
    map.on('mouseout', function () { map.closeTooltip(tip); });

    // search by parcel code or enterprise name
    var search = L.control({ position: 'topleft' });
    search.onAdd = function () {
      var d = L.DomUtil.create('div', 'lu-search');
      d.innerHTML = '<input type="search" placeholder="' + esc(T.searchPlaceholder) + '"><ul></ul>';
      L.DomEvent.disableClickPropagation(d); L.DomEvent.disableScrollPropagation(d);
      var input = d.querySelector('input'), ul = d.querySelector('ul'), timer = null;
      function run() {
        var q = input.value.trim().toLowerCase(), res = [], i, hol = {};
        ul.innerHTML = '';
        if (!q) return;
        for (i = 0; i < P.holders.length; i++) if (P.holders[i] && P.holders[i].toLowerCase().indexOf(q) >= 0) hol[i] = 1;
        for (i = 0; i < P.code.length && res.length < 12; i++) {
          if (String(P.code[i]).toLowerCase().indexOf(q) >= 0 || hol[P.holder[i]]) res.push(i);
        }
        if (!res.length) { ul.innerHTML = '<li class="lu-none">' + esc(T.noResult) + '</li>'; return; }
        res.forEach(function (f) {
          var li = document.createElement('li');
          li.innerHTML = '<b>' + esc(P.code[f]) + '</b> ' + esc(P.holders[P.holder[f]] || '');
          li.onclick = function () {
            var pl = layers[C.parcelLayerIds.filter(function (id) { return map.hasLayer(layers[id]); })[0] || C.parcelLayerIds[0]];
            var bnd = pl.featureBounds(f);
            map.fitBounds(bnd, { maxZoom: Math.max(17, (pl.spec.minZoom || 0)) });
            select('parcels', f, bnd.getCenter());
            ul.innerHTML = '';
          };
          ul.appendChild(li);
        });
      }
      input.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(run, 150); });
      input.addEventListener('keydown', function (e) { if (e.key === 'Enter') { var li = ul.querySelector('li'); if (li && li.onclick) li.onclick(); } });
      return d;
    };
    search.addTo(map);

    window.__luMap = map; window.__luLayers = layers;
  }

  window.LanduseMap = { init: init, decodeInts: decodeInts };
})();
