"""Vendored JavaScript/CSS, inlined into every map page so it opens from disk with no network.

``maps/static/vendor/`` is filled once by ``scripts/vendor_assets.sh`` (Leaflet and
leaflet.fullscreen from npm) and kept in the tree. Images that the stylesheets reference are turned
into ``data:`` URIs, CSS comments are dropped (none carries a licence); JavaScript is inlined as
shipped, licence comments included.
"""

from __future__ import annotations

import base64
import mimetypes
import re
from functools import lru_cache
from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"
VENDOR = STATIC / "vendor"

#: URL strings that appear in the inlined libraries but are never fetched: the SVG namespace
#: identifier (createElementNS) and Leaflet's home page in its licence comment and default
#: attribution link (a hyperlink the user could click, not a load; the page sets a plain prefix).
NON_LOADING_URLS: tuple[str, ...] = ("http://www.w3.org/2000/svg", "https://leafletjs.com")

JS_FILES = ("vendor/leaflet/leaflet.js", "vendor/leaflet.fullscreen/Control.FullScreen.js", "map_tools.js", "landuse_map.js")
CSS_FILES = ("vendor/leaflet/leaflet.css", "vendor/leaflet.fullscreen/Control.FullScreen.css", "map_tools.css",
             "landuse_map.css")

_URL_RE = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")
_COMMENT_RE = re.compile(r"/\*.*?\*/", re.S)


class MissingAssets(FileNotFoundError):
    pass


def _read(rel: str) -> str:
    p = STATIC / rel
    if not p.exists():
        raise MissingAssets(f"{p} is missing: run scripts/vendor_assets.sh once (needs the npm registry)")
    return p.read_text(encoding="utf-8")


def _data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _inline_css(rel: str) -> str:
    css = _COMMENT_RE.sub("", _read(rel))
    folder = (STATIC / rel).parent

    def repl(m: re.Match) -> str:
        target = m.group(2).strip()
        if target.startswith(("data:", "#")):
            return m.group(0)
        p = folder / target
        if not p.exists():
            raise MissingAssets(f"{rel} references {target}, not vendored")
        return f'url("{_data_uri(p)}")'

    return _URL_RE.sub(repl, css)


@lru_cache(maxsize=1)
def inline_css() -> str:
    return "\n".join(_inline_css(rel) for rel in CSS_FILES)


@lru_cache(maxsize=1)
def leaflet_js() -> str:
    return _read("vendor/leaflet/leaflet.js")


@lru_cache(maxsize=1)
def inline_js() -> str:
    # "</script" cannot occur inside an inline script element
    return "\n;\n".join(_read(rel).replace("</script", "<\\/script") for rel in JS_FILES)


def head_html() -> str:
    """``<style>`` and ``<script>`` elements for the page head."""
    return f"<style>\n{inline_css()}\n</style>\n<script>\n{inline_js()}\n</script>"


def folium_default_assets_html() -> str:
    """Leaflet inlined in place of folium's CDN links (used by the benchmark for explore() pages)."""
    return (f"<style>\n{_inline_css('vendor/leaflet/leaflet.css')}\n</style>\n"
            f"<script>\n{leaflet_js()}\n</script>")
