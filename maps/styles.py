"""Pure styling: values → classes (mapclassify, scheme from the policy) → colours → legend.

No folium, no IO. Every function returns a :class:`Styled`: one class index per feature (always valid:
missing values get the last, grey class), the colour of each class and the legend (Chinese or
English). The map builder ships the class indexes and colours to the page; the legend is drawn from
``Styled.legend``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import mapclassify
import numpy as np
import pandas as pd

from landuse.core.labels import MAP_TEXT, STAGE_LABELS
from landuse.core.labels import stage_label as _stage_label
from landuse.core.policy.maps import HATCHES, MapsPolicy

#: defaults of the policy's palettes (``[maps]`` in the policy file is the source; these mirror it)
_DEFAULT = MapsPolicy()
MISSING_COLOR = _DEFAULT.missing_color
#: data-driven schemes classify at most this many values (evenly spaced order statistics)
SAMPLE = 5000

TEXT: dict[str, dict[str, str]] = MAP_TEXT

#: the colour of each life-cycle stage (the words are ``landuse.core.labels.STAGE_LABELS``)
STAGE_COLOURS: dict[str, str] = dict(_DEFAULT.stage_colors)
#: (code, Chinese, English, colour) per stage, in life-cycle order
STAGES: tuple[tuple[str, str, str, str], ...] = tuple(
    (k, STAGE_LABELS[k][0], STAGE_LABELS[k][1], c) for k, c in STAGE_COLOURS.items())

GRADES: tuple[tuple[str, str], ...] = tuple(_DEFAULT.grade_colors.items())
#: other codes a stage column may hold get these neutral colours
_EXTRA = ["#bababa", "#878787", "#e0e0e0", "#4d4d4d"]


def stages(maps: MapsPolicy | None = None) -> tuple[tuple[str, str, str, str], ...]:
    """(code, Chinese, English, colour) per stage in life-cycle order, colours from the policy."""
    cols = (maps or _DEFAULT).stage_colors
    return tuple((k, STAGE_LABELS[k][0], STAGE_LABELS[k][1], cols.get(k, MISSING_COLOR)) for k in STAGE_LABELS)


@dataclass(frozen=True)
class LegendEntry:
    color: str
    label: str
    #: how the swatch is drawn besides its fill: "" (plain), "dashed" (dashed outline), or a hatch name
    style: str = ""


@dataclass(frozen=True)
class Legend:
    title: str
    entries: tuple[LegendEntry, ...]

    def as_dict(self) -> dict:
        return {"title": self.title, "entries": [[e.color, e.label, e.style] if e.style else [e.color, e.label]
                                                  for e in self.entries]}


@dataclass(frozen=True)
class Styled:
    """Class index per feature (int16, 0..len(colors)-1), colour per class, legend."""

    classes: np.ndarray
    colors: tuple[str, ...]
    legend: Legend
    #: class indexes drawn with a dashed outline (land not yet developed)
    dashed: tuple[int, ...] = ()
    #: upper class bounds of a numeric style (the last may be ``inf``: an open top class)
    bounds: tuple[float, ...] = ()


def _t(lang: str) -> dict[str, str]:
    return TEXT["en" if lang == "en" else "zh"]


def fmt_number(x: float) -> str:
    """Display rounding for class bounds: integers from 100 up, one decimal below, two below 1."""
    if not math.isfinite(x):
        return ""
    ax = abs(x)
    if ax >= 100:
        return f"{x:,.0f}"
    if ax >= 1:
        return f"{x:.1f}".rstrip("0").rstrip(".")
    return f"{x:.2f}".rstrip("0").rstrip(".") or "0"


def class_bounds(values: Sequence[float] | np.ndarray, *, scheme: str, k: int,
                 bins: Sequence[float] = ()) -> np.ndarray:
    """Upper bounds of the classes for the finite values (mapclassify), ascending, last = max.

    Fewer distinct values than ``k`` gives one class per value. No finite value gives no class.
    """
    v = np.asarray(values, dtype="float64")
    v = v[np.isfinite(v)]
    if v.size == 0:
        return np.array([], dtype="float64")
    if scheme == "UserDefined":
        if not bins:
            raise ValueError("UserDefined classification needs bins (upper class bounds)")
        b = np.asarray(sorted(bins), dtype="float64")
        return b if v.max() <= b[-1] else np.append(b, v.max())
    uniq = np.unique(v)
    if uniq.size <= k:
        return uniq
    if v.size > SAMPLE:
        # classify evenly spaced order statistics (deterministic; the distribution is kept), then
        # make the top class reach the true maximum: NaturalBreaks on 100 000 values takes seconds
        v = np.sort(v)[np.round(np.linspace(0, v.size - 1, SAMPLE)).astype(np.int64)]
    cls = getattr(mapclassify, scheme)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kwargs = {"pct": np.linspace(100 / k, 100, k)} if scheme == "Percentiles" else (
            {} if scheme == "HeadTailBreaks" else {"k": k})
        b = np.asarray(cls(v, **kwargs).bins, dtype="float64")
    return np.unique(b)


def assign_classes(values: Sequence[float] | np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Class of each value: first class whose upper bound is ≥ value; NaN → len(bounds) (missing)."""
    v = np.asarray(values, dtype="float64")
    out = np.searchsorted(bounds, v, side="left").astype("int16")
    out = np.minimum(out, max(len(bounds) - 1, 0)).astype("int16")  # values above the last bound
    out[~np.isfinite(v)] = len(bounds)
    return out


