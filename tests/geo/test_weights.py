"""Known-value tests of geo.weights on hand-sized geometries."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from libpysal.graph import Graph
from shapely.geometry import Point, Polygon, box

from geo.weights import build_weights, components, isolates, resolve_islands


@pytest.fixture
def three_squares() -> gpd.GeoDataFrame:
    """Three 1 km squares in a row: w | m | e (EPSG:3035, metres)."""
    cells = [box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000), box(2000, 0, 3000, 1000)]
    return gpd.GeoDataFrame(
        {"region_id": ["w", "m", "e"]}, geometry=cells, crs="EPSG:3035"
    ).set_index("region_id")


@pytest.fixture
def two_by_two() -> gpd.GeoDataFrame:
    """2x2 block of 1 km squares: a b / c d; a and d touch at one corner only."""
    cells = [
        box(0, 1000, 1000, 2000),
        box(1000, 1000, 2000, 2000),
        box(0, 0, 1000, 1000),
        box(1000, 0, 2000, 1000),
    ]
    return gpd.GeoDataFrame(
        {"region_id": list("abcd")}, geometry=cells, crs="EPSG:3035"
    )


def neighbours(graph: Graph) -> dict[str, list[str]]:
    return {k: sorted(v) for k, v in graph.neighbors.items()}


def test_rook_lag_by_hand(three_squares):
    g = build_weights(three_squares, "rook")
    # w sees m; m sees w and e, so its lag is mean(1, 6); e sees m
    np.testing.assert_allclose(g.lag(np.array([1.0, 2.0, 6.0])), [2.0, 3.5, 2.0])
    assert list(g.unique_ids) == ["w", "m", "e"]


def test_queen_is_the_default_and_sees_corners(two_by_two):
    # rook: a touches b and c along edges; queen adds d through the shared corner
    assert neighbours(build_weights(two_by_two, "rook"))["a"] == ["b", "c"]
    assert neighbours(build_weights(two_by_two))["a"] == ["b", "c", "d"]
    assert neighbours(build_weights(two_by_two, "queen"))["a"] == ["b", "c", "d"]


def test_transforms(two_by_two):
    ones = np.ones(4)
    # row-standardised: every lag of ones is 1; binary: the lag counts neighbours
    np.testing.assert_allclose(build_weights(two_by_two).lag(ones), [1, 1, 1, 1])
    np.testing.assert_allclose(
        build_weights(two_by_two, transform="b").lag(ones), [3, 3, 3, 3]
    )
    assert build_weights(two_by_two, transform="o").transformation == "O"


def test_ids_become_strings_from_column_or_index(two_by_two):
    numbered = two_by_two.assign(region_id=[10, 11, 12, 13])
    g = build_weights(numbered, "rook")
    assert list(g.unique_ids) == ["10", "11", "12", "13"]
    g2 = build_weights(two_by_two.set_index("region_id"), "rook")
    assert list(g2.unique_ids) == list("abcd")
    g3 = build_weights(
        two_by_two.rename(columns={"region_id": "fips"}), id_column="fips"
    )
    assert list(g3.unique_ids) == list("abcd")


def test_input_is_not_modified(two_by_two):
    before = two_by_two.copy()
    build_weights(two_by_two, "knn", k=1)
    pd.testing.assert_frame_equal(two_by_two, before)


def test_knn_on_representative_points():
    # squares centred at x = 500, 1500 and 4500: a's and c's nearest is b, b's is a
    cells = [box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000), box(4000, 0, 5000, 1000)]
    gdf = gpd.GeoDataFrame({"region_id": list("abc")}, geometry=cells, crs=3035)
    g = build_weights(gdf, "knn", k=1)
    assert neighbours(g) == {"a": ["b"], "b": ["a"], "c": ["b"]}
    with pytest.raises(ValueError, match="k=3 neighbours need more than 3 regions"):
        build_weights(gdf, "knn", k=3)
    with pytest.raises(ValueError, match="k must be a positive integer"):
        build_weights(gdf, "knn", k=0)


def test_distance_band_is_inclusive_in_metres(three_squares):
    # centres are 1000 m apart (w-m, m-e) and 2000 m apart (w-e)
    g = build_weights(three_squares, "distance_band", threshold_m=1000)
    assert neighbours(g) == {"w": ["m"], "m": ["e", "w"], "e": ["m"]}
    g = build_weights(three_squares, "distance_band", threshold_m=999)
    assert isolates(g) == ["w", "m", "e"]


def test_distance_band_refuses_degrees(three_squares):
    pts = three_squares.centroid.to_frame("geometry").to_crs(4326)
    with pytest.raises(ValueError, match="geographic CRS"):
        build_weights(pts, "distance_band", threshold_m=1500)
    with pytest.raises(ValueError, match="geographic CRS"):
        build_weights(pts, "knn", k=1)


def test_distance_band_needs_a_positive_threshold(three_squares):
    with pytest.raises(ValueError, match="needs threshold_m"):
        build_weights(three_squares, "distance_band")
    with pytest.raises(ValueError, match="positive distance in metres; got -5"):
        build_weights(three_squares, "distance_band", threshold_m=-5)


def test_distance_methods_need_a_crs(three_squares):
    bare = three_squares.set_crs(None, allow_override=True)
    with pytest.raises(ValueError, match="regions has no CRS"):
        build_weights(bare, "knn", k=1)
    # contiguity is topological and needs none
    assert build_weights(bare, "rook").n == 3


def test_unknown_method_and_transform(three_squares):
    with pytest.raises(ValueError, match=r"Unknown weights method 'lattice'.*'queen'"):
        build_weights(three_squares, "lattice")
    with pytest.raises(ValueError, match="Unknown transform 'x'"):
        build_weights(three_squares, transform="x")


def test_bad_ids_are_refused(two_by_two):
    dup = two_by_two.assign(region_id=["a", "b", "a", "d"])
    with pytest.raises(
        ValueError, match=r"1 duplicate region_id values \(first: \['a'\]"
    ):
        build_weights(dup)
    null = two_by_two.assign(region_id=["a", None, "c", "d"])
    with pytest.raises(
        ValueError, match=r"null region_id \(first row positions: \[1\]"
    ):
        build_weights(null)
    with pytest.raises(ValueError, match="no column or index named 'fips'"):
        build_weights(two_by_two, id_column="fips")
    with pytest.raises(TypeError, match="must be a geopandas GeoDataFrame"):
        build_weights(pd.DataFrame(two_by_two.drop(columns="geometry")))
    with pytest.raises(ValueError, match="regions is empty"):
        build_weights(two_by_two.iloc[:0])


def test_bad_geometries_are_refused_with_their_ids(two_by_two):
    empty = two_by_two.copy()
    empty.loc[1, "geometry"] = Polygon()
    with pytest.raises(ValueError, match=r"1 empty geometries \(first ids: \['b'\]"):
        build_weights(empty)
    null = two_by_two.copy()
    null.loc[2, "geometry"] = None
    with pytest.raises(ValueError, match=r"1 null geometries \(first ids: \['c'\]"):
        build_weights(null)
    pts = two_by_two.assign(
        geometry=[Point(0, 0), Point(1, 0), Point(0, 1), Point(1, 1)]
    )
    with pytest.raises(ValueError, match="contiguity needs Polygon or MultiPolygon"):
        build_weights(pts, "queen")


def test_isolates_and_components():
    # a and b touch; the island lies 8 km away
    cells = [box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000), box(9000, 0, 10000, 1000)]
    gdf = gpd.GeoDataFrame(
        {"region_id": ["a", "b", "island"]}, geometry=cells, crs=3035
    )
    g = build_weights(gdf)
    assert isolates(g) == ["island"]
    labels = components(g)
    assert labels.to_dict() == {"a": 0, "b": 0, "island": 1}
    assert labels.index.name == "region_id"
    with pytest.raises(TypeError, match="libpysal.graph.Graph"):
        isolates(g.to_W())
    with pytest.raises(TypeError, match="libpysal.graph.Graph"):
        components(g.to_W())


# ------------------------------------------------------------------ kernel


def test_adaptive_kernel_by_hand(three_squares):
    # centres at x = 500, 1500, 2500; k = 2 adaptive: h is the distance to the 2nd
    # nearest (stretched by 1e-7). w: m at 1000, e at 2000 -> h = 2000,
    # triangular 1 - 1000/2000 = 0.5 for m and ~5e-8 for e (kept, tiny);
    # m: w and e both at 1000 = h -> equal weights of ~1e-7
    g = build_weights(three_squares, "kernel", k=2, transform="o")
    w = g.adjacency
    assert w[("w", "m")] == pytest.approx(0.5, abs=1e-6)
    assert 0 < w[("w", "e")] < 1e-6
    assert w[("m", "w")] == pytest.approx(w[("m", "e")])
    # row-standardised, m's lag is the plain mean of w and e
    np.testing.assert_allclose(
        build_weights(three_squares, "kernel", k=2).lag([1.0, 2.0, 6.0])[1], 3.5
    )


def test_fixed_kernel_by_hand(three_squares):
    # bandwidth 1500 m: w-m and m-e at 1000 (z = 2/3) are linked, w-e at 2000 is not
    g = build_weights(
        three_squares, "kernel", kernel="triangular", bandwidth_m=1500, transform="o"
    )
    assert neighbours(g) == {"w": ["m"], "m": ["e", "w"], "e": ["m"]}
    assert g.adjacency[("w", "m")] == pytest.approx(1 - 1000 / 1500)
    # the gaussian is truncated at the bandwidth too (GeoDa), with exp(-z^2/2)/sqrt(2pi)
    gauss = build_weights(
        three_squares, "kernel", kernel="gaussian", bandwidth_m=1500, transform="o"
    )
    assert ("w", "e") not in gauss.adjacency.index
    assert gauss.adjacency[("w", "m")] == pytest.approx(
        np.exp(-0.5 * (2 / 3) ** 2) / np.sqrt(2 * np.pi)
    )
    # epanechnikov 0.75 (1 - z^2), quartic 15/16 (1 - z^2)^2, uniform 1
    for name, expected in (
        ("epanechnikov", 0.75 * (1 - 4 / 9)),
        ("quartic", 15 / 16 * (1 - 4 / 9) ** 2),
        ("uniform", 1.0),
    ):
        g = build_weights(
            three_squares, "kernel", kernel=name, bandwidth_m=1500, transform="o"
        )
        assert g.adjacency[("m", "e")] == pytest.approx(expected), name


def test_kernel_is_refused_in_degrees_and_with_bad_options(three_squares):
    pts = three_squares.centroid.to_frame("geometry").to_crs(4326)
    with pytest.raises(ValueError, match="geographic CRS"):
        build_weights(pts, "kernel", bandwidth_m=1500)
    with pytest.raises(ValueError, match="Unknown kernel 'cubic'"):
        build_weights(three_squares, "kernel", kernel="cubic", k=2)
    with pytest.raises(ValueError, match="bandwidth_m must be a positive distance"):
        build_weights(three_squares, "kernel", bandwidth_m=0)
    with pytest.raises(ValueError, match="k=3 neighbours need more than 3 regions"):
        build_weights(three_squares, "kernel", k=3)


# ------------------------------------------------------------------ block


@pytest.fixture
def counties() -> gpd.GeoDataFrame:
    """Four counties in a row: a, b in state X; c in Y; d alone in Z."""
    cells = [box(i * 1000, 0, (i + 1) * 1000, 1000) for i in range(4)]
    return gpd.GeoDataFrame(
        {"region_id": list("abcd"), "state": ["X", "X", "Y", "Z"]},
        geometry=cells,
        crs=3035,
    )


def test_block_weights_link_the_same_higher_level_region(counties):
    four = counties.assign(state=["X", "X", "X", "Z"])
    g = build_weights(four, "block", block_column="state")
    # a, b, c share X (all pairs, adjacent or not); d is alone in Z: an isolate
    assert neighbours(g) == {"a": ["b", "c"], "b": ["a", "c"], "c": ["a", "b"], "d": []}
    assert isolates(g) == ["d"]
    np.testing.assert_allclose(g.lag([3.0, 6.0, 9.0, 1.0]), [7.5, 6.0, 4.5, 0.0])
    # block weights are topological: no CRS needed
    assert (
        build_weights(
            four.set_crs(None, allow_override=True), "block", block_column="state"
        ).n
        == 4
    )


def test_block_needs_a_complete_column(counties):
    with pytest.raises(ValueError, match="needs block_column"):
        build_weights(counties, "block")
    with pytest.raises(ValueError, match="no column 'county'"):
        build_weights(counties, "block", block_column="county")
    gap = counties.assign(state=["X", None, "Y", "Z"])
    with pytest.raises(
        ValueError, match=r"1 rows with a null state \(first ids: \['b'\]"
    ):
        build_weights(gap, "block", block_column="state")


# ------------------------------------------------------------------ islands


@pytest.fixture
def with_island() -> gpd.GeoDataFrame:
    """a and b touch; the island lies 7 km east of b, 8 km of a."""
    cells = [box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000), box(9000, 0, 10000, 1000)]
    return gpd.GeoDataFrame(
        {"region_id": ["a", "b", "island"]}, geometry=cells, crs=3035
    )


def test_islands_keep_is_the_default(with_island):
    g = build_weights(with_island)
    assert isolates(g) == ["island"]
    # an island's spatial lag is 0
    assert g.lag([1.0, 2.0, 5.0]).tolist() == [2.0, 1.0, 0.0]
    kept, handled = resolve_islands(build_weights(with_island, transform="o"))
    assert handled == ["island"] and isolates(kept) == ["island"]


def test_islands_drop_removes_them(with_island):
    g = build_weights(with_island, islands="drop")
    assert list(g.unique_ids) == ["a", "b"]
    assert isolates(g) == []
    _, handled = resolve_islands(build_weights(with_island, transform="o"), how="drop")
    assert handled == ["island"]


def test_islands_attach_links_the_nearest_centroid(with_island):
    g = build_weights(with_island, islands="attach")
    # centroids at x = 500, 1500, 9500: the island's nearest is b (8000 m vs 9000 m)
    assert neighbours(g) == {"a": ["b"], "b": ["a", "island"], "island": ["b"]}
    assert isolates(g) == [] and components(g).nunique() == 1
    # row-standardised: b's lag is the mean of a and the island
    np.testing.assert_allclose(g.lag([1.0, 2.0, 5.0]), [2.0, 3.0, 2.0])
    # binary graphs get weight-1 links
    assert set(
        build_weights(with_island, islands="attach", transform="o").adjacency
    ) == {1.0}


def test_islands_attach_needs_metres_and_the_raw_graph(with_island):
    raw = build_weights(with_island, transform="o")
    with pytest.raises(ValueError, match="geographic CRS"):
        build_weights(with_island.to_crs(4326), islands="attach")
    with pytest.raises(ValueError, match="needs the regions"):
        resolve_islands(raw, how="attach")
    with pytest.raises(ValueError, match="before transforming"):
        resolve_islands(build_weights(with_island), with_island, how="attach")
    with pytest.raises(ValueError, match=r"regions lacks 1 ids of the graph"):
        resolve_islands(raw, with_island.iloc[:2], how="attach")
    with pytest.raises(ValueError, match="Unknown islands choice 'merge'"):
        build_weights(with_island, islands="merge")
    with pytest.raises(ValueError, match="Unknown islands choice 'merge'"):
        resolve_islands(raw, how="merge")
    one = with_island.iloc[[2]]
    with pytest.raises(ValueError, match="needs at least 2 regions; got 1"):
        build_weights(one, islands="attach")
    with pytest.raises(ValueError, match="All 1 regions are islands"):
        build_weights(one, islands="drop")


def test_single_region_is_one_isolate(with_island):
    g = build_weights(with_island.iloc[[0]])
    assert isolates(g) == ["a"]
    assert components(g).tolist() == [0]
