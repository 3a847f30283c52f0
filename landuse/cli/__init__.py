"""The ``landuse`` command (typer). Help and messages are Chinese first, English after the slash;
``--lang en`` (or ``LANDUSE_LANG=en``) prints messages in English.

Errors are mapped to messages in one place (:class:`LanduseGroup`): a :class:`LanduseError` prints
its message (and, for a refused import, the problem table) and exits 1; nothing prints a traceback.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import Optional

import typer
from typer.core import TyperGroup

from landuse.core.errors import LanduseError, ValidationFailed
from landuse.core.labels import set_lang, t
from landuse.cli.common import HEAP, console, err_console, problem_table


class LanduseGroup(TyperGroup):
    """The command group that maps the product's errors to messages and exit codes."""

    def invoke(self, ctx):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except ValidationFailed as exc:
            errors = [p for p in exc.problems if p.severity == "error"]
            console.print(problem_table(exc.problems))
            for n in getattr(exc, "notes", []):
                console.print(f"[dim]· {n}[/]")
            where = getattr(exc, "report_path", None)
            err_console.print(f"[bold red]{t('错误', 'Error')}:[/] " + t(
                f"发现 {len(errors)} 个错误，未导入任何数据。" + (f"完整清单见 {where}" if where else ""),
                f"{len(errors)} errors found; nothing was imported." + (f" Full list in {where}" if where else "")))
            raise typer.Exit(1) from None
        except LanduseError as exc:
            err_console.print(f"[bold red]{t('错误', 'Error')}:[/] {exc}")
            raise typer.Exit(getattr(exc, "exit_code", 1)) from None


app = typer.Typer(
    cls=LanduseGroup,
    help="开发区土地集约利用与亩均效益评价 / Land-use efficiency GIS for development zones (标准地 / 亩均效益).",
    no_args_is_help=True,
    rich_markup_mode="rich",
    add_completion=False,
)


@app.callback()
def _main(lang: Optional[str] = typer.Option(None, "--lang", help="界面语言 zh|en / message language")) -> None:
    if lang:
        set_lang(lang)


# the commands, one module per family (each registers itself on ``app``)
from landuse.cli import data, demo, evaluation, policy, results, web  # noqa: E402,F401
from landuse.cli import ledger  # noqa: E402,F401


def main() -> None:
    """The ``landuse`` command (its console script and ``python -m landuse.cli``): :data:`app`, then
    the exit. After a command that left a large heap (:func:`~landuse.cli.common.leave_heap`) the
    process ends the way ``clang`` does by default (``-disable-free``): the exit handlers run and
    the output is flushed as at any exit, and the memory goes back to the system whole instead of
    being freed object by object. As at any exit, the threads still running are waited for first
    (daemon threads are not). After every other command, the interpreter's normal exit."""
    try:
        app()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if not HEAP["large"] or run_exit_handlers is None:
        sys.exit(code)
    for thread in threading.enumerate():  # what the interpreter's shutdown does first
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    if code is None:
        code = 0
    elif not isinstance(code, int):  # what sys.exit does with a message
        print(code, file=sys.stderr)
        code = 1
    run_exit_handlers()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