def range_labels(bounds: np.ndarray, vmin: float, *, unit: str = "", percent: bool = False) -> list[str]:
    f = (lambda x: f"{x * 100:.0f}%") if percent else fmt_number
    labels = []
    lo = vmin
    for i, hi in enumerate(bounds):
        if i == 0 and lo >= hi:
            labels.append(f"≤ {f(hi)}")
        else:
            labels.append(f"{f(lo)} – {f(hi)}")
        lo = hi
    return [lab + unit for lab in labels]


def _palette(base: list[str], n: int) -> list[str]:
    """n colours spread evenly over a sequential palette (light → dark)."""
    if n <= 0:
        return []
    return [base[i] for i in np.round(np.linspace(0, len(base) - 1, n)).astype(int)]


def numeric_style(values, *, scheme: str, k: int, bins: Sequence[float] = (), palette: list[str],
                  title: str, missing_label: str, percent: bool = False,
                  vmin: float | None = None, lang: str = "zh", open_top: bool = False,
                  missing_color: str = MISSING_COLOR) -> Styled:
    """Classes of a numeric column. ``UserDefined`` with ``open_top``: the classes are the bins plus one
    open class above the last (fixed: the same classes and colours whatever the values, so maps
    compare); a data-driven scheme classifies these values and the legend title says so."""
    v = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype="float64")
    finite = v[np.isfinite(v)]
    lo = vmin if vmin is not None else (float(finite.min()) if finite.size else 0.0)
    if scheme == "UserDefined" and open_top:
        if not bins:
            raise ValueError("UserDefined classification needs bins (upper class bounds)")
        b = np.asarray(sorted(bins), dtype="float64")
        bounds = np.append(b, np.inf)
        classes = assign_classes(v, bounds)
        f = (lambda x: f"{x * 100:.0f}%") if percent else fmt_number
        labels = [f"≤ {f(b[0])}"] + [f"{f(a)} – {f(c)}" for a, c in zip(b[:-1], b[1:])] + [f"> {f(b[-1])}"]
    else:
        bounds = class_bounds(v, scheme=scheme, k=k, bins=bins)
        classes = assign_classes(v, bounds)
        labels = range_labels(bounds, lo, percent=percent)
        if scheme != "UserDefined":
            title = title + _t(lang)["per_map"].format(scheme=_t(lang).get("scheme_" + scheme, scheme))
    colors = _palette(palette, len(bounds)) + [missing_color]
    labels = labels + [missing_label]
    legend = Legend(title, tuple(LegendEntry(c, lab) for c, lab in zip(colors, labels)))
    return Styled(classes, tuple(colors), legend, bounds=tuple(float(b) for b in bounds))


