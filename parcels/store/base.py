"""The store interface shared by the GeoPackage workspace and PostGIS, and the merge logic both use.

An import is an *upsert by natural key* (``Layer.key``): rows with a new key are inserted, rows
whose key exists and whose values differ are replaced, identical rows are left alone, and rows the
package does not mention stay. Columns a package does not carry keep their stored values. So
importing the same package twice changes nothing, and a corrected package replaces what it
corrects. The whole import is one transaction on both backends (PostGIS; SQLite's own transaction
and lock inside the GeoPackage file).

Results (``landuse evaluate``) replace the rows of one year in each results layer.

The inputs' state: every import records, in the same transaction, a hash of each input layer it
changed (``inputs_state``: the layer's row count and an order-independent sum of its rows' hashes,
:func:`layer_hash`). :meth:`Store.inputs_hash` combines them cheaply (seven rows read, no layer
scanned); an evaluation records the hash of the inputs it read on every results row, so results
whose hash differs from the current one are stale. Writes that bypass ``landuse import`` (QGIS,
SQL) fire triggers that forget the layer's row, and the next :meth:`Store.inputs_hash` recomputes it
from the data.
"""

from __future__ import annotations

import abc
import datetime as _dt
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from landuse.core.contract import INPUT_LAYERS, LAYERS, OUTPUT_LAYERS, PROVINCE, Layer, province_code
from landuse.core.errors import StoreError

from parcels.schema import coerce, empty_frame

SYSTEM_TABLES: tuple[str, ...] = ("users", "sessions", "audit_log", "policies", "inputs_state", "login_throttle")
#: result versions, objections and the corrections they bring (landuse.services.versions, .objections)
SYSTEM_TABLES += ("result_versions", "result_version_layers", "objections", "result_overrides")
#: the disposal ledger (landuse.services.ledger)
SYSTEM_TABLES += ("disposals", "disposal_notes")
#: the columns of :meth:`Store.zone_extents` besides the bounding box
EXTENT_COLUMNS = ("zone_code", "zone_name", "level", "pilot_area_code", "pilot_area_name")


class RowCountMismatch(StoreError):
    """An update of :meth:`Store.sys_batch` met another number of rows than expected (nothing written)."""

    def __init__(self, index: int, found: int) -> None:
        self.index, self.found = index, found
        super().__init__(f"write {index}: {found} rows matched")


@dataclass
class SysOp:
    """One write of :meth:`Store.sys_batch`: ``op`` is insert | update | delete."""

    op: str
    table: str
    values: dict[str, Any] = field(default_factory=dict)
    where: dict[str, Any] = field(default_factory=dict)
    expect: int | None = None


@dataclass
class LayerChange:
    layer: str
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    #: for the backends: which stored rows (positions in the stored frame) the written rows replace
    replaced: np.ndarray | None = field(default=None, repr=False, compare=False)


