"""The study's engine setting: how the firm-level steps run, checked up front."""

from pathlib import Path

import pytest
import yaml

from data_sources.study import FIRM_ENGINES, EngineSpec, StudyError, load_study

MINIMAL = {
    "name": "tiny",
    "year": 2024,
    "crs": "EPSG:32617",
    "regions": {"path": "regions.gpkg", "id": "fips"},
    "registry": {"path": "firms.csv"},
}


def load(tmp_path: Path, engine) -> object:
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump({**MINIMAL, "engine": engine}))
    return load_study(path)


def test_default_engine_is_pandas_in_memory(tmp_path):
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(MINIMAL))
    assert load_study(path).engine == EngineSpec()
    assert EngineSpec().model_dump() == {
        "firms": "pandas",
        "chunk_rows": 500_000,
        "dask_address": "",
        "dask_workers": 2,
    }
    assert FIRM_ENGINES == ("pandas", "chunked", "dask")


def test_engine_settings_are_read(tmp_path):
    engine = load(
        tmp_path,
        {
            "firms": "dask",
            "chunk_rows": 250000,
            "dask_address": " tcp://10.0.0.5:8786 ",
        },
    ).engine
    assert (engine.firms, engine.chunk_rows, engine.dask_workers) == ("dask", 250000, 2)
    assert engine.dask_address == "tcp://10.0.0.5:8786"
    assert EngineSpec(dask_address="localhost:8786").dask_address == "localhost:8786"


@pytest.mark.parametrize(
    ("engine", "message"),
    [
        (
            {"firms": "spark"},
            "engine.firms: Input should be 'pandas', 'chunked' or 'dask' "
            "(found 'spark')",
        ),
        ({"chunk_rows": 0}, "engine.chunk_rows: Input should be greater than or equal"),
        ({"chunk_rows": "many"}, "engine.chunk_rows: Input should be a valid integer"),
        ({"dask_workers": 0}, "engine.dask_workers: Input should be greater than"),
        (
            {"dask_address": "my cluster"},
            "engine.dask_address: 'my cluster' is not a Dask scheduler address; "
            "write e.g. 'tcp://10.0.0.5:8786'",
        ),
        ({"chunkrows": 5}, "engine.chunkrows: unknown key"),
    ],
)
def test_bad_engine_settings_are_named(tmp_path, engine, message):
    with pytest.raises(StudyError, match="problem") as error:
        load(tmp_path, engine)
    assert message in str(error.value)
