"""Result versions (评价结果版本): every evaluation of a year is a draft; an evaluator publishes one.

The results layers of the store (``parcel_results``, ``enterprise_results``, ``zone_results``,
``pilot_area_results``, ``flags``, ``building_results``) hold, for each year, the version users are
shown: the *published* version of the year, or the latest draft while none is published. So every
reader — the web, the reports, the exports, the map tiles, QGIS opening the GeoPackage — sees the
shown version without knowing about versions; :func:`landuse.services.results.shown_version` says
which one it is.

- :func:`record` keeps the rows of a new draft (``result_versions`` + ``result_version_layers``,
  rows never updated or deleted: the database refuses) and writes them to the results layers only
  when the year has no published version. A re-evaluation or a saved quota never changes what a
  published version shows.
- :func:`publish` makes a version the published one (with a note; a second publication of the year
  needs the note as its reason and supersedes the first), writes its rows back to the results
  layers, opens the objection window (``policy.objection``) and is audited.
- :func:`diff` compares two versions of a year.
"""

from __future__ import annotations

import base64
import datetime as _dt
import gzip
import hashlib
import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import shapely

from landuse.core.contract import LAYERS
from landuse.core.dtypes import conforms
from landuse.core.errors import LanduseError
from landuse.core.labels import t
from landuse.core.policy import Policy
from landuse.services import accounts
from parcels.schema import coerce
from parcels.store.base import Digest, Store, now_utc

__all__ = ["record", "publish", "list_versions", "get_version", "published", "shown", "frames", "diff",
           "resolve", "window_closes", "window_open", "STATUS_ZH"]

STATUS_ZH = {"draft": "草稿", "published": "已发布", "superseded": "已被替代"}


# ------------------------------------------------------------------------------------------------
# the rows of a version: Parquet (zstd), exact (float64 as they are, geometry as WKB), base64 text
# with the prefix ``parquet:``; versions recorded before are gzip'd JSON and still read
# ------------------------------------------------------------------------------------------------

PARQUET = "parquet:"
#: a layer whose rows equal (by content digest) an earlier version's of the same year keeps a
#: reference to that version's body instead of a copy: ``same:<version_id>``
SAME = "same:"


def body_digest(body: str) -> str:
    """The SHA-256 of a version body: a layer's digest when :func:`content_key` cannot key its rows."""
    return hashlib.sha256(body.encode("ascii")).hexdigest()


def content_key(df: pd.DataFrame) -> str | None:
    """The SHA-256 of an unambiguous serialisation of a frame's rows, without encoding a version
    body (a third of the cost: an evaluation whose layers did not change encodes nothing):
    the row count, column names and dtypes; per column the missing-value mask and the values —
    numbers, dates and booleans as their bytes, text as its UTF-8 with each value's length,
    geometry as WKB with each length. ``c:``-prefixed; None when a column holds anything else (the
    caller then digests the encoded body)."""
    h = hashlib.sha256()
    h.update(json.dumps([len(df), [[str(c), str(dt)] for c, dt in df.dtypes.items()]]).encode())
    for c in df.columns:
        s = df[c]
        if s.dtype == object or c == "geometry":
            vals = np.asarray(s.to_numpy(dtype=object), dtype=object)
            miss = pd.isna(vals)
            h.update(np.packbits(miss).tobytes())
            rest = vals[~miss] if miss.any() else vals
            kind = pd.api.types.infer_dtype(rest, skipna=False)
            if kind in ("string", "empty"):
                parts = rest.tolist()
                data = "".join(parts).encode("utf-8", "surrogatepass")
            elif c == "geometry" and bool(shapely.is_geometry(rest).all()):
                parts = shapely.to_wkb(rest).tolist()
                data = b"".join(parts)
            else:
                return None
            h.update(np.fromiter(map(len, parts), dtype=np.int64, count=len(parts)).tobytes())
            h.update(data)
        elif isinstance(s.dtype, pd.api.extensions.ExtensionDtype):
            if s.dtype.kind not in "iub":
                return None
            h.update(np.packbits(s.isna().to_numpy()).tobytes())
            h.update(s.to_numpy(dtype=bool if s.dtype.kind == "b" else "int64", na_value=0).tobytes())
        elif s.dtype.kind in "fiubM":
            h.update(np.ascontiguousarray(s.to_numpy()).tobytes())
        else:
            return None
    return "c:" + h.hexdigest()


