"""The GeoPackage workspace: one file, no server, opens in QGIS.

Every layer of the contract is a GeoPackage layer (spatial layers as MultiPolygon in EPSG:4490,
tables as attribute tables) with a unique index on its natural key. Writes go to a copy of the
file which then replaces the original with ``os.replace``: an import or an evaluation either
lands whole or not at all, and a crash leaves the previous file intact.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import struct
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyogrio
import shapely

from landuse.core.contract import ALL_LAYERS, LAYERS
from landuse.core.errors import StoreError

from parcels.schema import coerce
from parcels.layer_styles import GPKG_OPTIONS, has_styles, style_geopackage
from parcels.store.base import EXTENT_COLUMNS, LayerChange, Store, empty_layer, plan_upsert

_SAFE = re.compile(r"^[A-Za-z0-9_.\-]+$")

SYSTEM_DDL = {
    "users": """CREATE TABLE IF NOT EXISTS users (username TEXT PRIMARY KEY, role TEXT NOT NULL
        CHECK (role IN ('admin','evaluator','manager','viewer')), zones TEXT, password_hash TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 1, created_at TEXT NOT NULL)""",
    "sessions": """CREATE TABLE IF NOT EXISTS sessions (token_hash TEXT PRIMARY KEY, username TEXT NOT NULL,
        csrf TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL)""",
    "audit_log": """CREATE TABLE IF NOT EXISTS audit_log (id INTEGER PRIMARY KEY AUTOINCREMENT, ts TEXT NOT NULL,
        username TEXT, action TEXT NOT NULL, detail TEXT, ip TEXT)""",
    "policies": """CREATE TABLE IF NOT EXISTS policies (policy_hash TEXT PRIMARY KEY, version TEXT NOT NULL,
        body TEXT NOT NULL, stored_at TEXT NOT NULL)""",
}
AUDIT_GUARD = [
    "CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
]


def _literal(v: Any) -> str:
    """A value as an SQL literal for an OGR ``where`` clause (numbers as numbers, text quoted)."""
    if isinstance(v, bool):
        return str(int(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    return _quote_list([str(v)])


def _quote_list(values: list[str]) -> str:
    """SQL string literals for an OGR ``where`` clause (pyogrio binds no parameters): quotes doubled,
    so any code, however odd, is compared as a value and never read as SQL."""
    out = []
    for v in values:
        v = str(v)
        if "\x00" in v:
            raise StoreError(f"invalid code {v!r}")
        out.append("'" + v.replace("'", "''") + "'")
    return ",".join(out)


class GeoPackageStore(Store):
    kind = "gpkg"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.url = str(self.path)

    # --- schema -------------------------------------------------------------------------------
    def init(self) -> None:
        if self.path.exists() and self._complete():
            self._system_tables(self.path)
            if not has_styles(self.path):
                style_geopackage(self.path)
            return
        self._write_atomically(lambda tmp: self._create_missing(tmp))

    def _complete(self) -> bool:
        try:
            have = {str(n) for n, _ in pyogrio.list_layers(self.path)}
        except Exception:  # noqa: BLE001 - not a GeoPackage
            raise StoreError(f"{self.path}: 不是有效的 GeoPackage / not a valid GeoPackage") from None
        return all(layer.name in have for layer in ALL_LAYERS) and not _missing_columns(self.path)

    def _create_missing(self, target: Path) -> None:
        have: set[str] = set()
        if target.exists() and target.stat().st_size > 0:
            have = {str(n) for n, _ in pyogrio.list_layers(target)}
        for layer in ALL_LAYERS:
            if layer.name in have:
                continue
            df = empty_layer(layer)
            kw: dict[str, Any] = {"geometry_type": "MultiPolygon"} if layer.geometry else {}
            # GeoPackage 1.3: QGIS 3.22 warns on every layer of a 1.4 file (newer GDAL's default)
            pyogrio.write_dataframe(df, target, layer=layer.name, driver="GPKG", dataset_options=GPKG_OPTIONS, **kw)
            self._unique_index(target, layer.name)
        _add_missing_columns(target)
        self._system_tables(target)
        if len(have) < len(ALL_LAYERS) or not has_styles(target):
            style_geopackage(target)  # default QGIS styles and Chinese column names

    @staticmethod
    def _unique_index(target: Path, name: str) -> None:
        layer = LAYERS[name]
        cols = ", ".join(f'"{c}"' for c in layer.key)
        with contextlib.closing(sqlite3.connect(target)) as con, con:
            con.execute(f'CREATE UNIQUE INDEX IF NOT EXISTS "ux_{name}_key" ON "{name}" ({cols})')
            if layer.year_column:
                con.execute(f'CREATE INDEX IF NOT EXISTS "ix_{name}_year" ON "{name}" ("{layer.year_column}")')

    @staticmethod
    def _system_tables(target: Path) -> None:
        with contextlib.closing(sqlite3.connect(target)) as con, con:
            for ddl in SYSTEM_DDL.values():
                con.execute(ddl)
            for trg in AUDIT_GUARD:
                con.execute(trg)

    def _write_atomically(self, work) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmpname = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp.gpkg", dir=self.path.parent)
        os.close(fd)
        tmp = Path(tmpname)
        try:
            if self.path.exists():
                shutil.copyfile(self.path, tmp)
            else:
                tmp.unlink()
            self._create_missing(tmp)
            work(tmp)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise

    # --- reading ------------------------------------------------------------------------------
    def _read_raw(self, name: str, *, year: int | None, zones: list[str] | None,
                  columns: list[str] | None = None, where: dict[str, Any] | None = None,
                  geometry: bool = True) -> pd.DataFrame:
        layer = LAYERS[name]
        if not self.path.exists():
            return empty_layer(layer)
        clauses = []
        if year is not None and layer.year_column:
            clauses.append(f'"{layer.year_column}" = {int(year)}')
        if zones is not None and "zone_code" in layer.names:
            if not zones:
                return empty_layer(layer)
            clauses.append(f'"zone_code" IN ({_quote_list(zones)})')
        for k, v in (where or {}).items():
            clauses.append(f'"{k}" = {_literal(v)}')
        try:
            df = pyogrio.read_dataframe(self.path, layer=name, where=" AND ".join(clauses) or None, fid_as_index=False,
                                        columns=columns, read_geometry=geometry)
        except pyogrio.errors.DataLayerError:
            return empty_layer(layer)
        return df

    def zone_extents(self, zones: list[str] | None) -> pd.DataFrame:
        z = self.read("zones", zones=zones, columns=list(EXTENT_COLUMNS))
        b = z.geometry.bounds if len(z) else pd.DataFrame(columns=["minx", "miny", "maxx", "maxy"])
        df = pd.DataFrame({c: z[c] for c in EXTENT_COLUMNS})
        df["x0"], df["y0"], df["x1"], df["y1"] = b["minx"].values, b["miny"].values, b["maxx"].values, b["maxy"].values
        return df.sort_values("zone_code").reset_index(drop=True)

    def search_parcels(self, q: str, *, year: int | None, zones: list[str] | None, limit: int = 20) -> pd.DataFrame:
        geo = self.read("parcels", zones=zones, columns=["parcel_code", "zone_code"])
        if year is not None:
            pr = self.read("parcel_results", year=year, zones=zones, columns=["parcel_code", "holder_name", "stage"],
                           geometry=False)
            geo = geo.merge(pr, on="parcel_code", how="left")
        ql = q.lower()
        hit = geo["parcel_code"].str.lower().str.contains(ql, regex=False)
        if "holder_name" in geo.columns:
            hit |= geo["holder_name"].fillna("").str.lower().str.contains(ql, regex=False)
        df = geo[hit.fillna(False).to_numpy(dtype=bool)].sort_values("parcel_code").head(limit)
        pts = df.geometry.representative_point()
        out = pd.DataFrame(df.drop(columns="geometry"))
        out["lon"], out["lat"] = pts.x.values, pts.y.values
        return out.reset_index(drop=True)

    def counts(self) -> dict[str, int]:
        out = {}
        for layer in ALL_LAYERS:
            try:
                out[layer.name] = int(pyogrio.read_info(self.path, layer=layer.name)["features"])
            except Exception:  # noqa: BLE001
                out[layer.name] = 0
        return out

    # --- writing ------------------------------------------------------------------------------
    def apply_import(self, frames: dict[str, pd.DataFrame], present: dict[str, set[str]],
                     existing: dict[str, pd.DataFrame] | None = None) -> list[LayerChange]:
        changes: list[LayerChange] = []
        plans: list[tuple[str, pd.DataFrame]] = []
        known = existing or {}
        for name, frame in frames.items():
            layer = LAYERS[name]
            if name in known:
                existing_layer = known[name]
            else:
                existing_layer = self.read(name) if self.path.exists() else empty_layer(layer)
            _write, merged, change = plan_upsert(layer, existing_layer, frame, present.get(name, set(frame.columns)))
            changes.append(change)
            if change.inserted or change.updated:
                plans.append((name, merged))
        if plans:
            def work(tmp: Path) -> None:
                for name, merged in plans:
                    layer = LAYERS[name]
                    kw: dict[str, Any] = {"geometry_type": "MultiPolygon"} if layer.geometry else {}
                    out = merged if layer.geometry else pd.DataFrame(merged.drop(columns=["geometry"], errors="ignore"))
                    pyogrio.write_dataframe(out, tmp, layer=name, driver="GPKG", **kw)
                    self._unique_index(tmp, name)
            self._write_atomically(work)
        return changes

    def replace_results(self, frames: dict[str, pd.DataFrame], *, year: int) -> None:
        """Delete the year's rows and insert the new ones in one SQLite transaction (no file copy:
        the results of six years of a province are hundreds of MB). The GeoPackage geometry blobs
        and the R-tree index are written as the GeoPackage standard prescribes (see ``_replace_year``)."""
        if not self.path.exists() or not self._complete():
            self.init()
        con = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        try:
            _register_gpkg_functions(con)
            con.execute("BEGIN IMMEDIATE")
            for name, frame in frames.items():
                _replace_year(con, LAYERS[name], coerce(frame, LAYERS[name]), int(year))
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        finally:
            con.close()

    # --- system tables ------------------------------------------------------------------------
    def _con(self) -> sqlite3.Connection:
        if not self.path.exists():
            self.init()
        con = sqlite3.connect(self.path, timeout=30)
        con.row_factory = sqlite3.Row
        return con

    @staticmethod
    def _where(where: dict[str, Any] | None) -> tuple[str, list[Any]]:
        if not where:
            return "", []
        for k in where:
            if not _SAFE.match(k):
                raise StoreError(f"bad column {k!r}")
        return " WHERE " + " AND ".join(f'"{k}" = ?' for k in where), list(where.values())

    def sys_query(self, table: str, where: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        assert table in SYSTEM_DDL
        w, args = self._where(where)
        order = " ORDER BY id" if table == "audit_log" else ""
        with contextlib.closing(self._con()) as con:
            self._system_tables(self.path)
            return [dict(r) for r in con.execute(f'SELECT * FROM "{table}"{w}{order}', args).fetchall()]

    def sys_insert(self, table: str, row: dict[str, Any]) -> None:
        assert table in SYSTEM_DDL
        for k in row:
            if not _SAFE.match(k):
                raise StoreError(f"bad column {k!r}")
        cols = ", ".join(f'"{k}"' for k in row)
        marks = ", ".join("?" for _ in row)
        with contextlib.closing(self._con()) as con, con:
            con.execute(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})', [_sql_value(v) for v in row.values()])

    def sys_update(self, table: str, where: dict[str, Any], values: dict[str, Any]) -> int:
        assert table in SYSTEM_DDL and table != "audit_log"
        for k in values:
            if not _SAFE.match(k):
                raise StoreError(f"bad column {k!r}")
        w, args = self._where(where)
        sets = ", ".join(f'"{k}" = ?' for k in values)
        with contextlib.closing(self._con()) as con, con:
            return con.execute(f'UPDATE "{table}" SET {sets}{w}', [_sql_value(v) for v in values.values()] + args).rowcount

    def sys_delete(self, table: str, where: dict[str, Any]) -> int:
        assert table in SYSTEM_DDL and table != "audit_log"
        w, args = self._where(where)
        with contextlib.closing(self._con()) as con, con:
            return con.execute(f'DELETE FROM "{table}"{w}', args).rowcount


# ------------------------------------------------------------------------------------------------
# GeoPackage rows written with sqlite3 (OGC GeoPackage 1.3, §2.1.3 geometry encoding, §3.1 R-tree)
# ------------------------------------------------------------------------------------------------

_GP_FLAGS = 0b0000_0011  # little-endian, envelope [minx, maxx, miny, maxy]
_GP_EMPTY = 0b0001_0001  # little-endian, no envelope, empty geometry
_HEAD = struct.Struct("<2sBBi4d")
_HEAD_EMPTY = struct.Struct("<2sBBi")


_SQL_TYPES = {"str": "TEXT", "float": "REAL", "int": "INTEGER", "bool": "BOOLEAN", "date": "DATE"}


def _missing_columns(target: Path) -> dict[str, list[str]]:
    """Contract columns the file's layers lack (columns added to the contract after the file was made)."""
    out: dict[str, list[str]] = {}
    with contextlib.closing(sqlite3.connect(target)) as con:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for layer in ALL_LAYERS:
            if layer.name not in tables:
                continue
            have = {r[1] for r in con.execute(f'PRAGMA table_info("{layer.name}")')}
            miss = [c for c in layer.names if c not in have]
            if miss:
                out[layer.name] = miss
    return out


