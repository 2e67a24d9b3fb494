"""The PNG preview of the clusters shown in the Dagster UI."""

import io

import geopandas as gpd
import numpy as np
from matplotlib.image import imread
from shapely.geometry import box

from outputs.preview import cluster_preview_png, png_markdown


def _regions() -> gpd.GeoDataFrame:
    cells = [box(x, 0, x + 1000, 1000) for x in range(0, 4000, 1000)]
    return gpd.GeoDataFrame(
        {"region_id": list("abcd")}, geometry=cells, crs="EPSG:32616"
    )


def test_preview_fills_clusters_by_industry():
    regions = _regions()
    clusters = regions.iloc[[0, 3]].assign(industry=["3141", "5121"])
    rgb = imread(io.BytesIO(cluster_preview_png(regions, clusters)))[..., :3]
    assert rgb.shape[:2] == (480, 480)  # width_px square, nothing cropped
    # tab10's first two colours (blue, orange) fill the two industries
    for colour in ((0x1F, 0x77, 0xB4), (0xFF, 0x7F, 0x0E)):
        near = np.abs(rgb * 255 - colour).max(axis=-1) < 40
        assert near.sum() > 100


def test_preview_without_clusters_and_markdown():
    png = cluster_preview_png(_regions(), _regions().iloc[0:0].assign(industry=""))
    assert png[:4] == b"\x89PNG"
    assert png_markdown(png, alt="x").startswith("![x](data:image/png;base64,iVBOR")
