"""Mann-Kendall trend test and emerging hot spot classes."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy.stats import kendalltau
from shapely.geometry import box

from geo.spacetime import (
    PATTERNS,
    classify_emerging,
    emerging_hot_spots,
    mann_kendall,
    yearly_hot_spots,
)
from geo.weights import build_weights

# ---------------------------------------------------------------- mann_kendall


def test_mann_kendall_monotone_series_by_hand():
    # n = 5, every one of the 10 pairs rises: S = 10; Var(S) = 5*4*15/18 = 16.667;
    # z = (10 - 1) / sqrt(16.667) = 2.2045; p = 2 (1 - Phi(2.2045)) = 0.0275
    up = mann_kendall([0.5, 1.0, 2.5, 3.0, 7.0])
    assert up.s == 10 and up.n == 5
    assert up.var_s == pytest.approx(50 / 3)
    assert up.z == pytest.approx(2.2045, abs=1e-4)
    assert up.p == pytest.approx(0.0275, abs=1e-4)
    assert up.tau == 1.0
    down = mann_kendall([5, 4, 3, 2, 1])
    assert (down.s, down.tau) == (-10, -1.0)
    assert down.z == pytest.approx(-up.z) and down.p == pytest.approx(up.p)


def test_mann_kendall_with_ties_by_hand():
    # y = 1, 2, 2, 3: pairs (1,2)+ (1,2)+ (1,3)+ (2,2)0 (2,3)+ (2,3)+ -> S = 5.
    # One tie group of t = 2: Var = (4*3*13 - 2*1*9) / 18 = 138/18 = 7.667;
    # z = 4 / sqrt(7.667) = 1.4446; tau-b = 5 / sqrt(6 * (6 - 1)) = 0.9129
    r = mann_kendall([1, 2, 2, 3])
    assert r.s == 5
    assert r.var_s == pytest.approx(138 / 18)
    assert r.z == pytest.approx(4 / np.sqrt(138 / 18))
    assert r.tau == pytest.approx(5 / np.sqrt(30))


def test_mann_kendall_equals_kendalltau_against_time():
    # S is Kendall's correlation with time (no ties in time): tau-b and the
    # asymptotic p-value of scipy agree once the continuity correction is off.
    y = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0, 5.0])
    ours = mann_kendall(y, continuity=False)
    ref = kendalltau(np.arange(len(y)), y, method="asymptotic")
    assert ours.tau == pytest.approx(ref.statistic)
    assert ours.p == pytest.approx(ref.pvalue)
    assert mann_kendall(y).p > ours.p  # the correction is conservative


def test_mann_kendall_no_trend():
    r = mann_kendall([1, 3, 2, 3, 1])
    assert r.s == 0 and r.z == 0.0 and r.p == 1.0


@pytest.mark.parametrize(
    ("y", "match"),
    [
        ([1.0, 2.0], "at least 3 time steps"),
        ([1.0, np.nan, 2.0], "NaN or infinite"),
        ([[1.0, 2.0, 3.0]], "1-D numeric"),
        (["a", "b", "c"], "1-D numeric"),
    ],
)
def test_mann_kendall_rejects_bad_series(y, match):
    with pytest.raises(ValueError, match=match):
        mann_kendall(y)


# ----------------------------------------------------------- classify_emerging

RISING = [2.0, 2.2, 2.4, 2.6, 2.8, 3.0, 3.2, 3.4, 3.6, 3.8]
FLAT = [3.0, 2.8, 3.1, 2.9, 3.0, 3.2, 2.9, 3.0, 2.8, 3.1]

# Ten years per region: hotspot state per year (H hot, C cold, . ns), the Gi* z
# series and the expected pattern, with the rule that decides it.
CASES = {
    # hot in all 10 years (>= 90 %), final hot, z rising (MK p < 0.05)
    "intensifying": ("HHHHHHHHHH", RISING, "intensifying_hot"),
    # same, z falling
    "diminishing": ("HHHHHHHHHH", RISING[::-1], "diminishing_hot"),
    # hot 9 of 10 (90 %) including the final year, no trend
    "persistent": ("H.HHHHHHHH", FLAT, "persistent_hot"),
    # hot only in the final year
    "new": (".........H", FLAT, "new_hot"),
    # an uninterrupted run of 3 hot years at the end, never significant before
    "consecutive": (".......HHH", FLAT, "consecutive_hot"),
    # final hot, hot on and off before, never cold
    "sporadic": ("H..H...H.H", FLAT, "sporadic_hot"),
    # on and off, never cold, final year not significant: still sporadic
    "sporadic_quiet": ("H..H...H..", FLAT, "sporadic_hot"),
    # final hot after a cold year
    "oscillating": ("..C....HHH", FLAT, "oscillating_hot"),
    # hot 9 of 10, but not in the final year
    "historical": ("HHHHHHHHH.", FLAT, "historical_hot"),
    # cold mirrors: z falling makes a cold spot more intense
    "intensifying_c": ("CCCCCCCCCC", [-z for z in RISING], "intensifying_cold"),
    "diminishing_c": ("CCCCCCCCCC", [-z for z in RISING[::-1]], "diminishing_cold"),
    "persistent_c": ("CCCCCCCCCC", [-z for z in FLAT], "persistent_cold"),
    "new_c": (".........C", FLAT, "new_cold"),
    "consecutive_c": ("........CC", FLAT, "consecutive_cold"),
    "sporadic_c": (".C..C....C", FLAT, "sporadic_cold"),
    "oscillating_c": ("HH......CC", FLAT, "oscillating_cold"),
    "historical_c": ("CCCCCCCCC.", FLAT, "historical_cold"),
    # never significant
    "quiet": ("..........", FLAT, "no_pattern"),
    # hot and cold years, final year not significant
    "mixed": ("H...C.....", FLAT, "no_pattern"),
}


def _yearly(cases: dict) -> pd.DataFrame:
    rows = []
    for region, (states, z, _) in cases.items():
        for year, (state, value) in enumerate(zip(states, z, strict=True), 2015):
            label = {"H": "hot_95", "C": "cold_99", ".": "ns"}[state]
            rows.append(
                {"region_id": region, "year": year, "gi_z": value, "hotspot": label}
            )
    return pd.DataFrame(rows)


def test_classify_emerging_synthetic_sequences():
    out = classify_emerging(_yearly(CASES), industry=None).set_index("region_id")
    expected = {region: case[2] for region, case in CASES.items()}
    assert out["pattern"].to_dict() == expected
    assert set(out["pattern"]) <= set(PATTERNS)
    # rising z over 10 years: S = 45, Var = 10*9*25/18 = 125, z = 44/sqrt(125)
    assert out.loc["intensifying", "mk_s"] == 45
    assert out.loc["intensifying", "mk_z"] == pytest.approx(44 / np.sqrt(125))
    assert out.loc["intensifying", "trend"] == "increasing"
    assert out.loc["persistent", "trend"] == "none"
    assert out.loc["persistent", ["hot_steps", "cold_steps", "n_steps"]].tolist() == [
        9,
        0,
        10,
    ]
    assert out.loc["new", "final_hotspot"] == "hot_95"
    assert out.loc["historical", "final_hotspot"] == "ns"


def test_classify_emerging_short_series_cannot_intensify():
    # Four years hot with rising z: the largest MK z at n = 4 is 5/sqrt(8.667) =
    # 1.70 (p = 0.089), so no trend is significant and the region is persistent.
    y = pd.DataFrame(
        {
            "region_id": "r",
            "year": range(4),
            "gi_z": [1.0, 2, 3, 4],
            "hotspot": "hot_99",
        }
    )
    out = classify_emerging(y, industry=None)
    assert out["mk_p"].iloc[0] == pytest.approx(0.0894, abs=1e-3)
    assert out["pattern"].tolist() == ["persistent_hot"]
    # at trend_alpha 0.10 the same series intensifies
    assert classify_emerging(y, industry=None, trend_alpha=0.10)[
        "pattern"
    ].tolist() == ["intensifying_hot"]


def test_classify_emerging_per_industry_and_isolates():
    y = _yearly({"a": ("..HH", [0, 0, 3, 3], ""), "b": ("....", [0, 0, 0, 0], "")})
    both = pd.concat([y.assign(industry="3141"), y.assign(industry="3116")])
    both.loc[(both["industry"] == "3116") & (both["region_id"] == "b"), "hotspot"] = (
        "isolate"
    )
    both.loc[both["hotspot"] == "isolate", "gi_z"] = np.nan
    out = classify_emerging(both)
    assert list(out.columns[:2]) == ["region_id", "industry"]
    got = {(r.industry, r.region_id): r.pattern for r in out.itertuples()}
    assert got == {
        ("3116", "a"): "consecutive_hot",
        ("3116", "b"): "isolate",
        ("3141", "a"): "consecutive_hot",
        ("3141", "b"): "no_pattern",
    }
    assert np.isnan(out.set_index(["industry", "region_id"]).loc[("3116", "b"), "mk_p"])


def test_classify_emerging_rejects_bad_input():
    y = _yearly({"a": ("..H", [0, 0, 3], "")})
    with pytest.raises(ValueError, match="lacks columns"):
        classify_emerging(y.drop(columns="gi_z"), industry=None)
    with pytest.raises(ValueError, match="lacks columns"):
        classify_emerging(y, industry="industry")
    with pytest.raises(ValueError, match="unknown hotspot labels"):
        classify_emerging(y.assign(hotspot="HH"), industry=None)
    with pytest.raises(ValueError, match="duplicate rows"):
        classify_emerging(pd.concat([y, y]), industry=None)
    with pytest.raises(ValueError, match="lack some time steps"):
        classify_emerging(
            pd.concat([y, y.assign(region_id="b").head(2)]), industry=None
        )
    with pytest.raises(ValueError, match="at least 3 time steps"):
        classify_emerging(y.head(2), industry=None)
    with pytest.raises(ValueError, match="trend_alpha must be a probability"):
        classify_emerging(y, industry=None, trend_alpha=1.5)
    with pytest.raises(TypeError, match="must be a pandas DataFrame"):
        classify_emerging(y.to_dict(), industry=None)


# ----------------------------------------------------- Gi* per year, end to end


@pytest.fixture(scope="module")
def grid5() -> gpd.GeoDataFrame:
    """5 x 5 grid of 1 km squares; id 'rc' = row r (0 = south), column c."""
    cells = [(r, c) for r in range(5) for c in range(5)]
    return gpd.GeoDataFrame(
        {"region_id": [f"{r}{c}" for r, c in cells]},
        geometry=[
            box(c * 1000, r * 1000, (c + 1) * 1000, (r + 1) * 1000) for r, c in cells
        ],
        crs="EPSG:32616",
    )


def _panel(years: int = 6) -> pd.DataFrame:
    """Two industries on the 5 x 5 grid, background 1..2 (seeded noise) every year.
    Industry "a": the south-west 2 x 2 corner (00, 01, 10, 11) is high every year
    and grows (4, 6, 9, 13, 18, 24). Industry "b": the north-east corner (33, 34,
    43, 44) is high (10) in the last two years only."""
    rng = np.random.default_rng(0)
    ids = [f"{r}{c}" for r in range(5) for c in range(5)]
    rows = []
    for t in range(years):
        for industry, corner, value in (
            ("a", ("00", "01", "10", "11"), [4.0, 6, 9, 13, 18, 24][t]),
            ("b", ("33", "34", "43", "44"), 10.0 if t >= years - 2 else None),
        ):
            values = dict(zip(ids, rng.uniform(1, 2, 25), strict=True))
            if value is not None:
                values.update(dict.fromkeys(corner, value))
            rows += [
                {"region_id": k, "industry": industry, "year": 2019 + t, "lq": v}
                for k, v in values.items()
            ]
    return pd.DataFrame(rows)


def test_emerging_hot_spots_on_a_grid(grid5):
    # queen weights; Gi* at 499 permutations, alpha 0.01 without correction (a
    # corner's 3 neighbours are all hot in 1 of C(24, 3) = 2024 draws, p ~ 0.001;
    # FDR over only 25 regions would put it near 0.025 - 0.05). Corner cell 00 of
    # industry "a" sees only hot cells (itself, 01, 10, 11): hot every year, its z
    # rising with the corner's lead over the background -> intensifying. Cell 44
    # of "b" is hot in the last two of six years, never before -> consecutive.
    graph = build_weights(grid5, "queen")
    out = emerging_hot_spots(
        _panel(), graph, permutations=499, seed=7, alpha=0.01, correction="none"
    )
    got = out.set_index(["industry", "region_id"])
    assert got.loc[("a", "00"), "pattern"] == "intensifying_hot"
    assert got.loc[("a", "00"), "hot_steps"] == 6
    assert got.loc[("b", "44"), "pattern"] == "consecutive_hot"
    assert got.loc[("b", "44"), "hot_steps"] == 2
    assert got.loc[("b", "00"), "pattern"] == "no_pattern"
    assert out.attrs["constant_steps"] == []


def test_yearly_hot_spots_constant_step_missing_rows_and_seeds(grid5):
    graph = build_weights(grid5, "queen")
    panel = _panel(3).query("industry == 'a'").drop(columns="industry")
    # year 2022: the industry is absent (no rows) -> all zeros -> constant step
    panel = panel[~((panel["year"] == 2020) & (panel["region_id"] == "22"))]
    panel = pd.concat(
        [panel, pd.DataFrame({"region_id": ["00"], "year": [2022], "lq": [0.0]})]
    )
    yearly = yearly_hot_spots(panel, graph, industry=None, permutations=99, seed=5)
    assert yearly.attrs["constant_steps"] == [2022]
    last = yearly[yearly["year"] == 2022]
    assert (last["gi_z"] == 0).all() and (last["hotspot"] == "ns").all()
    assert len(yearly) == 4 * 25
    # a region missing in a year counts as 0 there: 22 is the year's minimum
    y2020 = yearly[yearly["year"] == 2020].set_index("region_id")
    assert y2020.loc["22", "gi_z"] < 0
    again = yearly_hot_spots(panel, graph, industry=None, permutations=99, seed=5)
    pd.testing.assert_frame_equal(yearly, again)


def test_yearly_hot_spots_per_industry_uses_all_years(grid5):
    graph = build_weights(grid5, "queen")
    panel = _panel(3)
    # industry b has no rows in 2019: all zeros there, a constant step
    panel = panel[~((panel["industry"] == "b") & (panel["year"] == 2019))]
    yearly = yearly_hot_spots(panel, graph, permutations=99, seed=1)
    assert yearly.groupby("industry")["year"].nunique().tolist() == [3, 3]
    assert yearly.attrs["constant_steps"] == [("b", 2019)]
    assert list(yearly.columns[:3]) == ["region_id", "industry", "year"]


def test_yearly_hot_spots_rejects_bad_input(grid5):
    graph = build_weights(grid5, "queen")
    panel = _panel(3).query("industry == 'a'").drop(columns="industry")
    with pytest.raises(ValueError, match="lacks columns"):
        yearly_hot_spots(panel, graph)  # no industry column
    stray = pd.DataFrame({"region_id": ["zz"], "year": [2019], "lq": [1.0]})
    with pytest.raises(ValueError, match="not in the graph"):
        yearly_hot_spots(pd.concat([panel, stray]), graph, industry=None)
    with pytest.raises(ValueError, match="duplicate rows"):
        yearly_hot_spots(pd.concat([panel, panel]), graph, industry=None)
    with pytest.raises(ValueError, match="non-numeric"):
        yearly_hot_spots(panel.assign(lq="x"), graph, industry=None)
    with pytest.raises(ValueError, match="negative values"):
        yearly_hot_spots(
            panel.assign(lq=panel["lq"] - 1.5), graph, industry=None, permutations=9
        )
    with pytest.raises(TypeError, match="libpysal.graph.Graph"):
        yearly_hot_spots(panel, None, industry=None)
    with pytest.raises(TypeError, match="must be a pandas DataFrame"):
        yearly_hot_spots(panel.to_dict(), graph, industry=None)
