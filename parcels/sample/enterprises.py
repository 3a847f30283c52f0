"""Enterprises: USCC codes, names, one holder per industrial/commercial project, platform companies,
enterprises linked to no land (tenants are added with the leases)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from parcels.sample.reference import INDUSTRIES, OBSOLETE_GROUPS, SYL1, SYL2


USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28])
ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2])


def make_uscc(county: str, body8: str) -> str:
    """USCC '91' + county + 9-char organisation code (GB 11714 check) + GB 32100 check character."""
    c9 = 11 - sum(int(ch) * w for ch, w in zip(body8, _ORG_W)) % 11
    org = body8 + ("X" if c9 == 10 else "0" if c9 == 11 else str(c9))
    s17 = "91" + county + org
    total = sum(_USCC_VAL[ch] * w for ch, w in zip(s17, _USCC_W))
    return s17 + USCC_ALPHABET[(31 - total % 31) % 31]


_ORG_W = tuple(int(w) for w in ORG_WEIGHTS)
_USCC_W = tuple(int(w) for w in USCC_WEIGHTS)
_USCC_VAL = {ch: i for i, ch in enumerate(USCC_ALPHABET)}


def _name_maker(rng, province: str = "江西"):
    used: set[str] = set()

    def make(place: str, words: tuple[str, ...], suffix: str | None = None) -> str:
        for _ in range(200):
            brand = SYL1[rng.integers(len(SYL1))] + SYL2[rng.integers(len(SYL2))]
            word = words[rng.integers(len(words))] if words else ""
            r = rng.random()
            if suffix:
                nm = f"{place}{brand}{suffix}"
            elif r < 0.4:
                nm = f"{province}{brand}{word}有限公司"
            elif r < 0.88:
                nm = f"{place}{brand}{word}有限公司"
            else:
                nm = f"{province}{place}{brand}{word}股份有限公司"
            if nm not in used:
                used.add(nm)
                return nm
        raise RuntimeError("name space exhausted")

    return make


def make_enterprises(rng: np.random.Generator, F: pd.DataFrame, P: pd.DataFrame, specs: list[dict],
                     ctx: dict):
    """One holder per industrial/commercial project; platform companies; tenants are added later."""
    make_name = _name_maker(rng, ctx.get("province_name", "江西"))
    ind_w = np.array([g[1] for g in INDUSTRIES])
    ind_w = ind_w / ind_w.sum()
    rows = []
    usccs: set[str] = set()

    def new_uscc(county):
        while True:
            body = f"{int(rng.integers(0, 100_000_000)):08d}"
            u = make_uscc(county, body)
            if u not in usccs:
                usccs.add(u)
                return u

    zone_platform: dict[int, str] = {}
    kinds = P["kind"].to_numpy()
    zones = P["zone"].to_numpy()
    obsolete = P["obsolete"].to_numpy()
    holders = np.full(len(P), None, dtype=object)
    groups = np.full(len(P), -1)
    for i in range(len(P)):
        k = kinds[i]
        if k in ("unsupplied", "public"):
            continue
        z = specs[zones[i]]
        if k == "sf":
            if zones[i] not in zone_platform:
                u = new_uscc(z["county_code"])
                sfx = ("产业园投资发展有限公司", "开发区建设投资有限公司", "工业园区开发有限公司")[int(rng.integers(3))]
                nm = make_name(z["short"], (), suffix=sfx)
                rows.append(dict(uscc=u, name=nm, industry_code="L7221", above_scale=False, role="platform",
                                 zone_i=zones[i], group=-1))
                zone_platform[zones[i]] = u
            holders[i] = zone_platform[zones[i]]
            continue
        u = new_uscc(z["county_code"])
        if k == "commercial":
            nm = make_name(z["short"], ("置业", "商业管理", "酒店管理"))
            ic = ("K7010", "F5261", "H6110")[int(rng.integers(3))]
            rows.append(dict(uscc=u, name=nm, industry_code=ic, above_scale=False, role="commercial",
                             zone_i=zones[i], group=-1))
        else:
            g = int(rng.choice(len(INDUSTRIES), p=ind_w))
            if obsolete[i]:
                g = [x[0] for x in INDUSTRIES].index(OBSOLETE_GROUPS[rng.integers(len(OBSOLETE_GROUPS))])
            groups[i] = g
            nm = make_name(z["short"], INDUSTRIES[g][3])
            codes = INDUSTRIES[g][2]
            rows.append(dict(uscc=u, name=nm, industry_code=codes[rng.integers(len(codes))], above_scale=False,
                             role="holder", zone_i=zones[i], group=g))
        holders[i] = u
    P["holder"] = holders
    P["group"] = groups
    E = pd.DataFrame(rows)
    F["holder_uscc"] = P["holder"].to_numpy()[F["proj"].to_numpy()]
    # unlinkable enterprises (no parcel, no lease)
    n_un = max(5, int(round(len(E) * 0.025)))
    un = []
    for _ in range(n_un):
        zi = int(rng.integers(len(specs)))
        z = specs[zi]
        g = int(rng.choice(len(INDUSTRIES), p=ind_w))
        codes = INDUSTRIES[g][2]
        un.append(dict(uscc=new_uscc(z["county_code"]), name=make_name(z["short"], INDUSTRIES[g][3]),
                       industry_code=codes[rng.integers(len(codes))], above_scale=False, role="unlinked",
                       zone_i=zi, group=g))
    E = pd.concat([E, pd.DataFrame(un)], ignore_index=True)
    ctx["new_uscc"] = new_uscc
    ctx["make_name"] = make_name
    return E
