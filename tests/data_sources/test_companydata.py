"""Corporate group links from companydata.com city samples: hand-made and real files."""

import os
from pathlib import Path

import pandas as pd
import pytest

from data_sources.companydata import read_companydata_group_links
from data_sources.interactions import ACTOR_COLUMNS, REJECTED_COLUMNS, TIE_COLUMNS
from geo.ecosystem import ecosystem_measures

SHARED = Path(
    os.environ.get(
        "AGGLO_SHARED_DATA",
        Path(__file__).resolve().parents[2] / ".." / "shared" / "data",
    )
)
SAMPLES = SHARED / "firms" / "companydata_cc0"
CITIES = (
    "amsterdam",
    "berlin",
    "london",
    "los-angeles",
    "madrid",
    "new-york-city",
    "paris",
    "rome",
)

HEADER = [
    "ID",
    "Company Name",
    "Business Category Code 1",
    "Founding Year",
    "Yearly Revenue in U.S. Dollars",
    "Local Headquarter ID Number",
    "Local Headquarter Company Name",
    "National Headquarter ID Number",
    "National Headquarter Company Name",
    "Global Headquarter ID Number",
    "Global Headquarter Company Name",
]
ROWS = [
    # 1 a subsidiary: local parent 20, national 30, global 40 -> 20->10, 30->20, 40->30
    "10;Tufting GmbH;2273;1998;1,5E+07;20;Carpet Holding;30;Carpet AG;40;Global Inc",
    # 2 its local parent, in the file; founding year 0 = unknown
    "20;Carpet Holding;6719;0;0;20;Carpet Holding;30;Carpet AG;40;Global Inc",
    # 3 an independent firm: headquarters ids empty (or its own id)
    "50;Solo Ltd;7372;2010;2,4;;;50;Solo Ltd;50;Solo Ltd",
    # 4 id mangled by a spreadsheet
    "6,1E+08;Broken;7372;2001;0;;;;;;",
    # 5 repeats id 50
    "50;Solo Again;7372;2010;0;;;;;;",
    # 6 founding year is text; headquarters id mangled
    "70;Odd;7372;19x9;0;8,0E+08;X;;;;",
    # 7 a branch whose national and global headquarters is the same foreign parent
    "80;Branch UK;6021;2014;0;80;Branch UK;80;Branch UK;90;Bank of Far Away",
]


@pytest.fixture
def sample(tmp_path) -> Path:
    path = tmp_path / "test-business-dataset-sample.csv"
    text = "\r\n".join([";".join(HEADER), *ROWS]) + "\r\n"
    path.write_text(text, encoding="utf-8-sig")
    return path


def test_hand_made_sample_by_hand(sample):
    actors, ties, rejected = read_companydata_group_links(sample, year=2024)
    assert list(actors.columns) == [*ACTOR_COLUMNS, "source_row"]
    assert list(ties.columns) == [*TIE_COLUMNS, "source_row"]
    assert list(rejected.columns) == list(REJECTED_COLUMNS)
    # rows 1, 2, 3, 7 are firms of the file; 30, 40 and 90 appear only as parents
    assert actors["actor_id"].tolist() == ["10", "20", "50", "80", "30", "40", "90"]
    assert actors["source_row"].tolist()[:4] == [1, 2, 3, 7]
    assert actors["source_row"].isna().tolist()[4:] == [True] * 3
    assert actors["name"].tolist()[4:] == [
        "Carpet AG",
        "Global Inc",
        "Bank of Far Away",
    ]
    assert set(actors["kind"]) == {"firm"}
    assert actors["industry"].tolist()[:4] == ["2273", "6719", "7372", "6021"]
    assert actors["firm_id"].tolist() == ["10", "20", "50", "80", None, None, None]
    assert actors["region_id"].isna().all()
    # founding year 0 means unknown
    assert actors["founded"].tolist()[:4] == [1998, pd.NA, 2010, 2014]
    # chains: 10 <- 20 <- 30 <- 40 (row 1; row 2 repeats 30->20 and 40->30);
    # 50 has none; 80 <- 90 (its national headquarters is itself)
    assert list(zip(ties["source"], ties["target"], strict=True)) == [
        ("20", "10"),
        ("30", "20"),
        ("40", "30"),
        ("90", "80"),
    ]
    assert ties["source_row"].tolist() == [1, 1, 1, 7]
    assert set(ties["tie_type"]) == {"group_link"}
    assert ties["year"].tolist() == [2024] * 4
    assert (ties["weight"] == 1.0).all() and not ties["via_coordinator"].any()
    reasons = dict(zip(rejected["source_row"], rejected["reason"], strict=True))
    assert sorted(reasons) == [4, 5, 6]
    assert reasons[4].startswith("ID: '6,1E+08' is not a company id (digits)")
    assert reasons[5] == "ID: '50' already on row 3"
    assert reasons[6] == (
        "Local Headquarter ID Number: '8,0E+08' is not a company id (digits); "
        "re-export the file with ids as text; Founding Year: '19x9' is not a year"
    )