def _norm_cell(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and np.isnan(v):
        return None
    if isinstance(v, (np.floating, float)):
        return round(float(v), 9)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    return v


def row_fingerprints(df: pd.DataFrame, columns: list[str]) -> pd.Series:
    """A comparable tuple per row over ``columns`` (and the geometry's WKB when present)."""
    cols = [df[c].astype(object).tolist() for c in columns]
    geoms = None
    if "geometry" in df.columns:  # spatial layers always carry the column (None when absent)
        arr = np.asarray(df["geometry"].values, dtype=object)
        geoms = [None if g is None else shapely.to_wkb(shapely.set_precision(g, 1e-9, mode="pointwise"), hex=True)
                 for g in arr]
    out = []
    for i in range(len(df)):
        t = tuple(_norm_cell(c[i]) for c in cols)
        if geoms is not None:
            t = t + (geoms[i],)
        out.append(t)
    return pd.Series(out, index=df.index, dtype=object)


HASH_CHUNK_ROWS = 200_000


def row_hashes(df: pd.DataFrame, columns: list[str]) -> pd.Series:
    """A 64-bit hash per row over ``columns`` and the geometry (vectorised; for change detection).

    Values are normalised first (floats to 9 decimals, dates to days, booleans and missing values to
    one form each) so that the same content hashes the same whichever store it came from. Large
    frames are hashed in chunks (the normalised copy never holds more than ``HASH_CHUNK_ROWS`` rows).
    """
    if len(df) > HASH_CHUNK_ROWS:
        parts = [_row_hashes(df.iloc[i:i + HASH_CHUNK_ROWS], columns) for i in range(0, len(df), HASH_CHUNK_ROWS)]
        return pd.Series(np.concatenate([p.to_numpy() for p in parts]), index=df.index)
    return _row_hashes(df, columns)


def _row_hashes(df: pd.DataFrame, columns: list[str]) -> pd.Series:
    norm = pd.DataFrame(index=df.index)
    for c in columns:
        s = df[c]
        if pd.api.types.is_float_dtype(s):
            norm[c] = s.round(9).astype("float64").fillna(-1.7e308)
        elif pd.api.types.is_datetime64_any_dtype(s):
            norm[c] = s.dt.normalize().astype("int64", errors="ignore") if not s.isna().any() else \
                s.dt.normalize().fillna(pd.Timestamp("1677-09-22")).astype("datetime64[ns]").astype("int64")
        elif str(s.dtype) in ("boolean", "Int64"):
            norm[c] = s.astype("float64").fillna(-9.0)
        else:
            norm[c] = s.astype(object).where(s.notna(), "\x00").astype(str)
    h = pd.util.hash_pandas_object(norm, index=False) if len(columns) else pd.Series(0, index=df.index, dtype="uint64")
    if "geometry" in df.columns:
        arr = np.asarray(df["geometry"].values, dtype=object)
        ok = np.array([g is not None for g in arr], dtype=bool)
        wkb = np.full(len(arr), b"", dtype=object)
        if ok.any():
            # pointwise: coordinates rounded without a topology step (which fails on a geometry that
            # a reprojection left a hair's breadth invalid)
            wkb[ok] = shapely.to_wkb(shapely.set_precision(arr[ok].astype(object), 1e-9, mode="pointwise"))
        gh = pd.util.hash_pandas_object(pd.Series(wkb, index=df.index).map(bytes.hex), index=False)
        h = h * np.uint64(31) + gh.to_numpy()
    return pd.Series(np.asarray(h, dtype="uint64"), index=df.index)


def _hash_sum(df: pd.DataFrame, layer: Layer) -> int:
    """The sum (mod 2^64) of the rows' :func:`row_hashes` over the contract columns and the geometry."""
    if len(df) == 0:
        return 0
    frame = df if all(c in df.columns for c in layer.names) else coerce(df, layer)
    if layer.geometry:
        if "geometry" not in frame.columns:
            frame = frame.assign(geometry=None)
    elif "geometry" in frame.columns:
        frame = frame.drop(columns=["geometry"])
    return int(np.sum(row_hashes(frame, list(layer.names)).to_numpy(dtype="uint64"), dtype="uint64"))


def layer_hash(df: pd.DataFrame, layer: Layer) -> str:
    """The state of one input layer: row count and the sum (mod 2^64) of its rows' :func:`row_hashes`
    over the contract columns and the geometry: independent of row order and of the store."""
    if len(df) == 0:
        return "0:0000000000000000"
    return f"{len(df)}:{_hash_sum(df, layer):016x}"


def state_after(prev: str, removed: pd.DataFrame, added: pd.DataFrame, layer: Layer) -> str:
    """The :func:`layer_hash` of a layer whose state was ``prev`` after ``removed`` rows were deleted
    and ``added`` rows inserted — without reading the rest of the layer (the hash is a count and a
    sum of row hashes, so it can be updated: an import of one province into a national store reads
    that province's rows only)."""
    n_text, total_text = prev.split(":")
    n = int(n_text) - len(removed) + len(added)
    total = (int(total_text, 16) - _hash_sum(removed, layer) + _hash_sum(added, layer)) % (1 << 64)
    if n < 0 or (n == 0 and total != 0):
        raise ValueError(f"inputs_state of {layer.name} does not match its rows ({prev})")
    return "0:0000000000000000" if n == 0 else f"{n}:{total:016x}"


def import_scope(layer: Layer, frame: pd.DataFrame) -> AnyOf:
    """The stored rows an upsert of ``frame`` can match: those whose first key column (text in every
    input layer) holds a value ``frame`` holds (:func:`plan_upsert` then matches the whole key)."""
    k = layer.key[0]
    return [(k, sorted({str(v) for v in frame[k].dropna()}) if k in frame.columns else [])]


def combine_inputs_hash(layer_hashes: dict[str, str]) -> str:
    """One hash for the state of every input layer (16 hex digits)."""
    import hashlib

    text = "|".join(f"{layer.name}={layer_hashes.get(layer.name, '0:0000000000000000')}" for layer in INPUT_LAYERS)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def geometry_layers(geometry: Collection[str] | None, *, recorded: dict[str, str] | None) -> set[str]:
    """The input layers a snapshot reads with their geometry: ``geometry`` (None: every layer that
    has one), and, when the snapshot is hashed (``recorded``: the layers' recorded states, None when
    not hashed), every layer without a recorded state — its hash is computed from its rows, geometry
    included. Decoding polygons is the largest part of a read; an evaluation needs only the zones'."""
    every = {layer.name for layer in INPUT_LAYERS if layer.geometry}
    if geometry is None:
        return every
    need = set(geometry) & every
    if recorded is not None:
        need |= {name for name in every if name not in recorded}
    return need


def unread(skip: Collection[str], *, recorded: dict[str, str] | None) -> set[str]:
    """The layers of ``skip`` a snapshot may leave unread: all of them when it is not hashed
    (``recorded`` None), else those whose state is recorded (the others are hashed from their rows)."""
    return set(skip) if recorded is None else {name for name in skip if name in recorded}


def inputs_hash_of(frames: dict[str, pd.DataFrame], *, recorded: dict[str, str] | None = None) -> str:
    """The inputs hash of input layers read from a store (as :meth:`Store.read_inputs` returns them).

    ``recorded``: the layers' hashes as ``inputs_state`` held them in the same read transaction as
    the frames (every import records them; a write bypassing it deletes the layer's row): those are
    taken as they are, the other layers are hashed from their rows."""
    rec = recorded or {}
    return combine_inputs_hash({layer.name: rec[layer.name] if layer.name in rec else layer_hash(frames[layer.name], layer)
                                for layer in INPUT_LAYERS if layer.name in frames or layer.name in rec})


def key_strings(df: pd.DataFrame, key: tuple[str, ...]) -> pd.Series:
    parts = [df[k].astype(object).map(lambda v: "" if _norm_cell(v) is None else str(_norm_cell(v))) for k in key]
    s = parts[0]
    for p in parts[1:]:
        s = s + "\x1f" + p
    return s


def key_codes(existing: pd.DataFrame, incoming: pd.DataFrame, key: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """One integer per row for the natural key, equal across the two frames when the keys are equal
    (missing values included): no per-row strings or tuples, so it scales to millions of rows."""
    n_ex = len(existing)
    acc = np.zeros(n_ex + len(incoming), dtype="int64")
    for k in key:
        both = pd.concat([_key_values(existing[k]), _key_values(incoming[k])], ignore_index=True)
        codes, uniques = pd.factorize(both, use_na_sentinel=False)
        acc, _ = pd.factorize(acc * np.int64(len(uniques) + 1) + codes.astype("int64"), use_na_sentinel=False)
        acc = acc.astype("int64")
    return acc[:n_ex], acc[n_ex:]


def _key_values(s: pd.Series) -> pd.Series:
    """Key cells in one comparable form whatever the frame's dtype (dates as days, numbers as int or float)."""
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.normalize().astype("datetime64[ns]").astype(object).where(s.notna(), None)
    if str(s.dtype) in ("Int64", "boolean") or pd.api.types.is_numeric_dtype(s):
        return s.astype(object).where(s.notna(), None)
    return s.astype(object).where(s.notna(), None)


def plan_upsert(layer: Layer, existing: pd.DataFrame, incoming: pd.DataFrame,
                present_columns: set[str]) -> tuple[pd.DataFrame, pd.DataFrame, LayerChange]:
    """Return (rows to write: inserted + updated, merged full layer, counts).

    ``present_columns`` are the columns the package carried; the others keep stored values.
    ``change.replaced`` marks the stored rows that the written rows replace (by position).
    """
    key = layer.key
    if layer.geometry and "geometry" not in incoming.columns:
        incoming = incoming.assign(geometry=None)
    incoming = incoming.reset_index(drop=True)
    existing = existing.reset_index(drop=True)
    ex_codes, in_codes = key_codes(existing, incoming, key) if len(existing) else (
        np.zeros(0, dtype="int64"), np.zeros(len(incoming), dtype="int64"))
    exists = np.isin(in_codes, ex_codes) if len(existing) else np.zeros(len(incoming), dtype=bool)
    pos = np.zeros(0, dtype="int64")
    if exists.any():
        ex_index = pd.Series(np.arange(len(existing)), index=ex_codes)
        pos = ex_index.loc[in_codes[exists]].to_numpy()
    # fill columns the package did not carry from the stored row
    carried = [c for c in layer.names if c in present_columns or c in layer.key or c in layer.derived]
    fill = [c for c in layer.names if c not in carried]
    keep_geom = layer.geometry and "geometry" not in present_columns and "geometry" in existing.columns
    if exists.any() and (fill or keep_geom):
        incoming = incoming.copy()
        for c in fill:
            col = incoming[c].astype(object) if c in incoming.columns else pd.Series([None] * len(incoming), dtype=object)
            col.loc[exists] = existing[c].iloc[pos].astype(object).to_numpy()
            incoming[c] = col
        if keep_geom:
            g = np.asarray(incoming["geometry"].values, dtype=object).copy()
            g[exists] = np.asarray(existing["geometry"].values, dtype=object)[pos]
            incoming["geometry"] = g
    incoming = coerce(incoming, layer)
    changed = np.ones(len(incoming), dtype=bool)
    if exists.any():
        compare_cols = list(layer.names)
        ex_fp = row_hashes(existing.iloc[pos].reset_index(drop=True), compare_cols)
        in_fp = row_hashes(incoming[exists].reset_index(drop=True), compare_cols)
        changed[exists] = ex_fp.to_numpy() != in_fp.to_numpy()
    ins = ~exists
    upd = exists & changed
    sel = ins | upd
    write = incoming if sel.all() else incoming[sel]
    replaced = np.isin(ex_codes, in_codes[upd]) if upd.any() else np.zeros(len(existing), dtype=bool)
    change = LayerChange(layer.name, int(ins.sum()), int(upd.sum()), int((exists & ~changed).sum()), replaced)
    # merged layer: existing rows minus replaced ones, plus written rows
    if len(existing):
        merged = pd.concat([existing[~replaced], write], ignore_index=True)
    else:
        merged = write.reset_index(drop=True) if not isinstance(write.index, pd.RangeIndex) else write
    if layer.geometry and "geometry" in merged.columns and not isinstance(merged, gpd.GeoDataFrame):
        merged = gpd.GeoDataFrame(merged, geometry="geometry", crs=4490)
    return write, merged, change


class Store(abc.ABC):
    """What every command uses to reach the data, whatever the backend."""

    kind: str = "abstract"
    url: str = ""

    # --- schema -------------------------------------------------------------------------------
    @abc.abstractmethod
    def init(self) -> None:
        """Create or migrate the schema (idempotent)."""

    # --- reading ------------------------------------------------------------------------------
    @abc.abstractmethod
    def _read_raw(self, name: str, *, year: int | None, zones: list[str] | None,
                  columns: list[str] | None = None, where: dict[str, Any] | None = None,
                  geometry: bool = True) -> pd.DataFrame: ...

    def read(self, name: str, *, year: int | None = None, zones: list[str] | None = None,
             columns: list[str] | None = None, where: dict[str, Any] | None = None,
             geometry: bool = True) -> pd.DataFrame:
        """A layer with contract dtypes (GeoDataFrame in EPSG:4490 for spatial layers read with geometry).

        ``zones`` keeps rows of those zones (layers that carry ``zone_code``); ``columns`` reads only
        those contract columns (in contract order); ``where`` keeps rows whose columns equal the
        given values (column names must be the layer's: they never come from a request).
        """
        layer = LAYERS[name]
        cols = None if columns is None else [c for c in layer.names if c in set(columns)]
        for k in where or {}:
            if k not in layer.names:
                raise KeyError(f"{name}.{k}")
        if zones is not None and not zones and "zone_code" in layer.names:
            df = empty_layer(layer)
        else:
            df = self._read_raw(name, year=year, zones=zones, columns=cols, where=where,
                                geometry=geometry and bool(layer.geometry))
        out = coerce(df, layer, only=None if cols is None else {*cols, *layer.key})
        out = out.sort_values(list(layer.key), kind="stable", na_position="first").reset_index(drop=True) if len(out) else out
        if cols is not None:
            out = out[cols + (["geometry"] if "geometry" in out.columns else [])]
        if layer.geometry and geometry:
            geom = out["geometry"] if "geometry" in out.columns else gpd.GeoSeries([None] * len(out))
            out = gpd.GeoDataFrame(out.drop(columns=["geometry"], errors="ignore"), geometry=gpd.GeoSeries(
                np.asarray(geom.values, dtype=object), index=out.index), crs=4490)
        else:
            out = pd.DataFrame(out.drop(columns=["geometry"], errors="ignore"))
        return out

    def read_inputs(self, *, zones: list[str] | None = None) -> dict[str, pd.DataFrame]:
        """Every input layer, read in one consistent snapshot (no import lands half-way through)."""
        return self.read_inputs_snapshot(zones=zones, with_hash=False)[0]

    def read_inputs_snapshot(self, *, zones: list[str] | None = None, with_hash: bool = True,
                             geometry: Collection[str] | None = None,
                             aside: Callable[[Callable[[], Any]], Any] | None = None,
                             skip: Collection[str] = (),
                             ) -> tuple[dict[str, pd.DataFrame], str | None]:
        """Every input layer read in one consistent snapshot, and the inputs hash of what was read
        (:func:`inputs_hash_of`; for all zones it equals :meth:`inputs_hash` at that moment).
        ``geometry``: the layers whose geometry is read and decoded (default: every layer that has
        one; the others come as plain frames without it — see :func:`geometry_layers`).
        ``aside``: a way to run a function in another process meanwhile (``evaluation.pipeline.Aside``:
        it returns a pending value with ``result()`` and ``close()``); a backend may read some layers
        there, and gives the same frames and hash as without it. Here it is not used.
        ``skip``: input layers the caller does not use (an annual evaluation: ``enterprise_periods``);
        a backend may leave them out of the frames — their recorded states still enter the hash; a
        layer without a recorded state is read all the same (its hash needs its rows). Here
        they are left out only when no hash is made.
        Backends override this to read inside one transaction."""
        geo = geometry_layers(geometry, recorded={} if with_hash else None)
        frames = {layer.name: self.read(layer.name, zones=zones, geometry=layer.name in geo) for layer in INPUT_LAYERS
                  if with_hash or layer.name not in skip}
        return frames, (inputs_hash_of(frames) if with_hash else None)

    @staticmethod
    def _snapshot_rows(read: Callable[..., pd.DataFrame], unlinked_firms: Callable[[list[str]], list[str]], *,
                       zones: list[str] | None, geometry: Collection[str] | None, with_hash: bool,
                       recorded: dict[str, str], skip: Collection[str] = ()) -> tuple[dict[str, pd.DataFrame], set[str]]:
        """The part of a backend's :meth:`read_inputs_snapshot` inside its read transaction, through its
        reader ``read(name, zones=, any_of=, geometry=)``: the raw rows of every input layer (but those
        of ``skip`` that :func:`unread` allows), or of a partition's (:func:`read_partition`), and the
        layers read with their geometry (``recorded``: the layers' states read in the same
        transaction). :meth:`_snapshot_frames` follows, outside it."""
        geo = geometry_layers(geometry, recorded=recorded if with_hash else None)
        left = unread(skip, recorded=recorded if with_hash else None)

        def read_geo(name: str, zones: list[str] | None = None, any_of: AnyOf | None = None) -> pd.DataFrame:
            return read(name, zones=zones, any_of=any_of, geometry=name in geo)

        raw = {layer.name: read_geo(layer.name) for layer in INPUT_LAYERS if layer.name not in left} if zones is None \
            else read_partition(read_geo, unlinked_firms, list(zones), skip=left)
        return raw, geo

    def _snapshot_frames(self, raw: dict[str, pd.DataFrame], geo: set[str], *, with_hash: bool,
                         recorded: dict[str, str]) -> tuple[dict[str, pd.DataFrame], str | None]:
        """The snapshot's layers in the contract's shape, and its inputs hash."""
        frames = {name: self._shape(name, df, geometry=name in geo) for name, df in raw.items()}
        return frames, (inputs_hash_of(frames, recorded=recorded) if with_hash else None)

    def _shape(self, name: str, df: pd.DataFrame, *, geometry: bool = True) -> pd.DataFrame:
        """What :meth:`read` does after reading raw rows: contract dtypes, key order, GeoDataFrame."""
        layer = LAYERS[name]
        out = coerce(df, layer)
        out = out.sort_values(list(layer.key), kind="stable", na_position="first").reset_index(drop=True) if len(out) else out
        if layer.geometry and geometry:
            geom = out["geometry"] if "geometry" in out.columns else gpd.GeoSeries([None] * len(out))
            return gpd.GeoDataFrame(out.drop(columns=["geometry"], errors="ignore"), geometry=gpd.GeoSeries(
                np.asarray(geom.values, dtype=object), index=out.index), crs=4490)
        return pd.DataFrame(out.drop(columns=["geometry"], errors="ignore"))

    # --- the inputs' state (stale results) -------------------------------------------------------
    def inputs_hash(self) -> str:
        """The hash of the current inputs, from ``inputs_state`` (layers whose row is missing are
        recomputed from their data under a write lock and recorded)."""
        rows = {r["layer"]: r["layer_hash"] for r in self.sys_query("inputs_state")}
        for layer in INPUT_LAYERS:
            if layer.name not in rows:
                rows[layer.name] = self._recompute_layer_state(layer.name)
        return combine_inputs_hash(rows)

    @abc.abstractmethod
    def _recompute_layer_state(self, name: str) -> str:
        """Compute one input layer's :func:`layer_hash` from its rows and record it in
        ``inputs_state``, with no import able to land in between; return it."""

    @abc.abstractmethod
    def counts(self) -> dict[str, int]: ...

    def years(self) -> list[int]:
        ey = self.read("enterprise_years", columns=["year"])
        return sorted(int(y) for y in ey["year"].dropna().unique())

    def result_years(self) -> list[int]:
        zr = self._read_raw("zone_results", year=None, zones=None, columns=["year"], geometry=False)
        return sorted(int(y) for y in pd.to_numeric(zr["year"], errors="coerce").dropna().unique()) if len(zr) else []

    # --- spatial queries the web service needs (one implementation per backend) ---------------
    @abc.abstractmethod
    def zone_extents(self, zones: list[str] | None) -> pd.DataFrame:
        """zone_code, zone_name, level, pilot_area_code, pilot_area_name and the bounding box
        (x0, y0, x1, y1 in lon/lat) of the given zones (None: all), sorted by zone_code."""

    @abc.abstractmethod
    def search_parcels(self, q: str, *, year: int | None, zones: list[str] | None, limit: int = 20) -> pd.DataFrame:
        """Parcels whose code (or, with a year, holder name) contains ``q`` (case-insensitive, as text,
        not a pattern): parcel_code, zone_code, [holder_name, stage,] lon, lat of a point on the parcel."""

    def mvt_tile(self, z: int, x: int, y: int, *, year: int, zones: list[str] | None, figures: bool) -> bytes:
        """A Mapbox vector tile of the parcels (layer ``parcels``) with their results of ``year``."""
        raise NotImplementedError

    # --- stored vector tiles (landuse.services.tiles) ---------------------------------------------
    def put_tiles(self, year: int, rows: list[tuple]) -> None:
        """Replace the stored tiles of ``year`` by ``rows``: (variant, z, x, y, zones, data)."""
        raise NotImplementedError

    def get_tile(self, year: int, variant: str, z: int, x: int, y: int) -> tuple[bytes, str] | None:
        """A stored tile (data, comma-separated zones it may hold), None when not stored."""
        raise NotImplementedError

    # --- earlier years' parts kept between evaluations (landuse.services.carry) ------------------
    def get_carry(self, key: str, part: str) -> dict[str, tuple[bytes, str]]:
        """The frames kept for ``part`` under ``key``: frame name → (data, sha256 of data)."""
        return {}

    def put_carry(self, key: str, scope: str, items: list[tuple[str, str, bytes, str]]) -> None:
        """Keep ``items`` (part, frame, data, sha256) under ``key``, dropping what ``scope`` kept under
        other keys (the parts of an earlier state of the inputs)."""

    def session_user(self, token_hash: str) -> dict[str, Any] | None:
        """The session row of ``token_hash`` with its user's ``role``, ``zones`` and ``active``
        (None when there is no such session; the user's fields None when the user is gone). The
        backends answer it with one query: the web service asks it on every request."""
        rows = self.sys_query("sessions", {"token_hash": token_hash})
        if not rows:
            return None
        users = self.sys_query("users", {"username": rows[0]["username"]})
        u = users[0] if users else {}
        return {**rows[0], "role": u.get("role"), "zones": u.get("zones"), "active": u.get("active")}

    def results_generation(self) -> int | None:
        """A number that changes with every write of the results layers (``replace_results``, in the
        same transaction), for readers that keep summaries of the results
        (:func:`landuse.services.results.cached`); None when the backend keeps none (nothing is
        cached then)."""
        return None

    def has_tile_year(self, year: int) -> bool:
        """Whether ``year`` has stored tiles (one index lookup on the backends)."""
        return int(year) in self.tile_years()

    def tile_years(self) -> list[int]:
        """The years that have stored tiles."""
        return []

    # --- the policies results were computed with -------------------------------------------------
    def put_policy(self, policy_json: str, *, policy_hash: str, version: str) -> None:
        """Keep the policy a result was computed with (by hash; idempotent)."""
        if not self.sys_query("policies", {"policy_hash": policy_hash}):
            self.sys_insert("policies", {"policy_hash": policy_hash, "version": version, "body": policy_json,
                                         "stored_at": now_utc().isoformat()})

    def get_policy(self, policy_hash: str) -> str | None:
        rows = self.sys_query("policies", {"policy_hash": policy_hash})
        return rows[0]["body"] if rows else None

    # --- writing ------------------------------------------------------------------------------
    @abc.abstractmethod
    def apply_import(self, frames: dict[str, pd.DataFrame], present: dict[str, set[str]],
                     existing: dict[str, pd.DataFrame] | None = None) -> list[LayerChange]:
        """Upsert every layer of a validated package in one transaction (all or nothing).

        ``existing``: layers the caller has just read from this store (a backend may reuse them)."""

    @abc.abstractmethod
    def replace_results(self, frames: dict[str, pd.DataFrame], *, year: int, zones: list[str] | None = None,
                        digests: dict[str, Digest] | None = None) -> None:
        """Replace the rows of ``year`` in each given results layer, atomically; with ``zones``
        (a partition's evaluation) only the rows of those zones (:func:`scoped_delete`).

        ``digests`` (the whole year only): each layer's content digest; a layer whose digest equals
        the year's valid stored one is left as it is (:data:`RESULTS_DIGESTS_DDL`)."""

    def result_digests(self, year: int) -> dict[str, Digest]:
        """Each results layer's last written digest for ``year`` and the version holding its bytes,
        valid or not (:func:`landuse.services.versions.record` shares a version body by it)."""
        return {}

    # --- system tables (web service) ---------------------------------------------------------
    @abc.abstractmethod
    def sys_query(self, table: str, where: dict[str, Any] | None = None) -> list[dict[str, Any]]: ...

    @abc.abstractmethod
    def sys_insert(self, table: str, row: dict[str, Any]) -> None: ...

    @abc.abstractmethod
    def sys_update(self, table: str, where: dict[str, Any], values: dict[str, Any]) -> int: ...

    @abc.abstractmethod
    def sys_delete(self, table: str, where: dict[str, Any]) -> int: ...

    def sys_batch(self, ops: list[SysOp]) -> None:
        """Run several system-table writes in one transaction (all or nothing). An update whose
        ``expect`` is set and that changes another number of rows rolls everything back and raises
        :class:`RowCountMismatch` (optimistic concurrency: ``where`` names the revision read)."""
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover - default no-op
        pass

    # --- helpers ------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, list[tuple]]:
        """Every input and results row as comparable tuples (tests: "unchanged row for row")."""
        snap: dict[str, list[tuple]] = {}
        for layer in INPUT_LAYERS + OUTPUT_LAYERS:
            df = self.read(layer.name)
            snap[layer.name] = sorted(row_fingerprints(df, layer.names).tolist(), key=repr)
        return snap


def empty_layer(layer: Layer) -> pd.DataFrame:
    df = empty_frame(layer)
    if layer.geometry:
        return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries([], crs=4490))
    return df


def now_utc() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)


