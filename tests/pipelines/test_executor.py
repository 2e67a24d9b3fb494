"""The multiprocess executor, chosen by run config, gives what the default in-process
executor gives: the registry steps of one demo year (each step process pays ~10 s of
imports, so a short selection) run both ways, in separate instances, and their stored
tables are compared."""

import os
import shutil
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from data_sources.demo_study import prepare_demo_study
from pipelines.definitions import defs
from pipelines.partitions import partition_key_for

ROOT = Path(__file__).resolve().parents[2]
FIRM_STEPS = (
    dg.AssetSelection.assets("firms_validated")
    .upstream()
    .required_multi_asset_neighbors()
)
STORED = ["firm_registry_raw", "firms_validated", "firms_rejected"]


def refresh_job():
    """The project's refresh job, which each step process rebuilds by importing
    ``pipelines.definitions`` (its ``defs`` read $AGGLO_STUDY and $AGGLO_OUT)."""
    # Dagster's own reconstruction of a job from a module attribute (what `dagster
    # dev` does); dg.reconstructable needs a function in an importable module
    from dagster._core.definitions.reconstruct import ReconstructableRepository

    repository = ReconstructableRepository.for_module(
        "pipelines.definitions", "defs", working_directory=str(ROOT)
    )
    return repository.get_reconstructable_job("refresh_clusters_job")


def _run(home, processes: int) -> dict[str, pd.DataFrame]:
    home.mkdir()
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")  # the project's instance
    os.environ["DAGSTER_HOME"] = str(home)
    with dg.DagsterInstance.get() as instance:
        result = dg.execute_job(
            refresh_job(),
            instance=instance,
            tags={"dagster/partition": partition_key_for("georgia-demo", 2024)},
            run_config={"execution": {"config": {"processes": processes}}},
            asset_selection=sorted(FIRM_STEPS.resolve(defs.resolve_asset_graph())),
        )
        assert result.success
        starts = {
            event.dagster_event.pid
            for event in instance.all_logs(result.run_id)
            if event.dagster_event and event.dagster_event.is_step_start
        }
    root = home / "storage" / "agglo"
    tables = {
        name: pd.read_parquet(root / name / "georgia-demo" / "2024.parquet")
        for name in STORED
    }
    return tables, starts


def test_multiprocess_run_equals_in_process_run(tmp_path):
    study = prepare_demo_study(tmp_path / "demo")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AGGLO_STUDY", str(study))
        mp.setenv("AGGLO_OUT", str(tmp_path / "published"))
        mp.setenv("DAGSTER_HOME", str(tmp_path))  # restored after the test
        one, one_pids = _run(tmp_path / "in_process", processes=1)
        two, two_pids = _run(tmp_path / "multiprocess", processes=2)
    assert len(one_pids) == 1  # every step in the run's own process
    assert len(two_pids) > 1  # a process per step
    for name in STORED:
        pd.testing.assert_frame_equal(one[name], two[name], obj=name)
    assert len(one["firms_validated"]) > 6000 and len(one["firms_rejected"]) > 0


def test_executor_choice_by_environment():
    from dagster_k8s import k8s_job_executor

    from pipelines.definitions import executor, job_executor

    assert job_executor({}) is executor
    assert job_executor({"AGGLO_EXECUTOR": "k8s"}) is k8s_job_executor
    with pytest.raises(ValueError, match="AGGLO_EXECUTOR is 'celery'"):
        job_executor({"AGGLO_EXECUTOR": "celery"})
