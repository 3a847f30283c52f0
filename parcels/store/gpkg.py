"""The GeoPackage workspace: one file, no server, opens in QGIS.

Every layer of the contract is a GeoPackage layer (spatial layers as MultiPolygon in EPSG:4490,
tables as attribute tables) with a unique index on its natural key.

Writes happen inside the file, under SQLite's own transactions and locks (never a copy of the file
renamed over it, which loses whatever another process wrote meanwhile):

- an import or an evaluation is one ``BEGIN IMMEDIATE`` transaction: it takes the file's write lock
  at its start, so writers run one after the other; a writer that finds the lock taken says so and
  waits (``LANDUSE_LOCK_TIMEOUT`` seconds, default 600), naming the process that holds it, then
  refuses with :class:`~landuse.core.errors.StoreBusy`;
- a crash or ``kill -9`` leaves SQLite's rollback journal, which the next connection plays back:
  the file is as it was before the write; no copy of the file is ever made, and the file keeps its
  permissions;
- rows, GeoPackage geometry blobs, the R-tree spatial index and the feature counts
  (``gpkg_ogr_contents``) are written as the GeoPackage standard prescribes, so GDAL and QGIS read
  the file as before.

Reads go through SQLite too (GDAL opens files read-only without locks), and
:meth:`GeoPackageStore.read_inputs_snapshot` reads every input layer inside one read transaction.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import logging
import os
import re
import socket
import sqlite3
import struct
import threading
import time
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyogrio
import shapely

from landuse.core.contract import ALL_LAYERS, BOOL, DATE, FLOAT, GEOMETRY_FROM, INPUT_LAYERS, INT, LAYERS, STR, Layer
from landuse.core.errors import StoreBusy, StoreError, StoreUnavailable

from parcels.schema import coerce
from parcels.layer_styles import GPKG_OPTIONS, has_styles, style_geopackage
from parcels.store.base import (
    DIGESTS_ALL,
    DIGESTS_VALID,
    EXTENT_COLUMNS,
    RESULTS_DIGESTS_DDL,
    TILED_LAYERS,
    AnyOf,
    Digest,
    LayerChange,
    RowCountMismatch,
    Store,
    SysOp,
    digest_updates,
    empty_layer,
    geometry_layers,
    import_scope,
    inputs_hash_of,
    layer_hash,
    now_utc,
    plan_upsert,
    scoped_delete,
    state_after,
    unchanged_layers,
    unread,
)

log = logging.getLogger("landuse.store")

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
    "inputs_state": """CREATE TABLE IF NOT EXISTS inputs_state (layer TEXT PRIMARY KEY, layer_hash TEXT NOT NULL,
        changed_at TEXT NOT NULL)""",
    "login_throttle": """CREATE TABLE IF NOT EXISTS login_throttle (key TEXT PRIMARY KEY, failures INTEGER NOT NULL,
        window_start TEXT NOT NULL, locked_until TEXT, lockouts INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL)""",
    "result_versions": """CREATE TABLE IF NOT EXISTS result_versions (version_id TEXT PRIMARY KEY, year INTEGER NOT NULL,
        seq INTEGER NOT NULL, inputs_hash TEXT, policy_hash TEXT, created_by TEXT, created_at TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('draft','published','superseded')), note TEXT, origin TEXT,
        corrections TEXT, published_by TEXT, published_at TEXT, publish_note TEXT, window_closes TEXT,
        superseded_at TEXT, superseded_reason TEXT)""",
    "result_version_layers": """CREATE TABLE IF NOT EXISTS result_version_layers (version_id TEXT NOT NULL,
        layer TEXT NOT NULL, n_rows INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (version_id, layer))""",
    "objections": """CREATE TABLE IF NOT EXISTS objections (objection_id TEXT PRIMARY KEY, year INTEGER NOT NULL,
        version_id TEXT NOT NULL, zone_code TEXT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('grade','flag')),
        uscc TEXT, parcel_code TEXT, rule TEXT, current_value TEXT, requested_value TEXT, reason TEXT NOT NULL,
        evidence TEXT, filed_by TEXT NOT NULL, filed_at TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('open','accepted','rejected')), decided_by TEXT, decided_at TEXT,
        decision_reason TEXT)""",
    "result_overrides": """CREATE TABLE IF NOT EXISTS result_overrides (override_id TEXT PRIMARY KEY, year INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('grade','flag')), zone_code TEXT, uscc TEXT, parcel_code TEXT, rule TEXT,
        value TEXT, reason TEXT NOT NULL, objection_id TEXT, created_by TEXT, created_at TEXT NOT NULL)""",
    # the disposal ledger (landuse/services/ledger.py); dates as ISO text, rule '' when none
    "disposals": """CREATE TABLE IF NOT EXISTS disposals (id INTEGER PRIMARY KEY AUTOINCREMENT,
        parcel_code TEXT NOT NULL, rule TEXT NOT NULL DEFAULT '', zone_code TEXT, method TEXT NOT NULL,
        responsible TEXT, opened TEXT NOT NULL, deadline TEXT, status TEXT NOT NULL
        CHECK (status IN ('待处置','处置中','已完成','已核销')), closed TEXT, planned_mu REAL CHECK (planned_mu >= 0),
        disposed_mu REAL CHECK (disposed_mu >= 0), fee_collected_wan REAL CHECK (fee_collected_wan >= 0), note TEXT,
        reason TEXT, revision INTEGER NOT NULL DEFAULT 1, updated_at TEXT, updated_by TEXT,
        UNIQUE (parcel_code, rule))""",
    "disposal_notes": """CREATE TABLE IF NOT EXISTS disposal_notes (id INTEGER PRIMARY KEY AUTOINCREMENT,
        parcel_code TEXT NOT NULL, rule TEXT NOT NULL DEFAULT '', noted TEXT NOT NULL, author TEXT,
        text TEXT NOT NULL, ts TEXT NOT NULL)""",
    # the results generation (Store.results_generation): one row, bumped by every replace_results
    "results_state": """CREATE TABLE IF NOT EXISTS results_state (name TEXT PRIMARY KEY, generation INTEGER NOT NULL,
        changed_at TEXT NOT NULL)""",
    # what each results layer holds (parcels.store.base.RESULTS_DIGESTS_DDL)
    "results_digests": RESULTS_DIGESTS_DDL.format(int8="INTEGER"),
}
AUDIT_GUARD = [
    "CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    # the rows of a result version never change (a published version is immutable)
    "CREATE TRIGGER IF NOT EXISTS version_rows_no_update BEFORE UPDATE ON result_version_layers "
    "BEGIN SELECT RAISE(ABORT, 'result versions are immutable'); END",
    "CREATE TRIGGER IF NOT EXISTS version_rows_no_delete BEFORE DELETE ON result_version_layers "
    "BEGIN SELECT RAISE(ABORT, 'result versions are immutable'); END",
]
TILES_DDL = """CREATE TABLE IF NOT EXISTS result_tiles (year INTEGER NOT NULL, variant TEXT NOT NULL, z INTEGER NOT NULL,
    x INTEGER NOT NULL, y INTEGER NOT NULL, zones TEXT, data BLOB NOT NULL, PRIMARY KEY (year, variant, z, x, y))"""
BUMP_RESULTS = ("INSERT INTO results_state (name, generation, changed_at) VALUES ('results', 1, "
                "strftime('%Y-%m-%dT%H:%M:%fZ','now')) ON CONFLICT (name) DO UPDATE SET "
                "generation = generation + 1, changed_at = excluded.changed_at")
#: earlier years' parts of an evaluation, kept between runs (landuse.services.carry), in a file
#: beside the GeoPackage (GeoPackageStore.carry_path)
CARRY_DDL = """CREATE TABLE IF NOT EXISTS evaluation_carry (key TEXT NOT NULL, scope TEXT NOT NULL, part TEXT NOT NULL,
    frame TEXT NOT NULL, sha256 TEXT NOT NULL, data BLOB NOT NULL, created_at TEXT NOT NULL,
    PRIMARY KEY (key, part, frame))"""
_GPKG_TYPES = {STR: "TEXT", FLOAT: "REAL", INT: "INTEGER", BOOL: "BOOLEAN", DATE: "DATE"}


def _results_triggers(name: str) -> list[str]:
    """Writes to a results layer that bypass the product (QGIS, SQL) bump the results generation, so
    the web service's summaries of it are computed again (``replace_results`` bumps it itself and
    drops these triggers for its bulk write)."""
    stamp = "strftime('%Y-%m-%dT%H:%M:%fZ','now')"
    return [f'CREATE TRIGGER IF NOT EXISTS "results_dirty_{name}_{op.lower()}" AFTER {op} ON "{name}" BEGIN '
            f"INSERT OR IGNORE INTO results_state (name, generation, changed_at) VALUES ('results', 0, {stamp}); "
            f"UPDATE results_state SET generation = generation + 1, changed_at = {stamp} WHERE name = 'results'; END"
            for op in ("INSERT", "UPDATE", "DELETE")]


def _dirty_triggers(name: str) -> list[str]:
    """Writes to an input layer that bypass ``landuse import`` (QGIS, SQL) forget its recorded state."""
    return [f'CREATE TRIGGER IF NOT EXISTS "inputs_dirty_{name}_{op.lower()}" AFTER {op} ON "{name}" '
            f"BEGIN DELETE FROM inputs_state WHERE layer = '{name}'; END" for op in ("INSERT", "UPDATE", "DELETE")]


def lock_timeout() -> float:
    """Seconds a writer waits for another writer (``LANDUSE_LOCK_TIMEOUT``, default 600)."""
    try:
        return max(0.0, float(os.environ.get("LANDUSE_LOCK_TIMEOUT", "600")))
    except ValueError:
        return 600.0


def _is_busy(exc: BaseException) -> bool:
    msg = str(exc).lower()
    return "locked" in msg or "busy" in msg


def _store_error(path: Path, exc: sqlite3.Error) -> StoreError:
    """A user-facing error for what SQLite reported."""
    msg = str(exc).lower()
    if "disk is full" in msg or "disk full" in msg:
        return StoreUnavailable(f"{path}: 磁盘已满，未写入任何数据 / the disk is full; nothing was written ({exc})")
    if "malformed" in msg or "not a database" in msg or "corrupt" in msg:
        return StoreUnavailable(f"{path}: GeoPackage 文件已损坏，无法读取；请用备份恢复 / the GeoPackage file is "
                                f"damaged and cannot be read; restore it from a backup ({exc})")
    if _is_busy(exc):
        return StoreBusy(f"{path}: 文件正被另一进程写入 / the file is locked by another writer ({exc})")
    if "readonly" in msg or "read-only" in msg or "unable to open" in msg:
        return StoreUnavailable(f"{path}: 无法写入该文件（权限或只读）/ cannot write the file (permissions or read-only) ({exc})")
    return StoreError(f"{path}: GeoPackage 读写失败 / GeoPackage error: {exc}")


class GeoPackageStore(Store):
    kind = "gpkg"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.url = str(self.path)
        self._writer_file = self.path.with_name(self.path.name + ".writer")
        self._ready = False  # schema checked complete by this object
        self._local = threading.local()  # one kept read connection per thread (see _reader)

    def _ensure(self) -> None:
        if not self._ready:
            self.init()

    # --- connections and the write lock ---------------------------------------------------------
    def _connect(self, *, write: bool = False) -> sqlite3.Connection:
        if not write and not self.path.exists():
            raise StoreError(f"{self.path}: 找不到 GeoPackage / no such GeoPackage")
        try:
            con = sqlite3.connect(self.path, timeout=lock_timeout(), isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise _store_error(self.path, exc) from exc
        if write:
            _register_gpkg_functions(con)
            # keep a whole import's changes in memory until COMMIT: the file is only locked against
            # readers for the commit itself, never half-way through (no cache spill)
            con.execute("PRAGMA cache_size = -524288")
        return con

    def _reader(self) -> sqlite3.Connection:
        """A read connection kept for this thread: opening one costs ~4 ms (SQLite parses the
        GeoPackage's schema), a query on it ~0.02 ms — what the web service's small reads (sessions,
        stored tiles, the years) need. Autocommit: every statement sees the last committed state.
        Opened again when the file at the path is another one (deleted and re-created)."""
        try:
            st = os.stat(self.path)
        except OSError as exc:
            raise StoreError(f"{self.path}: 找不到 GeoPackage / no such GeoPackage") from exc
        ident = (st.st_dev, st.st_ino)
        local = self._local
        con = getattr(local, "con", None)
        if con is None or local.ident != ident:
            if con is not None:
                con.close()
            try:
                con = sqlite3.connect(self.path, timeout=lock_timeout(), isolation_level=None, check_same_thread=False)
            except sqlite3.Error as exc:
                raise _store_error(self.path, exc) from exc
            local.con, local.ident = con, ident
        return con

    def _read_rows(self, sql: str, args: list[Any] | tuple = ()) -> list[dict[str, Any]]:
        """Rows of a small read on the kept connection, as dicts."""
        try:
            cur = self._reader().execute(sql, args)
            cols = [d[0] for d in cur.description]
            return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
        except sqlite3.Error as exc:
            raise _store_error(self.path, exc) from exc

    @contextlib.contextmanager
    def _reading(self):
        """One read transaction: every SELECT inside sees the same committed state."""
        con = self._connect()
        try:
            con.execute("BEGIN")
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the shared lock: the snapshot starts here
            yield con
            con.execute("COMMIT")
        except sqlite3.Error as exc:
            raise _store_error(self.path, exc) from exc
        finally:
            con.close()

    @contextlib.contextmanager
    def _writing(self, what: str):
        """One write transaction (BEGIN IMMEDIATE): wait for another writer with a message naming it,
        refuse after ``LANDUSE_LOCK_TIMEOUT`` seconds; roll back on any error."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = self._connect(write=True)
        try:
            self._begin_immediate(con)
            self._claim(what)
            try:
                yield con
                con.execute("COMMIT")
            except BaseException:
                if con.in_transaction:
                    con.execute("ROLLBACK")
                raise
            finally:
                self._release()
        except sqlite3.Error as exc:
            raise _store_error(self.path, exc) from exc
        finally:
            con.close()

    def _begin_immediate(self, con: sqlite3.Connection) -> None:
        timeout = lock_timeout()
        con.execute("PRAGMA busy_timeout = 50")
        try:
            con.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc):
                raise
            holder = self.lock_holder()
            log.warning("%s 正被另一进程写入（%s），等待其完成（最多 %.0f 秒）… / %s is being written by another "
                        "process (%s); waiting up to %.0f s for it to finish …", self.path, holder, timeout,
                        self.path, holder, timeout)
            con.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            t0 = time.monotonic()
            try:
                con.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc2:
                if not _is_busy(exc2):
                    raise
                holder = self.lock_holder()
                raise StoreBusy(f"{self.path}: 另一进程（{holder}）写入超过 {time.monotonic() - t0:.0f} 秒仍未结束，"
                                f"本次未做任何修改，请稍后再试 / another process ({holder}) has held the write lock for "
                                f"more than {time.monotonic() - t0:.0f} s; nothing was changed, try again later") from None
        # the COMMIT waits for readers to finish with the same patience
        con.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")

    def _claim(self, what: str) -> None:
        info = {"pid": os.getpid(), "host": socket.gethostname(), "what": what,
                "since": now_utc().isoformat()}
        with contextlib.suppress(OSError):
            self._writer_file.write_text(json.dumps(info, ensure_ascii=False))

    def _release(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            info = json.loads(self._writer_file.read_text())
            if info.get("pid") == os.getpid() and info.get("host") == socket.gethostname():
                self._writer_file.unlink()

    def lock_holder(self) -> str:
        """Who holds the write lock, as far as the holder said (process, host, what, since when)."""
        try:
            info = json.loads(self._writer_file.read_text())
        except (OSError, ValueError):
            return "未知进程 / unknown process"
        pid, host = info.get("pid"), info.get("host")
        if host == socket.gethostname() and isinstance(pid, int):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return "未知进程 / unknown process"
            except PermissionError:
                pass
        return f"{info.get('what', '?')}, pid {pid}@{host}, since {info.get('since', '?')}"

    # --- schema -------------------------------------------------------------------------------
    def init(self) -> None:
        """Create the file and every missing layer, column, index and system table (in place), and the
        default QGIS styles with Chinese column names."""
        try:
            missing_layers = self._missing_layers()
            if missing_layers:
                self._create_layers(missing_layers)
            restyle: list[str] = []
            if self._schema_todo():
                with self._writing("init") as con:
                    restyle = [x for n, v in GEOMETRY_FROM.items()
                               if _geometry_column(con, n) or not _geometry_column(con, v[2]) for x in (n, v[2])]
                    have = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                    self._migrate(con)
                # system tables new to this file: registered and named like the others (QGIS lists them)
                restyle += sorted(set(SYSTEM_DDL) - have) if not missing_layers else []
            if missing_layers or not has_styles(self.path):
                style_geopackage(self.path)  # default QGIS styles and Chinese column names
            elif restyle:
                style_geopackage(self.path, layers=restyle)
            self._ready = True
        except sqlite3.Error as exc:
            raise _store_error(self.path, exc) from exc

    def _missing_layers(self) -> list[Layer]:
        if not self.path.exists() or self.path.stat().st_size == 0:
            return list(ALL_LAYERS)
        try:
            with contextlib.closing(self._connect()) as con:
                have = {r[0] for r in con.execute("SELECT table_name FROM gpkg_contents")}
        except sqlite3.DatabaseError:
            raise StoreError(f"{self.path}: 不是有效的 GeoPackage / not a valid GeoPackage") from None
        return [layer for layer in ALL_LAYERS if layer.name not in have]

    def _create_layers(self, layers: list[Layer]) -> None:
        """New layers are made by GDAL (gpkg_contents, geometry columns, R-tree and triggers as GDAL
        writes them), inside the file, one layer at a time; the rest of the schema follows."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for layer in layers:
            df = empty_layer(layer)
            kw: dict[str, Any] = {"geometry_type": "MultiPolygon"} if layer.geometry else {}
            try:
                # GeoPackage 1.3: QGIS 3.22 warns on every layer of a 1.4 file (newer GDAL's default)
                pyogrio.write_dataframe(df, self.path, layer=layer.name, driver="GPKG", dataset_options=GPKG_OPTIONS, **kw)
            except Exception as exc:  # noqa: BLE001 - GDAL's errors, e.g. a concurrent init made it first
                if layer in self._missing_layers():
                    raise StoreError(f"{self.path}: 无法创建图层 {layer.name} / cannot create layer: {exc}") from exc

    def _schema_todo(self) -> bool:
        with contextlib.closing(self._connect()) as con:
            for name, (_src, _key, view) in GEOMETRY_FROM.items():
                if _geometry_column(con, name) or not _geometry_column(con, view):
                    return True
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'index', 'trigger')")}
            if not set(SYSTEM_DDL) <= tables or "audit_no_delete" not in tables or "version_rows_no_delete" not in tables:
                return True
            for layer in ALL_LAYERS:
                if f"ux_{layer.name}_key" not in tables:
                    return True
                if layer.year_column and "zone_code" in layer.names and (f"ix_{layer.name}_year_zone" not in tables
                                                                         or f"ix_{layer.name}_year" in tables):
                    return True
                if not layer.output and f"inputs_dirty_{layer.name}_delete" not in tables:
                    return True
                if layer.output and f"results_dirty_{layer.name}_delete" not in tables:
                    return True
                cols = {r[1] for r in con.execute(f'PRAGMA table_info("{layer.name}")')}
                if not set(layer.names) <= cols:
                    return True
        return False


    @staticmethod
    def _migrate(con: sqlite3.Connection) -> None:
        for ddl in SYSTEM_DDL.values():
            con.execute(ddl)
        for trg in AUDIT_GUARD:
            con.execute(trg)
        for layer in ALL_LAYERS:
            name = layer.name
            cols = {r[1] for r in con.execute(f'PRAGMA table_info("{name}")')}
            for c in layer.columns:  # columns the contract gained since the file was made (optional ones)
                if c.name not in cols:
                    con.execute(f'ALTER TABLE "{name}" ADD COLUMN "{c.name}" {_GPKG_TYPES.get(c.kind, "TEXT")}')
            keys = ", ".join(f'"{k}"' for k in layer.key)
            con.execute(f'CREATE UNIQUE INDEX IF NOT EXISTS "ux_{name}_key" ON "{name}" ({keys})')
            if layer.year_column and "zone_code" in layer.names:
                # one zone's rows of a year (the web service's reads); a year's rows use its prefix, so
                # no index on the year alone (each index is kept up on every row a year's results write)
                con.execute(f'CREATE INDEX IF NOT EXISTS "ix_{name}_year_zone" ON "{name}" '
                            f'("{layer.year_column}", "zone_code")')
                con.execute(f'DROP INDEX IF EXISTS "ix_{name}_year"')
            elif layer.year_column:
                con.execute(f'CREATE INDEX IF NOT EXISTS "ix_{name}_year" ON "{name}" ("{layer.year_column}")')
            for trg in (_results_triggers(name) if layer.output else _dirty_triggers(name)):
                con.execute(trg)
        for name in GEOMETRY_FROM:
            _geometry_by_reference(con, name)

    # --- reading ------------------------------------------------------------------------------
    def _read_raw(self, name: str, *, year: int | None, zones: list[str] | None,
                  columns: list[str] | None = None, where: dict[str, Any] | None = None,
                  geometry: bool = True) -> pd.DataFrame:
        layer = LAYERS[name]
        if not self.path.exists():
            return empty_layer(layer)
        try:  # one statement reads the rows: on the kept connection, the last committed state
            return _read_con(self._reader(), layer, year=year, zones=zones, columns=columns, where=where,
                             geometry=geometry)
        except sqlite3.Error as exc:
            raise _store_error(self.path, exc) from exc

    def read_inputs_snapshot(self, *, zones: list[str] | None = None, with_hash: bool = True,
                             geometry: Collection[str] | None = None,
                             aside: Callable[[Callable[[], Any]], Any] | None = None,
                             skip: Collection[str] = (),
                             ) -> tuple[dict[str, pd.DataFrame], str | None]:
        """Every input layer inside one read transaction: an import cannot land half-way through
        (its COMMIT waits for this read to finish). ``geometry``, ``aside``, ``skip``: as
        :meth:`Store.read_inputs_snapshot` (here some layers are read in a second transaction, in the
        other process, and taken only when both saw the same recorded states of every layer)."""
        if not self.path.exists():
            frames = {layer.name: empty_layer(layer) for layer in INPUT_LAYERS}
            return frames, (inputs_hash_of(frames) if with_hash else None)
        if aside is not None and zones is None and with_hash:
            got = self._snapshot_beside(aside, geometry, skip)
            if got is not None:
                return got
        with self._reading() as con:
            recorded = _recorded_states(con) if with_hash and zones is None else {}
            raw, geo = self._snapshot_rows(
                lambda name, zones=None, any_of=None, geometry=True: _read_con(
                    con, LAYERS[name], year=None, zones=zones, any_of=any_of, geometry=geometry),
                lambda prov: _unlinked_firms(con, prov), zones=zones, geometry=geometry, with_hash=with_hash,
                recorded=recorded, skip=skip)
        return self._snapshot_frames(raw, geo, with_hash=with_hash, recorded=recorded)

    def _snapshot_beside(self, aside: Callable[[Callable[[], Any]], Any], geometry: Collection[str] | None,
                         skip: Collection[str]) -> tuple[dict[str, pd.DataFrame], str | None] | None:
        """:meth:`read_inputs_snapshot` with the layers of :data:`READ_BESIDE` read (and shaped) by
        ``aside`` in a transaction of its own while this one reads the others; None (read them all
        here) when a layer has no recorded state, or when the two transactions saw different
        recorded states (an import landed between their starts). Every write to an input layer
        records its new state or deletes it (:func:`_dirty_triggers`), so equal complete states are
        equal layers: the frames are those of one snapshot."""
        with self._reading() as con:
            before = _recorded_states(con)
        if not _complete(before):
            return None
        geo = geometry_layers(geometry, recorded=before)  # every state recorded: only the polygons asked for
        left = unread(skip, recorded=before)  # (every state is recorded: all of skip)
        wanted = [layer.name for layer in INPUT_LAYERS if layer.name not in left]
        there = [n for n in wanted if n in READ_BESIDE]

        def beside() -> tuple[dict[str, str], dict[str, pd.DataFrame]]:
            with self._reading() as con:
                rec = _recorded_states(con)
                raw = {n: _read_con(con, LAYERS[n], year=None, zones=None, geometry=n in geo) for n in there}
            return rec, {n: self._shape(n, df, geometry=n in geo) for n, df in raw.items()}

        pending = aside(beside)
        try:
            with self._reading() as con:
                recorded = _recorded_states(con)
                raw = {n: _read_con(con, LAYERS[n], year=None, zones=None, geometry=n in geo)
                       for n in wanted if n not in READ_BESIDE}
            frames = {name: self._shape(name, df, geometry=name in geo) for name, df in raw.items()}
            del raw
            rec_beside, other = pending.result()
        finally:
            pending.close()
        if not _complete(recorded) or rec_beside != recorded:
            return None
        frames = {n: frames[n] if n in frames else other[n] for n in wanted}
        return frames, inputs_hash_of(frames, recorded=recorded)

    def _recompute_layer_state(self, name: str) -> str:
        layer = LAYERS[name]
        with self._writing(f"inputs_state {name}") as con:
            df = self._shape(name, _read_con(con, layer, year=None, zones=None))
            h = layer_hash(df, layer)
            _set_layer_state(con, name, h)
        return h

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
        out = {layer.name: 0 for layer in ALL_LAYERS}
        if not self.path.exists():
            return out
        with self._reading() as con:
            have = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            for layer in ALL_LAYERS:
                if layer.name in have:
                    out[layer.name] = int(con.execute(f'SELECT count(*) FROM "{layer.name}"').fetchone()[0])
        return out

    # --- writing ------------------------------------------------------------------------------
    def apply_import(self, frames: dict[str, pd.DataFrame], present: dict[str, set[str]],
                     existing: dict[str, pd.DataFrame] | None = None) -> list[LayerChange]:
        """One write transaction: the stored rows are re-read inside it (``existing``, read before
        the lock was taken, may be out of date), replaced rows are deleted by fid, new and replaced
        rows inserted, and each changed layer's state recorded in ``inputs_state``."""
        self._ensure()
        changes: list[LayerChange] = []
        with self._writing("import") as con:
            recorded = _recorded_states(con)
            for name, frame in frames.items():
                layer = LAYERS[name]
                # with the layer's state recorded, only the rows the package can match are read and
                # the state is updated (base.state_after); else the whole layer, hashed again
                prev = recorded.get(name)
                scope = import_scope(layer, frame) if prev is not None else None
                raw = _read_con(con, layer, year=None, zones=None, with_fid=True, any_of=scope)
                fids = raw.pop("fid").to_numpy() if "fid" in raw.columns else np.zeros(0, dtype="int64")
                stored = coerce(raw, layer)
                del raw
                write, merged, change = plan_upsert(layer, stored, frame, present.get(name, set(frame.columns)))
                changes.append(change)
                if not (change.inserted or change.updated):
                    continue
                state = (state_after(prev, stored[change.replaced], write, layer) if prev is not None
                         else layer_hash(merged, layer))
                drop = [int(f) for f in fids[change.replaced]] if change.updated else []
                del stored, merged
                _rewrite(con, layer, write, delete_fids=drop)  # ``write`` has the contract dtypes
                del write
                _set_layer_state(con, name, state)
        return changes

    def replace_results(self, frames: dict[str, pd.DataFrame], *, year: int, zones: list[str] | None = None,
                        digests: dict[str, Digest] | None = None) -> None:
        """Delete the year's rows and insert the new ones in one SQLite transaction (no file copy:
        the results of six years of a province are hundreds of MB). The GeoPackage geometry blobs
        and the R-tree index are written as the GeoPackage standard prescribes (see ``_rewrite``).
        A layer whose ``digests`` entry says the year's rows are already there is not written
        (one writer at a time: the digests read are those of the rows this transaction sees)."""
        self._ensure()
        y = int(year)
        digests = digests if zones is None else None
        with self._writing(f"evaluate {y}") as con:
            valid = {r[0]: r[1] for r in con.execute(DIGESTS_VALID, {"y": y})} if digests else {}
            same = unchanged_layers(frames, digests, valid)
            changed = [n for n in frames if n not in same]
            if not changed:
                return
            for name in changed:
                _replace_year(con, LAYERS[name], coerce(frames[name], LAYERS[name]), y, zones=zones)
            if TILED_LAYERS & set(changed) and _has_table(con, "result_tiles"):
                # the stored tiles showed the replaced rows: gone with them (rebuilt by build_tiles)
                con.execute("DELETE FROM result_tiles WHERE year = ?", (y,))
            g0 = _generation(con)
            con.execute(BUMP_RESULTS)
            for sql, params in digest_updates(frames, digests, year=y, g0=g0, g1=_generation(con) or 0):
                con.execute(sql, params)

    def result_digests(self, year: int) -> dict[str, Digest]:
        if not self.path.exists():
            return {}
        try:
            rows = self._reader().execute(DIGESTS_ALL, {"y": int(year)}).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return {}
            raise _store_error(self.path, exc) from exc
        return {r[0]: (r[1], r[2]) for r in rows}

    def session_user(self, token_hash: str) -> dict[str, Any] | None:
        self._ensure()
        rows = self._read_rows("SELECT s.token_hash, s.username, s.csrf, s.created_at, s.expires_at, u.role, u.zones, u.active FROM sessions s LEFT JOIN users u ON u.username = s.username WHERE s.token_hash = ?", (token_hash,))
        return rows[0] if rows else None

    def results_generation(self) -> int | None:
        if not self.path.exists():
            return 0
        try:
            row = self._reader().execute("SELECT generation FROM results_state WHERE name = 'results'").fetchone()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return 0
            raise _store_error(self.path, exc) from exc
        return int(row[0]) if row else 0

    # --- stored vector tiles ----------------------------------------------------------------------
    def put_tiles(self, year: int, rows: list[tuple]) -> None:
        self._ensure()
        with self._writing(f"tiles {int(year)}") as con:
            con.execute(TILES_DDL)
            con.execute("INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, last_change) "
                        "SELECT 'result_tiles', 'attributes', 'result_tiles', '矢量切片（由评价结果生成）/ vector tiles "
                        "of the results', strftime('%Y-%m-%dT%H:%M:%fZ','now')")
            con.execute("DELETE FROM result_tiles WHERE year = ?", (int(year),))
            con.executemany("INSERT INTO result_tiles (year, variant, z, x, y, zones, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
                            ((int(year), *r) for r in rows))

    def get_tile(self, year: int, variant: str, z: int, x: int, y: int) -> tuple[bytes, str] | None:
        if not self.path.exists():
            return None
        try:
            row = self._reader().execute("SELECT data, zones FROM result_tiles WHERE year = ? AND variant = ? AND z = ? "
                                         "AND x = ? AND y = ?", (int(year), variant, int(z), int(x), int(y))).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return None
            raise _store_error(self.path, exc) from exc
        return (bytes(row[0][0]), row[0][1] or "") if row else None

    def close(self) -> None:
        """Close this thread's kept read connection."""
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None

    def tile_years(self) -> list[int]:
        if not self.path.exists():
            return []
        rows = self._read_rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'result_tiles'")
        if not rows:
            return []
        return [int(r["year"]) for r in self._read_rows("SELECT DISTINCT year FROM result_tiles ORDER BY 1")]

    def has_tile_year(self, year: int) -> bool:
        if not self.path.exists():
            return False
        try:
            return bool(self._reader().execute("SELECT 1 FROM result_tiles WHERE year = ? LIMIT 1", (int(year),)).fetchall())
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return False
            raise _store_error(self.path, exc) from exc

    def result_years(self) -> list[int]:
        if not self.path.exists():
            return []
        if not self._read_rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'zone_results'"):
            return super().result_years()
        return [int(r["year"]) for r in self._read_rows('SELECT DISTINCT "year" FROM "zone_results" '
                                                         'WHERE "year" IS NOT NULL ORDER BY 1')]

    # --- earlier years' parts kept between evaluations --------------------------------------------
    @property
    def carry_path(self) -> Path:
        """A SQLite file beside the GeoPackage (``<name>.gpkg.carry``): the kept parts are a cache —
        deleting the file costs the next evaluation its earlier years again — and stay out of the
        GeoPackage, which GIS tools list table by table."""
        return self.path.with_name(self.path.name + ".carry")

    def get_carry(self, key: str, part: str) -> dict[str, tuple[bytes, str]]:
        if not self.carry_path.exists():
            return {}
        try:
            with contextlib.closing(sqlite3.connect(self.carry_path, timeout=lock_timeout())) as con:
                if not _has_table(con, "evaluation_carry"):
                    return {}
                rows = con.execute("SELECT frame, data, sha256 FROM evaluation_carry WHERE key = ? AND part = ?",
                                   (key, part)).fetchall()
        except sqlite3.DatabaseError:  # not a database (damaged): nothing kept
            return {}
        return {r[0]: (bytes(r[1]), r[2]) for r in rows}

    def put_carry(self, key: str, scope: str, items: list[tuple[str, str, bytes, str]]) -> None:
        try:
            with contextlib.closing(sqlite3.connect(self.carry_path, timeout=lock_timeout())) as con, con:
                con.execute("PRAGMA secure_delete = OFF")  # a cache: old parts need not be zeroed on disk
                con.execute(CARRY_DDL)
                con.execute("DELETE FROM evaluation_carry WHERE scope = ? AND key <> ?", (scope, key))
                now = now_utc().isoformat()
                con.executemany("INSERT OR REPLACE INTO evaluation_carry (key, scope, part, frame, data, sha256, "
                                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)", ((key, scope, *it, now) for it in items))
            # parts are megabytes each, spread over thousands of 4 KiB overflow pages; after parts of
            # an older key are deleted and new ones written into the freed pages, a part's pages lie
            # scattered over the file, and the next run reads them cold, page by page (0.3–1 s for the
            # baseline's 16 MB on this machine's disk, against 0.04 s once compacted). Rewriting the
            # file (tens of MB) costs ~0.3 s, on runs that computed parts anyway.
            with contextlib.closing(sqlite3.connect(self.carry_path, timeout=lock_timeout())) as con:
                con.execute("VACUUM")
        except sqlite3.DatabaseError as exc:  # a cache: the results are stored, say it and go on
            log.warning("%s: 未能保存评价中间结果 / could not keep the evaluation's parts: %s", self.carry_path, exc)

    # --- system tables ------------------------------------------------------------------------
    def _sys(self):
        self._ensure()
        return self._connect(write=True)

    @staticmethod
    def _where(where: dict[str, Any] | None) -> tuple[str, list[Any]]:
        if not where:
            return "", []
        for k in where:
            if not _SAFE.match(k):
                raise StoreError(f"bad column {k!r}")
        return " WHERE " + " AND ".join(f'"{k}" = ?' for k in where), list(where.values())

    def _sys_run(self, sql: str, args: list[Any], *, fetch: bool = False):
        con = self._sys()
        try:
            con.row_factory = sqlite3.Row
            if fetch:
                return [dict(r) for r in con.execute(sql, args).fetchall()]
            con.execute("BEGIN IMMEDIATE")  # waits (busy timeout) for a running import, never fails at once
            n = con.execute(sql, args).rowcount
            con.execute("COMMIT")
            return n
        except sqlite3.Error as exc:
            if con.in_transaction:
                con.execute("ROLLBACK")
            if "append-only" in str(exc):
                raise StoreError("audit_log is append-only") from exc
            raise _store_error(self.path, exc) from exc
        finally:
            con.close()

    def sys_query(self, table: str, where: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        assert table in SYSTEM_DDL
        w, args = self._where(where)
        order = " ORDER BY id" if table == "audit_log" else ""
        self._ensure()
        return self._read_rows(f'SELECT * FROM "{table}"{w}{order}', args)

    def sys_insert(self, table: str, row: dict[str, Any]) -> None:
        assert table in SYSTEM_DDL
        for k in row:
            if not _SAFE.match(k):
                raise StoreError(f"bad column {k!r}")
        cols = ", ".join(f'"{k}"' for k in row)
        marks = ", ".join("?" for _ in row)
        self._sys_run(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})', [_sql_value(v) for v in row.values()])

    def sys_update(self, table: str, where: dict[str, Any], values: dict[str, Any]) -> int:
        assert table in SYSTEM_DDL and table != "audit_log"
        for k in values:
            if not _SAFE.match(k):
                raise StoreError(f"bad column {k!r}")
        w, args = self._where(where)
        sets = ", ".join(f'"{k}" = ?' for k in values)
        return self._sys_run(f'UPDATE "{table}" SET {sets}{w}', [_sql_value(v) for v in values.values()] + args)

    def sys_delete(self, table: str, where: dict[str, Any]) -> int:
        assert table in SYSTEM_DDL and table != "audit_log"
        w, args = self._where(where)
        return self._sys_run(f'DELETE FROM "{table}"{w}', args)

    def sys_batch(self, ops: list[SysOp]) -> None:
        self._ensure()
        try:
            with self._writing("ledger") as con:
                for i, op in enumerate(ops):
                    assert op.table in SYSTEM_DDL and (op.op == "insert" or op.table != "audit_log")
                    for k in list(op.values) + list(op.where):
                        if not _SAFE.match(k):
                            raise StoreError(f"bad column {k!r}")
                    w, args = self._where(op.where)
                    vals = [_sql_value(v) for v in op.values.values()]
                    if op.op == "insert":
                        cols = ", ".join(f'"{k}"' for k in op.values)
                        n = con.execute(f'INSERT INTO "{op.table}" ({cols}) VALUES ({", ".join("?" for _ in vals)})',
                                        vals).rowcount
                    elif op.op == "update":
                        sets = ", ".join(f'"{k}" = ?' for k in op.values)
                        n = con.execute(f'UPDATE "{op.table}" SET {sets}{w}', vals + args).rowcount
                    elif op.op == "delete":
                        n = con.execute(f'DELETE FROM "{op.table}"{w}', args).rowcount
                    else:
                        raise StoreError(f"bad op {op.op!r}")
                    if op.expect is not None and n != op.expect:
                        raise RowCountMismatch(i, n)
        except sqlite3.IntegrityError as exc:
            raise StoreError(f"{self.path}: {exc}") from exc


# ------------------------------------------------------------------------------------------------
# reading layers with sqlite3 (OGC GeoPackage 1.3 §2.1.3: 'GP' header, envelope, then WKB)
# ------------------------------------------------------------------------------------------------

_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def _decode_geometries(blobs: list) -> np.ndarray:
    out = np.full(len(blobs), None, dtype=object)
    wkb = np.full(len(blobs), None, dtype=object)
    for i, b in enumerate(blobs):
        if b is None or len(b) < 8 or b[:2] != b"GP":
            continue
        n = _ENVELOPE_BYTES.get((b[3] >> 1) & 0b111, 0)
        wkb[i] = bytes(b[8 + n:])
    ok = np.array([w is not None for w in wkb], dtype=bool)
    if ok.any():
        out[ok] = shapely.from_wkb(wkb[ok].tolist())
    return out


def _has_table(con: sqlite3.Connection, name: str) -> bool:
    return bool(con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone())


def _geometry_column(con: sqlite3.Connection, name: str) -> str | None:
    try:
        row = con.execute("SELECT column_name FROM gpkg_geometry_columns WHERE lower(table_name) = lower(?)",
                          (name,)).fetchone()
    except sqlite3.OperationalError:
        return None
    return row[0] if row else None


def _unlinked_firms(con: sqlite3.Connection, provinces: list[str]) -> list[str]:
    """The firms of :data:`parcels.store.base.UNLINKED_FIRMS_PG`, spelled for SQLite (``NOT IN`` over
    subqueries it indexes) and over the tables the file has (a layer never imported has no table: it
    counts as empty)."""
    have = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    firms = [f'SELECT "uscc" FROM "{n}"' for n in ("enterprises", "enterprise_years", "enterprise_periods") if n in have]
    if not firms:
        return []
    links = [f'u.uscc NOT IN (SELECT "{c}" FROM "{n}" WHERE "{c}" IS NOT NULL)'
             for n, c in (("parcels", "holder_uscc"), ("land_rights", "holder_uscc"), ("leases", "uscc")) if n in have]
    sql = (f"SELECT u.uscc FROM ({' UNION '.join(firms)}) u "
           "WHERE substr(u.uscc, 3, 2) IN (SELECT value FROM json_each(?))" + "".join(" AND " + x for x in links))
    return [r[0] for r in con.execute(sql, [json.dumps(list(provinces))])]


def _read_con(con: sqlite3.Connection, layer: Layer, *, year: int | None, zones: list[str] | None,
              columns: list[str] | None = None, where: dict[str, Any] | None = None, geometry: bool = True,
              with_fid: bool = False, any_of: AnyOf | None = None) -> pd.DataFrame:
    """Rows of a layer through ``con`` (inside the caller's transaction), raw values; geometries
    decoded to shapely in column ``geometry``; ``fid`` first when asked. A layer of
    :data:`GEOMETRY_FROM` gets its geometry joined from the layer that holds it."""
    name = layer.name
    have = [r[1] for r in con.execute(f'PRAGMA table_info("{name}")')]
    if not have:
        return empty_layer(layer)
    cols = [c for c in (columns if columns is not None else layer.names) if c in have]
    src = GEOMETRY_FROM.get(name) if layer.geometry and geometry else None
    gcol = _geometry_column(con, src[0] if src else name) if layer.geometry and geometry else None
    sel = (["r.fid"] if with_fid else []) + [f'r."{c}"' for c in cols] + \
        ([f'{"p" if src else "r"}."{gcol}"'] if gcol else [])
    clauses: list[str] = []
    params: list[Any] = []
    if year is not None and layer.year_column:
        clauses.append(f'r."{layer.year_column}" = ?')
        params.append(int(year))
    if zones is not None and "zone_code" in layer.names:
        if not zones:
            return empty_layer(layer)
        clauses.append('r."zone_code" IN (SELECT value FROM json_each(?))')
        params.append(json.dumps([str(z) for z in zones]))
    for k, v in (where or {}).items():
        if k not in layer.names:
            raise KeyError(f"{name}.{k}")
        clauses.append(f'r."{k}" = ?')
        params.append(_sql_value(v))
    if any_of is not None:  # rows where any condition holds (base.read_partition)
        alts = []
        for k, values, *part in any_of:
            if k not in layer.names:  # column names come from the contract
                raise KeyError(f"{name}.{k}")
            if k not in have:
                continue
            col = f'substr(r."{k}", {int(part[0])}, {int(part[1])})' if part else f'r."{k}"'
            alts.append(f"{col} IN (SELECT value FROM json_each(?))")
            params.append(json.dumps([str(v) for v in values]))
        clauses.append("(" + (" OR ".join(alts) or "0") + ")")
    frm = f'"{name}" r' + (f' LEFT JOIN "{src[0]}" p ON p."{src[1]}" = r."{src[1]}"' if src and gcol else "")
    sql = f'SELECT {", ".join(sel) or "1"} FROM {frm}' + (" WHERE " + " AND ".join(clauses) if clauses else "")
    rows = con.execute(sql, params).fetchall()
    names = (["fid"] if with_fid else []) + cols + (["__geom"] if gcol else [])
    df = pd.DataFrame.from_records(rows, columns=names)
    if gcol:
        df["geometry"] = _decode_geometries(df.pop("__geom").tolist())
    elif layer.geometry and geometry:
        df["geometry"] = None
    return df


def _geometry_by_reference(con: sqlite3.Connection, name: str) -> None:
    """Inside the caller's transaction: make results layer ``name`` (:data:`GEOMETRY_FROM`) an attribute
    table without its own geometry (dropping a copy GDAL made: column, R-tree, its triggers and
    registrations) and (re)create the view ``<name>_map``: its rows with the geometry of the layer
    that holds it, registered as a features layer (OGC GeoPackage 1.3 §2.1.2, §2.1.5: a view may be
    a features table), so QGIS draws results without the file storing each polygon again."""
    src, key, view = GEOMETRY_FROM[name]
    gcol = _geometry_column(con, name)
    if gcol:
        for tname, sql in con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
                                      (name,)).fetchall():
            if tname.startswith("rtree_") or f'"{gcol}"' in (sql or ""):
                con.execute(f'DROP TRIGGER "{tname}"')
        con.execute(f'DROP TABLE IF EXISTS "rtree_{name}_{gcol}"')
        con.execute("DELETE FROM gpkg_extensions WHERE lower(table_name) = lower(?) AND column_name = ?", (name, gcol))
        con.execute("DELETE FROM gpkg_geometry_columns WHERE lower(table_name) = lower(?)", (name,))
        con.execute("UPDATE gpkg_contents SET data_type = 'attributes', srs_id = NULL, min_x = NULL, min_y = NULL, "
                    "max_x = NULL, max_y = NULL WHERE lower(table_name) = lower(?)", (name,))
        con.execute(f'ALTER TABLE "{name}" DROP COLUMN "{gcol}"')
    sgeom = _geometry_column(con, src) or "geom"
    con.execute(f'DROP VIEW IF EXISTS "{view}"')
    con.execute(f'CREATE VIEW "{view}" AS SELECT r.*, p."{sgeom}" AS "geom" FROM "{name}" r '
                f'LEFT JOIN "{src}" p ON p."{key}" = r."{key}"')
    con.execute("DELETE FROM gpkg_geometry_columns WHERE table_name = ?", (view,))
    con.execute("DELETE FROM gpkg_contents WHERE table_name = ?", (view,))
    con.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, min_x, min_y, "
                "max_x, max_y, srs_id) SELECT ?, 'features', ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ','now'), min_x, min_y, "
                "max_x, max_y, 4490 FROM gpkg_contents WHERE table_name = ?",
                (view, view, f"{LAYERS[name].zh}（宗地图形取自 {src}）/ {name} with the geometry of {src}", src))
    con.execute("INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m) "
                "VALUES (?, 'geom', 'MULTIPOLYGON', 4490, 0, 0)", (view,))