def scoped_delete(layer: Layer, frame: pd.DataFrame, zones: list[str] | None) -> tuple[str, list, str, list]:
    """What a partition's results replace in ``layer`` (besides the year): rows of its zones where the
    layer carries ``zone_code``, and rows whose first key column holds a value the new rows hold (a
    firm with no zone, or registered in another partition's zone, is written by the last partition
    that lists it: the same figures). Returns (zone column or "", zones, key column, key values);
    ("", [], "", []) when ``zones`` is None (the whole year)."""
    if zones is None:
        return "", [], "", []
    k = layer.key[0]
    keys = sorted({str(v) for v in frame[k].dropna()}) if k in frame.columns else []
    return ("zone_code" if "zone_code" in layer.names else ""), sorted(set(zones)), k, keys


# --- what the results layers hold, by digest: a year's unchanged layers are not written again --------

#: the content digest of each results layer's rows of a year as the product last wrote them (a
#: SHA-256 of the rows, :func:`landuse.services.versions.content_key`, as
#: :func:`landuse.services.versions.record` takes it), and the version whose body holds those
#: rows. A row is valid while ``generation`` equals the results generation (``results_state``):
#: every write of a results table bumps it — the product's own writes carry the valid rows forward
#: in the same transaction, a write from outside (QGIS, SQL, a partition of a distributed run)
#: leaves them behind, and the next evaluation writes those layers whole again.
#: Both backends; the generation is ``bigint`` on PostgreSQL (as in ``results_state``) and
#: ``INTEGER`` (64-bit) in a GeoPackage, whose readers (GDAL, QGIS) know no other integer type name.
RESULTS_DIGESTS_DDL = """CREATE TABLE IF NOT EXISTS results_digests (layer TEXT NOT NULL, year INTEGER NOT NULL,
    digest TEXT NOT NULL, generation {int8} NOT NULL, version_id TEXT, PRIMARY KEY (layer, year))"""
