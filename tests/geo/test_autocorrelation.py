"""Known-value tests of geo.autocorrelation (Moran's I, LISA, Gi*, corrections).

esda's numba code compiles once per process (~15 s); the tests keep permutations
and sizes small so the rest of the file runs in a few seconds.
"""

import math
import zlib

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import pytest
from libpysal.graph import Graph
from shapely.geometry import box

from geo.autocorrelation import (
    GlobalMoran,
    adjust_pvalues,
    global_moran,
    global_moran_table,
    hot_spots,
    lisa_table,
    local_moran,
)
from geo.weights import build_weights, isolates

CORNER = ["r0c0", "r0c1", "r1c0", "r1c1"]


def grid(n: int = 5) -> gpd.GeoDataFrame:
    """n x n grid of 1 km squares, ids r<row>c<col>, row 0 at the bottom."""
    cells, ids = [], []
    for r in range(n):
        for c in range(n):
            cells.append(box(c * 1000, r * 1000, (c + 1) * 1000, (r + 1) * 1000))
            ids.append(f"r{r}c{c}")
    return gpd.GeoDataFrame({"region_id": ids}, geometry=cells, crs="EPSG:3035")


@pytest.fixture(scope="module")
def hot_corner() -> tuple[pd.Series, Graph]:
    """5x5 grid, queen, row-standardised; 10 in the 2x2 corner, 1 elsewhere."""
    cells = grid()
    y = pd.Series(
        [10.0 if rid in CORNER else 1.0 for rid in cells["region_id"]],
        index=cells["region_id"],
    )
    return y, build_weights(cells, "queen")


@pytest.fixture(scope="module")
def columbus() -> tuple[pd.Series, Graph]:
    """Columbus (libpysal's bundled copy), CRIME, queen, row-standardised."""
    df = gpd.read_file(libpysal.examples.get_path("columbus.shp"))
    df["region_id"] = df["POLYID"].astype(str)
    y = pd.Series(df["CRIME"].to_numpy(), index=df["region_id"])
    return y, build_weights(df, "queen")


@pytest.fixture
def three_squares() -> tuple[pd.Series, Graph]:
    cells = gpd.GeoDataFrame(
        {"region_id": ["w", "m", "e"]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)],
    )
    return pd.Series({"w": 1.0, "m": 2.0, "e": 6.0}), build_weights(cells, "rook")


# ------------------------------------------------------------------ global


def test_columbus_crime_matches_spdep_moran_test(columbus):
    y, g = columbus
    res = global_moran(y, g, permutations=99, seed=1)
    # R spdep: moran.test(columbus$CRIME, nb2listw(poly2nb(columbus))):
    # I = 0.500188557, E[I] = -0.020833333, Var = 0.008689289, z = 5.5894
    assert isinstance(res, GlobalMoran)
    moran_i = res.I
    assert moran_i == pytest.approx(0.500188557, abs=1e-6)
    assert res.expected_I == pytest.approx(-1 / 48, abs=1e-9)
    assert res.variance_rand == pytest.approx(0.008689289, abs=1e-6)
    assert res.z_rand == pytest.approx(5.5894, abs=1e-4)
    assert res.p_rand == pytest.approx(
        2 * (1 - 0.5 * math.erfc(-5.58938 / 2**0.5)), rel=1e-3
    )
    assert (res.n, res.permutations, res.seed) == (49, 99, 1)
    # no permutation of CRIME comes near I = 0.5, so p_sim is the smallest possible
    assert res.p_sim == pytest.approx(1 / 100)


def test_nc_sids_rate_matches_esda_docs():
    # esda's Moran docstring: SIDR74 over sids2.gal, row-standardised: I = 0.248
    gal = libpysal.io.open(libpysal.examples.get_path("sids2.gal"))
    try:
        w = gal.read()
    finally:
        gal.close()
    g = Graph.from_W(w).transform("r")
    sids = gpd.read_file(libpysal.examples.get_path("sids2.shp"))
    # a Series in shapefile order is realigned on the graph's FIPS ids
    y = pd.Series(sids["SIDR74"].to_numpy(), index=sids["FIPS"].astype(str))
    res = global_moran(y.sample(frac=1, random_state=3), g, permutations=0)
    moran_i = res.I
    assert moran_i == pytest.approx(0.24772519320480135, rel=1e-12)
    assert math.isnan(res.p_sim)


