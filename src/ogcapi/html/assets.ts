/** The service's own static assets (Leaflet itself is served from its npm package). */

export const STYLESHEET = `
:root { --fg: #1d2733; --muted: #5b6b7c; --line: #d7dee6; --accent: #0b5fa5; --bg: #f7f9fb; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { background: #12324f; color: #fff; padding: .6rem 1.2rem; display: flex; gap: 1rem; align-items: baseline; flex-wrap: wrap; }
header a { color: #fff; }
header .brand { font-weight: 700; text-decoration: none; }
nav.crumbs ol { list-style: none; display: flex; gap: .4rem; margin: 0; padding: 0; flex-wrap: wrap; }
nav.crumbs li + li::before { content: "›"; margin-right: .4rem; opacity: .7; }
main { padding: 1rem 1.2rem 2rem; max-width: 80rem; }
h1 { font-size: 1.5rem; margin: .2rem 0 .8rem; }
h2 { font-size: 1.15rem; margin: 1.4rem 0 .5rem; }
a { color: var(--accent); }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { border: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #eef2f6; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.muted { color: var(--muted); }
#map { height: 420px; border: 1px solid var(--line); margin: .6rem 0 1rem; background: #e9eef3; }
.pager { display: flex; gap: 1rem; align-items: center; margin: .8rem 0; flex-wrap: wrap; }
.pager a, .pager span.disabled { padding: .25rem .7rem; border: 1px solid var(--line); border-radius: 4px; background: #fff; text-decoration: none; }
.pager span.disabled { color: var(--muted); }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dl.meta dt { font-weight: 600; }
ul.links { padding-left: 1.2rem; }
code { background: #eef2f6; padding: 0 .2rem; border-radius: 3px; }
footer { padding: 1rem 1.2rem; color: var(--muted); border-top: 1px solid var(--line); }
`;

/**
 * Draws the page's features (fetched from its GeoJSON alternate) or its extent on a Leaflet map.
 * Without a configured tile layer the map has no background, so nothing is fetched from outside.
 */
export const MAP_SCRIPT = `
(function () {
  var el = document.getElementById('map');
  if (!el || typeof L === 'undefined') return;
  var map = L.map(el, { worldCopyJump: true });
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: el.dataset.tilesAttribution || '' }).addTo(map);
  }
  map.setView([20, 0], 2);
  function fitBbox(b) {
    if (b && b.length === 4) map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { maxZoom: 17 });
  }
  if (el.dataset.bbox) {
    var b = JSON.parse(el.dataset.bbox);
    L.rectangle([[b[1], b[0]], [b[3], b[2]]], { color: '#0b5fa5', weight: 2, fill: false }).addTo(map);
    fitBbox(b);
  }
  if (!el.dataset.geojson) { el.dataset.loaded = '0'; return; }
  fetch(el.dataset.geojson, { headers: { Accept: 'application/geo+json' } })
    .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
    .then(function (data) {
      var count = 0;
      var layer = L.geoJSON(data, {
        pointToLayer: function (f, latlng) { return L.circleMarker(latlng, { radius: 5, weight: 1, color: '#0b5fa5', fillOpacity: 0.7 }); },
        onEachFeature: function (f, l) {
          count++;
          var a = document.createElement('a');
          a.textContent = String(f.id);
          a.href = el.dataset.itemsBase ? el.dataset.itemsBase + '/' + encodeURIComponent(String(f.id)) : '#';
          l.bindPopup(a);
        }
      }).addTo(map);
      if (layer.getBounds().isValid()) map.fitBounds(layer.getBounds(), { maxZoom: 17, padding: [10, 10] });
      el.dataset.loaded = String(count);
    })
    .catch(function (e) { el.dataset.error = String(e && e.message || e); });
})();
`;
