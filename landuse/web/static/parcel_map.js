/* Parcel map of the web service: Leaflet + Leaflet.VectorGrid (MVT from PostGIS) or per-zone GeoJSON
 * (GeoPackage store). No inline script (CSP script-src 'self'); everything comes from this server.
 * Colours, classes and words come from the policy (#map-config, built by landuse.services.maps from the
 * same palettes as the offline map pages); the tools (measuring, attribute table, print view) are
 * maps/static/map_tools.js, shared with the offline pages. */
(function () {
  'use strict';
  // text, never HTML: names come from uploaded data
  function textNode(s) { var el = document.createElement('span'); el.textContent = s == null ? '' : String(s); return el; }
  // Leaflet.VectorGrid 1.3.0 calls L.DomEvent.fakeStop, which Leaflet 1.8+ no longer has.
  if (!L.DomEvent.fakeStop) { L.DomEvent.fakeStop = function (e) { e._stopped = true; }; }

  var Tools = window.LanduseTools;
  var el = document.getElementById('map');
  var mode = el.dataset.mode, figures = el.dataset.figures === '1';
  // the years the server has vector tiles of ('all': PostGIS draws them live)
  var tileYears = (el.dataset.tileYears || '').split(',');
  function tiled(y) { return tileYears[0] === 'all' || tileYears.indexOf(String(y)) >= 0; }
  var CFG = JSON.parse(document.getElementById('map-config').textContent);
  var TH = CFG.theme, T = CFG.text;
  var yearSel = document.getElementById('year'), zoneSel = document.getElementById('zone');
  var colourSel = document.getElementById('colour');
  var statusEl = document.getElementById('status'), hitsEl = document.getElementById('hits');
  var year = function () { return yearSel.value || el.dataset.year; };
  var TILE_MIN_ZOOM = 11;
  var zones = [], zoneLayer = null, parcelLayer = null, problemLayer = null, pilotLayer = null, loadedZone = null;
  var features = {}, featureKey = null;  // the selected zone's parcels (attribute table; GeoJSON mode)
  var openPopup = null;  // {code, latlng}: refreshed on a year switch
  var surveyBox = document.getElementById('survey'), surveyLayer = null, surveyKey = null;
  var surveyLegend = JSON.parse((document.getElementById('survey-classes') || {}).textContent || '[]');

  // minZoom set here: else Leaflet takes the vector tiles' minZoom (11) as the map's and zoom-out is lost
  var map = L.map('map', { preferCanvas: true, zoomControl: true, attributionControl: true, minZoom: 4, maxZoom: 20 });
  map.attributionControl.setPrefix('Leaflet');
  map.createPane('survey').style.zIndex = 465;  // the survey, when switched on, above the parcels (tiles or GeoJSON)
  // vector tiles above the overlay pane: the canvas of the zone outlines must not catch their clicks
  map.createPane('parcels').style.zIndex = 450;
  map.createPane('problems').style.zIndex = 460;
  map.getPane('problems').style.pointerEvents = 'none';
  window.landuseMap = map;
  L.control.scale({ imperial: false }).addTo(map);
  map.setView([27.6, 115.7], 7, { animate: false });

  function say(t) { statusEl.textContent = t || ''; }
  function get(url) {
    return fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } }).then(function (r) {
      if (r.status === 401) { location.href = '/login?next=' + encodeURIComponent(location.pathname); throw new Error('401'); }
      if (!r.ok) { throw new Error(r.status); }
      return r.json();
    });
  }

  // ---- themes (policy palettes) ---------------------------------------------------------------
  function theme() { return colourSel ? colourSel.value : 'stage'; }
  function undeveloped(p) { return p.developed === false || p.developed === 0; }
  function revenueClass(v) {
    var b = TH.revenue.bounds;
    for (var i = 0; i < b.length; i++) if (b[i] === null || v <= b[i]) return i;
    return b.length - 1;
  }
  function colourOf(p) {
    var how = theme();
    if (how === 'revenue' && figures) {
      if (undeveloped(p)) return TH.undeveloped.color;
      var v = p.revenue_per_mu;
      if (v === null || v === undefined || v === '') return TH.missing;
      return TH.revenue.colors[revenueClass(v)];
    }
    if (how === 'grade' && figures) return TH.grade.colors[p.grade] || TH.missing;
    return TH.stage.colors[p.stage] || TH.missing;
  }
  function baseStyle(p) {
    var dashed = theme() === 'revenue' && figures && undeveloped(p);
    return { fill: true, fillColor: colourOf(p), fillOpacity: 0.8, color: dashed ? TH.undeveloped.outline : '#555',
             weight: dashed ? 1.2 : 0.6, opacity: 0.9, dashArray: dashed ? '4 3' : null };
  }
  // the main reason of a flagged parcel: its most severe rule (policy order)
  function mainRule(p) {
    var codes = String(p.flags || '').split(/[;,\s]+/).filter(Boolean), order = TH.problem.order, best = null, bi = 1e9;
    codes.forEach(function (c) { var i = order.indexOf(c); if (i < 0) i = 1e8; if (i < bi) { bi = i; best = c; } });
    return best;
  }
  var patterns = {};
  function hatchOf(rule) {
    var h = TH.problem.hatch[rule] || 'diagonal';
    if (!patterns[h]) patterns[h] = document.createElement('canvas').getContext('2d')
      .createPattern(Tools.hatchCanvas(h, TH.problem.color), 'repeat');
    return patterns[h];
  }
  function flagged(p) { return figures && p.flag_count > 0; }
  function problemStyle(p) {
    return { fill: true, fillColor: hatchOf(mainRule(p)), fillOpacity: 1, color: TH.problem.color, weight: 2, opacity: 1 };
  }
  var present = {};  // rules drawn (for the legend)

  // ---- legend (a map control, so that the print view keeps it) ---------------------------------
  var legendCtl = L.control({ position: 'bottomright' });
  legendCtl.onAdd = function () { var d = L.DomUtil.create('div', 'legend lu-legend'); L.DomEvent.disableScrollPropagation(d); return d; };
  legendCtl.addTo(map);
  function block(box, title, entries, opts) {
    Tools.el('b', 'lu-legend-title', title, box);
    entries.forEach(function (e) {
      var row = Tools.el('div', 'lu-legend-row', null, box);
      row.appendChild(Tools.swatch(e, opts)); row.appendChild(document.createTextNode(e[1]));
    });
  }
  function legend() {
    var how = theme(), box = legendCtl.getContainer();
    box.textContent = '';
    var lg = how === 'revenue' && figures ? TH.revenue.legend : how === 'grade' && figures ? TH.grade.legend : TH.stage.legend;
    var entries = lg.entries;
    if (how === 'stage') entries = entries.filter(function (e, i) { return i < entries.length - 1; });
    block(box, lg.title, entries, { dashColor: TH.undeveloped.outline });
    if (figures) {
      var probs = TH.problem.order.filter(function (r) { return present[r]; }).map(function (r) {
        return [TH.problem.color, TH.problem.labels[r] || r, TH.problem.hatch[r] || 'diagonal'];
      });
      if (probs.length) { Tools.el('div', 'lu-legend-gap', null, box); block(box, TH.problem.title, probs); }
    }
    if (pilotLayer) {
      Tools.el('div', 'lu-legend-gap', null, box);
      var g = Math.round((CFG.targetGrowth || 0.15) * 100) + '%';
      block(box, TH.pilot.title, [[TH.pilot.color, T.growthMet + ' +' + g, 'outline'],
        [TH.pilot.color, T.growthNotMet + ' +' + g, 'outline-dashed']]);
    }
    if (mode === 'tiles' && map.getZoom() < TILE_MIN_ZOOM) Tools.el('div', 'lu-legend-note', T.showFrom.replace('{z}', TILE_MIN_ZOOM), box);
    if (surveyBox && surveyBox.checked && surveyLegend.length) {
      Tools.el('div', 'lu-legend-gap', null, box);
      block(box, '土地利用现状调查', surveyLegend);
    }
  }

  // ---- the intensive-use survey (开发区土地利用现状调查) ----------------------------------------
  function surveyPopup(p) {
    var box = document.createElement('div'); box.className = 'parcel-popup';
    var h = document.createElement('h3'); h.textContent = '图斑 ' + p.patch_code; box.appendChild(h);
    var rows = [['地类', p.land_class + ' ' + (p.class_zh || '')], ['面积(公顷)', fmt(p.area_ha, 4)],
                ['供应类型', p.supply_type ? p.supply_type + ' ' + (p.supply_zh || '') : '—'], ['评价范围', p.range_zh],
                ['容积率', fmt(p.far, 2)], ['调查年度', p.survey_year]];
    var t = document.createElement('table');
    rows.forEach(function (r) {
      var tr = document.createElement('tr'), th = document.createElement('th'), td = document.createElement('td');
      th.textContent = r[0]; td.textContent = r[1] === null || r[1] === undefined ? '—' : r[1]; tr.appendChild(th); tr.appendChild(td); t.appendChild(tr);
    });
    box.appendChild(t);
    return box;
  }
  function loadSurvey(code) {
    if (surveyLayer) { map.removeLayer(surveyLayer); surveyLayer = null; surveyKey = null; }
    if (!surveyBox || !surveyBox.checked || !code) { legend(); return Promise.resolve(); }
    say('正在读取土地利用现状调查…');
    return get('/api/zones/' + encodeURIComponent(code) + '/survey.geojson?year=' + year()).then(function (fc) {
      surveyLayer = L.geoJSON(fc, {
        pane: 'survey',
        style: function (f) {
          var p = f.properties;
          if (p.kind === 'range') return { fill: false, color: p.colour, weight: 3, dashArray: p.range === '发展方向区' ? '8 5' : null, interactive: false };
          return { fill: true, fillColor: p.colour, fillOpacity: 0.8, color: '#666', weight: 0.5 };
        },
        onEachFeature: function (f, lyr) { if (f.properties.kind === 'patch') lyr.bindPopup(surveyPopup(f.properties), { maxWidth: 320 }); }
      }).addTo(map);
      surveyKey = code + '@' + year();
      var n = fc.features.filter(function (f) { return f.properties.kind === 'patch'; }).length;
      say(n ? n + ' 个图斑（' + fc.features[0].properties.survey_year + ' 年调查）' : '该开发区无土地利用现状调查');
      legend();
      document.body.dataset.surveyReady = '1';
    }).catch(function (e) { say('无法读取调查（' + e.message + '）'); });
  }

  // ---- popups (they say their year and follow a year switch) ------------------------------------
  function fmt(v, d) { return (v === null || v === undefined || v === '') ? '—' : (typeof v === 'number' ? v.toFixed(d === undefined ? 1 : d) : String(v)); }
  function popupNode(p) {
    var box = document.createElement('div'); box.className = 'parcel-popup';
    var h = document.createElement('h3'); h.textContent = '宗地 ' + p.parcel_code + ' ';
    var ys = Tools.el('span', 'popup-year', p.year + ' 年', h); ys.dataset.year = p.year;
    box.appendChild(h);
    var undev = undeveloped(p);
    var rows = [['开发区', (p.zone_name || '') + '（' + p.zone_code + '）'], ['权利人', p.holder_name], ['面积(亩)', fmt(p.area_mu, 2)],
                ['生命周期阶段', p.stage_zh || p.stage], ['容积率', fmt(p.far, 2)], ['建筑系数', p.building_coverage == null ? '—' : (p.building_coverage * 100).toFixed(0) + '%']];
    if (undev) rows.push(['开发状态', T.undeveloped]);
    if ('revenue_per_mu' in p) {
      rows.push(['亩均营业收入(万元/亩)', undev ? T.undeveloped : fmt(p.revenue_per_mu)], ['亩均税收(万元/亩)', undev ? T.undeveloped : fmt(p.tax_per_mu)],
                ['营业收入(万元)', fmt(p.revenue_wan, 0)], ['税收(万元)', fmt(p.tax_wan, 0)], ['企业等级', p.grade ? p.grade + ' 类' : '未评级']);
    }
    var t = document.createElement('table');
    rows.forEach(function (r) {
      var tr = document.createElement('tr'), th = document.createElement('th'), td = document.createElement('td');
      th.textContent = r[0]; td.textContent = r[1] === null || r[1] === undefined ? '—' : r[1]; tr.appendChild(th); tr.appendChild(td); t.appendChild(tr);
    });
    box.appendChild(t);
    if (p.flag_list) {
      var fh = document.createElement('h4'); fh.textContent = p.flag_list.length ? '问题及原因' : '无低效闲置问题'; box.appendChild(fh);
      p.flag_list.forEach(function (f) {
        var d = document.createElement('div'); d.className = 'flag';
        var b = document.createElement('b'); b.textContent = f.label + '（' + f.rule + '）'; d.appendChild(b);
        var e = document.createElement('div'); e.textContent = '依据：' + (f.evidence || '—'); d.appendChild(e);
        var a = document.createElement('div'); a.textContent = '建议措施：' + (f.action || '—'); d.appendChild(a);
        box.appendChild(d);
      });
    }
    if ('revenue_per_mu' in p) ledgerBox(box, p);  // the disposal ledger (roles that see figures)
    return box;
  }
  // ---- the disposal ledger in the popup: the parcel's entries, or 立项 for a manager ---------------
  function ledgerBox(box, p) {
    var lb = document.createElement('div'); lb.className = 'ledger-box'; box.appendChild(lb);
    get('/api/parcels/' + encodeURIComponent(p.parcel_code) + '/ledger').then(function (r) {
      var h = document.createElement('h4'); h.textContent = '处置台账'; lb.appendChild(h);
      var have = {};
      r.entries.forEach(function (e) {
        have[e.rule || ''] = true;
        var d = document.createElement('div'); d.className = 'ledger-entry';
        var a = document.createElement('a'); a.href = e.url; a.className = 'ledger-link';
        a.textContent = (e.rule || '—') + '：' + e.method + ' · ' + e.status + (e.overdue ? '（逾期）' : '');
        d.appendChild(a);
        var m = document.createElement('div');
        m.textContent = '期限 ' + (e.deadline || '—') + '，计划 ' + fmt(e.planned_mu) + ' 亩，已处置 ' + fmt(e.disposed_mu) + ' 亩';
        d.appendChild(m); lb.appendChild(d);
      });
      if (r.can_open) {
        (p.flag_list || []).forEach(function (f) {
          if (have[f.rule]) return;
          var b = document.createElement('button'); b.type = 'button'; b.className = 'ledger-open';
          b.textContent = '立项：' + f.label;
          b.addEventListener('click', function () {
            fetch('/api/ledger/open', { method: 'POST', credentials: 'same-origin',
              headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': r.csrf },
              body: JSON.stringify({ items: [{ parcel_code: p.parcel_code, rule: f.rule }] }) })
              .then(function (x) { if (!x.ok) throw new Error(x.status); return x.json(); })
              .then(function () { location.href = '/ledger/entry?parcel=' + encodeURIComponent(p.parcel_code) + '&rule=' + encodeURIComponent(f.rule); })
              .catch(function (e) { say('立项失败（' + e.message + '）'); });
          });
          lb.appendChild(b);
        });
      }
      if (!r.entries.length && !r.can_open) { var n = document.createElement('div'); n.textContent = '无台账条目'; lb.appendChild(n); }
    }).catch(function () { /* no ledger for this user */ });
  }
  var thePopup = L.popup({ maxWidth: 380 });
  function openParcel(code, latlng) {
    if (map._luMeasuring) return Promise.resolve();
    var y = year();
    return get('/api/parcels/' + encodeURIComponent(code) + '?year=' + y).then(function (p) {
      if (y !== year()) return;  // the year changed meanwhile: the newer request wins
      p.year = p.year || Number(y);
      openPopup = { code: code, latlng: latlng };
      // one popup, its content replaced (a year switch keeps it where it is)
      thePopup.setLatLng(latlng).setContent(popupNode(p));
      if (!map.hasLayer(thePopup)) thePopup.openOn(map);
    }).catch(function (e) { say('无法读取宗地 ' + code + '（' + e.message + '）'); });
  }
  map.on('popupclose', function () { openPopup = null; });

  // ---- layers -----------------------------------------------------------------------------------
  function loadTiles() {
    if (parcelLayer) map.removeLayer(parcelLayer);
    present = {};
    parcelLayer = L.vectorGrid.protobuf('/tiles/{z}/{x}/{y}.pbf?year=' + year(), {
      rendererFactory: L.canvas.tile, interactive: true, pane: 'parcels', minZoom: TILE_MIN_ZOOM, maxNativeZoom: 18, maxZoom: 20,
      getFeatureId: function (f) { return f.properties.parcel_code; },
      vectorTileLayerStyles: { parcels: function (p) {
        if (!flagged(p)) return baseStyle(p);
        var r = mainRule(p); if (r && !present[r]) { present[r] = 1; legendSoon(); }
        return [baseStyle(p), problemStyle(p)];
      } }
    });
    parcelLayer.on('click', function (e) { openParcel(e.layer.properties.parcel_code, e.latlng); });
    parcelLayer.on('load', function () { document.body.dataset.ready = '1'; say(map.getZoom() < TILE_MIN_ZOOM ? T.showFrom.replace('{z}', TILE_MIN_ZOOM) : ''); });
    parcelLayer.addTo(map);
    if (map.getZoom() < TILE_MIN_ZOOM) { document.body.dataset.ready = '1'; say(T.showFrom.replace('{z}', TILE_MIN_ZOOM)); }
  }
  var legendTimer = null;
  function legendSoon() { clearTimeout(legendTimer); legendTimer = setTimeout(legend, 100); }
  function zoneFeatures(code) {
    var key = code + '@' + year();
    if (features[key]) return Promise.resolve(features[key]);
    return get('/api/zones/' + encodeURIComponent(code) + '/parcels.geojson?year=' + year()).then(function (fc) {
      fc.features.forEach(function (f) { f.bbox = f.bbox || bboxOf(f.geometry); });
      features = {}; features[key] = fc; return fc;
    });
  }
  function bboxOf(g) {
    var b = [Infinity, Infinity, -Infinity, -Infinity];
    (function walk(c) {
      if (typeof c[0] === 'number') { b[0] = Math.min(b[0], c[0]); b[1] = Math.min(b[1], c[1]); b[2] = Math.max(b[2], c[0]); b[3] = Math.max(b[3], c[1]); return; }
      c.forEach(walk);
    })(g.coordinates);
    return b;
  }
  function loadZone(code) {
    if (!code) return Promise.resolve();
    if (loadedZone === code + '@' + year() && parcelLayer) return Promise.resolve();
    say('正在读取宗地…');
    document.body.dataset.ready = '0';
    return zoneFeatures(code).then(function (fc) {
      if (parcelLayer) map.removeLayer(parcelLayer);
      if (problemLayer) map.removeLayer(problemLayer);
      present = {};
      parcelLayer = L.geoJSON(fc, { style: function (f) { return baseStyle(f.properties); } });
      parcelLayer.on('click', function (e) { openParcel(e.layer.feature.properties.parcel_code, e.latlng); });
      parcelLayer.addTo(map);
      var bad = fc.features.filter(function (f) { return flagged(f.properties); });
      bad.forEach(function (f) { var r = mainRule(f.properties); if (r) present[r] = 1; });
      problemLayer = L.geoJSON({ type: 'FeatureCollection', features: bad },
        { pane: 'problems', interactive: false, style: function (f) { return problemStyle(f.properties); } }).addTo(map);
      loadedZone = code + '@' + year();
      say(fc.features.length + ' 宗');
      legend();
      document.body.dataset.ready = '1';
    });
  }
  function loadPilots() {
    return get('/api/pilot_areas.geojson?year=' + year()).then(function (fc) {
      if (pilotLayer) map.removeLayer(pilotLayer);
      pilotLayer = L.geoJSON(fc, {
        interactive: false,
        style: function (f) {
          var m = f.properties.goal_met;
          return { fill: false, color: TH.pilot.color, weight: 3, opacity: 0.9, dashArray: m === false ? '8 5' : m == null ? '2 5' : null };
        },
        onEachFeature: function (f, lyr) {
          var p = f.properties, txt = (p.pilot_area_name || p.pilot_area_code);
          if (p.growth != null) txt += ' ' + (p.growth >= 0 ? '+' : '') + (p.growth * 100).toFixed(1) + '% ' + (p.goal_met ? '✓' : '✗');
          lyr.bindTooltip(textNode(txt), { permanent: true, direction: 'bottom', className: 'pilot-label', offset: [0, 0] });
        }
      }).addTo(map);
      pilotLabels();
      legend();
    }).catch(function () { /* no pilot areas: nothing to draw */ });
  }
  // pilot-area names with their +15 % status below their outline, when the outline is large enough to carry one
  function pilotLabels() {
    if (!pilotLayer) return;
    pilotLayer.eachLayer(function (l) {
      var b = l.getBounds(), a = map.latLngToContainerPoint(b.getNorthWest()), c = map.latLngToContainerPoint(b.getSouthEast());
      if (Math.max(c.x - a.x, c.y - a.y) >= 120) l.openTooltip(L.latLng(b.getSouth(), b.getCenter().lng)); else l.closeTooltip();
    });
  }
  map.on('zoomend', pilotLabels);
  function restyle() {
    legend();
    if (!parcelLayer) return;
    if (mode === 'tiles') { loadTiles(); } else {
      parcelLayer.setStyle(function (f) { return baseStyle(f.properties); });
    }
  }
  function zoneBounds(z) { return z.bbox ? L.latLngBounds([z.bbox[1], z.bbox[0]], [z.bbox[3], z.bbox[2]]) : null; }
  function zoneByCode(code) { return zones.filter(function (q) { return q.zone_code === code; })[0]; }
  function showZone(code, fit) {
    var z = zoneByCode(code);
    if (z && fit !== false && zoneBounds(z)) map.fitBounds(zoneBounds(z), { padding: [20, 20], animate: false });
    features = features[code + '@' + year()] ? features : {};
    return mode === 'tiles' ? Promise.resolve() : loadZone(code);
  }

  // ---- search: zones by name or code, parcels by code or holder -----------------------------------
  function search() {
    var q = document.getElementById('q').value.trim();
    if (!q) { hitsEl.hidden = true; return; }
    var ql = q.toLowerCase();
    var zhits = zones.filter(function (z) {
      return (z.zone_name || '').toLowerCase().indexOf(ql) >= 0 || z.zone_code.toLowerCase().indexOf(ql) >= 0;
    }).slice(0, 8);
    get('/api/search?q=' + encodeURIComponent(q) + '&year=' + year()).then(function (hits) {
      hitsEl.textContent = ''; hitsEl.hidden = false;
      if (!hits.length && !zhits.length) { hitsEl.textContent = '无匹配结果'; return; }
      zhits.forEach(function (z) {
        var a = document.createElement('a'); a.href = '#'; a.className = 'hit-zone';
        Tools.el('span', 'tag', '开发区', a); a.appendChild(document.createTextNode(' ' + z.zone_name + '（' + z.zone_code + '）'));
        a.addEventListener('click', function (ev) { ev.preventDefault(); hitsEl.hidden = true; zoneSel.value = z.zone_code; showZone(z.zone_code); });
        hitsEl.appendChild(a);
      });
      hits.forEach(function (h) {
        var a = document.createElement('a'); a.href = '#';
        Tools.el('span', 'tag', '宗地', a);
        a.appendChild(document.createTextNode(' ' + h.parcel_code + ' ' + (h.holder_name || '') + '（' + h.zone_code + '）'));
        a.addEventListener('click', function (ev) { ev.preventDefault(); goTo(h); });
        hitsEl.appendChild(a);
      });
    }).catch(function (e) { say('搜索失败（' + e.message + '）'); });
  }
  function goTo(h) {
    hitsEl.hidden = true;
    zoneSel.value = h.zone_code;
    return showZone(h.zone_code, false).then(function () {
      var ll = L.latLng(h.lat, h.lon);
      map.setView(ll, 17, { animate: false });
      return openParcel(h.parcel_code, ll);
    });
  }

  // ---- tools ---------------------------------------------------------------------------------------
  Tools.measure(map, T);
  var cols = [
    { key: 'parcel_code', label: '宗地代码' }, { key: 'holder_name', label: '权利人' }, { key: 'zone_code', label: '开发区代码' },
    { key: 'area_mu', label: '面积(亩)', digits: 2 }, { key: 'stage_zh', label: '生命周期阶段' }];
  if (figures) cols = cols.concat([
    { key: 'revenue_per_mu', label: '亩均营业收入(万元/亩)', digits: 1 }, { key: 'tax_per_mu', label: '亩均税收(万元/亩)', digits: 2 },
    { key: 'far', label: '容积率', digits: 2 }, { key: 'grade', label: '企业等级' }, { key: 'problems', label: '问题' }]);
  var tableRows = [];
  function visibleRows() {
    var fc = features[zoneSel.value + '@' + year()];
    if (!fc) {
      if (zoneSel.value) zoneFeatures(zoneSel.value).then(function () { if (table) table.refresh(); });
      return [];
    }
    var b = map.getBounds(), w = b.getWest(), s = b.getSouth(), e = b.getEast(), n = b.getNorth();
    tableRows = fc.features.filter(function (f) { return f.bbox[2] >= w && f.bbox[0] <= e && f.bbox[3] >= s && f.bbox[1] <= n; })
      .map(function (f) {
        var p = f.properties, undev = undeveloped(p), r = {};
        cols.forEach(function (c) { r[c.key] = p[c.key]; });
        if (figures && undev) { r.revenue_per_mu = T.undeveloped; r.tax_per_mu = T.undeveloped; }
        if (figures) r.problems = String(p.flags || '').split(/[;,\s]+/).filter(Boolean)
          .map(function (c) { return TH.problem.labels[c] || c; }).join('；');
        r._f = f; return r;
      });
    return tableRows;
  }
  var table = Tools.attributeTable(map, {
    T: T, columns: cols, rows: visibleRows, total: function () { return tableRows.length; },
    onPick: function (r) {
      var b = r._f.bbox, ll = L.latLng((b[1] + b[3]) / 2, (b[0] + b[2]) / 2);
      map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { maxZoom: 17, animate: false });
      openParcel(r.parcel_code, ll);
    },
    filename: function () { return 'parcels_' + zoneSel.value + '_' + year() + '.csv'; }
  });
  el.classList.add('lu-print-sheet');
  Tools.printView(map, {
    T: T, made: CFG.made, policy: CFG.policyVersion,
    title: function () {
      var z = zoneByCode(zoneSel.value);
      return (z ? z.zone_name + ' ' : '') + year() + ' 年宗地图';
    },
    subtitle: function () { return colourSel ? colourSel.options[colourSel.selectedIndex].text : '生命周期阶段'; }
  });

  // ---- start ---------------------------------------------------------------------------------------
  legend();
  map.on('zoomend', function () { if (mode === 'tiles') legend(); });
  document.getElementById('qbtn').addEventListener('click', search);
  document.getElementById('q').addEventListener('keydown', function (e) { if (e.key === 'Enter') search(); });
  if (colourSel) colourSel.addEventListener('change', restyle);
  yearSel.addEventListener('change', function () {
    // a year without vector tiles (a GeoPackage where they were not built): the page of that year
    if (mode === 'tiles' && !tiled(year())) { location.href = '/map?year=' + encodeURIComponent(year()) + location.hash; return; }
    loadedZone = null; features = {};
    var again = openPopup;
    var done = mode === 'tiles' ? (loadTiles(), Promise.resolve()) : loadZone(zoneSel.value);
    loadPilots();
    loadSurvey(zoneSel.value);
    done.then(function () { if (again) openParcel(again.code, again.latlng); if (table) table.refresh(); });
  });
  zoneSel.addEventListener('change', function () { showZone(zoneSel.value); loadSurvey(zoneSel.value); });
  if (surveyBox) surveyBox.addEventListener('change', function () { loadSurvey(zoneSel.value); });
  // ---- the disposal ledger as a layer: its parcels by status (待处置, 处置中, 已完成, 已核销; overdue dashed)
  var ledgerBoxEl = document.getElementById('ledger-layer'), ledgerLayer = null;
  var ledgerPane = map.createPane('ledger');
  ledgerPane.style.zIndex = 466;
  function loadLedger(code) {
    if (ledgerLayer) { map.removeLayer(ledgerLayer); ledgerLayer = null; }
    // the pane's renderer outlives its layers: hidden, it catches no click meant for the parcels
    ledgerPane.style.display = (ledgerBoxEl && ledgerBoxEl.checked) ? '' : 'none';
    if (!ledgerBoxEl || !ledgerBoxEl.checked || !code) return Promise.resolve();
    return get('/api/zones/' + encodeURIComponent(code) + '/ledger.geojson').then(function (fc) {
      ledgerLayer = L.geoJSON(fc, {
        pane: 'ledger',
        style: function (f) { var p = f.properties; return { fill: true, fillColor: p.colour, fillOpacity: 0.55, color: p.colour,
                                                            weight: p.overdue ? 3 : 1.5, dashArray: p.overdue ? '6 4' : null }; },
        onEachFeature: function (f, lyr) {
          var p = f.properties, box = document.createElement('div'); box.className = 'parcel-popup';
          var h = document.createElement('h3'); h.textContent = '宗地 ' + p.parcel_code; box.appendChild(h);
          var d = document.createElement('div'); d.textContent = p.status + (p.overdue ? '（逾期）' : '') + ' · ' + p.methods + ' · ' + p.entries + ' 条'; box.appendChild(d);
          var a = document.createElement('a'); a.href = p.url; a.className = 'ledger-link'; a.textContent = '打开台账'; box.appendChild(a);
          lyr.bindPopup(box, { maxWidth: 320 });
        }
      }).addTo(map);
      say(fc.features.length + ' 宗台账宗地（虚线：逾期）');
    }).catch(function (e) { say('无法读取处置台账（' + e.message + '）'); });
  }
  if (ledgerBoxEl) {
    ledgerBoxEl.addEventListener('change', function () { loadLedger(zoneSel.value); });
    zoneSel.addEventListener('change', function () { loadLedger(zoneSel.value); });
  }
  if (!year()) { say('尚无评价结果'); return; }
  get('/api/zones').then(function (zs) {
    zones = zs;
    zs.forEach(function (z) { var o = document.createElement('option'); o.value = z.zone_code; o.textContent = z.zone_name + '（' + z.zone_code + '）'; zoneSel.appendChild(o); });
    zoneLayer = L.layerGroup(zs.filter(function (z) { return z.bbox; }).map(function (z) {
      return L.rectangle(zoneBounds(z), { color: '#54278f', weight: 1, dashArray: '4 4', fill: false, interactive: false })
        .bindTooltip(textNode(z.zone_name), { permanent: false });
    })).addTo(map);
    // at province scale the zones are markers with their names: a click opens the zone
    var markers = L.layerGroup(zs.filter(function (z) { return z.bbox; }).map(function (z) {
      var c = zoneBounds(z).getCenter();
      return L.circleMarker(c, { radius: 7, color: '#1a1a1a', weight: 1.5, fillColor: '#9e9ac8', fillOpacity: 0.95 })
        .bindTooltip(textNode(z.zone_name), { direction: 'right', offset: [8, 0] })
        .on('click', function () { zoneSel.value = z.zone_code; showZone(z.zone_code); });
    }));
    function markersByZoom() { if (map.getZoom() < 11) markers.addTo(map); else map.removeLayer(markers); }
    map.on('zoomend', markersByZoom);
    // open on the extent of the user's zones (never on an empty spot)
    var all = zs.filter(function (z) { return z.bbox; }).map(zoneBounds);
    if (all.length) { var b = L.latLngBounds(all[0].getSouthWest(), all[0].getNorthEast()); all.forEach(function (x) { b.extend(x); }); map.fitBounds(b, { padding: [20, 20], animate: false }); }
    var hash = decodeURIComponent(location.hash.replace(/^#/, '')).split('/');
    var first = (hash[0] && zs.some(function (z) { return z.zone_code === hash[0]; })) ? hash[0] : (zs[0] && zs[0].zone_code);
    markersByZoom();
    loadPilots();
    if (mode === 'tiles') loadTiles();
    if (!first) return;
    zoneSel.value = first;
    // a link to a parcel (target list: /map#zone/parcel) lands on the parcel with its popup open
    if (hash[1]) {
      get('/api/search?q=' + encodeURIComponent(hash[1]) + '&year=' + year()).then(function (h) {
        var m = h.filter(function (x) { return x.parcel_code === hash[1]; })[0];
        return m ? goTo(m) : showZone(first);
      });
    } else if (mode === 'tiles' && !hash[0] && zs.length > 1) {
      return;  // all the user's zones in view; the tiles draw from zoom 11 on
    } else showZone(first);
  }).catch(function (e) { say('无法读取开发区（' + e.message + '）'); });
})();
