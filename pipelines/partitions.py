"""Partitions: one per study and year. Studies are found when the definitions load."""

import os
from importlib import resources
from pathlib import Path

import dagster as dg
import yaml

from pipelines.paths import project_root

DEMO_STUDY_FILE = resources.files("data_sources") / "demo" / "georgia_demo.yaml"


def _peek(path) -> tuple[str, list[int]] | None:
    """Name and years of a study file, unvalidated (validation happens at run time)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        name = str(data["name"])
        years = data.get("years") or [data["year"]]
        return name, [int(y) for y in years]
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError):
        return None


def discover_studies() -> dict[str, tuple[str, list[int]]]:
    """Study name -> (study file, years): the built-in demo (file ""), every
    ``studies/*.yaml`` of the project, and the file named by ``$AGGLO_STUDY``."""
    demo_name, demo_years = _peek(DEMO_STUDY_FILE)
    found: dict[str, tuple[str, list[int]]] = {demo_name: ("", demo_years)}
    files = sorted((project_root() / "studies").glob("*.yaml"))
    if os.environ.get("AGGLO_STUDY"):
        files.append(Path(os.environ["AGGLO_STUDY"]).resolve())
    for path in files:
        peeked = _peek(path)
        if peeked:
            name, years = peeked
            found[name] = (str(path), years)
    return found


STUDIES = discover_studies()
study_partitions = dg.StaticPartitionsDefinition(sorted(STUDIES))
year_partitions = dg.StaticPartitionsDefinition(
    sorted({str(y) for _, years in STUDIES.values() for y in years})
)
study_year_partitions = dg.MultiPartitionsDefinition(
    {"study": study_partitions, "year": year_partitions}
)
"""Every per-year asset is partitioned by study and year; a study's own years are the
valid combinations, others fail with a message naming the study's years."""

all_years_of_study = dg.MultiToSingleDimensionPartitionMapping(
    partition_dimension_name="study"
)
"""Cross-year assets (partitioned by study) read every year of their study."""


def partition_key_for(study: str, year: int) -> dg.MultiPartitionKey:
    return dg.MultiPartitionKey({"study": study, "year": str(year)})


def study_and_year(context) -> tuple[str, int]:
    """The (study name, year) a step works on, from its partition key."""
    keys = context.partition_key.keys_by_dimension
    return keys["study"], int(keys["year"])
