"""Registry presets (companydata city samples, Russian SME register) and statistics
presets (QCEW): hand-sized cases, then the real files in ../shared/data."""

import os
from pathlib import Path

import pandas as pd
import pytest

from data_sources.classification import classification_codes
from data_sources.presets import (
    qcew_industry_table,
    qcew_region_totals,
    registry_preset,
    snapshot_problems,
)
from data_sources.registry import read_registry
from geo.registry import validate_registry

SHARED = Path(
    os.environ.get(
        "AGGLO_SHARED_DATA",
        Path(__file__).resolve().parents[2] / ".." / "shared" / "data",
    )
)
CITIES = SHARED / "firms" / "companydata_cc0"
RSMP = SHARED / "firms" / "russia_rsmp_fns" / "rsmp_sample_2019_2023.csv.gz"
QCEW_GA = SHARED / "employment" / "qcew_2016_quarterly_georgia_naics3_naics4.csv.gz"


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"needs {path} (real public data; see ../shared/data/README.md)")
    return path


# --- hand-sized ---------------------------------------------------------------------

COMPANYDATA_HEADER = (
    " ;Company Name;Address 1;Postal Code;City;State/Province;Country;"
    "Business Category Code 1;Founding Year;Employees On Site;Employees Total;"
    "Global Headquarter ID Number"
)


def test_companydata_preset_by_hand(tmp_path):
    # Blank id header (as in the Amsterdam file), BOM, ';', decimal comma, ZIP+4
    # without dash, founding year 0 = unknown.
    rows = [
        "1;Acme;1 Main St;900175141;Los Angeles;CA;USA;7372;0;1,2E+02;500;9",
        "2;Bolt;2 High St;SW1Y 4PD;London;;England;5812;1999;8;8;",
    ]
    path = tmp_path / "city.csv"
    path.write_bytes(
        ("\n".join([COMPANYDATA_HEADER, *rows]) + "\n").encode("utf-8-sig")
    )
    raw = read_registry({"adapter": "companydata", "path": str(path)})
    assert raw["firm_id"].tolist() == ["1", "2"]
    assert raw["postcode"].tolist() == ["90017-5141", "SW1Y 4PD"]
    assert raw["founded"].tolist() == ["", "1999"]
    assert raw["employees"].tolist() == ["1.2E+02", "8"]
    assert raw["country"].tolist() == ["USA", "England"]
    assert raw.attrs["scheme"] == "sic"
    ok, bad = validate_registry(
        raw,
        valid_codes=set(classification_codes("sic")["code"]),
        level="major_group",
        scheme="sic",
        year=2024,
    )
    # SIC 7372 is in major group 73 (Business Services), 5812 in 58
    assert ok["industry"].tolist() == ["73", "58"]
    assert ok["employees"].tolist() == [120, 8]
    assert bad.empty


RSMP_HEADER = (
    "source_file,doc_id,date_state,date_incl,kind,sme_category,new_flag,org_name,"
    "org_short_name,inn,okved_main,okved_main_name,okved_version,region_code,"
    "region_type,region_name,district_type,district_name,city_type,city_name,"
    "settlement_type,settlement_name"
)


