"""How the ``landuse`` process ends (landuse.cli.main): after a command that leaves a large heap
(``evaluate``) the threads still running are waited for, the exit handlers run, the output is flushed
and the exit code kept, and the process ends without freeing the heap object by object
(``os._exit``); after any other command, the interpreter's normal exit."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest

from landuse.services.years_parallel import long_lived
from tests.pkgkit import evaluated_sample

ROOT = Path(__file__).resolve().parents[1]

# the command as its console script runs it, with os._exit noted (in this process, not in its
# forked children) and an exit handler of its own
SCRIPT = """
import atexit, os, sys, threading
MAIN = os.getpid()
real = os._exit
def noted(code):
    if os.getpid() == MAIN:
        sys.stderr.write(f"quick exit {code}\\n")
        sys.stderr.flush()
    real(code)
os._exit = noted
atexit.register(lambda: print("handler ran", flush=True))
if os.environ.get("EXTRA_THREAD"):  # a thread still at work when the command is done
    import time
    def late():
        time.sleep(float(os.environ["EXTRA_THREAD"]))
        print("thread done", flush=True)
    threading.Thread(target=late, daemon=bool(os.environ.get("DAEMON"))).start()
from landuse.cli import main
sys.argv = ["landuse"] + sys.argv[1:]
main()
"""


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = evaluated_sample(tmp_path_factory.mktemp("exit"), years=[2024, 2025])
    s.close()
    return s.path


def _run(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", SCRIPT, *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "LANDUSE_LANG": "en", **env}, timeout=300)


def test_evaluate_ends_quickly_after_its_handlers_and_output(store):
    r = _run("evaluate", "--db", str(store), "--year", "2025")
    assert r.returncode == 0, r.stderr
    assert "stored results for 1 year(s)" in r.stdout  # the last lines are there: flushed
    assert r.stdout.rstrip().endswith("handler ran")  # the exit handlers ran, after the output
    assert r.stderr.splitlines()[-1] == "quick exit 0"


def test_a_failed_evaluate_keeps_its_code_and_message(store, tmp_path):
    r = _run("evaluate", "--db", str(store), "--year", "2019")  # read, then refused: no figures of 2019
    assert r.returncode == 1
    assert "Error" in r.stderr and "2019" in r.stderr
    assert "handler ran" in r.stdout
    assert r.stderr.splitlines()[-1] == "quick exit 1"


def test_other_commands_exit_normally(store):
    r = _run("results", "list", "--db", str(store))
    assert r.returncode == 0, r.stderr
    assert "handler ran" in r.stdout and "quick exit" not in r.stderr


def test_a_thread_still_at_work_is_waited_for_a_daemon_thread_is_not(store):
    r = _run("evaluate", "--db", str(store), "--year", "2025", EXTRA_THREAD="12")
    assert r.returncode == 0, r.stderr
    # the thread's line before the exit handlers' (the evaluation takes less than 12 s here)
    assert r.stdout.splitlines()[-2:] == ["thread done", "handler ran"], r.stdout
    assert r.stderr.splitlines()[-1] == "quick exit 0"
    r = _run("evaluate", "--db", str(store), "--year", "2025", EXTRA_THREAD="600", DAEMON="1")
    assert r.returncode == 0, r.stderr
    assert "thread done" not in r.stdout and r.stdout.rstrip().endswith("handler ran")
    assert r.stderr.splitlines()[-1] == "quick exit 0"


def test_long_lived_nests():
    """``long_lived`` keeps what exists out of the collector until the outermost block ends (a fork
    inside a year's block leaves the year's objects out until the year ends)."""
    assert gc.get_freeze_count() == 0
    keep = [[] for _ in range(1000)]
    with long_lived():
        outer = gc.get_freeze_count()
        assert outer >= len(keep)
        more = [[] for _ in range(1000)]
        with long_lived():
            assert gc.get_freeze_count() >= outer + len(more)
        assert gc.get_freeze_count() >= outer + len(more)  # still out: the outer block goes on
    assert gc.get_freeze_count() == 0
