"""The one read path for stored results: the command line, the reports and the web service read
results, target lists included, here and nowhere else.

Every function takes the store and plain arguments (a year, a list of zone codes the caller may see,
``None`` for all); access control (who sees which zones, which columns) stays with the interface
that knows the user. So the CLI's ``landuse targets``, the report's target sheet and the web's
target page, API and download rank the same parcels in the same order for the same year, zone and
policy: all of them call :func:`targets`.

The policy: results record the hash of the policy that computed them and the store keeps that
policy (:meth:`parcels.store.base.Store.put_policy`); :func:`stored_policy` gives it back, so the
web shows results with the rules that produced them.
"""

from __future__ import annotations

import difflib
from typing import Any

import geopandas as gpd
import pandas as pd

from evaluation.targets import TARGET_COLUMNS, target_list
from landuse.core.contract import LAYERS
from landuse.core.errors import LanduseError, NoResults, UnknownCode
from landuse.core.labels import t
from landuse.core.policy import Policy, policy_from_json
from parcels.store.base import Store

__all__ = [
    "require_results", "result_years", "latest_year", "stored_policy", "read_layer", "targets", "target_rules",
    "zone_rows", "zone_dashboard", "zone_parcels", "parcel_detail", "zone_extents", "search", "known_zone",
    "known_pilot_area", "check_zone_code", "check_pilot_area_code", "survey_year_used", "zone_survey_rows", "intensive_basis",
    "zone_survey_patches", "is_stale", "results_inputs_hash", "shown_version", "version_label", "summary_key", "cached",
]


# ------------------------------------------------------------------------------------------------
# which result version readers see (landuse.services.versions)
# ------------------------------------------------------------------------------------------------

def shown_version(store: Store, year: int | None) -> dict[str, Any] | None:
    """The version of ``year`` every read here returns: the published one, else the latest draft
    (None: no results, or results older than versions). The results layers hold exactly that
    version (:mod:`landuse.services.versions` writes them), so every reader gets it."""
    if year is None:
        return None
    rows = sorted(store.sys_query("result_versions", {"year": int(year)}), key=lambda r: int(r["seq"]))
    pub = [r for r in rows if r["status"] == "published"]
    return pub[-1] if pub else (rows[-1] if rows else None)


def version_label(store: Store, year: int | None, lang: str = "zh") -> str | None:
    """One line saying which version a page shows, e.g. '已发布版本 v2（2026-11-26 张三）'."""
    v = shown_version(store, year)
    if v is None:
        return None if year is None or int(year) not in store.result_years() else \
            t("未记录版本的结果（版本功能之前计算）", "results from before versions were recorded", lang)
    if v["status"] == "published":
        when = str(v.get("published_at") or "")[:10]
        return t(f"已发布版本 v{v['seq']}（{when}，{v.get('published_by') or ''}发布，公示至 {v.get('window_closes') or '-'}）",
                 f"published version v{v['seq']} ({when} by {v.get('published_by') or ''}; objections until "
                 f"{v.get('window_closes') or '-'})", lang)
    return t(f"草稿 v{v['seq']}（尚无发布版本，显示最新草稿，{str(v.get('created_at') or '')[:10]}）",
             f"draft v{v['seq']} (nothing published yet: the latest draft, {str(v.get('created_at') or '')[:10]})", lang)


# ------------------------------------------------------------------------------------------------
# summaries computed once per shown version (the dashboards)
# ------------------------------------------------------------------------------------------------

#: what a store's summaries are kept under, at most this many per store (least recently used dropped)
SUMMARY_CACHE_SIZE = 1024


def summary_key(store: Store, year: int) -> tuple | None:
    """A cheap identifier of what the results layers hold for ``year``: the shown version (id,
    status, when created and published), the store's results generation (every write of a results
    layer changes it, in the writer's transaction: an evaluation, a publication, the survey's
    results, a partition's rows) and the inputs hash (an import or an edit in QGIS changes it). None when the store keeps no results generation: then nothing is cached."""
    gen = store.results_generation()
    if gen is None:
        return None
    v = shown_version(store, year)
    ver = None if v is None else (v["version_id"], v["status"], v.get("created_at"), v.get("published_at"))
    return (int(year), gen, ver, store.inputs_hash())


