"""Matching statistics to boundaries by region code, with a report of what differs:
hand-sized cases, then 2010- against 2017-vintage US county codes (real data)."""

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from geo.region_codes import (
    QCEW_PSEUDO_AREAS,
    US_COUNTY_FIPS_CHANGES_2010_2017,
    apply_region_codes,
    match_region_codes,
    normalise_region_name,
    region_ids_from_names,
)

SHARED = Path(
    os.environ.get(
        "AGGLO_SHARED_DATA",
        Path(__file__).resolve().parents[2] / ".." / "shared" / "data",
    )
)
BOUNDARIES = SHARED / "boundaries"
COUNTIES_2010 = BOUNDARIES / "us_counties_fips_plotly.geojson.gz"
COUNTIES_2017 = BOUNDARIES / "us_counties_2017_census_usatlas.geojson.gz"
QCEW_SECTORS = SHARED / "employment" / "qcew_2016_quarterly_county_state_sector.csv.gz"


def test_hand_sized_report():
    # statistics: a, b (matched), old (renamed to new), zz (unknown), 13999 (pseudo)
    # boundaries: a, b, new, c (no statistics)
    report = match_region_codes(
        ["a", "b", "b", "old", "zz", "13999", "", None],
        ["a", "b", "new", "c"],
        changes={"old": "new"},
        pseudo_pattern=QCEW_PSEUDO_AREAS,
    )
    assert report.matched == ("a", "b")
    assert report.recoded == {"old": "new"}
    assert report.pseudo == ("13999",)
    assert report.only_in_statistics == ("zz",)
    assert report.only_in_boundaries == ("c",)
    assert not report.ok
    frame = report.to_frame()
    assert frame.groupby("status").size().to_dict() == {
        "matched": 2,
        "no_boundary": 1,
        "no_statistics": 1,
        "pseudo_area": 1,
        "recoded": 1,
    }
    assert report.summary() == (
        "2 codes matched; 1 matched through a code change: old->new; 1 pseudo-areas: "
        "13999; 1 statistics codes have no boundary: zz; 1 boundary codes have no "
        "statistics: c"
    )


def test_changes_apply_in_both_directions():
    # 2017 statistics on 2010 boundaries: the new code finds the old boundary
    report = match_region_codes(
        ["46102"], ["46113"], changes=US_COUNTY_FIPS_CHANGES_2010_2017
    )
    assert report.recoded == {"46102": "46113"} and report.ok


def test_zero_padding_and_numbers():
    # a spreadsheet turned 01001 into the number 1001
    report = match_region_codes([1001, 1003.0], ["01001", "01003"], width=5)
    assert report.matched == ("01001", "01003") and report.ok
    assert apply_region_codes(pd.Series(["1001"]), report, width=5).tolist() == [
        "01001"
    ]
    with pytest.raises(ValueError, match="'123456' is longer than width=5"):
        match_region_codes(["123456"], ["12345"], width=5)


def test_apply_region_codes_leaves_unmatched_missing():
    report = match_region_codes(
        ["46113", "13001", "13999"],
        ["46102", "13001"],
        changes=US_COUNTY_FIPS_CHANGES_2010_2017,
        pseudo_pattern=QCEW_PSEUDO_AREAS,
    )
    out = apply_region_codes(pd.Series(["46113", "13001", "13999"]), report)
    assert out.iloc[:2].tolist() == ["46102", "13001"] and pd.isna(out.iloc[2])


def test_region_names_fold_case_dashes_and_yo():
    assert normalise_region_name("Республика Северная Осетия — Алания") == (
        "республика северная осетия-алания"
    )
    assert normalise_region_name('  Орёл  "город" ') == "орел город"
    ids = region_ids_from_names(
        pd.Series(["ТЮМЕНСКАЯ ОБЛАСТЬ", "Ханты-Мансийский АО", "Пермский край"]),
        {"Тюменская область": None, "Пермский край": "RU-PER"},
    )
    assert pd.isna(ids.iloc[0]) and pd.isna(ids.iloc[1]) and ids.iloc[2] == "RU-PER"


def read_codes(path: Path, column: str) -> pd.Series:
    if not path.exists():
        pytest.skip(f"needs {path} (real public data; see ../shared/data/README.md)")
    return gpd.read_file(f"/vsigzip/{path}", columns=[column])[column]


@pytest.mark.shared_data
def test_2010_vintage_county_codes_against_2017_boundaries():
    old = read_codes(COUNTIES_2010, "id")
    new = read_codes(COUNTIES_2017, "fips")
    assert (len(old), len(new)) == (3221, 3231)
    plain = match_region_codes(old, new)
    # Shannon SD, Wade Hampton AK and Bedford city VA are gone by 2017
    assert plain.only_in_statistics == ("02270", "46113", "51515")
    assert {"46102", "02158"} <= set(plain.only_in_boundaries)
    report = match_region_codes(old, new, changes=US_COUNTY_FIPS_CHANGES_2010_2017)
    assert report.recoded == {"02270": "02158", "46113": "46102", "51515": "51019"}
    assert report.only_in_statistics == ()
    # what is left on the 2017 side are the island areas the 2010 file lacks:
    # American Samoa (60), Guam (66), Northern Mariana Islands (69), Virgin Is. (78)
    assert len(report.only_in_boundaries) == 11
    assert {c[:2] for c in report.only_in_boundaries} == {"60", "66", "69", "78"}


@pytest.mark.shared_data
def test_qcew_county_codes_against_2017_boundaries():
    if not QCEW_SECTORS.exists():
        pytest.skip(f"needs {QCEW_SECTORS}")
    qcew = pd.read_csv(QCEW_SECTORS, usecols=["area_fips", "agglvl_code"], dtype=str)
    counties = qcew.loc[qcew["agglvl_code"].str.startswith("7"), "area_fips"]
    new = read_codes(COUNTIES_2017, "fips")
    report = match_region_codes(counties, new, pseudo_pattern=QCEW_PSEUDO_AREAS)
    # 49 "unknown county" pseudo-areas (xx999) have no boundary by design
    assert len(report.pseudo) == 49
    assert all(code.endswith("999") for code in report.pseudo)
    # QCEW 2016 already uses the current codes: every other county matches
    assert len(report.matched) == 3222
    assert report.only_in_statistics == ()
    # boundaries without QCEW figures: Kalawao HI (15005) and island areas
    assert report.only_in_boundaries[0] == "15005"
    assert len(report.only_in_boundaries) == 9