#: the year's digests valid now (one statement: the generation and the rows from one snapshot)
DIGESTS_VALID = ("SELECT d.layer, d.digest, s.generation FROM results_digests d JOIN results_state s "
                 "ON s.name = 'results' AND s.generation = d.generation WHERE d.year = :y")
DIGESTS_ALL = "SELECT layer, digest, version_id FROM results_digests WHERE year = :y"
#: after the product's own write (generation g0 → g1): what was valid stays valid
DIGESTS_KEEP = "UPDATE results_digests SET generation = :g1 WHERE generation = :g0"
DIGESTS_DROP = "DELETE FROM results_digests WHERE year = :y AND layer = :layer"
DIGESTS_PUT = ("INSERT INTO results_digests (layer, year, digest, generation, version_id) "
               "VALUES (:layer, :y, :d, :g1, :v) ON CONFLICT (layer, year) DO UPDATE SET digest = excluded.digest, "
               "generation = excluded.generation, version_id = excluded.version_id")

#: the results layers the stored vector tiles are made of (landuse.services.tiles): a write of
#: their rows drops the year's tiles
TILED_LAYERS = frozenset({"parcel_results", "enterprise_results"})

#: a layer's digest as ``replace_results`` takes it: (content digest of its rows, the version holding them)
Digest = tuple[str, str | None]


