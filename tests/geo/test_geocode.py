"""Tests of geo.geocode: place and postcode normalisation, tiered firm geocoding."""

import numpy as np
import pandas as pd
import pytest

from geo.geocode import (
    TIERS,
    geocode_firms,
    normalise_place,
    normalise_postcode,
    settlements_from_postcodes,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("St. Marys", "saint marys"),
        ("ST MARYS", "saint marys"),
        ("Main St", "main st"),  # "st" only becomes "saint" as the first word
        ("St", "st"),  # ... of a longer name
        ("Mt. Airy", "mount airy"),
        ("Ft Valley", "fort valley"),
        ("Franklin Twp.", "franklin township"),
        ("  Lookout   Mtn ", "lookout mountain"),
        ("O'Brien", "obrien"),
        ("Winston-Salem", "winston salem"),
        ("Cañon City", "canon city"),
        ("", ""),
        (None, ""),
        (float("nan"), ""),
        (pd.NA, ""),
    ],
)
def test_normalise_place(text, expected):
    assert normalise_place(text) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("30720", "30720"),
        (" 30720 ", "30720"),
        ("30720-1234", "30720"),
        ("307201234", "30720"),
        ("30720 1234", "30720"),
        ("2134", "02134"),  # lost its leading zero in a spreadsheet
        (2134, "02134"),
        (2134.0, "02134"),
        ("2134.0", "02134"),
        ("2134-1234", "02134"),
        (21341234, "02134"),  # ZIP+4 as a number: 02134-1234 -> 8 digits
        (np.int64(30720), "30720"),
        ("00000", "00000"),  # the format is valid; whether it exists is not checked
        ("123456", None),  # 6 digits: neither a ZIP nor a ZIP+4
        (2134.5, None),
        (-30720, None),
        ("ABC12", None),
        ("3072O", None),
        ("", None),
        (None, None),
        (float("nan"), None),
        (pd.NA, None),
        (True, None),
    ],
)
def test_normalise_postcode_us(value, expected):
    assert normalise_postcode(value) == expected


def test_normalise_postcode_ru_and_unknown_country():
    assert normalise_postcode("101000", country="ru") == "101000"
    assert normalise_postcode("10100", country="RU") is None
    with pytest.raises(ValueError, match="country 'DE' is not supported"):
        normalise_postcode("10115", country="DE")


# --- geocode_firms --------------------------------------------------------------------
@pytest.fixture
def postcodes() -> pd.DataFrame:
    return pd.DataFrame(
        {"postcode": ["30720", "30161"], "lat": [34.77, 34.26], "lon": [-84.97, -85.18]}
    )


@pytest.fixture
def settlements() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "state": ["GA", "GA", "GA", "AL", "GA", "GA"],
            "settlement": [
                "Dalton",
                "Rome",
                "Atlanta",
                "Rome",
                "Mount Airy",
                "Saint Marys",
            ],
            "lat": [34.77, 34.26, 33.75, 34.0, 34.57, 30.73],
            "lon": [-84.97, -85.18, -84.39, -85.0, -83.47, -81.55],
        }
    )


