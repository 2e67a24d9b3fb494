"""The built-in demo study: its YAML and generated inputs, written on demand."""

from __future__ import annotations

import filecmp
import hashlib
import json
import os
import shutil
import tempfile
from importlib import resources
from pathlib import Path

DEMO_STUDY_NAME = "georgia_demo.yaml"
STAMP = ".generated.json"
"""Generator key and SHA-256 of every file, written after a generation."""


def _generator_key(seed: int) -> str:
    """What the generated files depend on: the generator's code, the template, the
    seed and the versions of the libraries whose data or draws they use."""
    from importlib import metadata

    digest = hashlib.sha256(f"seed={seed}".encode())
    package = resources.files("data_sources")
    for name in ("demo.py", "demo_study.py", "gazetteer.py", f"demo/{DEMO_STUDY_NAME}"):
        digest.update(name.encode() + package.joinpath(name).read_bytes())
    for dist in ("numpy", "pandas", "geopandas", "shapely", "libpysal", "zipcodes"):
        digest.update(f"{dist}={metadata.version(dist)}".encode())
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _up_to_date(folder: Path, key: str) -> bool:
    """True when the stamp names this generator key and every file it lists still
    has the content the generator wrote."""
    try:
        stamp = json.loads((folder / STAMP).read_text(encoding="utf-8"))
        return stamp["key"] == key and all(
            _sha256(folder / name) == sha for name, sha in stamp["files"].items()
        )
    except (OSError, ValueError, KeyError, TypeError):
        return False


def prepare_demo_study(folder: Path, *, seed: int = 20261126) -> Path:
    """Write the demo study file and its inputs into ``folder``; return the study path.

    The generator is deterministic, so files are replaced only when their content
    changed; concurrent callers (Dagster step processes) never see a half-written file.
    A stamp records the generator's inputs and the files' SHA-256: when both still
    match, the files are the generator's output already and nothing is regenerated
    (about 4 s saved on every run).
    """
    folder = Path(folder)
    key = _generator_key(seed)
    if _up_to_date(folder, key):
        return folder / DEMO_STUDY_NAME
    from data_sources.demo import write_demo_inputs

    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".generate-") as tmp:
        generated = write_demo_inputs(Path(tmp), seed=seed)
        template = resources.files("data_sources") / "demo" / DEMO_STUDY_NAME
        study_tmp = Path(tmp) / DEMO_STUDY_NAME
        study_tmp.write_text(template.read_text(encoding="utf-8"), encoding="utf-8")
        files = {}
        for path in [*generated.values(), study_tmp]:
            target = folder / Path(path).name
            files[target.name] = _sha256(Path(path))
            if target.is_file() and filecmp.cmp(path, target, shallow=False):
                continue
            staged = folder / f".{target.name}.tmp-{os.getpid()}"
            shutil.copyfile(path, staged)
            os.replace(staged, target)
        stamp = Path(tmp) / STAMP
        stamp.write_text(json.dumps({"key": key, "files": files}), encoding="utf-8")
        os.replace(stamp, folder / STAMP)
    return folder / DEMO_STUDY_NAME
