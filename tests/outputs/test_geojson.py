"""GeoJSON of layers that repeat their geometries: the same bytes as GDAL's own."""

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
from shapely.geometry import Polygon, box

from outputs.geoparquet import write_geojson, write_geojson_layers

OPTIONS = {
    "RFC7946": "YES",
    "COORDINATE_PRECISION": "6",
    "WRITE_BBOX": "YES",
    "WRITE_NAME": "NO",
}


def _direct(gdf: gpd.GeoDataFrame, path) -> bytes:
    """Every feature written by GDAL, as write_geojson did before."""
    pyogrio.write_dataframe(
        gdf.reset_index(drop=True).to_crs("EPSG:4326"),
        path,
        driver="GeoJSON",
        layer_options=OPTIONS,
    )
    return path.read_bytes()


@pytest.fixture
def regions_by_industry() -> gpd.GeoDataFrame:
    """Four regions (one with a hole) x three industries, odd attribute values."""
    cells = [box(x, 0, x + 1000, 1000) for x in range(500_000, 503_000, 1000)]
    cells.append(
        Polygon(
            [(503_000, 0), (504_000, 0), (504_000, 1000), (503_000, 1000)],
            [[(503_200, 200), (503_400, 200), (503_400, 400)]],
        )
    )
    rng = np.random.default_rng(3)
    rows = [
        {
            "region_id": f"r{i}",
            "name": ["Dalton", 'Say "hi"', "Ñandú / €", None][i],
            "industry": code,
            "lq": float(rng.uniform(0, 3)),
            "stars": int(i),
            "strong": bool(i % 2),
            "p": [0.074, np.nan, 1e-12, 1 / 3][i],
            "geometry": cell,
        }
        for code in ("3141", "5121", "7225")
        for i, cell in enumerate(cells)
    ]
    return gpd.GeoDataFrame(rows, crs="EPSG:32616")


def test_repeated_geometries_give_gdals_bytes(tmp_path, regions_by_industry):
    out = write_geojson(regions_by_industry, tmp_path / "shared.geojson")
    assert out.read_bytes() == _direct(regions_by_industry, tmp_path / "gdal.geojson")


def test_distinct_or_missing_geometries_are_written_by_gdal(tmp_path):
    unique = gpd.GeoDataFrame(
        {"id": ["a", "b"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=32616
    )
    out = write_geojson(unique, tmp_path / "unique.geojson")
    assert out.read_bytes() == _direct(unique, tmp_path / "u.geojson")
    gaps = gpd.GeoDataFrame(
        {"id": ["a", "b", "c"]}, geometry=[box(0, 0, 1, 1), None, box(0, 0, 1, 1)]
    ).set_crs(32616)
    out = write_geojson(gaps, tmp_path / "gaps.geojson")
    assert out.read_bytes() == _direct(gaps, tmp_path / "g.geojson")


def test_layers_sharing_geometries_give_gdals_bytes(tmp_path, regions_by_industry):
    # regions first: written by GDAL, its geometries then reused for the two
    # statistics layers (one of them in another attribute order)
    regions = regions_by_industry[regions_by_industry["industry"] == "3141"]
    layers = {
        "regions": regions.drop(columns="industry"),
        "lq": regions_by_industry,
        "lisa": regions_by_industry.iloc[::-1][["industry", "lq", "geometry"]],
    }
    out = write_geojson_layers(layers, tmp_path / "geojson")
    assert sorted(out) == ["lisa", "lq", "regions"]
    for name, gdf in layers.items():
        assert out[name] == tmp_path / "geojson" / f"{name}.geojson"
        assert out[name].read_bytes() == _direct(gdf, tmp_path / f"{name}.gdal.json")
