"""Write docs/data-package.md from landuse.core.contract (the contract is code; the doc follows it)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from landuse.core.contract import DISPOSALS, INPUT_LAYERS, OUTPUT_LAYERS  # noqa: E402

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
- Whole-province rows of `pilot_area_years` and `pilot_area_results`: code `PROVINCE` in a store of one
  province. A national store holds several provinces side by side, each under its own code
  `PROVINCE-<2-digit province code>` (`PROVINCE-36`): a province's evaluation reads its own row
  (else a plain `PROVINCE` row), and a partitioned (cluster) run stores each province's whole-province
  results row under its own code, shown as 全省（36）/ province (36).

### The intensive-use survey (`land_survey`, `zone_years`) as bureaus hold it

- Formats: a Shapefile (GBK or UTF-8, with or without .prj; a folder `land_survey/` may hold one file
  per zone or year), a GeoPackage layer, or an ESRI File Geodatabase (a `.gdb` folder, zipped or not,
  read with GDAL's OpenFileGDB driver); every layer or file named `land_survey…` is read, each with its
  own encoding and CRS. The year may be a column (`survey_year`, `survey_yea` in a Shapefile) or, as in
  the national database, only in the layer or file name (then taken from it, and said).
- National field codes are aliases (TBBH, DLDM, DLMJ, GYDM, GYSJ, KFQPJFW, JZMJ, JZJDMJ, TDSYZ, QS,
  KFQDM; for `zone_years` KFQDM, KFQPJFW, GDZCTZZE, GYZSR, GYSSZE, ESCYSSZE, CZRK, SPTDZMJ, KFQPJMJ).
- Land classes: A/B/C codes of the 开发区土地利用现状分类 (case and full-width folded); an unlisted
  A-, B- or C-code counts in its group with a warning (A21 in A2); any other code is refused. Supply
  types D/E/F likewise (an unknown one is a warning and counts as not recorded).
- 供应时间 (GYSJ): `YYYYMM`, `YYYY-MM`, `YYYY-M`, `YYYY` (read as the first day of the month or year)
  or a full date; 历史形成, blank and 0 are "not recorded"; anything else is a warning and left empty.
- 评价范围 (KFQPJFW) absent or empty: 主区 (the 2012 national schema), and said.
- Units, decided per file and zone and said: DLMJ is hectares on the national form (checked against
  the polygons' planar area in their Gauss-Krüger zone; m² or 亩 detected); a missing DLMJ is the planar
  area in the local GK zone. JZMJ / JZJDMJ: hectares on the national form, m² in many zones — Σ JZMJ /
  Σ DLMJ on built land is a floor-area ratio, so ≈ 5 000 means m² against ha; when no unit gives a
  plausible ratio the column is left empty for that zone (the indicators using it stay empty).
  `zone_years` money in 元 instead of 万元 is detected against the survey's land (investment per
  hectare of A2 near 8 984 万元/公顷). `landuse import --units COLUMN[@ZONE]=ha|m2|mu|yuan|wan` decides
  instead. Recorded areas are stored as recorded (× 10 000 to m²), never recomputed.
- Coordinates: Xian 1980 and Beijing 1954 Gauss-Krüger (3° and 6°, with or without zone prefix) from a
  .prj or `--assume-crs` (an EPSG code, a WKT, or a datum: `xian1980`, `beijing1954`, `cgcs2000`, with
  the central meridian for 6-digit eastings, e.g. `xian1980:114`). The eastings' prefix decides the
  zone against a declared one (reported; `--keep-declared-zone` keeps the declared one). Without the
  official grid or seven parameters the datum change keeps latitude and longitude (metres to tens of
  metres off; said on import); `--towgs84 dx,dy,dz,rx,ry,rz,s` applies a seven-parameter set.

"""


def main() -> None:
    out = [HEAD]
    base = {"zones": 6, "parcels": 20, "enterprises": 4, "enterprise_years": 12, "buildings": 6, "leases": 6,
            "pilot_area_years": 11, "disposals": 11}
    for group, layers in (("Inputs", INPUT_LAYERS), ("Outputs", OUTPUT_LAYERS), ("The disposal ledger", (DISPOSALS,))):
        out.append(f"## {group}\n")
        for layer in layers:
            geo = f", {layer.geometry} geometry" + ("" if layer.geometry_required else " (optional)") if layer.geometry else ""
            out.append(f"### `{layer.name}` ({layer.zh}){geo}\n\nKey: {', '.join(layer.key)}\n")
            if layer.name == "disposals":
                out.append("Kept in the store and edited in the product (docs/ledger.md); a table of this shape loads "
                           "with `landuse ledger import FILE.csv`. `revision` is the product's (optimistic "
                           "concurrency), never read from a file.\n")
            out.append("| column | 中文表头 | type | required | aliases |\n|---|---|---|---|---|")
            for i, c in enumerate(layer.columns):
                ext = " *ext*" if group != "Outputs" and i >= base.get(layer.name, 99) and c.name not in layer.derived else ""
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
