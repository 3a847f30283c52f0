"""Charts of the evaluator's report as inline SVG (matplotlib, Agg), black-and-white friendly.

Text stays text (``svg.fonttype = 'none'``) with a CJK font stack, so the page is small, its text
selectable and printed sharp; the browser picks the first installed font of the stack. Each SVG
is stripped of its XML prolog, DOCTYPE, metadata and namespace declarations (inline SVG in HTML
needs none), so the page holds no URL at all; element ids get a per-chart prefix so that several
charts can share one page.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import re
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from landuse.core.labels import t as _t
from landuse.core.contract import province_mask
from landuse.reports.data import component_label

CJK_FONTS = ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "SimHei",
             "PingFang SC", "DejaVu Sans"]
CSS_FONT_STACK = ", ".join(f"'{f}'" for f in CJK_FONTS) + ", sans-serif"

RC = {
    "font.family": "sans-serif",
    "font.sans-serif": CJK_FONTS,
    "axes.unicode_minus": False,
    "svg.fonttype": "none",
    "svg.hashsalt": "landuse-report",
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
}

#: where Debian, Windows and macOS keep CJK fonts (files matplotlib may not have in its font cache: the
#: cache is built once, and a font installed after it is unknown until registered)
FONT_GLOBS = ("/usr/share/fonts/**/wqy-microhei*.tt[cf]", "/usr/share/fonts/**/wqy-zenhei*.tt[cf]",
              "/usr/share/fonts/**/NotoSansCJK*.tt[cf]", "/usr/share/fonts/**/NotoSansSC*.[ot]tf",
              "/usr/share/fonts/**/SourceHanSans*.[ot]t[cf]", "~/.local/share/fonts/**/*CJK*.tt[cf]",
              "C:/Windows/Fonts/msyh.tt[cf]", "C:/Windows/Fonts/simhei.ttf", "/System/Library/Fonts/PingFang.ttc")
_font: dict[str, str | None] = {}
_log = logging.getLogger(__name__)


def cjk_font() -> str | None:
    """The CJK font the charts use: one of :data:`CJK_FONTS` that matplotlib knows, registered
    explicitly from its file when matplotlib's font cache predates the font (else every Chinese
    character logs a "Glyph missing" warning). None when no CJK font is installed (said once)."""
    if "name" in _font:
        return _font["name"]
    import glob
    import os

    from matplotlib import font_manager

    def known() -> str | None:
        names = {f.name for f in font_manager.fontManager.ttflist}
        return next((n for n in CJK_FONTS[:-1] if n in names), None)

    name = known()
    if name is None:
        for pattern in FONT_GLOBS:
            for path in sorted(glob.glob(os.path.expanduser(pattern), recursive=True)):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
            name = known()
            if name:
                break
    if name is None:
        _log.warning("没有找到中文字体，图表中的中文无法显示；请安装 fonts-wqy-microhei / no CJK font found: "
                     "install fonts-wqy-microhei for the charts' Chinese text")
    _font["name"] = name
    return name


@contextlib.contextmanager
def chart_context():
    """matplotlib settings of the charts, with the CJK font first; glyph warnings never reach the
    console (a missing font is said once by :func:`cjk_font`)."""
    name = cjk_font()
    rc = dict(RC, **{"font.sans-serif": ([name] if name else []) + CJK_FONTS})
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from", category=UserWarning)
        warnings.filterwarnings("ignore", message=r"findfont: Font family", category=UserWarning)
        with plt.rc_context(rc):
            yield


GREYS = ["#1a1a1a", "#5a5a5a", "#8c8c8c", "#bdbdbd", "#e0e0e0"]
HATCHES = ["", "///", "...", "xxx", "\\\\\\"]
_counter = {"n": 0}



def to_svg(fig) -> str:
    """The figure as inline SVG (no prolog, no namespaces, unique ids); closes the figure."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight",
                metadata={"Creator": None, "Date": None, "Format": None, "Type": None})
    plt.close(fig)
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg, count=3)
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.DOTALL)
    _counter["n"] += 1
    pre = f"c{_counter['n']}_"
    ids = set(re.findall(r'id="([^"]+)"', svg))
    for i in sorted(ids, key=len, reverse=True):
        svg = svg.replace(f'id="{i}"', f'id="{pre}{i}"').replace(f"#{i})", f"#{pre}{i})").replace(
            f'"#{i}"', f'"#{pre}{i}"')
    # the CJK font stack, so that any PC with a Chinese font shows the text
    svg = re.sub(r"font-family: ?[^;\"]+", f"font-family: {CSS_FONT_STACK}", svg)
    # scale with the page (print and narrow screens)
    svg = re.sub(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"',
                 lambda m: f'<svg class="chart" width="{m.group(1)}pt" height="{m.group(2)}pt" '
                           f'style="max-width:100%;height:auto"', svg, count=1)
    return svg