def unchanged_layers(frames: dict[str, pd.DataFrame], digests: dict[str, Digest] | None,
                     valid: dict[str, str]) -> set[str]:
    """The layers of ``frames`` whose rows the results layers already hold (their digest equals the
    year's valid stored one); none when no digests are given (a partition, a survey's rows)."""
    if not digests:
        return set()
    return {n for n in frames if n in digests and valid.get(n) == digests[n][0]}


def digest_updates(frames: dict[str, pd.DataFrame], digests: dict[str, Digest] | None, *, year: int,
                   g0: int | None, g1: int) -> list[tuple[str, dict[str, Any]]]:
    """The statements that keep ``results_digests`` true after a write of ``frames`` for ``year``
    moved the generation from ``g0`` to ``g1`` (inside the write's transaction): the other valid rows
    carried forward, the written layers' digests put (or dropped when not given)."""
    out: list[tuple[str, dict[str, Any]]] = []
    if g0 is not None:
        out.append((DIGESTS_KEEP, {"g0": int(g0), "g1": int(g1)}))
    for name in frames:
        if digests and name in digests:
            d, v = digests[name]
            out.append((DIGESTS_PUT, {"layer": name, "y": int(year), "d": d, "g1": int(g1), "v": v}))
        else:
            out.append((DIGESTS_DROP, {"layer": name, "y": int(year)}))
    return out


