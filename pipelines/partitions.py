"""Partitions: one per study and year the study declares. Studies are found when the
definitions load."""

import os
from importlib import resources
from pathlib import Path

import dagster as dg
import yaml

from pipelines.paths import project_root

DEMO_STUDY_FILE = resources.files("data_sources") / "demo" / "georgia_demo.yaml"
KEY_SEPARATOR = "|"


def _peek(path) -> tuple[str, list[int]] | None:
    """Name and years of a study file, unvalidated (validation happens at run time)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        name = str(data["name"])
        years = data.get("years") or [data["year"]]
        return name, sorted({int(y) for y in years})
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


def partition_key_for(study: str, year: int | str) -> str:
    """The partition key of one study year, e.g. ``"georgia-demo|2024"``."""
    return f"{study}{KEY_SEPARATOR}{year}"


STUDIES = discover_studies()

# Why one dimension of "study|year" keys and not a study x year grid
# (MultiPartitionsDefinition): studies have different years (the demo 2020-2024, the
# QCEW studies 2016, the SME register 2019), so a grid holds combinations no study has,
# and a cross-year asset mapped to "every year of the grid" waits forever on them: its
# declarative automation could never fire. With the study's own years as keys, a
# cross-year asset depends on exactly the years its study declares.
study_year_partitions = dg.StaticPartitionsDefinition(
    [partition_key_for(name, year) for name, (_, years) in sorted(STUDIES.items())
     for year in years]
)  # fmt: skip
"""Every per-year asset: one partition per study and year the study declares."""

study_partitions = dg.StaticPartitionsDefinition(sorted(STUDIES))
"""Cross-year assets (trends): one partition per study."""

all_years_of_study = dg.StaticPartitionMapping(
    {
        key: key.rsplit(KEY_SEPARATOR, 1)[0]
        for key in study_year_partitions.get_partition_keys()
    }
)
"""Cross-year assets read every year their study declares, and no other."""


def study_and_year(context) -> tuple[str, int]:
    """The (study name, year) a step works on, from its partition key."""
    name, _, year = str(context.partition_key).rpartition(KEY_SEPARATOR)
    return name, int(year)
