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
import tempfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from landuse.columns import ALL_LAYERS, LAYERS
from landuse.errors import StoreError

from parcels.schema import coerce
from parcels.store.base import LayerChange, Store, empty_layer, plan_upsert

_SAFE = re.compile(r"^[A-Za-z0-9_.\-]+$")

SYSTEM_DDL = {
    "users": """CREATE TABLE IF NOT EXISTS users (username TEXT PRIMARY KEY, role TEXT NOT NULL
        CHECK (role IN ('admin','evaluator','manager','viewer')), zones TEXT, password_hash TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 1, created_at TEXT NOT NULL)""",
    "sessions": """CREATE TABLE IF NOT EXISTS sessions (token_hash TEXT PRIMARY KEY, username TEXT NOT NULL,
        csrf TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL)""",
    "audit_log": """CREATE TABLE IF NOT EXISTS audit_log (id INTEGER PRIMARY KEY AUTOINCREMENT, ts TEXT NOT NULL,
        username TEXT, action TEXT NOT NULL, detail TEXT, ip TEXT)""",
}
AUDIT_GUARD = [
    "CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
]


def _quote_list(values: list[str]) -> str:
    for v in values:
        if not _SAFE.match(v):
            raise StoreError(f"invalid code {v!r}")
    return ",".join("'" + v + "'" for v in values)


class GeoPackageStore(Store):
    kind = "gpkg"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.url = str(self.path)

    # --- schema -------------------------------------------------------------------------------
    def init(self) -> None:
        if self.path.exists() and self._complete():
            self._system_tables(self.path)
            return
        self._write_atomically(lambda tmp: self._create_missing(tmp))

    def _complete(self) -> bool:
        try:
            have = {str(n) for n, _ in pyogrio.list_layers(self.path)}
        except Exception:  # noqa: BLE001 - not a GeoPackage
            raise StoreError(f"{self.path}: 不是有效的 GeoPackage / not a valid GeoPackage") from None
        return all(layer.name in have for layer in ALL_LAYERS)

    def _create_missing(self, target: Path) -> None:
        have: set[str] = set()
        if target.exists() and target.stat().st_size > 0:
            have = {str(n) for n, _ in pyogrio.list_layers(target)}
        for layer in ALL_LAYERS:
            if layer.name in have:
                continue
            df = empty_layer(layer)
            kw: dict[str, Any] = {"geometry_type": "MultiPolygon"} if layer.geometry else {}
            pyogrio.write_dataframe(df, target, layer=layer.name, driver="GPKG", **kw)
            self._unique_index(target, layer.name)
        self._system_tables(target)

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
    def _read_raw(self, name: str, *, year: int | None, zones: list[str] | None) -> pd.DataFrame:
        layer = LAYERS[name]
        if not self.path.exists():
            return empty_layer(layer)
        where = []
        if year is not None and layer.year_column:
            where.append(f'"{layer.year_column}" = {int(year)}')
        if zones is not None and "zone_code" in layer.names:
            if not zones:
                return empty_layer(layer)
            where.append(f'"zone_code" IN ({_quote_list(zones)})')
        try:
            df = pyogrio.read_dataframe(self.path, layer=name, where=" AND ".join(where) or None, fid_as_index=False)
        except pyogrio.errors.DataLayerError:
            return empty_layer(layer)
        return df

    def counts(self) -> dict[str, int]:
        out = {}
        for layer in ALL_LAYERS:
            try:
                out[layer.name] = int(pyogrio.read_info(self.path, layer=layer.name)["features"])
            except Exception:  # noqa: BLE001
                out[layer.name] = 0
        return out

    # --- writing ------------------------------------------------------------------------------
    def apply_import(self, frames: dict[str, pd.DataFrame], present: dict[str, set[str]]) -> list[LayerChange]:
        changes: list[LayerChange] = []
        plans: list[tuple[str, pd.DataFrame]] = []
        for name, frame in frames.items():
            layer = LAYERS[name]
            existing = self.read(name) if self.path.exists() else empty_layer(layer)
            _write, merged, change = plan_upsert(layer, existing, frame, present.get(name, set(frame.columns)))
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
        def work(tmp: Path) -> None:
            for name, frame in frames.items():
                layer = LAYERS[name]
                with contextlib.closing(sqlite3.connect(tmp)) as con, con:
                    con.execute(f'DELETE FROM "{name}" WHERE "{layer.year_column}" = ?', (int(year),))
                if len(frame) == 0:
                    continue
                df = coerce(frame, layer)
                for c in layer.names:
                    if c not in df.columns:
                        df[c] = None
                cols = layer.names + (["geometry"] if layer.geometry and "geometry" in df.columns else [])
                df = df[cols]
                if layer.geometry:
                    if "geometry" not in df.columns:
                        df = gpd.GeoDataFrame(df, geometry=gpd.GeoSeries([None] * len(df), index=df.index), crs=4490)
                    else:
                        df = gpd.GeoDataFrame(df, geometry="geometry", crs=4490)
                    pyogrio.write_dataframe(df, tmp, layer=name, driver="GPKG", append=True, geometry_type="MultiPolygon")
                else:
                    pyogrio.write_dataframe(pd.DataFrame(df), tmp, layer=name, driver="GPKG", append=True)
        self._write_atomically(work)

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


def _sql_value(v: Any) -> Any:
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if isinstance(v, bool):
        return int(v)
    return v
