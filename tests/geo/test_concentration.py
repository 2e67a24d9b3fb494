"""Known-value tests of locational Gini, Ellison-Glaeser, shift-share and change."""

import numpy as np
import pandas as pd
import pytest

from geo.concentration import (
    change_between_years,
    ellison_glaeser,
    locational_gini,
    shift_share,
)


@pytest.fixture
def three_regions() -> pd.DataFrame:
    """Regions a, b, c with 50 jobs each; x only in c, y 50 / 50 / 20 minus x."""
    return pd.DataFrame(
        {
            "region_id": ["a", "b", "c"] * 2,
            "industry": ["x"] * 3 + ["y"] * 3,
            "employees": [0, 0, 30, 50, 50, 20],
        }
    )


# --------------------------------------------------------------- locational Gini


def test_gini_by_hand(three_regions):
    # every region holds 1/3 of all jobs. x sits in c alone: sorted by LQ
    # (a 0, b 0, c 3) the Lorenz curve is 0, 0, 1 -> G = 1 - (1/3)(0 + 0 + 1)
    # = 2/3, the maximum for 3 equal regions. y: 50, 50, 20 of 120, shares
    # .4167, .4167, .1667; sorted c, a, b: cumulative .1667, .5833, 1 ->
    # sum of x (Y_k + Y_k-1) = (1/3)(.1667 + .75 + 1.5833) = .8333 -> G = .1667
    out = locational_gini(three_regions)
    assert out.loc["x", "gini"] == pytest.approx(2 / 3)
    assert out.loc["y", "gini"] == pytest.approx(1 / 6)
    assert out["regions"].to_dict() == {"x": 1, "y": 3}
    assert out["employees"].to_dict() == {"x": 30, "y": 120}


def test_gini_zero_when_spread_like_all_jobs():
    # x is 10% of every region: the Lorenz curve is the diagonal
    table = pd.DataFrame(
        {
            "region_id": ["a", "a", "b", "b"],
            "industry": ["x", "y", "x", "y"],
            "employees": [10, 90, 30, 270],
        }
    )
    assert locational_gini(table).loc["x", "gini"] == pytest.approx(0.0)


def test_gini_with_given_totals_counts_regions_without_the_industry():
    # totals a 100, b 100, c 200 (x = .25, .25, .5); industry x: a 10, c 10 and b
    # absent from the table. s = .5, 0, .5; LQ-order b, c, a; cumulative s 0, .5, 1
    # -> sum x (Y_k + Y_k-1) = .25 * 0 + .5 * .5 + .25 * 1.5 = .625 -> G = .375
    table = pd.DataFrame(
        {"region_id": ["a", "c"], "industry": ["x", "x"], "employees": [10, 10]}
    )
    totals = pd.Series({"a": 100, "b": 100, "c": 200})
    out = locational_gini(table, region_totals=totals)
    assert out.loc["x", "gini"] == pytest.approx(0.375)
    with pytest.raises(ValueError, match=r"no total for region\(s\) \['c'\]"):
        locational_gini(table, region_totals=pd.Series({"a": 100}))
    with pytest.raises(ValueError, match="exceed their region's total"):
        locational_gini(table, region_totals=pd.Series({"a": 5, "c": 200}))


def test_gini_per_year(three_regions):
    table = pd.concat(
        [three_regions.assign(year=1), three_regions.assign(year=2, employees=1)]
    )
    out = locational_gini(table, by="year")
    assert out.loc[(1, "x"), "gini"] == pytest.approx(2 / 3)
    assert out.loc[(2, "x"), "gini"] == pytest.approx(0.0)  # all equal in year 2


# ---------------------------------------------------------------- Ellison-Glaeser