def categorical_style(values, categories: Sequence[tuple[str, str, str]], *, title: str,
                      missing_label: str, only_present: bool = True, missing_color: str = MISSING_COLOR,
                      styles: Sequence[str] = ()) -> Styled:
    """``categories`` = (key, label, colour); values not among the keys go to the grey last class."""
    s = pd.Series(values, dtype="object")
    present = set(s.dropna().astype(str))
    cats = [c for c in categories if (c[0] in present or not only_present)]
    index = {key: i for i, (key, _, _) in enumerate(cats)}
    classes = np.array([index.get(str(x), len(cats)) if x is not None and x == x else len(cats) for x in s],
                       dtype="int16")
    colors = [c for _, _, c in cats] + [missing_color]
    labels = [lab for _, lab, _ in cats] + [missing_label]
    sty = dict(zip([c[0] for c in categories], styles)) if styles else {}
    marks = [sty.get(key, "") for key, _, _ in cats] + [""]
    return Styled(classes, tuple(colors), Legend(title, tuple(LegendEntry(c, lab, m) for c, lab, m in
                                                               zip(colors, labels, marks))))


# ---------------------------------------------------------------------------------------------
# The map's layers
# ---------------------------------------------------------------------------------------------

def revenue_style(revenue_per_mu, maps: MapsPolicy, lang: str = "zh", developed=None) -> Styled:
    """Parcels by 亩均营业收入: fixed classes from the policy by default; land not yet developed
    (``developed`` false) is its own class (未开发, dashed outline), never the lowest revenue class."""
    t = _t(lang)
    st = numeric_style(revenue_per_mu, scheme=maps.revenue_scheme, k=maps.revenue_k, bins=maps.revenue_bins,
                       palette=list(maps.revenue_colors), title=t["revenue"], missing_label=t["missing"], lang=lang,
                       open_top=True, missing_color=maps.missing_color)
    n = len(st.colors) - 1  # the value classes; the last is "no data"
    classes = st.classes.copy()
    classes[classes == n] = n + 1
    if developed is not None:
        d = pd.Series(developed, dtype="object").reset_index(drop=True)
        undeveloped = d.map(lambda x: x is not None and x == x and not bool(x)).to_numpy(dtype=bool)
        classes[undeveloped] = n
    colors = st.colors[:n] + (maps.undeveloped_color, st.colors[n])
    ents = st.legend.entries
    entries = ents[:n] + (LegendEntry(maps.undeveloped_color, t["undeveloped"], "dashed"), ents[n])
    return Styled(classes.astype("int16"), tuple(colors), Legend(st.legend.title, entries), dashed=(n,),
                  bounds=st.bounds)


def zone_score_style(score, maps: MapsPolicy, lang: str = "zh") -> Styled:
    t = _t(lang)
    title = t["zone_score"]
    return numeric_style(score, scheme=maps.zone_score_scheme, k=maps.zone_score_k, bins=maps.zone_score_bins,
                         palette=list(maps.zone_score_colors), title=title, missing_label=t["unscored"], vmin=0.0,
                         lang=lang, missing_color=maps.missing_color)


def occupancy_style(occupancy, maps: MapsPolicy, lang: str = "zh") -> Styled:
    t = _t(lang)
    return numeric_style(occupancy, scheme="UserDefined", k=len(maps.occupancy_bins), bins=maps.occupancy_bins,
                         palette=list(maps.occupancy_colors), title=t["occupancy"], missing_label=t["missing"],
                         percent=True, vmin=0.0, lang=lang, missing_color=maps.missing_color)


def grade_style(grade, lang: str = "zh", maps: MapsPolicy | None = None) -> Styled:
    t = _t(lang)
    mp = maps or _DEFAULT
    cats = [(g, f"{t['grade_prefix']}{g}{t['grade_suffix']}", c) for g, c in mp.grade_colors.items()]
    return categorical_style(grade, cats, title=t["grade"], missing_label=t["ungraded"], only_present=False,
                             missing_color=mp.missing_color)


def stage_label(stage: str | None, lang: str = "zh") -> str:
    if stage is None or stage != stage:
        return ""
    return _stage_label(stage, lang)


