"""Issue-4 policy sections ([rules], [standard_land], [grading]): load, notes, bureau edits in TOML."""

from __future__ import annotations

import pytest

from evaluation.rules import flag_parcels
from landuse.core.errors import PolicyError
from landuse.core.policy import default_policy, default_policy_text, load_policy
from tests.test_rules_engine import IDLE_P4, Y, base_parcels, base_results

P = default_policy()


def _numbers(d, path=()):
    """(path, value) of every number set in the TOML; list items are named by their code (or index)."""
    if isinstance(d, dict):
        for k, v in d.items():
            if k == "notes":
                continue
            yield from _numbers(v, path + (k,))
    elif isinstance(d, list):
        for i, v in enumerate(d):
            name = v.get("code", str(i)) if isinstance(v, dict) else str(i)
            yield from _numbers(v, path + (name,))
    elif isinstance(d, (int, float)) and not isinstance(d, bool):
        yield path, d


def _noted(path, notes) -> bool:
    # a note on the full path without the list name ("low_far.threshold", "band.0.below"), on the list
    # ("above_scale", "bands"), or on the field ("review_delay_years")
    cands = {".".join(path), ".".join(path[1:]), path[0], ".".join((path[0], *path[2:]))}
    # or on a table the number is in ("low_far.by_industry" covers "low_far.by_industry.26")
    cands |= {".".join(path[1:i]) for i in range(3, len(path))}
    if len(path) >= 3:
        cands.add(f"{path[1]}.{path[-1]}")
    return bool(cands & set(notes))


@pytest.mark.parametrize("name", ["rules", "standard_land", "grading"])
def test_every_number_has_a_source_note(name):
    section = getattr(P, name)
    dumped = section.model_dump(exclude_unset=True)
    missing = [".".join(p) for p, _ in _numbers(dumped) if not _noted(p, section.notes)]
    assert not missing, missing
    assert all(isinstance(v, str) and v for v in section.notes.values())


def test_default_rule_set():
    codes = [r.code for r in P.rules.rule]
    assert codes == [
        "idle",
        "idle_data_missing",
        "low_far",
        "low_coverage",
        "low_tax",
        "low_revenue",
        "below_commitment",
        "grade_d_twice",
        "production_stopped",
        "not_reported",
        "obsolete",
        "env_safety",
        "standard_land_breach",
        "rs_mismatch",
    ]
    for r in P.rules.rule:
        assert r.label_zh and r.label_en and r.action_zh and r.action_en


def _bureau_policy(tmp_path, extra: str, replace: tuple[str, str] | None = None):
    text = default_policy_text()
    if replace:
        assert replace[0] in text
        text = text.replace(replace[0], replace[1], 1)
    marker = "# <<< rules\n"
    text = text.replace(marker, extra + marker, 1)
    path = tmp_path / "bureau.toml"
    path.write_text(text, encoding="utf-8")
    return load_policy(path)


def test_bureau_adds_a_rule_and_switches_one_off_in_toml(tmp_path):
    extra = """
[[rules.rule]]
code = "tax_below_4"
kind = "threshold"
column = "tax_per_mu"
op = "lt"
threshold = 4.0
severity = 1
gain = "wan"
label_zh = "亩均税收低于4万元"
action_zh = "限期整改"
"""
    pol = _bureau_policy(
        tmp_path,
        extra,
        ('code = "low_far"\nkind = "threshold"\n', 'code = "low_far"\nkind = "threshold"\nenabled = false\n'),
    )
    f = flag_parcels(
        base_results(),
        inputs={"parcels": base_parcels()},
        enterprise_results=None,
        idle=IDLE_P4,
        policy=pol,
        year=Y,
    )
    got = f[f["rule"] == "tax_below_4"]
    assert got["parcel_code"].tolist() == ["P2", "P3"]  # tax_per_mu 0.5 and 0.0 (P1 5, P5 10)
    assert "low_far" not in set(f["rule"])
    assert pol.hash != P.hash


def test_bad_rule_in_toml_is_reported(tmp_path):
    extra = '\n[[rules.rule]]\ncode = "x"\nkind = "threshold"\nseverity = 1\nlabel_zh = "x"\n'
    with pytest.raises(PolicyError, match="needs column, threshold"):
        _bureau_policy(tmp_path, extra)
    extra = '\n[[rules.rule]]\ncode = "x"\nkind = "no_such_kind"\nseverity = 1\nlabel_zh = "x"\n'
    with pytest.raises(PolicyError):
        _bureau_policy(tmp_path, extra)