#: the input layers :meth:`GeoPackageStore.read_inputs_snapshot` reads in the other process when it
#: is given one: as much as that process reads and hands back while this one reads the parcels, the
#: firms' years and the pilot areas (measured on a province, an evaluation's read, without
#: enterprise_periods: 1.64 s against 2.1 in one process; the parcels are the largest layer, and
#: sharing their rows between the processes cost more in the hand-over than it saved)
READ_BESIDE = ("enterprise_periods", "land_survey", "enterprises", "zone_years", "leases", "buildings", "land_rights")


def _complete(recorded: dict[str, str]) -> bool:
    """Whether every input layer has a recorded state."""
    return all(layer.name in recorded for layer in INPUT_LAYERS)


def _recorded_states(con: sqlite3.Connection) -> dict[str, str]:
    """The input layers' recorded states (``inputs_state``), inside the caller's transaction."""
    if not _has_table(con, "inputs_state"):
        return {}
    return dict(con.execute("SELECT layer, layer_hash FROM inputs_state").fetchall())


def _set_layer_state(con: sqlite3.Connection, name: str, h: str) -> None:
    con.execute("INSERT OR REPLACE INTO inputs_state (layer, layer_hash, changed_at) VALUES (?, ?, ?)",
                (name, h, _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()))


# ------------------------------------------------------------------------------------------------
# GeoPackage rows written with sqlite3 (OGC GeoPackage 1.3, §2.1.3 geometry encoding, §3.1 R-tree)
# ------------------------------------------------------------------------------------------------

