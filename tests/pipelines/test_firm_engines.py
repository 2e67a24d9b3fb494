"""The study's engine.firms: the firm-level assets give the same tables whether they
run on the whole frame (pandas), chunk by chunk (chunked) or as tasks on a real
local Dask cluster (dask), on the demo registry with chunks small enough that
duplicate ids fall in different chunks."""

import dagster as dg
import geopandas as gpd
import pandas as pd
import pytest
import yaml

from data_sources.demo_study import prepare_demo_study
from pipelines.assets.geocode import firm_locations, firms_in_regions
from pipelines.assets.ingest import firm_registry_raw, study_regions, validate_firms
from pipelines.io_managers import GeoParquetIOManager
from pipelines.resources import (
    DaskResource,
    GeocoderResource,
    StudyResource,
    _close_local_clusters,
)

PARTITION = "georgia-demo|2024"
STORED = {  # asset -> file the IO manager writes for the partition
    "firms_validated": "2024.parquet",
    "firms_rejected": "2024.parquet",
    "firm_locations": "2024.geoparquet",
    "firms_in_regions": "2024.geoparquet",
}


@pytest.fixture(scope="module")
def demo_study(tmp_path_factory):
    return prepare_demo_study(tmp_path_factory.mktemp("engines"))


def _with_engine(study_file, engine: dict):
    data = yaml.safe_load(study_file.read_text())
    data["engine"] = engine
    path = study_file.with_name(f"study-{engine['firms']}.yaml")
    path.write_text(yaml.safe_dump(data))
    return path


def _run(study_file, storage) -> dict[str, pd.DataFrame]:
    """The firm-level assets, stored as the pipeline stores them (GeoParquet: an
    unmatched firm's empty point is written as WKB, whichever engine made it)."""
    result = dg.materialize(
        [study_regions, firm_registry_raw, validate_firms, firm_locations,
         firms_in_regions],
        partition_key=PARTITION,
        resources={
            "study": StudyResource(study_files={"georgia-demo": str(study_file)}),
            "geocoder": GeocoderResource(),
            "dask": DaskResource(),
            "io_manager": GeoParquetIOManager(base_dir=str(storage)),
        },
    )  # fmt: skip
    assert result.success
    folder = lambda asset: storage / asset / "georgia-demo"  # noqa: E731
    return {
        asset: (gpd.read_parquet if name.endswith("geoparquet") else pd.read_parquet)(
            folder(asset) / name
        )
        for asset, name in STORED.items()
    }


@pytest.fixture(scope="module")
def pandas_outputs(demo_study, tmp_path_factory):
    return _run(demo_study, tmp_path_factory.mktemp("pandas"))


@pytest.mark.parametrize("engine", ["chunked", "dask"])
def test_engine_equals_the_whole_frame(demo_study, pandas_outputs, engine, tmp_path):
    # 6,400 rows in chunks of 700: the demo's duplicate ids span chunks
    settings = {"firms": engine, "chunk_rows": 700, "dask_workers": 2}
    try:
        got = _run(_with_engine(demo_study, settings), tmp_path)
    finally:
        _close_local_clusters()
    for key, expected in pandas_outputs.items():
        assert len(expected) > 0, key
        pd.testing.assert_frame_equal(
            got[key].reset_index(drop=True),
            expected.reset_index(drop=True),
            obj=f"{engine}: {key}",
        )
    duplicates = got["firms_rejected"]["reason"].str.contains("duplicates source row")
    assert duplicates.any()
