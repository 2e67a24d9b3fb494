"""Attacks: SQL through layer and column names, credentials in published metadata
and logs, personal data of sole traders."""

import json
import sqlite3

import geopandas as gpd
import pandas as pd
import pytest
import yaml
from conftest import TALLY, assert_our_error
from shapely.geometry import box

from data_sources.online_geocoder import OnlineGeocoder
from data_sources.study import load_study
from geo.privacy import protect_personal_data, redact_secrets, redact_text
from outputs.geopackage import publish_geopackage
from outputs.publication import Publication, build_provenance

INJECTION = 'x"; DROP TABLE gpkg_contents; --'


def layer(columns=None) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        columns or {"value": [1]}, geometry=[box(0, 0, 1, 1)], crs="EPSG:32616"
    )


# ------------------------------------------------------------ SQL identifiers


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(INJECTION, id="quote-drop-table"),
        pytest.param("regions; DELETE FROM layer_styles", id="semicolon"),
        pytest.param("gpkg_contents", id="reserved-table"),
        pytest.param("layer_styles", id="style-table"),
        pytest.param("sqlite_master", id="sqlite-internal"),
        pytest.param("Regions", id="upper-case"),
        pytest.param("", id="empty"),
        pytest.param(7, id="not-a-string"),
    ],
)
def test_unsafe_layer_names_are_refused(tmp_path, name):
    with pytest.raises(
        ValueError, match=r"layer name .* (is not allowed|reserved)"
    ) as e:
        publish_geopackage({name: layer()}, tmp_path / "x.gpkg")
    assert_our_error(e)
    assert not (tmp_path / "x.gpkg").exists()
    TALLY["attacks_refused"] += 1


def test_layer_name_with_trailing_newline_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"layer name"):
        publish_geopackage({"regions\n": layer()}, tmp_path / "x.gpkg")


def test_run_id_with_trailing_newline_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"run_id .* cannot name a folder"):
        Publication(tmp_path, run_id="r1\n")


def test_hostile_column_names_are_data_not_sql(tmp_path):
    # column names are quoted by GDAL: the table keeps its column and nothing runs
    path = publish_geopackage({"notes": layer({INJECTION: [1]})}, tmp_path / "x.gpkg")
    con = sqlite3.connect(path)
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM gpkg_contents")}
        columns = [r[1] for r in con.execute("PRAGMA table_info(notes)")]
    finally:
        con.close()
    assert tables == {"notes"}, "gpkg_contents is intact and lists the layer"
    assert INJECTION in columns
    TALLY["attacks_refused"] += 1
    TALLY["cases"] += 1


def test_hostile_run_id_and_partition_cannot_escape(tmp_path):
    for kwargs in ({"run_id": "../../etc"}, {"partition": "../x"}, {"run_id": "a/b"}):
        with pytest.raises(ValueError, match=r"cannot name a folder") as excinfo:
            Publication(tmp_path, **kwargs)
        assert_our_error(excinfo)
        TALLY["attacks_refused"] += 1


# ------------------------------------------------------ credentials, metadata


SECRET_ENV = "s3cr3t-token-from-the-environment"
URL = "https://geo-user:geo-pass-123@geocoder.example.org"
CONTACT = "private.contact@example.org"


@pytest.fixture
def online_study(tmp_path, monkeypatch):
    monkeypatch.setenv("AGGLO_GEOCODER_API_KEY", SECRET_ENV)
    monkeypatch.setenv("AGGLO_GEOCODER_CONTACT", CONTACT)
    (tmp_path / "registry.csv").write_text("firm_id,industry_code,employees\n")
    study = {
        "name": "secrets",
        "year": 2024,
        "crs": "EPSG:32616",
        "regions": {"path": "libpysal:G_utm.shp", "id": "AreaKey", "crs": "EPSG:26916"},
        "registry": {"path": "registry.csv"},
        "geocoder": {
            "tiers": ["coordinates", "online"],
            "online": {
                "provider": "nominatim",
                "url": URL,
                "user_agent": f"agglo/0.1 (+{CONTACT})",
            },
        },
    }
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(study))
    return load_study(path)


def _provenance(spec):
    # what pipelines/assets/publish.py passes to build_provenance
    return build_provenance(
        run_id="r1",
        study=spec.name,
        partition="2024",
        inputs={"registry": spec.registry.path},
        parameters=spec.model_dump(
            mode="json",
            include={"crs", "classification", "geocoder", "methods", "maturity"},
        ),
    )


def test_build_provenance_publishes_no_credentials(online_study):
    text = json.dumps(_provenance(online_study))
    for secret in ("geo-pass-123", "geo-user", CONTACT, SECRET_ENV):
        assert secret not in text