def test_sample_year_defaults_to_the_latest_founding(sample):
    _, ties, _ = read_companydata_group_links(sample)
    # latest founding year among valid rows: 2014 (row 7)
    assert set(ties["year"]) == {2014}
    _, _, rejected = read_companydata_group_links(sample, year=2012)
    # row 7 was founded after the sample year
    assert "Founding Year: 2014 is after the sample year 2012" in set(
        rejected["reason"]
    )


def test_blank_id_header_is_read_as_id_with_a_warning(tmp_path):
    path = tmp_path / "amsterdam-like.csv"
    header = [" ", *HEADER[1:]]
    path.write_text("\n".join([";".join(header), ROWS[0]]), encoding="utf-8-sig")
    with pytest.warns(UserWarning, match="blank header; read it as 'ID'"):
        actors, ties, _ = read_companydata_group_links(path, year=2024)
    assert actors["actor_id"].iloc[0] == "10"
    assert len(ties) == 3


def test_bad_files_are_refused(tmp_path, sample):
    with pytest.raises(ValueError, match="file not found"):
        read_companydata_group_links(tmp_path / "none.csv")
    other = tmp_path / "other.csv"
    other.write_text("ID;Name\n1;x\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"column\(s\) \['Company Name'"):
        read_companydata_group_links(other)
    with pytest.raises(TypeError, match="year must be an integer year or None"):
        read_companydata_group_links(sample, year="2024")


# ------------------------------------------------------------------ real city samples
@pytest.fixture(scope="module")
def samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip(f"needs {SAMPLES} (real public data; see ../shared/data/README.md)")
    return SAMPLES


@pytest.mark.shared_data
@pytest.mark.filterwarnings("ignore:amsterdam-business-dataset-sample.csv")
@pytest.mark.parametrize("city", CITIES)
def test_real_city_samples(samples, city):
    path = samples / f"{city}-business-dataset-sample.csv"
    actors, ties, rejected = read_companydata_group_links(path)
    in_file = actors["source_row"].notna()
    # every one of the 1,000 rows is a firm actor or quarantined
    assert in_file.sum() + len(rejected) == 1000
    assert actors["actor_id"].is_unique
    # ties join known actors, never an actor to itself, each link once
    known = set(actors["actor_id"])
    assert set(ties["source"]) | set(ties["target"]) <= known
    assert not (ties["source"] == ties["target"]).any()
    assert not ties.duplicated(["source", "target"]).any()
    # every headquarters-only actor is the parent of some link
    assert set(actors.loc[~in_file, "actor_id"]) <= set(ties["source"])
    assert ties["year"].between(2023, 2024).all()
    # the output is valid input of the ecosystem measures (all links are group links)
    members = pd.DataFrame(
        {"cluster_id": city, "actor_id": actors["actor_id"][in_file]}
    )
    row = ecosystem_measures(actors, ties, members, year=int(ties["year"].iloc[0]))
    assert row.loc[0, "non_group_share"] == 0.0


@pytest.mark.shared_data
def test_real_known_links(samples):
    def links(city):
        _, ties, _ = read_companydata_group_links(
            samples / f"{city}-business-dataset-sample.csv"
        )
        return set(zip(ties["source"], ties["target"], strict=True))

    berlin = links("berlin")
    # Deutsche Bahn AG (271137639): local headquarters the federal transport
    # ministry (271790535), national and global the Federal Republic (273468323)
    assert ("271790535", "271137639") in berlin
    assert ("273468323", "271790535") in berlin
    london = links("london")
    # BP p.l.c. (247643946) is its own headquarters at every level: no link into it
    assert not any(t == "247643946" for _, t in london)
    # Staples, Inc. (212066682), Los Angeles file: owned by Sycamore Partners
    # (197587441) at every level -> exactly one link
    la = links("los-angeles")
    assert ("197587441", "212066682") in la
    assert sum(t == "212066682" for _, t in la) == 1
