"""Idempotent re-runs: geocoding twice, publishing twice, protecting personal data
twice give the same result."""

import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from geo.geocode import geocode_firms
from geo.privacy import protect_personal_data, redact_secrets
from outputs.geopackage import publish_geopackage
from outputs.publication import Publication, file_sha256

POSTCODES = pd.DataFrame(
    {
        "postcode": ["30720", "30721", "30501"],
        "lat": [34.77, 34.8, 34.3],
        "lon": [-84.97, -84.9, -83.8],
    }
)
SETTLEMENTS = pd.DataFrame(
    {
        "state": ["GA", "GA", "GA"],
        "settlement": ["Dalton", "Gainesville", "Calhoun"],
        "lat": [34.77, 34.3, 34.5],
        "lon": [-84.97, -83.8, -84.95],
    }
)

firm_rows = st.lists(
    st.fixed_dictionaries(
        {
            "settlement": st.sampled_from(
                ["", "Dalton", "Daltn", "Gainesvile", "Atlantis", "calhoun", "DALTON "]
            ),
            "postcode": st.sampled_from(["", "30720", "30721-1234", "00000", "abc"]),
            "lat": st.sampled_from(["", "34.5", "95", "0"]),
            "lon": st.sampled_from(["", "-84.1", "10", "0"]),
        }
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=40, deadline=None)
@given(firm_rows)
def test_geocoding_twice_gives_the_same_locations(rows):
    firms = pd.DataFrame(rows).assign(state="GA")
    firms.insert(0, "firm_id", [f"f{i}" for i in range(len(firms))])
    before = firms.copy()
    first = geocode_firms(firms, postcodes=POSTCODES, settlements=SETTLEMENTS)
    second = geocode_firms(firms, postcodes=POSTCODES, settlements=SETTLEMENTS)
    pd.testing.assert_frame_equal(first, second)
    pd.testing.assert_frame_equal(firms, before)  # input not modified
    assert len(first) == len(firms)  # every firm is in the answer
    # geocoding the firms in another order gives each firm the same answer
    reversed_ = geocode_firms(
        firms.iloc[::-1], postcodes=POSTCODES, settlements=SETTLEMENTS
    )
    pd.testing.assert_frame_equal(
        first.set_index("firm_id").sort_index(),
        reversed_.set_index("firm_id").sort_index(),
    )


layer_rows = st.lists(
    st.tuples(
        st.integers(-1000, 1000),
        # NUL ends a C string: GDAL cuts the text there (test_nul_in_text_is_kept)
        st.text(alphabet=st.characters(exclude_characters="\x00"), max_size=8),
        st.floats(0, 1e6),
    ),
    min_size=1,
    max_size=10,
)


@settings(max_examples=8, deadline=None)
@given(layer_rows)
def test_publishing_twice_gives_the_same_layers(rows):
    gdf = gpd.GeoDataFrame(
        {
            "n": [r[0] for r in rows],
            "label": [r[1] for r in rows],
            "value": [r[2] for r in rows],
        },
        geometry=[box(i, 0, i + 1, 1) for i in range(len(rows))],
        crs="EPSG:32616",
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "a.gpkg"
        publish_geopackage({"notes": gdf}, path)
        first = pyogrio.read_dataframe(path, layer="notes")
        publish_geopackage({"notes": gdf}, path)  # a re-run replaces the file
        second = pyogrio.read_dataframe(path, layer="notes")
        assert [str(n) for n in pyogrio.list_layers(path)[:, 0]] == ["notes"]
    pd.testing.assert_frame_equal(first, second)
    assert first["label"].tolist() == gdf["label"].tolist()


def test_two_publications_of_the_same_files_have_the_same_hashes(tmp_path):
    for run in ("r1", "r2"):
        with Publication(tmp_path, run_id=run) as staging:
            (staging / "layer.csv").write_text("a,b\n1,2\n")
    hashes = {
        run: file_sha256(tmp_path / "all" / run / "layer.csv") for run in ("r1", "r2")
    }
    assert hashes["r1"] == hashes["r2"]


values = st.recursive(
    st.one_of(
        st.none(),
        st.integers(),
        st.text(max_size=30),
        st.sampled_from(["https://u:p@h.org/x?api_key=1", "a@b.org"]),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(
            st.sampled_from(["url", "token", "name", "password", "x"]),
            children,
            max_size=3,
        ),
    ),
    max_leaves=10,
)


@settings(max_examples=100, deadline=None)
@given(values)
def test_redaction_is_idempotent(value):
    once = redact_secrets(value, secrets=["p"])
    assert redact_secrets(once, secrets=["p"]) == once


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(max_size=10), min_size=1, max_size=10))
def test_hashing_personal_data_is_deterministic_and_keeps_rows(names):
    frame = pd.DataFrame({"name": names, "firm_id": range(len(names))})
    salt = "0123456789abcdef"
    a = protect_personal_data(frame, columns=["name"], action="hash", salt=salt)
    b = protect_personal_data(frame, columns=["name"], action="hash", salt=salt)
    pd.testing.assert_frame_equal(a, b)
    assert a["firm_id"].tolist() == list(range(len(names)))
    # equal names, equal hashes; different names, different hashes
    assert len(set(a["name"])) == len(set(names))


def test_nul_in_text_is_kept_or_refused(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"label": ["AB\x00CD"]}, geometry=[box(0, 0, 1, 1)], crs="EPSG:32616"
    )
    try:
        path = publish_geopackage({"notes": gdf}, tmp_path / "a.gpkg")
    except ValueError:
        return  # refused with a message: fine
    assert pyogrio.read_dataframe(path)["label"].tolist() == ["AB\x00CD"]