_NO_KEY = object()


def cached(store: Store, year: int, name: str, build: Any, *, key: Any = _NO_KEY) -> Any:
    """``build()`` — a summary of the results of ``year`` — computed once per :func:`summary_key`
    and kept in this process (per store object); computed again whenever the key changes. The
    summary is the unredacted one: callers scope and redact it per user on the way out, and must
    not change what they are given. ``key``: :func:`summary_key` of ``year`` when the caller has
    just read it (one read for several summaries of a request)."""
    import collections
    import threading

    if key is _NO_KEY:
        key = summary_key(store, year)
    if key is None:
        return build()
    box = store.__dict__.get("_summaries")
    if box is None:
        box = store.__dict__.setdefault("_summaries", (collections.OrderedDict(), threading.Lock()))
    memo, lock = box
    with lock:
        hit = memo.get(name)
        if hit is not None and hit[0] == key:
            memo.move_to_end(name)
            return hit[1]
    value = build()  # outside the lock: two threads may both build on a miss, both right
    with lock:
        memo[name] = (key, value)
        memo.move_to_end(name)
        while len(memo) > SUMMARY_CACHE_SIZE:
            memo.popitem(last=False)
    return value


# ------------------------------------------------------------------------------------------------
# years and policies
# ------------------------------------------------------------------------------------------------

def result_years(store: Store) -> list[int]:
    return store.result_years()


def latest_year(store: Store, year: int | None = None) -> int | None:
    if year is not None:
        return int(year)
    ys = store.result_years()
    return ys[-1] if ys else None


def require_results(store: Store, year: int) -> None:
    if year not in store.result_years():
        raise NoResults(t(f"{year} 年尚无评价结果，请先运行 landuse evaluate --year {year}",
                             f"no results for {year}: run `landuse evaluate --year {year}` first"))


def stored_policy(store: Store, year: int | None, fallback: Policy) -> Policy:
    """The policy the stored results of ``year`` were computed with; ``fallback`` when the store does
    not hold it (results older than this feature, or no results)."""
    if year is None:
        return fallback
    zr = store.read("zone_results", year=year, columns=["policy_hash"], geometry=False)
    hashes = zr["policy_hash"].dropna().unique()
    if len(hashes) == 0 or hashes[0] == fallback.hash:
        return fallback
    body = store.get_policy(str(hashes[0]))
    return policy_from_json(body) if body else fallback


def results_inputs_hash(store: Store, year: int) -> str | None:
    """The inputs hash the stored results of ``year`` were computed from (None: no results, or
    results older than the stamp)."""
    for name in ("zone_results", "parcel_results", "enterprise_results"):
        df = store.read(name, year=year, columns=["inputs_hash"], geometry=False)
        if len(df):
            hashes = df["inputs_hash"].dropna().unique()
            return str(hashes[0]) if len(hashes) == 1 else None
    return None


def is_stale(store: Store, year: int) -> bool:
    """True when the stored results of ``year`` were computed from other inputs than the store holds
    now (an import since, or during, the evaluation), or cannot tell (results older than the stamp).
    False when there are no results for the year."""
    if int(year) not in store.result_years():
        return False
    h = results_inputs_hash(store, int(year))
    return h is None or h != store.inputs_hash()


# ------------------------------------------------------------------------------------------------
# codes a user types
# ------------------------------------------------------------------------------------------------

def _suggest(code: str, known: list[str]) -> list[str]:
    close = difflib.get_close_matches(code, known, n=3, cutoff=0.5)
    return close or known[:3]


def known_zone(store: Store, code: str) -> bool:
    return not store.read("zones", where={"zone_code": code}, columns=["zone_code"], geometry=False).empty


