/* Parcel map of the web service: Leaflet + Leaflet.VectorGrid (MVT from PostGIS) or per-zone GeoJSON
 * (GeoPackage store). No inline script (CSP script-src 'self'); everything comes from this server. */
(function () {
  'use strict';
  // text, never HTML: names come from uploaded data
  function textNode(s) { var el = document.createElement('span'); el.textContent = s == null ? '' : String(s); return el; }
  // Leaflet.VectorGrid 1.3.0 calls L.DomEvent.fakeStop, which Leaflet 1.8+ no longer has.
  if (!L.DomEvent.fakeStop) { L.DomEvent.fakeStop = function (e) { e._stopped = true; }; }

  var el = document.getElementById('map');
  var mode = el.dataset.mode, figures = el.dataset.figures === '1';
  var yearSel = document.getElementById('year'), zoneSel = document.getElementById('zone');
  var colourSel = document.getElementById('colour');
  var statusEl = document.getElementById('status'), hitsEl = document.getElementById('hits');
  var st = JSON.parse(document.getElementById('stages').textContent);
  var year = function () { return yearSel.value || el.dataset.year; };
  var GRADE = { A: '#1a9850', B: '#91cf60', C: '#fdae61', D: '#d73027' };
  var REV = [[100, '#fee5d9'], [300, '#fcae91'], [500, '#fb6a4a'], [800, '#de2d26'], [Infinity, '#a50f15']];
  var zones = [], zoneLayer = null, parcelLayer = null, loadedZone = null;

  var map = L.map('map', { preferCanvas: true, zoomControl: true, attributionControl: true });
  map.attributionControl.setPrefix('Leaflet');
  // vector tiles above the overlay pane: the canvas of the zone outlines must not catch their clicks
  map.createPane('parcels').style.zIndex = 450;
  window.landuseMap = map;
  L.control.scale({ imperial: false }).addTo(map);
  map.setView([27.6, 115.7], 7);

  function say(t) { statusEl.textContent = t || ''; }
  function get(url) {
    return fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } }).then(function (r) {
      if (r.status === 401) { location.href = '/login?next=' + encodeURIComponent(location.pathname); throw new Error('401'); }
      if (!r.ok) { throw new Error(r.status); }
      return r.json();
    });
  }
  function colourOf(p) {
    var how = colourSel ? colourSel.value : 'stage';
    if (how === 'revenue' && figures) {
      var v = p.revenue_per_mu;
      if (v === null || v === undefined || v === '') return '#d9d9d9';
      for (var i = 0; i < REV.length; i++) if (v < REV[i][0]) return REV[i][1];
    }
    if (how === 'grade' && figures) return GRADE[p.grade] || '#d9d9d9';
    return st.colours[p.stage] || '#bdbdbd';
  }
  function style(p) {
    var flagged = figures && p.flag_count > 0;
    return { fill: true, fillColor: colourOf(p), fillOpacity: 0.75, color: flagged ? '#b10026' : '#555',
             weight: flagged ? 2 : 0.6, opacity: 0.9 };
  }
  function legend() {
    var how = colourSel ? colourSel.value : 'stage', box = document.getElementById('legend'), items = [];
    if (how === 'revenue') { var lo = 0; REV.forEach(function (b) { items.push([b[1], lo + (b[0] === Infinity ? ' 以上' : '–' + b[0])]); lo = b[0]; }); items.push(['#d9d9d9', '无数据']); }
    else if (how === 'grade') { Object.keys(GRADE).forEach(function (g) { items.push([GRADE[g], g + ' 类']); }); items.push(['#d9d9d9', '未评级']); }
    else { (st.order || Object.keys(st.names)).forEach(function (k) { items.push([st.colours[k], st.names[k]]); }); }
    box.textContent = '';
    var h = document.createElement('b');
    h.textContent = how === 'revenue' ? '亩均营业收入(万元/亩)' : how === 'grade' ? '企业等级' : '生命周期阶段';
    box.appendChild(h);
    items.forEach(function (it) {
      var row = document.createElement('div'), sw = document.createElement('i');
      sw.style.background = it[0]; row.appendChild(sw); row.appendChild(document.createTextNode(it[1])); box.appendChild(row);
    });
    if (figures) { var f = document.createElement('div'); f.className = 'flagged'; f.textContent = '红框：存在低效闲置问题'; box.appendChild(f); }
  }

  // ---- popups ---------------------------------------------------------------------------------
  function fmt(v, d) { return (v === null || v === undefined || v === '') ? '—' : (typeof v === 'number' ? v.toFixed(d === undefined ? 1 : d) : String(v)); }
  function popupNode(p) {
    var box = document.createElement('div'); box.className = 'parcel-popup';
    var h = document.createElement('h3'); h.textContent = '宗地 ' + p.parcel_code; box.appendChild(h);
    var rows = [['开发区', (p.zone_name || '') + '（' + p.zone_code + '）'], ['权利人', p.holder_name], ['面积(亩)', fmt(p.area_mu, 2)],
                ['生命周期阶段', p.stage_zh || p.stage], ['容积率', fmt(p.far, 2)], ['建筑系数', p.building_coverage == null ? '—' : (p.building_coverage * 100).toFixed(0) + '%']];
    if ('revenue_per_mu' in p) {
      rows.push(['亩均营业收入(万元/亩)', fmt(p.revenue_per_mu)], ['亩均税收(万元/亩)', fmt(p.tax_per_mu)],
                ['营业收入(万元)', fmt(p.revenue_wan, 0)], ['税收(万元)', fmt(p.tax_wan, 0)], ['企业等级', p.grade || '未评级']);
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
    return box;
  }
  function openParcel(code, latlng) {
    get('/api/parcels/' + encodeURIComponent(code) + '?year=' + year()).then(function (p) {
      L.popup({ maxWidth: 380 }).setLatLng(latlng).setContent(popupNode(p)).openOn(map);
    }).catch(function (e) { say('无法读取宗地 ' + code + '（' + e.message + '）'); });
  }

  // ---- layers -----------------------------------------------------------------------------------
  function loadTiles() {
    if (parcelLayer) map.removeLayer(parcelLayer);
    parcelLayer = L.vectorGrid.protobuf('/tiles/{z}/{x}/{y}.pbf?year=' + year(), {
      rendererFactory: L.canvas.tile, interactive: true, pane: 'parcels', minZoom: 11, maxNativeZoom: 18, maxZoom: 20,
      getFeatureId: function (f) { return f.properties.parcel_code; },
      vectorTileLayerStyles: { parcels: function (p) { return style(p); } }
    });
    parcelLayer.on('click', function (e) { openParcel(e.layer.properties.parcel_code, e.latlng); });
    parcelLayer.on('load', function () { document.body.dataset.ready = '1'; say(''); });
    parcelLayer.addTo(map);
  }
  function loadZone(code) {
    if (!code) return Promise.resolve();
    if (loadedZone === code + '@' + year() && parcelLayer) return Promise.resolve();
    say('正在读取宗地…');
    document.body.dataset.ready = '0';
    return get('/api/zones/' + encodeURIComponent(code) + '/parcels.geojson?year=' + year()).then(function (fc) {
      if (parcelLayer) map.removeLayer(parcelLayer);
      parcelLayer = L.geoJSON(fc, { style: function (f) { return style(f.properties); } });
      parcelLayer.on('click', function (e) { openParcel(e.layer.feature.properties.parcel_code, e.latlng); });
      parcelLayer.addTo(map);
      loadedZone = code + '@' + year();
      say(fc.features.length + ' 宗');
      document.body.dataset.ready = '1';
    });
  }
  function restyle() {
    legend();
    if (!parcelLayer) return;
    if (mode === 'tiles') { loadTiles(); } else { parcelLayer.setStyle(function (f) { return style(f.properties); }); }
  }
  function zoneBounds(z) { return z.bbox ? L.latLngBounds([z.bbox[1], z.bbox[0]], [z.bbox[3], z.bbox[2]]) : null; }
  function showZone(code, fit) {
    var z = zones.filter(function (q) { return q.zone_code === code; })[0];
    if (z && fit !== false && zoneBounds(z)) map.fitBounds(zoneBounds(z), { padding: [20, 20] });
    return mode === 'tiles' ? Promise.resolve() : loadZone(code);
  }

  // ---- search -------------------------------------------------------------------------------------
  function search() {
    var q = document.getElementById('q').value.trim();
    if (!q) { hitsEl.hidden = true; return; }
    get('/api/search?q=' + encodeURIComponent(q) + '&year=' + year()).then(function (hits) {
      hitsEl.textContent = ''; hitsEl.hidden = false;
      if (!hits.length) { hitsEl.textContent = '无匹配结果'; return; }
      hits.forEach(function (h) {
        var a = document.createElement('a'); a.href = '#'; a.textContent = h.parcel_code + ' ' + (h.holder_name || '') + '（' + h.zone_code + '）';
        a.addEventListener('click', function (ev) { ev.preventDefault(); goTo(h); });
        hitsEl.appendChild(a);
      });
    }).catch(function (e) { say('搜索失败（' + e.message + '）'); });
  }
  function goTo(h) {
    hitsEl.hidden = true;
    zoneSel.value = h.zone_code;
    showZone(h.zone_code, false).then(function () {
      var ll = L.latLng(h.lat, h.lon);
      map.setView(ll, 17);
      openParcel(h.parcel_code, ll);
    });
  }

  // ---- start ---------------------------------------------------------------------------------------
  legend();
  document.getElementById('qbtn').addEventListener('click', search);
  document.getElementById('q').addEventListener('keydown', function (e) { if (e.key === 'Enter') search(); });
  if (colourSel) colourSel.addEventListener('change', restyle);
  yearSel.addEventListener('change', function () { loadedZone = null; if (mode === 'tiles') loadTiles(); else loadZone(zoneSel.value); });
  zoneSel.addEventListener('change', function () { showZone(zoneSel.value); });
  if (!year()) { say('尚无评价结果'); return; }
  get('/api/zones').then(function (zs) {
    zones = zs;
    zs.forEach(function (z) { var o = document.createElement('option'); o.value = z.zone_code; o.textContent = z.zone_name + '（' + z.zone_code + '）'; zoneSel.appendChild(o); });
    zoneLayer = L.layerGroup(zs.filter(function (z) { return z.bbox; }).map(function (z) {
      return L.rectangle(zoneBounds(z), { color: '#3f007d', weight: 1, dashArray: '4 4', fill: false, interactive: false })
        .bindTooltip(textNode(z.zone_name), { permanent: false });
    })).addTo(map);
    var all = zs.filter(function (z) { return z.bbox; }).map(zoneBounds);
    if (all.length) { var b = all[0]; all.forEach(function (x) { b = b.extend(x); }); map.fitBounds(b); }
    var hash = decodeURIComponent(location.hash.replace(/^#/, '')).split('/');
    var first = (hash[0] && zs.some(function (z) { return z.zone_code === hash[0]; })) ? hash[0] : (zs[0] && zs[0].zone_code);
    if (mode === 'tiles') loadTiles();
    if (first) {
      zoneSel.value = first;
      showZone(first).then(function () {
        if (hash[1]) get('/api/search?q=' + encodeURIComponent(hash[1]) + '&year=' + year()).then(function (h) {
          var m = h.filter(function (x) { return x.parcel_code === hash[1]; })[0]; if (m) goTo(m);
        });
      });
    }
  }).catch(function (e) { say('无法读取开发区（' + e.message + '）'); });
})();
