"""The GeoPackages the product writes open in QGIS 3.22 (Debian's python3-qgis, headless, the version
many bureau PCs run) without a warning, drawn with their stored default style (the web map's theme)
and with Chinese field names; QGIS itself renders them to PNGs (docs/screenshots/qgis_*.png)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.test_web_common import copy_site, web_site  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tests" / "qgis" / "open_geopackage.py"
SHOTS = ROOT / "docs" / "screenshots"
SYSTEM_PY = "/usr/bin/python3"


def open_in_qgis(gpkg: Path, png: Path, *args: str, tmp: Path) -> tuple[dict, str]:
    ok = subprocess.run([SYSTEM_PY, "-c", "import qgis.core"], capture_output=True).returncode == 0
    if not ok:
        pytest.fail("QGIS is required: apt-get install python3-qgis qgis-providers (scripts/setup does)")
    run = tmp / "xdg"
    run.mkdir(exist_ok=True, mode=0o700)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.update(QT_QPA_PLATFORM="offscreen", XDG_RUNTIME_DIR=str(run), HOME=str(tmp))
    r = subprocess.run([SYSTEM_PY, str(SCRIPT), str(gpkg), str(png), *args], env=env, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    line = next(x for x in r.stdout.splitlines() if x.startswith("JSON"))
    return json.loads(line[4:]), r.stderr


def _not_blank(png: Path) -> None:
    from PIL import Image

    a = np.asarray(Image.open(png).convert("RGB")).reshape(-1, 3)
    colours = {tuple(c) for c in a[:: max(1, len(a) // 20000)]}
    assert len(colours) > 20, "the rendered map is blank"


def _check(out: dict, stderr: str) -> None:
    assert out["qgis"].startswith("3.22"), out["qgis"]
    bad = [m for m in out["messages"] if m["level"] >= 1]  # Qgis.Warning and above
    assert not bad, bad
    assert "Warning" not in stderr and "partially supported" not in stderr, stderr[-2000:]
    for name, lyr in out["layers"].items():
        assert lyr["valid"], name


@pytest.fixture(scope="module")
def site_copy(web_site, tmp_path_factory):
    return copy_site(web_site, tmp_path_factory.mktemp("qgis"))


def test_the_store_opens_in_qgis_with_its_styles_and_chinese_names(site_copy, web_site, tmp_path):
    with sqlite3.connect(site_copy) as con:
        assert con.execute("PRAGMA user_version").fetchone()[0] == 10300  # GeoPackage 1.3
        names = dict(con.execute("SELECT column_name, name FROM gpkg_data_columns WHERE table_name = 'parcel_results'"))
    assert names["revenue_per_mu"] == "亩均营业收入(万元/亩)" and names["parcel_code"] == "宗地代码"
    with sqlite3.connect(site_copy) as con:
        # parcel results do not copy each polygon: an attribute table, and a view drawing it on the parcels
        assert con.execute("SELECT data_type FROM gpkg_contents WHERE table_name = 'parcel_results'").fetchone()[0] \
            == "attributes"
        assert "geom" not in {r[1] for r in con.execute("PRAGMA table_info(parcel_results)")}
        assert con.execute("SELECT type FROM sqlite_master WHERE name = 'parcel_results_map'").fetchone()[0] == "view"
        n_rows = con.execute("SELECT count(*) FROM parcel_results").fetchone()[0]
        assert con.execute("SELECT count(*) FROM parcel_results_map WHERE geom IS NOT NULL").fetchone()[0] == n_rows > 0
    png = tmp_path / "store.png"
    out, err = open_in_qgis(site_copy, png, "zone_results", "parcel_results_map", "--year=2025",
                            f"--zone={web_site.zone_a}", tmp=tmp_path)
    _check(out, err)
    assert out["layers"]["parcel_results"]["renderer"] is None  # a table
    pr = out["layers"]["parcel_results_map"]
    assert pr["features"] == n_rows
    assert pr["renderer"] == "RuleRenderer"
    assert pr["rules"][:6] == ["亩均营业收入 ≤ 100 万元/亩", "亩均营业收入 100 – 200 万元/亩", "亩均营业收入 200 – 300 万元/亩",
                               "亩均营业收入 300 – 400 万元/亩", "亩均营业收入 400 – 600 万元/亩", "亩均营业收入 > 600 万元/亩"]
    assert "未开发" in pr["rules"] and "问题：闲置土地" in pr["rules"]
    assert pr["aliases"]["parcel_code"] == "宗地代码" and pr["aliases"]["stage"] == "生命周期阶段"
    assert out["layers"]["zone_results"]["rules"][0].startswith("综合得分")
    for name, lyr in out["layers"].items():  # every layer, tables too, carries Chinese names
        named = list(lyr["aliases"].values())[1:]  # the first field is the row id
        assert named and all(a for a in named), name
    assert out["rendered"]["parcel_results_map"] > 50
    _not_blank(png)
    SHOTS.mkdir(parents=True, exist_ok=True)
    png.replace(SHOTS / "qgis_store_parcel_results.png")


def test_an_exported_target_list_opens_in_qgis_styled(site_copy, web_site, tmp_path):
    from landuse.core.policy import default_policy
    from landuse.services import results
    from landuse.services.exports import write_targets
    from parcels.store import open_store

    store = open_store(str(site_copy))
    t = results.targets(store, year=2025, policy=default_policy(), with_geometry=True)
    store.close()
    gpkg = write_targets(t, tmp_path / "targets_2025.gpkg")
    with sqlite3.connect(gpkg) as con:
        assert con.execute("PRAGMA user_version").fetchone()[0] == 10300
    png = tmp_path / "targets.png"
    out, err = open_in_qgis(gpkg, png, "targets", f"--zone={web_site.zone_a}", tmp=tmp_path)
    _check(out, err)
    lyr = out["layers"]["targets"]
    assert lyr["renderer"] == "RuleRenderer" and any(r.startswith("问题：") for r in lyr["rules"])
    assert lyr["aliases"]["priority"] == "处置优先序" and lyr["aliases"]["reasons"] == "认定原因"
    png.replace(SHOTS / "qgis_targets.png")
    _not_blank(SHOTS / "qgis_targets.png")


def test_every_exported_geopackage_is_version_1_3_with_styles(site_copy, tmp_path):
    from landuse.services.exports import export_layer
    from parcels.export import write_template
    from parcels.store import open_store

    store = open_store(str(site_copy))
    files = [export_layer(store, "zone_results", tmp_path / "zr.gpkg", year=2025)[0],
             export_layer(store, "flags", tmp_path / "flags.gpkg", year=2025)[0]]
    store.close()
    files += [p for p in write_template(tmp_path / "tpl") if p.suffix == ".gpkg"]
    for f in files:
        with sqlite3.connect(f) as con:
            assert con.execute("PRAGMA user_version").fetchone()[0] == 10300, f
            styled = {r[0] for r in con.execute("SELECT f_table_name FROM layer_styles WHERE useAsDefault = 1")}
            tables = {r[0] for r in con.execute("SELECT table_name FROM gpkg_contents WHERE table_name != 'layer_styles'")}
            assert tables and tables <= styled, f
    out, err = open_in_qgis(files[-1], tmp_path / "tpl.png", tmp=tmp_path)
    _check(out, err)
    assert out["layers"]["parcels"]["aliases"]["parcel_code"] == "宗地代码"