def known_pilot_area(store: Store, code: str) -> bool:
    return not store.read("zones", where={"pilot_area_code": code}, columns=["zone_code"], geometry=False).empty


def check_zone_code(store: Store, code: str) -> None:
    """Refuse an unknown zone code, naming the nearest known ones."""
    if not known_zone(store, code):
        known = store.read("zones", columns=["zone_code"], geometry=False)["zone_code"].dropna().tolist()
        raise UnknownCode("zone", code, _suggest(code, sorted(known)))


def check_pilot_area_code(store: Store, code: str) -> None:
    if not known_pilot_area(store, code):
        known = store.read("zones", columns=["pilot_area_code"], geometry=False)["pilot_area_code"].dropna()
        raise UnknownCode("pilot_area", code, _suggest(code, sorted(set(known))))


# ------------------------------------------------------------------------------------------------
# layers
# ------------------------------------------------------------------------------------------------

def read_layer(store: Store, name: str, *, year: int | None = None, zones: list[str] | None = None,
               with_geometry: bool = True, columns: list[str] | None = None) -> pd.DataFrame:
    """A layer as users receive it: results layers get the parcel or zone geometry joined on
    (results do not repeat each polygon)."""
    df = store.read(name, year=year, zones=zones, columns=columns)
    if not with_geometry:
        return pd.DataFrame(df.drop(columns=["geometry"], errors="ignore"))
    geo_of = {"parcel_results": ("parcels", "parcel_code"), "zone_results": ("zones", "zone_code")}
    if name in geo_of and len(df) and ("geometry" not in df.columns or df.geometry.isna().all()):
        src, key = geo_of[name]
        geo = store.read(src, zones=zones, columns=[key])
        df = gpd.GeoDataFrame(pd.DataFrame(df).drop(columns="geometry", errors="ignore").merge(
            pd.DataFrame(geo), on=key, how="left"), geometry="geometry", crs=4490)
    return df


# ------------------------------------------------------------------------------------------------
# the target list
# ------------------------------------------------------------------------------------------------

def targets(store: Store, *, year: int, policy: Policy | None = None, zones: list[str] | None = None,
            zone: str | None = None, rule: str | None = None, severity: int | None = None,
            with_geometry: bool = False) -> pd.DataFrame:
    """The ranked target list of ``year``: one row per flagged parcel, ranked (``priority``) within
    ``zone`` when given, else within ``zones`` (None: the whole store); then filtered by ``rule``
    and minimum ``severity`` without re-ranking (a filter never changes a parcel's priority)."""
    require_results(store, year)
    scope = [zone] if zone else zones
    if zone and zones is not None and zone not in zones:
        scope = []
    pr = store.read("parcel_results", year=year, zones=scope, geometry=False)
    fl = store.read("flags", year=year, zones=scope)
    out = target_list(pr, fl, policy=policy, zone=zone)
    if rule:
        out = out[out["rules"].fillna("").map(lambda s: rule in s.split(","))]
    if severity is not None:
        out = out[pd.to_numeric(out["max_severity"], errors="coerce") >= int(severity)]
    out = out.reset_index(drop=True)
    if with_geometry:
        geo = store.read("parcels", zones=sorted(set(out["zone_code"].dropna())) if len(out) else [],
                         columns=["parcel_code"])
        out = gpd.GeoDataFrame(out.merge(pd.DataFrame(geo), on="parcel_code", how="left"), geometry="geometry",
                               crs=4490)
    return out


def target_rules(store: Store, *, year: int, zones: list[str] | None) -> pd.DataFrame:
    fl = store.read("flags", year=year, zones=zones, columns=["rule", "label"])
    return fl.drop_duplicates("rule").sort_values("rule").reset_index(drop=True)


# ------------------------------------------------------------------------------------------------
# zones, dashboards, parcels
# ------------------------------------------------------------------------------------------------

def zone_extents(store: Store, zones: list[str] | None) -> pd.DataFrame:
    return store.zone_extents(zones)