def stage_style(stage, lang: str = "zh", maps: MapsPolicy | None = None) -> Styled:
    t = _t(lang)
    mp = maps or _DEFAULT
    s = pd.Series(stage, dtype="object")
    sts = stages(mp)
    known = {k for k, *_ in sts}
    extra = sorted(set(s.dropna().astype(str)) - known)
    cats = [(k, en if lang == "en" else zh, c) for k, zh, en, c in sts]
    cats += [(k, k, _EXTRA[i % len(_EXTRA)]) for i, k in enumerate(extra)]
    return categorical_style(s, cats, title=t["stage"], missing_label=t["unknown_stage"], missing_color=mp.missing_color)


def main_reasons(flags: pd.DataFrame) -> pd.DataFrame:
    """One row per flagged parcel: its main reason (highest severity; ties → first rule code)."""
    if flags is None or len(flags) == 0:
        return pd.DataFrame(columns=["parcel_code", "rule", "label", "severity"])
    f = flags[["parcel_code", "rule"]].copy()
    f["label"] = flags["label"] if "label" in flags else None
    f["severity"] = pd.to_numeric(flags["severity"], errors="coerce").fillna(0) if "severity" in flags else 0
    f = f.sort_values(["parcel_code", "severity", "rule"], ascending=[True, False, True], kind="stable")
    return f.drop_duplicates("parcel_code").reset_index(drop=True)


def problem_hatches(maps: MapsPolicy, rule_order: Sequence[str] = ()) -> dict[str, str]:
    """The hatching of every rule: the policy's ``problem_hatch``, then the patterns left over given to
    the other rules in policy order (so a reason looks the same on every map of one policy)."""
    out = dict(maps.problem_hatch)
    left = [h for h in HATCHES if h not in out.values()] or list(HATCHES)
    i = 0
    for r in rule_order:
        if r not in out:
            out[r] = left[i % len(left)]
            i += 1
    return out


def rule_categories(flags: pd.DataFrame, maps: MapsPolicy | None = None,
                    rule_order: Sequence[str] = ()) -> list[tuple[str, str, str]]:
    """(rule, label, hatch) for every rule present, most severe first; the hatch comes from the policy."""
    if flags is None or len(flags) == 0:
        return []
    hatches = problem_hatches(maps or _DEFAULT, list(rule_order) + sorted(set(flags["rule"].astype(str))))
    f = flags.copy()
    f["severity"] = pd.to_numeric(f["severity"], errors="coerce").fillna(0) if "severity" in f else 0
    if "label" not in f:
        f["label"] = f["rule"]
    g = (f.groupby("rule", sort=True).agg(severity=("severity", "max"), label=("label", "first"))
         .reset_index().sort_values(["severity", "rule"], ascending=[False, True], kind="stable"))
    return [(r.rule, str(r.label) if r.label == r.label and r.label else str(r.rule), hatches[str(r.rule)])
            for r in g.itertuples()]


def flag_reason_style(main_rule, flags: pd.DataFrame, lang: str = "zh", maps: MapsPolicy | None = None,
                      rule_order: Sequence[str] = ()) -> Styled:
    """Problem parcels by main reason: all in the policy's problem colour, one hatching per reason."""
    t = _t(lang)
    mp = maps or _DEFAULT
    cats3 = rule_categories(flags, mp, rule_order)
    labels = {r: (f"{r}: {lab}" if lab != r else r) if lang == "en" else lab for r, lab, _ in cats3}
    cats = [(r, labels[r], mp.problem_color) for r, _, _ in cats3]
    return categorical_style(main_rule, cats, title=t["flags"], missing_label=t["missing"],
                             missing_color=mp.problem_color, styles=[h for _, _, h in cats3])


