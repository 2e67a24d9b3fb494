"""Properties of permutation inference: p-values in [1/(p+1), 1], and the same
results at the same seed."""

import geopandas as gpd
import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from geo.autocorrelation import lisa_table, local_moran
from geo.weights import build_weights

PERMUTATIONS = 99


def grid(rows: int, cols: int) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"region_id": [f"{r}-{c}" for r in range(rows) for c in range(cols)]},
        geometry=[box(c, r, c + 1, r + 1) for r in range(rows) for c in range(cols)],
        crs="EPSG:32616",
    )


@st.composite
def grids_with_values(draw):
    rows, cols = draw(st.integers(2, 4)), draw(st.integers(2, 4))
    n = rows * cols
    values = draw(
        st.lists(st.integers(0, 5).map(float), min_size=n, max_size=n).filter(
            lambda v: len(set(v)) > 1  # constant values have no Moran's I
        )
    )
    weights = draw(st.sampled_from(["queen", "rook"]))
    seed = draw(st.integers(0, 2**32 - 1))
    return grid(rows, cols), values, weights, seed


@settings(max_examples=12, deadline=None)
@given(grids_with_values())
def test_local_moran_p_values_are_in_range_and_reproducible(case):
    regions, values, method, seed = case
    graph = build_weights(regions, method)
    y = pd.Series(values, index=regions["region_id"])
    out = local_moran(y, graph, permutations=PERMUTATIONS, seed=seed)
    p = out["p_value"].dropna().to_numpy()
    assert len(p) == len(regions)  # a grid has no isolates
    # folded permutation p: (min(#>=, #<=) + 1) / (p + 1), at most 1
    assert (p >= 1 / (PERMUTATIONS + 1) - 1e-12).all() and (p <= 1).all()
    assert np.allclose(p * (PERMUTATIONS + 1), np.round(p * (PERMUTATIONS + 1)))
    adjusted = out["p_adjusted"].to_numpy()
    assert (adjusted >= p - 1e-12).all() and (adjusted <= 1).all()
    again = local_moran(y, graph, permutations=PERMUTATIONS, seed=seed)
    pd.testing.assert_frame_equal(out, again)


@settings(max_examples=6, deadline=None)
@given(grids_with_values(), st.permutations(["x", "y", "z"]))
def test_lisa_table_is_deterministic_and_independent_of_industry_order(case, order):
    regions, values, method, seed = case
    graph = build_weights(regions, method)
    ids = list(regions["region_id"])
    rng = np.random.default_rng(seed)
    table = pd.DataFrame(
        {
            "region_id": ids * 3,
            "industry": [i for i in "xyz" for _ in ids],
            "lq": values + list(rng.permutation(values)) + list(np.array(values) ** 2),
        }
    )
    out = lisa_table(table, graph, permutations=PERMUTATIONS, seed=seed)
    for column in ("p_value", "gi_p"):
        p = out[column].dropna()
        assert ((p >= 1 / (PERMUTATIONS + 1) - 1e-12) & (p <= 1)).all()
    # the same seed gives the same table, whatever order the industries come in
    shuffled = pd.concat([table[table["industry"] == i] for i in order])
    again = lisa_table(shuffled, graph, permutations=PERMUTATIONS, seed=seed)
    pd.testing.assert_frame_equal(
        out.reset_index(drop=True), again.reset_index(drop=True)
    )
