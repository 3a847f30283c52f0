"""Earlier years' parts of an evaluation, kept in the store between runs.

A year's evaluation needs parts of earlier years: the baseline year's parcels (the +15 % check),
last year's graded firms (the grading benchmark), the grades of the years the streak rules look at,
last year's ranks (rank change). Computed from scratch, one evaluated year costs about four years of
figures. Every part is a function of the inputs, the disposal ledger, the policy and the code
alone, so :func:`evaluation.prepare` takes them from an earlier run when all four are unchanged:

- the **key** is a hash of the inputs hash (``inputs_state``, the same hash every results row
  records), the ledger's rows, the remote-sensing evidence if any, the policy hash, the zones of a
  partition, and a fingerprint of the evaluation code (every source file of ``evaluation/`` and
  ``landuse/core/``); any change gives another key, and nothing kept under another key is read;
- the parts are kept as Parquet (never pickle: a store may come from elsewhere), each with its
  SHA-256, in table ``evaluation_carry`` — of the database on PostGIS, of a SQLite file beside a
  GeoPackage (``<name>.gpkg.carry``: a cache that may be deleted, kept out of the GeoPackage that GIS
  tools list table by table); a part that fails its checksum or does not decode is computed again;
- a run keeps what it computed; a scope (all zones, or one partition's zones) keeps only its
  latest key.

So ``landuse evaluate --year 2025`` after an earlier evaluation on the same data computes 2025
alone; the figures are the same as a run from nothing (``tests/test_carry.py``).
"""

from __future__ import annotations

import hashlib
import io
import json
import warnings
from concurrent.futures import Future, ThreadPoolExecutor, wait
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pandas.io._util import arrow_table_to_pandas

from landuse.core.policy import Policy
from parcels.store.base import Store

__all__ = ["StoreCarry", "carry_key", "code_fingerprint"]


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of the source of the evaluation and of the contract it conforms to."""
    import evaluation
    import landuse.core

    h = hashlib.sha256()
    for pkg in (evaluation, landuse.core):
        root = Path(pkg.__file__).resolve().parent
        for f in sorted(root.rglob("*")):
            if f.suffix in (".py", ".toml") and f.is_file():
                h.update(str(f.relative_to(root)).encode())
                h.update(f.read_bytes())
    return h.hexdigest()[:16]


def _frame_hash(df: pd.DataFrame | pd.Series | None) -> str:
    if df is None or len(df) == 0:
        return "-"
    return hashlib.sha256(df.to_csv(index=True).encode()).hexdigest()[:16]


def carry_key(*, inputs_hash: str, policy: Policy, ledger: pd.DataFrame | None = None,
              built_up: pd.Series | None = None, zones: list[str] | None = None) -> str:
    """The key of the parts computed from exactly these inputs, ledger, evidence, policy, zones and code."""
    text = "|".join([inputs_hash, _frame_hash(ledger), _frame_hash(built_up), policy.hash,
                     ",".join(sorted(zones)) if zones is not None else "*", code_fingerprint()])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def scope_of(zones: list[str] | None) -> str:
    return "all" if zones is None else "zones:" + hashlib.sha256(",".join(sorted(zones)).encode()).hexdigest()[:16]


def _encode(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, engine="pyarrow", index=True, compression="zstd")
    return buf.getvalue()


def _parse(data: bytes) -> pa.Table:
    """A kept frame's Parquet bytes as an Arrow table: the part of reading it that leaves Python's
    lock (pyarrow decodes in C++), done where the bytes are fetched (:meth:`StoreCarry.prefetch`)."""
    return pq.read_table(pa.BufferReader(data), use_pandas_metadata=True)


def _to_frame(table: pa.Table) -> pd.DataFrame:
    """The frame of a parsed table, as :func:`pandas.read_parquet` makes it (its own conversion,
    under the same filter of pandas' internal deprecation warning: the frames are identical)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "make_block is deprecated")
        df = arrow_table_to_pandas(table)
    meta = table.schema.metadata or {}
    if b"PANDAS_ATTRS" in meta:
        df.attrs = json.loads(meta[b"PANDAS_ATTRS"])
    return df


class StoreCarry:
    """The :class:`evaluation.pipeline.Carry` of one store and key."""

    def __init__(self, store: Store, key: str, scope: str = "all", *, read: bool = True) -> None:
        self.store, self.key, self.scope, self.read = store, key, scope, read
        self._fetching: dict[str, Future[dict[str, pa.Table] | None]] = {}

    def _fetch(self, name: str) -> dict[str, pa.Table] | None:
        """A part's frames as stored (Parquet), each checked against its SHA-256 and parsed; None
        when the store holds none or one is damaged or does not parse."""
        rows = self.store.get_carry(self.key, name)
        if not rows or any(hashlib.sha256(data).hexdigest() != sha for data, sha in rows.values()):
            return None  # not kept, or damaged: computed again
        try:
            return {frame: _parse(data) for frame, (data, _sha) in rows.items()}
        except Exception:  # noqa: BLE001 - a part that does not parse is computed again
            return None

    def prefetch(self, names: list[str]) -> None:
        """Start reading the parts ``names`` (:func:`evaluation.pipeline.carry_parts`) on a thread of
        their own while the evaluation computes what needs none of them (the year's own parcels):
        the store's reads, the checksums and the Parquet decoding, which leave Python's lock to the
        computing thread. The frames are made from the decoded tables by :meth:`load`, in the
        caller's thread: that conversion changes the process-wide ``warnings`` state (as pandas'
        Parquet reader does), and from a second thread it would disturb the warnings the computing
        thread records."""
        names = [n for n in dict.fromkeys(names) if n not in self._fetching]
        if not self.read or not names:
            return
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="carry-prefetch")
        try:
            for name in names:
                self._fetching[name] = pool.submit(self._fetch, name)
        finally:
            pool.shutdown(wait=False)  # the thread ends after the last part

    def settle(self) -> None:
        """Wait for the parts being read (before the process forks: landuse.services.years_parallel)."""
        wait(list(self._fetching.values()))

    def load(self, name: str) -> dict[str, pd.DataFrame] | None:
        if not self.read:
            return None
        pending = self._fetching.pop(name, None)
        stored = pending.result() if pending is not None else self._fetch(name)
        if not stored:
            return None
        out = {}
        for frame, table in stored.items():
            try:
                out[frame] = _to_frame(table)
            except Exception:  # noqa: BLE001 - a part that does not decode is computed again
                return None
        return out

    def save(self, parts: dict[str, dict[str, pd.DataFrame]]) -> int:
        """Keep ``parts`` (name → frames); returns the number of frames kept."""
        items = []
        for name, frames in parts.items():
            for frame, df in frames.items():
                data = _encode(df)
                items.append((name, frame, data, hashlib.sha256(data).hexdigest()))
        if items:
            self.store.put_carry(self.key, self.scope, items)
        return len(items)
