"""An evaluation on more than one core (``landuse evaluate``): part of the read, several years at once, or a year's grading beside its rules.

A year's results depend on the inputs and on parts of earlier years (the baseline, the previous
year's benchmark population, grades and ranks: :class:`evaluation.pipeline.Prepared`). When those
parts are all kept from an earlier run on the same inputs, policy and code
(:meth:`~evaluation.pipeline.Prepared.preload`), the years are independent: this module forks
worker processes after the inputs are read, each evaluates a share of the years (round robin:
with two processes 2020, 2022, 2024 here and 2021, 2023, 2025 there) and hands each year's results
back through a file in a private temporary folder, announced on a pipe. The parent stores every
year itself, in year order, as before. The results are those of the single-process run (tests).

Forking is used only where it is safe and pays: a POSIX system, called on the main thread (the
command line; a web request's evaluation runs on a worker thread and stays in one process; the
children only compute and never touch the store, the parent's locks or its connections), several years, no ``--as-of``, not a
partition of a distributed run, and memory available for another copy of the working set (each
process keeps its own computations; the inputs are shared copy-on-write). Otherwise, or with
``LANDUSE_EVAL_PROCESSES=1`` / ``--processes 1``, the years run one after the other.

When the years run one after the other (one year; or the earlier years' parts not all kept),
:func:`fork_aside` gives each year a second process for part of its work
(:attr:`evaluation.pipeline.Prepared.aside`): the enterprise grading and the intensive-use survey
are computed in a child forked once the year's figures are there, while the parent applies the
rules that read no grades; the child hands back the grading's columns and the survey's results
through a file and exits. The same conditions hold (main thread, POSIX, two cores, memory,
``--processes 1`` turns it off); the results are those of one process (tests).

Before any of that, :func:`read_aside` lets the store read some input layers in a child forked
before the read starts (``GeoPackageStore.read_inputs_snapshot``): the child reads them in a read
transaction of its own and hands the frames back through a file; they are taken only when both
transactions saw the same recorded states of every layer (else everything is read in one).

Each year's objects are kept out of the garbage collector's passes while the year is evaluated
(:func:`long_lived`); and the ``landuse`` command, once done, ends without freeing its heap object
by object (``landuse.cli.main``).
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from landuse.core.errors import LanduseError
from landuse.core.labels import t


def processes_for(years: list[int], *, zones: list[str] | None, as_of: Any, wanted: int | None) -> int:
    """How many processes an evaluation of ``years`` may use (1: one after the other).
    ``wanted``: the user's choice (``--processes``, ``LANDUSE_EVAL_PROCESSES``); by default up to
    two (the cores of a common office PC; each process adds its own working set)."""
    if zones is not None or as_of is not None or len(years) < 2:
        return 1
    return min(_forkable(wanted), len(years))


def _forkable(wanted: int | None) -> int:
    """How many processes this one may become (1: it must not fork)."""
    if not hasattr(os, "fork") or threading.current_thread() is not threading.main_thread():
        # a web worker's request thread (other threads of a server may hold locks the child would need)
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, int(wanted) if wanted else min(2, cores))


def memory_allows(extra: int) -> bool:
    """Whether the machine has memory for ``extra`` more processes (``MemAvailable`` of /proc/meminfo
    at least twice this process's resident size per child: a child shares the inputs copy-on-write
    but copies what it touches and grows as it computes, about a third of the parent on ``province``);
    False when unknown."""
    try:
        with open("/proc/self/statm") as f:
            rss = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        with open("/proc/meminfo") as f:
            avail = next(int(line.split()[1]) * 1024 for line in f if line.startswith("MemAvailable:"))
    except (OSError, ValueError, StopIteration):
        return False
    return avail >= 2 * extra * rss  # headroom: the children grow as they compute


@contextlib.contextmanager
def long_lived() -> Iterator[None]:
    """The objects that exist now are left out of the collector's passes until the block ends
    (:func:`gc.freeze`; nested blocks keep them out until the outermost ends). An evaluation holds
    millions of objects (the inputs, the year's frames) that live through a year, and its full
    collections over them found nothing to free (five passes, ~0.27 s of a province year); a
    forked child never touches them (their pages stay shared)."""
    nested = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        yield
    finally:
        if not nested:
            gc.unfreeze()


def _fork(work: Callable[[], None], error_file: Callable[[], Path]) -> int:
    """Fork a child that runs ``work`` and exits — 0, or 1 after pickling its exception to
    ``error_file()`` (called in the child) for the parent to raise; the child never returns into the
    caller. Returns the child's pid. The parent's objects are frozen out of the child's collections
    meanwhile (:func:`long_lived`)."""
    sys.stdout.flush()
    sys.stderr.flush()
    with long_lived():
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                work()
            except BaseException as exc:  # noqa: BLE001 - handed to the parent, which raises it
                code = 1
                try:
                    _dump(error_file(), exc)
                except Exception:  # noqa: BLE001 - an exception that cannot be pickled
                    _dump(error_file(), RuntimeError(repr(exc)))
            finally:
                os._exit(code)
        return pid


def _stop(pid: int) -> None:
    """End a child not waited for (the parent failed or was interrupted) and reap it."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)


def _dump(path: Path, value: Any) -> None:
    """Pickle ``value`` to ``path``, which appears whole or not at all."""
    part = path.with_suffix(".part")
    with open(part, "wb") as f:
        pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
    part.rename(path)


def _load(path: Path) -> Any:
    with open(path, "rb") as f:
        return pickle.load(f)


class YearProcesses:
    """Child processes evaluating ``shares`` of the years from ``prepared`` (forked now); the
    parent takes each year's results with :meth:`result` and must :meth:`close` (always)."""

    def __init__(self, prepared: Any, shares: list[list[int]]) -> None:
        from evaluation import evaluate_year

        self.dir = Path(tempfile.mkdtemp(prefix="landuse-years-"))
        self.owner: dict[int, int] = {}
        self.pipes: dict[int, Any] = {}
        self.ready: set[int] = set()
        self.running: set[int] = set()
        for share in shares:
            r, w = os.pipe()

            def work(share: list[int] = share, r: int = r, w: int = w) -> None:  # in the child
                os.close(r)
                prepared.carry = None  # the store's connections are the parent's: nothing read here
                with os.fdopen(w, "w") as say:
                    for y in share:
                        res = evaluate_year(prepared, year=y)
                        _dump(self.dir / f"{y}.pkl", res)
                        say.write(f"{y}\n")
                        say.flush()
                        del res
                        prepared.release(y)

            pid = _fork(work, lambda: self.dir / f"error-{os.getpid()}.pkl")
            os.close(w)
            self.pipes[pid] = os.fdopen(r)
            self.running.add(pid)
            for y in share:
                self.owner[int(y)] = pid

    def result(self, year: int) -> Any:
        """The results of ``year`` (waits for the process evaluating it)."""
        year = int(year)
        pid = self.owner[year]
        while year not in self.ready:
            line = self.pipes[pid].readline()
            if line.strip():
                self.ready.add(int(line))
                continue
            self._reap(pid)  # the pipe closed: the child is done, or failed
            err = self.dir / f"error-{pid}.pkl"
            if err.exists():
                raise _load(err)
            raise LanduseError(t(f"评价 {year} 年的子进程意外退出（可能内存不足）；可用 --processes 1 在一个进程中评价",
                                 f"the process evaluating {year} ended unexpectedly (out of memory?); "
                                 "`--processes 1` evaluates in one process"))
        path = self.dir / f"{year}.pkl"
        res = _load(path)
        path.unlink()
        return res

    def _reap(self, pid: int) -> None:
        if pid in self.running:
            os.waitpid(pid, 0)
            self.running.discard(pid)

    def close(self) -> None:
        """Stop the children still running (the parent failed or was interrupted), remove the files."""
        for pid in list(self.running):
            _stop(pid)
            self.running.discard(pid)
        for f in self.pipes.values():
            f.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class _Forked:
    """:class:`evaluation.pipeline.Pending` of a function run in a forked child, its value handed
    back through a file in a private temporary folder."""

    def __init__(self, fn: Any, in_child: Any) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="landuse-aside-"))

        def work() -> None:
            in_child()
            _dump(self.dir / "value.pkl", fn())

        self.pid: int | None = _fork(work, lambda: self.dir / "error.pkl")

    def result(self) -> Any:
        if self.pid is not None:
            os.waitpid(self.pid, 0)
            self.pid = None
        err, value = self.dir / "error.pkl", self.dir / "value.pkl"
        if err.exists():
            raise _load(err)
        if not value.exists():
            raise LanduseError(t("评价的子进程意外退出（可能内存不足）；可用 --processes 1 在一个进程中评价",
                                 "a process of the evaluation ended unexpectedly (out of memory?); "
                                 "`--processes 1` evaluates in one process"))
        return _load(value)

    def close(self) -> None:
        if self.pid is not None:  # not waited for: the caller failed meanwhile
            _stop(self.pid)
            self.pid = None
        shutil.rmtree(self.dir, ignore_errors=True)


