"""Known-value tests of location quotients, stars and specialisation indices."""

import numpy as np
import pandas as pd
import pytest

from geo.lq import (
    aggregate_to_clusters,
    employment_by_region_industry,
    location_quotients,
    lq_confidence_intervals,
    reference_shares_from_lq,
    smoothed_location_quotients,
    specialisation_indices,
    star_ratings,
    strong_clusters,
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


# ------------------------------------------------------------- LQ per period


def test_lq_by_year_equals_one_computation_per_year(two_by_two):
    later = two_by_two.assign(employees=[20, 30, 30, 40])
    table = pd.concat([two_by_two.assign(year=2020), later.assign(year=2021)])
    out = location_quotients(table, by="year")
    # 2020 as in test_lq_by_hand; 2021: a has 20/50 x, area x share 50/120 ->
    # .4/.41667 = .96; y in a .6/.58333 = 1.0286; x in b .42857/.41667 = 1.0286
    np.testing.assert_allclose(
        out["lq"],
        [
            0.625,
            1.25,
            1.25,
            0.5 / 0.6,
            0.96,
            0.6 / (70 / 120),
            (30 / 70) / (50 / 120),
            (40 / 70) / (70 / 120),
        ],
    )


def test_lq_by_period_with_keyed_base_and_shares(two_by_two):
    table = two_by_two.assign(qtr="1")
    totals = pd.Series({("1", "a"): 80, ("1", "b"): 120})
    shares = pd.Series({("1", "x"): 0.2, ("1", "y"): 0.5})
    out = location_quotients(
        table, region_totals=totals, reference_shares=shares, by="qtr"
    )
    # same numbers as test_lq_with_given_base_and_reference_shares
    np.testing.assert_allclose(out["lq"], [0.625, 0.75, 1.25, 0.5])
    with pytest.raises(ValueError, match=r"indexed by 1 level\(s\)"):
        location_quotients(
            table, region_totals=pd.Series({"a": 80, "b": 120}), by="qtr"
        )
    with pytest.raises(ValueError, match="duplicate keys"):
        location_quotients(
            two_by_two, region_totals=pd.Series([80, 120, 1], index=["a", "b", "a"])
        )
    with pytest.raises(TypeError, match="must be a pandas Series"):
        location_quotients(two_by_two, region_totals={"a": 80, "b": 120})


# ------------------------------------------- reference shares from published LQs


def test_reference_shares_from_rounded_lqs():
    # true share of x is .25. a: 10 of 100 -> LQ .4 exactly; b: 33 of 100 ->
    # 1.32; c: 7 of 30 -> .9333 published .93.  Intervals q/(lq +- .005):
    # a [.24691, .25316], b [.24906, .25094], c [.24955, .25224]
    # -> intersection [.24955, .25094], middle .250245
    table = pd.DataFrame(
        {
            "region_id": ["a", "b", "c"],
            "industry": ["x"] * 3,
            "employees": [10, 33, 7],
            "lq": [0.40, 1.32, 0.93],
        }
    )
    totals = pd.Series({"a": 100, "b": 100, "c": 30})
    shares = reference_shares_from_lq(table, lq="lq", region_totals=totals)
    assert shares["x"] == pytest.approx((7 / 30 / 0.935 + 0.33 / 1.315) / 2)


def test_reference_shares_fall_back_and_warn_when_lqs_disagree():
    # a says share .1 (LQ 1 of q .1), b says .2 (LQ 1 of q .2): no common share;
    # the ratio estimate is (.1 + .2) / (1 + 1) = .15
    table = pd.DataFrame(
        {
            "region_id": ["a", "b"],
            "industry": ["x", "x"],
            "employees": [10, 20],
            "lq": [1.0, 1.0],
        }
    )
    with pytest.warns(UserWarning, match="admit no common reference share"):
        shares = reference_shares_from_lq(
            table, lq="lq", region_totals=pd.Series({"a": 100, "b": 100})
        )
    assert shares["x"] == pytest.approx(0.15)
    with pytest.raises(ValueError, match="no base for region"):
        reference_shares_from_lq(table, lq="lq", region_totals=pd.Series({"a": 1}))
    with pytest.raises(ValueError, match="decimals must be >= 0"):
        reference_shares_from_lq(
            table, lq="lq", region_totals=pd.Series({"a": 1, "b": 1}), decimals=-1
        )


# ------------------------------------------- confidence, small cells, smoothing


def test_lq_confidence_interval_by_hand():
    # region a has 400 jobs. x: 100, national share .2 -> LQ 1.25; var(ln LQ) =
    # 1/100 - 1/400 = .0075, sd .0866; 95%: 1.25 / exp(1.96 * .0866) = 1.0549 ..
    # 1.4812, above 1. y: 280 of 400 / .7 = 1.0, not significant. z: 3, share
    # .005 -> LQ 1.5, var 1/3 - 1/400, sd .5752: .487 .. 4.62, and 3 < 5 is a
    # small cell. w: 17 / 400 / .095 = .447, var 1/17 - 1/400, sd .2373: upper
    # .447 * exp(.465) = .712 < 1, significantly below. v: 0 jobs, no interval.
    table = pd.DataFrame(
        {
            "region_id": ["a"] * 5,
            "industry": ["x", "y", "z", "w", "v"],
            "employees": [100, 280, 3, 17, 0],
        }
    )
    shares = pd.Series({"x": 0.2, "y": 0.7, "z": 0.005, "w": 0.095, "v": 0.01})
    lq = location_quotients(table, reference_shares=shares)
    out = lq_confidence_intervals(lq)
    half = 1.959964 * 0.0075**0.5
    assert out.loc[0, "lq_lower"] == pytest.approx(1.25 / np.exp(half))
    assert out.loc[0, "lq_upper"] == pytest.approx(1.25 * np.exp(half))
    assert out.loc[3, "lq_upper"] == pytest.approx(
        17 / 400 / 0.095 * np.exp(1.959964 * (1 / 17 - 1 / 400) ** 0.5)
    )
    assert out["lq_significant"].tolist() == [True, False, False, True, False]
    assert out["small_cell"].tolist() == [False, False, True, False, True]
    assert np.isnan(out.loc[4, "lq_lower"])
    # with a reference of 1,000 jobs, x's 200 reference jobs add 1/200 - 1/1000
    wider = lq_confidence_intervals(lq, reference_total=1000)
    sd = (0.0075 + 1 / 200 - 1 / 1000) ** 0.5
    assert wider.loc[0, "lq_lower"] == pytest.approx(1.25 / np.exp(1.959964 * sd))
    with pytest.raises(ValueError, match=r"alpha must be in \(0, 1\)"):
        lq_confidence_intervals(lq, alpha=5)
    with pytest.raises(ValueError, match="min_count must be >= 0"):
        lq_confidence_intervals(lq, min_count=-1)


def test_eb_lq_by_hand():
    # expected m = E_r * .1 = 1, 1, 50, 50; observed 2, 0, 80, 20; LQs 2, 0, 1.6, .4
    # b = 102 / 102 = 1; spread = (1 + 1 + 50 * .36 * 2) / 102 = 38/102;
    # a = 38/102 - 1/25.5 = 1/3; w = (1/3) / (1/3 + 1/m) = .25 (m 1), .9434 (m 50)
    table = pd.DataFrame(
        {"region_id": list("abcd"), "industry": ["x"] * 4, "employees": [2, 0, 80, 20]}
    )
    lq = location_quotients(
        table,
        region_totals=pd.Series({"a": 10, "b": 10, "c": 500, "d": 500}),
        reference_shares=pd.Series({"x": 0.1}),
    )
    out = smoothed_location_quotients(lq)
    w = (1 / 3) / (1 / 3 + 1 / 50)
    np.testing.assert_allclose(out["eb_weight"], [0.25, 0.25, w, w])
    np.testing.assert_allclose(out["lq_eb"], [1.25, 0.75, 1 + 0.6 * w, 1 - 0.6 * w])


def test_eb_lq_agrees_with_esda_and_shrinks_fully_without_spread():
    from esda.smoothing import Empirical_Bayes

    rng = np.random.default_rng(7)
    totals = rng.integers(20, 5000, size=40)
    jobs = rng.binomial(totals, rng.uniform(0.01, 0.3, size=40))
    table = pd.DataFrame(
        {"region_id": [f"r{i}" for i in range(40)], "industry": "x", "employees": jobs}
    )
    lq = location_quotients(
        table,
        region_totals=pd.Series(totals, index=table["region_id"]),
        reference_shares=pd.Series({"x": 0.1}),
    )
    ours = smoothed_location_quotients(lq)
    expected = totals * 0.1
    np.testing.assert_allclose(ours["lq_eb"], Empirical_Bayes(jobs, expected).r[:, 0])
    # identical LQs: no between-region variance, every region gets the mean
    flat = lq.assign(employees=(totals * 0.1).round(6))
    assert smoothed_location_quotients(flat)["eb_weight"].eq(0).all()


# ------------------------------------------------------------- cluster strength


def test_strong_clusters_by_hand():
    # 8 regions, industry x; totals 100 each, reference share .1 -> LQ = x / 10.
    # x = 5, 10, 15, 20, 25, 30, 35, 40 -> LQs .5 .. 4; top quartile cut
    # (quantile .75, linear) = 3.125 -> the regions with 3.5 and 4
    table = pd.DataFrame(
        {
            "region_id": [f"r{i}" for i in range(8)],
            "industry": "x",
            "employees": [5, 10, 15, 20, 25, 30, 35, 40],
        }
    )
    lq = location_quotients(
        table,
        region_totals=pd.Series(100, index=table["region_id"]),
        reference_shares=pd.Series({"x": 0.1}),
    )
    assert strong_clusters(lq).tolist() == [False] * 6 + [True, True]
    # top half, but at least LQ 3 and 33 jobs: only 35 and 40
    top_half = strong_clusters(lq, top_share=0.5, min_lq=3, min_employment=33)
    assert top_half.tolist() == [False] * 6 + [True, True]
    assert strong_clusters(lq, top_share=0.5).sum() == 4
    with pytest.raises(ValueError, match=r"top_share must be in \(0, 1\]"):
        strong_clusters(lq, top_share=0)


def test_stars_and_strong_clusters_rank_within_each_year():
    # year 1: a holds x; year 2: b does. Each year is ranked on its own.
    table = pd.DataFrame(
        {
            "region_id": ["a", "a", "b", "b"] * 2,
            "industry": ["x", "y"] * 4,
            "year": [1] * 4 + [2] * 4,
            "employees": [90, 10, 10, 90, 10, 90, 90, 10],
        }
    )
    lq = location_quotients(table, by="year")
    stars = star_ratings(lq, by="year")
    strong = strong_clusters(lq, by="year")
    assert stars[lq["industry"].eq("x")].tolist() == [2, 0, 0, 2]
    assert strong[lq["industry"].eq("x")].tolist() == [True, False, False, True]


def test_aggregate_to_clusters_by_hand():
    table = pd.DataFrame(
        {
            "region_id": ["a", "a", "a", "b"],
            "year": [1, 1, 1, 1],
            "industry": ["3131", "3132", "3116", "3131"],
            "employees": [5, 7, 100, 3],
            "firms": [1, 2, 3, 1],
        }
    )
    mapping = pd.Series(
        {
            "3131": "Textile Manufacturing",
            "3132": "Textile Manufacturing",
            "3116": "Livestock Processing",
        }
    )
    out = aggregate_to_clusters(
        table, mapping, keys=["region_id", "year"], values=["employees", "firms"]
    )
    assert out.to_dict("records") == [
        {
            "region_id": "a",
            "year": 1,
            "cluster": "Livestock Processing",
            "employees": 100,
            "firms": 3,
        },
        {
            "region_id": "a",
            "year": 1,
            "cluster": "Textile Manufacturing",
            "employees": 12,
            "firms": 3,
        },
        {
            "region_id": "b",
            "year": 1,
            "cluster": "Textile Manufacturing",
            "employees": 3,
            "firms": 1,
        },
    ]
    with pytest.raises(ValueError, match="more than one cluster"):
        aggregate_to_clusters(table, pd.Series(["A", "B"], index=["3131", "3131"]))
    with pytest.raises(TypeError, match="mapping must be a pandas Series"):
        aggregate_to_clusters(table, {"3131": "A"})


def test_specialisation_indices_per_year(two_by_two):
    table = pd.concat(
        [two_by_two.assign(year=1), two_by_two.assign(year=2, employees=[5, 5, 9, 1])]
    )
    out = specialisation_indices(table, by="year")
    # year 1 as test_specialisation_indices_by_hand; year 2: a .5/.5 -> HHI .5;
    # b .9/.1 -> .82; area x 14/20 = .7: Krugman a |.5-.7| + |.5-.3| = .4
    assert out.loc[(1, "a"), "hhi"] == pytest.approx(0.625)
    assert out.loc[(2, "a"), "hhi"] == pytest.approx(0.5)
    assert out.loc[(2, "b"), "hhi"] == pytest.approx(0.82)
    assert out.loc[(2, "a"), "krugman"] == pytest.approx(0.4)
