"""The agglo command: validate refuses bad studies; run records into the instance."""

import os
import re
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


def _study_without_inputs(folder: Path) -> Path:
    """A valid study file whose regions and registry files do not exist."""
    study = folder / "s.yaml"
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
    return study


def test_validate_reports_missing_inputs(tmp_path, capsys):
    study = _study_without_inputs(tmp_path)
    assert main(["run", "--study", str(study)]) == 2
    assert (
        f"registry.path: file not found: {tmp_path / 'f.csv'}"
        in capsys.readouterr().err
    )


def test_the_command_exits_with_the_status_and_all_its_output(tmp_path):
    # `agglo` ends its process at once after `main` (no module teardown): the
    # status, the output written to a pipe and the exit handlers must survive it
    agglo = Path(sys.executable).with_name("agglo")
    assert agglo.is_file(), "the project is installed (make .venv/.installed)"
    study = _study_without_inputs(tmp_path)
    refused = subprocess.run(
        [agglo, "run", "--study", str(study)], capture_output=True, text=True
    )
    assert refused.returncode == 2
    assert f"registry.path: file not found: {tmp_path / 'f.csv'}" in refused.stderr
    demo = prepare_demo_study(tmp_path / "demo")
    marker = tmp_path / "exit-handler-ran"
    accepted = subprocess.run(
        [
            sys.executable,
            "-c",
            "import atexit, pathlib, sys; from pipelines.cli import entry; "
            f"atexit.register(pathlib.Path({str(marker)!r}).touch); "
            f"sys.argv = ['agglo', 'validate', '--study', {str(demo)!r}]; entry()",
        ],
        capture_output=True,
        text=True,
    )
    assert accepted.returncode == 0, accepted.stderr
    assert "are valid" in accepted.stdout
    assert marker.is_file()


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
    # years run side by side, but each year's lines come together, in year order
    blocks = proc.stdout.split("\n== georgia-demo ")[1:]
    assert [b.split(" ==")[0] for b in blocks] == [
        "2022",
        "2023",
        "2024",
        "trends across [2022, 2023, 2024]",
    ]
    for block in blocks[:3]:
        steps = [
            tuple(map(int, m)) for m in re.findall(r"^\[(\d+)/(\d+)\]", block, re.M)
        ]
        assert [k for k, _ in steps] == sorted(k for k, _ in steps)
        assert steps[-1][0] == steps[-1][1]  # the last step of the run
        assert block.count(" succeeded in ") == 1
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


# A fresh interpreter, as `agglo` starts: forking year workers is only safe from a
# process with one thread, which this test process (Dagster, numba) is not.
SIDE_BY_SIDE = """
import sys, time
from pipelines.cli import _can_fork, _run_years_side_by_side

def fake_year(year):
    # stands in for one Dagster run: later years finish first, 2021 fails
    print(f"== {year} ==", flush=True)
    time.sleep({2020: 0.6, 2021: 0.3, 2022: 0.1, 2023: 0.1}[year])
    print(f"{year} step", file=sys.stderr, flush=True)
    print(f"{year} done")
    return 1 if year == 2021 else 0

assert _can_fork(), "a fresh interpreter must be able to fork year workers"
workers, years = int(sys.argv[1]), [int(y) for y in sys.argv[2:]]
sys.exit(_run_years_side_by_side(fake_year, years, workers))
"""


def _side_by_side(workers: int, *years: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", SIDE_BY_SIDE, str(workers), *map(str, years)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_years_side_by_side_print_as_if_run_in_turn():
    done = _side_by_side(2, 2020, 2022)
    assert done.returncode == 0, done.stderr
    # 2022 finished first but is shown after 2020, each year's lines together
    assert done.stdout.splitlines() == [
        "== 2020 ==",
        "2020 done",
        "== 2022 ==",
        "2022 done",
    ]
    assert done.stderr.splitlines() == ["2020 step", "2022 step"]


def test_a_failed_year_starts_no_new_year():
    # one worker: 2021 fails, so 2022 and 2023 never start
    done = _side_by_side(1, 2020, 2021, 2022, 2023)
    assert done.returncode == 1, done.stderr
    out = done.stdout
    assert "2021 done" in out and "2022" not in out and "2023" not in out
