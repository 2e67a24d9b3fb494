"""Tests of geo.geocode: place and postcode normalisation, tiered firm geocoding."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from geo.geocode import (
    DEFAULT_TIERS,
    MUNICIPALITY_FALLBACK_SCORE,
    TIERS,
    _postcodes_vectorised,
    geocode_firms,
    normalise_address,
    normalise_place,
    normalise_postcode,
    region_centroids,
    settlements_from_postcodes,
    transliterate_cyrillic,
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
    with pytest.raises(ValueError, match=r"firms lacks column\(s\) \['settlement'\]"):
        geocode_firms(firms.drop(columns="settlement"), postcodes=postcodes,
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
    assert DEFAULT_TIERS == (
        "coordinates",
        "postcode",
        "settlement",
        "fuzzy_settlement",
    )
    assert set(DEFAULT_TIERS) < set(TIERS)


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


# --- other scripts and Russian abbreviations ------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("г. Пермь", "perm"),  # settlement type dropped, BGN/PCGN romanisation
        ("ПОС. МАЙСКИЙ", "mayskiy"),
        ("с. Спасское", "spasskoye"),  # 'е' after a vowel is "ye"
        ("д. Кодочиги", "kodochigi"),
        ("р.п. Шаранга", "sharanga"),
        ("Тоншаево рп", "tonshayevo"),  # type written after the name
        ("Поселок городского типа Харп", "kharp"),
        ("Берёзовка", "berezovka"),  # 'ё' read as 'е'
        ("Горный (Двуреченское с/п)", "gornyy"),  # remark in parentheses dropped
        ("ЯР-САЛЕ", "yar sale"),
        ("Екатеринбург", "yekaterinburg"),  # 'е' at word start is "ye"
        ("Щёлково", "shchelkovo"),
        ("Д", "d"),  # a type word alone is kept: it is all there is
        ("Köln", "koln"),
        ("Kobenhavn Ø", "kobenhavn o"),  # letters NFKD does not split
        ("Springfield (Mass", "springfield"),  # unclosed parenthesis
    ],
)
def test_normalise_place_other_scripts(text, expected):
    assert normalise_place(text) == expected


def test_cyrillic_and_its_romanisation_share_a_key():
    assert normalise_place("Нижний Новгород") == normalise_place("Nizhniy Novgorod")
    assert normalise_place("САЛЕХАРД") == normalise_place("Salekhard")
    assert normalise_place("Берёзовский") == normalise_place("БЕРЕЗОВСКИЙ")


def test_transliterate_cyrillic_keeps_case_and_other_text():
    assert transliterate_cyrillic("Ёлкино, Подъячево 2") == "Yelkino, Podyachevo 2"
    assert transliterate_cyrillic("ЩУКА Munich") == "SHCHUKA Munich"
    assert transliterate_cyrillic("") == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("г. Пермь,  ул. Ленина, д. 5", "город пермь, улица ленина, дом 5"),
        (
            "д. Кодочиги, ул Мира д 5 кв 3",
            "деревня кодочиги, улица мира дом 5 квартира 3",
        ),
        ("пос. Майский, пр-т Мира", "поселок майский, проспект мира"),
        ("Щёлково", "щелково"),
        ("123 Main St", "123 main street"),
        ("St Louis, MO", "saint louis, mo"),
        ("E 42nd St", "east 42nd street"),
        ("Suite E", "suite e"),  # a letter at the end is not a direction
        ("2100 McKinney Ave Ste 1250", "2100 mckinney avenue suite 1250"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalise_address(text, expected):
    assert normalise_address(text) == expected


# --- gazetteers in another script, municipalities, populations ------------------------
@pytest.fixture
def ru_places() -> pd.DataFrame:
    """Two villages named Spasskoye in region 52 (different districts, 1 degree
    apart), a town and its micro-district-less municipality, a Latin-script city."""
    return pd.DataFrame(
        {
            "state": ["52", "52", "52", "89", "59"],
            "settlement": ["Спасское", "Спасское", "Тонкино", "Лабытнанги", "Perm"],
            "municipality": ["Спасский район", "Воротынский район", "Тонкинский район",
                             "Лабытнанги", ""],
            "population": [2300, 150, 4400, 26000, 1000000],
            "lat": [55.86, 56.06, 57.37, 66.66, 58.01],
            "lon": [45.69, 46.69, 46.47, 66.39, 56.25],
        }
    )  # fmt: skip


def test_municipality_then_population_decide_between_namesakes(ru_places):
    firms = _firms(
        settlement=["СПАССКОЕ", "с. Спасское", "Спасское"],
        municipality=["ВОРОТЫНСКИЙ", "", "Лысковский"],
        state="52",
    )
    out = geocode_firms(firms, settlements=ru_places, tiers=["settlement"])
    # row 0: the district picks the small village; rows 1-2: no district (or one that
    # fits neither) -> the most populous, and the reason says so
    np.testing.assert_allclose(out["lat"], [56.06, 55.86, 55.86])
    assert out["match_level"].tolist() == ["settlement"] * 3
    assert out["match_score"].tolist() == [1.0, 1.0, 1.0]
    assert out["match_reason"].iloc[0] == ""
    assert out["match_reason"].iloc[1] == (
        "2 places named 'с. Спасское' in 52; took the most populous ('Спасское', "
        "population 2,300)"
    )
    assert (
        out["match_reason"]
        .iloc[2]
        .endswith("; municipality 'Лысковский' matched none of them")
    )


def test_municipality_stem_matches_town_and_district(ru_places):
    # "Воротынец" (the town) and "Воротынский район" share the stem "vorotyn"
    firms = _firms(settlement=["Спасское"], municipality=["ВОРОТЫНЕЦ"], state="52")
    out = geocode_firms(firms, settlements=ru_places, tiers=["settlement"])
    assert out["lat"].item() == 56.06


def test_cyrillic_firm_matches_latin_gazetteer(ru_places):
    firms = _firms(settlement=["ПЕРМЬ", "Тонкино"], state=["59", "52"])
    out = geocode_firms(firms, settlements=ru_places, tiers=["settlement"])
    assert out["match_level"].tolist() == ["settlement", "settlement"]
    np.testing.assert_allclose(out["lat"], [58.01, 57.37])


def test_unknown_settlement_falls_back_to_its_municipality(ru_places):
    # the micro-district "Обской" is not in the gazetteer; Labytnangi is a
    # settlement of its own municipality, so the firm is placed there
    firms = _firms(settlement=["Обской", "Обской"], municipality=["ЛАБЫТНАНГИ", ""],
                   state="89")  # fmt: skip
    out = geocode_firms(firms, settlements=ru_places, tiers=["settlement"])
    assert out["match_level"].tolist() == ["settlement", "unmatched"]
    assert out["match_score"].tolist() == [MUNICIPALITY_FALLBACK_SCORE, 0.0]
    assert out["lat"].iloc[0] == 66.66
    assert out["match_reason"].tolist() == [
        "no settlement 'Обской' in 89; placed at its municipality 'ЛАБЫТНАНГИ'",
        "no settlement 'Обской' in 89",
    ]


def test_state_aliases_map_firm_states_to_gazetteer_codes(settlements):
    firms = _firms(settlement=["Rome", "Rome"], state=["Georgia", "alabama"])
    out = geocode_firms(
        firms,
        settlements=settlements,
        tiers=["settlement"],
        state_aliases={"GEORGIA": "GA", "Alabama": "AL"},
    )
    np.testing.assert_allclose(out["lat"], [34.26, 34.0])


def test_fuzzy_match_reports_the_ambiguity_of_what_it_found(ru_places):
    firms = _firms(settlement=["Спаское"], state="52")  # one 's' missing
    out = geocode_firms(
        firms, settlements=ru_places, tiers=["fuzzy_settlement"], fuzzy_min_score=90
    )
    # "spaskoye" vs "spasskoye": 2*8/17 = 94.1
    assert out["match_level"].item() == "fuzzy_settlement"
    assert out["match_score"].item() == pytest.approx(16 / 17)
    assert out["match_reason"].item().startswith("2 places named 'Спаское' in 52")


# --- region centroids -----------------------------------------------------------------
def test_region_centroid_is_the_last_resort(ru_places):
    centroids = pd.DataFrame({"state": ["52", "59"], "lat": [56.5, 59.0],
                              "lon": [44.0, 56.0]})  # fmt: skip
    firms = _firms(settlement=["Тонкино", "Нигде", "Нигде", "Нигде"],
                   state=["52", "52", "77", ""])  # fmt: skip
    out = geocode_firms(
        firms,
        settlements=ru_places,
        tiers=["settlement", "fuzzy_settlement", "region_centroid"],
        region_centroids=centroids,
    )
    assert out["match_level"].tolist() == [
        "settlement",
        "region_centroid",
        "unmatched",
        "unmatched",
    ]
    np.testing.assert_allclose(out["match_score"], [1.0, 0.1, 0.0, 0.0])
    assert out["lat"].iloc[1] == 56.5
    assert out["match_reason"].iloc[2].endswith("; no region centroid for state '77'")
    assert out["match_reason"].iloc[3].endswith("; no state for a region centroid")


def test_region_centroids_from_polygons():
    # an L-shaped region: the centroid of the L (0.83, 0.83) lies outside it;
    # the representative point lies inside. "b" is split over two rows.
    ell = box(0, 0, 3, 1).union(box(0, 0, 1, 3))
    regions = gpd.GeoDataFrame(
        {"code": ["a", "b", "b"]},
        geometry=[ell, box(10, 0, 11, 1), box(11, 0, 12, 1)],
        crs="EPSG:4326",
    )
    out = region_centroids(regions, state="code")
    assert out["state"].tolist() == ["a", "b"]
    first = gpd.points_from_xy(out["lon"], out["lat"])[0]
    assert ell.contains(first)
    assert out["lat"].iloc[1] == pytest.approx(0.5)
    assert 10 < out["lon"].iloc[1] < 12
    projected = regions.to_crs("EPSG:3857")
    back = region_centroids(projected, state="code")  # returned in WGS84
    assert back["lat"].iloc[1] == pytest.approx(0.5, abs=0.01)
    with pytest.raises(ValueError, match="regions has no column 'fips'"):
        region_centroids(regions, state="fips")
    with pytest.raises(ValueError, match="regions has no CRS"):
        region_centroids(regions.set_crs(None, allow_override=True), state="code")
    with pytest.raises(
        TypeError, match="regions must be a GeoDataFrame; got DataFrame"
    ):
        region_centroids(pd.DataFrame(regions), state="code")


# --- postcodes abroad, missing inputs -------------------------------------------------
def test_postcodes_are_only_looked_up_in_their_country(postcodes, settlements):
    # 30720 is a US ZIP; a French firm with postcode 30720 must not land in Georgia
    firms = _firms(postcode=["30720", "30720", "30720"], settlement=["", "", ""])
    firms["country"] = ["USA", "France", ""]
    out = geocode_firms(firms, postcodes=postcodes, settlements=settlements)
    assert out["match_level"].tolist() == ["postcode", "unmatched", "postcode"]
    assert "postcodes are looked up in US only" in out["match_reason"].iloc[1]


def test_russian_postcodes(settlements):
    pc = pd.DataFrame({"postcode": ["614000"], "lat": [58.0], "lon": [56.2]})
    firms = _firms(postcode=["614000", "61400"])
    out = geocode_firms(firms, postcodes=pc, tiers=["postcode"], postcode_country="RU")
    assert out["match_level"].tolist() == ["postcode", "unmatched"]
    assert out["match_reason"].iloc[1] == "postcode '61400' is not a valid RU postcode"


def test_tiers_need_their_inputs(postcodes, settlements):
    firms = _firms(settlement=["Rome"])
    with pytest.raises(ValueError, match="tier 'settlement' needs settlements="):
        geocode_firms(firms, postcodes=postcodes, tiers=["settlement"])
    with pytest.raises(
        ValueError, match="tier 'region_centroid' needs region_centroids="
    ):
        geocode_firms(firms, tiers=["region_centroid"])
    with pytest.raises(TypeError, match="tier 'online' needs online=<callable"):
        geocode_firms(firms, tiers=["online"])
    with pytest.raises(
        ValueError, match="region_centroid_score must be between 0 and 1"
    ):
        geocode_firms(firms, settlements=settlements, region_centroid_score=2)
    # only the columns of the tiers asked for are needed
    only_names = pd.DataFrame({"firm_id": ["a"], "settlement": ["Dalton"]})
    out = geocode_firms(only_names, settlements=settlements, tiers=["settlement"])
    assert out["match_level"].item() == "settlement"


def test_online_callable_must_answer_every_query(settlements):
    firms = _firms(settlement=["Atlantis", "Nowhere"])

    def short(queries):
        return pd.DataFrame(
            {"lat": [1.0], "lon": [1.0], "score": [0.5], "reason": [""]}
        )

    with pytest.raises(ValueError, match="online answered 1 rows for 2 queries"):
        geocode_firms(firms, tiers=["online"], online=short)

    def answers(queries):
        # Atlantis is found; Nowhere answers out of range: reported, not matched
        return pd.DataFrame({"lat": [10.0, 99.0], "lon": [20.0, 0.0],
                             "score": [0.7, 0.9], "reason": ["", ""]})  # fmt: skip

    out = geocode_firms(firms, tiers=["online"], online=answers)
    assert out["match_level"].tolist() == ["online", "unmatched"]
    assert out["match_score"].tolist() == [0.7, 0.0]
    assert out["match_reason"].iloc[1] == "online: no usable answer"


# --- the vectorised postcode path agrees with normalise_postcode ---------------------
@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.text(alphabet="0123456789 -.A\u0663", max_size=11), max_size=30),
    st.sampled_from(["US", "RU"]),
)
def test_vectorised_postcodes_agree_with_normalise_postcode(texts, country):
    fast = _postcodes_vectorised(pd.Series(texts, dtype=object), country).tolist()
    assert fast == [normalise_postcode(t, country=country) for t in texts]


def test_namesakes_without_population_and_spelling_variants():
    towns = pd.DataFrame(
        {
            "state": "GA",
            "settlement": ["Rome", "Rome", "St Marys", "Saint Marys"],
            "lat": [34.26, 31.0, 30.73, 30.74],  # the Romes are 3 degrees apart
            "lon": [-85.18, -83.0, -81.55, -81.56],
            "n_postcodes": [3, 1, 1, 2],
        }
    )
    firms = _firms(settlement=["Rome", "Saint Marys"])
    out = geocode_firms(firms, settlements=towns, tiers=["settlement"])
    np.testing.assert_allclose(out["lat"], [34.26, 30.74])
    # two spellings 0.01 degrees apart are one place: no caveat
    assert out["match_reason"].tolist() == [
        "2 places named 'Rome' in GA; took the one with most postcodes ('Rome', 3)",
        "",
    ]
    bare = geocode_firms(
        firms, settlements=towns.drop(columns="n_postcodes"), tiers=["settlement"]
    )
    assert bare["match_reason"].iloc[0].endswith("took the first listed ('Rome')")


def test_region_column_can_be_the_country():
    # a GeoNames-like gazetteer whose regions are countries; the firms' state is a
    # province and their country a name
    places = pd.DataFrame(
        {"state": ["NL", "US"], "settlement": ["Amsterdam", "Amsterdam"],
         "lat": [52.37, 42.94], "lon": [4.89, -74.19], "population": [741636, 18008]}
    )  # fmt: skip
    firms = _firms(settlement=["Amsterdam", "Amsterdam"], state=["Noord-holland", "NY"])
    firms["country"] = ["Netherlands", "USA"]
    out = geocode_firms(
        firms,
        settlements=places,
        tiers=["settlement"],
        region="country",
        state_aliases={"Netherlands": "NL", "USA": "US"},
    )
    np.testing.assert_allclose(out["lat"], [52.37, 42.94])
    with pytest.raises(ValueError, match=r"firms lacks column\(s\) \['country'\]"):
        geocode_firms(
            firms.drop(columns="country"),
            settlements=places,
            tiers=["region_centroid"],
            region="country",
            region_centroids=places,
        )
