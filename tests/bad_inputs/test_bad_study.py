"""Bad study files and path traversal: every bad field named with the value found and
the fix; a study cannot read or write outside the folders the operator allows."""

import os

import pytest
import yaml
from conftest import TALLY, assert_our_error

from data_sources.study import (
    DATA_ROOTS_ENV,
    PUBLISH_ROOTS_ENV,
    StudyError,
    allowed_roots,
    load_study,
)

BASE = {
    "name": "bad",
    "year": 2024,
    "crs": "EPSG:32616",
    "regions": {"path": "libpysal:G_utm.shp", "id": "AreaKey", "crs": "EPSG:26916"},
    "registry": {"path": "registry.csv"},
}


@pytest.fixture
def study(tmp_path):
    """Write a study (BASE updated with ``changes``) into tmp_path/study/."""
    folder = tmp_path / "study"
    folder.mkdir()
    (folder / "registry.csv").write_text("firm_id,industry_code,employees\n")

    def _study(changes=None, *, text=None):
        path = folder / "study.yaml"
        if text is not None:
            path.write_bytes(text if isinstance(text, bytes) else text.encode())
        else:
            path.write_text(yaml.safe_dump({**BASE, **(changes or {})}))
        return path

    return _study


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        pytest.param(
            {"year": "twenty"},
            r"year: Input should be a valid integer.*\(found 'twenty'\)",
            id="year-text",
        ),
        pytest.param(
            {"year": 3024},
            r"year: Input should be less than or equal to 2200 \(found 3024\)",
            id="year-out-of-range",
        ),
        pytest.param(
            {"name": "Bad Name!"},
            r"name: String should match pattern .*\(found 'Bad Name!'\)",
            id="name-pattern",
        ),
        pytest.param(
            {"crs": "EPSG:4326"},
            r"crs: 'EPSG:4326' is geographic \(degrees\).*e\.g\. a UTM zone",
            id="geographic-crs",
        ),
        pytest.param(
            {"crs": "EPSG:999999"},
            r"crs: 'EPSG:999999' is not a CRS pyproj knows.*write an authority code",
            id="unknown-crs",
        ),
        pytest.param(
            {"regsitry": {"path": "x.csv"}},
            r"regsitry: unknown key; remove it or check its spelling",
            id="misspelt-top-level-key",
        ),
        pytest.param(
            {"methods": {"permutation": 99}},
            r"methods\.permutation: unknown key",
            id="misspelt-nested-key",
        ),
        pytest.param(
            {"methods": {"permutations": 9}},
            r"methods\.permutations: Input should be greater than or equal to 99 "
            r"\(found 9\)",
            id="too-few-permutations",
        ),
        pytest.param(
            {"methods": {"alpha": "five percent"}},
            r"methods\.alpha: Input should be a valid number.*'five percent'",
            id="alpha-text",
        ),
        pytest.param(
            {"methods": {"weights": "distance_band"}},
            r"weights 'distance_band' needs methods\.distance_band_m",
            id="band-without-distance",
        ),
        pytest.param(
            {"registry": {"path": "registry.csv", "columns": {"staff": "Staff"}}},
            r"registry\.columns: unknown canonical column\(s\) \['staff'\]; the "
            r"keys must be among",
            id="unknown-canonical-column",
        ),
        pytest.param(
            {"registry": {"path": "registry.csv", "encoding": "klingon"}},
            r"registry\.encoding: unknown text encoding 'klingon'",
            id="unknown-encoding",
        ),
        pytest.param(
            {"regions": "libpysal:G_utm.shp"},
            r"regions: Input should be a valid dictionary or instance of RegionsSpec "
            r"\(found 'libpysal:G_utm.shp'\)",
            id="section-not-a-mapping",
        ),
        pytest.param(
            {"registry": None},
            r"\(top level\): a study needs a registry, or statistics by industry "
            r"\(statistics\.adapter: qcew or rosstat\)",
            id="section-null",
        ),
        pytest.param(
            {"geocoder": {"tiers": ["online"]}},
            r"tier 'online' needs geocoder\.online: \{provider, url\}",
            id="tier-without-input",
        ),
    ],
)
def test_bad_field_is_named_with_value_and_fix(study, changes, match):
    path = study(changes)
    with pytest.raises(StudyError, match=match) as excinfo:
        load_study(path)
    assert str(excinfo.value).startswith(f"{path}: ")
    assert_our_error(excinfo, file=path)


