"""Registry validation: every row validated or quarantined with a reason."""

import pandas as pd
import pytest

from geo.registry import active_in_year, validate_registry

VALID = {"314110", "3141", "31", "722511", "7225"}


def raw(**overrides):
    row = {
        "firm_id": "f1",
        "industry_code": "314110",
        "employees": "12",
        "founded": "1990",
        "closed": "",
        "lat": "",
        "lon": "",
    }
    row.update(overrides)
    return row


def run(rows):
    frame = pd.DataFrame(rows)
    frame["source_row"] = range(1, len(frame) + 1)
    return validate_registry(frame, valid_codes=VALID, level=4, year=2024)


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"industry_code": ""}, "industry_code: empty"),
        ({"industry_code": "999999"}, "industry_code: '999999' is not a NAICS code"),
        ({"industry_code": "31"}, "coarser than the study's level 4"),
        ({"employees": "-5"}, "employees: '-5' is negative"),
        ({"employees": "twelve"}, "employees: 'twelve' is not a whole number"),
        ({"employees": "2.5"}, "employees: '2.5' is not a whole number"),
        ({"employees": ""}, "employees: empty"),
        ({"employees": "9000000"}, "exceeds 500,000"),
        ({"founded": "2031"}, "founded: '2031' is not a year between 1600 and 2024"),
        ({"closed": "1980"}, "closed: 1980 is before founded 1990"),
        ({"firm_id": ""}, "firm_id: empty"),
    ],
)
def test_each_bad_field_is_quarantined_with_reason(override, expected):
    ok, bad = run([raw(**override)])
    assert ok.empty
    assert len(bad) == 1
    assert expected in bad["reason"].iloc[0]


def test_all_problems_of_a_row_are_listed():
    _, bad = run([raw(industry_code="", employees="-1")])
    assert bad["reason"].iloc[0].count(" | ") == 1


def test_duplicate_ids_keep_first_and_name_its_row():
    ok, bad = run([raw(), raw(employees="3")])
    assert ok["employees"].tolist() == [12]
    assert bad["reason"].iloc[0] == (
        "firm_id: 'f1' duplicates source row 1; registry ids must be unique"
    )


def test_row_accounting_and_types():
    rows = [raw(firm_id=f"f{i}") for i in range(5)] + [raw(firm_id="x", employees="-1")]
    ok, bad = run(rows)
    assert len(ok) + len(bad) == len(rows)
    assert set(ok["source_row"]) | set(bad["source_row"]) == set(range(1, 7))
    assert str(ok["employees"].dtype) == "Int64"
    assert ok["industry"].unique().tolist() == ["3141"]


def test_missing_required_column_is_named():
    frame = pd.DataFrame([raw()]).drop(columns="employees")
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['employees'\]"):
        validate_registry(frame, valid_codes=VALID, level=4, year=2024)


def test_active_in_year():
    firms = pd.DataFrame(
        {
            "founded": pd.array([1990, 2025, None, 2000], dtype="Int64"),
            "closed": pd.array([None, None, 2024, 2025], dtype="Int64"),
        }
    )
    # closed 2024 is not active in 2024; closed 2025 still is
    assert active_in_year(firms, 2024).tolist() == [True, False, False, True]
