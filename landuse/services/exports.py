"""Layers, target lists, problem lists and quota tables as the files people use (the format follows
the extension; headers in the user's language from :mod:`landuse.core.labels`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from landuse.core.contract import LAYERS
from landuse.core.errors import LanduseError, Problem, UnknownCode
from landuse.core.labels import t
from landuse.services import results
from parcels.export import write_csv, write_frame
from parcels.importer import problems_frame
from parcels.store.base import Store


def export_layer(store: Store, name: str, out: str | Path, *, year: int | None = None, zones: list[str] | None = None,
                 lang: str = "zh") -> tuple[Path, int]:
    if name not in LAYERS:
        import difflib

        raise UnknownCode("layer", name, difflib.get_close_matches(name, list(LAYERS), n=3) or list(LAYERS)[:3])
    layer = LAYERS[name]
    if year is not None and not layer.year_column:
        raise LanduseError(t(f"图层 {name} 没有年度", f"layer {name} has no year"))
    for z in zones or []:
        results.check_zone_code(store, z)
    df = results.read_layer(store, name, year=year, zones=zones)
    if layer.output and year is None and len(df) == 0:
        raise LanduseError(t(f"{name}: 尚无结果，请先运行 landuse evaluate", f"{name}: no results yet: run `landuse evaluate --year Y`"))
    if layer.output and year is not None and len(df) == 0:
        raise LanduseError(t(f"{name}: {year} 年尚无结果，请先运行 landuse evaluate --year {year}",
                             f"no results for {year}: run `landuse evaluate --year {year}` first"))
    path = write_frame(df, out, layer=layer, lang=lang)
    return path, len(df)


def write_targets(df: pd.DataFrame, out: str | Path, *, lang: str = "zh") -> Path:
    """The target list (from :func:`landuse.services.results.targets`) as a file."""
    return write_frame(df, out, layer_name="targets", layer=LAYERS["parcel_results"], lang=lang)


def write_problems(problems: list[Problem], path: Path, *, lang: str = "zh") -> Path:
    df = problems_frame(problems)
    if path.suffix.lower() == ".xlsx":
        return write_frame(df, path, layer_name="problems", lang=lang)
    return write_csv(df, path)


def write_quota(df: pd.DataFrame, out: str | Path, *, lang: str = "zh") -> Path:
    """The quota table with a last row that says how the total is made (Σ quota = N + Σ 增存挂钩
    bonus − Σ penalty, the reserve outside N; ``df.attrs['summary']`` of ``allocate_quota``)."""
    summary = df.attrs.get("summary")
    if summary:
        total = {"unit": t("合计", "total", lang), "quota_explanation": summary}
        for c in ("own_mu", "linkage_mu", "quota_mu"):
            if c in df.columns:
                total[c] = int(pd.to_numeric(df[c], errors="coerce").fillna(0).sum())
        df = pd.concat([df, pd.DataFrame([total])], ignore_index=True)
    return write_frame(df, out, layer_name="quota", lang=lang)
