"""The demo study's inputs are generated once and reused while they are what the
generator wrote; a changed file, or a changed generator, regenerates them."""

import data_sources.demo as demo
from data_sources.demo_study import STAMP, prepare_demo_study


def test_inputs_are_reused_until_a_file_changes(tmp_path, monkeypatch):
    study = prepare_demo_study(tmp_path)
    registry = tmp_path / "registry.csv"
    original = registry.read_bytes()
    assert (tmp_path / STAMP).is_file()

    def must_not_run(*args, **kwargs):
        raise AssertionError("regenerated although nothing changed")

    monkeypatch.setattr(demo, "write_demo_inputs", must_not_run)
    assert prepare_demo_study(tmp_path) == study  # reused: nothing regenerated

    monkeypatch.undo()
    registry.write_bytes(original.replace(b"GA-000001", b"GA-EDITED1"))
    prepare_demo_study(tmp_path)
    assert registry.read_bytes() == original  # regenerated: the generator's bytes


def test_another_seed_regenerates(tmp_path):
    prepare_demo_study(tmp_path)
    first = (tmp_path / "registry.csv").read_bytes()
    prepare_demo_study(tmp_path, seed=7)
    assert (tmp_path / "registry.csv").read_bytes() != first
