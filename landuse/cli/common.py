"""What the commands share: consoles, opening the store and the policy, progress bars, problem tables."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

from rich.console import Console
from rich.table import Table

from landuse.core.errors import LanduseError, StoreError
from landuse.core.labels import t
from landuse.core.settings import is_postgres_url, resolve_db

console = Console()
err_console = Console(stderr=True)

#: set by a command that leaves a large heap behind (:func:`leave_heap`); read by :func:`landuse.cli.main`
HEAP = {"large": False}


def leave_heap() -> None:
    """Say that this command leaves a large heap (an evaluation: about a gigabyte of objects, ~0.5 s
    to free one by one when the interpreter shuts down): the ``landuse`` process then ends without
    freeing it (:func:`landuse.cli.main`)."""
    HEAP["large"] = True

DB_HELP = "数据库：PostGIS URL 或 GeoPackage 路径（默认 LANDUSE_DATABASE_URL，再默认 ./landuse.gpkg）/ PostGIS URL or GeoPackage path"
POLICY_HELP = "政策文件 TOML（默认随产品提供的政策）/ policy TOML file (default: the shipped policy)"


def open_store(db: str | None, *, create: bool = False):
    """The store ``--db`` names (else LANDUSE_DATABASE_URL, else ./landuse.gpkg). Only ``create``
    (``landuse init`` and ``landuse import``) may make a new GeoPackage: a mistyped path is refused."""
    from parcels.store import open_store as _open

    target = resolve_db(db)
    if not is_postgres_url(target) and not create and not Path(target).exists():
        raise StoreError(t(f"没有找到数据库 {target}（只有 landuse init 或 landuse import 会新建数据库；请检查 --db）",
                           f"no store at {target} (only `landuse init` or `landuse import` create one; check --db)"))
    return _open(target, init=True)


def load_policy(path: Path | None):
    from landuse.core.policy import load_policy as _load

    return _load(path)


def masked(url: str) -> str:
    """A database URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    if not is_postgres_url(url):
        return url
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - never print what we could not parse
        return "postgresql://***"


def parse_date(s: str | None) -> _dt.date | None:
    if not s:
        return None
    try:
        return _dt.date.fromisoformat(s)
    except ValueError:
        raise LanduseError(t(f"日期格式应为 YYYY-MM-DD：{s}", f"date must be YYYY-MM-DD: {s}")) from None


class Steps:
    """A rich progress bar over the steps of a long command; ``say(msg)`` finishes the previous
    step and starts the next one (the message is also logged with its time)."""

    def __init__(self, total: int | None) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        # redrawn twice a second, and only on a terminal: rich's refresh thread draws at 10 Hz by
        # default and, holding Python's lock, took ~5 % of an evaluation's time (py-spy); into a file
        # or a pipe the steps are logged by say() and nothing is redrawn
        self.progress = Progress(TextColumn("[cyan]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=console, transient=False, refresh_per_second=2,
                                 auto_refresh=console.is_terminal)
        self.task = self.progress.add_task("", total=total)
        self.started = False

    def __enter__(self) -> Steps:
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.started:
            self.progress.update(self.task, advance=1)
        t_ = self.progress.tasks[0]
        if t_.total is not None and t_.completed < t_.total:
            self.progress.update(self.task, completed=t_.total)
        self.progress.stop()

    def say(self, msg: str) -> None:
        if self.started:
            self.progress.update(self.task, advance=1)
        self.started = True
        self.progress.update(self.task, description=msg)
        self.progress.console.log(msg)


def problem_table(problems, limit: int = 60) -> Table:
    tab = Table(title=t("数据问题", "Data problems"), show_lines=False)
    for h in (t("级别", "severity"), t("文件", "file"), t("图层", "layer"), t("行", "row"), t("字段", "column"),
              t("值", "value"), t("应为", "expected")):
        tab.add_column(h, overflow="fold")
    for p in problems[:limit]:
        sev = f"[red]{t('错误', 'error')}[/]" if p.severity == "error" else f"[yellow]{t('警告', 'warning')}[/]"
        tab.add_row(sev, p.file, p.layer, "" if p.row is None else str(p.row), p.column or "",
                    "" if p.value is None else str(p.value)[:60], p.expected)
    if len(problems) > limit:
        tab.caption = t(f"另有 {len(problems) - limit} 条，见问题清单文件", f"{len(problems) - limit} more in the problem file")
    return tab


def warn_stale(store, year: int | None) -> None:
    """Say so on the terminal when the results read for ``year`` predate the inputs now in the store."""
    from landuse.core.labels import STALE_RESULTS, pick
    from landuse.services.results import is_stale

    if year is not None and is_stale(store, int(year)):
        console.print(f"[yellow]{pick(STALE_RESULTS)}[/]")
