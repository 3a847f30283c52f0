"""The PostGIS store: the system of record for a bureau (SQLAlchemy 2 + GeoAlchemy2 + Alembic).

An import runs in one transaction: the touched tables are locked, the plan (insert / replace /
leave) is computed against what the transaction sees, replaced rows are deleted by id and new
rows are streamed in with COPY; foreign keys are deferred to the commit. Any error rolls the
whole import back. Every statement with a value from outside is parameterised.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Collection
from typing import Any

import numpy as np
import pandas as pd
import shapely
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Engine

from landuse.core.contract import ALL_LAYERS, GEOMETRY_FROM, LAYERS, Layer
from landuse.core.errors import StoreError, StoreUnavailable

from parcels.store.base import (
    DIGESTS_ALL,
    DIGESTS_VALID,
    RESULTS_DIGESTS_DDL,
    SYSTEM_TABLES,
    TILED_LAYERS,
    UNLINKED_FIRMS_PG,
    AnyOf,
    Digest,
    LayerChange,
    RowCountMismatch,
    Store,
    SysOp,
    digest_updates,
    empty_layer,
    import_scope,
    layer_hash,
    now_utc,
    plan_upsert,
    scoped_delete,
    state_after,
    unchanged_layers,
)
from parcels.store.models import metadata

UNAVAILABLE = ("PostgreSQL 数据库暂时无法连接，请稍后再试或联系管理员 / the PostgreSQL database cannot be reached "
               "right now; try again later or ask the administrator")


def _install_error_mapping(engine: Engine) -> None:
    """A server that is down, restarting or out of disk becomes :class:`StoreUnavailable` (the web
    answers 503, the command line prints the message) instead of a driver traceback."""
    import psycopg

    @event.listens_for(engine, "handle_error")
    def _unavailable(ctx):  # noqa: ANN001
        orig = ctx.original_exception
        if ctx.is_disconnect or isinstance(orig, (psycopg.OperationalError, psycopg.InterfaceError)):
            detail = str(orig).strip().splitlines()[0][:200] if str(orig).strip() else type(orig).__name__
            return StoreUnavailable(f"{UNAVAILABLE} ({detail})")
        return None


def sqlalchemy_url(url: str) -> str:
    for prefix in ("postgresql+psycopg2://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "parcels:migrations")
    if url:
        cfg.set_main_option("sqlalchemy.url", sqlalchemy_url(url).replace("%", "%%"))
    return cfg


class PostGISStore(Store):
    kind = "postgis"

    def __init__(self, url: str, *, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine or create_engine(sqlalchemy_url(url), pool_pre_ping=True, pool_size=8, max_overflow=8,
                                              connect_args={"connect_timeout": 10})
        _install_error_mapping(self.engine)

    def close(self) -> None:
        con = getattr(self._kept, "con", None)
        if con is not None:
            con.close()
            self._kept.con = None
        self.engine.dispose()

    @property
    def _kept(self):
        local = self.__dict__.get("_kept_local")
        if local is None:
            import threading

            local = self.__dict__.setdefault("_kept_local", threading.local())
        return local

    def _key_read(self, sql: str, params: tuple) -> list[tuple]:
        """A small read by key (the session of a request, a stored tile) on a connection kept for
        this thread, in autocommit (every statement sees the last committed state): no pool
        checkout and no pre-ping round trip, and psycopg prepares the statement on the server after
        a few runs. A broken connection is opened again once; a server that is down is
        :class:`StoreUnavailable`."""
        import psycopg

        for attempt in (0, 1):
            con = getattr(self._kept, "con", None)
            try:
                if con is None or con.closed:
                    url = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
                    con = psycopg.connect(url, autocommit=True, connect_timeout=10)
                    self._kept.con = con
                with con.cursor() as cur:
                    cur.execute(sql, params)
                    return cur.fetchall()
            except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                if con is not None:
                    con.close()
                self._kept.con = None
                if attempt:
                    detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
                    raise StoreUnavailable(f"{UNAVAILABLE} ({detail})") from exc
        return []

    # --- schema -------------------------------------------------------------------------------
    def init(self) -> None:
        try:
            with self.engine.begin() as conn:
                cfg = alembic_config(self.url)
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")  # 0006 makes results_state and its triggers
                # a trigger dropped by hand since: only the missing ones (creating a trigger locks its
                # table: a running evaluation or the web service's reads would hold every later command)
                have = {r[0] for r in conn.execute(text(
                    "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "WHERE t.tgname = 'results_dirty' AND c.relnamespace = current_schema()::regnamespace"))}
                for sql in results_triggers(skip=have):
                    conn.execute(text(sql))
        except StoreUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001
            raise StoreError(f"PostGIS 数据库初始化失败 / cannot initialise the PostGIS store: {exc}") from exc

    def _check(self) -> None:
        if not inspect(self.engine).has_table("parcels"):
            raise StoreError("PostGIS 库尚未初始化，请先运行 landuse init / the database has no schema: run `landuse init --db URL`")

    # --- reading ------------------------------------------------------------------------------
    def _select(self, layer: Layer, *, year, zones, with_id: bool = False, columns: list[str] | None = None,
                where: dict[str, Any] | None = None, geometry: bool = True, any_of: AnyOf | None = None) -> tuple[str, dict]:
        cols = [f'r."{c}"' for c in (columns if columns is not None else layer.names)]
        if with_id:
            cols.insert(0, "r.id")
        src = GEOMETRY_FROM.get(layer.name) if layer.geometry and geometry else None
        if layer.geometry and geometry:  # a layer of GEOMETRY_FROM: the geometry of the layer holding it
            cols.append(f'ST_AsBinary({"p" if src else "r"}."geometry") AS geometry')
        sql = f'SELECT {", ".join(cols) or "1"} FROM "{layer.name}" r'
        if src:
            sql += f' LEFT JOIN "{src[0]}" p ON p."{src[1]}" = r."{src[1]}"'
        clauses: list[str] = []
        params: dict[str, Any] = {}
        if year is not None and layer.year_column:
            clauses.append(f'r."{layer.year_column}" = :year')
            params["year"] = int(year)
        if zones is not None and "zone_code" in layer.names:
            clauses.append('r."zone_code" = ANY(:zones)')
            params["zones"] = list(zones)
        for i, (k, v) in enumerate((where or {}).items()):
            if k not in layer.names:  # column names come from the contract, never from a request
                raise KeyError(k)
            clauses.append(f'r."{k}" = :w{i}')
            params[f"w{i}"] = v
        if any_of is not None:  # rows where any condition holds (base.read_partition)
            alts = []
            for i, (k, values, *part) in enumerate(any_of):
                if k not in layer.names:  # column names come from the contract
                    raise KeyError(k)
                col = f'substr(r."{k}", {int(part[0])}, {int(part[1])})' if part else f'r."{k}"'
                alts.append(f"{col} = ANY(:a{i})")
                params[f"a{i}"] = [str(v) for v in values]
            clauses.append("(" + (" OR ".join(alts) or "FALSE") + ")")
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        return sql, params

    def _read_conn(self, conn: Connection, name: str, *, year=None, zones=None, with_id=False, columns=None,
                   where=None, geometry=True, any_of: AnyOf | None = None) -> pd.DataFrame:
        layer = LAYERS[name]
        sql, params = self._select(layer, year=year, zones=zones, with_id=with_id, columns=columns, where=where,
                                   geometry=geometry, any_of=any_of)
        res = conn.execute(text(sql), params)
        keys = list(res.keys())
        # plain tuples: building a frame from Row objects is ~10x slower (attribute probing)
        df = pd.DataFrame.from_records([tuple(r) for r in res.fetchall()], columns=keys)
        if layer.geometry and geometry:
            wkb = [bytes(b) if b is not None else None for b in df["geometry"].tolist()] if len(df) else []
            df["geometry"] = np.asarray(shapely.from_wkb(wkb), dtype=object) if len(df) else pd.Series([], dtype=object)
        return df

    def _read_raw(self, name: str, *, year: int | None, zones: list[str] | None,
                  columns: list[str] | None = None, where: dict[str, Any] | None = None,
                  geometry: bool = True) -> pd.DataFrame:
        if zones is not None and not zones and "zone_code" in LAYERS[name].names:
            return empty_layer(LAYERS[name])
        with self.engine.connect() as conn:
            return self._read_conn(conn, name, year=year, zones=zones, columns=columns, where=where,
                                   geometry=geometry)

    def read_inputs_snapshot(self, *, zones: list[str] | None = None, with_hash: bool = True,
                             geometry: Collection[str] | None = None,
                             aside: Callable[[Callable[[], Any]], Any] | None = None,
                             skip: Collection[str] = (),
                             ) -> tuple[dict[str, pd.DataFrame], str | None]:
        """Every input layer read in one REPEATABLE READ transaction (one snapshot of the database:
        an import committing meanwhile is not seen half-way). ``geometry``, ``skip``: as
        :meth:`Store.read_inputs_snapshot`; ``aside`` is not used (the rows come from the server)."""
        with self.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
            conn.execute(text("SELECT 1"))  # the snapshot is taken at the first statement
            recorded = _recorded_states(conn) if with_hash and zones is None else {}
            raw, geo = self._snapshot_rows(
                lambda name, zones=None, any_of=None, geometry=True: self._read_conn(
                    conn, name, zones=zones, any_of=any_of, geometry=geometry),
                lambda prov: [r[0] for r in conn.execute(text(UNLINKED_FIRMS_PG), {"prov": list(prov)})],
                zones=zones, geometry=geometry, with_hash=with_hash, recorded=recorded, skip=skip)
        return self._snapshot_frames(raw, geo, with_hash=with_hash, recorded=recorded)

    def _recompute_layer_state(self, name: str) -> str:
        layer = LAYERS[name]
        with self.engine.begin() as conn:
            conn.execute(text(f'LOCK TABLE "{name}" IN SHARE MODE'))  # no import lands meanwhile
            h = layer_hash(self._shape(name, self._read_conn(conn, name)), layer)
            self._set_layer_state(conn, name, h)
        return h

    @staticmethod
    def _set_layer_state(conn: Connection, name: str, h: str) -> None:
        conn.execute(text("INSERT INTO inputs_state (layer, layer_hash, changed_at) VALUES (:l, :h, :t) "
                          "ON CONFLICT (layer) DO UPDATE SET layer_hash = EXCLUDED.layer_hash, "
                          "changed_at = EXCLUDED.changed_at"), {"l": name, "h": h, "t": now_utc().isoformat()})

    def _query(self, sql: str, params: dict[str, Any]) -> pd.DataFrame:
        with self.engine.connect() as conn:
            res = conn.execute(text(sql), params)
            return pd.DataFrame.from_records([tuple(r) for r in res.fetchall()], columns=list(res.keys()))

    def result_years(self) -> list[int]:
        df = self._query('SELECT DISTINCT "year" FROM "zone_results" ORDER BY 1', {})
        return [int(y) for y in df["year"].dropna()]

    def zone_extents(self, zones: list[str] | None) -> pd.DataFrame:
        sql = ('SELECT zone_code, zone_name, level, pilot_area_code, pilot_area_name, '
               'ST_XMin(b) AS x0, ST_YMin(b) AS y0, ST_XMax(b) AS x1, ST_YMax(b) AS y1 '
               'FROM (SELECT *, geometry::box2d AS b FROM zones) z')
        params: dict[str, Any] = {}
        if zones is not None:
            sql += " WHERE zone_code = ANY(:zones)"
            params["zones"] = list(zones)
        return self._query(sql + " ORDER BY zone_code", params)

    def search_parcels(self, q: str, *, year: int | None, zones: list[str] | None, limit: int = 20) -> pd.DataFrame:
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        if year is not None:
            sql = ("SELECT r.parcel_code, r.zone_code, r.holder_name, r.stage, "
                   "ST_X(ST_PointOnSurface(p.geometry)) AS lon, ST_Y(ST_PointOnSurface(p.geometry)) AS lat "
                   "FROM parcel_results r JOIN parcels p ON p.parcel_code = r.parcel_code "
                   "WHERE r.year = :y AND (r.parcel_code ILIKE :q OR r.holder_name ILIKE :q)")
            params: dict[str, Any] = {"y": int(year), "q": like}
            pre = "r."
        else:
            sql = ("SELECT p.parcel_code, p.zone_code, ST_X(ST_PointOnSurface(p.geometry)) AS lon, "
                   "ST_Y(ST_PointOnSurface(p.geometry)) AS lat FROM parcels p WHERE p.parcel_code ILIKE :q")
            params = {"q": like}
            pre = "p."
        if zones is not None:
            sql += f" AND {pre}zone_code = ANY(:zones)"
            params["zones"] = list(zones)
        return self._query(sql + f" ORDER BY {pre}parcel_code LIMIT {int(limit)}", params)

    def mvt_tile(self, z: int, x: int, y: int, *, year: int, zones: list[str] | None, figures: bool) -> bytes:
        attrs = list(TILE_ATTRS_PUBLIC)
        joins = ""
        if figures:
            attrs += TILE_ATTRS_FIGURES
            joins = "LEFT JOIN enterprise_results e ON e.uscc = r.holder_uscc AND e.year = :year"
        params: dict[str, Any] = {"z": int(z), "x": int(x), "y": int(y), "year": int(year)}
        zone_filter = ""
        if zones is not None:
            zone_filter = "AND p.zone_code = ANY(:zones)"
            params["zones"] = list(zones)
        sql = TILE_SQL.format(attrs=", ".join(attrs), joins=joins, zone_filter=zone_filter)
        with self.engine.connect() as conn:
            data = conn.execute(text(sql), params).scalar()
        return bytes(data) if data is not None else b""

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {layer.name: int(conn.execute(text(f'SELECT count(*) FROM "{layer.name}"')).scalar_one())
                    for layer in ALL_LAYERS}

    # --- writing ------------------------------------------------------------------------------
    COPY_BATCH_ROWS = 50_000

    def _copy(self, conn: Connection, layer: Layer, df: pd.DataFrame) -> None:
        """COPY ``df`` in, a batch of rows at a time (the Python values of one batch in memory)."""
        for i in range(0, len(df), self.COPY_BATCH_ROWS):
            self._copy_batch(conn, layer, df.iloc[i:i + self.COPY_BATCH_ROWS])

    def _copy_batch(self, conn: Connection, layer: Layer, df: pd.DataFrame) -> None:
        if len(df) == 0:
            return
        cols = list(layer.names)
        has_geom = bool(layer.geometry) and "geometry" in df.columns and layer.name not in GEOMETRY_FROM
        if has_geom:
            cols.append("geometry")
            g = np.asarray(df["geometry"].values, dtype=object)
            ok = np.array([x is not None for x in g])
            hexes = np.full(len(g), None, dtype=object)
            if ok.any():
                hexes[ok] = shapely.to_wkb(shapely.set_srid(g[ok].astype(object), 4490), hex=True, include_srid=True)
        values = []
        for c in layer.names:
            s = df[c] if c in df.columns else pd.Series([None] * len(df), index=df.index)
            values.append([_py(v) for v in s.astype(object).tolist()])
        if has_geom:
            values.append(list(hexes))
        raw = conn.connection.driver_connection
        if raw is None:  # the pooled connection was invalidated under us
            raise StoreUnavailable("PostGIS 连接已断开 / the PostGIS connection was lost")
        collist = ", ".join(f'"{c}"' for c in cols)
        with raw.cursor() as cur, cur.copy(f'COPY "{layer.name}" ({collist}) FROM STDIN') as cp:
            for row in zip(*values, strict=True):
                cp.write_row(row)

    def apply_import(self, frames: dict[str, pd.DataFrame], present: dict[str, set[str]],
                     existing: dict[str, pd.DataFrame] | None = None) -> list[LayerChange]:
        # the stored rows are re-read inside the locked transaction (with their ids), not reused
        self._check()
        changes: list[LayerChange] = []
        with self.engine.begin() as conn:
            conn.execute(text("SET CONSTRAINTS ALL DEFERRED"))
            names = ", ".join(f'"{n}"' for n in frames)
            if names:
                conn.execute(text(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE"))
            # read after the locks: states recorded now stay true until this transaction ends
            recorded = _recorded_states(conn)
            for name, frame in frames.items():
                layer = LAYERS[name]
                # with the layer's state recorded, only the rows the package can match are read and
                # the state is updated (base.state_after); else the whole layer, hashed again
                prev = recorded.get(name)
                scope = import_scope(layer, frame) if prev is not None else None
                existing_raw = self._read_conn(conn, name, with_id=True, any_of=scope)
                ids = existing_raw.pop("id") if "id" in existing_raw.columns else pd.Series([], dtype="int64")
                stored = self._typed(existing_raw, layer)
                write, merged, change = plan_upsert(layer, stored, frame, present.get(name, set(frame.columns)))
                changes.append(change)
                if not (change.inserted or change.updated):
                    continue
                state = (state_after(prev, stored[change.replaced], write, layer) if prev is not None
                         else layer_hash(merged, layer))
                del merged
                if change.updated:
                    drop_ids = [int(i) for i in ids.to_numpy()[change.replaced]]
                    conn.execute(text(f'DELETE FROM "{name}" WHERE id = ANY(:ids)'), {"ids": drop_ids})
                self._copy(conn, layer, write)
                # after the layer's own statements (their triggers forget the old state)
                self._set_layer_state(conn, name, state)
        return changes

    @staticmethod
    def _typed(df: pd.DataFrame, layer: Layer) -> pd.DataFrame:
        from parcels.schema import coerce

        out = coerce(df, layer)
        return out

    def replace_results(self, frames: dict[str, pd.DataFrame], *, year: int, zones: list[str] | None = None,
                        digests: dict[str, Digest] | None = None) -> None:
        """Delete the year's rows and insert the new ones in one transaction. A layer whose ``digests``
        entry says the year's rows are already there is not written; the results generation is locked
        last (as partitions writing at once do), and if another write landed since the digests were
        read the skipped layers are written after all."""
        self._check()
        y = int(year)
        digests = digests if zones is None else None
        with self.engine.begin() as conn:
            conn.execute(text("SET LOCAL landuse.bulk_write = 'on'"))  # results_state bumped once, below
            conn.execute(text(RESULTS_STATE_DDL))
            conn.execute(text(RESULTS_DIGESTS_DDL.format(int8="bigint")))
            rows = conn.execute(text(DIGESTS_VALID), {"y": y}).fetchall() if digests else []
            seen = int(rows[0][2]) if rows else None
            same = unchanged_layers(frames, digests, {r[0]: r[1] for r in rows})
            changed = [n for n in frames if n not in same]
            if not changed:
                return
            for name in changed:
                self._replace_year(conn, name, frames[name], y, zones)
            g0 = conn.execute(text("SELECT generation FROM results_state WHERE name = 'results' FOR UPDATE")).scalar()
            if same and g0 != seen:  # another write landed since: what was skipped is written too
                for name in same:
                    self._replace_year(conn, name, frames[name], y, zones)
                changed += sorted(same)
            if TILED_LAYERS & set(changed):
                # the stored tiles showed the replaced rows: gone with them (rebuilt by build_tiles)
                conn.execute(text(TILES_DDL))
                conn.execute(text("DELETE FROM result_tiles WHERE year = :y"), {"y": y})
            conn.execute(text(BUMP_RESULTS))
            g1 = conn.execute(text("SELECT generation FROM results_state WHERE name = 'results'")).scalar_one()
            for sql, params in digest_updates(frames, digests, year=y, g0=g0, g1=int(g1)):
                conn.execute(text(sql), params)

    def _replace_year(self, conn: Connection, name: str, frame: pd.DataFrame, year: int, zones: list[str] | None) -> None:
        layer = LAYERS[name]
        zcol, zvals, kcol, kvals = scoped_delete(layer, frame, zones)
        if kcol:  # a partition's evaluation: its zones' rows and the rows it rewrites
            cond = f'"{kcol}" = ANY(:k)' + (f' OR "{zcol}" = ANY(:z)' if zcol else "")
            conn.execute(text(f'DELETE FROM "{name}" WHERE "{layer.year_column}" = :y AND ({cond})'),
                         {"y": year, "k": kvals, "z": zvals})
        else:
            conn.execute(text(f'DELETE FROM "{name}" WHERE "{layer.year_column}" = :y'), {"y": year})
        self._copy(conn, layer, self._typed(frame, layer))

    def result_digests(self, year: int) -> dict[str, Digest]:
        with self.engine.connect() as conn:
            if not conn.execute(text("SELECT to_regclass('results_digests') IS NOT NULL")).scalar():
                return {}
            return {r[0]: (r[1], r[2]) for r in conn.execute(text(DIGESTS_ALL), {"y": int(year)})}

    def session_user(self, token_hash: str) -> dict[str, Any] | None:
        rows = self._key_read("SELECT s.token_hash, s.username, s.csrf, s.created_at, s.expires_at, u.role, u.zones, "
                              "u.active FROM sessions s LEFT JOIN users u ON u.username = s.username "
                              "WHERE s.token_hash = %s", (token_hash,))
        if not rows:
            return None
        return dict(zip(("token_hash", "username", "csrf", "created_at", "expires_at", "role", "zones", "active"),
                        rows[0], strict=True))

    def results_generation(self) -> int | None:
        if not getattr(self, "_results_state", False):
            with self.engine.connect() as conn:
                self._results_state = bool(conn.execute(text("SELECT to_regclass('results_state') IS NOT NULL")).scalar())
            if not self._results_state:
                return 0
        with self.engine.connect() as conn:
            g = conn.execute(text("SELECT generation FROM results_state WHERE name = 'results'")).scalar()
        return int(g) if g is not None else 0

    # --- stored vector tiles ----------------------------------------------------------------------
    def put_tiles(self, year: int, rows: list[tuple]) -> None:
        self._check()
        with self.engine.begin() as conn:
            conn.execute(text(TILES_DDL))
            conn.execute(text("DELETE FROM result_tiles WHERE year = :y"), {"y": int(year)})
            raw = conn.connection.driver_connection
            if raw is None:  # the pooled connection was invalidated under us
                raise StoreUnavailable("PostGIS 连接已断开 / the PostGIS connection was lost")
            with raw.cursor() as cur, cur.copy("COPY result_tiles (year, variant, z, x, y, zones, data) FROM STDIN") as cp:
                for r in rows:
                    cp.write_row((int(year), *r))

    def get_tile(self, year: int, variant: str, z: int, x: int, y: int) -> tuple[bytes, str] | None:
        if not self._has_tiles_table():
            return None
        rows = self._key_read("SELECT data, zones FROM result_tiles WHERE year = %s AND variant = %s AND z = %s "
                              "AND x = %s AND y = %s", (int(year), variant, int(z), int(x), int(y)))
        return (bytes(rows[0][0]), rows[0][1] or "") if rows else None

    def tile_years(self) -> list[int]:
        if not self._has_tiles_table():
            return []
        df = self._query("SELECT DISTINCT year FROM result_tiles ORDER BY 1", {})
        return [int(v) for v in df["year"]] if len(df) else []

    def has_tile_year(self, year: int) -> bool:
        if not self._has_tiles_table():
            return False
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT 1 FROM result_tiles WHERE year = :y LIMIT 1"), {"y": int(year)}).first() is not None

    def _has_tiles_table(self) -> bool:
        if getattr(self, "_tiles_table", False):
            return True
        with self.engine.connect() as conn:
            ok = conn.execute(text("SELECT to_regclass('result_tiles') IS NOT NULL")).scalar()
        self._tiles_table = bool(ok)
        return self._tiles_table

    # --- earlier years' parts kept between evaluations --------------------------------------------
    def get_carry(self, key: str, part: str) -> dict[str, tuple[bytes, str]]:
        with self.engine.connect() as conn:
            if not conn.execute(text("SELECT to_regclass('evaluation_carry') IS NOT NULL")).scalar():
                return {}
            rows = conn.execute(text("SELECT frame, data, sha256 FROM evaluation_carry WHERE key = :k AND part = :p"),
                                {"k": key, "p": part}).fetchall()
        return {r[0]: (bytes(r[1]), r[2]) for r in rows}

    def put_carry(self, key: str, scope: str, items: list[tuple[str, str, bytes, str]]) -> None:
        self._check()
        with self.engine.begin() as conn:
            conn.execute(text(CARRY_DDL))
            conn.execute(text("DELETE FROM evaluation_carry WHERE scope = :s AND key <> :k"), {"s": scope, "k": key})
            for part, frame, data, sha in items:
                conn.execute(text("INSERT INTO evaluation_carry (key, scope, part, frame, sha256, data, created_at) "
                                  "VALUES (:k, :s, :p, :f, :h, :d, now()) ON CONFLICT (key, part, frame) DO UPDATE "
                                  "SET data = EXCLUDED.data, sha256 = EXCLUDED.sha256, created_at = now()"),
                             {"k": key, "s": scope, "p": part, "f": frame, "h": sha, "d": data})

    # --- system tables ------------------------------------------------------------------------
    @staticmethod
    def _where(where: dict[str, Any] | None) -> tuple[str, dict[str, Any]]:
        if not where:
            return "", {}
        for k in where:
            if not k.isidentifier():
                raise StoreError(f"bad column {k!r}")
        return " WHERE " + " AND ".join(f'"{k}" = :w_{k}' for k in where), {f"w_{k}": v for k, v in where.items()}

    def sys_query(self, table: str, where: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        assert table in SYSTEM_TABLES
        w, params = self._where(where)
        order = " ORDER BY id" if table == "audit_log" else ""
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(text(f'SELECT * FROM "{table}"{w}{order}'), params)]

    def sys_insert(self, table: str, row: dict[str, Any]) -> None:
        assert table in SYSTEM_TABLES
        for k in row:
            if not k.isidentifier():
                raise StoreError(f"bad column {k!r}")
        cols = ", ".join(f'"{k}"' for k in row)
        marks = ", ".join(f":{k}" for k in row)
        with self.engine.begin() as conn:
            conn.execute(text(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})'), {k: _sysval(v) for k, v in row.items()})

    def sys_update(self, table: str, where: dict[str, Any], values: dict[str, Any]) -> int:
        assert table in SYSTEM_TABLES and table != "audit_log"
        w, params = self._where(where)
        for k in values:
            if not k.isidentifier():
                raise StoreError(f"bad column {k!r}")
        sets = ", ".join(f'"{k}" = :v_{k}' for k in values)
        params.update({f"v_{k}": _sysval(v) for k, v in values.items()})
        with self.engine.begin() as conn:
            return conn.execute(text(f'UPDATE "{table}" SET {sets}{w}'), params).rowcount

    def sys_delete(self, table: str, where: dict[str, Any]) -> int:
        assert table in SYSTEM_TABLES and table != "audit_log"
        w, params = self._where(where)
        with self.engine.begin() as conn:
            return conn.execute(text(f'DELETE FROM "{table}"{w}'), params).rowcount

    def sys_batch(self, ops: list[SysOp]) -> None:
        from sqlalchemy.exc import IntegrityError

        try:
            with self.engine.begin() as conn:
                for i, op in enumerate(ops):
                    assert op.table in SYSTEM_TABLES and (op.op == "insert" or op.table != "audit_log")
                    for k in list(op.values) + list(op.where):
                        if not k.isidentifier():
                            raise StoreError(f"bad column {k!r}")
                    w, params = self._where(op.where)
                    params.update({f"v_{k}": _sysval(v) for k, v in op.values.items()})
                    if op.op == "insert":
                        cols = ", ".join(f'"{k}"' for k in op.values)
                        marks = ", ".join(f":v_{k}" for k in op.values)
                        n = conn.execute(text(f'INSERT INTO "{op.table}" ({cols}) VALUES ({marks})'), params).rowcount
                    elif op.op == "update":
                        sets = ", ".join(f'"{k}" = :v_{k}' for k in op.values)
                        n = conn.execute(text(f'UPDATE "{op.table}" SET {sets}{w}'), params).rowcount
                    elif op.op == "delete":
                        n = conn.execute(text(f'DELETE FROM "{op.table}"{w}'), params).rowcount
                    else:
                        raise StoreError(f"bad op {op.op!r}")
                    if op.expect is not None and n != op.expect:
                        raise RowCountMismatch(i, n)
        except IntegrityError as exc:
            raise StoreError(f"PostGIS: {exc.orig}") from exc


def _recorded_states(conn: Connection) -> dict[str, str]:
    """The input layers' recorded states (``inputs_state``), inside the caller's transaction."""
    return {r[0]: r[1] for r in conn.execute(text("SELECT layer, layer_hash FROM inputs_state"))}


#: earlier years' parts of an evaluation, kept between runs (landuse.services.carry); not a layer
CARRY_DDL = """CREATE TABLE IF NOT EXISTS evaluation_carry (key text NOT NULL, scope text NOT NULL, part text NOT NULL,
    frame text NOT NULL, sha256 text NOT NULL, data bytea NOT NULL, created_at timestamptz NOT NULL,
    PRIMARY KEY (key, part, frame))"""

#: the results generation (Store.results_generation): one row, bumped by every replace_results; not a layer
RESULTS_STATE_DDL = """CREATE TABLE IF NOT EXISTS results_state (name text PRIMARY KEY, generation bigint NOT NULL,
    changed_at timestamptz NOT NULL)"""
#: one bump of the results generation (replace_results, once at its end; the triggers on results tables)
BUMP_RESULTS = ("INSERT INTO results_state (name, generation, changed_at) VALUES ('results', 1, now()) "
                "ON CONFLICT (name) DO UPDATE SET generation = results_state.generation + 1, changed_at = now()")



def results_triggers(skip: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Writes to a results table that bypass the product (QGIS, SQL) bump the results generation, so
    the web service's summaries are computed again (one bump per statement; ``replace_results``
    bumps it too)."""
    from landuse.core.contract import OUTPUT_LAYERS

    todo = [layer.name for layer in OUTPUT_LAYERS if layer.name not in skip]
    if not todo:
        return []
    out = ["CREATE OR REPLACE FUNCTION results_state_bump() RETURNS trigger AS $$ BEGIN "
           # the product's own bulk writes bump it once, last (partitions writing at once never wait
           # on this row while holding others)
           "IF current_setting('landuse.bulk_write', true) = 'on' THEN RETURN NULL; END IF; "
           f"{BUMP_RESULTS}; RETURN NULL; END; $$ LANGUAGE plpgsql"]
    for name in todo:
        out += [f'DROP TRIGGER IF EXISTS results_dirty ON "{name}"',
                f'CREATE TRIGGER results_dirty AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "{name}" '
                "FOR EACH STATEMENT EXECUTE FUNCTION results_state_bump()"]
    return out


