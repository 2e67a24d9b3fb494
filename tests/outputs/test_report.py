"""Tests of the static HTML report and its Moran scatterplot numbers."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from esda.moran import Moran
from libpysal.graph import Graph

from outputs.report import moran_scatter_data, write_report

QGIS_DIR = Path(__file__).resolve().parents[1] / "qgis"
_spec = importlib.util.spec_from_file_location(
    "sample_layers", QGIS_DIR / "sample_layers.py"
)
sample = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sample)


@pytest.fixture(scope="module")
def layers():
    return sample.sample_layers()


@pytest.fixture(scope="module")
def weights(layers):
    return Graph.build_contiguity(
        layers["regions"].set_index("region_id"), rook=False
    ).transform("r")


def _path_graph() -> Graph:
    """a - b - c in a row, row-standardised: b's neighbours weigh 1/2 each."""
    edges = pd.DataFrame(
        {"focal": ["a", "b", "b", "c"], "neighbor": ["b", "a", "c", "b"], "weight": 1.0}
    )
    return Graph.from_adjacency(edges).transform("r")


def test_scatter_by_hand():
    table = pd.DataFrame(
        {"region_id": ["c", "a", "b"], "industry": "x", "lq": [4.0, 1.0, 1.0]}
    )
    out = moran_scatter_data(table, _path_graph(), "x")
    # values in graph order a, b, c = 1, 1, 4: mean 2, population sd sqrt(2)
    z = np.array([-1, -1, 2]) / np.sqrt(2)
    # lags: a sees b; b sees (a + c) / 2; c sees b
    np.testing.assert_allclose(out["z"], z)
    np.testing.assert_allclose(out["lag"], [z[1], (z[0] + z[2]) / 2, z[1]])
    assert out.index.tolist() == ["a", "b", "c"]


def test_scatter_slope_is_morans_i(layers, weights):
    # with row-standardised weights and no isolates, the least-squares slope of
    # W z on z equals Moran's I as esda computes it
    lisa = layers["lisa"]
    out = moran_scatter_data(lisa, weights, "3141")
    slope = np.polyfit(out["z"], out["lag"], 1)[0]
    values = lisa[lisa["industry"] == "3141"].set_index("region_id")["lq"]
    moran = Moran(
        values.reindex(weights.unique_ids).to_numpy(), weights.to_W(), permutations=0
    )
    assert slope == pytest.approx(moran.I, abs=1e-12)
    assert moran.I > 0.3  # the hot corner: strong positive autocorrelation


def test_scatter_errors(layers, weights):
    lisa = layers["lisa"]
    with pytest.raises(ValueError, match="industry '9999' has no rows"):
        moran_scatter_data(lisa, weights, "9999")
    with pytest.raises(ValueError, match=r"no 'lq' for 1 region\(s\).*\['r00'\]"):
        moran_scatter_data(lisa[lisa["region_id"] != "r00"], weights, "3141")
    flat = lisa.assign(lq=1.0)
    with pytest.raises(ValueError, match="is constant or not finite"):
        moran_scatter_data(flat, weights, "3141")


def test_report_page_and_figures(tmp_path, layers, weights):
    moran = pd.DataFrame(
        {"industry": ["3141", "5121"], "moran_i": [0.61, -0.07], "p_sim": [0.001, 0.4]}
    )
    out = write_report(
        layers,
        tmp_path,
        title="Sample <study>",
        weights=weights,
        moran=moran,
        industry_names={"3141": "Carpets & rugs"},
        provenance={"run_id": "run-9", "versions": {"esda": "2.9.0"}},
    )
    assert out == tmp_path / "index.html"
    page = out.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "clusters.png",
        "index.html",
        "industry_3141.png",
        "industry_5121.png",
    ]
    assert "<title>Sample &lt;study&gt;</title>" in page  # escaped
    assert "3141 Carpets &amp; rugs (Moran&#x27;s I 0.610)" in page
    assert "<td>0.610</td><td>0.001</td>" in page  # the global Moran table
    # cluster table: id, industry with name, 4 regions, maturity 0.700, stage
    assert '<td class="text">3141-corner</td>' in page
    assert '<td class="num">0.700</td>' in page
    assert '<td class="text">mature</td>' in page
    assert "run-9" in page and "esda 2.9.0" in page
    assert "left out" not in page  # weights given: scatterplots drawn
    # a figure of four panels is wider than tall
    from matplotlib.image import imread

    height, width = imread(tmp_path / "industry_3141.png").shape[:2]
    assert width > 3 * height


def test_report_without_clusters_or_weights(tmp_path, layers):
    empty = layers["clusters"].iloc[0:0]
    page = write_report(
        {"lisa": layers["lisa"], "clusters": empty}, tmp_path, title="T"
    ).read_text()
    assert "No cluster was found." in page
    assert "Moran scatterplots are left out: no weights given." in page
    assert not (tmp_path / "clusters.png").exists()


def test_report_inputs_not_modified(tmp_path, layers, weights):
    before = {name: gdf.copy() for name, gdf in layers.items()}
    write_report(layers, tmp_path, title="T", weights=weights, industries=["3141"])
    for name, gdf in layers.items():
        pd.testing.assert_frame_equal(gdf, before[name])
    assert not (tmp_path / "industry_5121.png").exists()  # only what was asked


def test_report_needs_a_statistics_layer(tmp_path, layers):
    with pytest.raises(ValueError, match="needs a 'lisa' or 'location_quotients'"):
        write_report({"regions": layers["regions"]}, tmp_path, title="T")


def test_report_redraws_one_figure_per_industry_without_leftovers(
    tmp_path, layers, weights
):
    # One figure is reused for every industry: 5121, drawn after 3141, must show
    # none of 3141's cluster outline (#3c0000) and look as if drawn alone.
    from matplotlib.image import imread

    both, alone = tmp_path / "both", tmp_path / "alone"
    write_report(layers, both, title="T", weights=weights)
    write_report(layers, alone, title="T", weights=weights, industries=["5121"])

    def outline_pixels(path):
        # dark red: the cluster outline #3c0000, antialiased over the fills
        rgb = (imread(path)[..., :3] * 255).round()
        return int(((rgb.max(axis=-1) < 90) & (rgb[..., 0] - rgb[..., 2] > 25)).sum())

    assert outline_pixels(both / "industry_3141.png") > 100
    assert outline_pixels(both / "industry_5121.png") == 0
    np.testing.assert_array_equal(
        imread(both / "industry_5121.png"), imread(alone / "industry_5121.png")
    )
