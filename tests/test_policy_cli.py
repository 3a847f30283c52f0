"""The policy file: shipped default, show, init, validation errors, hash on every output."""

from __future__ import annotations

import tomllib

import pytest
from typer.testing import CliRunner

from landuse.cli import app
from landuse.core.errors import PolicyError
from landuse.core.policy import default_policy, default_policy_text, load_policy, policy_hash


def test_show_and_init(tmp_path):
    r = CliRunner().invoke(app, ["policy", "show"])
    assert r.exit_code == 0 and default_policy().version in r.output and default_policy().hash in r.output
    out = tmp_path / "p.toml"
    r = CliRunner().invoke(app, ["policy", "init", "--out", str(out)])
    assert r.exit_code == 0 and out.read_text(encoding="utf-8") == default_policy_text()
    assert load_policy(out).hash == default_policy().hash
    r = CliRunner().invoke(app, ["policy", "init", "--out", str(out)])
    assert r.exit_code == 1


def test_changed_value_changes_hash_and_bad_value_is_named(tmp_path):
    text = default_policy_text().replace("target_growth = 0.15", "target_growth = 0.20")
    p = tmp_path / "p.toml"
    p.write_text(text, encoding="utf-8")
    pol = load_policy(p)
    assert pol.growth.target_growth == 0.20 and policy_hash(pol) != default_policy().hash
    # .hash is kept per object: each object's own, a changed copy's differs
    assert pol.hash == policy_hash(pol) and pol.hash == pol.hash
    copy = pol.model_copy(update={"growth": pol.growth.model_copy(update={"target_growth": 0.15})})
    assert copy.hash == policy_hash(copy) != pol.hash
    p.write_text(default_policy_text().replace("target = 0.80", 'target = "eighty"'), encoding="utf-8")
    with pytest.raises(PolicyError, match="occupancy.target"):
        load_policy(p)


def test_every_number_in_core_sections_has_a_note():
    data = tomllib.loads(default_policy_text())
    for section in ("land", "developed", "allocation", "growth", "occupancy", "idle"):
        notes = data[section].get("notes", {})
        for k, v in data[section].items():
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                assert k in notes, f"[{section}] {k} has no source note"
