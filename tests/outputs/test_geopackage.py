"""Tests of the GeoPackage publisher and its default QGIS styles."""

from __future__ import annotations

import json
import os
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point, box

from outputs.geopackage import (
    GPKG_APPLICATION_ID,
    GPKG_USER_VERSION,
    LAYER_STYLES_DDL,
    METADATA_DDL,
    PROVENANCE_STANDARD_URI,
    QGIS_METADATA_URI,
    provenance_history,
    publish_geopackage,
    read_layer_metadata,
    read_layer_styles,
)
from outputs.styles import (
    CLUSTER_LABEL_EXPRESSION,
    FIRM_SIZE_EXPRESSION,
    LQ_CLASSES,
    QGIS_VERSION,
    STATIC_STYLES,
    firms_style,
    hotspot_style,
    location_quotient_style,
    quantile_breaks,
    regions_style,
    style_for,
)

CRS = "EPSG:32617"
STYLED = ["regions", "location_quotients", "lisa", "clusters", "firms"]


# ----------------------------------------------------------------------- fixtures


def _squares() -> list:
    """Four 1 km squares in a 2x2 block (UTM 17N, metres): a b / c d."""
    return [
        box(0, 1000, 1000, 2000),
        box(1000, 1000, 2000, 2000),
        box(0, 0, 1000, 1000),
        box(1000, 0, 2000, 1000),
    ]


@pytest.fixture
def layers() -> dict[str, gpd.GeoDataFrame]:
    ids = ["a", "b", "c", "d"]
    regions = gpd.GeoDataFrame(
        {
            "region_id": ids,
            "name": ["Alpha", "Beta", "Gamma", "Delta"],
            "employment": [10, 20, 30, 40],
            "firms": [1, 2, 3, 4],
        },
        geometry=_squares(),
        crs=CRS,
    )
    # region x industry: 4 regions x 2 industries; LQ exactly 1.0 occurs twice
    lq = gpd.GeoDataFrame(
        {
            "region_id": ids * 2,
            "industry": ["3141"] * 4 + ["3152"] * 4,
            "employment": [5, 10, 15, 20, 5, 10, 15, 20],
            "lq": [0.4, 1.0, 1.3, 6.0, 0.79, 1.0, 2.0, 0.5],
            "stars": [0, 0, 1, 2, 0, 0, 1, 0],
        },
        geometry=_squares() * 2,
        crs=CRS,
    )
    lisa = gpd.GeoDataFrame(
        {
            "region_id": ids,
            "industry": ["3141"] * 4,
            "quadrant": ["HH", "LL", "ns", "isolate"],
            "p_value": [0.01, 0.02, 0.4, np.nan],
        },
        geometry=_squares(),
        crs=CRS,
    )
    clusters = gpd.GeoDataFrame(
        {"cluster_id": ["c1"], "industry": ["3141"], "employment": [30]},
        geometry=[box(0, 1000, 2000, 2000)],
        crs=CRS,
    )
    firms = gpd.GeoDataFrame(
        {
            "firm_id": ["f1", "f2", "f3"],
            "employees": [3, 250, 900],
            "match_level": ["coordinates", "postcode", "fuzzy_settlement"],
        },
        geometry=[Point(500, 500), Point(1500, 1500), Point(1200, 300)],
        crs=CRS,
    )
    return {
        "regions": regions,
        "location_quotients": lq,
        "lisa": lisa,
        "clusters": clusters,
        "firms": firms,
    }


@pytest.fixture
def published(tmp_path, layers) -> Path:
    return publish_geopackage(
        layers,
        tmp_path / "agglomeration.gpkg",
        descriptions={
            "regions": ("Regions", "Study regions with total employment."),
            "lisa": ("LISA clusters", "Local Moran quadrants at p < 0.05."),
        },
    )


