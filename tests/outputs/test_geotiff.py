"""Tests of the Cloud-Optimized GeoTIFF writer and the density raster style."""

from __future__ import annotations

import os
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import rasterio
from affine import Affine

from outputs.geotiff import COG_OPTIONS, write_cog
from outputs.styles import DENSITY_COLOURS, density_style

CRS = "EPSG:32616"
# 1 km cells, west edge 700 000 m, north edge 3 800 000 m (north-up)
NORTH_UP = Affine(1000.0, 0.0, 700_000.0, 0.0, -1000.0, 3_800_000.0)
SYSTEM_PYTHON = "/usr/bin/python3"


def _gdal_validator() -> None:
    """Skip unless Debian's python3-gdal can run GDAL's COG validator."""
    if not os.path.exists(SYSTEM_PYTHON):
        pytest.skip(f"{SYSTEM_PYTHON} does not exist")
    probe = subprocess.run(
        [
            SYSTEM_PYTHON,
            "-c",
            "import osgeo_utils.samples.validate_cloud_optimized_geotiff",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if probe.returncode:
        pytest.skip(
            f"{SYSTEM_PYTHON} cannot import osgeo_utils (install python3-gdal, see "
            ".ci/run): " + (probe.stderr.strip().splitlines() or ["?"])[-1]
        )


def test_values_transform_and_crs_round_trip(tmp_path):
    grid = np.arange(12, dtype="float32").reshape(3, 4)
    out = write_cog(grid, NORTH_UP, CRS, tmp_path / "d.tif")
    with rasterio.open(out) as src:
        np.testing.assert_array_equal(src.read(1), grid)
        assert src.transform == NORTH_UP
        assert src.crs.to_epsg() == 32616
        assert (src.count, src.dtypes[0], src.nodata) == (1, "float32", None)
        # cell (row 2, col 3) has its upper-left corner 3 km east, 2 km south
        assert src.xy(2, 3, offset="ul") == (703_000.0, 3_798_000.0)


def test_cog_layout_tiles_compression_and_overviews(tmp_path):
    grid = np.random.default_rng(1).random((1000, 700)).astype("float32")
    out = write_cog(grid, NORTH_UP, CRS, tmp_path / "d.tif")
    with rasterio.open(out) as src:
        assert src.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        assert src.block_shapes == [(256, 256)]
        assert src.compression.name == "deflate"
        assert src.tags(ns="IMAGE_STRUCTURE")["PREDICTOR"] == "3"  # floating point
        # overviews halve until the image fits one 256 px tile: 500, 250 rows
        assert src.overviews(1) == [2, 4]
    assert COG_OPTIONS["OVERVIEWS"] == "AUTO"


def test_gdal_validator_accepts_the_file(tmp_path):
    _gdal_validator()
    grid = np.random.default_rng(2).random((600, 600)).astype("float32")
    out = write_cog(grid, NORTH_UP, CRS, tmp_path / "d.tif")
    done = subprocess.run(
        [
            SYSTEM_PYTHON,
            "-m",
            "osgeo_utils.samples.validate_cloud_optimized_geotiff",
            "--full-check=yes",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "is a valid cloud optimized GeoTIFF" in done.stdout


def test_density_grid_output_writes_as_is(tmp_path):
    points = pytest.importorskip("geo.points")
    import geopandas as gpd
    from shapely.geometry import Point

    firms = gpd.GeoDataFrame(
        {"employees": [1, 2, 3]},
        geometry=[
            Point(700_500, 3_800_500),
            Point(701_500, 3_800_500),
            Point(705_000, 3_805_000),
        ],
        crs=CRS,
    )
    array, transform, crs = points.density_grid(firms, cell_m=500, bandwidth_m=1000)
    out = write_cog(array, transform, crs, tmp_path / "density.tif")
    with rasterio.open(out) as src:
        np.testing.assert_allclose(src.read(1), array)
        assert src.transform == transform
        assert src.crs.to_epsg() == 32616


def test_nodata_and_integer_dtypes(tmp_path):
    grid = np.array([[0, 5], [255, 7]], dtype="uint8")
    out = write_cog(grid, NORTH_UP, CRS, tmp_path / "d.tif", nodata=255)
    with rasterio.open(out) as src:
        assert src.nodata == 255
        assert src.read(1, masked=True).mask.tolist() == [[False, False], [True, False]]
    with pytest.raises(ValueError, match="nodata -1 does not fit dtype uint8"):
        write_cog(grid, NORTH_UP, CRS, tmp_path / "e.tif", nodata=-1)
    floats = write_cog(
        grid.astype("float32"), NORTH_UP, CRS, tmp_path / "f.tif", nodata=float("nan")
    )
    with rasterio.open(floats) as src:
        assert np.isnan(src.nodata)


def test_style_written_beside(tmp_path):
    qml = density_style(10.0)
    out = write_cog(
        np.ones((2, 2), "float32"), NORTH_UP, CRS, tmp_path / "d.tif", qml=qml
    )
    assert (tmp_path / "d.qml").read_text() == qml
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.qml", "d.tif"]
    assert out == tmp_path / "d.tif"


def test_input_not_modified(tmp_path):
    grid = np.arange(6, dtype="float64").reshape(2, 3)
    before = grid.copy()
    write_cog(grid, NORTH_UP, CRS, tmp_path / "d.tif")
    np.testing.assert_array_equal(grid, before)


def test_failure_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = write_cog(np.zeros((2, 2), "float32"), NORTH_UP, CRS, tmp_path / "d.tif")
    old = path.read_bytes()

    def refuse(src, dst):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr("outputs.geotiff.os.replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        write_cog(np.ones((2, 2), "float32"), NORTH_UP, CRS, path, qml=density_style(1))
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["d.tif"]


def test_bad_input(tmp_path):
    ok = np.zeros((2, 2), "float32")
    with pytest.raises(TypeError, match="array must be a numpy.ndarray; got list"):
        write_cog([[0.0]], NORTH_UP, CRS, tmp_path / "d.tif")
    with pytest.raises(ValueError, match=r"must be 2-D .* got shape \(1, 2, 2\)"):
        write_cog(ok[None], NORTH_UP, CRS, tmp_path / "d.tif")
    with pytest.raises(ValueError, match="dtype bool, which GeoTIFF cannot store"):
        write_cog(ok > 0, NORTH_UP, CRS, tmp_path / "d.tif")
    with pytest.raises(TypeError, match="transform must be an affine.Affine"):
        write_cog(ok, (1000, 0, 0, 0, -1000, 0), CRS, tmp_path / "d.tif")
    with pytest.raises(ValueError, match="is degenerate"):
        write_cog(ok, Affine(0, 0, 0, 0, 0, 0), CRS, tmp_path / "d.tif")
    with pytest.raises(ValueError, match="crs is not a CRS pyproj understands"):
        write_cog(ok, NORTH_UP, "EPSG:0", tmp_path / "d.tif")
    with pytest.raises(ValueError, match=r"must end in \.tif or \.tiff"):
        write_cog(ok, NORTH_UP, CRS, tmp_path / "d.png")
    assert not list(tmp_path.iterdir())


# ------------------------------------------------------------------ density style


def test_density_style_ramp_by_hand():
    root = ET.fromstring(density_style(12.0, minimum=0.0, units="firms/km²"))
    renderer = root.find("pipe/rasterrenderer")
    assert renderer.get("type") == "singlebandpseudocolor"
    assert (renderer.get("band"), renderer.get("opacity")) == ("1", "0.85")
    shader = renderer.find("rastershader/colorrampshader")
    assert shader.get("colorRampType") == "INTERPOLATED"
    items = shader.findall("item")
    # transparent at 0, then the six YlOrRd stops every 12 / 6 = 2 firms per km2
    assert [float(i.get("value")) for i in items] == [0, 2, 4, 6, 8, 10, 12]
    assert [i.get("alpha") for i in items] == ["0"] + ["255"] * 6
    assert [i.get("color") for i in items[1:]] == list(DENSITY_COLOURS)
    assert items[-1].get("label") == "12 firms/km²"
    assert shader.get("clip") == "0"  # above the maximum: darkest red, not hidden


def test_density_style_rejects_bad_bounds():
    with pytest.raises(ValueError, match="maximum > minimum"):
        density_style(0.0)
    with pytest.raises(ValueError, match="finite bounds"):
        density_style(float("inf"))
    with pytest.raises(ValueError, match="opacity must be between 0 and 1"):
        density_style(5.0, opacity=1.5)
