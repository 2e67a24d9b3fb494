"""End to end on the demo study: every asset and check, then the GeoPackage."""

from pathlib import Path

import dagster as dg
import geopandas as gpd
import pyogrio
import pytest

from data_sources.demo import (
    DEMO_BAD_ROWS,
    PLANTED_CLUSTERS,
    PLANTED_NULL_INDUSTRIES,
)
from data_sources.demo_study import prepare_demo_study
from outputs.geopackage import read_layer_styles
from pipelines.definitions import ALL_ASSETS, ALL_CHECKS, build_definitions
from pipelines.partitions import partition_key_for

LAYERS = ["regions", "location_quotients", "lisa", "clusters", "firms"]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    mp = pytest.MonkeyPatch()
    mp.setenv("DAGSTER_HOME", str(root / "home"))
    (root / "home").mkdir()
    study_file = prepare_demo_study(root / "demo")
    defs = build_definitions(str(study_file), str(root / "published"))
    result = defs.resolve_job_def("refresh_clusters_job").execute_in_process(
        partition_key=partition_key_for("georgia-demo", 2024), raise_on_error=False
    )
    yield result, root / "published" / "2024" / "latest" / "agglomeration.gpkg"
    mp.undo()


def test_every_asset_materialises_and_every_check_passes(demo_run):
    result, _ = demo_run
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    failed = [e.check_name for e in evaluations if not e.passed]
    assert failed == []
    assert len(evaluations) == len(ALL_CHECKS)
    materialised = {m.asset_key for m in result.get_asset_materialization_events()}
    # every per-year asset; the cross-year ones run in trends_job
    wanted = {key for assets in ALL_ASSETS for key in assets.keys} - {
        dg.AssetKey("emerging_hot_spots"),
        dg.AssetKey("indicator_changes"),
    }
    assert {
        e.asset_key for e in result.get_asset_materialization_events()
    } or materialised
    assert wanted <= {
        e.event_specific_data.materialization.asset_key
        for e in result.get_asset_materialization_events()
    }


def test_geopackage_has_the_contract_layers_and_styles(demo_run):
    result, path = demo_run
    assert [
        str(n) for n in pyogrio.list_layers(path)[:, 0] if n != "layer_styles"
    ] == LAYERS
    regions = gpd.read_file(path, layer="regions")
    assert len(regions) == 159
    assert regions.crs.to_epsg() == 32616
    for layer, columns in {
        "regions": ["region_id", "name", "employment", "firms", "hhi", "krugman"],
        "location_quotients": ["region_id", "industry", "employment", "lq", "stars"],
        "lisa": [
            "region_id",
            "industry",
            "local_i",
            "p_value",
            "p_adjusted",
            "quadrant",
            "gi_z",
            "hotspot",
        ],
        "clusters": [
            "cluster_id",
            "industry",
            "regions",
            "employment",
            "mean_lq",
            "maturity_index",
            "maturity_stage",
        ],
        "firms": [
            "firm_id",
            "industry",
            "employees",
            "match_level",
            "match_score",
            "region_id",
            "cluster_id",
        ],
    }.items():
        info = pyogrio.read_info(path, layer=layer)
        assert set(columns) <= set(info["fields"]), (layer, info["fields"])
    styles = read_layer_styles(path)
    assert {"regions", "location_quotients", "lisa", "clusters", "firms"} <= set(
        styles["f_table_name"]
    )
    assert (styles["f_table_schema"] == "").all()


def test_every_planted_cluster_is_found_and_no_null_industry_clusters(demo_run):
    _, path = demo_run
    clusters = gpd.read_file(path, layer="clusters")
    for planted in PLANTED_CLUSTERS:
        found = clusters[clusters["industry"] == planted["industry"]]
        members = {r for regions in found["regions"] for r in regions.split(",")}
        assert members & set(planted["core"]), (
            planted["name"],
            found["regions"].tolist(),
        )
    nulls = clusters[clusters["industry"].isin(list(PLANTED_NULL_INDUSTRIES))]
    assert nulls.empty, nulls[["industry", "regions"]].to_dict("records")


def test_rows_are_accounted_for(demo_run):
    result, path = demo_run
    raw = result.output_for_node("firm_registry_raw")
    validated = result.output_for_node("validate_firms", "firms_validated")
    rejected = result.output_for_node("validate_firms", "firms_rejected")
    assert len(validated) + len(rejected) == len(raw)
    assert (rejected["reason"].str.len() > 0).all()
    for firm_id, keyword in DEMO_BAD_ROWS.items():
        reasons = rejected.loc[rejected["firm_id"] == firm_id, "reason"]
        assert reasons.str.contains(keyword, regex=False).any(), (firm_id, keyword)
    located = result.output_for_node("firm_locations")
    assert len(located) == len(validated)
    unmatched = located[located["match_level"] == "unmatched"]
    assert (unmatched["match_reason"].str.len() > 0).all()
    firms = pyogrio.read_info(path, layer="firms")["features"]
    assert firms == int((located["match_level"] != "unmatched").sum())


def test_definitions_load_and_resolve():
    from pipelines.definitions import defs

    assert isinstance(defs, dg.Definitions)
    job = defs.resolve_job_def("refresh_clusters_job")
    assert "published_layers" in {n.name for n in job.graph.nodes}


def test_demo_inputs_are_written_once_and_stable(tmp_path):
    first = prepare_demo_study(tmp_path)
    stamp = {p.name: p.stat().st_mtime_ns for p in Path(tmp_path).iterdir()}
    prepare_demo_study(tmp_path)
    assert stamp == {p.name: p.stat().st_mtime_ns for p in Path(tmp_path).iterdir()}
    assert first.name == "georgia_demo.yaml"