def test_global_moran_by_hand_on_three_squares(three_squares):
    y, g = three_squares
    # z = -2, -1, 3; lag(z) = -1, 0.5, -1; I = n/S0 * sum(z lag z) / sum(z^2)
    res = global_moran(y, g, permutations=9, seed=0)
    moran_i = res.I
    assert moran_i == pytest.approx((2 - 0.5 - 3) / 14)
    assert res.expected_I == pytest.approx(-0.5)
    # the randomisation variance divides by n - 3: undefined for 3 regions
    assert math.isnan(res.variance_rand)


def test_global_seed_reproduces_and_restores_numpy_state(columbus):
    y, g = columbus
    # a variable with weak autocorrelation, so p_sim depends on the draws
    noise = pd.Series(np.random.default_rng(0).normal(size=len(y)), index=y.index)
    np.random.seed(123)
    expected_next = np.random.random()
    np.random.seed(123)
    a = global_moran(noise, g, permutations=199, seed=7)
    assert np.random.random() == expected_next  # global RNG untouched
    b = global_moran(noise, g, permutations=199, seed=7)
    assert a == b


# ------------------------------------------------------------------ input checks


def test_values_must_match_graph_ids(three_squares):
    y, g = three_squares
    with pytest.raises(
        ValueError,
        match=r"y has 2 values but graph has 3 ids; first ids without a value: "
        r"\['e'\].*Reindex y on graph.unique_ids",
    ):
        global_moran(y.drop("e"), g)
    with pytest.raises(ValueError, match=r"first values without a graph id: \['x'\]"):
        local_moran(pd.concat([y.drop("e"), pd.Series({"x": 1.0})]), g)
    with pytest.raises(ValueError, match="y has 2 values but graph has 3 ids"):
        global_moran(np.array([1.0, 2.0]), g)
    with pytest.raises(
        ValueError, match=r"NaN or infinite values \(first ids: \['m'\]"
    ):
        global_moran(y.where(y.index != "m"), g)
    with pytest.raises(TypeError, match="y must be numeric"):
        global_moran(pd.Series({"w": "a", "m": "b", "e": "c"}), g)
    with pytest.raises(TypeError, match="libpysal.graph.Graph"):
        global_moran(y, g.to_W())


def test_an_array_is_taken_in_graph_order(three_squares):
    y, g = three_squares
    moran_i = global_moran(y.to_numpy(), g, permutations=0).I
    assert moran_i == pytest.approx(-1.5 / 14)


def test_too_few_regions_are_refused():
    one = gpd.GeoDataFrame({"region_id": ["a"]}, geometry=[box(0, 0, 1, 1)])
    two = gpd.GeoDataFrame(
        {"region_id": ["a", "b"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)]
    )
    with pytest.raises(ValueError, match="needs at least 3 regions; got 1"):
        global_moran(pd.Series({"a": 1.0}), build_weights(one))
    g2 = build_weights(two)
    y2 = pd.Series({"a": 1.0, "b": 2.0})
    for func in (global_moran, local_moran, hot_spots):
        with pytest.raises(ValueError, match="needs at least 3 regions; got 2"):
            func(y2, g2)


def test_constant_values_are_refused(three_squares):
    _, g = three_squares
    flat = pd.Series({"w": 2.0, "m": 2.0, "e": 2.0})
    with pytest.raises(ValueError, match="constant values.*Moran's I is undefined"):
        global_moran(flat, g)
    with pytest.raises(ValueError, match="constant values.*Moran's I is undefined"):
        local_moran(flat, g)
    with pytest.raises(ValueError, match="constant values.*Getis-Ord G is undefined"):
        hot_spots(flat, g)


def test_graph_without_edges_is_refused(three_squares):
    y, _ = three_squares
    far = gpd.GeoDataFrame(
        {"region_id": ["w", "m", "e"]},
        geometry=[box(0, 0, 1, 1), box(5, 0, 6, 1), box(9, 0, 10, 1)],
    )
    with pytest.raises(ValueError, match="graph has no neighbour pairs"):
        global_moran(y, build_weights(far))


def test_invalid_options(three_squares):
    y, g = three_squares
    with pytest.raises(ValueError, match="permutations must be an integer >= 1"):
        local_moran(y, g, permutations=0)
    with pytest.raises(ValueError, match="permutations must be an integer >= 0"):
        global_moran(y, g, permutations=-1)
    with pytest.raises(
        ValueError, match=r"seed must be None or an integer in \[0, 2\*\*32\)"
    ):
        local_moran(y, g, seed=-1)
    with pytest.raises(ValueError, match="alpha must be a probability"):
        hot_spots(y, g, alpha=5)
    with pytest.raises(ValueError, match="Unknown multiple-testing correction 'holm'"):
        local_moran(y, g, correction="holm")
    with pytest.raises(ValueError, match="negative values.*Use local_moran"):
        hot_spots(y - 3, g)