def _query(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    con = sqlite3.connect(path)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def _qml(path: Path, layer: str) -> ET.Element:
    styles = read_layer_styles(path).set_index("f_table_name")
    return ET.fromstring(styles.loc[layer, "styleQML"])


def _symbol_colours(root: ET.Element) -> dict[str, str]:
    """symbol name -> fill colour (``r,g,b,a``) of its first symbol layer."""
    out = {}
    for symbol in root.find("renderer-v2/symbols"):
        layer = symbol.find("layer")
        out[symbol.get("name")] = next(
            p.get("v") for p in layer.iter("prop") if p.get("k") == "color"
        )
    return out


def _qgis_range_for(value: float, root: ET.Element) -> ET.Element:
    """The range QGIS draws a value with: first listed closed range containing it."""
    for r in root.iter("range"):
        if float(r.get("lower")) <= value <= float(r.get("upper")):
            return r
    raise AssertionError(f"no range contains {value}")


# ------------------------------------------------------------------- the file


def test_layers_feature_counts_and_crs(published, layers):
    listed = pyogrio.list_layers(published)
    # the five layers, plus layer_styles registered as a non-spatial table
    assert sorted(listed[:, 0]) == sorted([*STYLED, "layer_styles"])
    assert dict(zip(listed[:, 0], listed[:, 1], strict=True))["layer_styles"] is None
    for name, gdf in layers.items():
        info = pyogrio.read_info(published, layer=name)
        assert info["features"] == len(gdf)
        assert info["crs"] == CRS
        assert info["geometry_name"] == "geom"
    back = gpd.read_file(published, layer="regions", engine="pyogrio")
    assert back["region_id"].tolist() == ["a", "b", "c", "d"]
    assert back.crs.to_epsg() == 32617
    assert back.geometry.area.tolist() == [1e6] * 4


def test_geopackage_is_version_1_2(published):
    # 0x47504B47 is ASCII 'GPKG'; 10200 is GeoPackage 1.2.0 (GDAL 3.12 writes 10400)
    assert _query(published, "PRAGMA application_id") == [(0x47504B47,)]
    assert _query(published, "PRAGMA user_version") == [(10200,)]
    assert (GPKG_APPLICATION_ID, GPKG_USER_VERSION) == (0x47504B47, 10200)
    with open(published, "rb") as f:
        assert f.read(16) == b"SQLite format 3\x00"
    assert _query(published, "PRAGMA integrity_check") == [("ok",)]
    assert _query(published, "PRAGMA foreign_key_check") == []


def test_titles_and_abstracts_in_gpkg_contents(published):
    sql = "SELECT table_name, identifier, description FROM gpkg_contents"
    rows = {name: (ident, desc) for name, ident, desc in _query(published, sql)}
    assert rows["regions"] == ("Regions", "Study regions with total employment.")
    assert rows["lisa"] == ("LISA clusters", "Local Moran quadrants at p < 0.05.")
    # layers without a description keep their name as title and an empty abstract
    assert rows["firms"] == ("firms", "")


def test_layer_styles_table_as_qgis_creates_it(published):
    (sql,) = _query(
        published, "SELECT sql FROM sqlite_master WHERE name = 'layer_styles'"
    )[0]
    assert sql == LAYER_STYLES_DDL
    assert sql.startswith(
        "CREATE TABLE layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT"
    )
    assert _query(
        published,
        "SELECT data_type, identifier FROM gpkg_contents "
        "WHERE table_name = 'layer_styles'",
    ) == [("attributes", "layer_styles")]


def test_one_default_style_row_per_styled_layer(published):
    styles = read_layer_styles(published)
    geometry_columns = dict(
        _query(published, "SELECT table_name, column_name FROM gpkg_geometry_columns")
    )
    assert sorted(styles["f_table_name"]) == sorted(STYLED)
    for row in styles.itertuples():
        # QGIS looks the default style up with f_table_schema = '' (NULL never matches)
        assert row.f_table_catalog == ""
        assert row.f_table_schema == ""
        assert row.f_geometry_column == geometry_columns[row.f_table_name] == "geom"
        assert row.useAsDefault == 1
        assert row.styleName == row.f_table_name
        root = ET.fromstring(row.styleQML)
        assert root.tag == "qgis"
        assert root.get("version") == QGIS_VERSION == "3.22.0"
        assert root.get("styleCategories") == "AllStyleCategories"
        assert root.find("renderer-v2") is not None
        # QGIS refuses a style whose geometry type differs from the layer's
        expected = "0" if row.f_table_name == "firms" else "2"
        assert root.findtext("layerGeometryType") == expected
    # the schema columns hold real empty strings, not NULL
    assert _query(
        published, "SELECT count(*) FROM layer_styles WHERE f_table_schema IS NULL"
    ) == [(0,)]


def test_lisa_style_geoda_categories(published):
    root = _qml(published, "lisa")
    renderer = root.find("renderer-v2")
    assert renderer.get("type") == "categorizedSymbol"
    assert renderer.get("attr") == "quadrant"
    colours = _symbol_colours(root)
    by_value = {
        c.get("value"): (colours[c.get("symbol")], c.get("label"))
        for c in renderer.iter("category")
    }
    # GeoDa colours, as r,g,b,a: #ff0000 = 255,0,0
    assert by_value == {
        "HH": ("255,0,0,255", "High-High"),
        "LL": ("0,0,255,255", "Low-Low"),
        "LH": ("167,173,249,255", "Low-High"),
        "HL": ("244,173,168,255", "High-Low"),
        "ns": ("238,238,238,255", "Not significant"),
        "isolate": ("153,153,153,255", "No neighbours"),
    }


def test_lq_style_breaks_at_one(published):
    root = _qml(published, "location_quotients")
    renderer = root.find("renderer-v2")
    assert renderer.get("type") == "graduatedSymbol"
    assert renderer.get("attr") == "lq"
    bounds = sorted(
        {float(r.get(k)) for r in renderer.iter("range") for k in ("lower", "upper")}
    )
    assert bounds == [0.0, 0.5, 0.8, 1.0, 1.25, 2.0, 5.0, 1e9]
    colours = _symbol_colours(root)
    for r in renderer.iter("range"):
        red, _green, blue, _alpha = map(int, colours[r.get("symbol")].split(","))
        if float(r.get("upper")) <= 1.0:
            assert blue > red, r.attrib  # below 1: blues
        else:
            assert red > blue, r.attrib  # above 1: reds
    # QGIS takes the first listed closed range that contains a value; the ranges are
    # listed top-down, so a value on a break goes to the upper class: [lower, upper).
    assert _qgis_range_for(1.0, root).get("lower") == f"{1.0:.15f}"
    assert _qgis_range_for(0.999, root).get("upper") == f"{1.0:.15f}"
    assert _qgis_range_for(0.5, root).get("lower") == f"{0.5:.15f}"
    assert _qgis_range_for(0.0, root).get("lower") == f"{0.0:.15f}"
    assert _qgis_range_for(1e9, root).get("lower") == f"{5.0:.15f}"
    assert len(LQ_CLASSES) == 7


def test_regions_style_quantile_classes_from_data(published):
    root = _qml(published, "regions")
    renderer = root.find("renderer-v2")
    assert renderer.get("type") == "graduatedSymbol"
    assert renderer.get("attr") == "employment"
    # employment 10, 20, 30, 40: four distinct values -> four classes at the quartiles
    # (linear interpolation): 10, 17.5, 25, 32.5, 40
    ranges = [
        (float(r.get("lower")), float(r.get("upper"))) for r in renderer.iter("range")
    ]
    assert sorted(ranges) == [(10, 17.5), (17.5, 25), (25, 32.5), (32.5, 40)]
    assert [r.get("label") for r in renderer.iter("range")] == [
        "32.5 - 40",
        "25 - 32.5",
        "17.5 - 25",
        "10 - 17.5",
    ]


def test_clusters_style_translucent_fill_and_labels(published):
    root = _qml(published, "clusters")
    assert root.find("renderer-v2").get("type") == "singleSymbol"
    props = {p.get("k"): p.get("v") for p in root.iter("prop")}
    assert int(props["color"].split(",")[3]) < 255  # semi-transparent fill
    assert props["outline_color"].endswith(",255")  # opaque outline ...
    assert float(props["outline_width"]) >= 0.5  # ... and a strong one
    assert root.get("labelsEnabled") == "1"
    labeling = root.find("labeling")
    assert labeling.get("type") == "simple"
    assert labeling.find("settings/text-style").get("fieldName") == "industry"
    assert labeling.find("settings/rendering").get("drawLabels") == "1"


def test_firms_style_points_sized_by_employees(published):
    root = _qml(published, "firms")
    renderer = root.find("renderer-v2")
    assert renderer.get("type") == "categorizedSymbol"
    assert renderer.get("attr") == "match_level"
    symbols = renderer.find("symbols")
    assert {s.get("type") for s in symbols} == {"marker"}
    expressions = {
        o.get("value") for o in symbols.iter("Option") if o.get("name") == "expression"
    }
    assert expressions == {FIRM_SIZE_EXPRESSION}
    assert FIRM_SIZE_EXPRESSION == 'scale_linear("employees", 0, 500, 1.5, 6)'
    values = [c.get("value") for c in renderer.iter("category")]
    # the empty value is QGIS's "all other values" category
    assert values == ["coordinates", "postcode", "settlement", "fuzzy_settlement", ""]


def test_inputs_not_modified(tmp_path, layers):
    before = {name: gdf.copy() for name, gdf in layers.items()}
    publish_geopackage(layers, tmp_path / "a.gpkg")
    for name, gdf in layers.items():
        pd.testing.assert_frame_equal(gdf, before[name])


def test_named_index_is_written_as_column(tmp_path, layers):
    regions = layers["regions"].set_index("region_id")
    out = publish_geopackage({"regions": regions}, tmp_path / "a.gpkg")
    back = gpd.read_file(out, layer="regions", engine="pyogrio")
    assert back["region_id"].tolist() == ["a", "b", "c", "d"]
    # an index that duplicates a column is not written twice
    both = layers["regions"].set_index("region_id", drop=False)
    out = publish_geopackage({"regions": both}, tmp_path / "b.gpkg")
    columns = pyogrio.read_info(out, layer="regions")["fields"].tolist()
    assert columns.count("region_id") == 1


def test_empty_clusters_layer_keeps_polygon_type_and_style(tmp_path, layers):
    # no significant cluster found: an empty layer still gets its type and style
    empty = layers["clusters"].iloc[0:0]
    out = publish_geopackage({"clusters": empty}, tmp_path / "a.gpkg")
    assert pyogrio.read_info(out, layer="clusters")["features"] == 0
    assert _query(out, "SELECT geometry_type_name FROM gpkg_geometry_columns") == [
        ("MULTIPOLYGON",)
    ]
    assert read_layer_styles(out)["f_table_name"].tolist() == ["clusters"]


# ------------------------------------------------------------- styles: choices


def test_unknown_layer_gets_no_style(tmp_path, layers):
    roads = gpd.GeoDataFrame({"n": [1]}, geometry=[Point(0, 0)], crs=CRS)
    assert style_for("roads", roads) is None
    out = publish_geopackage(
        {"regions": layers["regions"], "roads": roads}, tmp_path / "a.gpkg"
    )
    assert read_layer_styles(out)["f_table_name"].tolist() == ["regions"]
    assert sorted(pyogrio.list_layers(out)[:, 0]) == [
        "layer_styles",
        "regions",
        "roads",
    ]


def test_no_styled_layer_means_no_layer_styles_table(tmp_path):
    roads = gpd.GeoDataFrame({"n": [1]}, geometry=[Point(0, 0)], crs=CRS)
    out = publish_geopackage({"roads": roads}, tmp_path / "a.gpkg")
    assert pyogrio.list_layers(out)[:, 0].tolist() == ["roads"]
    assert read_layer_styles(out).empty


def test_given_style_replaces_default(tmp_path, layers):
    custom = firms_style().replace("Registry coordinates", "GPS")
    out = publish_geopackage(
        {"firms": layers["firms"]}, tmp_path / "a.gpkg", styles={"firms": custom}
    )
    assert read_layer_styles(out)["styleQML"].tolist() == [custom]


def test_quantile_breaks_by_hand():
    # 5 values, 5 classes: the linear quantiles at 0, .2, ..., 1 step by (50-10)/5 = 8
    assert quantile_breaks([10, 20, 30, 40, 50]) == pytest.approx(
        [10, 18, 26, 34, 42, 50]
    )
    # NaN ignored; finite 1, 3, 3 has 2 distinct values -> 2 classes: the quantiles at
    # 0, .5, 1 are 1, 3, 3, and the tie merges into [1, 3] (a single class)
    assert quantile_breaks([1, np.nan, 3, 3]) == [1.0, 3.0]
    assert quantile_breaks([7, 7, 7]) == [7.0, 7.0]  # one class
    with pytest.raises(ValueError, match="no finite number"):
        quantile_breaks([np.nan, np.inf])
    with pytest.raises(ValueError, match="n_classes must be at least 1"):
        quantile_breaks([1, 2], n_classes=0)
    with pytest.raises(ValueError, match="must be numeric"):
        quantile_breaks(["a", "b"])


def test_regions_style_rejects_bad_breaks():
    with pytest.raises(ValueError, match="at least two values"):
        regions_style([5])
    with pytest.raises(ValueError, match="increase strictly"):
        regions_style([1, 3, 2])
    with pytest.raises(ValueError, match="finite"):
        regions_style([0, np.inf])
    # a single class [v, v] is allowed
    assert (
        ET.fromstring(regions_style([4, 4])).find("renderer-v2/ranges/range")
        is not None
    )


def test_styles_are_deterministic(layers):
    # the same data gives byte-identical QML (no timestamps or random ids inside)
    assert location_quotient_style() == location_quotient_style()
    assert style_for("regions", layers["regions"]) == style_for(
        "regions", layers["regions"].copy()
    )


# ------------------------------------------------------------------- atomicity


def test_failed_publish_leaves_old_file_untouched(tmp_path, layers):
    path = publish_geopackage(layers, tmp_path / "agglomeration.gpkg")
    old = path.read_bytes()
    bad = layers["regions"].assign(bad=np.array([1 + 2j] * 4))  # complex: no OGR type
    # the first layer is written to the temporary file, the second one fails
    # pyogrio's Arrow writer names the column's type ("... with type complex128")
    with pytest.raises(NotImplementedError, match="complex128") as info:
        publish_geopackage({"firms": layers["firms"], "regions": bad}, path)
    assert any("while writing layer 'regions'" in note for note in info.value.__notes__)
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["agglomeration.gpkg"]  # no temporary file left


def test_republish_replaces_the_whole_file(tmp_path, layers):
    path = publish_geopackage(layers, tmp_path / "agglomeration.gpkg")
    publish_geopackage({"regions": layers["regions"]}, path)
    assert sorted(pyogrio.list_layers(path)[:, 0]) == ["layer_styles", "regions"]
    assert read_layer_styles(path)["f_table_name"].tolist() == ["regions"]
    assert os.listdir(tmp_path) == ["agglomeration.gpkg"]


# --------------------------------------------------------------------- bad input


@pytest.mark.parametrize("name", ["Regions", "1st", "lq-2024", "a" * 64, "x;drop", ""])
def test_bad_layer_name(tmp_path, layers, name):
    with pytest.raises(ValueError, match=r"is not allowed: names become SQLite table"):
        publish_geopackage({name: layers["regions"]}, tmp_path / "a.gpkg")
    assert not (tmp_path / "a.gpkg").exists()


@pytest.mark.parametrize(
    "name", ["layer_styles", "gpkg_contents", "rtree_x", "sqlite_x"]
)
def test_reserved_layer_name(tmp_path, layers, name):
    with pytest.raises(ValueError, match="is reserved"):
        publish_geopackage({name: layers["regions"]}, tmp_path / "a.gpkg")


def test_layer_without_crs(tmp_path, layers):
    with pytest.raises(ValueError, match="layer 'regions' has no CRS"):
        publish_geopackage(
            {"regions": layers["regions"].set_crs(None, allow_override=True)},
            tmp_path / "a.gpkg",
        )


def test_layer_not_a_geodataframe(tmp_path, layers):
    with pytest.raises(
        TypeError, match="must be a geopandas.GeoDataFrame; got DataFrame"
    ):
        publish_geopackage(
            {"regions": pd.DataFrame(layers["regions"])}, tmp_path / "a.gpkg"
        )
    with pytest.raises(TypeError, match="layers must be a mapping"):
        publish_geopackage([layers["regions"]], tmp_path / "a.gpkg")
    with pytest.raises(ValueError, match="layers is empty"):
        publish_geopackage({}, tmp_path / "a.gpkg")


def test_path_must_be_gpkg(tmp_path, layers):
    with pytest.raises(ValueError, match=r"must end in \.gpkg"):
        publish_geopackage(layers, tmp_path / "agglomeration.sqlite")


def test_unknown_names_in_styles_or_descriptions(tmp_path, layers):
    with pytest.raises(ValueError, match=r"styles names layer\(s\) \['roads'\]"):
        publish_geopackage(layers, tmp_path / "a.gpkg", styles={"roads": firms_style()})
    with pytest.raises(ValueError, match=r"descriptions names layer\(s\) \['roads'\]"):
        publish_geopackage(
            layers, tmp_path / "a.gpkg", descriptions={"roads": ("R", "")}
        )


def test_bad_styles_and_descriptions(tmp_path, layers):
    firms = {"firms": layers["firms"]}
    with pytest.raises(ValueError, match="not well-formed XML"):
        publish_geopackage(firms, tmp_path / "a.gpkg", styles={"firms": "<qgis"})
    with pytest.raises(ValueError, match="root element <StyledLayerDescriptor>"):
        publish_geopackage(
            firms, tmp_path / "a.gpkg", styles={"firms": "<StyledLayerDescriptor/>"}
        )
    with pytest.raises(TypeError, match=r"must be a \(title, abstract\) tuple"):
        publish_geopackage(firms, tmp_path / "a.gpkg", descriptions={"firms": "Firms"})
    with pytest.raises(ValueError, match="already the title of 'regions'"):
        publish_geopackage(
            layers,
            tmp_path / "a.gpkg",
            descriptions={"regions": ("Same", ""), "lisa": ("Same", "")},
        )
    assert not (tmp_path / "a.gpkg").exists()


def test_default_style_needs_its_columns_and_geometry(tmp_path, layers):
    with pytest.raises(ValueError, match=r"styled on column\(s\) \['quadrant'\]"):
        style_for("lisa", layers["lisa"].drop(columns="quadrant"))
    with pytest.raises(
        ValueError, match="needs MultiPoint or Point geometries; got 4 Polygon"
    ):
        publish_geopackage(
            {"firms": layers["regions"].assign(employees=1, match_level="x")},
            tmp_path / "a.gpkg",
        )
    with pytest.raises(
        ValueError, match="'regions', column 'employment': values has no finite"
    ):
        style_for("regions", layers["regions"].assign(employment=np.nan))


def test_read_layer_styles_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_layer_styles(tmp_path / "nowhere.gpkg")
    assert not (tmp_path / "nowhere.gpkg").exists()  # not created by sqlite


# ------------------------------------------------------- QGIS metadata, provenance

PROVENANCE = {
    "run_id": "run-7",
    "study": "demo",
    "partition": "all",
    "created": "2026-01-01T00:00:00Z",
    "inputs": {"registry": {"path": "reg.csv", "sha256": "ab" * 32, "bytes": 42}},
    "parameters": {"methods": {"alpha": 0.05, "seed": 7}},
    "versions": {"geopandas": "1.2.0"},
}


@pytest.fixture
def with_provenance(tmp_path, layers) -> Path:
    return publish_geopackage(
        layers,
        tmp_path / "agglomeration.gpkg",
        descriptions={"regions": ("Regions", "Study regions.")},
        provenance=PROVENANCE,
    )


def test_layer_metadata_rows_as_qgis_writes_them(with_provenance):
    rows = _query(
        with_provenance,
        "SELECT r.reference_scope, r.table_name, m.md_scope, m.md_standard_uri, "
        "m.mime_type FROM gpkg_metadata_reference r JOIN gpkg_metadata m "
        "ON m.id = r.md_file_id ORDER BY m.id",
    )
    # one QGIS document per layer (table scope), then the provenance JSON (file scope)
    assert rows == [
        ("table", name, "dataset", QGIS_METADATA_URI, "text/xml") for name in STYLED
    ] + [("geopackage", None, "dataset", PROVENANCE_STANDARD_URI, "application/json")]
    assert QGIS_METADATA_URI == "http://mrcc.com/qgis.dtd"
    # the extension is registered for both tables, as GDAL does
    assert _query(
        with_provenance,
        "SELECT table_name, extension_name, scope FROM gpkg_extensions "
        "WHERE extension_name = 'gpkg_metadata' ORDER BY table_name",
    ) == [
        ("gpkg_metadata", "gpkg_metadata", "read-write"),
        ("gpkg_metadata_reference", "gpkg_metadata", "read-write"),
    ]
    ddl = [
        sql
        for (sql,) in _query(
            with_provenance,
            "SELECT sql FROM sqlite_master WHERE name LIKE 'gpkg_metadata%' "
            "AND type = 'table' ORDER BY name",
        )
    ]
    assert ddl == list(METADATA_DDL)
    assert _query(with_provenance, "PRAGMA foreign_key_check") == []


def test_layer_metadata_document_content(with_provenance, layers):
    documents = read_layer_metadata(with_provenance)
    assert list(documents) == STYLED
    root = ET.fromstring(documents["regions"])
    assert documents["regions"].startswith("<!DOCTYPE qgis PUBLIC 'http://mrcc.com")
    assert root.tag == "qgis" and root.get("version") == QGIS_VERSION
    assert root.findtext("identifier") == "demo/all/run-7/regions"
    assert root.findtext("parentidentifier") == "demo/all/run-7"
    assert (root.findtext("title"), root.findtext("abstract")) == (
        "Regions",
        "Study regions.",
    )
    assert root.findtext("crs/spatialrefsys/authid") == CRS
    spatial = root.find("extent/spatial")
    # the 2x2 block of 1 km squares: 0..2000 m both ways
    assert [float(spatial.get(k)) for k in ("minx", "miny", "maxx", "maxy")] == [
        0.0,
        0.0,
        2000.0,
        2000.0,
    ]
    history = [h.text for h in root.findall("history")]
    assert history == [
        "run_id: run-7",
        "study: demo",
        "partition: all",
        "created: 2026-01-01T00:00:00Z",
        f"input registry: reg.csv sha256 {'ab' * 32} (42 bytes)",
        "parameter methods.alpha = 0.05",
        "parameter methods.seed = 7",
        "version geopandas 1.2.0",
    ]
    assert history == provenance_history(PROVENANCE)
    # layers without a description: name as title; same provenance for every layer
    firms = ET.fromstring(documents["firms"])
    assert firms.findtext("title") == "firms"
    assert [h.text for h in firms.findall("history")] == history


def test_provenance_json_at_geopackage_scope(with_provenance):
    ((document,),) = _query(
        with_provenance,
        "SELECT metadata FROM gpkg_metadata WHERE md_standard_uri = ?",
        (PROVENANCE_STANDARD_URI,),
    )
    assert json.loads(document) == PROVENANCE


def test_without_provenance_metadata_has_no_history(published):
    root = ET.fromstring(read_layer_metadata(published)["lisa"])
    assert root.findtext("identifier") == "lisa"
    assert root.findall("history") == []
    assert _query(
        published,
        "SELECT count(*) FROM gpkg_metadata WHERE md_standard_uri = ?",
        (PROVENANCE_STANDARD_URI,),
    ) == [(0,)]


def test_provenance_values_are_made_plain(tmp_path, layers):
    out = publish_geopackage(
        {"regions": layers["regions"]},
        tmp_path / "a.gpkg",
        provenance={"run_id": "r", "parameters": {"k": np.int64(5), "p": Path("x")}},
    )
    history = [
        h.text
        for h in ET.fromstring(read_layer_metadata(out)["regions"]).findall("history")
    ]
    assert history == ["run_id: r", "parameter k = 5", 'parameter p = "x"']


def test_bad_provenance(tmp_path, layers):
    regions = {"regions": layers["regions"]}
    with pytest.raises(TypeError, match="provenance must be a mapping"):
        publish_geopackage(regions, tmp_path / "a.gpkg", provenance=["run"])
    with pytest.raises(ValueError, match="JSON-serialisable without NaN"):
        publish_geopackage(
            regions, tmp_path / "a.gpkg", provenance={"parameters": {"x": np.nan}}
        )
    with pytest.raises(ValueError, match=r"provenance\['run_id'\] must be a string"):
        publish_geopackage(regions, tmp_path / "a.gpkg", provenance={"run_id": 7})
    assert not (tmp_path / "a.gpkg").exists()


def test_read_layer_metadata_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_layer_metadata(tmp_path / "nowhere.gpkg")


# ------------------------------------------------------------ hot spots (Gi*) style


def test_lisa_with_hotspot_gets_a_second_named_style(tmp_path, layers):
    lisa = layers["lisa"].assign(hotspot=["hot_99", "cold_95", "ns", "ns"])
    out = publish_geopackage({"lisa": lisa}, tmp_path / "a.gpkg")
    styles = read_layer_styles(out)
    assert styles[["f_table_name", "styleName", "useAsDefault"]].values.tolist() == [
        ["lisa", "lisa", 1],  # QGIS applies the LISA quadrants on opening ...
        ["lisa", "hotspots", 0],  # ... and lists the Gi* map under Load Style
    ]
    assert styles.loc[1, "styleQML"] == hotspot_style()
    assert styles.loc[1, "f_geometry_column"] == "geom"
    assert styles.loc[1, "f_table_schema"] == ""


def test_hotspot_style_diverging_from_hot_to_cold(layers):
    root = ET.fromstring(style_for("hotspots", layers["lisa"].assign(hotspot="ns")))
    renderer = root.find("renderer-v2")
    assert (renderer.get("type"), renderer.get("attr")) == (
        "categorizedSymbol",
        "hotspot",
    )
    values = [c.get("value") for c in renderer.iter("category")]
    assert values == [
        "hot_99",
        "hot_95",
        "hot_90",
        "ns",
        "cold_90",
        "cold_95",
        "cold_99",
    ]
    colours = _symbol_colours(root)
    rgb = [tuple(int(v) for v in colours[str(i)].split(",")[:3]) for i in range(7)]
    # diverging: darkest at both ends, lightest at 'ns'; red side hot, blue side cold
    assert rgb[0] == (178, 24, 43) and rgb[-1] == (33, 102, 172)
    lightness = [sum(c) for c in rgb]
    assert lightness[:4] == sorted(lightness[:4])
    assert lightness[3:] == sorted(lightness[3:], reverse=True)
    assert all(r > b for r, _, b in rgb[:3]) and all(b > r for r, _, b in rgb[4:])
    assert rgb[3] == (247, 247, 247)  # not significant: near white
    with pytest.raises(ValueError, match=r"styled on column\(s\) \['hotspot'\]"):
        style_for("hotspots", layers["lisa"])


def test_clusters_labelled_with_maturity_stage_when_present(layers):
    clusters = layers["clusters"].assign(maturity_stage="mature")
    text_style = ET.fromstring(style_for("clusters", clusters)).find(
        "labeling/settings/text-style"
    )
    assert text_style.get("isExpression") == "1"
    assert text_style.get("fieldName") == CLUSTER_LABEL_EXPRESSION
    assert CLUSTER_LABEL_EXPRESSION == 'concat("industry", \' \', "maturity_stage")'


@pytest.mark.parametrize("name", sorted(STATIC_STYLES))
def test_style_files_in_the_repository_match_the_builders(name):
    path = Path(__file__).resolve().parents[2] / "outputs" / "styles" / f"{name}.qml"
    assert path.read_text(encoding="utf-8") == STATIC_STYLES[name](), (
        f"{path} is stale: regenerate with .venv/bin/python -c 'from outputs.styles "
        "import write_style_files; write_style_files()'"
    )