def test_redacted_provenance_has_no_credentials(online_study):
    # the proposed fix: the provenance's parameters through redact_secrets
    provenance = _provenance(online_study)
    clean = redact_secrets(provenance, secrets=[SECRET_ENV])
    text = json.dumps(clean)
    for secret in ("geo-pass-123", "geo-user", CONTACT, SECRET_ENV):
        assert secret not in text
    online = clean["parameters"]["geocoder"]["online"]
    assert online["url"] == "https://***@geocoder.example.org"
    assert online["user_agent"] == "***"
    # nothing else changes
    assert clean["parameters"]["methods"] == provenance["parameters"]["methods"]
    assert clean["inputs"] == provenance["inputs"]
    TALLY["attacks_refused"] += 1
    TALLY["cases"] += 1


def test_geocoder_reasons_and_stats_carry_no_credentials(tmp_path):
    # a URL with credentials fails to connect; what is logged or stored says why
    # without the password
    geocoder = OnlineGeocoder(
        provider="nominatim",
        url="http://user:geo-pass-123@127.0.0.1:9",
        cache_dir=tmp_path,
        contact="gis@example.org",
        max_retries=0,
        timeout_s=2,
        sleep=lambda s: None,
    )
    with geocoder:
        answer = geocoder.lookup("Dalton, GA")
    assert answer["reason"].startswith("connection failed")
    assert "geo-pass-123" not in json.dumps(answer) + json.dumps(geocoder.stats)
    TALLY["cases"] += 1


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("https://u:p@h.org/x", "https://***@h.org/x"),
        ("see http://token@h.org", "see http://***@h.org"),
        (
            "https://h.org/search?q=a&api_key=XYZ",
            "https://h.org/search?q=a&api_key=***",
        ),
        ("https://h.org/?token=abc#f", "https://h.org/?token=***#f"),
        ("no url here", "no url here"),
        ("mail me: a@b.org", "mail me: a@b.org"),
    ],
)
def test_redact_text(text, clean):
    assert redact_text(text) == clean


def test_redact_secrets_keys_and_literals():
    data = {
        "Password": "pw",
        "nested": [{"api_key": "k", "ok": "value with SECRET inside"}],
        "empty_token": "",
        "rate": 1,
    }
    out = redact_secrets(data, secrets=["SECRET"])
    assert out == {
        "Password": "***",
        "nested": [{"api_key": "***", "ok": "value with *** inside"}],
        "empty_token": "",
        "rate": 1,
    }
    assert data["Password"] == "pw", "input not modified"


# -------------------------------------------------------------- personal data

SALT = "a-secret-salt-of-some-length"


def sole_traders() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "firm_id": ["1", "2", "3", "4"],
            "name": ["IP Ivanov Ivan", "IP Petrova Anna", "IP Ivanov Ivan", ""],
            "address": ["ul. Lenina 5", None, "ul. Mira 1", "ul. Mira 2"],
            "employees": [1, 2, 3, 4],
        }
    )


def test_personal_columns_dropped():
    frame = sole_traders()
    out = protect_personal_data(frame, columns=["name", "address"], action="drop")
    assert list(out.columns) == ["firm_id", "employees"]
    assert len(out) == len(frame) and "name" in frame, "rows kept, input unchanged"


def test_personal_columns_hashed_keyed_and_stable():
    frame = sole_traders()
    out = protect_personal_data(
        frame, columns=["name", "address"], action="hash", salt=SALT
    )
    names = out["name"].tolist()
    # the same person gets the same hash (duplicates stay findable), empty stays empty
    assert names[0] == names[2] != names[1] and names[3] == ""
    assert pd.isna(out["address"].iloc[1])
    assert all(len(v) == 16 and "Ivanov" not in v for v in names[:3])
    assert out["employees"].tolist() == [1, 2, 3, 4]
    # another salt, another hash: a list of names hashed without the salt won't match
    other = protect_personal_data(
        frame, columns=["name"], action="hash", salt=SALT + "x"
    )
    assert other["name"].iloc[0] != names[0]
    # deterministic
    again = protect_personal_data(
        frame, columns=["name", "address"], action="hash", salt=SALT
    )
    pd.testing.assert_frame_equal(out, again)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"columns": ["name"], "action": "encrypt"}, r"action 'encrypt' is not one of"),
        (
            {"columns": ["owner"], "action": "drop"},
            r"columns \['owner'\] not in the table",
        ),
        (
            {"columns": ["name"], "action": "hash"},
            r"needs a secret salt of at least 16",
        ),
        ({"columns": ["name"], "action": "hash", "salt": "short"}, r"at least 16"),
        ({"columns": "name", "action": "drop"}, r"columns must be a list"),
    ],
)
def test_personal_data_options_checked(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match) as excinfo:
        protect_personal_data(sole_traders(), **kwargs)
    assert_our_error(excinfo)