def test_rsmp_preset_by_hand(tmp_path):
    # settlement: the settlement, else the city, else a city district, else a city
    # region; the 2023 snapshot row is quarantined when the study takes 2019
    rows = [
        'f,d1,10.02.2019,,org,1,1,"ООО ""А""","ООО ""А""",1,47.11,x,2014,59,КРАЙ,'
        "ПЕРМСКИЙ,РАЙОН,КРАСНОКАМСКИЙ,,,СЕЛО,МАЙСКИЙ",
        "f,d2,10.02.2019,,ip,1,1,,,,47.89.2,x,2014,59,КРАЙ,ПЕРМСКИЙ,,,ГОРОД,ПЕРМЬ,,",
        "f,d3,10.05.2023,,ip,1,1,,,,96.02,x,2014,94,РЕСП.,ЛУГАНСКАЯ НАРОДНАЯ,Г.,"
        "АЛЧЕВСК,,,,",
        "f,d4,10.02.2019,,ip,1,1,,,,47.76,x,2014,78,Г,САНКТ-ПЕТЕРБУРГ,,,,,,",
    ]
    path = tmp_path / "rsmp.csv"
    path.write_text("\n".join([RSMP_HEADER, *rows]) + "\n", encoding="utf-8")
    raw = read_registry({"adapter": "rsmp", "path": str(path), "snapshot_year": 2019})
    assert raw["settlement"].tolist() == [
        "МАЙСКИЙ",
        "ПЕРМЬ",
        "АЛЧЕВСК",
        "САНКТ-ПЕТЕРБУРГ",
    ]
    assert raw["name"].tolist() == ['ООО "А"', "", "", ""]
    assert raw["state"].tolist() == ["59", "59", "94", "78"]
    assert raw["region_name"].iloc[0] == "ПЕРМСКИЙ КРАЙ"
    assert raw["employees"].tolist() == ["", "", "", ""]
    ok, bad = validate_registry(
        raw,
        valid_codes=set(classification_codes("okved")["code"]),
        level="division",
        scheme="okved",
        year=2019,
        employees_required=registry_preset("rsmp").employees_required,
    )
    assert ok["industry"].tolist() == ["47", "47", "47"]
    assert ok["employees"].isna().all()
    assert bad["firm_id"].tolist() == ["d3"]
    assert "another snapshot than registry.snapshot_year 2019" in bad["reason"].iloc[0]


def test_snapshot_year_needs_a_register_date(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("firm_id,industry_code,employees\na,1,2\n")
    with pytest.raises(ValueError, match="snapshot_year needs a register_date"):
        read_registry({"path": str(path), "snapshot_year": 2019})


def test_snapshot_problems_by_hand():
    reasons = snapshot_problems(pd.Series(["10.02.2019", "", "10.05.2023"]), year=2019)
    assert reasons.iloc[0] == ""
    assert reasons.iloc[1].startswith("register_date: ''")
    assert reasons.iloc[2].startswith("register_date: '10.05.2023' is another")


def qcew_rows(**columns):
    n = len(next(iter(columns.values())))
    base = {
        "area_fips": ["13313"] * n,
        "own_code": ["5"] * n,
        "industry_code": ["3141"] * n,
        "agglvl_code": ["76"] * n,
        "year": [2016] * n,
        "qtr": [str(q) for q in range(1, n + 1)],
        "qtrly_estabs_count": [10] * n,
        "month1_emplvl": [100] * n,
        "month2_emplvl": [100] * n,
        "month3_emplvl": [100] * n,
        "suppressed": [False] * n,
    }
    base.update(columns)
    return pd.DataFrame(base)


def test_qcew_year_is_the_mean_of_disclosed_quarters():
    # quarters 1-3 disclosed at 100, 130, 160 a month; quarter 4 withheld (read as 0)
    q = qcew_rows(
        month1_emplvl=[100, 130, 160, 0],
        month2_emplvl=[100, 130, 160, 0],
        month3_emplvl=[100, 130, 160, 0],
        qtrly_estabs_count=[10, 10, 11, 11],
        suppressed=[False, False, False, True],
    )
    table = qcew_industry_table(q, year=2016, level=4)
    # mean(100, 130, 160) = 130; establishments mean(10, 10, 11, 11) = 10.5 -> 10
    assert table[["employees", "firms", "suppressed", "quarters"]].values.tolist() == [
        [130.0, 10, True, 4]
    ]
    one = qcew_industry_table(q, year=2016, level=4, quarter=2)
    assert one["employees"].tolist() == [130.0]


def test_qcew_fully_suppressed_cell_is_zero_and_flagged():
    q = qcew_rows(
        month1_emplvl=[0], month2_emplvl=[0], month3_emplvl=[0], suppressed=[True]
    )
    table = qcew_industry_table(q, year=2016, level=4)
    assert table[["employees", "suppressed"]].values.tolist() == [[0.0, True]]


def test_qcew_levels_pick_the_aggregation_level():
    q = pd.concat(
        [
            qcew_rows(industry_code=["3141"], agglvl_code=["76"]),
            qcew_rows(industry_code=["314"], agglvl_code=["75"]),
            qcew_rows(industry_code=["31-33"], agglvl_code=["74"]),
        ]
    )
    assert qcew_industry_table(q, year=2016, level=3)["industry"].tolist() == ["314"]
    assert qcew_industry_table(q, year=2016, level=2)["industry"].tolist() == ["31-33"]


def test_qcew_bad_arguments_are_refused():
    q = qcew_rows(qtr=["1"])
    with pytest.raises(ValueError, match="no QCEW rows for year 2015"):
        qcew_industry_table(q, year=2015, level=4)
    with pytest.raises(ValueError, match="NAICS digits 2..6; got 7"):
        qcew_industry_table(q, year=2016, level=7)
    with pytest.raises(ValueError, match="quarter must be 1..4"):
        qcew_industry_table(q, year=2016, level=4, quarter=5)
    with pytest.raises(ValueError, match="area must be 'county' or 'state'"):
        qcew_industry_table(q, year=2016, level=4, area="msa")
    with pytest.raises(ValueError, match="no total-covered QCEW rows"):
        qcew_region_totals(q, year=2016)


# --- real files ---------------------------------------------------------------------


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("city", "rejected"),
    [
        # (file stem, rows quarantined with the field that failed)
        ("amsterdam", {}),
        ("berlin", {"employees": 2}),
        ("london", {}),
        ("los-angeles", {}),
        ("madrid", {}),
        ("new-york-city", {}),
        ("paris", {}),
        # two Rome entities give 1303 as founding year (the university's), before
        # geo.registry.EARLIEST_FOUNDING_YEAR (1600)
        ("rome", {"employees": 53, "founded": 2}),
    ],
)
def test_companydata_city_samples_load_every_row(city, rejected):
    path = need(CITIES / f"{city}-business-dataset-sample.csv")
    raw = read_registry({"adapter": "companydata", "path": str(path)})
    assert len(raw) == 1000
    assert raw["source_row"].tolist() == list(range(1, 1001))
    assert (raw["read_problem"] == "").all()
    assert raw["firm_id"].str.fullmatch(r"\d+").all()
    assert raw["firm_id"].is_unique
    ok, bad = validate_registry(
        raw,
        valid_codes=set(classification_codes("sic")["code"]),
        level="major_group",
        scheme="sic",
        year=2024,
    )
    # nothing is lost: every row is validated or quarantined with a reason
    assert len(ok) + len(bad) == 1000
    fields = bad["reason"].str.split(":").str[0].value_counts().to_dict()
    assert fields == rejected


