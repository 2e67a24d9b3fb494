"""The published GeoPackage, project and raster as the real QGIS and GDAL see them.

The QGIS and GDAL checks run Debian's system Python (/usr/bin/python3 with
python3-qgis, qgis-providers, python3-gdal), never the venv: tests/qgis/qgis_check.py
opens the files headless and prints what it observed as JSON; the assertions are here.
They skip, saying why, only when /usr/bin/python3 cannot import qgis (or osgeo).
The project-writer tests at the top need no QGIS.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest
from libpysal.graph import Graph

from outputs.publication import build_provenance, publish_bundle
from outputs.qgis_project import (
    ProjectGroup,
    ProjectLayer,
    agglomeration_project_tree,
    project_layers,
    read_project_xml,
    write_qgis_project,
)
from outputs.styles import (
    LISA_CATEGORIES,
    alternative_styles,
    density_style,
    lisa_style,
    style_for,
)

HERE = Path(__file__).resolve().parent
QGIS_DIR = HERE.parent / "qgis"
CHECK = QGIS_DIR / "qgis_check.py"
SYSTEM_PYTHON = "/usr/bin/python3"

_spec = importlib.util.spec_from_file_location(
    "sample_layers", QGIS_DIR / "sample_layers.py"
)
sample = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sample)

DESCRIPTIONS = {
    "regions": ("Regions", "Sixteen 10 km squares."),
    "location_quotients": ("Location quotients", "LQ per region and industry."),
    "lisa": ("LISA and hot spots", "Local Moran quadrants and Gi* bins."),
    "clusters": ("Localized clusters", "The north-east corner of 3141."),
    "firms": ("Firms", "Twelve firms."),
}


@functools.cache
def _system_python_lacks(module: str) -> str | None:
    """Why the system Python cannot run a check, or None when it can."""
    if not Path(SYSTEM_PYTHON).exists():
        return f"{SYSTEM_PYTHON} does not exist"
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", f"import {module}"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["?"])[-1]
        return (
            f"{SYSTEM_PYTHON} cannot import {module} ({last}); install Debian's "
            "python3-qgis qgis-providers gdal-bin python3-gdal (see .ci/run)"
        )
    return None


def _styles(layers):
    styles = {n: q for n, g in layers.items() if (q := style_for(n, g)) is not None}
    for name, gdf in layers.items():
        styles.update(alternative_styles(name, gdf))
    return styles


# ----------------------------------------------------- project XML (no QGIS needed)


def test_project_is_a_zip_of_one_qgs_with_relative_sources(tmp_path):
    layers = sample.sample_layers()
    tree = agglomeration_project_tree("agglomeration.gpkg", layers, _styles(layers))
    out = write_qgis_project(tmp_path / "p.qgz", tree, crs=sample.CRS, title="T")
    assert zipfile.ZipFile(out).namelist() == ["p.qgs"]
    root = read_project_xml(out)
    assert root.tag == "qgis"
    assert root.findtext("projectCrs/spatialrefsys/authid") == "EPSG:32616"
    assert root.findtext("properties/Paths/Absolute") == "false"
    sources = [m.findtext("datasource") for m in root.iter("maplayer")]
    # relative to the project file, with a per-industry filter on lisa and LQ
    assert sources[0] == "./agglomeration.gpkg|layername=clusters"
    assert "./agglomeration.gpkg|layername=lisa|subset=\"industry\" = '3141'" in sources
    assert all(s.startswith("./") for s in sources)


def test_project_groups_order_and_visibility():
    layers = sample.sample_layers()
    tree = agglomeration_project_tree(
        "a.gpkg", layers, _styles(layers), industry_names=sample.NAMES
    )
    assert [g.name for g in tree] == ["Clusters", "Firms", "Statistics", "Base"]
    statistics = tree[2]
    # 3141 has the most High-High regions (4 vs 0), so it comes first and is on
    assert [g.name for g in statistics.children] == [
        "3141 Textile Furnishings Mills",
        "5121 Motion Picture and Video",
    ]
    focus, other = statistics.children
    assert (focus.visible, other.visible, focus.exclusive) == (True, False, True)
    assert [(c.name, c.visible) for c in focus.children] == [
        ("LISA clusters 3141", True),
        ("Hot spots (Gi*) 3141", False),
        ("Location quotient 3141", False),
    ]
    assert tree[1].visible is False  # 12 firms would hide the map: off by default
    ids = [layer.layer_id for layer in project_layers(tree)]
    assert len(ids) == len(set(ids)) == 1 + 1 + 2 * 3 + 1


def test_project_embeds_styles_and_mutually_exclusive_groups(tmp_path):
    layers = sample.sample_layers()
    tree = agglomeration_project_tree("a.gpkg", layers, _styles(layers))
    root = read_project_xml(
        write_qgis_project(tmp_path / "p.qgs", tree, crs=sample.CRS)
    )
    renderers = {
        m.findtext("layername"): (
            m.find("renderer-v2").get("type"),
            m.find("renderer-v2").get("attr"),
        )
        for m in root.iter("maplayer")
    }
    assert renderers["LISA clusters 3141"] == ("categorizedSymbol", "quadrant")
    assert renderers["Hot spots (Gi*) 3141"] == ("categorizedSymbol", "hotspot")
    assert renderers["Location quotient 5121"] == ("graduatedSymbol", "lq")
    assert renderers["Localized clusters"] == ("singleSymbol", None)
    clusters = next(
        m
        for m in root.iter("maplayer")
        if m.findtext("layername") == "Localized clusters"
    )
    assert clusters.get("labelsEnabled") == "1"
    groups = {g.get("name"): g for g in root.iter("layer-tree-group") if g.get("name")}
    assert groups["3141"].get("mutually-exclusive") == "1"
    assert groups["3141"].get("mutually-exclusive-child") == "0"
    assert groups["5121"].get("checked") == "Qt::Unchecked"


def test_project_writer_rejects_bad_input(tmp_path):
    layer = ProjectLayer("R", "a.gpkg", sample.CRS, table="regions")
    with pytest.raises(ValueError, match=r"must end in \.qgz or \.qgs"):
        write_qgis_project(tmp_path / "p.xml", [layer], crs=sample.CRS)
    with pytest.raises(ValueError, match="same name, source, table and subset"):
        write_qgis_project(tmp_path / "p.qgz", [layer, layer], crs=sample.CRS)
    with pytest.raises(ValueError, match="not a CRS pyproj understands"):
        write_qgis_project(tmp_path / "p.qgz", [layer], crs="EPSG:0")
    bad_style = ProjectLayer("R", "a.gpkg", sample.CRS, table="r", style="<qgis")
    with pytest.raises(ValueError, match="not well-formed XML"):
        write_qgis_project(tmp_path / "p.qgz", [bad_style], crs=sample.CRS)
    line = ProjectLayer("R", "a.gpkg", sample.CRS, table="r", geometry="curve")
    with pytest.raises(ValueError, match="has geometry 'curve'"):
        write_qgis_project(
            tmp_path / "p.qgz", [ProjectGroup("G", (line,))], crs=sample.CRS
        )
    with pytest.raises(ValueError, match="four finite numbers"):
        write_qgis_project(
            tmp_path / "p.qgz", [layer], crs=sample.CRS, extent=(0, 0, 1)
        )
    layers = sample.sample_layers()
    with pytest.raises(ValueError, match="focus_industry '9999' is not among"):
        agglomeration_project_tree(
            "a.gpkg", layers, _styles(layers), focus_industry="9999"
        )
    with pytest.raises(ValueError, match="no style for layer 'clusters'"):
        agglomeration_project_tree("a.gpkg", layers, {"regions": lisa_style()})
    assert not list(tmp_path.iterdir())  # nothing half-written


# ------------------------------------------------------------- the real QGIS/GDAL


@pytest.fixture(scope="module")
def publication(tmp_path_factory):
    root = tmp_path_factory.mktemp("published")
    layers = sample.sample_layers()
    inputs = root / "registry.csv"
    inputs.write_text("firm_id,employees\nf00,900\n", encoding="utf-8")
    provenance = build_provenance(
        run_id="run-1",
        study="sample",
        inputs={"registry": inputs},
        parameters={"methods": {"alpha": 0.05, "permutations": 999}},
        created="2026-01-01T00:00:00Z",
    )
    weights = Graph.build_contiguity(
        layers["regions"].set_index("region_id"), rook=False
    ).transform("r")
    folder = publish_bundle(
        layers,
        root / "sample",
        run_id="run-1",
        title="Sample study",
        descriptions=DESCRIPTIONS,
        provenance=provenance,
        density=sample.sample_density(),
        weights=weights,
        industry_names=sample.NAMES,
    )
    return folder, layers


def _run_check(spec: dict, tmp_path: Path) -> dict:
    reason = _system_python_lacks("qgis.core")
    if reason:
        pytest.skip(reason)
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    done = subprocess.run(
        [SYSTEM_PYTHON, str(CHECK), str(spec_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    lines = done.stdout.strip().splitlines()
    assert lines, f"qgis_check printed nothing; stderr:\n{done.stderr[-3000:]}"
    report = json.loads(lines[-1])
    assert report["ok"], report.get("traceback")
    assert done.returncode == 0, done.stderr[-3000:]
    return report


@pytest.fixture(scope="module")
def qgis(publication, tmp_path_factory):
    folder, layers = publication
    tmp = tmp_path_factory.mktemp("qgis")
    return _run_check(
        {
            "gpkg": str(folder / "agglomeration.gpkg"),
            "gpkg_layers": list(layers),
            "project": str(folder / "agglomeration.qgz"),
            "render": str(tmp / "map.png"),
            "layout": str(tmp / "layout.png"),
            "width": 800,
            "height": 800,
        },
        tmp,
    )


EXPECTED_STYLE = {
    "regions": ("graduatedSymbol", "employment"),
    "location_quotients": ("graduatedSymbol", "lq"),
    "lisa": ("categorizedSymbol", "quadrant"),
    "clusters": ("singleSymbol", None),
    "firms": ("categorizedSymbol", "match_level"),
}


def test_qgis_opens_every_geopackage_layer_with_its_stored_style(qgis, publication):
    _, layers = publication
    observed = qgis["gpkg_layers"]
    assert qgis["qgis_version"].startswith("3.")
    for name, gdf in layers.items():
        layer = observed[name]
        assert layer["valid"], name
        assert layer["count"] == len(gdf), name
        assert layer["crs"] == "EPSG:32616", name
        renderer, attr = EXPECTED_STYLE[name]
        # the default style from layer_styles, not QGIS's random single symbol
        assert layer["renderer"] == renderer, name
        assert layer.get("attr") == attr, name
    lisa = observed["lisa"]
    assert lisa["categories"] == [value for value, _, _ in LISA_CATEGORIES]
    assert lisa["colours"][0] == "#ff0000"  # High-High in GeoDa red
    assert lisa["stored_styles"] == ["lisa", "hotspots"]  # the Gi* map on demand
    # orange at 25 % opacity: the stored clusters style, with its labels
    assert observed["clusters"]["colour"] == [255, 127, 0, 64]
    assert observed["clusters"]["labels"] is True
    # graduated LQ: a class break exactly at 1
    assert [1.0, 1.25] in observed["location_quotients"]["ranges"]


def test_qgis_reads_the_layer_metadata_with_provenance(qgis, publication):
    folder, _ = publication
    metadata = qgis["gpkg_layers"]["regions"]["metadata"]
    assert metadata["identifier"] == "sample/all/run-1/regions"
    assert metadata["title"] == "Regions"
    assert metadata["abstract"] == "Sixteen 10 km squares."
    assert metadata["crs"] == "EPSG:32616"
    history = metadata["history"]
    assert history[0] == "run_id: run-1"
    registry = next(line for line in history if line.startswith("input registry"))
    # the 26 bytes of "firm_id,employees\nf00,900\n", hashed by build_provenance
    provenance = json.loads((folder / "provenance.json").read_text())
    assert provenance["inputs"]["registry"]["bytes"] == 26
    assert provenance["inputs"]["registry"]["sha256"] in registry
    assert "parameter methods.permutations = 999" in history
    assert any(line.startswith("version geopandas ") for line in history)


def test_project_loads_with_crs_layers_counts_and_styles(qgis, publication):
    folder, layers = publication
    project = qgis["project"]
    assert project["read"], project["error"]
    assert project["crs"] == "EPSG:32616"
    assert project["title"] == "Sample study"
    tree = agglomeration_project_tree(
        "agglomeration.gpkg", layers, _styles(layers), industry_names=sample.NAMES
    )
    expected = {layer.layer_id: layer for layer in project_layers(tree)}
    observed = project["layers"]
    raster = [i for i, o in observed.items() if o["kind"] == "raster"]
    assert set(observed) - set(raster) == set(expected)
    for layer_id, layer in expected.items():
        seen = observed[layer_id]
        assert seen["valid"], layer.name
        frame = layers[layer.table]
        if layer.subset:
            code = re.fullmatch(r"\"industry\" = '(\d+)'", layer.subset).group(1)
            frame = frame[frame["industry"] == code]
        assert seen["count"] == len(frame), layer.name
        assert seen["crs"] == "EPSG:32616", layer.name
        renderer = ET.fromstring(layer.style).find("renderer-v2")
        assert seen["renderer"] == renderer.get("type"), layer.name
        assert seen.get("attr") == renderer.get("attr"), layer.name
        assert seen["metadata"]["title"] == DESCRIPTIONS[layer.table][0]
    assert observed[project["order"][0]]["name"] == "Localized clusters"
    assert observed[project["order"][-1]]["name"] == "Firm density"


def test_project_raster_is_the_styled_cog(qgis):
    (raster,) = [o for o in qgis["project"]["layers"].values() if o["kind"] == "raster"]
    assert raster["valid"] and raster["crs"] == "EPSG:32616"
    assert (raster["width"], raster["height"]) == (40, 40)
    assert raster["renderer"] == "singlebandpseudocolor"
    assert raster["opacity"] == pytest.approx(0.85)
    assert raster["ramp"][0][2] == 0  # empty cells transparent
    assert raster["group"] == "Rasters"


def _picture(path: str) -> np.ndarray:
    image = mpimg.imread(path)[..., :3]
    return (image * 255).round().astype(int)


def test_rendered_map_is_not_blank(qgis):
    render = qgis["project"]["render"]
    assert render["saved"] and not render["errors"]
    assert render["layers"] == ["Localized clusters", "LISA clusters 3141", "Regions"]
    pixels = _picture(render["path"])
    assert pixels.shape[:2] == (800, 800)
    drawn = (pixels != 255).any(axis=2).mean()
    colours = {tuple(p) for p in pixels.reshape(-1, 3)[::7]}
    # the 4x4 grid fills most of the square canvas; many distinct colours
    assert drawn > 0.5
    assert len(colours) > 20
    # High-High red (255, 0, 0) under the translucent cluster fill stays reddish
    reddish = (pixels[..., 0] > 200) & (pixels[..., 1] < 120) & (pixels[..., 2] < 120)
    assert reddish.mean() > 0.05
    layout = qgis["project"]["layout"]
    assert layout["saved"]
    assert (_picture(layout["path"]) != 255).any(axis=2).mean() > 0.2


def test_project_still_opens_after_the_folder_is_moved(publication, tmp_path):
    folder, layers = publication
    moved = tmp_path / "elsewhere" / "copy"
    shutil.copytree(folder, moved)
    report = _run_check({"project": str(moved / "agglomeration.qgz")}, tmp_path)
    observed = report["project"]["layers"].values()
    assert all(o["valid"] for o in observed)
    assert all(o["source"].startswith(str(moved)) for o in observed)


# ---------------------------------------------------------------- GDAL validators


def _gdal_sample(script: str, *args: str) -> subprocess.CompletedProcess:
    reason = _system_python_lacks(f"osgeo_utils.samples.{script}")
    if reason:
        pytest.skip(reason)
    return subprocess.run(
        [SYSTEM_PYTHON, "-m", f"osgeo_utils.samples.{script}", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_gdal_validate_gpkg_accepts_the_geopackage(publication):
    folder, _ = publication
    done = _gdal_sample("validate_gpkg", str(folder / "agglomeration.gpkg"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "error" not in (done.stdout + done.stderr).lower()


def test_gdal_validates_the_cloud_optimized_geotiff(publication):
    folder, _ = publication
    done = _gdal_sample(
        "validate_cloud_optimized_geotiff",
        "--full-check=yes",
        str(folder / "density.tif"),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "is a valid cloud optimized GeoTIFF" in done.stdout


def test_density_style_beside_the_raster(publication):
    folder, _ = publication
    qml = (folder / "density.qml").read_text()
    array, _, _ = sample.sample_density()
    positive = array[array > 0]
    assert qml == density_style(float(np.percentile(positive, 98)))


def test_no_analysed_industry_means_no_statistics_group():
    layers = sample.sample_layers()
    layers["lisa"] = layers["lisa"].iloc[0:0]
    del layers["location_quotients"]
    tree = agglomeration_project_tree("a.gpkg", layers, _styles(layers))
    assert [g.name for g in tree] == ["Clusters", "Firms", "Base"]
