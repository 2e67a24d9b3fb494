"""Whole-pipeline runs on bad input: `agglo validate` refuses with the file and the fix;
`agglo run` on a registry with bad rows succeeds and accounts for every row.

One full run (~20-30 s); the rest are `validate`, which opens inputs only.
"""

import shutil

import pandas as pd
import pytest
import yaml
from conftest import TALLY

from data_sources.demo_study import prepare_demo_study
from pipelines.cli import main

NAME = "bad-inputs-demo"


@pytest.fixture(scope="module")
def demo_source(tmp_path_factory):
    """The demo study's inputs, generated once for the module."""
    return prepare_demo_study(tmp_path_factory.mktemp("demo")).parent


@pytest.fixture
def demo(demo_source, tmp_path, monkeypatch):
    """A copy of the demo study in tmp_path (years 2023 and 2024, 99 permutations),
    with its own Dagster instance; returns (study path, folder)."""
    folder = tmp_path / "study"
    shutil.copytree(demo_source, folder)
    study_file = folder / "georgia_demo.yaml"
    study = yaml.safe_load(study_file.read_text())
    # two years, and runs of 2024 only: the cross-year trends step is not run
    study.update(name=NAME, years=[2023, 2024])
    study["methods"]["permutations"] = 99
    study_file.write_text(yaml.safe_dump(study))
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    # the CLI sets both in os.environ; monkeypatch restores them afterwards
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("AGGLO_STUDY", str(study_file))
    return study_file, folder


def _edit(study_file, **sections):
    study = yaml.safe_load(study_file.read_text())
    study.update(sections)
    study_file.write_text(yaml.safe_dump(study))


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        pytest.param(
            lambda f: (f / "registry.csv").write_text(
                (f / "registry.csv").read_text().replace(",", ";")
            ),
            [
                "registry: ",
                "registry.csv: the header has a single column",
                "Set registry.delimiter",
            ],
            id="registry-wrong-delimiter",
        ),
        pytest.param(
            lambda f: (f / "registry.csv").write_bytes(
                (f / "registry.csv").read_text().encode("utf-16")
            ),
            ["registry.csv: cannot be read as 'utf-8'", "set registry.encoding"],
            id="registry-wrong-encoding",
        ),
        pytest.param(
            lambda f: (f / "statistics.csv").write_text(""),
            ["statistics: ", "statistics.csv: the file is empty"],
            id="statistics-empty",
        ),
        pytest.param(
            lambda f: (f / "registry.csv").unlink(),
            ["registry.path: file not found: ", "registry.csv"],
            id="registry-missing",
        ),
    ],
)
def test_validate_refuses_bad_inputs_naming_file_and_fix(demo, capsys, make, expected):
    study_file, folder = demo
    make(folder)
    assert main(["validate", "--study", str(study_file)]) == 2
    err = capsys.readouterr().err
    assert "the study is valid but its inputs are not" in err
    for text in expected:
        assert text in err
    assert "Traceback" not in err
    TALLY["cases"] += 1
    TALLY["clear_errors"] += 1


def test_validate_refuses_a_path_outside_the_study(demo, capsys, monkeypatch, tmp_path):
    monkeypatch.delenv("AGGLO_DATA_ROOTS", raising=False)
    monkeypatch.setenv("AGGLO_SHARED_DATA", str(tmp_path / "no-shared"))
    study_file, folder = demo
    _edit(study_file, statistics={"path": "../../../../../etc/passwd"})
    assert main(["validate", "--study", str(study_file)]) == 2
    err = capsys.readouterr().err
    assert (
        "statistics.path: '../../../../../etc/passwd' resolves to '/etc/passwd'" in err
    )
    assert "Traceback" not in err
    TALLY["cases"] += 1
    TALLY["attacks_refused"] += 1


BAD_ROWS = [
    # firm_id,name,address,settlement,postcode,state,industry_code,employees,
    # founded,closed,lat,lon
    ("BAD-1", "314110", "-5", "", ""),  # negative employment
    ("BAD-2", "999999", "5", "", ""),  # code not in NAICS
    ("BAD-3", "314110", "9000000", "", ""),  # implausible head count
    ("BAD-4", "314110", "5", "north", "-84.9"),  # text latitude
    ("GA-000001", "314110", "5", "", ""),  # duplicate id
]


def test_run_with_bad_rows_quarantines_and_loses_nothing(demo, tmp_path, capsys):
    study_file, folder = demo
    registry = folder / "registry.csv"
    lines = registry.read_text().splitlines()
    extra = [
        f"{fid},Bad Row Firm,1 Main St,Dalton,30720,GA,{code},{emp},,,{lat},{lon}"
        for fid, code, emp, lat, lon in BAD_ROWS
    ]
    extra.append("BAD-6,Truncated Firm,1 Main St,Dal")  # a line cut short
    registry.write_text("\n".join([*lines, *extra]) + "\n")
    n_rows = len(lines) - 1 + len(extra)
    out = tmp_path / "out"
    status = main(
        ["run", "--study", str(study_file), "--out", str(out), "--year", "2024"]
    )
    captured = capsys.readouterr()
    assert status == 0, captured.err[-6000:] + captured.out[-3000:]
    assert "check registry_rows_accounted_for: passed" in captured.out
    storage = tmp_path / "home" / "storage" / "agglo"
    validated = pd.read_parquet(storage / "firms_validated" / NAME / "2024.parquet")
    rejected = pd.read_parquet(storage / "firms_rejected" / NAME / "2024.parquet")
    rows = set(validated["source_row"]) | set(rejected["source_row"])
    assert len(validated) + len(rejected) == n_rows
    assert rows == set(range(1, n_rows + 1)), "every registry row accounted for"
    assert (rejected["reason"].str.strip() != "").all()
    reasons = rejected.set_index("source_row")["reason"]
    first_bad = len(lines)  # source rows are 1-based data rows
    assert "employees: '-5' is negative" in reasons[first_bad]
    assert "industry_code: '999999' is not a NAICS code" in reasons[first_bad + 1]
    assert "employees: '9000000' exceeds 500,000" in reasons[first_bad + 2]
    assert "lat: 'north' is not a number" in reasons[first_bad + 3]
    assert "firm_id: 'GA-000001' duplicates source row 1" in reasons[first_bad + 4]
    assert "fields where the header has 12" in reasons[first_bad + 5]
    assert f"registry rows quarantined with a reason: {len(rejected)}" in captured.out
    assert (out / "2024" / "latest" / "agglomeration.gpkg").is_file()
    TALLY["cases"] += 1
    TALLY["quarantined_rows"] += len(rejected)


def test_a_one_year_study_runs(demo, tmp_path, capsys):
    study_file, folder = demo
    _edit(study_file, years=[2024])
    out = tmp_path / "out"
    status = main(["run", "--study", str(study_file), "--out", str(out)])
    captured = capsys.readouterr()
    assert status == 0, captured.err[-2000:]
    # emerging hot spots need 3 years: skipped with a reason, not a failed run
    assert "trends across years skipped" in captured.out
    TALLY["cases"] += 1


def test_validate_opens_the_interaction_files(demo, capsys):
    study_file, folder = demo
    (folder / "actors.csv").write_text("")
    assert main(["validate", "--study", str(study_file)]) == 2
    assert "actors.csv: the file is empty" in capsys.readouterr().err