# ------------------------------------------------------------------ local


def test_local_i_by_hand(three_squares):
    y, g = three_squares
    # I_i = (n - 1) z_i lag(z)_i / sum(z^2) with z = -2, -1, 3 and lag = -1, .5, -1
    out = local_moran(y, g, permutations=99, seed=1)
    np.testing.assert_allclose(out["local_i"], [4 / 14, -1 / 14, -6 / 14])
    assert list(out.index) == ["w", "m", "e"] and out.index.name == "region_id"
    assert list(out.columns) == ["local_i", "p_value", "p_adjusted", "quadrant"]


@pytest.mark.filterwarnings("ignore:The alternative hypothesis:DeprecationWarning")
def test_p_values_equal_esda_p_sim_when_nothing_ties(columbus):
    y, g = columbus
    ours = local_moran(y, g, permutations=199, seed=42, correction="none")
    esda_lm = esda.Moran_Local(
        y.to_numpy(), g, permutations=199, seed=42, keep_simulations=False, n_jobs=1
    )
    np.testing.assert_allclose(ours["local_i"], esda_lm.Is)
    # esda keeps p in float32; ours are the exact (count + 1) / 200
    np.testing.assert_allclose(ours["p_value"], esda_lm.p_sim, atol=1e-6)
    again = local_moran(y, g, permutations=199, seed=42, correction="none")
    pd.testing.assert_frame_equal(ours, again)


def test_hot_corner_is_hh_without_correction(hot_corner):
    y, g = hot_corner
    out = local_moran(y, g, permutations=999, seed=0, correction="none")
    # exact one-sided p (draws of neighbours among the 24 others, 3 of them hot):
    # r0c0 1/C(24,3) = .0005, r0c1 and r1c0 C(21,2)/C(24,5) = .0049,
    # r1c1 C(21,5)/C(24,8) = .0277: all below .05
    assert (out.loc[CORNER, "quadrant"] == "HH").all()
    assert set(out.index[out["quadrant"] == "HH"]) == set(CORNER)
    assert (out.loc[["r3c3", "r3c4", "r4c3", "r4c4"], "quadrant"] == "ns").all()


def test_hot_corner_with_fdr(hot_corner):
    y, g = hot_corner
    out = local_moran(y, g, permutations=9999, seed=0, correction="fdr")
    # BH over 25 regions with the exact p above: .0005 * 25 = .0125,
    # .0049 * 25 / 3 = .041 (both < .05), .0277 * 25 / 4 = .17 (> .05)
    assert set(out.index[out["quadrant"] == "HH"]) == {"r0c0", "r0c1", "r1c0"}
    assert out.loc["r1c1", "quadrant"] == "ns"
    assert out.loc["r1c1", "p_value"] == pytest.approx(0.0277, abs=0.005)
    assert out.loc["r0c0", "p_value"] == pytest.approx(0.0005, abs=0.0005)


def test_hot_spots_label_the_corner_hot(hot_corner):
    y, g = hot_corner
    out = hot_spots(y, g, permutations=999, seed=0, correction="none")
    # Gi* of r0c0: its own 10 and three hot neighbours, W = 4, n = 25,
    # mean 61/25, population s^2 = 421/25 - mean^2;
    # z = (40 - 4 mean) / (s sqrt((25 * 4 - 16) / 24))
    mean = 61 / 25
    s = math.sqrt(421 / 25 - mean**2)
    assert out.loc["r0c0", "gi_z"] == pytest.approx(
        (40 - 4 * mean) / (s * math.sqrt(3.5))
    )
    assert out.loc[CORNER, "hotspot"].str.startswith("hot_").all()
    assert out.loc["r0c0", "hotspot"] == "hot_99"
    assert list(out.columns) == ["gi_z", "gi_p", "gi_p_adjusted", "hotspot"]