def _add_missing_columns(target: Path) -> None:
    """Add them (nullable: every column added after the first release is optional)."""
    missing = _missing_columns(target)
    if not missing:
        return
    with contextlib.closing(sqlite3.connect(target)) as con, con:
        for name, cols in missing.items():
            for c in cols:
                kind = LAYERS[name].col(c).kind
                con.execute(f'ALTER TABLE "{name}" ADD COLUMN "{c}" {_SQL_TYPES[kind]}')


def _gpkg_blobs(geoms: np.ndarray, srid: int = 4490) -> list[bytes | None]:
    """GeoPackage geometry blobs: 'GP', version 0, flags, srs_id, envelope, then ISO WKB."""
    out: list[bytes | None] = [None] * len(geoms)
    ok = np.array([g is not None for g in geoms], dtype=bool)
    if not ok.any():
        return out
    g = geoms[ok].astype(object)
    wkb = shapely.to_wkb(g, byte_order=1, flavor="iso")
    b = shapely.bounds(g)
    empty = shapely.is_empty(g)
    for j, i in enumerate(np.flatnonzero(ok)):
        if empty[j]:
            out[i] = _HEAD_EMPTY.pack(b"GP", 0, _GP_EMPTY, srid) + wkb[j]
        else:
            out[i] = _HEAD.pack(b"GP", 0, _GP_FLAGS, srid, b[j, 0], b[j, 2], b[j, 1], b[j, 3]) + wkb[j]
    return out


