"""Industry classifications: levels, aggregation, validation, bundled tables and the
OKVED2 -> NACE Rev.2 crosswalk (checked on the real OKVED2 classifier)."""

import os
from pathlib import Path

import pandas as pd
import pytest

from data_sources.classification import classification_codes, read_code_table
from geo.classification import (
    NACE_SECTIONS,
    SIC_DIVISIONS,
    aggregate_codes,
    code_levels,
    code_problems,
    level_number,
    normalise_codes,
    okved_to_nace,
    unknown_codes,
)

SHARED = Path(
    os.environ.get(
        "AGGLO_SHARED_DATA",
        Path(__file__).resolve().parents[2] / ".." / "shared" / "data",
    )
)
OKVED2 = SHARED / "employment" / "russia" / "okved2_classifier.csv.gz"


def s(*values):
    return pd.Series(list(values), dtype=object)


def test_level_names_and_depths():
    assert level_number("section", scheme="okved") == 1
    assert level_number("class", scheme="nace") == 4
    assert level_number("major_group", scheme="sic") == 2
    assert level_number("sector", scheme="naics") == 2
    assert level_number("3", scheme="naics") == 3
    with pytest.raises(ValueError, match="NACE Rev.2 has no level 'subsector'"):
        level_number("subsector", scheme="nace")
    with pytest.raises(ValueError, match=r"US SIC level must be one of \[1, 2, 3, 4\]"):
        level_number(5, scheme="sic")
    with pytest.raises(ValueError, match="scheme 'isic' is not supported"):
        level_number(1, scheme="isic")


def test_normalise_writes_the_canonical_dotted_form():
    codes = s("0111", "01.11", "C 25.11", "c25.11", "471", "4789 2", "", None, "x9")
    assert normalise_codes(codes, scheme="nace").tolist() == [
        "01.11",
        "01.11",
        "25.11",
        "25.11",
        "47.1",
        "47.89.2",
        pd.NA,
        pd.NA,
        "X9",
    ]


def test_code_levels_by_form():
    assert code_levels(
        s("G", "47", "47.8", "47.89", "47.89.2", "47.89.21", "47.8.9"), scheme="okved"
    ).tolist() == [1, 2, 3, 4, 5, 6, pd.NA]
    # NACE Rev.2 stops at classes: a national subclass is not a NACE code
    assert code_levels(s("47.89.2"), scheme="nace").tolist() == [pd.NA]
    assert code_levels(s("D", "73", "737", "7372", "73720"), scheme="sic").tolist() == [
        1,
        2,
        3,
        4,
        pd.NA,
    ]
    assert code_levels(s("31-33", "3141", "1234567"), scheme="naics").tolist() == [
        2,
        4,
        pd.NA,
    ]


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        # 47.89.2 retail via stalls; 62.01 programming; 01.11 cereals; 85 education
        ("section", ["G", "J", "A", "P", "C"]),
        ("division", ["47", "62", "01", "85", "C"]),
        ("group", ["47.8", "62.0", "01.1", None, None]),
        ("class", ["47.89", "62.01", "01.11", None, None]),
    ],
)
def test_nace_okved_aggregation_to_any_level(level, expected):
    codes = s("47.89.2", "6201", "01.11.11", "85", "C")
    # a section letter stays itself at section level, and cannot be placed finer
    if level == "division":
        expected = [*expected[:4], None]
    out = aggregate_codes(codes, level=level, scheme="okved")
    assert [None if pd.isna(v) else v for v in out] == expected


def test_sic_aggregation_by_hand():
    codes = s("7372", "2011", "0111", "9999", "737")
    # 7372 prepackaged software: major group 73 in division I (Services, 70-89)
    assert aggregate_codes(codes, level="division", scheme="sic").tolist() == [
        "I",
        "D",
        "A",
        "K",
        "I",
    ]
    assert aggregate_codes(codes, level=3, scheme="sic").tolist() == [
        "737",
        "201",
        "011",
        "999",
        "737",
    ]
    assert pd.isna(aggregate_codes(codes, level=4, scheme="sic").iloc[4])


def test_naics_aggregation_is_unchanged():
    # the two-digit sector of 31 is the range sector 31-33
    assert aggregate_codes(s("314110", "445110", "31"), level=2).tolist() == [
        "31-33",
        "44-45",
        "31-33",
    ]
    assert aggregate_codes(s("314110"), level="industry_group").tolist() == ["3141"]


def test_code_problems_against_a_table_that_stops_at_divisions():
    valid = {"G", "47", "C", "10"}
    problems = code_problems(
        s("47.11", "47.89.2", "48.11", "4x", "G", None), valid, scheme="okved"
    )
    assert problems.tolist() == [
        "",
        "",
        "'48.11' is not an OKVED2 code",
        "'4x' is not a well-formed OKVED2 code (expected a section letter A-U, or "
        "NN, NN.N, NN.NN, NN.NN.N or NN.NN.NN)",
        "",
        "",
    ]