def _num(s) -> pd.Series:
    return pd.to_numeric(s, errors="coerce").astype("float64")


def trajectories(history: pd.DataFrame, *, key: str, name_col: str, policy, year: int, lang: str = "zh",
                 ncols: int = 4, names: dict[str, str] | None = None) -> str:
    """Small multiples: per-mu revenue of each unit by year (solid) against its +15 % path (dashed)."""
    from evaluation.growth import expected_path

    g = policy.growth
    h = history[~province_mask(history[key])].copy()
    h["year"] = _num(h["year"])
    codes = sorted(h[key].dropna().unique())
    if not codes:
        return ""
    n = len(codes)
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    with chart_context():
        fig, axes = plt.subplots(nrows, ncols, figsize=(1.95 * ncols + 0.3, 1.75 * nrows + 0.5), squeeze=False)
        path_years = np.arange(g.baseline_year, max(g.target_year, year) + 1)
        for ax, code in zip(axes.flat, codes, strict=False):
            rows = h[h[key] == code].sort_values("year")
            cur = rows[rows["year"] == year]
            base = _num(cur["baseline_revenue_per_mu"]).iloc[0] if len(cur) else np.nan
            if np.isnan(base):
                b = rows[rows["year"] == g.baseline_year]
                base = _num(b["revenue_per_mu"]).iloc[0] if len(b) else np.nan
            if not np.isnan(base):
                py = path_years[path_years <= g.target_year]
                vals = [float(expected_path(pd.Series([base]), year=int(y), baseline_year=g.baseline_year,
                                            target_year=g.target_year, target_growth=g.target_growth,
                                            path=g.path).iloc[0]) for y in py]
                ax.plot(py, vals, linestyle=(0, (4, 2)), color="#555555", linewidth=1.0,
                        label=_t(f"+{g.target_growth:.0%} 路径", f"+{g.target_growth:.0%} path", lang))
                ax.plot([g.target_year], [vals[-1]], marker="^", color="#555555", markersize=4, linestyle="none")
            ax.plot(rows["year"], _num(rows["revenue_per_mu"]), marker="o", markersize=3, color="#000000",
                    linewidth=1.4, label=_t("实际", "actual", lang))
            met = cur["goal_met"].iloc[0] if len(cur) and "goal_met" in cur.columns else pd.NA
            gr = _num(cur["growth"]).iloc[0] if len(cur) else np.nan
            nm = (names or {}).get(code) or (str(rows[name_col].dropna().iloc[-1]) if rows[name_col].notna().any() else "")
            ax.set_title(f"{code} {nm}"[:22], fontsize=7.5, loc="left")
            if not np.isnan(gr):
                mark = (_t("达标", "met", lang) if bool(met) else _t("未达标", "not met", lang)) if not pd.isna(met) else ""
                ax.text(0.98, 0.04, f"{gr:+.1%} {mark}", transform=ax.transAxes, ha="right", va="bottom", fontsize=7.5,
                        bbox={"boxstyle": "square,pad=0.15", "facecolor": "black" if (not pd.isna(met) and bool(met))
                              else "white", "edgecolor": "black", "linewidth": 0.5},
                        color="white" if (not pd.isna(met) and bool(met)) else "black")
            ax.set_xticks(path_years[:: max(1, len(path_years) // 3)])
            ax.tick_params(length=2)
            ax.grid(axis="y", color="#dddddd", linewidth=0.5)
            ymin, ymax = ax.get_ylim()
            ax.set_ylim(max(0, ymin - (ymax - ymin) * 0.25), ymax)
        for ax in list(axes.flat)[n:]:
            ax.axis("off")
        handles, labels_ = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, labels_, loc="upper right", ncol=2, frameon=False)
        fig.supylabel(_t("亩均营业收入(万元/亩)", "revenue per mu (万元/亩)", lang), fontsize=8)
        fig.tight_layout(rect=(0, 0, 1, 0.97 if nrows > 1 else 0.92))
        return to_svg(fig)


def occupancy(zones: pd.DataFrame, *, target: float, lang: str = "zh", names: dict[str, str] | None = None) -> str:
    """Horizontal bars: occupancy (floor area) of each zone against the target line."""
    z = zones.copy()
    z["occ"] = _num(z["occupancy_rate"])
    z = z.sort_values(["occ", "zone_code"], ascending=[True, True], na_position="first")
    n = len(z)
    if n == 0:
        return ""
    with chart_context():
        fig, ax = plt.subplots(figsize=(7.0, 0.28 * n + 0.9))
        y = np.arange(n)
        occ = z["occ"].fillna(0.0).to_numpy()
        met = occ >= target - 1e-12
        ax.barh(y[met], occ[met], color="#4d4d4d", edgecolor="black", linewidth=0.6,
                label=_t(f"达标 (≥{target:.0%})", f"met (≥ {target:.0%})", lang))
        ax.barh(y[~met], occ[~met], color="white", edgecolor="black", hatch="////", linewidth=0.6,
                label=_t("未达标", "not met", lang))
        ax.axvline(target, color="black", linestyle=(0, (4, 2)), linewidth=1.2)
        ax.set_ylim(-0.6, n + 0.4)
        ax.text(target, n - 0.35, f" {_t('目标', 'target', lang)} {target:.0%}", va="bottom", fontsize=8)
        for yi, v, raw in zip(y, occ, z["occ"], strict=True):
            ax.text(v + 0.01, yi, "—" if np.isnan(raw) else f"{raw:.1%}", va="center", fontsize=7)
        labels_ = [f"{c} {(names or {}).get(c, nm) or ''}" for c, nm in zip(z["zone_code"], z["zone_name"], strict=True)]
        ax.set_yticks(y, labels_)
        ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        ax.set_xlabel(_t("标准厂房入驻率(按建筑面积)", "occupancy of standard factories (floor area)", lang))
        ax.legend(loc="lower right", frameon=True, framealpha=1)
        ax.set_xlim(0, 1.18)
        fig.tight_layout()
        return to_svg(fig)


def score_breakdown(parts: pd.DataFrame, weights: pd.Series, *, policy, key: str = "zone_code",
                    name_col: str = "zone_name", lang: str = "zh") -> str:
    """Stacked horizontal bars of the weighted components (points) of each unit's composite score."""
    comps = [c for c in weights.index if weights[c] > 0 and f"w_{c}" in parts.columns]
    p = parts.copy()
    p["_s"] = _num(p["stored_score"] if "stored_score" in p.columns else p["score"])
    p = p.sort_values(["_s", key], ascending=[True, True], na_position="first")
    n = len(p)
    if n == 0 or not comps:
        return ""
    with chart_context():
        fig, ax = plt.subplots(figsize=(7.0, 0.3 * n + 1.3))
        y = np.arange(n)
        left = np.zeros(n)
        for i, c in enumerate(comps):
            v = _num(p[f"w_{c}"]).fillna(0.0).to_numpy()
            ax.barh(y, v, left=left, color=GREYS[i % len(GREYS)] if i else "#333333", hatch=HATCHES[i % len(HATCHES)],
                    edgecolor="black", linewidth=0.5,
                    label=f"{component_label(policy, c, lang)} ({weights[c]:.0%})")
            left += v
        for yi, s in zip(y, p["_s"], strict=True):
            if not np.isnan(s):
                ax.text(s + 0.8, yi, f"{s:.1f}", va="center", fontsize=7)
        ax.set_yticks(y, [f"{c} {nm or ''}" for c, nm in zip(p[key], p[name_col].fillna(""), strict=True)])
        ax.set_xlim(0, 108)
        ax.set_xlabel(_t("综合得分(分) = 各组成部分得分之和", "composite score (points) = sum of the parts", lang))
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
        fig.tight_layout()
        return to_svg(fig)


def grades(enterprises: pd.DataFrame, *, lang: str = "zh", names: dict[str, str] | None = None) -> str:
    """Stacked bars: graded enterprises of each zone by grade (A–D)."""
    e = enterprises[enterprises["grade"].isin(["A", "B", "C", "D"])]
    if e.empty:
        return ""
    tab = e.groupby(["zone_code", "grade"]).size().unstack(fill_value=0).reindex(columns=["A", "B", "C", "D"], fill_value=0)
    tab = tab.sort_index(ascending=False)
    n = len(tab)
    with chart_context():
        fig, ax = plt.subplots(figsize=(7.0, 0.28 * n + 1.0))
        y = np.arange(n)
        left = np.zeros(n)
        fills = ["#1a1a1a", "#8c8c8c", "#d9d9d9", "white"]
        hatches = ["", "", "...", "xxxx"]
        for i, gname in enumerate(["A", "B", "C", "D"]):
            v = tab[gname].to_numpy(dtype=float)
            ax.barh(y, v, left=left, color=fills[i], hatch=hatches[i], edgecolor="black", linewidth=0.5,
                    label=_t(f"{gname} 类", f"grade {gname}", lang))
            left += v
        for yi, tot in zip(y, left, strict=True):
            ax.text(tot + 0.3, yi, f"{int(tot)}", va="center", fontsize=7)
        ax.set_yticks(y, [f"{c} {(names or {}).get(c, '')}" for c in tab.index])
        ax.set_xlabel(_t("参评企业数(家)", "graded enterprises", lang))
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=4, frameon=False)
        ax.set_xlim(0, left.max() * 1.12 + 1)
        fig.tight_layout()
        return to_svg(fig)
