"""Dagster resources: the study under analysis and where it publishes."""

from functools import cache
from pathlib import Path

import dagster as dg

from data_sources.demo_study import prepare_demo_study
from data_sources.study import Study, load_study
from pipelines.paths import default_publish_dir, demo_dir


@cache
def _load(study_file: str) -> Study:
    path = Path(study_file) if study_file else prepare_demo_study(demo_dir())
    return load_study(path)


class StudyResource(dg.ConfigurableResource):
    """The study a run analyses, validated once per process."""

    study_file: str = ""
    """Path of the study YAML; empty for the built-in Georgia demo study."""
    out_dir: str = ""
    """Publication folder; empty for the study's publish.dir or published/<name>."""

    def load(self) -> Study:
        return _load(self.study_file)

    def publish_dir(self) -> Path:
        study = self.load()
        if self.out_dir:
            return Path(self.out_dir).resolve()
        if study.publish.dir:
            return Path(study.publish.dir)
        return default_publish_dir(study.name)
