"""The single Dagster ``defs``: every asset, check, job and schedule of the pipeline."""

import os
import re

import dagster as dg

from pipelines import checks
from pipelines.assets import clusters, ecosystem, geocode, indicators, ingest, publish
from pipelines.io_managers import GeoParquetIOManager
from pipelines.paths import dagster_home
from pipelines.progress import step_progress_logger
from pipelines.resources import StudyResource

ALL_ASSETS = dg.load_assets_from_modules(
    [ingest, geocode, indicators, clusters, ecosystem, publish]
)
ALL_CHECKS = dg.load_asset_checks_from_modules([checks])

refresh_job = dg.define_asset_job(
    "refresh_clusters_job",
    selection=dg.AssetSelection.all(),
    description="Registry to published layers: every asset of the study, with checks.",
)
monthly_refresh_schedule = dg.ScheduleDefinition(
    name="monthly_refresh_schedule",
    job=refresh_job,
    cron_schedule="0 4 1 * *",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)


def storage_dir(study_file: str) -> str:
    """Folder for intermediate values, one per study so studies never mix."""
    stem = os.path.splitext(os.path.basename(study_file))[0] if study_file else "demo"
    slug = re.sub(r"[^a-z0-9_-]+", "-", stem.lower()).strip("-") or "study"
    return str(dagster_home() / "storage" / "agglo" / slug)


def build_definitions(study_file: str = "", out_dir: str = "") -> dg.Definitions:
    """Definitions for one study file (empty: the built-in demo) and output folder."""
    return dg.Definitions(
        assets=ALL_ASSETS,
        asset_checks=ALL_CHECKS,
        jobs=[refresh_job],
        schedules=[monthly_refresh_schedule],
        loggers={
            "console": dg.colored_console_logger,
            "progress": step_progress_logger,
        },
        resources={
            "study": StudyResource(study_file=study_file, out_dir=out_dir),
            "io_manager": GeoParquetIOManager(base_dir=storage_dir(study_file)),
        },
    )


# `dagster dev` / `dg dev` load this; AGGLO_STUDY and AGGLO_OUT pick another study.
defs = build_definitions(
    os.environ.get("AGGLO_STUDY", ""), os.environ.get("AGGLO_OUT", "")
)
