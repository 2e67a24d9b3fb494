"""Known-value tests of location quotients, stars and specialisation indices."""

import numpy as np
import pandas as pd
import pytest

from geo.lq import (
    employment_by_region_industry,
    location_quotients,
    specialisation_indices,
    star_ratings,
)


@pytest.fixture
def two_by_two() -> pd.DataFrame:
    """Regions a, b x industries x, y; employees 10 30 / 30 30 (total 100)."""
    return pd.DataFrame(
        {
            "region_id": ["a", "a", "b", "b"],
            "industry": ["x", "y", "x", "y"],
            "employees": [10, 30, 30, 30],
        }
    )


def test_lq_by_hand(two_by_two):
    # x: share of a 10/40 = .25 over area share 40/100 = .4 -> .625
    # y in a: 30/40 / 60/100 = 1.25; x in b: 30/60 / .4 = 1.25; y in b: .5/.6 = .8333
    out = location_quotients(two_by_two)
    np.testing.assert_allclose(out["lq"], [0.625, 1.25, 1.25, 0.5 / 0.6])
    assert out["region_total"].tolist() == [40, 40, 60, 60]


def test_lq_with_given_base_and_reference_shares(two_by_two):
    # BLS style: base = total covered employment (a 80, b 120), national shares
    # x .2, y .5.  x in a: (10/80)/.2 = .625; y in a: (30/80)/.5 = .75;
    # x in b: (30/120)/.2 = 1.25; y in b: (30/120)/.5 = .5
    out = location_quotients(
        two_by_two,
        region_totals=pd.Series({"a": 80, "b": 120}),
        reference_shares=pd.Series({"x": 0.2, "y": 0.5}),
    )
    np.testing.assert_allclose(out["lq"], [0.625, 0.75, 1.25, 0.5])


def test_lq_zero_region_is_nan_not_inf(two_by_two):
    table = pd.concat(
        [
            two_by_two,
            pd.DataFrame(
                {"region_id": ["c", "c"], "industry": ["x", "y"], "employees": [0, 0]}
            ),
        ]
    )
    out = location_quotients(table)
    assert out["lq"].iloc[-2:].isna().all()


def test_lq_rejects_negative_counts(two_by_two):
    bad = two_by_two.assign(employees=[10, -30, 30, 30])
    with pytest.raises(ValueError, match="non-negative"):
        location_quotients(bad)


def test_lq_names_missing_base(two_by_two):
    with pytest.raises(ValueError, match=r"no base for 1 region.*\['b'\]"):
        location_quotients(two_by_two, region_totals=pd.Series({"a": 80}))
    with pytest.raises(ValueError, match="no share for 1 industry"):
        location_quotients(two_by_two, reference_shares=pd.Series({"x": 0.2}))


def test_lq_names_missing_column(two_by_two):
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['jobs'\]"):
        location_quotients(two_by_two, value="jobs")


def test_stars_by_hand():
    # 10 regions; industry x: region r0 has 100 of its 109 employees (size: top 10%),
    # its share of r0's employment 100/110 is the highest (focus), LQ = (100/110) /
    # (109/199) = 1.66 < 2 -> 2 stars. r1 has 1 x of 2 employees: LQ (.5)/(109/199)
    # = .91 -> none.
    rows = [("r0", "x", 100), ("r0", "y", 10)] + [
        (f"r{i}", ind, 1) for i in range(1, 10) for ind in ("x", "y")
    ]
    table = pd.DataFrame(rows, columns=["region_id", "industry", "employees"])
    stars = star_ratings(location_quotients(table))
    assert stars.iloc[0] == 2
    assert stars.iloc[2] == 0


def test_specialisation_indices_by_hand(two_by_two):
    # a: shares .25/.75 -> HHI .0625 + .5625 = .625; area shares .4/.6 ->
    # Krugman |.25-.4| + |.75-.6| = .3.  b: .5/.5 -> HHI .5, Krugman .1 + .1 = .2
    out = specialisation_indices(two_by_two)
    assert out.loc["a", "hhi"] == pytest.approx(0.625)
    assert out.loc["a", "krugman"] == pytest.approx(0.3)
    assert out.loc["b", "krugman"] == pytest.approx(0.2)


def test_aggregation_fills_zeros_and_refuses_unknown_regions():
    firms = pd.DataFrame(
        {
            "region_id": ["a", "a", None],
            "industry": ["x", "x", "x"],
            "employees": [5, 7, 100],
        }
    )
    table = employment_by_region_industry(firms, regions=["a", "b"])
    assert table.to_dict("records") == [
        {"region_id": "a", "industry": "x", "employees": 12, "firms": 2},
        {"region_id": "b", "industry": "x", "employees": 0, "firms": 0},
    ]
    with pytest.raises(ValueError, match="not study regions"):
        employment_by_region_industry(firms.fillna("zz"), regions=["a"])