_GP_FLAGS = 0b0000_0011  # little-endian, envelope [minx, maxx, miny, maxy]
_GP_EMPTY = 0b0001_0001  # little-endian, no envelope, empty geometry
_HEAD = struct.Struct("<2sBBi4d")
_HEAD_EMPTY = struct.Struct("<2sBBi")


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
        vals = s.astype(object).to_numpy()
        if pd.api.types.infer_dtype(vals[~missing], skipna=True) not in ("string", "empty"):  # dates, mixed: one by one
            return [_cell(v) for v in vals.tolist()]
        vals = vals.copy()
    vals[missing] = None
    return vals.tolist()


def _generation(con: sqlite3.Connection) -> int | None:
    row = con.execute("SELECT generation FROM results_state WHERE name = 'results'").fetchone()
    return int(row[0]) if row else None


def _replace_year(con: sqlite3.Connection, layer, df: pd.DataFrame, year: int, zones: list[str] | None = None) -> None:
    """Inside the caller's transaction: delete ``year``'s rows of a layer (of ``zones`` only, when
    given: :func:`~parcels.store.base.scoped_delete`) and insert ``df``."""
    zcol, zvals, kcol, kvals = scoped_delete(layer, df, zones)
    if kcol:
        cond = f'"{kcol}" IN (SELECT value FROM json_each(?))' + \
            (f' OR "{zcol}" IN (SELECT value FROM json_each(?))' if zcol else "")
        params = (year, json.dumps(kvals)) + ((json.dumps(zvals),) if zcol else ())
        _rewrite(con, layer, df, delete_where=(f'"{layer.year_column}" = ? AND ({cond})', params))
        return
    _rewrite(con, layer, df, delete_where=(f'"{layer.year_column}" = ?', (year,)))


