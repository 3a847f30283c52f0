"""Typed edges (issue 11): mypy passes on ``evaluation/`` and ``parcels/`` (settings in pyproject.toml,
``[tool.mypy]``); every public function of those packages annotates its ``policy``, its ``store`` and
its contract frames (parameters named after a contract layer); no function takes "a policy or a
section" by ``isinstance``."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import evaluation
import parcels
from landuse.core.contract import ALL_LAYERS

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = (evaluation, parcels)
#: parameters that must carry an annotation wherever they appear in a public function
TYPED_NAMES = {"policy", "store"} | {layer.name for layer in ALL_LAYERS}


def _modules():
    for pkg in PACKAGES:
        yield pkg
        for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
            if ".migrations" in info.name:  # alembic scripts, run by alembic only
                continue
            yield importlib.import_module(info.name)


def _public_functions(mod):
    """Public functions of ``mod`` and public methods of its public classes (defined in ``mod``)."""
    for name, obj in vars(mod).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != mod.__name__:
            continue
        if inspect.isfunction(obj):
            yield f"{mod.__name__}.{name}", obj
        elif inspect.isclass(obj):
            for mname, meth in vars(obj).items():
                if mname.startswith("_") and mname != "__init__":
                    continue
                if isinstance(meth, (staticmethod, classmethod)):
                    meth = meth.__func__
                if inspect.isfunction(meth):
                    yield f"{mod.__name__}.{name}.{mname}", meth


def unannotated_parameters() -> list[str]:
    """``module.function(parameter)`` for each public parameter named in TYPED_NAMES without a type."""
    out = []
    for mod in _modules():
        for qual, fn in _public_functions(mod):
            for p in inspect.signature(fn).parameters.values():
                if p.name in TYPED_NAMES and p.annotation is inspect.Parameter.empty:
                    out.append(f"{qual}({p.name})")
    return sorted(set(out))


def test_policy_store_and_frames_are_annotated():
    missing = unannotated_parameters()
    assert not missing, "parameters without a type annotation:\n" + "\n".join(missing)


def test_the_check_finds_an_unannotated_policy(monkeypatch):
    import evaluation.quota as quota

    def allocate_quota_untyped(units, *, total_mu, policy):  # the shape this check must refuse
        return units

    allocate_quota_untyped.__module__ = quota.__name__
    monkeypatch.setattr(quota, "allocate_quota_untyped", allocate_quota_untyped, raising=False)
    assert "evaluation.quota.allocate_quota_untyped(policy)" in unannotated_parameters()


def _isinstance_on_policy_classes(path: Path, root: Path = ROOT) -> list[str]:
    """``isinstance(x, SomethingPolicy)`` calls: a function taking either a policy or a section."""
    hits = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance" \
                and len(node.args) == 2:
            kinds = node.args[1].elts if isinstance(node.args[1], ast.Tuple) else [node.args[1]]
            for k in kinds:
                name = k.id if isinstance(k, ast.Name) else k.attr if isinstance(k, ast.Attribute) else ""
                if name == "Policy" or name.endswith("Policy"):
                    hits.append(f"{path.relative_to(root)}:{node.lineno}")
    return hits


def test_no_function_takes_a_policy_or_a_section():
    hits = [h for pkg in ("evaluation", "parcels") for p in sorted((ROOT / pkg).rglob("*.py"))
            for h in _isinstance_on_policy_classes(p)]
    assert not hits, "isinstance on a policy class (take one explicit type instead): " + ", ".join(hits)


def test_the_isinstance_check_finds_one(tmp_path):
    p = tmp_path / "probe.py"
    p.write_text("def f(policy):\n"
                 "    return policy if isinstance(policy, (int, scoring.QuotaPolicy)) else policy.quota\n"
                 "def g(x):\n    return isinstance(x, dict)\n", encoding="utf-8")
    assert _isinstance_on_policy_classes(p, tmp_path) == ["probe.py:2"]


@pytest.mark.slow
def test_mypy_passes_on_evaluation_and_parcels(monkeypatch):
    """mypy with the settings of pyproject.toml; the cache (.mypy_cache) makes reruns take seconds."""
    from mypy import api

    monkeypatch.chdir(ROOT)  # mypy finds landuse/ (imported by both packages) from the working directory
    stdout, stderr, status = api.run(["--config-file", str(ROOT / "pyproject.toml"), "--cache-dir",
                                      str(ROOT / ".mypy_cache"), "evaluation", "parcels"])
    assert status == 0, f"mypy found errors:\n{stdout}\n{stderr}"
    assert "Success: no issues found" in stdout
