#!/usr/bin/env bash
# Fetch Leaflet and the Leaflet plugins the parcel maps use from the npm registry into
# maps/static/vendor/. Run once (needs the npm registry); the vendored files are kept in the tree so
# that building and opening a map needs no network at all. maps/assets.py inlines them into pages.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dest="$here/maps/static/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

LEAFLET=leaflet@1.9.4
FULLSCREEN=leaflet.fullscreen@3.0.2

cd "$work"
for spec in "$LEAFLET" "$FULLSCREEN"; do
  npm pack --silent "$spec" >/dev/null
done

rm -rf "$dest" && mkdir -p "$dest/leaflet/images" "$dest/leaflet.fullscreen"
tar -xzf leaflet-1.9.4.tgz
cp package/dist/leaflet.js package/dist/leaflet.css package/LICENSE "$dest/leaflet/"
cp package/dist/leaflet-src.js "$dest/leaflet/"   # readable source, for reference only (not inlined)
cp package/dist/images/*.png "$dest/leaflet/images/"
rm -rf package
tar -xzf leaflet.fullscreen-3.0.2.tgz
cp package/Control.FullScreen.js package/Control.FullScreen.css "$dest/leaflet.fullscreen/"
cp package/LICENSE "$dest/leaflet.fullscreen/" 2>/dev/null || true
cp package/icon-fullscreen.svg "$dest/leaflet.fullscreen/" 2>/dev/null || true
cp package/*.png "$dest/leaflet.fullscreen/" 2>/dev/null || true
rm -rf package
cat > "$dest/VERSIONS.txt" <<TXT
$LEAFLET   (BSD-2-Clause)  https://www.npmjs.com/package/leaflet
$FULLSCREEN (MIT)  https://www.npmjs.com/package/leaflet.fullscreen
fetched $(date -u +%Y-%m-%dT%H:%MZ) by scripts/vendor_assets.sh
TXT
find "$dest" -type f | sort
