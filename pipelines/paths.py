"""Where the project keeps its instance, demo inputs and publications."""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The checkout the package runs from (with dagster.yaml), else the cwd."""
    here = Path(__file__).resolve().parents[1]
    return here if (here / "dagster.yaml").is_file() else Path.cwd()


def dagster_home() -> Path:
    """``$DAGSTER_HOME``, or ``.dagster_home`` in the project with the project's
    ``dagster.yaml`` linked into it, so the CLI and ``dagster dev`` share one
    instance."""
    if os.environ.get("DAGSTER_HOME"):
        return Path(os.environ["DAGSTER_HOME"])
    home = project_root() / ".dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    source = project_root() / "dagster.yaml"
    if source.is_file() and not config.exists():
        config.symlink_to(source)
    return home


def storage_dir() -> Path:
    """Where the IO manager keeps intermediate asset values in this instance."""
    return dagster_home() / "storage" / "agglo"


def demo_dir() -> Path:
    """Folder the built-in demo study and its generated inputs are written to."""
    return project_root() / "demo_data"


def default_publish_dir(study_name: str) -> Path:
    """Git-ignored publication folder named after the study."""
    return project_root() / "published" / study_name
