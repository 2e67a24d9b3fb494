"""Dagster resources: the studies under analysis and where they publish."""

from functools import cache
from pathlib import Path

import dagster as dg

from data_sources.demo_study import prepare_demo_study
from data_sources.study import Study, StudyError, load_study
from pipelines.partitions import study_and_year
from pipelines.paths import default_publish_dir, demo_dir


@cache
def _load(study_file: str) -> Study:
    path = Path(study_file) if study_file else prepare_demo_study(demo_dir())
    return load_study(path)


class StudyResource(dg.ConfigurableResource):
    """The study files by study name, each validated once per process."""

    study_files: dict[str, str] = {}
    """Study name -> study YAML; an empty path means the built-in Georgia demo."""
    out_dir: str = ""
    """Publication root; empty for each study's publish.dir or published/<name>."""

    def load(self, name: str) -> Study:
        if name not in self.study_files:
            raise StudyError(
                f"no study named {name!r}; known studies: {sorted(self.study_files)}. "
                "Put its file in studies/ or point AGGLO_STUDY at it"
            )
        study = _load(self.study_files[name])
        if study.name != name:
            raise StudyError(
                f"{self.study_files[name]}: its name is {study.name!r}, not {name!r}"
            )
        return study

    def for_step(self, context) -> tuple[Study, int]:
        """The study and year of a partitioned step; refuses a year the study lacks."""
        name, year = study_and_year(context)
        study = self.load(name)
        if year not in study.analysis_years:
            raise StudyError(
                f"study {name!r} has no year {year}; its years are "
                f"{study.analysis_years} (study field 'years'); run one of them."
            )
        return study, year

    def publish_dir(self, study: Study, year: int) -> Path:
        if self.out_dir:
            root = Path(self.out_dir).resolve()
        elif study.publish.dir:
            root = Path(study.publish.dir)
        else:
            root = default_publish_dir(study.name)
        return root / str(year)