def _rewrite(con: sqlite3.Connection, layer, df: pd.DataFrame, *, delete_fids: list[int] | None = None,
             delete_where: tuple[str, tuple] | None = None) -> None:
    """Inside the caller's transaction: delete rows of a layer (by fid, or by a condition) and insert ``df``.

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
    cond: str | None = None
    params: tuple = ()
    if delete_fids:
        cond, params = "fid IN (SELECT value FROM json_each(?))", (json.dumps([int(f) for f in delete_fids]),)
    elif delete_where is not None:
        cond, params = delete_where
    if cond is not None:
        if has_rtree:
            con.execute(f'DELETE FROM "{rtree}" WHERE id IN (SELECT fid FROM "{name}" WHERE {cond})', params)
        con.execute(f'DELETE FROM "{name}" WHERE {cond}', params)
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
    if layer.geometry and len(df) and "geometry" in df.columns and name not in GEOMETRY_FROM:
        _widen_extent(con, name, df)


def _widen_extent(con: sqlite3.Connection, name: str, df: pd.DataFrame) -> None:
    """gpkg_contents' bounding box covers the new rows (GDAL and QGIS use it as the layer extent)."""
    g = np.asarray(df["geometry"].values, dtype=object)
    ok = np.array([x is not None for x in g], dtype=bool)
    if not ok.any():
        return
    ok[ok] = ~shapely.is_empty(g[ok].astype(object))
    if not ok.any():
        return
    b = shapely.total_bounds(g[ok].astype(object))
    con.execute("UPDATE gpkg_contents SET min_x = min(COALESCE(min_x, ?), ?), min_y = min(COALESCE(min_y, ?), ?), "
                "max_x = max(COALESCE(max_x, ?), ?), max_y = max(COALESCE(max_y, ?), ?) WHERE table_name = ?",
                (b[0], b[0], b[1], b[1], b[2], b[2], b[3], b[3], name))
    for view in [v for _n, (src, _k, v) in GEOMETRY_FROM.items() if src == name]:  # views showing this geometry
        con.execute("UPDATE gpkg_contents SET (min_x, min_y, max_x, max_y) = (SELECT min_x, min_y, max_x, max_y "
                    "FROM gpkg_contents WHERE table_name = ?) WHERE table_name = ?", (name, view))


INSERT_BATCH_ROWS = 50_000


def _insert_rows(con: sqlite3.Connection, layer, df: pd.DataFrame) -> None:
    """Insert ``df`` in batches (the Python values of one batch at a time, not of the whole layer)."""
    for i in range(0, len(df), INSERT_BATCH_ROWS):
        _insert_batch(con, layer, df.iloc[i:i + INSERT_BATCH_ROWS])


def _insert_batch(con: sqlite3.Connection, layer, df: pd.DataFrame) -> None:
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
    if layer.geometry and layer.name not in GEOMETRY_FROM:
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