def zone_rows(store: Store, *, year: int, zones: list[str] | None, columns: list[str] | None = None) -> pd.DataFrame:
    return store.read("zone_results", year=year, zones=zones, columns=columns, geometry=False).sort_values(
        "zone_code").reset_index(drop=True)


def zone_dashboard(store: Store, *, year: int, zone: str, columns: list[str]) -> dict[str, Any]:
    """The +15 % check, occupancy, score, flags, grades and stages of one zone in one year."""
    zr = store.read("zone_results", year=year, zones=[zone], columns=columns, geometry=False)
    out: dict[str, Any] = {"zone_code": zone, "year": year, "result": zr}
    fl = store.read("flags", year=year, zones=[zone], columns=["parcel_code", "rule", "label", "severity"])
    if len(fl):
        g = fl.groupby(["rule", "label"], dropna=False).agg(parcels=("parcel_code", "nunique")).reset_index()
        out["flags"] = g.sort_values("parcels", ascending=False)
        out["flagged_parcels"] = int(fl["parcel_code"].nunique())
        sev = fl.groupby("parcel_code")["severity"].max().value_counts().sort_index()
        out["severity"] = {str(int(k)): int(v) for k, v in sev.items() if not pd.isna(k)}
    else:
        out["flags"], out["flagged_parcels"], out["severity"] = pd.DataFrame(), 0, {}
    er = store.read("enterprise_results", year=year, zones=[zone], columns=["uscc", "grade", "above_scale"])
    out["grades"] = er["grade"].value_counts().to_dict() if len(er) else {}
    out["ungraded"] = int(er["grade"].isna().sum()) if len(er) else 0
    out["enterprises"] = len(er)
    pr = store.read("parcel_results", year=year, zones=[zone], columns=["parcel_code", "stage", "area_mu"],
                    geometry=False)
    out["stages"] = pr.groupby("stage")["area_mu"].agg(["count", "sum"]) if len(pr) else \
        pd.DataFrame(columns=["count", "sum"])
    out["parcels"] = len(pr)
    return out


def grades_of(store: Store, *, year: int, usccs: list[str]) -> dict[str, str]:
    usccs = [u for u in dict.fromkeys(usccs) if isinstance(u, str)]
    if not usccs:
        return {}
    er = store.read("enterprise_results", year=year, columns=["uscc", "grade"])
    er = er[er["uscc"].isin(usccs)]
    return {u: g for u, g in zip(er["uscc"], er["grade"], strict=True) if isinstance(g, str)}


def zone_parcels(store: Store, *, year: int, zone: str, columns: list[str], with_grade: bool) -> gpd.GeoDataFrame:
    """A zone's parcels with the given result columns of ``year`` (and the holder's grade)."""
    cols = list(dict.fromkeys(["parcel_code", *columns, *(["holder_uscc"] if with_grade else [])]))
    pr = store.read("parcel_results", year=year, zones=[zone], columns=cols, geometry=False)
    geo = store.read("parcels", zones=[zone], columns=["parcel_code"])
    g = geo.merge(pd.DataFrame(pr), on="parcel_code", how="left") if len(pr) else geo
    g["zone_code"] = zone
    if with_grade and "holder_uscc" in g.columns:
        gm = grades_of(store, year=year, usccs=g["holder_uscc"].dropna().tolist())
        g["grade"] = g["holder_uscc"].map(gm)
        g = g.drop(columns=["holder_uscc"])
    return gpd.GeoDataFrame(g, geometry="geometry", crs=4490)


PARCEL_FACTS = ["parcel_code", "zone_code", "land_use_code", "land_use_scheme", "registered_area_m2", "supply_date",
                "completion_date", "standard_land", "geodesic_area_m2"]


def parcel_zone(store: Store, parcel_code: str) -> str | None:
    df = store.read("parcels", where={"parcel_code": parcel_code}, columns=["zone_code"], geometry=False)
    return None if df.empty else df["zone_code"].iloc[0]


