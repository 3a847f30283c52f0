"""Write docs/data-package.md from landuse.core.contract (the contract is code; the doc follows it)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from landuse.core.contract import INPUT_LAYERS, OUTPUT_LAYERS  # noqa: E402

HEAD = """# 数据包规范 / The data package

Generated from `landuse/core/contract.py` by `scripts/gen_data_package_doc.py` (a test keeps it in sync).
The contract is docs/data-package.md; this page adds what the product accepts on top of it.

- A package is a folder, a zip of a folder, or one GeoPackage. Each layer is a file, sheet or
  GeoPackage layer named after the layer (English name, or the Chinese name in brackets below).
- Headers: the English column name, the Chinese header (中文表头), the English label, or any alias
  listed (cadastral field codes such as `ZDDM`, Shapefile names cut to 10 characters). A cut name that
  starts exactly one column name is mapped too, and said; an ambiguous one is reported.
- Values: dates `YYYY-MM-DD` (also `YYYY/M/D`, `YYYY年M月D日`, `YYYYMMDD`, Excel dates); yes/no as
  是/否, 1/0, true/false, Y/N; numbers may carry thousands separators. Codes are text.
- Extension columns (not in docs/data-package.md, optional) are marked *ext*.
- `geodesic_area_m2` is computed by the importer (ellipsoidal area on CGCS2000) and never read.

"""


def main() -> None:
    out = [HEAD]
    base = {"zones": 6, "parcels": 20, "enterprises": 4, "enterprise_years": 12, "buildings": 6, "leases": 6,
            "pilot_area_years": 11}
    for group, layers in (("Inputs", INPUT_LAYERS), ("Outputs", OUTPUT_LAYERS)):
        out.append(f"## {group}\n")
        for layer in layers:
            geo = f", {layer.geometry} geometry" + ("" if layer.geometry_required else " (optional)") if layer.geometry else ""
            out.append(f"### `{layer.name}` ({layer.zh}){geo}\n\nKey: {', '.join(layer.key)}\n")
            out.append("| column | 中文表头 | type | required | aliases |\n|---|---|---|---|---|")
            for i, c in enumerate(layer.columns):
                ext = " *ext*" if group == "Inputs" and i >= base.get(layer.name, 99) and c.name not in layer.derived else ""
                req = "yes" if c.required else ""
                if c.name in layer.derived:
                    req = "derived"
                al = ", ".join(f"`{a}`" for a in c.aliases)
                ch = f" ({'/'.join(c.choices)})" if c.choices else ""
                out.append(f"| `{c.name}`{ext} | {c.zh} | {c.kind}{ch} | {req} | {al} |")
            out.append("")
    (ROOT / "docs" / "data-package.md").write_text("\n".join(out), encoding="utf-8")


if __name__ == "__main__":
    main()