@pytest.mark.shared_data
def test_companydata_us_zip_plus_four_gets_its_dash():
    path = need(CITIES / "los-angeles-business-dataset-sample.csv")
    raw = read_registry({"adapter": "companydata", "path": str(path)})
    lengths = raw["postcode"].str.len().value_counts().to_dict()
    # 579 ZIP+4 (written 90017-5141) and 421 plain five-digit ZIPs
    assert lengths == {10: 579, 5: 421}
    assert raw["postcode"].str.fullmatch(r"\d{5}(-\d{4})?").all()


@pytest.mark.shared_data
def test_rsmp_records_load_with_row_accounting():
    raw = read_registry(
        {"adapter": "rsmp", "path": str(need(RSMP)), "snapshot_year": 2019}
    )
    assert len(raw) == 5400
    assert raw["firm_id"].is_unique
    # every firm has a place to geocode: settlement, city, city district or city region
    assert (raw["settlement"] != "").all()
    # the 10.05.2023 snapshot (region 94, no boundary) is half the sample
    other = raw["read_problem"] != ""
    assert int(other.sum()) == 2700
    assert set(raw.loc[other, "register_date"]) == {"10.05.2023"}
    ok, bad = validate_registry(
        raw,
        valid_codes=set(classification_codes("okved")["code"]),
        level="division",
        scheme="okved",
        year=2019,
        employees_required=False,
    )
    assert len(ok) == 2700 and len(bad) == 2700
    assert set(ok["state"]) >= {"59", "52", "89"}
    assert ok["industry"].value_counts().index[0] == "47"  # retail leads


@pytest.mark.shared_data
def test_qcew_georgia_naics4_keeps_suppression_flags():
    from data_sources.qcew import read_qcew

    table = qcew_industry_table(read_qcew(need(QCEW_GA)), year=2016, level=4)
    assert table["region_id"].nunique() == 160  # 159 counties + 13999 unknown
    whitfield_carpets = table.set_index(["region_id", "industry"]).loc[
        ("13313", "3141")
    ]
    # Dalton: carpet and rug mills, disclosed in all four quarters
    assert whitfield_carpets["employees"] == pytest.approx(11358.67, abs=0.01)
    assert not whitfield_carpets["suppressed"]
    assert 0.5 < table["suppressed"].mean() < 0.9