# --- a partition's inputs (landuse.services.distributed) -----------------------------------------

#: the enterprise-side input layers: a partition reads the rows of its own firms only (by ``uscc``)
FIRM_LAYERS = ("enterprises", "enterprise_years", "enterprise_periods")

#: one condition of a read restricted to rows where *any* condition holds: ``(column, values)`` is
#: ``column IN values``; ``(column, values, start, length)`` is ``substr(column, start, length) IN values``
AnyOf = list[tuple]

#: firms that exist in the enterprise-side layers but are linked to no parcel at all (no parcel,
#: right or lease names them) and whose USCC registers them in one of the provinces ``:prov``
#: (characters 3–4 of the USCC: the registering authority's admin code, GB 32100). PostgreSQL's
#: spelling (anti-joins); the GeoPackage builds the same query over the tables its file has
#: (``NOT IN`` over subqueries SQLite indexes).
UNLINKED_FIRMS_PG = """
SELECT u.uscc FROM (SELECT uscc FROM enterprises UNION SELECT uscc FROM enterprise_years
                    UNION SELECT uscc FROM enterprise_periods) u
WHERE substr(u.uscc, 3, 2) = ANY(:prov)
  AND NOT EXISTS (SELECT 1 FROM parcels p WHERE p.holder_uscc = u.uscc)
  AND NOT EXISTS (SELECT 1 FROM land_rights l WHERE l.holder_uscc = u.uscc)
  AND NOT EXISTS (SELECT 1 FROM leases s WHERE s.uscc = u.uscc)"""