TILES_DDL = """CREATE TABLE IF NOT EXISTS result_tiles (year integer NOT NULL, variant text NOT NULL,
    z integer NOT NULL, x integer NOT NULL, y integer NOT NULL, zones text, data bytea NOT NULL,
    PRIMARY KEY (year, variant, z, x, y))"""

TILE_SQL = """
WITH b AS (SELECT ST_TileEnvelope(:z, :x, :y) AS env),
     b4490 AS (SELECT ST_Transform(env, 4490) AS env FROM b),
t AS (
  SELECT ST_AsMVTGeom(ST_Transform(p.geometry, 3857), b.env, 4096, 64, true) AS geom,
         {attrs}
  FROM parcels p
  CROSS JOIN b
  CROSS JOIN b4490
  LEFT JOIN parcel_results r ON r.parcel_code = p.parcel_code AND r.year = :year
  {joins}
  WHERE p.geometry && b4490.env {zone_filter}
)
SELECT ST_AsMVT(t, 'parcels', 4096, 'geom') FROM t WHERE geom IS NOT NULL
"""

TILE_ATTRS_PUBLIC = ["p.parcel_code", "p.zone_code", "r.holder_name", "r.stage", "r.area_mu", "r.developed"]
TILE_ATTRS_FIGURES = ["r.revenue_per_mu", "r.tax_per_mu", "r.flags", "r.flag_count", "r.max_severity", "e.grade"]


def _sysval(v: Any) -> Any:
    if isinstance(v, bool):
        return int(v)
    if hasattr(v, "isoformat") and not isinstance(v, str):
        return v.isoformat()
    return v


def _py(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and np.isnan(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.date()
    if isinstance(v, np.datetime64):
        return None if np.isnat(v) else pd.Timestamp(v).date()
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if isinstance(v, _dt.datetime):
        return v.date()
    return v


__all__ = ["PostGISStore", "alembic_config", "sqlalchemy_url", "metadata"]
