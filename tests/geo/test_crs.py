"""Tests of the CRS guards in geo.crs."""

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from geo.crs import require_crs, require_metric_crs


@pytest.fixture
def points() -> gpd.GeoDataFrame:
    """Two points 1 km apart in EPSG:3035 (LAEA Europe, metres)."""
    return gpd.GeoDataFrame(
        {"firm_id": ["a", "b"]},
        geometry=[Point(4_000_000, 3_000_000), Point(4_001_000, 3_000_000)],
        crs="EPSG:3035",
    )


def test_metric_crs_passes_and_leaves_input_alone(points):
    before = points.copy()
    assert require_metric_crs(points, "points") is None
    assert require_metric_crs(points.geometry, "points") is None
    pd.testing.assert_frame_equal(points, before)


def test_missing_crs_names_frame_and_fix(points):
    bare = points.set_crs(None, allow_override=True)
    with pytest.raises(ValueError, match=r"firms has no CRS.*firms\.set_crs"):
        require_metric_crs(bare, "firms")
    with pytest.raises(ValueError, match=r"firms has no CRS.*firms\.set_crs"):
        require_crs(bare, "firms")


def test_geographic_crs_is_refused_with_reprojection_hint(points):
    wgs84 = points.to_crs(4326)
    with pytest.raises(
        ValueError, match=r"geographic CRS EPSG:4326.*to_crs\('EPSG:3035'\)"
    ):
        require_metric_crs(wgs84, "points")
    # a declared geographic CRS is fine where no distance is measured
    assert require_crs(wgs84, "points") is None


def test_projected_crs_in_feet_is_refused(points):
    # EPSG:2263 is NAD83 / New York Long Island in US survey feet
    feet = points.to_crs(2263)
    with pytest.raises(ValueError, match="is not in metres"):
        require_metric_crs(feet, "points")


def test_non_geo_objects_are_a_type_error(points):
    frame = pd.DataFrame(points.drop(columns="geometry"))
    with pytest.raises(TypeError, match="must be a geopandas GeoDataFrame"):
        require_crs(frame, "points")
    with pytest.raises(TypeError, match="must be a geopandas GeoDataFrame"):
        require_metric_crs(frame, "points")
