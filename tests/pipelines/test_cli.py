"""The agglo command: validate refuses bad studies; run records into the instance."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pyogrio
import yaml

from data_sources.demo_study import prepare_demo_study
from pipelines.cli import main


def test_validate_names_each_bad_field(tmp_path, capsys):
    study = tmp_path / "bad.yaml"
    study.write_text(
        yaml.safe_dump(
            {
                "name": "x",
                "year": 2024,
                "crs": "EPSG:4326",
                "regions": {"path": "r.gpkg", "id": "id"},
                "registry": {"path": "f.csv"},
                "extra": 1,
            }
        )
    )
    assert main(["validate", "--study", str(study)]) == 2
    err = capsys.readouterr().err
    assert "crs: 'EPSG:4326' is geographic" in err
    assert "extra: unknown key" in err


def test_validate_reports_missing_inputs(tmp_path, capsys):
    study = tmp_path / "s.yaml"
    study.write_text(
        yaml.safe_dump(
            {
                "name": "x",
                "year": 2024,
                "crs": "EPSG:32616",
                "regions": {"path": "r.gpkg", "id": "id"},
                "registry": {"path": "f.csv"},
            }
        )
    )
    assert main(["run", "--study", str(study)]) == 2
    assert (
        f"registry.path: file not found: {tmp_path / 'f.csv'}"
        in capsys.readouterr().err
    )


def test_validate_accepts_the_demo(tmp_path, capsys):
    study = prepare_demo_study(tmp_path)
    assert main(["validate", "--study", str(study)]) == 0
    assert "are valid" in capsys.readouterr().out


def test_run_publishes_and_records_in_the_persistent_instance(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    study = prepare_demo_study(tmp_path / "demo")
    # three years, the fewest emerging hot spots accept: short, and still the trends
    text = study.read_text().replace(
        "years: [2020, 2021, 2022, 2023, 2024]", "years: [2022, 2023, 2024]"
    )
    assert "years: [2022, 2023, 2024]" in text
    study.write_text(text)
    out = tmp_path / "out"
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipelines.cli",
            "run",
            "--study",
            str(study),
            "--out",
            str(out),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    latest = out / "2024" / "latest"
    assert f"latest: {latest}" in proc.stdout
    assert (latest / "agglomeration.qgz").is_file()
    assert "check registry_rows_accounted_for: passed" in proc.stdout
    assert "emerging hot spots" in proc.stdout
    layers = [str(n) for n in pyogrio.list_layers(latest / "agglomeration.gpkg")[:, 0]]
    assert "clusters" in layers
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
        # one run per year, then the trends run
        assert len(runs) == 4
        assert all(run.status == dg.DagsterRunStatus.SUCCESS for run in runs)
        assert {run.tags.get("dagster/partition") for run in runs} == {
            "georgia-demo|2022",
            "georgia-demo|2023",
            "georgia-demo|2024",
            "georgia-demo",
        }
        assert Path(instance.root_directory) == home