def theme_config(maps: MapsPolicy, rules: Sequence, lang: str = "zh", revenue_values=None) -> dict:
    """Every theme's classes, colours and legend as JSON for the web map (the same palettes as the
    offline pages). ``rules``: the policy's rules (code, severity, labels). ``revenue_values``: the
    values a data-driven revenue scheme classifies (unused with fixed bounds)."""
    t = _t(lang)
    rev = revenue_style(revenue_values if revenue_values is not None else [], maps, lang)
    grd = grade_style([], lang, maps)
    stg = stage_style(list(maps.stage_colors), lang, maps)
    order = [r.code for r in sorted(rules, key=lambda r: (-r.severity, r.code))]
    hatch = problem_hatches(maps, [r.code for r in rules])
    label = {r.code: (r.label_en or r.label_zh) if lang == "en" else r.label_zh for r in rules}
    n = len(rev.bounds)
    return {
        "revenue": {"bounds": [None if not math.isfinite(b) else b for b in rev.bounds],
                    "colors": list(rev.colors[:n]), "legend": rev.legend.as_dict()},
        "undeveloped": {"color": maps.undeveloped_color, "outline": maps.undeveloped_outline, "label": t["undeveloped"]},
        "missing": maps.missing_color,
        "grade": {"colors": dict(maps.grade_colors), "legend": grd.legend.as_dict()},
        "stage": {"colors": {k: c for k, _, _, c in stages(maps)}, "legend": stg.legend.as_dict()},
        "problem": {"color": maps.problem_color, "hatch": hatch, "order": order, "labels": label,
                    "title": t["flags"]},
        "pilot": {"color": maps.pilot_area_color, "title": t["pilot"]},
    }


# ---------------------------------------------------------------------------------------------
# The intensive-use survey (开发区土地利用现状调查): land classes and evaluated ranges
# ---------------------------------------------------------------------------------------------

#: land-class colours after the conventions of Chinese land-use and planning maps (CJJ/T 97 / GB 50137
#: usage): 住宅 yellow, 工矿仓储 brown, 商服 red, 交通 greys, 绿地 green, 公共服务 pink, 农村建设 tan,
#: land not yet built pale, water blue, other unbuildable land olive
LAND_CLASS_COLOURS: dict[str, str] = {
    "A1": "#ffef3a", "A2": "#b07c4f", "A31": "#bdbdbd", "A32": "#8c8c8c", "A4": "#f0453a", "A51": "#4cb24c",
    "A52": "#f59ac8", "A6": "#c9a0dc", "B11": "#e8b77a", "B12": "#d9a066", "B21": "#fff3c4", "B22": "#e5e5c8",
    "C1": "#7fc4ee", "C2": "#9fb58a", "C3": "#9fb58a",
}
#: outline colours of the evaluated ranges (drawn without fill; 发展方向区 dashed)
RANGE_COLOURS: dict[str, str] = {"主区": "#3f007d", "发展方向区": "#e6550d"}
RANGE_DASHES: dict[str, list[int]] = {"主区": [], "发展方向区": [8, 5]}


def land_class_key(code: str | None) -> str | None:
    """The class a code is drawn as: itself when listed, else its listed prefix (A21 → A2), else its group."""
    if not isinstance(code, str) or not code:
        return None
    for n in (len(code), 3, 2):
        if code[:n] in LAND_CLASS_COLOURS:
            return code[:n]
    return code[:1] if code[:1] in ("A", "B", "C") else None


def land_class_style(land_class, lang: str = "zh") -> Styled:
    from landuse.core.labels import LAND_CLASS_LABELS, MAP_TEXT as _MT

    keys = pd.Series(land_class, dtype="object").map(land_class_key)
    group = {"A": "#d0b090", "B": "#f2ead2", "C": "#a8c8a8"}
    cats = [(k, f"{k} {LAND_CLASS_LABELS[k][1 if lang == 'en' else 0]}", c) for k, c in LAND_CLASS_COLOURS.items()]
    cats += [(g, f"{g} {LAND_CLASS_LABELS[g][1 if lang == 'en' else 0]}", c) for g, c in group.items()]
    title = "Land use survey (classes)" if lang == "en" else "土地利用现状(开发区调查)"
    return categorical_style(keys, cats, title=title, missing_label=_MT["en" if lang == "en" else "zh"]["missing"])


def range_style(ranges, lang: str = "zh") -> Styled:
    from landuse.core.labels import RANGE_LABELS

    cats = [(r, RANGE_LABELS[r][1 if lang == "en" else 0], c) for r, c in RANGE_COLOURS.items()]
    title = "Evaluated ranges" if lang == "en" else "评价范围"
    return categorical_style(ranges, cats, title=title, missing_label=("other" if lang == "en" else "其他"))
