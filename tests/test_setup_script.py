"""scripts/setup installs what each use needs: the demo gets a CJK font and the product, never a
database server or a browser; the test mode (scripts/test, CI) gets everything. Run against stub
commands (apt-get, fc-list, id, a fake .venv) in a copy of the script."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(tmp_path: Path, *args: str) -> list[str]:
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "setup", repo / "scripts" / "setup")
    (repo / "pyproject.toml").write_text("[project]\nname='x'\n")
    venv = repo / ".venv" / "bin"
    venv.mkdir(parents=True)
    log = tmp_path / "calls.log"
    stubs = tmp_path / "bin"
    stubs.mkdir()

    def stub(name: str, body: str) -> None:
        p = stubs / name
        p.write_text(f"#!/bin/bash\n{body}\n")
        p.chmod(0o755)

    stub("apt-get", f'echo "apt-get $*" >> {log}')
    stub("fc-list", "exit 0")  # no CJK font
    stub("id", "echo 0")
    (venv / "python").write_text(f'#!/bin/bash\necho "pip $*" >> {log}\n')
    (venv / "python").chmod(0o755)
    for tool in ("bash", "grep", "sha256sum", "cut", "touch", "dirname", "cat", "echo"):
        src = shutil.which(tool)
        if src and not (stubs / tool).exists():
            os.symlink(src, stubs / tool)
    env = {"PATH": str(stubs), "HOME": str(tmp_path)}
    r = subprocess.run(["bash", str(repo / "scripts" / "setup"), *args], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return log.read_text().splitlines()


def test_demo_installs_no_database_server_and_no_browser(tmp_path):
    calls = _run(tmp_path, "--demo")
    apt = [c for c in calls if c.startswith("apt-get install")]
    assert apt == ["apt-get install -y -qq fonts-wqy-microhei"], calls
    assert any(c.startswith("pip -m pip install -q -e .") and "[test]" not in c for c in calls), calls


def test_test_mode_installs_everything(tmp_path):
    calls = _run(tmp_path)
    apt = next(c for c in calls if c.startswith("apt-get install")).split()
    # checked through the stubbed PATH: asked for since the stubs have none of them
    for pkg in ("fonts-wqy-microhei", "chromium", "poppler-utils"):
        assert pkg in apt, apt
    # checked at fixed paths of this machine: asked for unless installed here
    pg = Path("/usr/lib/postgresql/15/bin/initdb").exists() and Path("/usr/share/postgresql/15/extension/postgis.control").exists()
    assert pg or {"postgresql-15", "postgresql-15-postgis-3"} <= set(apt), apt
    qgis = subprocess.run(["/usr/bin/python3", "-c", "import qgis.core"], capture_output=True).returncode == 0
    assert qgis or {"python3-qgis", "qgis-providers"} <= set(apt), apt
    assert any("-e .[test,cluster]" in c for c in calls), calls


def test_demo_script_uses_the_demo_mode():
    assert "scripts/setup --demo" in (ROOT / "scripts" / "demo").read_text()
    assert "scripts/setup\n" in (ROOT / "scripts" / "test").read_text()
