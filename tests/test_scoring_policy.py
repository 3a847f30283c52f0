"""Issue-5 policy sections: defaults load, match the model defaults, every number has a note."""

from landuse.core.policy import default_policy
from landuse.core.policy.scoring import IntensivePolicy, QuotaPolicy, ScorePolicy


def _numbers(d, prefix=""):
    for k, v in d.items():
        if k in ("notes", "zh"):
            continue
        path = f"{prefix}{k}"
        if isinstance(v, dict):
            yield from _numbers(v, path + ".")
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            yield path


def _has_note(path, notes):
    parts = path.split(".")
    # a note on the path, on a parent, or on the last segment under its section (indicators.weight)
    cands = {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
    if len(parts) >= 3:
        cands.add(f"{parts[0]}.{parts[-1]}")
    return bool(cands & set(notes))


def test_sections_load_and_match_defaults():
    p = default_policy()
    assert p.intensive.model_copy(update={"notes": {}}) == IntensivePolicy()
    assert p.score.model_copy(update={"notes": {}}) == ScorePolicy()
    assert p.quota.model_copy(update={"notes": {}}) == QuotaPolicy()


def test_every_number_has_a_note():
    p = default_policy()
    for section in (p.intensive, p.score, p.quota):
        dumped = section.model_dump()
        missing = [n for n in _numbers(dumped) if not _has_note(n, section.notes)]
        assert not missing, missing


def test_layer_weights_sum_to_one_per_type():
    ip = default_policy().intensive
    assert abs(sum(ip.layers.values()) - 1) < 1e-9
    for zt in ("industrial", "mixed"):
        for layer in ip.layers:
            w = sum(s.weight for s in ip.indicators.values() if s.layer == layer and zt in s.applies_to)
            assert abs(w - 1) < 1e-9, (zt, layer, w)