def _digested(name: str, frame: pd.DataFrame) -> tuple[str, pd.DataFrame | None, str | None]:
    """A results layer's content digest, with the coerced rows and the encoded body when making it
    needed them: rows already in the contract's dtypes (an evaluation's, :func:`conforms`) are
    keyed as they come; other frames, or rows :func:`content_key` cannot key, are coerced first,
    and only rows it cannot key even then are encoded (the body's SHA-256 is the digest)."""
    layer = LAYERS[name]
    if conforms(frame, layer):
        d = content_key(frame)
        if d is not None:
            return d, None, None
    coerced = coerce(frame, layer)
    d = content_key(coerced)
    if d is not None:
        return d, coerced, None
    body = _encode(coerced)
    return body_digest(body), coerced, body


def layer_digest(name: str, frame: pd.DataFrame) -> str:
    """The content digest of a results layer's rows, as :func:`record` takes it."""
    return _digested(name, frame)[0]


def _default(v: Any) -> Any:
    if isinstance(v, (pd.Timestamp, _dt.date)):
        return v.isoformat()[:10]
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    raise TypeError(type(v).__name__)


def _encode(df: pd.DataFrame) -> str:
    import io

    d = pd.DataFrame(df)
    if "geometry" in d.columns:
        d["geometry"] = [None if g is None or (isinstance(g, float) and np.isnan(g)) else shapely.to_wkb(g)
                         for g in np.asarray(d["geometry"].values, dtype=object)]
    try:
        buf = io.BytesIO()
        d.reset_index(drop=True).to_parquet(buf, engine="pyarrow", index=False, compression="zstd")
        return PARQUET + base64.b64encode(buf.getvalue()).decode("ascii")
    except (ValueError, TypeError, ImportError, ArithmeticError):  # a column Arrow cannot type: JSON
        return _encode_json(df)


def _encode_json(df: pd.DataFrame) -> str:
    d = pd.DataFrame(df)
    cols = list(d.columns)
    data = []
    series = []
    for c in cols:
        s = d[c]
        if c == "geometry":
            vals = [None if g is None or (isinstance(g, float) and np.isnan(g)) else shapely.to_wkb(g, hex=True)
                    for g in np.asarray(s.values, dtype=object)]
        else:
            vals = s.astype(object).where(s.notna(), None).tolist()
        series.append(vals)
    data = [list(r) for r in zip(*series, strict=True)] if series else []
    text = json.dumps({"columns": cols, "data": data}, default=_default, ensure_ascii=False, allow_nan=True)
    return base64.b64encode(gzip.compress(text.encode("utf-8"), compresslevel=6)).decode("ascii")


def _decode(name: str, body: str) -> pd.DataFrame:
    if body.startswith(PARQUET):
        import io

        df = pd.read_parquet(io.BytesIO(base64.b64decode(body[len(PARQUET):])), engine="pyarrow")
    else:
        obj = json.loads(gzip.decompress(base64.b64decode(body)).decode("utf-8"))
        df = pd.DataFrame(obj["data"], columns=obj["columns"])
    if "geometry" in df.columns:
        geoms = [None if g is None else shapely.from_wkb(g) for g in df["geometry"]]
        df = df.drop(columns=["geometry"])
        import geopandas as gpd

        df = gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms, index=df.index), crs=4490)
    return coerce(df, LAYERS[name])


# ------------------------------------------------------------------------------------------------
# reading the version table
# ------------------------------------------------------------------------------------------------