def _envelope(blob: bytes | None) -> tuple[float, float, float, float] | None:
    if blob is None or len(blob) < 8 or blob[:2] != b"GP":
        return None
    flags = blob[3]
    if (flags >> 1) & 0b111 == 0:
        return None
    return struct.unpack_from("<4d" if flags & 1 else ">4d", blob, 8)


def _register_gpkg_functions(con: sqlite3.Connection) -> None:
    """The SQL functions the GeoPackage R-tree triggers call (GDAL provides them; sqlite3 does not)."""
    con.create_function("ST_IsEmpty", 1, lambda b: None if b is None else int(bool(b[3] & 0b1_0000)), deterministic=True)
    for i, fn in enumerate(("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY")):
        con.create_function(fn, 1, lambda b, i=i: (e[i] if (e := _envelope(b)) else None), deterministic=True)


def _cell(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float):
        return None if np.isnan(v) else v
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, (np.bool_, bool)):
        return int(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return None if np.isnan(v) else float(v)
    return v


def _column_values(s: pd.Series) -> list:
    """A column as Python values for sqlite3 (None for missing), vectorised by dtype."""
    missing = s.isna().to_numpy()
    dt = str(s.dtype)
    if dt in ("boolean", "Int64", "bool") or pd.api.types.is_integer_dtype(s):
        vals = s.astype("float64").fillna(0).to_numpy().astype("int64").astype(object)
    elif pd.api.types.is_float_dtype(s):
        vals = s.to_numpy(dtype="float64").astype(object)
    else:
        return [_cell(v) for v in s.astype(object).tolist()]
    vals[missing] = None
    return vals.tolist()


def _replace_year(con: sqlite3.Connection, layer, df: pd.DataFrame, year: int) -> None:
    """Inside the caller's transaction: delete ``year``'s rows of a layer and insert ``df``.

    The per-row GeoPackage triggers (R-tree maintenance, feature count) are dropped for the bulk
    change and re-created from their own SQL before the transaction ends; the R-tree rows and the
    feature count are written in bulk instead. SQLite DDL is transactional, so a failure rolls the
    triggers back with everything else."""
    name = layer.name
    triggers = con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
                           (name,)).fetchall()
    rtree = f"rtree_{name}_geom"
    has_rtree = bool(con.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (rtree,)).fetchone())
    for tname, _sql in triggers:
        con.execute(f'DROP TRIGGER "{tname}"')
    if has_rtree:
        con.execute(f'DELETE FROM "{rtree}" WHERE id IN (SELECT fid FROM "{name}" WHERE "{layer.year_column}" = ?)',
                    (year,))
    con.execute(f'DELETE FROM "{name}" WHERE "{layer.year_column}" = ?', (year,))
    if len(df):
        start = con.execute(f'SELECT COALESCE(MAX(fid), 0) FROM "{name}"').fetchone()[0]
        _insert_rows(con, layer, df)
        if has_rtree and "geometry" in df.columns:
            fids = [r[0] for r in con.execute(f'SELECT fid FROM "{name}" WHERE fid > ? ORDER BY fid', (start,))]
            g = np.asarray(df["geometry"].values, dtype=object)
            ok = np.array([x is not None for x in g], dtype=bool)
            if ok.any():
                ok[ok] = ~shapely.is_empty(g[ok].astype(object))
            if ok.any():
                b = shapely.bounds(g[ok].astype(object))
                ids = np.asarray(fids, dtype="int64")[ok]
                con.executemany(f'INSERT INTO "{rtree}" VALUES (?, ?, ?, ?, ?)',
                                zip(ids.tolist(), b[:, 0].tolist(), b[:, 2].tolist(), b[:, 1].tolist(), b[:, 3].tolist()))
    for _tname, sql in triggers:
        con.execute(sql)
    if con.execute("SELECT 1 FROM sqlite_master WHERE name = 'gpkg_ogr_contents'").fetchone():
        con.execute(f'UPDATE gpkg_ogr_contents SET feature_count = (SELECT count(*) FROM "{name}") '
                    "WHERE lower(table_name) = lower(?)", (name,))
    con.execute("UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE table_name = ?",
                (name,))