def test_eg_gamma_by_hand():
    # a and b hold 30 jobs each: x_a = x_b = .5, sum x^2 = .5.
    # x: two 10-job firms both in a: s = 1, 0 -> G = .25 + .25 = .5;
    #    G / (1 - .5) = 1; H = .5^2 + .5^2 = .5 -> gamma = (1 - .5) / .5 = 1
    # y: firms 20 (b), 10 (a), 10 (b): s = .25, .75 -> G = .0625 * 2 = .125 ->
    #    .25; H = .25 + .0625 + .0625 = .375 -> gamma = -.125 / .625 = -.2
    firms = pd.DataFrame(
        {
            "region_id": ["a", "a", "b", "a", "b"],
            "industry": ["x", "x", "y", "y", "y"],
            "employees": [10, 10, 20, 10, 10],
        }
    )
    out = ellison_glaeser(firms)
    assert out.loc["x"].to_dict() == pytest.approx(
        {
            "firms": 2,
            "employees": 20,
            "raw_concentration": 0.5,
            "plant_herfindahl": 0.5,
            "eg_gamma": 1.0,
        }
    )
    assert out.loc["y", "eg_gamma"] == pytest.approx(-0.2)


def test_eg_gamma_with_region_totals_and_a_single_firm():
    # totals a 50, b 30, c 20 -> x = .5, .3, .2, sum x^2 = .38. z: firms 6, 2 in a
    # and 2 in b: s = .8, .2, 0 -> G = .09 + .01 + .04 = .14 -> .14 / .62 =
    # .225806; H = .36 + .04 + .04 = .44 -> gamma = (.225806 - .44) / .56
    # w: one firm holds every job, H = 1: gamma undefined
    firms = pd.DataFrame(
        {
            "region_id": ["a", "a", "b", "c", None],
            "industry": ["z", "z", "z", "w", "z"],
            "employees": [6, 2, 2, 5, 99],
        }
    )
    out = ellison_glaeser(firms, region_totals=pd.Series({"a": 50, "b": 30, "c": 20}))
    assert out.loc["z", "raw_concentration"] == pytest.approx(0.14)
    assert out.loc["z", "eg_gamma"] == pytest.approx((0.14 / 0.62 - 0.44) / 0.56)
    assert out.loc["z", "firms"] == 3  # the firm without a region is left out
    assert np.isnan(out.loc["w", "eg_gamma"])
    with pytest.raises(ValueError, match=r"no total for firm region\(s\) \['c'\]"):
        ellison_glaeser(firms, region_totals=pd.Series({"a": 50, "b": 30}))
    with pytest.raises(ValueError, match="non-negative"):
        ellison_glaeser(firms.assign(employees=[6, 2, 2, -5, 1]))


def test_eg_gamma_per_year():
    firms = pd.DataFrame(
        {
            "region_id": ["a", "a", "b", "a", "b", "b"],
            "industry": ["x", "x", "y", "x", "x", "y"],
            "year": [1, 1, 1, 2, 2, 2],
            "employees": [10, 10, 20, 10, 10, 20],
        }
    )
    out = ellison_glaeser(firms, by="year")
    # year 1: x_a = 20/40, x_b = .5, x all in a -> as in the by-hand case, 1.0.
    # year 2: x has one firm in a, one in b: s = .5, .5; x_a = 10/40 = .25,
    # x_b = .75, sum x^2 = .625; G = .0625 * 2 = .125 -> .125 / .375 = 1/3;
    # H = .5 -> gamma = (1/3 - .5) / .5 = -1/3
    assert out.loc[(1, "x"), "eg_gamma"] == pytest.approx(1.0)
    assert out.loc[(2, "x"), "eg_gamma"] == pytest.approx(-1 / 3)


# -------------------------------------------------------------------- shift-share


@pytest.fixture
def two_years() -> pd.DataFrame:
    """Year 0: a 10 x, 30 y; b 30 x, 30 y. Year 1: a 20, 30; b 30, 40."""
    return pd.DataFrame(
        {
            "region_id": ["a", "a", "b", "b"] * 2,
            "industry": ["x", "y"] * 4,
            "year": [0] * 4 + [1] * 4,
            "employees": [10, 30, 30, 30, 20, 30, 30, 40],
        }
    )


def test_shift_share_by_hand(two_years):
    # total 100 -> 120: G = .2. x 40 -> 50: g = .25; y 60 -> 70: g = 1/6.
    # a-x: 10 -> 20: NG 2, IM 10 (.25 - .2) = .5, RS 10 - 2.5 = 7.5
    # a-y: 30 -> 30: NG 6, IM 30 (1/6 - .2) = -1, RS 0 - 5 = -5
    # b-x: 30 -> 30: NG 6, IM 1.5, RS -7.5; b-y: 30 -> 40: NG 6, IM -1, RS 5
    out = shift_share(two_years, start=0, end=1)
    np.testing.assert_allclose(out["national_growth"], [2, 6, 6, 6])
    np.testing.assert_allclose(out["industry_mix"], [0.5, -1, 1.5, -1])
    np.testing.assert_allclose(out["regional_shift"], [7.5, -5, -7.5, 5])
    np.testing.assert_allclose(
        out["national_growth"] + out["industry_mix"] + out["regional_shift"],
        out["change"],
    )