@pytest.mark.filterwarnings("ignore:The alternative hypothesis:DeprecationWarning")
def test_ties_do_not_make_cold_spots(hot_corner):
    y, g = hot_corner
    # r4c4 is a 1 among 1s: most draws tie its Gi*. esda 2.9's folded p counts
    # only #sim < obs for the low tail, finds none and returns 1/(P+1) ...
    gl = esda.G_Local(
        y.to_numpy(), g.transform("B"), transform="B", star=True,
        permutations=999, seed=0, keep_simulations=False, n_jobs=1,
    )  # fmt: skip
    assert gl.p_sim[list(g.unique_ids).index("r4c4")] == pytest.approx(0.001)
    # ... ties counted on both sides: a tie is not evidence, nothing is cold
    hs = hot_spots(y, g, permutations=999, seed=0, correction="none")
    assert hs.loc["r4c4", "gi_p"] > 0.5
    assert not hs["hotspot"].str.startswith("cold").any()
    lm = local_moran(y, g, permutations=999, seed=0, correction="none")
    assert lm.loc["r4c4", "quadrant"] == "ns"


def test_alpha_caps_the_confidence_classes(hot_corner):
    y, g = hot_corner
    loose = hot_spots(y, g, permutations=999, seed=0, correction="none", alpha=0.10)
    strict = hot_spots(y, g, permutations=999, seed=0, correction="none", alpha=0.01)
    # r1c1: p about .03 -> hot_95 at alpha .10, ns at alpha .01
    assert loose.loc["r1c1", "hotspot"] == "hot_95"
    assert strict.loc["r1c1", "hotspot"] == "ns"
    assert strict.loc["r0c0", "hotspot"] == "hot_99"


def test_island_is_an_isolate_never_significant(hot_corner):
    y, _ = hot_corner
    cells = pd.concat(
        [grid(), gpd.GeoDataFrame({"region_id": ["island"]},
                                  geometry=[box(50_000, 50_000, 51_000, 51_000)],
                                  crs="EPSG:3035")],
        ignore_index=True,
    )  # fmt: skip
    g = build_weights(cells)
    assert isolates(g) == ["island"]
    y_island = pd.concat([y, pd.Series({"island": 10.0})])
    lm = local_moran(y_island, g, permutations=999, seed=0, correction="none")
    assert lm.loc["island", "quadrant"] == "isolate"
    assert (
        lm.loc[["island"], ["local_i", "p_value", "p_adjusted"]].isna().all(axis=None)
    )
    # the island is left out of the multiple-testing count: m = 25, not 26
    lm_fdr = local_moran(y_island, g, permutations=999, seed=0, correction="fdr")
    expected = adjust_pvalues(lm_fdr["p_value"].drop("island").to_numpy())
    np.testing.assert_allclose(lm_fdr["p_adjusted"].drop("island"), expected)
    hs = hot_spots(y_island, g, permutations=999, seed=0, correction="none")
    assert hs.loc["island", "hotspot"] == "isolate"
    assert np.isnan(hs.loc["island", "gi_z"])


# ------------------------------------------------------------------ corrections


def test_benjamini_hochberg_by_hand():
    # sorted 0.01, 0.03, 0.04, 0.20 -> x 4/rank = 0.04, 0.06, 0.0533, 0.20;
    # running minimum from the largest rank: 0.04, 0.0533, 0.0533, 0.20
    p = np.array([0.01, 0.04, 0.03, 0.20])
    np.testing.assert_allclose(adjust_pvalues(p), [0.04, 0.16 / 3, 0.16 / 3, 0.20])
    np.testing.assert_allclose(adjust_pvalues(p, method="fdr"), adjust_pvalues(p))
    assert p.tolist() == [0.01, 0.04, 0.03, 0.20]  # not modified


def test_nan_is_kept_and_not_counted():
    p = [0.01, np.nan, 0.04, 0.03, 0.20]
    out = adjust_pvalues(p)
    assert np.isnan(out[1])
    np.testing.assert_allclose(out[[0, 2, 3, 4]], [0.04, 0.16 / 3, 0.16 / 3, 0.20])
    # Bonferroni with m = 4 (the NaN does not count), capped at 1
    np.testing.assert_allclose(
        adjust_pvalues(p, method="bonferroni"), [0.04, np.nan, 0.16, 0.12, 0.80]
    )
    np.testing.assert_allclose(adjust_pvalues(p, method="none"), p)
    assert adjust_pvalues([0.5, 0.9], method="bonferroni").tolist() == [1.0, 1.0]
    assert np.isnan(adjust_pvalues([np.nan])).all()