def test_code_problems_exact_when_the_table_is_complete():
    # with classes listed, 47.19 must be listed itself
    valid = {"G", "47", "47.1", "47.11"}
    assert code_problems(s("47.11", "47.19"), valid, scheme="nace").tolist() == [
        "",
        "'47.19' is not a NACE Rev.2 code",
    ]
    assert unknown_codes(s("47.11", "47.19"), valid, scheme="nace").tolist() == [
        False,
        True,
    ]
    # NAICS is always exact: the table lists every level
    assert code_problems(
        s("314110", "314119"), {"314110"}, scheme="naics"
    ).tolist() == [
        "",
        "'314119' is not a NAICS code",
    ]


def test_bundled_nace_table_agrees_with_the_section_ranges():
    nace = classification_codes("nace")
    assert nace.groupby("level").size().to_dict() == {1: 21, 2: 88}
    divisions = nace[nace["level"] == 2]["code"]
    sections = aggregate_codes(divisions, level="section", scheme="nace")
    reference = pd.read_csv(
        Path(__file__).resolve().parents[2]
        / "data_sources"
        / "reference"
        / "nace_rev2_sections_divisions.csv",
        dtype=str,
    ).set_index("code")["parent"]
    assert (sections.to_numpy() == reference[divisions].to_numpy()).all()
    assert sorted(NACE_SECTIONS) == sorted(nace[nace["level"] == 1]["code"])


def test_bundled_sic_table_agrees_with_the_division_ranges():
    sic = classification_codes("sic")
    assert sic.groupby("level").size().to_dict() == {1: 11, 2: 83}
    groups = sic[sic["level"] == 2]["code"]
    divisions = aggregate_codes(groups, level="division", scheme="sic")
    assert divisions.value_counts().to_dict()["D"] == 20  # manufacturing 20-39
    assert set(divisions) == set(SIC_DIVISIONS)
    assert classification_codes("sic").attrs["finest_level"] == 2


def test_okved_to_nace_at_division_level():
    codes = s("47.89.2", "01.11.11", "04.1", "G", None)
    out = okved_to_nace(codes)
    assert out.iloc[:2].tolist() == ["47", "01"]
    assert out.iloc[2:].isna().all()  # 04 is not a division; a section has none
    assert okved_to_nace(codes, level="section").tolist()[:2] == ["G", "A"]
    assert okved_to_nace(codes, level="section").iloc[3] == "G"
    with pytest.raises(ValueError, match="at section and division level only"):
        okved_to_nace(codes, level="class")


def test_read_code_table_refuses_malformed_codes(tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text("code,title\n47.11,Retail\n4.7,Bad\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"1 row\(s\) hold no well-formed OKVED2"):
        read_code_table(path, scheme="okved")
    with pytest.raises(ValueError, match="needs a 'code' and a 'title'"):
        path.write_text("kod,naim\n47,x\n")
        read_code_table(path, scheme="okved")
    with pytest.raises(ValueError, match="classification.codes: file not found"):
        read_code_table(tmp_path / "nope.csv", scheme="okved")


@pytest.fixture(scope="module")
def okved2():
    if not OKVED2.exists():
        pytest.skip(f"needs {OKVED2} (real public data; see ../shared/data/README.md)")
    return read_code_table(OKVED2, scheme="okved")


@pytest.mark.shared_data
def test_every_okved2_division_is_a_nace_division_in_the_same_section(okved2):
    raw = pd.read_csv(OKVED2, dtype=str, keep_default_na=False)
    divisions = raw[raw["code"].str.fullmatch(r"\d{2}")]
    nace = classification_codes("nace")
    nace_divisions = set(nace.loc[nace["level"] == 2, "code"])
    assert len(divisions) == 88
    assert set(divisions["code"]) == nace_divisions
    # the classifier's section letter of each division is NACE's section
    assert (
        okved_to_nace(divisions["code"], level="section") == divisions["group"]
    ).all()


@pytest.mark.shared_data
def test_every_okved2_code_passes_the_bundled_division_table(okved2):
    assert len(okved2) == 2881
    assert okved2.groupby("level").size().to_dict()[1] == 21
    bundled = set(classification_codes("okved")["code"])
    assert (code_problems(okved2["code"], bundled, scheme="okved") == "").all()
    # and each maps to a NACE division (sections map to themselves)
    finer = okved2[okved2["level"] >= 2]["code"]
    assert okved_to_nace(finer).notna().all()
