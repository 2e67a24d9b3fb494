"""The study file: validated before anything runs, one clear line per bad field."""

from pathlib import Path

import pytest
import yaml

from data_sources.study import StudyError, load_study, missing_inputs

MINIMAL = {
    "name": "tiny",
    "year": 2024,
    "crs": "EPSG:32617",
    "regions": {"path": "regions.gpkg", "id": "fips"},
    "registry": {"path": "firms.csv"},
}


def write(tmp_path: Path, data) -> Path:
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return path


def test_minimal_study_gets_defaults_and_absolute_paths(tmp_path):
    study = load_study(write(tmp_path, MINIMAL))
    assert study.methods.permutations == 999
    assert study.methods.correction == "fdr"
    assert study.registry.path == str(tmp_path / "firms.csv")
    assert missing_inputs(study) == [
        f"regions.path: file not found: {tmp_path / 'regions.gpkg'}",
        f"registry.path: file not found: {tmp_path / 'firms.csv'}",
    ]


def test_libpysal_dataset_paths_resolve_offline(tmp_path):
    data = {**MINIMAL, "regions": {"path": "libpysal:G_utm.shp", "id": "AreaKey"}}
    assert load_study(write(tmp_path, data)).regions.path.endswith("G_utm.shp")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"crs": "EPSG:4326"}, "crs: 'EPSG:4326' is geographic (degrees)"),
        ({"crs": "EPSG:99999999"}, "crs: 'EPSG:99999999' is not a CRS pyproj knows"),
        ({"year": "last year"}, "year: Input should be a valid integer"),
        (
            {"methods": {"permutations": 5}},
            "methods.permutations: Input should be "
            "greater than or equal to 99 (found 5)",
        ),
        (
            {"methods": {"correction": "holm"}},
            "methods.correction: Input should be "
            "'none', 'bonferroni' or 'fdr' (found 'holm')",
        ),
        ({"methods": {"weights": "distance_band"}}, "needs methods.distance_band_m"),
        ({"colour": "red"}, "colour: unknown key; remove it or check its spelling"),
        (
            {"registry": {"path": "f.csv", "encoding": "klingon"}},
            "registry.encoding: unknown text encoding 'klingon'",
        ),
        (
            {"registry": {"path": "f.csv", "columns": {"staff": "Mitarbeiter"}}},
            "unknown canonical column(s) ['staff']",
        ),
        ({"name": "Bad Name!"}, "name: String should match pattern"),
        ({"geocoder": {"tiers": ["postcode", "telepathy"]}}, "geocoder.tiers.1"),
    ],
)
def test_each_bad_field_is_named_with_value(tmp_path, change, expected):
    with pytest.raises(StudyError) as info:
        load_study(write(tmp_path, {**MINIMAL, **change}))
    assert expected in str(info.value)
    assert str(tmp_path / "study.yaml") in str(info.value)


def test_all_problems_reported_at_once(tmp_path):
    data = {**MINIMAL, "crs": "EPSG:4326", "year": "x"}
    data["registry"] = {**data["registry"], "adapter": "dnb"}
    with pytest.raises(StudyError, match=r"3 problem\(s\)") as info:
        load_study(write(tmp_path, data))
    assert "registry.adapter: Input should be" in str(info.value)


def test_a_study_without_registry_needs_industry_statistics(tmp_path):
    data = {**MINIMAL}
    del data["registry"]
    with pytest.raises(StudyError, match="needs a registry, or statistics by industry"):
        load_study(write(tmp_path, data))
    data["statistics"] = {"adapter": "qcew", "path": "qcew.csv", "industry_level": 4}
    study = load_study(write(tmp_path, data))
    assert study.registry is None and study.industry_statistics


@pytest.mark.parametrize(
    ("classification", "expected"),
    [
        ({"scheme": "nace", "level": "division"}, None),
        ({"scheme": "sic", "level": "major_group"}, None),
        ({"scheme": "okved", "level": "subsector"}, "OKVED2 has no level 'subsector'"),
        ({"scheme": "naics", "level": 7}, "NAICS level must be one of"),
    ],
)
def test_classification_level_is_checked_against_the_scheme(
    tmp_path, classification, expected
):
    data = {**MINIMAL, "classification": classification}
    if expected is None:
        assert load_study(write(tmp_path, data)).classification == (
            load_study(write(tmp_path, data)).classification
        )
    else:
        with pytest.raises(StudyError, match=expected):
            load_study(write(tmp_path, data))


def test_rosstat_statistics_need_the_classifier(tmp_path):
    data = {**MINIMAL, "statistics": {"adapter": "rosstat", "path": "r.csv"}}
    with pytest.raises(StudyError, match="needs statistics.classifier"):
        load_study(write(tmp_path, data))


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(StudyError, match="study file not found"):
        load_study(tmp_path / "nope.yaml")
    with pytest.raises(StudyError, match="not valid YAML"):
        load_study(write(tmp_path, "name: [unclosed"))
    with pytest.raises(StudyError, match="must be a YAML mapping"):
        load_study(write(tmp_path, "- a\n- b\n"))


def test_yaml_is_loaded_safely(tmp_path):
    # A Python object tag must not be constructed.
    with pytest.raises(StudyError, match="not valid YAML"):
        load_study(write(tmp_path, "name: !!python/object/apply:os.system ['true']\n"))
