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
from pipelines.progress import step_progress_logger
from pipelines.resources import (
    DaskResource,
    GeocoderResource,
    PublicationResource,
    StudyResource,
)
from pipelines.sensors import InboxResource, new_input_file_sensor

ALL_ASSETS = dg.load_assets_from_modules(
    [ingest, geocode, indicators, clusters, ecosystem, points, publish, trends]
)
CROSS_YEAR = dg.AssetSelection.assets("emerging_hot_spots", "indicator_changes")
ALL_CHECKS = dg.load_asset_checks_from_modules([checks])


def _executor_for(config: dict) -> dict:
    if config["processes"] <= 1:
        return {"in_process": {}}
    return {"multiprocess": {"max_concurrent": config["processes"]}}


executor = dg.multi_or_in_process_executor.configured(
    _executor_for,
    config_schema={
        "processes": dg.Field(
            int,
            default_value=1,
            description="1: every step of a run in one process; more: steps in up "
            "to that many processes (multiprocess executor).",
        )
    },
    name="in_process_or_multiprocess",
)
"""One process per run by default: steps share the numba compile and skip ~1.3 s of
process start-up each (PERFORMANCE-NOTES); partitions run in parallel as separate
runs (the run queue, dagster.yaml). Run config ``execution: {config: {processes: 2}}``
spreads one run's steps over processes instead."""


def job_executor(environ=os.environ) -> dg.ExecutorDefinition:
    """The jobs' executor: `executor`, or with ``AGGLO_EXECUTOR=k8s`` (a Kubernetes
    deployment with dagster-k8s installed, docs/kubernetes.md) one Kubernetes Job per
    step, configured by run config like deploy/k8s/k8s_job_executor.yaml."""
    choice = environ.get("AGGLO_EXECUTOR", "")
    if choice == "k8s":
        from dagster_k8s import k8s_job_executor

        return k8s_job_executor
    if choice:
        raise ValueError(
            f"AGGLO_EXECUTOR is {choice!r}; leave it unset (one process per run, or "
            "run config processes: N) or set it to 'k8s' on Kubernetes"
        )
    return executor


JOB_EXECUTOR = job_executor()

refresh_job = dg.define_asset_job(
    "refresh_clusters_job",
    selection=dg.AssetSelection.all() - CROSS_YEAR,
    executor_def=JOB_EXECUTOR,
    description="Registry to published layers: every asset of the study, with checks.",
)
trends_job = dg.define_asset_job(
    "trends_job",
    selection=CROSS_YEAR,
    description="Cross-year assets of a study (emerging hot spots); needs every year.",
    executor_def=JOB_EXECUTOR,
)


trends_automation_sensor = dg.AutomationConditionSensorDefinition(
    "trends_automation_sensor",
    target=CROSS_YEAR,
    # on by default: it only starts a study's trends once every year of that study
    # is materialised, and again when a year is re-materialised
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Materialises a study's cross-year assets (trends, emerging hot "
    "spots) when every year of the study is there and one of them changed.",
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


def geocoder_from_environment() -> GeocoderResource:
    """The online geocoder as the deployment's environment sets it (all optional):
    ``AGGLO_GEOCODER_URL``, ``_CONTACT``, ``_API_KEY`` (shown as an environment
    variable in the UI, never its value), ``_CACHE``, ``_RATE_PER_S``, and
    ``AGGLO_GEOCODER_ONLINE=0`` to switch the online tier off."""
    env = os.environ
    return GeocoderResource(
        enabled=env.get("AGGLO_GEOCODER_ONLINE", "1") not in ("0", "false", "no"),
        url=env.get("AGGLO_GEOCODER_URL", ""),
        contact=env.get("AGGLO_GEOCODER_CONTACT", ""),
        api_key=(
            dg.EnvVar("AGGLO_GEOCODER_API_KEY")
            if env.get("AGGLO_GEOCODER_API_KEY")
            else ""
        ),
        cache_dir=env.get("AGGLO_GEOCODER_CACHE", ""),
        rate_per_s=float(env.get("AGGLO_GEOCODER_RATE_PER_S", "0") or 0),
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
        # every job, including the UI's implicit asset job and backfills: see the
        # note on `executor`
        executor=JOB_EXECUTOR,
        assets=ALL_ASSETS,
        asset_checks=ALL_CHECKS,
        jobs=[refresh_job, trends_job],
        schedules=[monthly_refresh_schedule],
        sensors=[new_input_file_sensor, trends_automation_sensor],
        loggers={
            "console": dg.colored_console_logger,
            "progress": step_progress_logger,
        },
        resources={
            "study": StudyResource(study_files=study_files),
            "publication": PublicationResource(root=out_dir),
            "geocoder": geocoder_from_environment(),
            # studies with engine.firms: dask; a deployment's scheduler overrides
            "dask": DaskResource(address=os.environ.get("AGGLO_DASK_ADDRESS", "")),
            "inbox": InboxResource(path=os.environ.get("AGGLO_INBOX", "")),
            "io_manager": GeoParquetIOManager(),
        },
    )


# `dagster dev` / `dg dev` load this; AGGLO_STUDY adds a study, AGGLO_OUT redirects
# publication.
defs = build_definitions(
    os.environ.get("AGGLO_STUDY", ""), os.environ.get("AGGLO_OUT", "")
)
