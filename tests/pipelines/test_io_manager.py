"""The IO manager's GeoParquet reader gives what geopandas.read_parquet gives."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, Polygon

from pipelines.io_managers import read_geoparquet


@pytest.mark.parametrize("crs", ["EPSG:32616", "EPSG:4326", None])
def test_read_equals_geopandas(tmp_path, crs):
    frame = gpd.GeoDataFrame(
        {
            "firm_id": ["a", "b", "c"],
            "employees": pd.array([3, None, 7], dtype="Int64"),
            "score": [0.5, np.nan, 1.0],
            "region_id": ["13313", None, "13047"],
        },
        geometry=[Point(1, 2), Point(), Polygon([(0, 0), (1, 0), (1, 1)])],
        crs=crs,
    ).set_index(pd.Index([10, 11, 12], name="row"))
    path = tmp_path / "x.geoparquet"
    frame.to_parquet(path)
    expected, got = gpd.read_parquet(path), read_geoparquet(path)
    assert type(got) is gpd.GeoDataFrame
    assert got.crs == expected.crs and got.geometry.name == expected.geometry.name
    pd.testing.assert_frame_equal(pd.DataFrame(got), pd.DataFrame(expected))
    assert got.geometry.is_empty.tolist() == [False, True, False]
