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
from esda.moran import Moran
from libpysal.graph import Graph
from shapely.geometry import box

from geo.autocorrelation import (
    BivariateMoran,
    GlobalGeary,
    GlobalGetisOrd,
    GlobalMoran,
    adjust_pvalues,
    bivariate_lisa_table,
    bivariate_moran,
    eb_rates,
    global_geary,
    global_getis_ord,
    global_moran,
    global_moran_table,
    global_statistics_table,
    hot_spots,
    lisa_table,
    local_geary,
    local_moran,
    local_moran_bv,
    local_moran_rate,
    moran_rate,
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


def test_global_p_sim_equals_esda_at_the_same_seed(columbus):
    # The permutations are esda's, drawn in the same order from the same seed and
    # lagged in one product instead of one by one: the same p_sim, always, for
    # strong and weak autocorrelation alike.
    y, g = columbus
    rng = np.random.default_rng(4)
    for trial in range(12):
        values = y if trial % 3 == 0 else y * 0 + rng.normal(size=len(y))
        seed = int(rng.integers(0, 2**31))
        ours = global_moran(values, g, permutations=199, seed=seed)
        np.random.seed(seed)
        theirs = Moran(
            values.reindex(g.unique_ids).to_numpy(),
            g,
            transformation=g.transformation,
            permutations=199,
        )
        assert ours.p_sim == theirs.p_sim
        assert ours.I == theirs.I


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
    # engine "fast" (default): every industry uses the seed itself (shared draws)
    direct = local_moran(y, g, permutations=999, seed=5, correction="none")
    np.testing.assert_array_equal(out["p_value"], direct["p_value"])
    # engine "esda": industry x is analysed with seed (5 + crc32("x")) % 2**32
    old = lisa_table(
        long_table, g, permutations=999, seed=5, correction="none", engine="esda"
    )
    seed_x = (5 + zlib.crc32(b"x")) % 2**32
    direct = local_moran(y, g, permutations=999, seed=seed_x, correction="none")
    np.testing.assert_array_equal(old["p_value"], direct["p_value"])
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


# ------------------------------------------------------------------ Geary, G


def test_columbus_crime_geary_matches_spdep_geary_test(columbus):
    y, g = columbus
    res = global_geary(y, g, permutations=99, seed=1)
    # R spdep 1.2-7: geary.test(columbus$CRIME, nb2listw(poly2nb(columbus))):
    # C = 0.540528203, E = 1, Var = 0.009384264, "standard deviate" 4.7431
    # (spdep prints (E - C) / sd), one-sided p = 1.053e-06
    assert isinstance(res, GlobalGeary)
    geary_c = res.C
    assert geary_c == pytest.approx(0.540528203, abs=1e-8)
    assert res.expected_C == 1.0
    assert res.variance_rand == pytest.approx(0.009384264, abs=1e-9)
    assert res.z_rand == pytest.approx(-4.7431, abs=1e-4)
    assert res.p_rand == pytest.approx(2 * 1.053e-06, rel=1e-3)
    assert res.p_sim == pytest.approx(1 / 100)
    assert global_geary(y, g, permutations=99, seed=1) == res


def test_columbus_crime_global_g_matches_spdep_globalg_test(columbus):
    y, g = columbus
    res = global_getis_ord(y, g, permutations=99, seed=1)
    # R spdep 1.2-7: globalG.test(columbus$CRIME, nb2listw(poly2nb(columbus),
    # style = "B")): G = 1.278075e-01, E = 1.003401e-01, Var = 3.507057e-05,
    # standard deviate 4.6382, one-sided p = 1.758e-06. Row-standardised input is
    # made binary, so the graph's transformation does not matter.
    assert isinstance(res, GlobalGetisOrd)
    g_value = res.G
    assert g_value == pytest.approx(1.278075e-01, rel=1e-6)
    assert res.expected_G == pytest.approx(1.003401e-01, rel=1e-6)
    assert res.variance == pytest.approx(3.507057e-05, rel=1e-6)
    assert res.z == pytest.approx(4.6382, abs=1e-4)
    assert res.p_norm == pytest.approx(2 * 1.758e-06, rel=1e-3)
    assert res.p_sim == pytest.approx(1 / 100)


def test_geary_and_g_by_hand_on_three_squares(three_squares):
    y, g = three_squares
    # Geary: weighted squared differences 1 + 0.5 + 8 + 16 = 25.5 over S0 = 3:
    # C = (n - 1) / (2 S0) * 25.5 / sum(z^2) = 2 / 6 * 25.5 / 14
    geary_c = global_geary(y, g, permutations=0).C
    assert geary_c == pytest.approx(25.5 / 42)
    assert math.isnan(global_geary(y, g, permutations=0).p_sim)
    # G: linked products 2 (1*2 + 2*6) = 28 over all ordered pairs 2 (2 + 6 + 12)
    g_value = global_getis_ord(y, g, permutations=0).G
    assert g_value == pytest.approx(0.7)
    with pytest.raises(ValueError, match="negative values.*Getis-Ord G"):
        global_getis_ord(y - 3, g)
    with pytest.raises(ValueError, match="constant values.*Geary's C is undefined"):
        global_geary(y * 0 + 1, g)


def test_gi_without_star_by_hand(hot_corner):
    y, g = hot_corner
    out = hot_spots(y, g, permutations=999, seed=0, correction="none", star=False)
    # Gi (Getis and Ord 1992) of r0c0 leaves its own 10 out: neighbours sum 30,
    # W = 3; mean and population s over the 24 others: 51/24 and
    # sqrt(321/24 - (51/24)^2); z = (30 - 3 mean) / (s sqrt((24 * 3 - 9) / 23))
    mean = 51 / 24
    s = math.sqrt(321 / 24 - mean**2)
    assert out.loc["r0c0", "gi_z"] == pytest.approx(
        (30 - 3 * mean) / (s * math.sqrt(63 / 23))
    )
    assert out.loc["r0c0", "hotspot"] == "hot_99"
    star = hot_spots(y, g, permutations=999, seed=0, correction="none")
    assert out.loc["r0c0", "gi_z"] != pytest.approx(star.loc["r0c0", "gi_z"])


# ------------------------------------------------------------------ local Geary


def test_local_geary_by_hand_and_clusters(hot_corner, three_squares):
    y3, g3 = three_squares
    # z = (-2, -1, 3) / sqrt(14/3); c_w = (z_w - z_m)^2, c_m = mean of two squares
    out = local_geary(y3, g3, permutations=99, seed=1)
    np.testing.assert_allclose(out["local_c"], np.array([1, 8.5, 16]) * 3 / 14)
    assert list(out.columns) == ["local_c", "p_value", "p_adjusted", "cluster"]
    y, g = hot_corner
    lg = local_geary(y, g, permutations=999, seed=0, correction="none")
    # the corner: high values among high neighbours, c far below its expectation
    # 25/24 (z^2 + 1) -> HH; the cold rest ties its permutations -> ns
    assert (lg.loc[CORNER, "cluster"] == "HH").all()
    assert set(lg.index[lg["cluster"] != "ns"]) == set(CORNER)
    assert lg.loc["r0c0", "local_c"] == pytest.approx(0.0, abs=1e-12)


def test_local_geary_negative_and_low_low():
    # r2c2 = 10 ringed by its 8 queen neighbours at 0, the other 16 cells at 5:
    # c of r2c2 is the largest any draw of 8 neighbours can give (only all-zero
    # draws tie, 1 in C(24, 8)), far above its expectation -> negative
    cells = grid()
    ring = {f"r{r}c{c}" for r in (1, 2, 3) for c in (1, 2, 3)} - {"r2c2"}
    y = pd.Series(
        [10.0 if rid == "r2c2" else 0.0 if rid in ring else 5.0
         for rid in cells["region_id"]],
        index=cells["region_id"],
    )  # fmt: skip
    g = build_weights(cells)
    lg = local_geary(y, g, permutations=999, seed=3, correction="none")
    assert lg.loc["r2c2", "cluster"] == "negative"
    assert lg.loc["r2c2", "p_value"] == pytest.approx(0.001)
    # a cold 2x2 corner (0) in warm surroundings (5) is LL: z < 0 and lag < 0
    cold = pd.Series([0.0 if rid in CORNER else 5.0 for rid in y.index], index=y.index)
    lc = local_geary(cold, g, permutations=999, seed=3, correction="none")
    assert (lc.loc[CORNER, "cluster"] == "LL").all()


# ------------------------------------------------------------------ bivariate


@pytest.mark.filterwarnings("ignore:The alternative hypothesis:DeprecationWarning")
def test_bivariate_moran_equals_esda(columbus):
    y, g = columbus
    df = gpd.read_file(libpysal.examples.get_path("columbus.shp"))
    inc = pd.Series(df["INC"].to_numpy(), index=df["POLYID"].astype(str))
    res = bivariate_moran(y, inc, g, permutations=99, seed=1)
    assert isinstance(res, BivariateMoran)
    # esda.Moran_BV(CRIME, INC, queen): crime next to low incomes, I = -0.4286
    moran_i, self_i = res.I, bivariate_moran(y, y, g, permutations=0).I
    esda_i = esda.Moran_BV(
        y.to_numpy(), inc.reindex(y.index).to_numpy(), g, permutations=0
    ).I
    assert moran_i == pytest.approx(esda_i)
    assert moran_i == pytest.approx(-0.42863215, abs=1e-8)
    assert res.p_sim == pytest.approx(1 / 100)
    # x against itself is the ordinary Moran's I (row-standardised weights)
    assert self_i == pytest.approx(global_moran(y, g, permutations=0).I)
    lb = local_moran_bv(y, inc, g, permutations=199, seed=4, correction="none")
    eb = esda.Moran_Local_BV(
        y.to_numpy(), inc.reindex(y.index).to_numpy(), g,
        permutations=199, seed=4, keep_simulations=False,
    )  # fmt: skip
    np.testing.assert_allclose(lb["local_i"], eb.Is)
    np.testing.assert_allclose(lb["p_value"], eb.p_sim, atol=1e-6)
    # quadrant letters: CRIME in the region, then INC next door
    sig = lb["quadrant"] != "ns"
    assert set(lb.loc[sig, "quadrant"]) <= {"HH", "LL", "HL", "LH"}
    assert (lb.loc[lb["quadrant"] == "HL", "local_i"] < 0).all()


def test_bivariate_lisa_table_industry_or_covariate(long_table, hot_corner):
    y, g = hot_corner
    # industry z mirrors x: high in the corner too, so x-vs-z is HH in the corner
    z = long_table[long_table["industry"] == "x"].assign(industry="z")
    table = pd.concat([long_table, z], ignore_index=True)
    out = bivariate_lisa_table(
        table, g, x="x", y="z", permutations=999, seed=5, correction="none"
    )
    assert list(out.columns) == [
        "region_id", "x", "y", "local_i", "p_value", "p_adjusted", "quadrant",
    ]  # fmt: skip
    assert set(out.loc[out["quadrant"] == "HH", "region_id"]) == set(CORNER)
    density = pd.Series(y.to_numpy() * 2, index=y.index, name="density")
    cov = bivariate_lisa_table(
        table, g, x="x", y=density, permutations=99, seed=5, correction="none"
    )
    assert cov["y"].unique().tolist() == ["density"]
    with pytest.raises(ValueError, match="y='nope' is not an industry of values"):
        bivariate_lisa_table(table, g, x="x", y="nope")


# ------------------------------------------------------------------ rates


@pytest.mark.filterwarnings("ignore:The alternative hypothesis:DeprecationWarning")
def test_moran_rate_matches_esda_docs():
    # esda's Moran_Rate docstring: SID79 over BIR79, sids2.gal, EB-adjusted:
    # I = 0.1662
    gal = libpysal.io.open(libpysal.examples.get_path("sids2.gal"))
    try:
        w = gal.read()
    finally:
        gal.close()
    g = Graph.from_W(w).transform("r")
    sids = gpd.read_file(libpysal.examples.get_path("sids2.shp"))
    fips = sids["FIPS"].astype(str)
    e = pd.Series(sids["SID79"].to_numpy(), index=fips)
    b = pd.Series(sids["BIR79"].to_numpy(), index=fips)
    moran_i = moran_rate(e, b, g, permutations=0).I
    assert moran_i == pytest.approx(0.1662234355, abs=1e-9)
    lr = local_moran_rate(e, b, g, permutations=99, seed=3, correction="none")
    ml = esda.Moran_Local_Rate(
        e.reindex(g.unique_ids).to_numpy(), b.reindex(g.unique_ids).to_numpy(), g,
        permutations=99, seed=3, keep_simulations=False,
    )  # fmt: skip
    np.testing.assert_allclose(lr["local_i"], ml.Is)
    np.testing.assert_allclose(lr["p_value"], ml.p_sim, atol=1e-6)
    assert list(lr.columns) == [
        "eb_rate", "local_i", "p_value", "p_adjusted", "quadrant",
    ]  # fmt: skip


def test_eb_rates_by_hand_and_bad_counts(three_squares):
    _, g = three_squares
    # rates .1, .2, .6 over bases 10: beta = .3, s2 = 10 (.04 + .01 + .09) / 30,
    # alpha = s2 - beta / 10 = .14 / 3 - .03; variance alpha + beta / 10 = .14 / 3
    e = pd.Series({"w": 1, "m": 2, "e": 6})
    b = pd.Series(10, index=e.index)
    np.testing.assert_allclose(
        eb_rates(e, b, g), (np.array([0.1, 0.2, 0.6]) - 0.3) / math.sqrt(0.14 / 3)
    )
    # little spread between rates: alpha = s2 - beta / 10 < 0, but the variance
    # alpha + beta / b_i = s2 (equal bases) stays positive: rates .29, .3, .31,
    # s2 = 10 (2e-4) / 30
    near = pd.Series({"w": 2.9, "m": 3.0, "e": 3.1})
    np.testing.assert_allclose(
        eb_rates(near, b, g),
        np.array([-0.01, 0.0, 0.01]) / math.sqrt(2e-3 / 30),
        atol=1e-9,
    )
    with pytest.raises(
        ValueError, match=r"events has 1 negative counts \(first ids: \['m'\]"
    ):
        eb_rates(e.replace(2, -2), b, g)
    with pytest.raises(ValueError, match="base has 1 values that are not positive"):
        eb_rates(e, b.where(b.index != "e", 0), g)


# ------------------------------------------------------------------ islands


def test_dropped_and_attached_islands(hot_corner):
    y, _ = hot_corner
    island = gpd.GeoDataFrame(
        {"region_id": ["island"]},
        geometry=[box(9_000, 0, 10_000, 1_000)],
        crs="EPSG:3035",
    )
    cells = pd.concat([grid(), island], ignore_index=True)
    y_island = pd.concat([y, pd.Series({"island": 1.0})])
    dropped = build_weights(cells, islands="drop")
    assert "island" not in set(dropped.unique_ids)
    lm = local_moran(y, dropped, permutations=999, seed=0, correction="none")
    # without the island the result is the plain 5x5 one
    plain = local_moran(y, build_weights(grid()), permutations=999, seed=0,
                        correction="none")  # fmt: skip
    pd.testing.assert_frame_equal(lm, plain)
    attached = build_weights(cells, islands="attach")
    # the island (centroid x = 9500) is linked to r0c4 (x = 4500, nearest)
    assert sorted(attached.neighbors["island"]) == ["r0c4"]
    la = local_moran(y_island, attached, permutations=999, seed=0, correction="none")
    assert la.loc["island", "quadrant"] != "isolate"
    assert np.isfinite(la.loc["island", "local_i"])


def test_global_statistics_table(long_table, hot_corner):
    y, g = hot_corner
    out = global_statistics_table(long_table, g, permutations=99, seed=5)
    assert out["industry"].tolist() == ["x"]
    row = out.iloc[0]
    assert row["moran_i"] == pytest.approx(global_moran(y, g, permutations=0).I)
    assert row["geary_c"] == pytest.approx(global_geary(y, g, permutations=0).C)
    assert row["getis_ord_g"] == pytest.approx(global_getis_ord(y, g, permutations=0).G)
    # the hot corner: Moran > 0, Geary < 1, G above its expectation
    assert row["moran_z"] > 0 and row["geary_z"] < 0 and row["getis_ord_z"] > 0
    assert list(out.attrs["skipped_industries"]) == ["flat"]


def test_lisa_table_with_gi(long_table, hot_corner):
    y, g = hot_corner
    star = lisa_table(long_table, g, permutations=99, seed=5)
    plain = lisa_table(long_table, g, permutations=99, seed=5, star=False)
    # Gi leaves the region's own value out: different z, same LISA
    assert not np.allclose(star["gi_z"], plain["gi_z"])
    pd.testing.assert_series_equal(star["local_i"], plain["local_i"])