def test_bad_corrections_and_p_values():
    with pytest.raises(ValueError, match="Unknown multiple-testing correction 'BH'"):
        adjust_pvalues([0.1], method="BH")
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]; got 1 outside"):
        adjust_pvalues([0.1, 1.96])


# ------------------------------------------------------------------ tables


@pytest.fixture
def long_table(hot_corner) -> pd.DataFrame:
    """Industry 'x' is the hot corner; 'flat' has LQ 1 everywhere it appears."""
    y, _ = hot_corner
    x = pd.DataFrame({"region_id": y.index, "industry": "x", "lq": y.to_numpy()})
    flat = pd.DataFrame({"region_id": y.index[:5], "industry": "flat", "lq": 0.0})
    return pd.concat([x, flat], ignore_index=True)


def test_lisa_table_long_output_and_skipped(long_table, hot_corner):
    y, g = hot_corner
    before = long_table.copy()
    out = lisa_table(long_table, g, permutations=999, seed=5, correction="none")
    pd.testing.assert_frame_equal(long_table, before)
    assert list(out.columns) == [
        "region_id", "industry", "lq", "local_i", "p_value", "p_adjusted",
        "quadrant", "gi_z", "gi_p", "gi_p_adjusted", "hotspot",
    ]  # fmt: skip
    # 'flat' is 0 in 5 regions and missing (-> 0) in 20: constant, so skipped
    assert out["industry"].unique().tolist() == ["x"]
    assert list(out.attrs["skipped_industries"]) == ["flat"]
    assert "constant values" in out.attrs["skipped_industries"]["flat"]
    assert out["region_id"].tolist() == list(g.unique_ids)
    # industry x is analysed with seed (5 + crc32("x")) % 2**32
    seed_x = (5 + zlib.crc32(b"x")) % 2**32
    direct = local_moran(y, g, permutations=999, seed=seed_x, correction="none")
    np.testing.assert_array_equal(out["p_value"], direct["p_value"])
    assert set(out.loc[out["quadrant"] == "HH", "region_id"]) == set(CORNER)


def test_lisa_table_industry_result_does_not_depend_on_others(long_table, hot_corner):
    _, g = hot_corner
    extra = long_table.assign(industry=long_table["industry"].replace("flat", "a"))
    extra.loc[extra["industry"] == "a", "lq"] = [1.0, 2.0, 3.0, 4.0, 5.0]
    only_x = long_table[long_table["industry"] == "x"]
    a = lisa_table(extra, g, permutations=99, seed=5)
    b = lisa_table(only_x, g, permutations=99, seed=5)
    pd.testing.assert_frame_equal(
        a[a["industry"] == "x"].reset_index(drop=True), b.reset_index(drop=True)
    )
    assert a["industry"].unique().tolist() == ["a", "x"]


def test_lisa_table_rejects_bad_tables(long_table, hot_corner):
    _, g = hot_corner
    with pytest.raises(ValueError, match=r"values lacks columns \['lq'\]"):
        lisa_table(long_table.drop(columns="lq"), g)
    with pytest.raises(ValueError, match="1 duplicate \\(region_id, industry\\) rows"):
        lisa_table(pd.concat([long_table, long_table.iloc[[0]]]), g)
    stray = pd.DataFrame({"region_id": ["nowhere"], "industry": ["x"], "lq": [1.0]})
    with pytest.raises(
        ValueError, match=r"regions that are not in the graph \(first: \['nowhere'\]"
    ):
        lisa_table(pd.concat([long_table, stray]), g)
    with pytest.raises(ValueError, match="missing or non-numeric lq"):
        lisa_table(
            long_table.assign(lq=long_table["lq"].where(long_table.index != 3)), g
        )
    with pytest.raises(TypeError, match="values must be a pandas DataFrame"):
        lisa_table(long_table.to_dict(), g)
    with pytest.raises(TypeError, match="libpysal.graph.Graph"):
        lisa_table(long_table, g.to_W())


def test_global_moran_table(long_table, hot_corner):
    y, g = hot_corner
    out = global_moran_table(long_table, g, permutations=99, seed=5)
    assert list(out.columns) == [
        "industry", "moran_i", "expected_i", "z_rand", "p_rand", "p_sim",
    ]  # fmt: skip
    assert out["industry"].tolist() == ["x"]
    assert out.loc[0, "moran_i"] == pytest.approx(global_moran(y, g, permutations=0).I)
    assert out.loc[0, "expected_i"] == pytest.approx(-1 / 24)
    assert list(out.attrs["skipped_industries"]) == ["flat"]
