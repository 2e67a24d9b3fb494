"""geo.fast_lisa against esda: same draws, same statistics, same p-values.

esda's numba code compiles once per process (~12 s); sizes and permutation counts
are kept small so the rest of the file runs in a few seconds.
"""

import warnings

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import pytest
from esda.crand import vec_permutations
from shapely.geometry import box

from geo.autocorrelation import (
    _gi_arrays,
    _moran_arrays,
    hot_spots,
    lisa_table,
    local_moran,
)
from geo.fast_lisa import LocalStatistics, local_statistics, permutation_draws
from geo.weights import build_weights

COLUMBUS_VARS = ["CRIME", "HOVAL", "INC", "OPEN", "PLUMB", "DISCBD"]


def grid(n: int) -> gpd.GeoDataFrame:
    """n x n grid of unit squares, ids r<row>c<col>."""
    cells = [box(c, r, c + 1, r + 1) for r in range(n) for c in range(n)]
    ids = [f"r{r}c{c}" for r in range(n) for c in range(n)]
    return gpd.GeoDataFrame({"region_id": ids}, geometry=cells)


@pytest.fixture(scope="module")
def columbus():
    df = gpd.read_file(libpysal.examples.get_path("columbus.shp"))
    df["region_id"] = df["POLYID"].astype(str)
    graph = build_weights(df, "queen")
    values = df.set_index("region_id")[COLUMBUS_VARS].astype(float)
    return values, graph


@pytest.fixture(scope="module")
def grid30():
    """30x30 queen grid, 20 non-negative variables with a planted hot block each."""
    cells = grid(30)
    rng = np.random.default_rng(3)
    rows, cols = np.divmod(np.arange(900), 30)
    data = {}
    for k in range(20):
        r0, c0 = rng.integers(0, 24, size=2)
        block = (rows >= r0) & (rows < r0 + 6) & (cols >= c0) & (cols < c0 + 6)
        data[f"v{k:02d}"] = rng.gamma(2.0, 1.0, 900) + 3.0 * block
    values = pd.DataFrame(data, index=cells["region_id"])
    return values, build_weights(cells, "queen")


def test_draws_equal_esda_vec_permutations():
    # the same numba sampler at the same seed: identical tables
    ours = permutation_draws(49, 8, permutations=199, seed=42)
    np.testing.assert_array_equal(ours, vec_permutations(8, 49, 199, 42))


def test_local_i_equals_esda_moran_local(columbus):
    values, graph = columbus
    res = local_statistics(values, graph, permutations=9, seed=1)
    assert isinstance(res, LocalStatistics)
    for k, col in enumerate(COLUMBUS_VARS):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lm = esda.Moran_Local(values[col].to_numpy(), graph, permutations=0)
        np.testing.assert_allclose(res.local_i[:, k], lm.Is, rtol=0, atol=1e-10)


def test_p_values_equal_esda_at_same_seed(columbus):
    # same draws, same tie-aware folded p as esda's own crand made tie-aware
    values, graph = columbus
    res = local_statistics(values, graph, permutations=199, seed=42)
    for k, col in enumerate(COLUMBUS_VARS[:3]):
        y = values[col].to_numpy()
        _, p_esda, quad = _moran_arrays(y, graph, 199, 42, "esda")
        np.testing.assert_array_equal(res.p_moran[:, k], p_esda)
        assert res.quadrant[:, k].tolist() == quad.tolist()
        z_esda, gi_p_esda = _gi_arrays(y, graph, 199, 42, True, "esda")
        np.testing.assert_array_equal(res.p_gi[:, k], gi_p_esda)
        np.testing.assert_allclose(res.gi_z[:, k], z_esda, rtol=0, atol=1e-10)


