"""Stored tiles show the results users see: replacing a year's results drops its tiles (the map
falls back to live tiles or GeoJSON), and publishing a version builds them again. An evaluation
that finds the rows unchanged writes nothing (results_digests) and leaves the tiles."""

from __future__ import annotations

import pandas as pd

from landuse.core.policy import default_policy
from landuse.services import tiles, versions
from landuse.services.evaluate import evaluate
from parcels.importer import import_package
from parcels.store import open_store
from tests.test_web_common import copy_site, web_site  # noqa: F401


def test_tiles_are_dropped_with_the_results_and_rebuilt_on_publishing(web_site, tmp_path):
    store = open_store(str(copy_site(web_site, tmp_path)))
    try:
        tiles.build_tiles(store, 2025)
        assert tiles.has_tiles(store, 2025)
        evaluate(store, years=[2025], policy=default_policy(), actor="test")  # the same rows: nothing written
        assert tiles.has_tiles(store, 2025)
        # a firm's revenue corrected: a new draft with other rows, shown (none published)
        ey = store.read("enterprise_years", year=2025).sort_values("uscc").head(1)
        fix = tmp_path / "fix"
        fix.mkdir()
        pd.DataFrame({"uscc": ey["uscc"], "year": 2025, "revenue_wan": ey["revenue_wan"] * 3 + 1,
                      "tax_wan": ey["tax_wan"]}).to_csv(
            fix / "enterprise_years.csv", index=False)
        import_package(fix, store)
        evaluate(store, years=[2025], policy=default_policy(), actor="test")
        assert not tiles.has_tiles(store, 2025)
        v = versions.latest(store, 2025)
        versions.publish(store, year=2025, version=v["version_id"], note="公示", actor="eval1", policy=default_policy())
        assert tiles.has_tiles(store, 2025)
        evaluate(store, years=[2025], policy=default_policy(), actor="test")  # a draft under a published version
        assert tiles.has_tiles(store, 2025)  # what users see did not change, nor did its tiles
    finally:
        store.close()
