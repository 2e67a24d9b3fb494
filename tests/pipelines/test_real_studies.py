"""The real-data studies in studies/ run end to end with `agglo run --study`.

Needs ../shared/data (or $AGGLO_SHARED_DATA): real public data that is never copied into
the repository; the studies read it by relative path, so the test skips when the shared
folder is absent beside the project (a user's fresh machine). CI always has it.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyogrio
import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"


@pytest.mark.parametrize(
    ("study", "min_clusters"),
    [("georgia_qcew", 1), ("us_counties_qcew", 1), ("russia_sme", 1)],
)
def test_real_study_runs_end_to_end(tmp_path, study, min_clusters):
    if not SHARED.is_dir():
        pytest.skip(f"needs {SHARED} (real public data; see ../shared/data/README.md)")
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipelines.cli",
            "run",
            "--study",
            str(ROOT / "studies" / f"{study}.yaml"),
            "--out",
            str(out),
        ],
        env={**os.environ, "DAGSTER_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=1200,
        cwd=ROOT,
    )
    assert proc.returncode == 0, (proc.stdout[-2000:], proc.stderr[-3000:])
    found = [int(n) for n in re.findall(r"clusters found: (\d+)", proc.stdout)]
    assert found and min(found) >= min_clusters
    latest = next(out.glob("*/latest"))
    layers = {str(n) for n in pyogrio.list_layers(latest / "agglomeration.gpkg")[:, 0]}
    assert {"regions", "location_quotients", "lisa", "clusters"} <= layers
    assert (latest / "agglomeration.qgz").is_file()