def test_every_bad_field_is_reported_at_once(study):
    path = study({"year": "x", "crs": "EPSG:4326", "extra": 1})
    with pytest.raises(StudyError, match=r"3 problem\(s\) in the study file") as exc:
        load_study(path)
    assert_our_error(exc)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        pytest.param("", r"must be a YAML mapping.*found NoneType", id="empty-file"),
        pytest.param("- a\n- b\n", r"must be a YAML mapping.*found list", id="a-list"),
        pytest.param("name: [unclosed\n", r"not valid YAML", id="invalid-yaml"),
        pytest.param(
            "name: bad\nyear: 2024\n\tcrs: x\n", r"not valid YAML", id="tab-indent"
        ),
        pytest.param(
            "name: caf\xe9\n".encode("latin-1"),
            r"not UTF-8 text .*save it as UTF-8",
            id="not-utf8",
        ),
    ],
)
def test_unparsable_study_file_is_a_clear_error(study, text, match):
    path = study(text=text)
    with pytest.raises(StudyError, match=match) as excinfo:
        load_study(path)
    assert_our_error(excinfo, file=path)


def test_missing_study_file(tmp_path):
    with pytest.raises(StudyError, match=r"study file not found; give the path") as e:
        load_study(tmp_path / "none.yaml")
    assert_our_error(e)


def test_python_object_tags_are_refused(study, tmp_path):
    # yaml.load with the unsafe loader would run os.system here
    marker = tmp_path / "pwned"
    path = study(
        text=yaml.safe_dump(BASE)
        + f"description: !!python/object/apply:os.system ['touch {marker}']\n"
    )
    with pytest.raises(
        StudyError,
        match=r"not valid YAML: could not determine a "
        r"constructor for the tag 'tag:yaml.org,2002:python/object",
    ):
        load_study(path)
    assert not marker.exists()
    TALLY["attacks_refused"] += 1
    TALLY["cases"] += 1


# ---------------------------------------------------------------- path traversal


