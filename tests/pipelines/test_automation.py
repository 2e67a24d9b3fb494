"""Partitions and declarative automation: a study's cross-year assets depend on the
years that study declares, and its trends start by themselves once they are all there.

The automation condition is evaluated by Dagster's own evaluator on the project's real
definitions; upstream years are marked materialised with runless events (what a run
records), so the test takes seconds instead of running the pipeline five times.
"""

import dagster as dg
import pytest

from pipelines.definitions import defs
from pipelines.partitions import (
    STUDIES,
    all_years_of_study,
    partition_key_for,
    study_partitions,
    study_year_partitions,
)

DEMO = "georgia-demo"
DEMO_YEARS = [2020, 2021, 2022, 2023, 2024]
TRENDS = [dg.AssetKey("emerging_hot_spots"), dg.AssetKey("indicator_changes")]
YEARLY_INPUTS = ["location_quotients", "region_weights"]  # what the trends read


def test_partitions_are_exactly_the_years_each_study_declares():
    keys = study_year_partitions.get_partition_keys()
    assert [k for k in keys if k.startswith(f"{DEMO}|")] == [
        f"{DEMO}|{y}" for y in DEMO_YEARS
    ]
    # every key is one study year, and no study gets another study's years
    assert len(keys) == sum(len(years) for _, years in STUDIES.values())
    for name, (_, years) in STUDIES.items():
        assert {partition_key_for(name, y) for y in years} <= set(keys)
    assert f"{DEMO}|2016" not in keys  # a QCEW study's year, not the demo's


def test_cross_year_mapping_names_only_the_study_s_own_years():
    upstream = all_years_of_study.get_upstream_mapped_partitions_result_for_partitions(
        study_partitions.subset_with_partition_keys([DEMO]),
        study_partitions,
        study_year_partitions,
    ).partitions_subset
    assert sorted(upstream.get_partition_keys()) == [f"{DEMO}|{y}" for y in DEMO_YEARS]


def _materialise(instance, year: int, assets=YEARLY_INPUTS) -> None:
    for asset in assets:
        instance.report_runless_asset_event(
            dg.AssetMaterialization(asset, partition=partition_key_for(DEMO, year))
        )


def _requested(result) -> set[tuple[str, str]]:
    """(asset, partition) pairs the evaluation would start runs for."""
    keys = [key for assets in defs.assets for key in assets.keys]
    return {
        (key.to_user_string(), partition)
        for key in keys
        for partition in result.get_requested_partitions(key)
    }


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def test_trends_wait_for_every_year_then_run_once_and_again_after_a_change(instance):
    # four of five years: the trends of the demo must wait
    for year in DEMO_YEARS[:-1]:
        _materialise(instance, year)
    first = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    assert _requested(first) == set()

    # the last year lands: both cross-year assets of the demo, and of no other study
    _materialise(instance, DEMO_YEARS[-1])
    second = dg.evaluate_automation_conditions(
        defs=defs, instance=instance, cursor=first.cursor
    )
    assert _requested(second) == {(k.to_user_string(), DEMO) for k in TRENDS}

    # requested once: the next tick asks nothing more while nothing changed
    for key in TRENDS:
        instance.report_runless_asset_event(
            dg.AssetMaterialization(key, partition=DEMO)
        )
    third = dg.evaluate_automation_conditions(
        defs=defs, instance=instance, cursor=second.cursor
    )
    assert _requested(third) == set()

    # a year re-materialised (a corrected registry): the trends run again
    _materialise(instance, 2022, ["location_quotients"])
    fourth = dg.evaluate_automation_conditions(
        defs=defs, instance=instance, cursor=third.cursor
    )
    assert _requested(fourth) == {(k.to_user_string(), DEMO) for k in TRENDS}


def test_automation_sensor_targets_only_the_cross_year_assets():
    sensor = defs.resolve_sensor_def("trends_automation_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    repo = defs.get_repository_def()
    targeted = sensor.asset_selection.resolve(repo.asset_graph)
    assert targeted == set(TRENDS)