def test_shift_share_against_a_national_reference(two_years):
    # nation: x 400 -> 400, y 600 -> 660, z 1000 -> 1140: total 2000 -> 2200, G
    # = .1; g_x = 0, g_y = .1. a-x 10 -> 20: NG 1, IM -1, RS 10
    nation = pd.DataFrame(
        {
            "industry": ["x", "y", "z"] * 2,
            "year": [0] * 3 + [1] * 3,
            "employees": [400, 600, 1000, 400, 660, 1140],
        }
    )
    out = shift_share(two_years, start=0, end=1, reference=nation)
    first = out.iloc[0]
    assert (first["national_growth"], first["industry_mix"]) == pytest.approx((1, -1))
    assert first["regional_shift"] == pytest.approx(10)
    with pytest.raises(ValueError, match=r"reference lacks industry\(ies\) \['y'\]"):
        shift_share(two_years, start=0, end=1, reference=nation[nation.industry != "y"])
    empty_x = nation.assign(employees=[0, 600, 1000, 400, 660, 1140])
    with pytest.raises(ValueError, match="growth rate is undefined"):
        shift_share(two_years, start=0, end=1, reference=empty_x)
    with pytest.raises(ValueError, match="end year 5 is not in column 'year'"):
        shift_share(two_years, start=0, end=5)


def test_shift_share_new_cell_is_all_regional_shift(two_years):
    # c appears in year 1 with 7 x: no start jobs, so the whole 7 is regional shift
    table = pd.concat(
        [
            two_years,
            pd.DataFrame(
                {"region_id": ["c"], "industry": ["x"], "year": [1], "employees": [7]}
            ),
        ]
    )
    out = shift_share(table, start=0, end=1).set_index(["region_id", "industry"])
    assert out.loc[("c", "x"), ["start_value", "regional_shift"]].tolist() == [0, 7]


# -------------------------------------------------------------- change by year


def test_change_between_years_previous_and_base():
    table = pd.DataFrame(
        {
            "region_id": ["a", "a", "a", "b", "b"],
            "industry": ["x"] * 5,
            "year": [2022, 2020, 2021, 2020, 2022],
            "lq": [1.2, 1.0, 1.5, 2.0, 0.0],
        }
    )
    out = change_between_years(table, keys=["region_id", "industry"], values=["lq"])
    # a: 2020 1.0 -> 2021 1.5 (+.5, +50%) -> 2022 1.2 (-.3, -20%);
    # b: 2020 2.0 -> 2022 0.0 (gap year: previous present year, -2, -100%)
    np.testing.assert_allclose(out["lq_change"], [-0.3, np.nan, 0.5, np.nan, -2.0])
    np.testing.assert_allclose(
        out["lq_pct_change"], [-20.0, np.nan, 50.0, np.nan, -100.0]
    )
    base = change_between_years(
        table, keys=["region_id", "industry"], values=["lq"], base_year=2020
    )
    np.testing.assert_allclose(base["lq_change"], [0.2, 0.0, 0.5, 0.0, -2.0])
    # from 0 there is no percent change
    back = table.assign(year=[2020, 2021, 2022, 2023, 2020])
    pct = change_between_years(back, keys=["region_id"], values=["lq"])
    assert np.isnan(pct.loc[3, "lq_pct_change"])  # b 2020 0.0 -> 2023 2.0


def test_change_between_years_refuses_doubles_and_unknown_base():
    table = pd.DataFrame({"region_id": ["a", "a"], "year": [1, 1], "lq": [1, 2]})
    with pytest.raises(ValueError, match="share a key and year"):
        change_between_years(table, keys=["region_id"], values=["lq"])
    with pytest.raises(ValueError, match="base_year 3 is not in column 'year'"):
        change_between_years(
            table.assign(year=[1, 2]), keys=["region_id"], values=["lq"], base_year=3
        )