@pytest.fixture
def no_roots(monkeypatch, tmp_path):
    """No extra roots, and a shared data folder that holds nothing of the test's."""
    monkeypatch.delenv(DATA_ROOTS_ENV, raising=False)
    monkeypatch.delenv(PUBLISH_ROOTS_ENV, raising=False)
    monkeypatch.setenv("AGGLO_SHARED_DATA", str(tmp_path / "shared"))


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        pytest.param(
            {"registry": {"path": "../../../../../../etc/passwd"}},
            r"registry\.path: '\.\./\.\./.*etc/passwd' resolves to '/etc/passwd', "
            r"outside the folders a study may read from",
            id="dot-dot-traversal",
        ),
        pytest.param(
            {"registry": {"path": "/etc/passwd"}},
            r"registry\.path: '/etc/passwd' resolves to '/etc/passwd', outside",
            id="absolute-path",
        ),
        pytest.param(
            {"registry": {"path": "~/.ssh/id_rsa"}},
            r"registry\.path: '~/\.ssh/id_rsa' resolves to .*\.ssh/id_rsa', outside",
            id="home-folder",
        ),
        pytest.param(
            {
                "regions": {"path": "/etc/hostname", "id": "x"},
            },
            r"regions\.path: '/etc/hostname' resolves to '/etc/hostname', outside",
            id="regions-outside",
        ),
        pytest.param(
            {"statistics": {"path": "../stats.csv"}},
            r"statistics\.path: '\.\./stats\.csv' resolves to .*outside "
            r".*AGGLO_DATA_ROOTS",
            id="statistics-outside",
        ),
        pytest.param(
            {"interactions": {"actors": "a.csv", "ties": "/proc/self/environ"}},
            r"interactions\.ties: '/proc/self/environ' resolves to",
            id="ties-read-environment",
        ),
        pytest.param(
            {"regions": {"path": "libpysal:../../../../etc/passwd", "id": "x"}},
            r"regions\.path: 'libpysal:\.\./.*': no dataset .* installs with libpysal",
            id="libpysal-traversal",
        ),
        pytest.param(
            {"regions": {"path": "libpysal:no_such.shp", "id": "x"}},
            r"regions\.path: 'libpysal:no_such\.shp': no dataset 'no_such\.shp'",
            id="libpysal-unknown",
        ),
        pytest.param(
            {"publish": {"dir": "/tmp/../etc/cron.d"}},
            r"publish\.dir: '/tmp/\.\./etc/cron\.d' resolves to '/etc/cron\.d', "
            r"outside the folders a study may write to .*AGGLO_PUBLISH_ROOTS",
            id="publish-outside",
        ),
        pytest.param(
            {
                "geocoder": {
                    "tiers": ["online"],
                    "online": {
                        "provider": "nominatim",
                        "url": "http://127.0.0.1:9",
                        "cache_dir": "/var/tmp/agglo-cache",
                    },
                }
            },
            r"geocoder\.online\.cache_dir: '/var/tmp/agglo-cache' resolves to",
            id="cache-outside",
        ),
    ],
)
def test_paths_outside_the_allowed_folders_are_refused(study, no_roots, changes, match):
    path = study(changes)
    with pytest.raises(StudyError, match=match) as excinfo:
        load_study(path)
    assert_our_error(excinfo)
    TALLY["attacks_refused"] += 1


def test_symlink_out_of_the_study_folder_is_refused(study, no_roots, tmp_path):
    # a link inside the study folder that points outside is resolved, then refused
    outside = tmp_path / "secret"
    outside.mkdir()
    (outside / "registry.csv").write_text("firm_id,industry_code,employees\n")
    link = tmp_path / "study" / "data"
    link.symlink_to(outside, target_is_directory=True)
    path = study({"registry": {"path": "data/registry.csv"}})
    with pytest.raises(
        StudyError,
        match=rf"registry\.path: 'data/registry\.csv' resolves to "
        rf"'{outside}/registry\.csv', outside",
    ) as excinfo:
        load_study(path)
    assert_our_error(excinfo)
    TALLY["attacks_refused"] += 1


def test_operator_roots_allow_other_folders(study, no_roots, monkeypatch, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "registry.csv").write_text("firm_id,industry_code,employees\n")
    out = tmp_path / "out"
    monkeypatch.setenv(DATA_ROOTS_ENV, os.pathsep.join(["/nonexistent", str(data)]))
    monkeypatch.setenv(PUBLISH_ROOTS_ENV, str(out))
    loaded = load_study(
        study(
            {
                "registry": {"path": str(data / "registry.csv")},
                "publish": {"dir": str(out / "x")},
            }
        )
    )
    assert loaded.registry.path == str(data / "registry.csv")
    assert loaded.publish.dir == str(out / "x")
    assert data in allowed_roots(tmp_path / "study")
    assert out in allowed_roots(tmp_path / "study", write=True)
    TALLY["cases"] += 1


def test_paths_inside_the_study_folder_and_libpysal_are_allowed(study, no_roots):
    loaded = load_study(study({"publish": {"dir": "out/2024"}}))
    assert loaded.registry.path.endswith("study/registry.csv")
    assert loaded.regions.path.endswith("G_utm.shp")
    assert loaded.publish.dir.endswith("study/out/2024")
    TALLY["cases"] += 1
