"""Peak memory of importing a large ``enterprise_years.csv`` (~200 MB by default).

    python scripts/measure_import_memory.py [--mb 200] [--phase read|validate|import] [--keep DIR]

Generates a CSV of ``enterprise_years`` (every column of the contract, ~2.4 million rows for 200 MB)
for enterprises the store already holds, then runs each phase in a fresh child process so that its
peak resident memory (max RSS) is its own, and prints the figures:

- read: ``parcels.io.read_package`` (the file's text cells)
- validate: read and ``parcels.validate.validate_package`` (typed frame, every check)
- import: ``landuse import`` into a GeoPackage holding the enterprises (read, validate, write)

Run it with another checkout first on ``PYTHONPATH`` to compare versions (before/after). Not a unit
test: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _uscc(i: int) -> str:
    from stdnum.cn import uscc

    body = ("91360700MA" + f"{i:07d}")[:17]
    return body + uscc.calc_check_digit(body)


def generate(folder: Path, mb: float) -> tuple[Path, int]:
    """enterprises.csv + enterprise_years.csv of about ``mb`` megabytes; returns (folder, rows)."""
    import numpy as np
    import pandas as pd

    folder.mkdir(parents=True, exist_ok=True)
    years = list(range(2000, 2026))
    row_bytes = 85  # measured on the generated rows
    n_ent = max(1, int(mb * 1e6 / row_bytes / len(years)))
    codes = [_uscc(i) for i in range(n_ent)]
    pd.DataFrame({"uscc": codes, "name": [f"企业{i:07d}有限公司" for i in range(n_ent)], "industry_code": "C39",
                  "above_scale": True}).to_csv(folder / "enterprises.csv", index=False)
    rng = np.random.default_rng(1)
    out = folder / "enterprise_years.csv"
    rows = 0
    with open(out, "w", encoding="utf-8") as fh:
        fh.write("uscc,year,revenue_wan,tax_wan,value_added_wan,energy_tce,emission_t,rd_expense_wan,employees,"
                 "fixed_asset_investment_wan,electricity_mwh,has_rd_institution\n")
        for y in years:
            n = n_ent
            df = pd.DataFrame({
                "uscc": codes, "year": y,
                "revenue_wan": rng.gamma(2.0, 3000.0, n).round(2), "tax_wan": rng.gamma(2.0, 150.0, n).round(2),
                "value_added_wan": rng.gamma(2.0, 800.0, n).round(2), "energy_tce": rng.gamma(2.0, 500.0, n).round(1),
                "emission_t": rng.gamma(2.0, 20.0, n).round(1), "rd_expense_wan": rng.gamma(2.0, 60.0, n).round(2),
                "employees": rng.integers(5, 2000, n), "fixed_asset_investment_wan": rng.gamma(2.0, 2000.0, n).round(2),
                "electricity_mwh": rng.gamma(2.0, 900.0, n).round(1), "has_rd_institution": rng.integers(0, 2, n)})
            df.to_csv(fh, header=False, index=False)
            rows += n
    return folder, rows


def child(phase: str, pkg: str, db: str) -> None:
    t0 = time.perf_counter()
    from parcels.io import read_package

    if phase == "read":  # large files are streamed: reading keeps their header only
        read = read_package(Path(pkg))
        raw = read.layers["enterprise_years"]
        n = sum(len(c) for c in raw.chunks()) if getattr(raw, "chunks", None) else len(raw.frame)
    elif phase == "validate":
        from parcels.validate import validate_package

        read = read_package(Path(pkg))
        typed, problems = validate_package(read)
        assert not [p for p in problems if p.severity == "error"], problems[:5]
        n = len(typed["enterprise_years"])
    else:
        from landuse.core.policy import default_policy
        from landuse.services.imports import run_import
        from parcels.store import open_store

        store = open_store(db, init=True)
        t0 = time.perf_counter()
        rep = run_import(Path(pkg) / "enterprise_years.csv", store, policy=default_policy())
        n = sum(c.inserted + c.updated + c.unchanged for c in rep.changes)
    print(json.dumps({"phase": phase, "rows": n, "seconds": round(time.perf_counter() - t0, 1),
                      "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=200.0)
    ap.add_argument("--phase", action="append", choices=["read", "validate", "import"])
    ap.add_argument("--keep", type=Path, help="folder for the generated package (reused when present)")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(*a.child)
        return
    phases = a.phase or ["read", "validate", "import"]
    with tempfile.TemporaryDirectory(prefix="landuse-mem-") as tmp:
        folder = a.keep or Path(tmp) / "pkg"
        if not (folder / "enterprise_years.csv").exists():
            generate(folder, a.mb)
        size = (folder / "enterprise_years.csv").stat().st_size / 1e6
        print(f"enterprise_years.csv: {size:.0f} MB; code: {os.environ.get('PYTHONPATH', ROOT)}")
        env = {**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT))}
        for phase in phases:
            db = str(Path(tmp) / f"{phase}.gpkg")
            if phase == "import":  # the store holds the enterprises first
                subprocess.run([sys.executable, "-c", "import sys; from landuse.core.policy import default_policy;"
                                "from landuse.services.imports import run_import; from parcels.store import open_store;"
                                "run_import(sys.argv[1], open_store(sys.argv[2], init=True), policy=default_policy())",
                                str(folder / "enterprises.csv"), db], check=True, env=env)
            r = subprocess.run([sys.executable, __file__, "--child", phase, str(folder), db], capture_output=True,
                               text=True, env=env)
            if r.returncode:
                print(f"{phase}: failed\n{r.stderr[-2000:]}")
                continue
            print(r.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