def test_public_functions_unchanged_by_the_engine(columbus):
    # local_moran and hot_spots run on geo.fast_lisa: same p-values as esda's
    values, graph = columbus
    y = values["HOVAL"].to_numpy()
    lm = local_moran(values["HOVAL"], graph, permutations=99, seed=3)
    np.testing.assert_array_equal(
        lm["p_value"], _moran_arrays(y, graph, 99, 3, "esda")[1]
    )
    hs = hot_spots(values["HOVAL"], graph, permutations=99, seed=3)
    np.testing.assert_array_equal(
        hs["gi_p"], _gi_arrays(y, graph, 99, 3, True, "esda")[1]
    )


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_p_equals_esda_p_sim_without_ties(columbus):
    # continuous data has no ties, so the tie-aware p is esda's own p_sim
    values, graph = columbus
    res = local_statistics(values[["CRIME"]], graph, permutations=99, seed=5)
    lm = esda.Moran_Local(
        values["CRIME"].to_numpy(),
        graph,
        permutations=99,
        seed=5,
        keep_simulations=False,
    )
    np.testing.assert_allclose(res.p_moran[:, 0], lm.p_sim, rtol=1e-6)


def test_gi_without_star_equals_hot_spots(grid30):
    values, graph = grid30
    sub = values.iloc[:, :2]
    res = local_statistics(sub, graph, permutations=99, seed=9, star=False)
    for k, col in enumerate(sub.columns):
        z_esda, p_esda = _gi_arrays(sub[col].to_numpy(), graph, 99, 9, False, "esda")
        np.testing.assert_array_equal(res.p_gi[:, k], p_esda)
        np.testing.assert_allclose(res.gi_z[:, k], z_esda, rtol=0, atol=1e-10)


def test_grid_p_values_equal_esda_across_variables(grid30):
    values, graph = grid30
    res = local_statistics(values, graph, permutations=99, seed=11)
    for k, col in enumerate(values.columns):
        _, p_esda, _ = _moran_arrays(values[col].to_numpy(), graph, 99, 11, "esda")
        np.testing.assert_array_equal(res.p_moran[:, k], p_esda)


def test_labels_agree_with_esda_at_other_seeds(grid30):
    # different draws: agreement within Monte Carlo error (two esda seeds agree on
    # ~98.5% of region x variable labels on US counties; 97% is the floor here)
    values, graph = grid30
    t = values.stack().rename("lq").rename_axis(["region_id", "industry"])
    long = t.reset_index()
    fast = lisa_table(long, graph, permutations=199, seed=1, engine="fast")
    slow = lisa_table(long, graph, permutations=199, seed=1, engine="esda")
    np.testing.assert_allclose(fast["local_i"], slow["local_i"], atol=1e-10)
    np.testing.assert_allclose(fast["gi_z"], slow["gi_z"], atol=1e-10)
    assert (fast["quadrant"] == slow["quadrant"]).mean() >= 0.97
    assert (fast["hotspot"] == slow["hotspot"]).mean() >= 0.97
    assert list(fast.columns) == list(slow.columns)
    assert fast[["region_id", "industry"]].equals(slow[["region_id", "industry"]])


def test_zero_among_zeros_is_not_significant():
    # 5x5 grid, an LQ of 0 everywhere except a 2x2 corner of 10: a zero whose
    # neighbours are all zero ties every draw of zeros, so p is not small
    cells = grid(5)
    y = np.zeros(25)
    y[[0, 1, 5, 6]] = 10.0
    values = pd.DataFrame({"a": y}, index=cells["region_id"])
    res = local_statistics(values, build_weights(cells, "queen"), seed=2)
    far = list(cells["region_id"]).index("r4c4")
    assert res.p_moran[far, 0] > 0.5


def test_isolates_are_nan_and_labelled():
    # two touching squares and one far away: the far one has no neighbour
    cells = gpd.GeoDataFrame(
        {"region_id": ["a", "b", "c", "d"]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1), box(9, 9, 10, 10)],
    )
    values = pd.DataFrame({"x": [1.0, 2.0, 6.0, 3.0]}, index=list("abcd"))
    res = local_statistics(values, build_weights(cells, "rook"), seed=3)
    assert res.isolates.tolist() == [False, False, False, True]
    assert np.isnan(res.local_i[3, 0]) and np.isnan(res.p_moran[3, 0])
    assert np.isnan(res.p_gi[3, 0]) and res.quadrant[3, 0] == "isolate"