def _insert_rows(con: sqlite3.Connection, layer, df: pd.DataFrame) -> None:
    cols = list(layer.names)
    types = {r[1]: str(r[2]).upper() for r in con.execute(f'PRAGMA table_info("{layer.name}")')}
    values = []
    for c in cols:
        s = df[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            # match the column's declared GeoPackage type (DATE 'YYYY-MM-DD', DATETIME ISO 8601)
            fmt = "%Y-%m-%dT%H:%M:%S" if types.get(c) == "DATETIME" else "%Y-%m-%d"
            values.append([None if pd.isna(v) else v for v in s.dt.strftime(fmt).astype(object).tolist()])
        else:
            values.append(_column_values(s))
    names = [f'"{c}"' for c in cols]
    if layer.geometry:
        geom = df["geometry"] if "geometry" in df.columns else pd.Series([None] * len(df), index=df.index)
        values.append(_gpkg_blobs(np.asarray(geom.values, dtype=object)))
        names.append('"geom"')
    sql = f'INSERT INTO "{layer.name}" ({", ".join(names)}) VALUES ({", ".join("?" for _ in names)})'
    con.executemany(sql, zip(*values, strict=True))


def _sql_value(v: Any) -> Any:
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if isinstance(v, bool):
        return int(v)
    return v
