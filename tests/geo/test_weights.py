"""Known-value tests of geo.weights on hand-sized geometries."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from libpysal.graph import Graph
from shapely.geometry import Point, Polygon, box

from geo.weights import build_weights, components, isolates


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
    with pytest.raises(ValueError, match=r"Unknown weights method 'kernel'.*'queen'"):
        build_weights(three_squares, "kernel")
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
