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

  function project(lon, lat) {
    var s = Math.sin(Math.max(Math.min(lat, 85.0511287798), -85.0511287798) * Math.PI / 180);
    return [lon / 360 + 0.5, 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)];
  }

  var FONT = '"WenQuanYi Micro Hei","Microsoft YaHei","PingFang SC","Noto Sans CJK SC",sans-serif';

  // a zone whose bounding box is smaller than spec.markerPx on screen (S = world size in px) is a marker
  function small(spec, bb, f, S) {
    return spec.markerPx > 0 && Math.max(bb[4 * f + 2] - bb[4 * f], bb[4 * f + 3] - bb[4 * f + 1]) * S < spec.markerPx;
  }
  function hiddenAt(spec, z) { return spec.showZoom != null && z < spec.showZoom; }

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
      if (hiddenAt(spec, z)) { this.fire('drawn'); return; }  // e.g. standard factories at province scale
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
          if (small(spec, bb, f, S)) continue;  // drawn by the ZoneMarkers layer
          if (!polyMode || (bb[4 * f + 2] - bb[4 * f] < minPx && bb[4 * f + 3] - bb[4 * f + 1] < minPx) ||
              g.ringStart[g.featRing[f] + 1] - g.ringStart[g.featRing[f]] === 1) { dots.push(f); continue; }
          for (r = g.featRing[f]; r < g.featRing[f + 1]; r++) {
            k = g.ringStart[r];
            ctx.moveTo(g.mx[k] * S - ox, g.my[k] * S - oy);
            for (k = k + 1; k < g.ringStart[r + 1]; k++) ctx.lineTo(g.mx[k] * S - ox, g.my[k] * S - oy);
            ctx.closePath();
          }
        }
        // problems: hatching in the problem colour over the theme; undeveloped land / pilot areas: dashed outlines
        var hatch = spec.hatch && spec.hatch[c], dashed = spec.dashed && spec.dashed.indexOf(c) >= 0,
          dotted = spec.dotted && spec.dotted.indexOf(c) >= 0;
        if (fillOpacity > 0) {
          ctx.globalAlpha = hatch ? 1 : fillOpacity;
          ctx.fillStyle = hatch ? window.LanduseTools.pattern(ctx, hatch, color) : color; ctx.fill('evenodd');
        }
        ctx.globalAlpha = 1;
        if (strokeW > 0 || dashed) {
          ctx.lineWidth = dashed && !spec.weight ? Math.max(strokeW, 1) : (spec.weight == null ? strokeW : spec.weight);
          ctx.setLineDash(dashed ? [5, 3] : dotted ? [1.5, 4] : (spec.dashByClass ? (spec.dashByClass[c] || []) : []));
          ctx.strokeStyle = dashed ? (spec.dashColor || '#737373') :
            (spec.stroke || (spec.strokeByClass || z < 15 ? color : '#555'));
          ctx.stroke(); ctx.setLineDash([]);
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
      ctx.font = 'bold 13px ' + FONT;
      ctx.textAlign = 'center'; ctx.textBaseline = 'middle'; ctx.lineWidth = 3; ctx.strokeStyle = '#fff';
      ctx.fillStyle = '#222';
      var viewTop = this._map.containerPointToLayerPoint([0, 0]).y;
      for (f = 0; f < g.n; f++) {
        if (!this.has(f) || bb[4 * f + 2] < vx0 || bb[4 * f] > vx1 || bb[4 * f + 3] < vy0 || bb[4 * f + 1] > vy1) continue;
        if (small(this.spec, bb, f, S) || !labels[f]) continue;
        // above the feature's top edge when it is large on screen, else at its centre
        var px = (bb[4 * f] + bb[4 * f + 2]) / 2 * S - ox, top = bb[4 * f + 1] * S - oy, bot = bb[4 * f + 3] * S - oy;
        if (this.spec.labelMinPx && Math.max(bot - top, (bb[4 * f + 2] - bb[4 * f]) * S) < this.spec.labelMinPx) continue;
        var py = this.spec.labelBelow ? bot + 12 : (bot - top > 60 ? top - 10 : (top + bot) / 2);
        if (!this.spec.labelBelow && bot - top > 60 && py < viewTop + 12) py = Math.min(viewTop + 12, bot - 10);  // keep it on screen
        var viewBot = this._map.containerPointToLayerPoint(this._map.getSize()).y;
        if (this.spec.labelBelow && py > viewBot - 24) py = Math.max(top + 12, viewBot - 24);
        ctx.strokeText(labels[f], px, py); ctx.fillText(labels[f], px, py);
      }
    },
    // feature under a container point, or -1 (even-odd point in polygon; dots within their radius)
    hitTest: function (latlng) {
      var map = this._map, g = this.geom, bb = g.bbox, z = map.getZoom(), S = 256 * Math.pow(2, z);
      var s = Math.sin(Math.max(Math.min(latlng.lat, 85.05), -85.05) * Math.PI / 180);
      var x = latlng.lng / 360 + 0.5, y = 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
      if (hiddenAt(this.spec, z)) return -1;
      var tol = 4 / S, polyMode = z >= (this.spec.minZoom || 0), best = -1, f, r, k, k0, k1, inside;
      var list = this.idx || null, n = list ? list.length : g.n, i;
      for (i = n - 1; i >= 0; i--) {
        f = list ? list[i] : i;
        if (x < bb[4 * f] - tol || x > bb[4 * f + 2] + tol || y < bb[4 * f + 1] - tol || y > bb[4 * f + 3] + tol) continue;
        if (small(this.spec, bb, f, S)) continue;  // hit-tested as a marker
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

  // Zones too small to see (spec.markerPx) as circle markers at their centroid, filled with the zone's
  // class colour, dark outline, name beside them; in their own pane above the parcel layers so parcel
  // dots never cover them. Added and removed together with the zone layer.
  var ZoneMarkers = DataCanvas.extend({
    initialize: function (zoneLayer, lon, lat, options) {
      L.Canvas.prototype.initialize.call(this, L.extend({ padding: 0.2 }, options));
      var g = zoneLayer.geom, bb = g.bbox, n = g.n, f, p;
      this.zones = zoneLayer; this.spec = zoneLayer.spec; this.geom = g;
      this.cx = new Float64Array(n); this.cy = new Float64Array(n);
      for (f = 0; f < n; f++) {
        if (lon && lon[f] != null && lat[f] != null) { p = project(lon[f], lat[f]); this.cx[f] = p[0]; this.cy[f] = p[1]; }
        else { this.cx[f] = (bb[4 * f] + bb[4 * f + 2]) / 2; this.cy[f] = (bb[4 * f + 1] + bb[4 * f + 3]) / 2; }
      }
      this.drawnMarkers = []; this.drawnLabels = [];  // zones drawn as markers / with a name at the last draw
      this._hits = null;
    },
    latLngOf: function (f) { return unproject(this.cx[f], this.cy[f]); },
    _drawData: function () {
      if (!this._map || !this._bounds) return;
      var map = this._map, ctx = this._ctx, g = this.geom, bb = g.bbox, spec = this.spec, zl = this.zones;
      var z = map.getZoom(), S = 256 * Math.pow(2, z), po = map.getPixelOrigin(), b = this._bounds;
      ctx.clearRect(b.min.x, b.min.y, b.max.x - b.min.x, b.max.y - b.min.y);
      var R = spec.markerRadius || 9, items = [], f, i, x, y;
      for (f = 0; f < g.n; f++) {
        if (g.featRing[f + 1] === g.featRing[f] || !small(spec, bb, f, S)) continue;
        x = this.cx[f] * S - po.x; y = this.cy[f] * S - po.y;
        if (x < b.min.x - R || x > b.max.x + R || y < b.min.y - R || y > b.max.y + R) continue;
        items.push({ f: f, x: x, y: y });
      }
      // best scores last, so they stay on top where markers overlap
      items.sort(function (a, c) { return zl.classOf(a.f) - zl.classOf(c.f); });
      ctx.lineWidth = 1.5; ctx.strokeStyle = '#1a1a1a'; ctx.globalAlpha = 1;
      for (i = 0; i < items.length; i++) {
        ctx.beginPath(); ctx.arc(items[i].x, items[i].y, R, 0, 2 * Math.PI);
        ctx.fillStyle = spec.colors[zl.classOf(items[i].f)]; ctx.fill(); ctx.stroke();
      }
      // names: greedy placement right / left / below / above the marker, never over another marker or name
      var labels = [], taken = items.map(function (it) { return [it.x - R, it.y - R, it.x + R, it.y + R]; });
      ctx.font = 'bold 12px ' + FONT; ctx.textBaseline = 'middle'; ctx.lineWidth = 3; ctx.strokeStyle = '#fff';
      ctx.lineJoin = 'round'; ctx.fillStyle = '#1a1a1a';
      function free(r) {
        for (var k = 0; k < taken.length; k++) {
          var t = taken[k];
          if (r[0] < t[2] && r[2] > t[0] && r[1] < t[3] && r[3] > t[1]) return false;
        }
        return true;
      }
      for (i = items.length - 1; i >= 0; i--) {
        var it = items[i], name = spec.labels && spec.labels[it.f];
        if (!name) continue;
        var w = ctx.measureText(name).width, h = 14, gap = R + 3, c, rect = null;
        var cands = [[it.x + gap, it.y - h / 2, 'left'], [it.x - gap - w, it.y - h / 2, 'left'],
          [it.x - w / 2, it.y + gap - 2, 'left'], [it.x - w / 2, it.y - gap - h + 2, 'left'],
          [it.x + gap - 4, it.y + R - 2, 'left'], [it.x + gap - 4, it.y - R - h + 2, 'left'],
          [it.x - gap - w + 4, it.y + R - 2, 'left'], [it.x - gap - w + 4, it.y - R - h + 2, 'left'],
          [it.x + gap, it.y + h / 2 + R, 'left'], [it.x - gap - w, it.y + h / 2 + R, 'left'],
          [it.x + gap, it.y - 1.5 * h - R, 'left'], [it.x - gap - w, it.y - 1.5 * h - R, 'left']];
        for (c = 0; c < cands.length; c++) {
          var r = [cands[c][0] - 2, cands[c][1], cands[c][0] + w + 2, cands[c][1] + h];
          if (free(r)) { rect = r; break; }
        }
        if (!rect) continue;  // crowded: the name is in the tooltip and the popup
        taken.push(rect); labels.push({ f: it.f, r: rect });
        ctx.textAlign = 'left';
        ctx.strokeText(name, rect[0] + 2, rect[1] + h / 2); ctx.fillText(name, rect[0] + 2, rect[1] + h / 2);
      }
      this._hits = { z: z, ox: po.x, oy: po.y, items: items, labels: labels, R: R };
      this.drawnMarkers = items.map(function (it) { return it.f; });
      this.drawnLabels = labels.map(function (l) { return l.f; });
      this.fire('drawn');
    },
    // zone under a lat/lng: within a marker (topmost first) or on its name, else -1
    hitTest: function (latlng) {
      var h = this._hits, map = this._map;
      if (!h || !map || map.getZoom() !== h.z) return -1;
      var S = 256 * Math.pow(2, h.z), p = project(latlng.lng, latlng.lat), x = p[0] * S - h.ox, y = p[1] * S - h.oy, i;
      for (i = h.items.length - 1; i >= 0; i--) {
        var it = h.items[i], dx = x - it.x, dy = y - it.y;
        if (dx * dx + dy * dy <= (h.R + 3) * (h.R + 3)) return it.f;
      }
      for (i = 0; i < h.labels.length; i++) {
        var r = h.labels[i].r;
        if (x >= r[0] && x <= r[2] && y >= r[1] && y <= r[3]) return h.labels[i].f;
      }
      return -1;
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
    var P = C.parcels, Z = C.zones, B = C.buildings, F = C.flags, PA = C.pilots;
    var geoms = {};
    geoms.parcels = decodeGeometry(P.geom, C.origin, P.geom.q);
    geoms.zones = decodeGeometry(Z.geom, C.origin, Z.geom.q);
    if (B) geoms.buildings = decodeGeometry(B.geom, C.origin, B.geom.q);
    if (PA) geoms.pilots = decodeGeometry(PA.geom, C.origin, PA.geom.q);
    var S = C.survey, R = C.ranges;  // the intensive-use survey (optional)
    if (S) geoms.survey = decodeGeometry(S.geom, C.origin, S.geom.q);
    if (R) geoms.ranges = decodeGeometry(R.geom, C.origin, R.geom.q);
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

    // zones too small to see at the current zoom: circle markers with their names, above the parcels
    var zoneLayer = null, markers = null;
    order.forEach(function (l) { if (l.source === 'zones' && l.spec.markerPx && !zoneLayer) zoneLayer = l; });
    if (zoneLayer) {
      map.createPane('lu-zone-markers').style.zIndex = 450;
      map.getPane('lu-zone-markers').style.pointerEvents = 'none';
      markers = new ZoneMarkers(zoneLayer, Z.lon, Z.lat, { pane: 'lu-zone-markers' });
      zoneLayer.on('add', function () { markers.addTo(map); });
      zoneLayer.on('remove', function () { map.removeLayer(markers); });
      if (map.hasLayer(zoneLayer)) markers.addTo(map);
    }
    function zoomToZone(f) {
      map.fitBounds(zoneLayer.featureBounds(f), { padding: [30, 30], maxZoom: 16 });
    }
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
    var legendOpen = window.innerHeight >= 480;  // short windows start with the legend folded
    legend.update = function () {
      var div = this._div, E = window.LanduseTools.el;
      div.textContent = '';
      var head = E('div', 'lu-legend-head', T.legend, div);
      E('span', null, legendOpen ? '▾' : '▸', head);
      var bodyEl = E('div', 'lu-legend-body', null, div);
      if (!legendOpen) bodyEl.style.display = 'none';
      var z = map.getZoom();
      order.forEach(function (l) {
        if (!map.hasLayer(l) || !l.spec.legend) return;
        var lg = l.spec.legend, used = new Uint8Array(lg.entries.length);
        var block = E('div', 'lu-legend-block', null, bodyEl);
        E('div', 'lu-legend-title', lg.title, block);
        if (hiddenAt(l.spec, z)) {  // drawn only from a closer zoom: the title and a note, no swatches
          E('div', 'lu-legend-note', T.showFrom.replace('{z}', l.spec.showZoom), block);
          return;
        }
        for (var c = 0; c < l.byClass.length; c++) if (l.byClass[c].length) used[c] = 1;
        lg.entries.forEach(function (e, c) {
          if (!used[c] && c === lg.entries.length - 1 && l.spec.hideEmptyLast) return;
          var row = E('div', 'lu-legend-row', null, block);
          row.appendChild(window.LanduseTools.swatch(e, { dashColor: l.spec.dashColor }));
          row.appendChild(document.createTextNode(e[1]));
        });
      });
      var self = this;
      head.onclick = function () { legendOpen = !legendOpen; self.update(); };
    };
    legend.addTo(map); legend.update();
    map.on('overlayadd overlayremove baselayerchange zoomend', function () { legend.update(); });

    // title
    var title = L.control({ position: 'topleft' });
    title.onAdd = function () { var d = L.DomUtil.create('div', 'lu-title'); d.textContent = C.title; return d; };
    title.addTo(map);

    // popups
    var yearTxt = C.year ? '<span class="lu-year">' + esc(C.year) + (C.lang === 'en' ? '' : ' 年') + '</span>' : '';
    function parcelHtml(f) {
      var h = '<div class="lu-popup"><h4>' + esc(T.parcel) + ' ' + esc(P.code[f]) + ' ' + yearTxt + '</h4><table>';
      var undeveloped = P.dev && P.dev[f] === 0;
      h += row(T.holder, esc(P.holders[P.holder[f]] || '—'));
      h += row(T.zone, esc(Z.name[P.zone[f]] || P.zones[P.zone[f]] || '—'));
      h += row(T.area, num(P.area[f], 2));
      h += row(T.stage, esc(P.stages[P.stage[f]] || '—'));
      h += row(T.revenue, undeveloped ? '<span class="lu-undev">' + esc(T.undeveloped) + '</span>' : num(P.rev[f], 1));
      h += row(T.tax, undeveloped ? '<span class="lu-undev">' + esc(T.undeveloped) + '</span>' : num(P.tax[f], 2));
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
      var h = '<div class="lu-popup"><h4>' + esc(Z.name[f]) + ' ' + yearTxt + '</h4><table>';
      h += row(T.zoneCode, esc(Z.code[f]));
      h += row(T.score, Z.score[f] == null ? esc(T.unscored) : num(Z.score[f], 1));
      h += row(T.rank, Z.rank[f] == null ? '—' : esc(Z.rank[f]));
      h += row(T.revenue, num(Z.rev[f], 1));
      h += row(T.growth, pct(Z.growth[f]));
      h += row(T.developed, num(Z.dev[f], 1));
      h += row(T.occupancy, pct(Z.occ[f]));
      h += '</table>';
      if (zoneLayer && zoneLayer.geom.featRing[f + 1] > zoneLayer.geom.featRing[f]) {
        h += '<a href="#" class="lu-zoomto" data-zone="' + f + '">' + esc(T.zoomToZone) + '</a>';
      }
      return h + '</div>';
    }
    function pilotHtml(f) {
      var h = '<div class="lu-popup"><h4>' + esc(T.pilotArea) + ' ' + esc(PA.name[f] || PA.code[f]) + ' ' + yearTxt + '</h4><table>';
      h += row(T.growth, pct(PA.growth[f]));
      h += row(T.targetGrowth, pct(PA.target[f]));
      h += row('', PA.met[f] === 0 ? '<b class="lu-met">' + esc(T.growthMet) + '</b>' :
        PA.met[f] === 1 ? '<b class="lu-notmet">' + esc(T.growthNotMet) + '</b>' : '—');
      return h + '</table></div>';
    }
    function surveyHtml(f) {
      var h = '<div class="lu-popup"><h4>' + esc(T.patch) + ' ' + esc(S.code[f]) + '</h4><table>';
      h += row(T.landClass, esc(S.classes[S.cls[f]] || '—'));
      h += row(T.areaHa, num(S.area[f], 4));
      h += row(T.supplyType, esc(S.supplies[S.sup[f]] || '—'));
      h += row(T.range, esc(S.ranges[S.rng[f]] || '—'));
      h += row(T.zone, esc(S.zone[f] >= 0 ? (Z.name[S.zone[f]] || P.zones[S.zone[f]]) : '—'));
      h += row(T.surveyYear, S.year[f] == null ? '—' : esc(S.year[f]));
      h += row(T.farSurvey, num(S.far[f], 2));
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
      if (lyr && src !== 'zones' && src !== 'pilots') {
        highlight = L.polygon(lyr.featureLatLngs(f), { color: '#00e5ff', weight: 3, fill: false, interactive: false }).addTo(map);
      }
      var el = document.createElement('div');
      el.innerHTML = src === 'parcels' ? parcelHtml(f) : src === 'zones' ? zoneHtml(f) : src === 'pilots' ? pilotHtml(f) :
        src === 'survey' ? surveyHtml(f) : buildingHtml(f);
      var link = el.querySelector('.lu-zoomto');
      if (link) L.DomEvent.on(link, 'click', function (ev) { L.DomEvent.preventDefault(ev); zoomToZone(f); });
      L.popup({ maxWidth: 360 }).setLatLng(latlng).setContent(el).openOn(map);
    }
    map.on('popupclose', function () { if (highlight) { map.removeLayer(highlight); highlight = null; } });
    function hit(latlng, hover) {
      if (markers && map.hasLayer(markers)) {
        var m = markers.hitTest(latlng);
        if (m >= 0) return { src: 'zones', f: m, layer: zoneLayer, marker: true };
      }
      for (var i = order.length - 1; i >= 0; i--) {
        var l = order[i];
        if (!map.hasLayer(l) || (hover && l.source === 'pilots') || l.spec.noHit) continue;
        var f = l.hitTest(latlng);
        if (f >= 0) return { src: l.source, f: f, layer: l };
      }
      return null;
    }
    // a click on a zone marker opens its popup after a short delay, so that the popup (and its auto-pan)
    // does not come under the second click of a double click, which zooms to the zone instead
    var lastMarker = null, pendingPopup = null;
    map.on('click', function (e) {
      if (map._luMeasuring) return;
      var h = hit(e.latlng);
      clearTimeout(pendingPopup); pendingPopup = null;
      if (h && h.marker) {
        lastMarker = { f: h.f, t: e.originalEvent.timeStamp };
        pendingPopup = setTimeout(function () { pendingPopup = null; select('zones', h.f, markers.latLngOf(h.f)); }, 250);
      } else if (h) select(h.src, h.f, e.latlng);
    });
    // double click: on a zone marker zoom to the zone, elsewhere Leaflet's usual zoom in (shift: out)
    map.doubleClickZoom.disable();
    map.on('dblclick', function (e) {
      if (map._luMeasuring) return;
      var h = hit(e.latlng), recent = lastMarker && e.originalEvent.timeStamp - lastMarker.t < 800;
      if ((h && h.marker) || recent) {
        clearTimeout(pendingPopup); pendingPopup = null;
        zoomToZone(h && h.marker ? h.f : lastMarker.f);
        return;
      }
      var zoom = map.getZoom(), d = map.options.zoomDelta;
      map.setZoomAround(e.containerPoint, e.originalEvent.shiftKey ? zoom - d : zoom + d);
    });

    // tooltip on hover: text nodes, never HTML (names come from uploaded data)
    function tipNode(lines) {
      var el = document.createElement('div');
      lines.forEach(function (line, i) {
        if (i) el.appendChild(document.createElement('br'));
        el.appendChild(document.createTextNode(line == null ? '' : String(line)));
      });
      return el;
    }
    var tip = L.tooltip({ direction: 'top', offset: [0, -8], className: 'lu-tip' }), tipReq = null, lastMove = null;
    map.on('mousemove', function (e) {
      lastMove = e.latlng;
      if (tipReq) return;
      tipReq = requestAnimationFrame(function () {
        tipReq = null;
        var h = map._luMeasuring ? null : hit(lastMove, true);
        if (!h) { map.closeTooltip(tip); map.getContainer().style.cursor = ''; return; }
        var lines = h.src === 'parcels' ? [P.code[h.f], P.holders[P.holder[h.f]] || ''] :
          h.src === 'zones' ? [Z.name[h.f]] : h.src === 'pilots' ? [PA.name[h.f]] :
          h.src === 'survey' ? [S.code[h.f], S.classes[S.cls[h.f]] || ''] :
          [T.factory + ' ' + B.code[h.f] + ' ' + pct(B.occ[h.f])];
        tip.setLatLng(lastMove).setContent(tipNode(lines));
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
        var zres = [];
        for (i = 0; i < Z.code.length && zres.length < 6; i++) {
          if (!zoneLayer || zoneLayer.geom.featRing[i + 1] === zoneLayer.geom.featRing[i]) continue;
          if ((Z.name[i] && Z.name[i].toLowerCase().indexOf(q) >= 0) || String(Z.code[i]).toLowerCase().indexOf(q) >= 0) zres.push(i);
        }
        for (i = 0; i < P.code.length && res.length < 12; i++) {
          if (String(P.code[i]).toLowerCase().indexOf(q) >= 0 || hol[P.holder[i]]) res.push(i);
        }
        if (!res.length && !zres.length) { ul.innerHTML = '<li class="lu-none">' + esc(T.noResult) + '</li>'; return; }
        zres.forEach(function (f) {
          var li = document.createElement('li');
          li.className = 'lu-hit-zone';
          li.innerHTML = '<span class="lu-tag">' + esc(T.searchZone) + '</span> <b>' + esc(Z.name[f] || Z.code[f]) + '</b> ' + esc(Z.code[f]);
          li.onclick = function (ev) {
            if (ev) L.DomEvent.stopPropagation(ev);
            zoomToZone(f); ul.innerHTML = '';
            select('zones', f, zoneLayer.featureBounds(f).getCenter());
          };
          ul.appendChild(li);
        });
        res.forEach(function (f) {
          var li = document.createElement('li');
          li.innerHTML = '<span class="lu-tag">' + esc(T.searchParcel) + '</span> <b>' + esc(P.code[f]) + '</b> ' + esc(P.holders[P.holder[f]] || '');
          li.onclick = function (ev) {
            // the list is emptied below: a detached <li> no longer shows Leaflet that clicks in this control
            // are not map clicks, and the map would close the popup just opened
            if (ev) L.DomEvent.stopPropagation(ev);
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

    // ---- tools: measuring, attribute table of the parcels in view, print view --------------------
    var Tools = window.LanduseTools;
    Tools.measure(map, T);
    function parcelLayer() {
      return layers[C.parcelLayerIds.filter(function (id) { return map.hasLayer(layers[id]); })[0] || C.parcelLayerIds[0]];
    }
    function goParcel(f) {
      var pl = parcelLayer(), bnd = pl.featureBounds(f);
      map.fitBounds(bnd, { maxZoom: Math.max(17, (pl.spec.minZoom || 0)), animate: false });
      select('parcels', f, bnd.getCenter());
    }
    var mainReason = {};
    if (F) for (i = 0; i < F.p.length; i++) {
      (mainReason[F.p[i]] = mainReason[F.p[i]] || []).push(F.rules[F.r[i]][1]);
    }
    function inView() {
      var b = map.getBounds(), g = geoms.parcels, bb = g.bbox, out = [], f;
      var p0 = project(b.getWest(), b.getNorth()), p1 = project(b.getEast(), b.getSouth());
      for (f = 0; f < g.n; f++) {
        if (g.featRing[f + 1] === g.featRing[f]) continue;
        if (bb[4 * f + 2] < p0[0] || bb[4 * f] > p1[0] || bb[4 * f + 3] < p0[1] || bb[4 * f + 1] > p1[1]) continue;
        out.push(f);
      }
      return out;
    }
    var cols = [
      { key: 'code', label: T.parcel }, { key: 'holder', label: T.holder }, { key: 'zone', label: T.zone },
      { key: 'area', label: T.area, digits: 2 }, { key: 'stage', label: T.stage },
      { key: 'rev', label: T.revenue, digits: 1 }, { key: 'tax', label: T.tax, digits: 2 },
      { key: 'far', label: T.far, digits: 2 }, { key: 'cov', label: T.coverage, pct: true },
      { key: 'grade', label: T.grade }, { key: 'flags', label: T.flags }];
    Tools.attributeTable(map, {
      T: T, columns: cols,
      rows: function () {
        return inView().map(function (f) {
          var undeveloped = P.dev && P.dev[f] === 0;
          return { f: f, code: P.code[f], holder: P.holders[P.holder[f]], zone: Z.name[P.zone[f]] || P.zones[P.zone[f]],
            area: P.area[f], stage: P.stages[P.stage[f]], rev: undeveloped ? T.undeveloped : P.rev[f],
            tax: undeveloped ? T.undeveloped : P.tax[f], far: P.far[f], cov: P.cov[f],
            grade: P.grades[P.grade[f]] || T.ungraded, flags: (mainReason[f] || []).join('；') };
        });
      },
      total: function () { return inView().length; },
      onPick: function (r) { goParcel(r.f); },
      filename: function () { return (C.title || 'parcels').replace(/[\\/:*?"<>|\s]+/g, '_') + '.csv'; }
    });
    map.getContainer().classList.add('lu-print-sheet');
    Tools.printView(map, {
      T: T, made: C.made, policy: C.policyVersion,
      title: function () { return C.title; },
      subtitle: function () {
        var base = order.filter(function (l) { return l.spec.group === 'base' && map.hasLayer(l); })[0];
        return (base ? base.spec.name : '') + (C.year ? '  ·  ' + C.year + (C.lang === 'en' ? '' : ' 年') : '');
      },
      onEnter: function () { legendOpen = true; legend.update(); }
    });

    window.__luMap = map; window.__luLayers = layers; window.__luZoneMarkers = markers;
  }

  window.LanduseMap = { init: init, decodeInts: decodeInts };
})();
