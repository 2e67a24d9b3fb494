"""Moran scatterplot and cluster maps: what is drawn, on hand-sized grids."""

import io

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from shapely.geometry import box

from geo.weights import build_weights
from outputs.figures import cluster_map, moran_scatterplot

CORNER = ["r0c0", "r0c1", "r1c0", "r1c1"]


@pytest.fixture
def grid() -> gpd.GeoDataFrame:
    """3 x 3 grid of 1 km squares, ids r<row>c<col>, plus an island far east."""
    cells, ids = [], []
    for r in range(3):
        for c in range(3):
            cells.append(box(c * 1000, r * 1000, (c + 1) * 1000, (r + 1) * 1000))
            ids.append(f"r{r}c{c}")
    cells.append(box(9000, 0, 10000, 1000))
    ids.append("island")
    return gpd.GeoDataFrame({"region_id": ids}, geometry=cells, crs=3035)


def test_scatterplot_slope_is_morans_i(grid):
    g = build_weights(grid)
    y = pd.Series(np.arange(10, dtype=float), index=grid["region_id"])
    before = y.copy()
    fig = moran_scatterplot(y, g)
    pd.testing.assert_series_equal(y, before)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    # the island has no lag: 9 points, not 10
    points = ax.collections[0].get_offsets()
    assert len(points) == 9
    # points are (z, lag z); the line's slope is n / S0 * z'Wz / z'z
    z = (y - y.mean()) / y.std(ddof=0)
    lag = g.lag(z.to_numpy())
    np.testing.assert_allclose(points[:, 0], z.to_numpy()[:9])
    np.testing.assert_allclose(points[:, 1], lag[:9])
    expected = 10 / 9 * float(z @ lag) / float(z @ z)
    (x0, x1), (y0, y1) = ax.lines[-1].get_data()
    assert (y1 - y0) / (x1 - x0) == pytest.approx(expected)
    assert f"Moran's I = {expected:.3f}" in [
        t.get_text() for t in ax.get_legend().get_texts()
    ]
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")  # saving is the caller's job; it works
    assert buffer.getvalue()[:4] == b"\x89PNG"


def test_scatterplot_colours_follow_the_quadrants(grid):
    g = build_weights(grid)
    y = pd.Series(np.arange(10, dtype=float), index=grid["region_id"])
    quadrant = pd.Series("ns", index=y.index)
    quadrant["r2c2"] = "HH"
    fig = moran_scatterplot(y, g, quadrant=quadrant, title="x")
    faces = [to_hex(c) for c in fig.axes[0].collections[0].get_facecolors()]
    assert faces[8] == "#ff0000" and faces[0] == "#eeeeee"
    assert fig.axes[0].get_title() == "x"


def test_scatterplot_refuses_bad_input(grid):
    g = build_weights(grid)
    y = pd.Series(np.arange(10, dtype=float), index=grid["region_id"])
    with pytest.raises(ValueError, match=r"no value \(or NaN\) for 1 graph ids"):
        moran_scatterplot(y.drop("r0c0"), g)
    with pytest.raises(ValueError, match="y is constant"):
        moran_scatterplot(y * 0, g)
    with pytest.raises(TypeError, match="y must be a pandas Series"):
        moran_scatterplot(y.to_numpy(), g)
    with pytest.raises(TypeError, match="libpysal.graph.Graph"):
        moran_scatterplot(y, g.to_W())


def test_cluster_map_colours_and_counts(grid):
    lisa = pd.DataFrame(
        {
            "region_id": grid["region_id"][:9],
            "industry": "x",
            "quadrant": ["HH", "HH", "ns", "HH", "ns", "ns", "LL", "ns", "ns"],
            "hotspot": ["hot_99", "hot_95", "ns", "hot_95", "ns", "ns",
                        "cold_95", "ns", "ns"],
        }
    )  # fmt: skip
    other = lisa.assign(industry="y", quadrant="ns")
    table = pd.concat([lisa, other], ignore_index=True)
    fig = cluster_map(grid, table, industry="x")
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    # GeoDa's order, counts in brackets; the island has no row: not analysed
    assert legend == [
        "High-High (3)", "Low-Low (1)", "Not significant (5)", "Not analysed (1)",
    ]  # fmt: skip
    assert fig.axes[0].get_title() == "LISA clusters: x"
    hot = cluster_map(grid, table, industry="x", column="hotspot")
    legend = [t.get_text() for t in hot.axes[0].get_legend().get_texts()]
    assert legend[:3] == [
        "Hot spot, 99 % confidence (1)", "Hot spot, 95 % confidence (2)",
        "Not significant (5)",
    ]  # fmt: skip
    # the 99 % hot spot is drawn dark red
    first = hot.axes[0].collections[0]
    assert to_hex(first.get_facecolors()[0]) == "#b2182b"


def test_cluster_map_refuses_bad_input(grid):
    lisa = pd.DataFrame(
        {"region_id": ["r0c0", "r0c0"], "industry": ["x", "y"], "quadrant": "HH"}
    )
    with pytest.raises(ValueError, match="holds 2 industries"):
        cluster_map(grid, lisa)
    with pytest.raises(ValueError, match="industry 'z' is not in lisa"):
        cluster_map(grid, lisa, industry="z")
    with pytest.raises(ValueError, match="Unknown column 'lq'"):
        cluster_map(grid, lisa, column="lq")
    with pytest.raises(ValueError, match=r"lisa lacks columns \['hotspot'\]"):
        cluster_map(grid, lisa, column="hotspot")
    with pytest.raises(ValueError, match=r"labels \['hot'\]"):
        cluster_map(grid, lisa.assign(quadrant="hot"), industry="x")
    with pytest.raises(TypeError, match="regions must be a geopandas GeoDataFrame"):
        cluster_map(pd.DataFrame(grid), lisa, industry="x")
    with pytest.raises(TypeError, match="lisa must be a pandas DataFrame"):
        cluster_map(grid, lisa.to_dict(), industry="x")
