"""The built-in demo study: its YAML and generated inputs, written on demand."""

from __future__ import annotations

import filecmp
import os
import shutil
import tempfile
from importlib import resources
from pathlib import Path

DEMO_STUDY_NAME = "georgia_demo.yaml"


def prepare_demo_study(folder: Path, *, seed: int = 20261126) -> Path:
    """Write the demo study file and its inputs into ``folder``; return the study path.

    The generator is deterministic, so files are replaced only when their content
    changed; concurrent callers (Dagster step processes) never see a half-written file.
    """
    from data_sources.demo import write_demo_inputs

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".generate-") as tmp:
        generated = write_demo_inputs(Path(tmp), seed=seed)
        template = resources.files("data_sources") / "demo" / DEMO_STUDY_NAME
        study_tmp = Path(tmp) / DEMO_STUDY_NAME
        study_tmp.write_text(template.read_text(encoding="utf-8"), encoding="utf-8")
        for path in [*generated.values(), study_tmp]:
            target = folder / Path(path).name
            if target.is_file() and filecmp.cmp(path, target, shallow=False):
                continue
            staged = folder / f".{target.name}.tmp-{os.getpid()}"
            shutil.copyfile(path, staged)
            os.replace(staged, target)
    return folder / DEMO_STUDY_NAME
