"""The single Dagster ``defs``: every asset, check, job and schedule of the pipeline."""

import os
from pathlib import Path

import dagster as dg

from data_sources.study import load_study
from pipelines import checks
from pipelines.assets import (
    clusters,
    ecosystem,
    geocode,
    indicators,
    ingest,
    points,
    publish,
    trends,
)
from pipelines.io_managers import GeoParquetIOManager
from pipelines.partitions import STUDIES, partition_key_for
from pipelines.paths import dagster_home
from pipelines.progress import step_progress_logger
from pipelines.resources import StudyResource
from pipelines.sensors import InboxResource, new_input_file_sensor

ALL_ASSETS = dg.load_assets_from_modules(
    [ingest, geocode, indicators, clusters, ecosystem, points, publish, trends]
)
CROSS_YEAR = dg.AssetSelection.assets("emerging_hot_spots", "indicator_changes")
ALL_CHECKS = dg.load_asset_checks_from_modules([checks])

refresh_job = dg.define_asset_job(
    "refresh_clusters_job",
    selection=dg.AssetSelection.all() - CROSS_YEAR,
    # One process per run: steps share esda's numba compile and skip ~1.3 s of process
    # start-up each; partitions run in parallel as separate runs (run queue).
    executor_def=dg.in_process_executor,
    description="Registry to published layers: every asset of the study, with checks.",
)
trends_job = dg.define_asset_job(
    "trends_job",
    selection=CROSS_YEAR,
    description="Cross-year assets of a study (emerging hot spots); needs every year.",
    executor_def=dg.in_process_executor,
)


@dg.schedule(
    job=refresh_job,
    cron_schedule="0 4 1 * *",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Monthly refresh of the latest year of every study.",
)
def monthly_refresh_schedule(context: dg.ScheduleEvaluationContext):
    for name, (_, years) in sorted(STUDIES.items()):
        key = partition_key_for(name, max(years))
        yield dg.RunRequest(
            run_key=f"{context.scheduled_execution_time:%Y-%m}-{key}", partition_key=key
        )


def build_definitions(study_file: str = "", out_dir: str = "") -> dg.Definitions:
    """Definitions over every discovered study (see `pipelines.partitions`); a given
    ``study_file`` (empty: keep the discovered ones) is added under its name, and
    ``out_dir`` overrides every study's publication folder."""
    study_files = {name: path for name, (path, _) in STUDIES.items()}
    if study_file:
        name = load_study(study_file).name
        study_files[name] = str(Path(study_file).resolve())
    return dg.Definitions(
        # in-process runs for every job, including the UI's implicit asset job and
        # backfills: see the note on refresh_job
        executor=dg.in_process_executor,
        assets=ALL_ASSETS,
        asset_checks=ALL_CHECKS,
        jobs=[refresh_job, trends_job],
        schedules=[monthly_refresh_schedule],
        sensors=[new_input_file_sensor],
        loggers={
            "console": dg.colored_console_logger,
            "progress": step_progress_logger,
        },
        resources={
            "study": StudyResource(study_files=study_files, out_dir=out_dir),
            "inbox": InboxResource(path=os.environ.get("AGGLO_INBOX", "")),
            "io_manager": GeoParquetIOManager(
                base_dir=str(dagster_home() / "storage" / "agglo")
            ),
        },
    )


# `dagster dev` / `dg dev` load this; AGGLO_STUDY adds a study, AGGLO_OUT redirects
# publication.
defs = build_definitions(
    os.environ.get("AGGLO_STUDY", ""), os.environ.get("AGGLO_OUT", "")
)
