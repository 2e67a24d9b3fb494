"""Robustness of High-High labels across weight specifications (geo.robustness)."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geo.autocorrelation import local_moran
from geo.robustness import hh_robustness, min_connecting_band_m, robustness_graphs
from geo.weights import build_weights

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
def hot_corner() -> pd.DataFrame:
    """Industry x: 10 in the 2x2 corner, 1 elsewhere; y: LQ 2 everywhere."""
    ids = grid()["region_id"]
    x = pd.DataFrame(
        {
            "region_id": ids,
            "industry": "x",
            "lq": [10.0 if i in CORNER else 1.0 for i in ids],
        }
    )
    flat = pd.DataFrame({"region_id": ids, "industry": "y", "lq": 2.0})
    return pd.concat([x, flat], ignore_index=True)


def test_default_specifications_on_the_grid():
    graphs = robustness_graphs(grid())
    # queen, KNN 4..12 and three bands: 1, 1.5 and 2 times the smallest band that
    # connects everyone (centres 1000 m apart)
    assert list(graphs) == [
        "queen", *[f"knn_{k}" for k in range(4, 13)],
        "distance_band_1000m", "distance_band_1500m", "distance_band_2000m",
    ]  # fmt: skip
    assert min_connecting_band_m(grid()) == pytest.approx(1000.0)
    # the 1500 m band links the 8 queen neighbours (diagonals at 1414 m)
    assert sorted(graphs["distance_band_1500m"].neighbors["r2c2"]) == sorted(
        graphs["queen"].neighbors["r2c2"]
    )
    assert graphs["knn_7"].cardinalities.eq(7).all()
    # KNN values not below the number of regions are left out; bands can be given
    small = robustness_graphs(grid(2), knn=[2, 4], bands_m=[1500])
    assert list(small) == ["queen", "knn_2", "distance_band_1500m"]


def test_hot_corner_stays_hh_wherever_it_is_significant(hot_corner):
    graphs = robustness_graphs(grid())
    x = hot_corner[hot_corner["industry"] == "x"].set_index("region_id")["lq"]
    seed_x = 7  # lisa_table and hh_robustness: the seed itself
    # Without correction (alpha .05, 999 permutations), r0c0 is significant under
    # queen, KNN 4..9 and the three bands, and always High-High there: 3 hot
    # neighbours at most among k, its own value hot. From k = 10 the 3 hot
    # neighbours are too diluted (p > .05).
    sig_specs = []
    for name, g in graphs.items():
        lm = local_moran(x, g, permutations=999, seed=seed_x, correction="none")
        if lm.loc["r0c0", "p_value"] < 0.05:
            sig_specs.append(name)
            assert lm.loc["r0c0", "quadrant"] == "HH", name
    assert "queen" in sig_specs and "knn_4" in sig_specs
    out = hh_robustness(hot_corner, graphs, permutations=999, seed=7, correction="none")
    by_id = out[out["industry"] == "x"].set_index("region_id")
    assert by_id.loc["r0c0", "hh_share"] == pytest.approx(len(sig_specs) / 13)
    assert by_id.loc["r0c0", "n_specs"] == 13
    # restricted to the specifications where it is significant: always HH
    chosen = {name: graphs[name] for name in sig_specs}
    out = hh_robustness(hot_corner, chosen, permutations=999, seed=7, correction="none")
    by_id = out[out["industry"] == "x"].set_index("region_id")
    assert by_id.loc["r0c0", "hh_share"] == 1.0
    assert by_id.loc["r0c0", "n_specs"] == len(sig_specs)
    # the far corner is never HH; cold cells never are
    assert by_id.loc["r4c4", "hh_share"] == 0.0
    assert by_id.drop(CORNER)["hh_share"].eq(0).all()
    # the constant industry is reported as skipped, not as zero shares
    assert out["industry"].unique().tolist() == ["x"]
    assert list(out.attrs["skipped_industries"]) == ["y"]
    assert out.attrs["specs"] == sig_specs
    assert list(out.columns) == ["region_id", "industry", "hh_share", "n_specs"]


def test_queen_spec_reproduces_the_published_quadrant(hot_corner):
    # with FDR over 25 cells the hot corner is HH under queen
    g = build_weights(grid())
    out = hh_robustness(hot_corner, {"queen": g}, permutations=999, seed=7)
    x = hot_corner[hot_corner["industry"] == "x"].set_index("region_id")["lq"]
    lm = local_moran(x, g, permutations=999, seed=7)
    hh = out.set_index("region_id")["hh_share"].eq(1.0)
    published = set(lm.index[lm["quadrant"] == "HH"])
    assert set(hh.index[hh]) == published
    # which corner cells pass FDR is Monte Carlo (at seed 7: r0c0, r0c1, r1c0)
    assert "r0c0" in published and published <= set(CORNER)


def test_islands_count_only_where_analysed(hot_corner):
    island = gpd.GeoDataFrame(
        {"region_id": ["island"]}, geometry=[box(9000, 0, 10000, 1000)], crs=3035
    )
    cells = pd.concat([grid(), island], ignore_index=True)
    table = pd.concat(
        [
            hot_corner,
            pd.DataFrame({"region_id": ["island"], "industry": "x", "lq": [1.0]}),
        ],
        ignore_index=True,
    )
    graphs = {
        "queen": build_weights(cells),  # island kept: an isolate, not analysed
        "queen_drop": build_weights(cells, islands="drop"),  # island not in graph
        "knn_4": build_weights(cells, "knn", k=4),  # island analysed
    }
    out = hh_robustness(table, graphs, permutations=99, seed=7, correction="none")
    by_id = out[out["industry"] == "x"].set_index("region_id")
    assert by_id.loc["island", "n_specs"] == 1
    assert by_id.loc["r0c0", "n_specs"] == 3
    assert not np.isnan(by_id.loc["island", "hh_share"])


def test_bad_inputs(hot_corner):
    g = build_weights(grid())
    with pytest.raises(ValueError, match="graphs is empty"):
        hh_robustness(hot_corner, {})
    with pytest.raises(TypeError, match=r"graphs\['queen'\] must be a libpysal"):
        hh_robustness(hot_corner, {"queen": g.to_W()})
    with pytest.raises(TypeError, match="values must be a pandas DataFrame"):
        hh_robustness(hot_corner.to_dict(), {"queen": g})
    with pytest.raises(ValueError, match=r"values lacks columns \['lq'\]"):
        hh_robustness(hot_corner.drop(columns="lq"), {"queen": g})
    with pytest.raises(ValueError, match="Unknown multiple-testing correction"):
        hh_robustness(hot_corner, {"queen": g}, correction="holm")
    with pytest.raises(ValueError, match="band_factors must be positive"):
        robustness_graphs(grid(), band_factors=[0])
    with pytest.raises(ValueError, match="geographic CRS"):
        robustness_graphs(grid().to_crs(4326))
    with pytest.raises(ValueError, match="needs at least 2 regions; got 1"):
        min_connecting_band_m(grid(1))