# --- statistics on the study's regions -----------------------------------------------


def test_statistics_table_on_study_regions_with_code_changes():
    from data_sources.presets import (
        statistics_employment_table,
        statistics_region_totals,
    )
    from geo.region_codes import QCEW_PSEUDO_AREAS, US_COUNTY_FIPS_CHANGES_2010_2017

    # 2010-vintage statistics (46113 Shannon) on 2017 boundaries (46102 Oglala
    # Lakota); 46999 is QCEW's unknown-county pseudo-area; 46105 has no statistics
    stats = pd.DataFrame(
        {
            "region_id": ["46113", "46113", "46999"],
            "industry": ["11", "62", "62"],
            "employees": [40.0, 60.0, 5.0],
            "firms": [4, 6, 1],
            "suppressed": [False, True, False],
        }
    )
    table, report = statistics_employment_table(
        stats,
        regions=["46102", "46105"],
        changes=US_COUNTY_FIPS_CHANGES_2010_2017,
        pseudo_pattern=QCEW_PSEUDO_AREAS,
    )
    assert table.values.tolist() == [
        ["46102", "11", 40.0, 4, False],
        ["46102", "62", 60.0, 6, True],
        ["46105", "11", 0.0, 0, False],
        ["46105", "62", 0.0, 0, False],
    ]
    assert report.recoded == {"46113": "46102"} and report.pseudo == ("46999",)
    # the published total of 46113 moves to 46102; 46105 has none: its industries'
    # sum (0) is the base
    totals = statistics_region_totals(pd.Series({"46113": 250.0}), report, table=table)
    assert totals.to_dict() == {"46102": 250.0, "46105": 0.0}


def test_statistics_without_head_counts_keep_employees_missing():
    from data_sources.presets import statistics_employment_table

    stats = pd.DataFrame(
        {
            "region_id": ["RU-PER"],
            "industry": ["P"],
            "employees": pd.array([pd.NA], dtype="Int64"),
            "firms": [12],
            "suppressed": [False],
        }
    )
    table, _ = statistics_employment_table(stats, regions=["RU-PER", "RU-KIR"])
    assert table["firms"].tolist() == [12, 0]
    assert table["employees"].isna().all()


def test_read_industry_statistics_refuses_mismatches(tmp_path):
    from data_sources.presets import read_industry_statistics

    with pytest.raises(ValueError, match="QCEW industries are NAICS codes"):
        read_industry_statistics(
            {"adapter": "qcew", "path": "x"}, year=2016, level=2, scheme="nace"
        )
    with pytest.raises(ValueError, match="needs statistics.classifier"):
        read_industry_statistics(
            {"adapter": "rosstat", "path": "x"}, year=2019, level=1, scheme="okved"
        )
    with pytest.raises(ValueError, match="'eurostat' is not a statistics preset"):
        read_industry_statistics(
            {"adapter": "eurostat", "path": "x"}, year=2019, level=1, scheme="nace"
        )


@pytest.mark.shared_data
def test_read_industry_statistics_on_real_files():
    from data_sources.presets import read_industry_statistics

    employment = SHARED / "employment"
    georgia = read_industry_statistics(
        {
            "adapter": "qcew",
            "path": str(need(QCEW_GA)),
            "totals_path": str(
                need(employment / "qcew_2016_quarterly_county_state_sector.csv.gz")
            ),
        },
        year=2016,
        level=4,
        scheme="naics",
    )
    assert georgia.measure == "employees"
    assert georgia.totals["13313"] == pytest.approx(56661.75)  # Whitfield, covered
    russia = read_industry_statistics(
        {
            "adapter": "rosstat",
            "path": str(
                need(
                    employment
                    / "russia"
                    / "rosstat_org_counts_region_okved_2017_2022.csv.gz"
                )
            ),
            "classifier": str(need(employment / "russia" / "okved2_classifier.csv.gz")),
        },
        year=2019,
        level="section",
        scheme="okved",
    )
    assert russia.measure == "firms"
    assert len(russia.table) == 83 * 21 and len(russia.totals) == 83