def zone_provinces(zones: pd.DataFrame) -> list[str]:
    """The province codes (2 digits) of ``zones``: of their county code, else of the first 6-digit
    code in their zone code (as :func:`landuse.services.distributed.partitions` groups them)."""
    if not len(zones):
        return []
    county = zones["county_code"].astype(object).where(zones["county_code"].notna(), None) \
        if "county_code" in zones.columns else pd.Series(None, index=zones.index, dtype=object)
    code = county.fillna(zones["zone_code"].astype(str).str.extract(r"(\d{6})", expand=False))
    return sorted({str(c)[:2] for c in code.dropna()})


def _values(df: pd.DataFrame, column: str) -> list[str]:
    if column not in df.columns or not len(df):
        return []
    return sorted({str(v) for v in df[column].dropna()})


def read_partition(read: Callable[..., pd.DataFrame], unlinked_firms: Callable[[list[str]], list[str]],
                   zones: list[str], *, skip: Collection[str] = ()) -> dict[str, pd.DataFrame]:
    """The raw input layers of a partition (``zones``), read through ``read(name, zones=, any_of=)``
    (one backend's reader, inside the caller's transaction) so that each layer holds only what the
    partition's evaluation links to:

    - layers with ``zone_code``: the rows of ``zones``;
    - ``buildings`` and ``land_rights``: those of the partition's parcels; ``leases``: those on its
      parcels or its buildings;
    - ``enterprises``, ``enterprise_years``, ``enterprise_periods``: the firms the partition links
      (holders of its parcels, holders in their rights, lessees of its leases) and the firms linked to
      no parcel anywhere that the USCC registers in the partition's provinces (``unlinked_firms``);
      the single-process run lists those too, so each is evaluated by the partition of its province;
    - ``pilot_area_years``: the province row, the pilot areas of the zones (and of
      ``pilot_area_zones``) and those whose admin code lies in the partition's provinces.

    Every filter is a SQL condition: no layer is read whole and filtered afterwards. The layers of
    ``skip`` are not read."""
    out: dict[str, pd.DataFrame] = {}
    for layer in INPUT_LAYERS:
        if "zone_code" in layer.names and layer.name not in skip:
            out[layer.name] = read(layer.name, zones=zones)
    parcel_codes = _values(out["parcels"], "parcel_code")
    out["buildings"] = read("buildings", any_of=[("parcel_code", parcel_codes)])
    out["leases"] = read("leases", any_of=[("parcel_code", parcel_codes),
                                           ("building_code", _values(out["buildings"], "building_code"))])
    out["land_rights"] = read("land_rights", any_of=[("parcel_code", parcel_codes)])
    provinces = zone_provinces(out["zones"])
    firms = set(_values(out["parcels"], "holder_uscc")) | set(_values(out["land_rights"], "holder_uscc")) \
        | set(_values(out["leases"], "uscc")) | set(unlinked_firms(provinces) if provinces else [])
    for name in FIRM_LAYERS:
        if name not in skip:
            out[name] = read(name, any_of=[("uscc", sorted(firms))])
    pilots = set(_values(out["zones"], "pilot_area_code")) | set(_values(out.get("pilot_area_zones", pd.DataFrame()),
                                                                           "pilot_area_code"))
    own = {PROVINCE} | {province_code(p) for p in provinces}  # a national store's rows: PROVINCE-36 …
    out["pilot_area_years"] = read("pilot_area_years", any_of=[("pilot_area_code", sorted(pilots | own)),
                                                               ("pilot_area_code", provinces, 1, 2)])
    return {layer.name: out[layer.name] if layer.name in out else read(layer.name) for layer in INPUT_LAYERS
            if layer.name not in skip}