def list_versions(store: Store, year: int | None = None) -> list[dict[str, Any]]:
    """Every version (of ``year``), oldest first."""
    rows = store.sys_query("result_versions", {"year": int(year)} if year is not None else None)
    return sorted(rows, key=lambda r: (int(r["year"]), int(r["seq"])))


def get_version(store: Store, version_id: str) -> dict[str, Any] | None:
    rows = store.sys_query("result_versions", {"version_id": version_id})
    return rows[0] if rows else None


def resolve(store: Store, year: int, ref: str | int) -> dict[str, Any]:
    """A version of ``year`` named by ``v3``, ``3`` or ``2024-v3``; a clear error otherwise."""
    s = str(ref).strip().lower()
    seq = s.split("-v")[-1].lstrip("v")
    have = list_versions(store, year)
    for r in have:
        if seq.isdigit() and int(r["seq"]) == int(seq) and (("-v" not in s) or s == r["version_id"].lower()):
            return r
    names = ", ".join(f"v{r['seq']}" for r in have) or t("无", "none")
    raise LanduseError(t(f"{year} 年没有版本 {ref}（已有：{names}）", f"{year} has no version {ref} (there are: {names})"))


def published(store: Store, year: int) -> dict[str, Any] | None:
    rows = [r for r in list_versions(store, year) if r["status"] == "published"]
    return rows[-1] if rows else None


def latest(store: Store, year: int) -> dict[str, Any] | None:
    rows = list_versions(store, year)
    return rows[-1] if rows else None


def shown(store: Store, year: int) -> dict[str, Any] | None:
    """The version the results layers hold for ``year``: the published one, else the latest draft
    (None: results older than versions, or none)."""
    return published(store, year) or latest(store, year)


def bodies(store: Store, version_id: str) -> dict[str, tuple[str, str]]:
    """Each layer's recorded body of a version and the version that holds its bytes (itself, or the
    earlier version a ``same:`` reference names)."""
    out: dict[str, tuple[str, str]] = {}
    for r in sorted(store.sys_query("result_version_layers", {"version_id": version_id}), key=lambda r: r["layer"]):
        body, holder = r["body"], version_id
        if body.startswith(SAME):
            holder = body[len(SAME):]
            got = store.sys_query("result_version_layers", {"version_id": holder, "layer": r["layer"]})
            if not got or got[0]["body"].startswith(SAME):
                raise LanduseError(t(f"版本 {version_id} 的 {r['layer']} 引用的版本 {holder} 缺少该图层数据",
                                     f"version {version_id}: {r['layer']} refers to {holder}, which lacks that layer"))
            body = got[0]["body"]
        out[r["layer"]] = (body, holder)
    return out


