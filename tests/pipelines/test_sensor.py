"""The inbox sensor: a dropped registry is moved into place and requests one run."""

import shutil

import dagster as dg

from data_sources.demo_study import prepare_demo_study
from pipelines.resources import StudyResource
from pipelines.sensors import InboxResource, new_input_file_sensor


def evaluate(study_file, inbox):
    context = dg.build_sensor_context(
        resources={
            "study": StudyResource(study_files={"georgia-demo": str(study_file)}),
            "inbox": InboxResource(path=str(inbox)),
        }
    )
    return new_input_file_sensor(context)


def test_dropped_registry_is_placed_and_runs_once(tmp_path):
    study_file = prepare_demo_study(tmp_path / "study")
    registry = study_file.parent / "registry.csv"
    inbox = tmp_path / "inbox"
    drop = inbox / "georgia-demo" / "2024" / "registry.csv"
    drop.parent.mkdir(parents=True)
    new_content = registry.read_text().replace("GA-000001", "GA-NEW0001")
    drop.write_text(new_content)

    requests = evaluate(study_file, inbox)
    assert [r.partition_key for r in requests] == ["georgia-demo|2024"]
    assert registry.read_text() == new_content
    assert not drop.exists()
    replaced = list((inbox / "replaced").iterdir())
    assert len(replaced) == 1 and "GA-000001" in replaced[0].read_text()

    again = evaluate(study_file, inbox)
    assert isinstance(again, dg.SkipReason)
    assert "nothing new" in again.skip_message


def test_misplaced_file_is_rejected_with_reason(tmp_path):
    study_file = prepare_demo_study(tmp_path / "study")
    inbox = tmp_path / "inbox"
    for relative in (
        "georgia-demo/1999/registry.csv",
        "nowhere/2024/registry.csv",
        "georgia-demo/2024/firms.csv",
    ):
        path = inbox / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(study_file.parent / "registry.csv", path)
    result = evaluate(study_file, inbox)
    assert isinstance(result, dg.SkipReason)
    reasons = sorted(p.read_text() for p in (inbox / "rejected").glob("*.reason.txt"))
    assert len(reasons) == 3
    assert any("has no year 1999; its years are [2020" in r for r in reasons)
    assert any("no study named 'nowhere'" in r for r in reasons)
    assert any(
        "file name must be one of ['registry', 'statistics']" in r for r in reasons
    )