def parcel_detail(store: Store, *, parcel_code: str, year: int | None, figures: bool) -> dict[str, Any] | None:
    """Everything a popup shows about one parcel; None when it does not exist."""
    base = store.read("parcels", where={"parcel_code": parcel_code}, columns=PARCEL_FACTS, geometry=False)
    if base.empty:
        return None
    out: dict[str, Any] = {"facts": base, "year": year, "result": None, "flags": None, "grade": None}
    if year is not None:
        pr = store.read("parcel_results", year=year, where={"parcel_code": parcel_code}, geometry=False)
        if len(pr):
            out["result"] = pr
            if figures:
                holder = pr["holder_uscc"].iloc[0]
                out["grade"] = grades_of(store, year=year, usccs=[holder]).get(holder)
                out["flags"] = store.read("flags", year=year, where={"parcel_code": parcel_code},
                                          columns=["rule", "label", "severity", "evidence", "action", "gain_mu",
                                                   "gain_wan"]).sort_values("severity", ascending=False)
    return out


def search(store: Store, q: str, *, year: int | None, zones: list[str] | None, limit: int = 20) -> pd.DataFrame:
    q = (q or "").strip()
    if not q:
        return pd.DataFrame(columns=["parcel_code", "zone_code", "lon", "lat"])
    return store.search_parcels(q, year=year, zones=zones, limit=limit)


# ------------------------------------------------------------------------------------------------
# the intensive-use survey (docs/domain.md §12)
# ------------------------------------------------------------------------------------------------

def intensive_basis(store: Store, *, year: int, zone: str) -> str | None:
    """zone_results.intensive_basis of the zone and year: 'survey:<year>', 'parcels' or None."""
    zr = store.read("zone_results", year=year, zones=[zone], columns=["intensive_basis"], geometry=False)
    b = zr["intensive_basis"].dropna()
    return str(b.iloc[0]) if len(b) else None


def survey_year_used(store: Store, *, year: int, zone: str) -> int | None:
    """The survey year the zone's intensive-use figures of ``year`` used (zone_results.intensive_basis
    'survey:<year>'), else the zone's latest survey year up to ``year``, else None."""
    b = intensive_basis(store, year=year, zone=zone)
    if b and b.startswith("survey:"):
        return int(b.split(":")[1])
    ls = store.read("land_survey", zones=[zone], columns=["survey_year"], geometry=False)
    y = pd.to_numeric(ls["survey_year"], errors="coerce")
    y = y[y <= year]
    return int(y.max()) if len(y) else None


def zone_survey_rows(store: Store, *, year: int, zone: str) -> pd.DataFrame:
    """zone_survey_results of the survey the zone's figures of ``year`` used: 主区, 发展方向区, 全区."""
    sy = survey_year_used(store, year=year, zone=zone)
    if sy is None:
        return store.read("zone_survey_results", year=-1, zones=[zone])
    sv = store.read("zone_survey_results", year=sy, zones=[zone])
    order = {"主区": 0, "发展方向区": 1, "全区": 2}
    return sv.assign(_o=sv["range"].map(order).fillna(3)).sort_values("_o").drop(columns="_o").reset_index(drop=True)


SURVEY_MAP_COLUMNS = ["patch_code", "zone_code", "survey_year", "land_class", "area_m2", "supply_type", "range",
                      "floor_area_m2"]


def zone_survey_patches(store: Store, *, year: int, zone: str) -> gpd.GeoDataFrame:
    """The 图斑 of the survey the zone's figures of ``year`` used (for the map; no land user names)."""
    sy = survey_year_used(store, year=year, zone=zone)
    if sy is None:
        return store.read("land_survey", year=-1, zones=[zone], columns=SURVEY_MAP_COLUMNS)
    return store.read("land_survey", year=sy, zones=[zone], columns=SURVEY_MAP_COLUMNS)


def layer_names() -> list[str]:
    return list(LAYERS)


TARGETS_COLUMNS = TARGET_COLUMNS