class _Decoded(Mapping):
    """A version's layers, each decoded when first read."""

    def __init__(self, held: dict[str, tuple[str, str]]) -> None:
        self._held, self._frames = held, {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._frames:
            self._frames[name] = _decode(name, self._held[name][0])
        return self._frames[name]

    def __iter__(self):
        return iter(self._held)

    def __len__(self) -> int:
        return len(self._held)


def frames(store: Store, version_id: str) -> dict[str, pd.DataFrame]:
    """The results layers of a version, as they were recorded."""
    return {name: _decode(name, body) for name, (body, _holder) in bodies(store, version_id).items()}


# ------------------------------------------------------------------------------------------------
# recording and publishing
# ------------------------------------------------------------------------------------------------

def record(store: Store, *, year: int, layers: dict[str, pd.DataFrame], inputs_hash: str | None,
           policy_hash: str | None, actor: str | None, origin: str, note: str | None = None,
           corrections: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Keep ``layers`` (results layers of ``year``) as a new draft; write them to the results layers
    when the year has no published version. Returns the version row with ``shown`` (bool)."""
    year = int(year)
    seq = max([int(r["seq"]) for r in list_versions(store, year)] or [0]) + 1
    vid = f"{year}-v{seq}"
    # a layer whose rows equal those the results layers hold from an earlier version (the digest kept
    # with them: parcels.store.base.RESULTS_DIGESTS_DDL) refers to that version's body; and the
    # results layers are written only where the digest differs
    kept = store.result_digests(year)
    digests: dict[str, Digest] = {}
    for name, frame in layers.items():
        d, coerced, body = _digested(name, frame)
        prev = kept.get(name)
        holder = prev[1] if prev is not None and prev[0] == d and prev[1] else vid
        digests[name] = (d, holder)
        if holder == vid and body is None:  # rows of their own: the body is kept (coerced, as always)
            body = _encode(coerced if coerced is not None else coerce(frame, LAYERS[name]))
        store.sys_insert("result_version_layers", {"version_id": vid, "layer": name, "n_rows": len(frame),
                                                   "body": body if holder == vid else SAME + holder})
        del body, coerced
    row = {"version_id": vid, "year": year, "seq": seq, "inputs_hash": inputs_hash, "policy_hash": policy_hash,
           "created_by": actor, "created_at": now_utc().isoformat(), "status": "draft", "note": note,
           "origin": origin,
           "corrections": json.dumps(corrections, ensure_ascii=False, default=str) if corrections else None}
    store.sys_insert("result_versions", row)
    pub = published(store, year)
    if pub is None:
        store.replace_results(layers, year=year, digests=digests)
    accounts.audit(store, actor, "version_draft", f"version={vid} origin={origin} inputs={inputs_hash} "
                   f"policy={policy_hash} shown={'no (published ' + pub['version_id'] + ')' if pub else 'yes'}"
                   + (f" corrections={len(corrections)}" if corrections else ""))
    return {**row, "shown": pub is None}


def window_closes(published_on: _dt.date, policy: Policy) -> _dt.date:
    """The last day objections are taken: ``policy.objection.window_working_days`` working days
    after the day of publication (weekends and ``policy.objection.holidays`` are not working days)."""
    o = policy.objection
    hol = [np.datetime64(d) for d in o.holidays]
    day = np.busday_offset(np.datetime64(published_on), int(o.window_working_days), roll="backward", holidays=hol)
    return pd.Timestamp(day).date()


def window_open(version: dict[str, Any], today: _dt.date | None = None) -> bool:
    """True while a published version takes objections (through its ``window_closes`` day)."""
    if version.get("status") != "published" or not version.get("window_closes"):
        return False
    today = today or now_utc().date()
    return today <= _dt.date.fromisoformat(str(version["window_closes"])[:10])


def publish(store: Store, *, year: int, version: str | int, note: str, actor: str | None, policy: Policy,
            today: _dt.date | None = None) -> dict[str, Any]:
    """Publish a version of ``year`` (see the module docstring). ``note`` is required; when another
    version is published it is the reason that one is superseded."""
    note = (note or "").strip()
    if not note:
        raise LanduseError(t("发布须附说明（再次发布时为替代原发布版本的理由）",
                             "publishing needs a note (when another version is published: the reason to replace it)"))
    v = resolve(store, year, version)
    if v["status"] == "published":
        raise LanduseError(t(f"{v['version_id']} 已是发布版本", f"{v['version_id']} is already the published version"))
    prev = published(store, year)
    held = bodies(store, v["version_id"])
    if not held:
        raise LanduseError(t(f"{v['version_id']} 没有保存的结果数据", f"{v['version_id']} holds no result rows"))
    # the bodies are decoded only for the layers the store writes (not those it already holds): a
    # layer whose results rows came from the same body (the holder kept with the digest) has its
    # digest; the others are digested from their decoded rows
    decoded, kept = _Decoded(held), store.result_digests(int(year))
    digests = {name: (kept[name][0] if name in kept and kept[name][1] == h else layer_digest(name, decoded[name]), h)
               for name, (_body, h) in held.items()}
    store.replace_results(decoded, year=int(year), digests=digests)  # type: ignore[arg-type]
    now = now_utc()
    if prev is not None:
        store.sys_update("result_versions", {"version_id": prev["version_id"]},
                         {"status": "superseded", "superseded_at": now.isoformat(), "superseded_reason": note})
    closes = window_closes(today or now.date(), policy)
    store.sys_update("result_versions", {"version_id": v["version_id"]},
                     {"status": "published", "published_by": actor, "published_at": now.isoformat(),
                      "publish_note": note, "window_closes": closes.isoformat()})
    accounts.audit(store, actor, "version_publish",
                   f"version={v['version_id']} replaces={prev['version_id'] if prev else '-'} "
                   f"window_closes={closes.isoformat()} note={note}")
    _build_tiles(store, int(year))
    return get_version(store, v["version_id"]) or v


def _build_tiles(store: Store, year: int) -> None:
    """The web map's stored vector tiles of the published version (the store dropped the year's old
    tiles when the version's rows were written back)."""
    from landuse.services.tiles import build_tiles

    build_tiles(store, year)


# ------------------------------------------------------------------------------------------------
# comparing two versions
# ------------------------------------------------------------------------------------------------

ZONE_DIFF_COLUMNS = ["revenue_per_mu", "growth", "goal_met", "score", "rank", "developed_mu"]


def diff(store: Store, *, year: int, a: str | int, b: str | int) -> dict[str, pd.DataFrame]:
    """What differs between versions ``a`` and ``b`` of ``year``: ``zones`` (zone figures that
    changed), ``grades`` (enterprises whose grade changed), ``flags`` (flags added or withdrawn)."""
    va, vb = resolve(store, year, a), resolve(store, year, b)
    fa, fb = frames(store, va["version_id"]), frames(store, vb["version_id"])
    out: dict[str, pd.DataFrame] = {}
    za, zb = fa.get("zone_results"), fb.get("zone_results")
    rows = []
    if za is not None and zb is not None:
        m = pd.DataFrame(za).merge(pd.DataFrame(zb), on="zone_code", how="outer", suffixes=("_a", "_b"))
        for c in ZONE_DIFF_COLUMNS:
            if f"{c}_a" not in m.columns:
                continue
            for _, r in m.iterrows():
                x, y = r[f"{c}_a"], r[f"{c}_b"]
                if (pd.isna(x) and pd.isna(y)) or (not pd.isna(x) and not pd.isna(y) and
                                                   (x == y or (isinstance(x, float) and np.isclose(x, y, rtol=1e-12)))):
                    continue
                rows.append({"zone_code": r["zone_code"], "column": c, "a": x, "b": y})
    out["zones"] = pd.DataFrame(rows, columns=["zone_code", "column", "a", "b"])
    ea, eb = fa.get("enterprise_results"), fb.get("enterprise_results")
    if ea is not None and eb is not None:
        g = ea[["uscc", "name", "zone_code", "grade"]].merge(eb[["uscc", "grade"]], on="uscc", how="outer",
                                                            suffixes=("_a", "_b"))
        same = (g["grade_a"].fillna("\x00") == g["grade_b"].fillna("\x00"))
        out["grades"] = g[~same].reset_index(drop=True)
    else:
        out["grades"] = pd.DataFrame(columns=["uscc", "name", "zone_code", "grade_a", "grade_b"])
    la, lb = fa.get("flags"), fb.get("flags")
    if la is not None and lb is not None:
        ka = la[["parcel_code", "zone_code", "rule"]].assign(in_a=True)
        kb = lb[["parcel_code", "rule"]].assign(in_b=True)
        m = ka.merge(kb, on=["parcel_code", "rule"], how="outer")
        m["change"] = np.where(m["in_a"].isna(), "added", np.where(m["in_b"].isna(), "withdrawn", ""))
        out["flags"] = m[m["change"] != ""][["parcel_code", "zone_code", "rule", "change"]].reset_index(drop=True)
    else:
        out["flags"] = pd.DataFrame(columns=["parcel_code", "zone_code", "rule", "change"])
    return out
