"""Map pages load nothing from the internet; basemaps are CGCS2000-compatible or refused."""

from __future__ import annotations

import re

import pytest

from landuse.core.policy import default_policy
from maps.assets import NON_LOADING_URLS
from maps.builder import MapError, basemap_tiles, build_map
from maps.demo import demo_frames

URL_RE = re.compile(r"""(?i)\b(?:https?:)?//[^\s"'<>()\\]+""")
ATTR_RE = re.compile(r"""(?i)(?:src|href|action|poster)\s*=\s*["']?\s*(?:https?:)?//""")
CSS_RE = re.compile(r"""(?i)(?:url\(\s*["']?|@import\s+["']?)\s*(?:https?:)?//""")


def external_references(page: str, allowed: tuple[str, ...] = ()) -> list[str]:
    """Every http(s):// URL (and //host src/href/url()) in the page, minus allowed ones."""
    found = []
    for m in re.finditer(r"(?i)https?://[^\s\"'<>()\\]+", page):
        url = m.group(0)
        if url.startswith(NON_LOADING_URLS) or any(url.startswith(a.split("{")[0]) for a in allowed):
            continue
        found.append(url)
    found += [m.group(0) for m in ATTR_RE.finditer(page) if not re.search(r"https?:", m.group(0), re.I)]
    found += [m.group(0) for m in CSS_RE.finditer(page) if not re.search(r"https?:", m.group(0), re.I)]
    return found


@pytest.fixture(scope="module")
def frames():
    return demo_frames(40, 2)


def _page(frames, **kw):
    p, z, f, b = frames
    kw.setdefault("detail", "overview")
    return build_map(parcels=p, zones=z, flags=f, buildings=b, policy=default_policy(), title="测试地图", **kw)


@pytest.mark.parametrize("detail", ["overview", "zone"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pages_reference_no_external_url(frames, detail, lang):
    page = _page(frames, detail=detail, lang=lang)
    assert external_references(page) == []
    assert "cdn.jsdelivr" not in page and "cdnjs" not in page and "code.jquery" not in page
    assert "<link" not in page  # every stylesheet is inlined


def test_scanner_catches_cdn_links_and_protocol_relative_sources():
    assert external_references('<script src="https://cdn.jsdelivr.net/npm/leaflet.js"></script>')
    assert external_references('<img src="//example.com/a.png">')
    assert external_references("<style>.a{background:url(//example.com/x.png)}</style>")
    assert not external_references('<svg xmlns="http://www.w3.org/2000/svg"></svg>')


def test_no_basemap_without_asking_for_one(frames):
    page = _page(frames)
    assert '"tiles":[]' in page


def test_tianditu_uses_web_mercator_services_and_only_its_template_is_allowed(frames):
    page = _page(frames, basemap="tianditu", tianditu_key="abc123")
    tiles = basemap_tiles("tianditu", tianditu_key="abc123", tile_url=None, lang="zh")
    assert "vec_w/wmts" in tiles[0]["url"] and "TILEMATRIXSET=w" in tiles[0]["url"]
    assert "cva_w/wmts" in tiles[1]["url"]
    assert "eva_w" in basemap_tiles("tianditu", tianditu_key="k", tile_url=None, lang="en")[1]["url"]
    assert external_references(page)  # the tile template is an external reference…
    assert external_references(page, allowed=tuple(t["url"] for t in tiles)) == []  # …and the only one


def test_tianditu_needs_a_key(frames):
    with pytest.raises(MapError, match="密钥"):
        _page(frames, basemap="tianditu")


def test_local_tile_folder_becomes_a_file_template(frames, tmp_path):
    (tmp_path / "10" / "800").mkdir(parents=True)
    (tmp_path / "10" / "800" / "400.png").write_bytes(b"")
    tiles = basemap_tiles("local", tianditu_key=None, tile_url=str(tmp_path), lang="zh")
    assert tiles[0]["url"] == tmp_path.as_uri() + "/{z}/{x}/{y}.png"
    page = _page(frames, basemap="local", tile_url="http://intranet.local/tiles/{z}/{x}/{y}.png")
    assert external_references(page, allowed=("http://intranet.local/tiles/{z}/{x}/{y}.png",)) == []


@pytest.mark.parametrize("url", [
    "https://webrd01.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}&style=8",
    "http://online1.map.bdimg.com/onlinelabel/?qt=tile&x={x}&y={y}&z={z}",
    "https://wprd0{s}.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}",
])
def test_offset_gcj02_basemaps_are_refused(frames, url):
    with pytest.raises(MapError, match="GCJ-02"):
        _page(frames, basemap="local", tile_url=url)


def test_unknown_basemap_is_refused(frames):
    with pytest.raises(MapError):
        _page(frames, basemap="google")