def read_aside(*, wanted: int | None) -> Any:
    """The ``aside`` of :meth:`parcels.store.base.Store.read_inputs_snapshot`: the function runs in
    a child forked before the read starts (no connection of this process is in a transaction then),
    which reads through a connection of its own and hands the frames back through a file. None
    where forking is not safe or does not pay (as :func:`fork_aside`) or memory is short."""
    if _forkable(wanted) < 2 or not memory_allows(1):
        return None
    return lambda fn: _Forked(fn, lambda: None)


def fork_aside(prepared: Any, *, wanted: int | None) -> Any:
    """The :data:`evaluation.pipeline.Aside` of a one-process run of one or more years: a year's
    grading and survey in a forked child while the parent applies the rules that need no grades
    (~1 s of a province year). None (run inline) where forking is not safe or does not pay: off the
    main thread, on one core, with ``--processes 1``; inline too when memory is short. Before each fork the
    carry's reads in flight are waited for; the child reads nothing from the store."""
    if _forkable(wanted) < 2:
        return None

    def in_child() -> None:
        prepared.carry = None  # the store's connections are the parent's

    def aside(fn: Any) -> Any:
        if not memory_allows(1):
            from evaluation.pipeline import inline

            return inline(fn)
        settle = getattr(prepared.carry, "settle", None)
        if settle is not None:
            settle()
        return _Forked(fn, in_child)

    return aside
