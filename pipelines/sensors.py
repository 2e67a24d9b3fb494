"""Sensors: a new registry or statistics file dropped into the inbox starts a run.

Inbox layout: ``<inbox>/<study name>/<year>/registry.<ext>`` or ``statistics.<ext>``.
The sensor moves the file to where the study reads it (``registry.path`` with
``{year}`` filled in, or ``statistics.path``), keeps the file it replaces under
``<inbox>/replaced/``, and requests a run of that study and year. Files it cannot
place go to ``<inbox>/rejected/`` with a ``.reason.txt`` beside them. Moving is what
stops a file from being picked up twice.
"""

import os
import shutil
import time
from pathlib import Path

import dagster as dg

from data_sources.study import StudyError
from pipelines.partitions import partition_key_for
from pipelines.paths import project_root
from pipelines.resources import StudyResource

INPUT_KINDS = ("registry", "statistics")


class InboxResource(dg.ConfigurableResource):
    """Folder watched for new input files."""

    path: str = ""
    """Inbox folder; empty for <project>/inbox."""

    def folder(self) -> Path:
        return Path(self.path) if self.path else project_root() / "inbox"


def _set_aside(file: Path, folder: Path, reason: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = (
        folder / f"{time.strftime('%Y%m%dT%H%M%S')}-{file.parent.parent.name}-"
        f"{file.parent.name}-{file.name}"
    )
    shutil.move(str(file), target)
    if reason:
        target.with_name(target.name + ".reason.txt").write_text(reason + "\n")
    return target


def place_inbox_file(file: Path, inbox: Path, study: StudyResource) -> tuple[str, int]:
    """Move one inbox file to the path its study reads; return (study, year).

    Raises
    ------
    ValueError
        If the file's place in the inbox does not name a known study, one of its
        years and an input kind the study has.
    """
    relative = file.relative_to(inbox)
    if len(relative.parts) != 3:
        raise ValueError(
            f"{relative}: expected <study>/<year>/<registry|statistics>.<ext>"
        )
    name, year_text, filename = relative.parts
    kind = Path(filename).stem
    if kind not in INPUT_KINDS:
        raise ValueError(
            f"{relative}: file name must be one of {list(INPUT_KINDS)} "
            f"plus an extension; got {filename!r}"
        )
    if not year_text.isdigit():
        raise ValueError(f"{relative}: {year_text!r} is not a year")
    try:
        spec = study.load(name)
    except StudyError as exc:
        raise ValueError(f"{relative}: {exc}") from None
    year = int(year_text)
    if year not in spec.analysis_years:
        raise ValueError(
            f"{relative}: study {name!r} has no year {year}; its years are "
            f"{spec.analysis_years}"
        )
    if kind == "registry" and spec.registry is not None:
        target = Path(spec.registry.path.replace("{year}", str(year)))
    elif kind == "registry":
        raise ValueError(f"{relative}: study {name!r} names no firm registry")
    elif spec.statistics is not None:
        target = Path(spec.statistics.path)
    else:
        raise ValueError(f"{relative}: study {name!r} names no statistics file")
    if target.exists():
        shutil.copy2(target, _replaced_path(inbox, name, year, target))
    staged = target.with_name(f".{target.name}.incoming-{os.getpid()}")
    shutil.move(str(file), staged)
    os.replace(staged, target)
    return name, year


def _replaced_path(inbox: Path, name: str, year: int, target: Path) -> Path:
    folder = inbox / "replaced"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{time.strftime('%Y%m%dT%H%M%S')}-{name}-{year}-{target.name}"


@dg.sensor(
    job_name="refresh_clusters_job",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Runs a study's year when a registry or statistics file lands in the "
    "inbox (<inbox>/<study>/<year>/registry.csv); the file is moved into place.",
)
def new_input_file_sensor(
    context: dg.SensorEvaluationContext, study: StudyResource, inbox: InboxResource
):
    folder = inbox.folder()
    if not folder.is_dir():
        return dg.SkipReason(f"no inbox folder at {folder}")
    files = sorted(
        p
        for p in folder.glob("*/*/*")
        if p.is_file()
        and not p.name.startswith(".")
        and p.parts[-3] not in ("replaced", "rejected")
    )
    if not files:
        return dg.SkipReason(f"nothing new in {folder}")
    requests = []
    for file in files:
        try:
            name, year = place_inbox_file(file, folder, study)
        except ValueError as exc:
            moved = _set_aside(file, folder / "rejected", str(exc))
            context.log.warning(f"rejected {file}: {exc} (moved to {moved})")
            continue
        context.log.info(f"placed {file.name} for {name} {year}; requesting a run")
        requests.append(
            dg.RunRequest(
                run_key=f"{name}|{year}|{file.name}|{time.time_ns()}",
                partition_key=partition_key_for(name, year),
                tags={"agglo/trigger": f"inbox:{file.name}"},
            )
        )
    return requests or dg.SkipReason("only rejected files; see <inbox>/rejected")