def _firms(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base = {
        "firm_id": [f"f{i}" for i in range(n)],
        "settlement": [""] * n,
        "postcode": [""] * n,
        "state": ["GA"] * n,
        "lat": [""] * n,
        "lon": [""] * n,
    }
    base.update(columns)
    return pd.DataFrame(base)


def test_each_firm_gets_the_first_matching_tier(postcodes, settlements):
    firms = _firms(
        settlement=["Rome", "Rome", "ST. MARYS", "Daltn", "Nowhere"],
        postcode=["30720", "30720", "", "", ""],
        lat=["34.1", "", "", "", ""],
        lon=["-84.2", "", "", "", ""],
    )
    out = geocode_firms(firms, postcodes=postcodes, settlements=settlements)
    # row 0 has everything: coordinates win; row 1: postcode 30720 (Dalton's point,
    # not Rome's: the postcode tier comes before the settlement tier); row 2: town
    # only, abbreviated; row 3: "daltn" vs "dalton" = 2*5/11 = 90.9 >= 90.
    assert out["match_level"].tolist() == [
        "coordinates",
        "postcode",
        "settlement",
        "fuzzy_settlement",
        "unmatched",
    ]
    np.testing.assert_allclose(out["lat"].iloc[:4], [34.1, 34.77, 30.73, 34.77])
    np.testing.assert_allclose(out["lon"].iloc[:4], [-84.2, -84.97, -81.55, -84.97])
    assert np.isnan(out["lat"].iloc[4])
    np.testing.assert_allclose(out["match_score"], [1, 1, 1, 10 / 11, 0])
    assert out["match_reason"].iloc[:4].tolist() == ["", "", "", ""]
    assert list(out.columns) == [
        "firm_id",
        "lon",
        "lat",
        "match_level",
        "match_score",
        "match_reason",
    ]


def test_reason_names_every_failed_tier(postcodes, settlements):
    firms = _firms(settlement=["Atlantis"], postcode=["00000"])
    out = geocode_firms(firms, postcodes=postcodes, settlements=settlements)
    # token_sort_ratio("atlantis", "atlanta"): common subsequence "atlant" (6),
    # 2*6/(8+7) = 80 < 90
    assert out["match_reason"].item() == (
        "no coordinates; no postcode '00000' in gazetteer; no settlement 'Atlantis' "
        "in GA (best fuzzy 'Atlanta' 80 < 90)"
    )
    assert out["match_level"].item() == "unmatched"
    assert out["match_score"].item() == 0.0


def test_out_of_range_coordinates_fall_through_and_are_reported(postcodes, settlements):
    firms = _firms(
        lat=["95.0", "34.5", "0", "nan"],
        lon=["-84.0", "-190", "0", "-84"],
        postcode=["30161", "", "", ""],
    )
    out = geocode_firms(firms, postcodes=postcodes, settlements=settlements)
    assert out["match_level"].tolist() == [
        "postcode",
        "unmatched",
        "unmatched",
        "unmatched",
    ]
    assert (
        out["match_reason"]
        .iloc[1]
        .startswith(
            "coordinates out of range (lat=34.5, lon=-190); no postcode; no settlement"
        )
    )
    assert (
        out["match_reason"]
        .iloc[2]
        .startswith("coordinates (0, 0) taken as a placeholder")
    )
    assert out["match_reason"].iloc[3].startswith("no coordinates;")


def test_typed_coordinates_and_numeric_postcodes(postcodes, settlements):
    firms = _firms(lat=[34.0, np.nan], lon=[-84.0, np.nan], postcode=[np.nan, 30161.0])
    out = geocode_firms(firms, postcodes=postcodes, settlements=settlements)
    assert out["match_level"].tolist() == ["coordinates", "postcode"]
    assert out["lat"].tolist() == [34.0, 34.26]


def test_invalid_postcode_is_named(postcodes, settlements):
    firms = _firms(postcode=["ABC"])
    out = geocode_firms(firms, postcodes=postcodes, settlements=settlements)
    assert "postcode 'ABC' is not a valid US ZIP" in out["match_reason"].item()


def test_settlement_is_matched_within_the_state(postcodes, settlements):
    # Rome exists in GA and AL: the state picks one; without a state it is ambiguous
    firms = _firms(
        settlement=["Rome", "Rome", "Rome", "Dalton"], state=["AL", "ga", "", ""]
    )
    out = geocode_firms(
        firms, postcodes=postcodes, settlements=settlements, tiers=["settlement"]
    )
    assert out["match_level"].tolist() == [
        "settlement",
        "settlement",
        "unmatched",
        "settlement",
    ]
    np.testing.assert_allclose(out["lat"].iloc[[0, 1, 3]], [34.0, 34.26, 34.77])
    assert out["match_reason"].iloc[2] == (
        "settlement 'Rome' is in 2 states (AL, GA); give the state"
    )


def test_fuzzy_settlement_only_in_the_firms_state(postcodes, settlements):
    firms = _firms(settlement=["Daltn", "Daltn"], state=["GA", "AL"])
    out = geocode_firms(
        firms, postcodes=postcodes, settlements=settlements, tiers=["fuzzy_settlement"]
    )
    assert out["match_level"].tolist() == ["fuzzy_settlement", "unmatched"]
    # AL has only Rome, and none of d, a, l, t, n occurs in "rome": score 0
    assert out["match_reason"].iloc[1] == (
        "no settlement 'Daltn' in AL (best fuzzy 'Rome' 0 < 90)"
    )


def test_fuzzy_does_not_match_a_part_of_a_longer_name(postcodes, settlements):
    # WRatio would score "mount" vs "mount airy" 90 (partial match); token_sort_ratio
    # scores 2*5/(5+10) = 66.7
    firms = _firms(settlement=["Mount"])
    out = geocode_firms(firms, postcodes=postcodes, settlements=settlements)
    assert out["match_level"].item() == "unmatched"
    assert "best fuzzy 'Mount Airy' 66 < 90" in out["match_reason"].item()


def test_fuzzy_threshold_is_a_parameter(postcodes, settlements):
    firms = _firms(settlement=["Atlantis"])
    out = geocode_firms(
        firms, postcodes=postcodes, settlements=settlements, fuzzy_min_score=80
    )
    assert out["match_level"].item() == "fuzzy_settlement"
    assert out["match_score"].item() == pytest.approx(0.8)


def test_fuzzy_tie_between_two_places_is_not_a_match(postcodes):
    settlements = pd.DataFrame(
        {"state": "GA", "settlement": ["Ellijay", "Ellijey"], "lat": [1.0, 2.0],
         "lon": [1.0, 2.0]}
    )  # fmt: skip
    firms = _firms(settlement=["Ellijy"])  # one deletion from either name
    out = geocode_firms(firms, postcodes=postcodes, settlements=settlements)
    assert out["match_level"].item() == "unmatched"
    assert (
        "fuzzy tie at 92 between 'ellijay' and 'ellijey'" in out["match_reason"].item()
    )


def test_tier_order_is_respected(postcodes, settlements):
    firms = _firms(settlement=["Rome"], postcode=["30720"])
    out = geocode_firms(
        firms,
        postcodes=postcodes,
        settlements=settlements,
        tiers=("settlement", "postcode"),
    )
    assert out["match_level"].item() == "settlement"
    assert out["lat"].item() == 34.26  # Rome's point, not 30720's


def test_output_is_aligned_and_input_untouched(postcodes, settlements):
    firms = _firms(settlement=["Dalton", "Rome"]).set_index(pd.Index([10, 3]))
    before = firms.copy()
    out = geocode_firms(firms, postcodes=postcodes, settlements=settlements)
    assert out.index.tolist() == [10, 3]
    assert out["firm_id"].tolist() == ["f0", "f1"]
    pd.testing.assert_frame_equal(firms, before)


def test_empty_input(postcodes, settlements):
    out = geocode_firms(
        _firms(settlement=[]), postcodes=postcodes, settlements=settlements
    )
    assert len(out) == 0 and "match_level" in out


def test_unknown_tier_lists_the_valid_ones(postcodes, settlements):
    with pytest.raises(
        ValueError, match=r"unknown geocoding tier\(s\) \['zip'\].*postcode"
    ):
        geocode_firms(
            _firms(settlement=["x"]), postcodes=postcodes, settlements=settlements,
            tiers=["zip"],
        )  # fmt: skip
    with pytest.raises(ValueError, match="repeats a tier"):
        geocode_firms(
            _firms(settlement=["x"]), postcodes=postcodes, settlements=settlements,
            tiers=["postcode", "postcode"],
        )  # fmt: skip


def test_bad_arguments_are_refused(postcodes, settlements):
    firms = _firms(settlement=["x"])
    with pytest.raises(ValueError, match="fuzzy_min_score must be .* got 120"):
        geocode_firms(firms, postcodes=postcodes, settlements=settlements,
                      fuzzy_min_score=120)  # fmt: skip
    with pytest.raises(ValueError, match=r"firms lacks column\(s\) \['state'\]"):
        geocode_firms(firms.drop(columns="state"), postcodes=postcodes,
                      settlements=settlements)  # fmt: skip
    with pytest.raises(TypeError, match="firms must be a pandas DataFrame; got list"):
        geocode_firms([1], postcodes=postcodes, settlements=settlements)
    doubled = pd.concat([postcodes, postcodes])
    with pytest.raises(ValueError, match=r"has 2 duplicated postcode\(s\)"):
        geocode_firms(firms, postcodes=doubled, settlements=settlements)
    doubled = pd.concat([postcodes, postcodes.iloc[:1]])
    # the postcode frame is only needed by the postcode tier
    out = geocode_firms(firms, postcodes=doubled, settlements=settlements,
                        tiers=["settlement"])  # fmt: skip
    assert out["match_level"].item() == "unmatched"
    assert TIERS == ("coordinates", "postcode", "settlement", "fuzzy_settlement")


def test_settlements_from_postcodes_by_hand():
    pc = pd.DataFrame(
        {
            "postcode": ["30720", "30721", "36000", "30161", "31144"],
            "settlement": ["Dalton", "Dalton", "Dalton", "Rome", "Kennesaw"],
            "state": ["GA", "GA", "AL", "GA", "GA"],
            "lat": [34.7, 34.8, 32.0, 34.2, np.nan],
            "lon": [-85.0, -84.9, -86.0, -85.2, np.nan],
        }
    )
    out = settlements_from_postcodes(pc)
    # Dalton GA: mean of two ZIPs; Dalton AL kept apart; Kennesaw has no point
    assert out[["state", "settlement", "n_postcodes"]].values.tolist() == [
        ["AL", "Dalton", 1],
        ["GA", "Dalton", 2],
        ["GA", "Rome", 1],
    ]
    np.testing.assert_allclose(out["lat"], [32.0, 34.75, 34.2])
    np.testing.assert_allclose(out["lon"], [-86.0, -84.95, -85.2])
    with pytest.raises(ValueError, match=r"postcodes lacks column\(s\) \['state'\]"):
        settlements_from_postcodes(pc.drop(columns="state"))
