"""The web service maps the product's errors to responses in one table (landuse.web.app.ERROR_STATUS):
the most specific class wins, the API answers JSON with the error's own words, pages the error page."""

from __future__ import annotations

import pytest

from landuse.core.errors import (
    LanduseError,
    NoResults,
    Problem,
    StoreBusy,
    StoreUnavailable,
    UnknownCode,
    ValidationFailed,
)
from landuse.web.app import ERROR_STATUS, _error_status
from tests.test_web_common import copy_site, make_client, web_site  # noqa: F401


def _make(cls, kind: str):
    if issubclass(cls, UnknownCode):
        return cls("zone", kind)
    if issubclass(cls, ValidationFailed):
        return cls([Problem("x.csv", "parcels", 3, "area_m2", "abc", "a number")])
    return cls(f"出错了 {kind} / it failed: {kind}")


def test_most_specific_class_wins():
    assert _error_status(StoreBusy("busy")) == 503  # a StoreUnavailable
    assert _error_status(UnknownCode("zone", "Z9")) == 404
    assert _error_status(NoResults("no results")) == 404
    assert _error_status(LanduseError("x")) == 400

    class Other(UnknownCode):
        pass

    assert _error_status(Other("zone", "x")) == 404
    assert _error_status(RuntimeError("x")) == 500
    assert all(issubclass(c, LanduseError) for c in ERROR_STATUS)


@pytest.fixture
def app_with_raisers(web_site, tmp_path):
    app, c = make_client(str(copy_site(web_site, tmp_path)))
    errors = {cls.__name__: cls for cls in ERROR_STATUS}

    def raiser(kind: str):
        raise _make(errors[kind], kind)

    app.add_api_route("/api/_raise/{kind}", raiser)
    app.add_api_route("/_raise/{kind}", raiser)
    yield app, c
    app.state.store.close()


def test_every_error_of_the_table_answers_its_status_in_words(app_with_raisers):
    app, c = app_with_raisers
    for cls, status in ERROR_STATUS.items():
        r = c.get(f"/api/_raise/{cls.__name__}")
        assert r.status_code == status, cls
        detail = r.json()["detail"]
        if status == 503:
            assert "数据库暂时不可用" in detail and r.headers["retry-after"] == "30"
        else:
            assert detail == str(_make(cls, cls.__name__))[:600]
        page = c.get(f"/_raise/{cls.__name__}")
        assert page.status_code == status and f"（{status}）</h1>" in page.text and "Traceback" not in page.text


def test_store_unavailable_on_a_real_route(web_site, tmp_path, monkeypatch):
    app, c = make_client(str(copy_site(web_site, tmp_path)))
    from tests.test_web_common import login

    login(c, "eval1")

    def down(*a, **k):
        raise StoreUnavailable("connection refused")

    monkeypatch.setattr(app.state.store, "read", down)
    r = c.get("/api/zones")
    assert r.status_code == 503 and "connection refused" in r.json()["detail"]
    app.state.store.close()
