"""Resources an operator configures: the online geocoder (asked through a stand-in on
127.0.0.1, never a real service) and the publication folder."""

import dagster as dg
import pandas as pd
import pytest
import yaml

from data_sources.regions import read_regions
from data_sources.study import load_study
from geo.registry import validate_registry
from pipelines.assets.geocode import firm_locations
from pipelines.definitions import geocoder_from_environment
from pipelines.resources import (
    DaskResource,
    GeocoderResource,
    PublicationResource,
    StudyResource,
    switched_off,
)
from tests.standins import GeocoderStandIn

CONTACT = "ops@example.org"
ONLINE_QUERY = "1 Main Street, Dalton, GA"  # firm B: no ZIP, so only online finds it
DALTON = [{"lat": "34.7698", "lon": "-84.9702", "display_name": "Dalton, GA"}]


@pytest.fixture
def geocoder_service():
    stand_in = GeocoderStandIn()
    yield stand_in
    stand_in.close()


@pytest.fixture
def online_study(tmp_path):
    """Georgia counties; geocoding by ZIP, then online. The study's URL is a dead
    port: the deployment's resource says where the service really is."""
    data = {
        "name": "online-test",
        "year": 2024,
        "crs": "EPSG:32616",
        "regions": {"path": "libpysal:G_utm.shp", "id": "AreaKey", "crs": "EPSG:26916"},
        "registry": {"adapter": "generic_csv", "path": "registry.csv"},
        "classification": {"scheme": "naics", "level": 4},
        "geocoder": {
            "tiers": ["postcode", "online"],
            "gazetteer": "us_zip",
            "states": ["GA"],
            "online": {"provider": "nominatim", "url": "http://127.0.0.1:9"},
        },
    }
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _firms() -> pd.DataFrame:
    raw = pd.DataFrame(
        {
            "firm_id": ["A", "B"],
            "source_row": [1, 2],
            "name": ["Carpets A", "Carpets B"],
            "address": ["", "1 Main Street"],
            "settlement": ["", "Dalton"],
            "postcode": ["30720", ""],
            "state": ["GA", "GA"],
            "industry_code": ["314110", "314110"],
            "employees": ["12", "30"],
            "founded": ["", ""],
            "closed": ["", ""],
            "lat": ["", ""],
            "lon": ["", ""],
        }
    )
    firms, rejected = validate_registry(
        raw, valid_codes={"314110", "3141"}, level=4, year=2024
    )
    assert rejected.empty
    return firms


def _locate(study_file, geocoder: GeocoderResource) -> tuple[pd.DataFrame, dict]:
    study = StudyResource(study_files={"online-test": str(study_file)})
    spec = load_study(study_file)
    regions = read_regions(spec.regions).to_crs(spec.crs)
    context = dg.build_asset_context(
        partition_key="online-test|2024",
        resources={"study": study, "geocoder": geocoder, "dask": DaskResource()},
    )
    located = firm_locations(context, firms_validated=_firms(), study_regions=regions)
    metadata = context.get_output_metadata("result")
    return located.set_index("firm_id"), metadata


def test_online_tier_asks_the_service_the_resource_names(
    online_study, tmp_path, geocoder_service
):
    geocoder_service.script[ONLINE_QUERY] = [(200, {}, DALTON)]
    cache = tmp_path / "answers"
    geocoder = GeocoderResource(
        url=geocoder_service.url, contact=CONTACT, cache_dir=str(cache), rate_per_s=50
    )
    located, metadata = _locate(online_study, geocoder)
    assert located.loc["A", "match_level"] == "postcode"
    assert located.loc["B", "match_level"] == "online"
    # Dalton in UTM 16N: about 687 km east, 3850 km north
    assert located.loc["B"].geometry.x == pytest.approx(688_000, abs=3_000)
    assert located.loc["B"].geometry.y == pytest.approx(3_849_000, abs=3_000)
    # asked once, by the deployment's contact; the answer is cached where it said
    asked = [r for r in geocoder_service.requests if r["params"]["q"] == ONLINE_QUERY]
    assert len(asked) == 1
    assert CONTACT in asked[0]["headers"]["User-Agent"]
    assert (cache / "online-geocoder.sqlite").is_file()
    assert metadata["online"].data["requests"] == 1


def test_switched_off_online_tier_leaves_firms_unmatched_with_the_reason(
    online_study, geocoder_service
):
    located, _ = _locate(online_study, GeocoderResource(enabled=False))
    assert geocoder_service.requests == []
    assert located.loc["A", "match_level"] == "postcode"
    assert located.loc["B", "match_level"] == "unmatched"
    assert "switched off by the deployment" in located.loc["B", "match_reason"]


def test_resource_fields_override_the_study_and_none_are_required(online_study):
    spec = load_study(online_study).geocoder.online
    plain = GeocoderResource().settings(spec)
    assert plain["url"] == "http://127.0.0.1:9" and "api_key" not in plain
    custom = GeocoderResource(
        url="https://geo.example.org", api_key="k", rate_per_s=5, contact=CONTACT
    ).settings(spec)
    assert custom["url"] == "https://geo.example.org"
    assert (custom["api_key"], custom["rate_per_s"], custom["contact"]) == (
        "k",
        5,
        CONTACT,
    )
    answer = switched_off(["a", "b"])
    assert len(answer) == 2 and answer["lat"].isna().all()


def test_geocoder_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("AGGLO_GEOCODER_URL", "https://nominatim.example.org")
    monkeypatch.setenv("AGGLO_GEOCODER_API_KEY", "secret-key")
    monkeypatch.setenv("AGGLO_GEOCODER_ONLINE", "0")
    resource = geocoder_from_environment()
    assert resource.url == "https://nominatim.example.org"
    assert resource.enabled is False
    # the key is read from the environment when used, never written into the config
    assert isinstance(resource.api_key, dg.EnvVar)
    assert resource.api_key.get_value() == "secret-key"


def test_publication_folder_precedence(online_study, tmp_path):
    spec = load_study(online_study)
    root = tmp_path / "out"
    assert PublicationResource(root=str(root)).folder(spec, 2024) == root / "2024"
    default = PublicationResource().folder(spec, 2024)
    assert default.parts[-3:] == ("published", "online-test", "2024")