def test_array_input_and_no_getis_ord(columbus):
    values, graph = columbus
    res = local_statistics(values.to_numpy(), graph, seed=1, getis_ord=False)
    assert res.gi is None and res.p_gi is None
    assert list(res.variables) == list(range(len(COLUMBUS_VARS)))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"permutations": 0}, "permutations must be an integer >= 1"),
        ({"seed": -1}, "seed must be None or an integer"),
    ],
)
def test_invalid_options(columbus, kwargs, match):
    values, graph = columbus
    with pytest.raises(ValueError, match=match):
        local_statistics(values, graph, **kwargs)


def test_invalid_values(columbus):
    values, graph = columbus
    with pytest.raises(TypeError, match="graph must be a libpysal.graph.Graph"):
        local_statistics(values, "queen")
    with pytest.raises(ValueError, match="columns are constant"):
        local_statistics(values.assign(k=1.0), graph)
    with pytest.raises(ValueError, match="negative values"):
        local_statistics(values.assign(n=-values["CRIME"]), graph)
    with pytest.raises(ValueError, match="NaN or infinite"):
        local_statistics(values.assign(CRIME=np.nan), graph)
    with pytest.raises(ValueError, match="Index values by the graph"):
        local_statistics(values.iloc[1:], graph)
    with pytest.raises(ValueError, match="must be 2-D"):
        local_statistics(values["CRIME"].to_numpy(), graph)
    with pytest.raises(TypeError, match="must be numeric"):
        local_statistics(values.assign(s="x"), graph)
    with pytest.raises(ValueError, match="has no columns"):
        local_statistics(values[[]], graph)
    with pytest.raises(ValueError, match="max_neighbours must lie"):
        permutation_draws(3, 3, seed=1)


def test_too_few_regions_and_all_isolates():
    two = gpd.GeoDataFrame({"region_id": ["a", "b"]}, geometry=[box(0, 0, 1, 1)] * 2)
    cells = gpd.GeoDataFrame(
        {"region_id": list("abc")},
        geometry=[box(0, 0, 1, 1), box(5, 5, 6, 6), box(9, 9, 10, 10)],
    )
    lone = build_weights(cells, "rook")
    with pytest.raises(ValueError, match="at least 3 regions"):
        local_statistics(
            pd.DataFrame({"x": [1.0, 2.0]}, index=["a", "b"]),
            build_weights(two, "rook"),
        )
    with pytest.raises(ValueError, match="no neighbour pairs"):
        local_statistics(pd.DataFrame({"x": [1.0, 2.0, 4.0]}, index=list("abc")), lone)


def test_lisa_table_rejects_unknown_engine(columbus):
    values, graph = columbus
    long = values.stack().rename("lq").rename_axis(["region_id", "industry"])
    with pytest.raises(ValueError, match="Unknown engine"):
        lisa_table(long.reset_index(), graph, engine="gpu")


def test_unequal_weights_equal_esda(columbus):
    # a kernel graph: weights differ within a row, so the weighted sum path runs
    values, graph = columbus
    pts = gpd.read_file(libpysal.examples.get_path("columbus.shp")).centroid
    pts.index = values.index
    kernel = libpysal.graph.Graph.build_kernel(pts, k=5, kernel="triangular")
    kernel = kernel.transform("R")
    res = local_statistics(values[["CRIME"]], kernel, permutations=99, seed=4)
    i_esda, p_esda, _ = _moran_arrays(values["CRIME"].to_numpy(), kernel, 99, 4, "esda")
    np.testing.assert_allclose(res.local_i[:, 0], i_esda, rtol=0, atol=1e-10)
    np.testing.assert_array_equal(res.p_moran[:, 0], p_esda)
