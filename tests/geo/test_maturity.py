"""Known-value tests of geo.maturity on hand-made cluster tables."""

import math

import numpy as np
import pandas as pd
import pytest

from geo.ecosystem import ecosystem_measures
from geo.maturity import (
    DEFAULT_MATURITY_WEIGHTS,
    MATURITY_GROUPS,
    maturity_index,
    maturity_indicators,
)

ECOSYSTEM_A = {
    "tie_density": 0.15,  # / 0.3 -> 0.5
    "intersectoral_share": 0.5,
    "persistence": 0.5,
    "clustering": 0.5,
    "non_hierarchy": 0.5,
    "entry_rule_compliance": 1.0,
    "coordinator_free_share": 0.6,
    "reputation_mean": 0.4,
    "joint_work_share": 0.2,
    "research_share": 0.2,
    "composition_diversity": 0.6,
}


@pytest.fixture
def two_clusters() -> pd.DataFrame:
    """Cluster a has every indicator; cluster b has no interaction data (NaN)."""
    rows = [
        {"cluster_id": "a", "employment": 10_000, "firms": 100, "mean_lq": 3.0}
        | ECOSYSTEM_A,
        {"cluster_id": "b", "employment": 100, "firms": 10, "mean_lq": 0.8}
        | dict.fromkeys(ECOSYSTEM_A, np.nan),
    ]
    return pd.DataFrame(rows, index=[10, 20])


def test_two_clusters_by_hand(two_clusters):
    before = two_clusters.copy()
    out = maturity_index(two_clusters)
    pd.testing.assert_frame_equal(two_clusters, before)
    assert list(out.columns) == [
        "cluster_id",
        *[f"score_{g}" for g in MATURITY_GROUPS],
        "maturity_index",
        "maturity_stage",
        "strongest_group",
        "weakest_group",
        "maturity_notes",
    ]
    assert out.index.tolist() == [10, 20]
    a, b = out.loc[10], out.loc[20]
    # a: critical mass mean(log10(1e4)/4, log10(100)/2) = 1; specialisation (3-1)/4
    # = 0.5; collaboration mean(0.5 x5) = 0.5; self-organisation mean(1, .6) = 0.8;
    # reputation 0.4; innovation mean(.2, .2) = 0.2; composition 0.6
    expected_a = [1.0, 0.5, 0.5, 0.8, 0.4, 0.2, 0.6]
    np.testing.assert_allclose(
        [a[f"score_{g}"] for g in MATURITY_GROUPS], expected_a, atol=1e-12
    )
    # equal weights: 4.0 / 7 = 0.5714 -> developing (0.4 <= x < 0.6)
    assert a["maturity_index"] == pytest.approx(4.0 / 7)
    assert a["maturity_stage"] == "developing"
    assert (a["strongest_group"], a["weakest_group"]) == ("critical_mass", "innovation")
    assert a["maturity_notes"] == ""
    # b: critical mass mean(2/4, 1/2) = 0.5; LQ 0.8 clips to 0; the other five groups
    # are missing, so the index is mean(0.5, 0) = 0.25 -> emerging
    assert b["score_critical_mass"] == pytest.approx(0.5)
    assert b["score_specialisation"] == 0.0
    assert math.isnan(b["score_collaboration"])
    assert b["maturity_index"] == pytest.approx(0.25)
    assert b["maturity_stage"] == "emerging"
    assert (b["strongest_group"], b["weakest_group"]) == (
        "critical_mass",
        "specialisation",
    )
    assert (
        "index renormalised over 2 of 7 weighted groups; missing: collaboration, "
        "self_organisation, reputation, innovation, composition"
    ) in b["maturity_notes"]
    assert "reputation: missing (reputation_mean NaN)" in b["maturity_notes"]


def test_custom_weights_by_hand(two_clusters):
    out = maturity_index(two_clusters, weights={"critical_mass": 3})
    # a: (3 * 1 + 0.5 + 0.5 + 0.8 + 0.4 + 0.2 + 0.6) / (3 + 6) = 6 / 9 -> mature
    assert out.loc[10, "maturity_index"] == pytest.approx(6 / 9)
    assert out.loc[10, "maturity_stage"] == "mature"
    # b: (3 * 0.5 + 1 * 0) / 4 = 0.375 -> emerging
    assert out.loc[20, "maturity_index"] == pytest.approx(0.375)
    # a zero weight leaves the group out: b becomes critical mass alone
    out0 = maturity_index(two_clusters, weights={"specialisation": 0})
    assert out0.loc[20, "maturity_index"] == pytest.approx(0.5)
    assert out0.loc[20, "weakest_group"] == "critical_mass"
    # the default constant was not changed by the overrides
    assert dict.fromkeys(MATURITY_GROUPS, 1.0) == DEFAULT_MATURITY_WEIGHTS


def test_missing_ecosystem_columns_are_renormalised():
    # no interaction data at all: only critical mass and specialisation exist
    t = pd.DataFrame(
        {"cluster_id": ["x"], "employment": [1000], "firms": [10], "mean_lq": [2.0]}
    )
    r = maturity_index(t).iloc[0]
    # critical mass mean(3/4, 1/2) = 0.625; specialisation 1/4; mean 0.4375
    assert r["maturity_index"] == pytest.approx(0.4375)
    assert r["maturity_stage"] == "developing"
    assert "collaboration: missing (tie_density (column absent)" in r["maturity_notes"]
    assert "missing: collaboration, self_organisation" in r["maturity_notes"]


def test_partial_group_uses_available_indicators(two_clusters):
    t = two_clusters.assign(persistence=[np.nan, np.nan], clustering=[0.9, np.nan])
    r = maturity_index(t).loc[10]
    # collaboration: mean(0.5, 0.5, 0.9, 0.5) of 4 available = 0.6
    assert r["score_collaboration"] == pytest.approx(0.6)
    assert (
        "collaboration: mean of 4 of 5 indicators (persistence NaN)"
        in (r["maturity_notes"])
    )


def test_no_weighted_group_gives_nan_index(two_clusters):
    out = maturity_index(
        two_clusters,
        weights=dict.fromkeys(MATURITY_GROUPS, 0) | {"reputation": 1},
    )
    b = out.loc[20]
    assert math.isnan(b["maturity_index"])
    assert b["maturity_stage"] is None
    assert b["strongest_group"] is None
    assert "maturity_index: no weighted group available" in b["maturity_notes"]
    # a has reputation 0.4 alone -> developing (bound 0.4 inclusive)
    assert out.loc[10, "maturity_index"] == pytest.approx(0.4)
    assert out.loc[10, "maturity_stage"] == "developing"


def test_stage_bounds_are_inclusive():
    # specialisation only; (lq - 1) / 4 lands exactly on each stage's lower bound
    lqs = [1.0, 1.8, 2.6, 3.4, 4.2, 9.0]
    t = pd.DataFrame(
        {
            "cluster_id": list("abcdef"),
            "employment": 1,
            "firms": 1,
            "mean_lq": lqs,
        }
    )
    weights = dict.fromkeys(MATURITY_GROUPS, 0.0) | {"specialisation": 1.0}
    out = maturity_index(t, weights=weights)
    np.testing.assert_allclose(out["maturity_index"], [0, 0.2, 0.4, 0.6, 0.8, 1.0])
    assert out["maturity_stage"].tolist() == [
        "embryonic",
        "emerging",
        "developing",
        "mature",
        "ecosystem",
        "ecosystem",
    ]


def test_indicator_scales():
    t = pd.DataFrame(
        {
            "cluster_id": ["a", "b", "c"],
            "employment": [0, 1_000_000, 10],
            "firms": [0.5, 1000, 1],
            "mean_lq": [0.5, 9.0, 1.4],
            "tie_density": [0.0, 0.9, 0.06],
        }
    )
    ind = maturity_indicators(t)
    # employment: 0 and 1 -> 0 (no mass); 1e6 -> capped at 1; 10 -> 1/4
    np.testing.assert_allclose(ind["employment"], [0.0, 1.0, 0.25])
    np.testing.assert_allclose(ind["firms"], [0.0, 1.0, 0.0])
    np.testing.assert_allclose(ind["mean_lq"], [0.0, 1.0, 0.1])
    np.testing.assert_allclose(ind["tie_density"], [0.0, 1.0, 0.2])
    assert ind["persistence"].isna().all()


def test_weights_validation(two_clusters):
    with pytest.raises(ValueError, match=r"'reputation' must be .* got -1"):
        maturity_index(two_clusters, weights={"reputation": -1})
    with pytest.raises(ValueError, match=r"'innovation' must be a finite.*got nan"):
        maturity_index(two_clusters, weights={"innovation": float("nan")})
    with pytest.raises(ValueError, match="all maturity weights are 0"):
        maturity_index(two_clusters, weights=dict.fromkeys(MATURITY_GROUPS, 0))
    with pytest.raises(
        ValueError, match=r"unknown group\(s\) \['size'\]; valid groups"
    ):
        maturity_index(two_clusters, weights={"size": 1})
    with pytest.raises(TypeError, match="'composition' must be a number"):
        maturity_index(two_clusters, weights={"composition": "high"})
    with pytest.raises(TypeError, match="weights must be a mapping"):
        maturity_index(two_clusters, weights=[1, 2])


def test_bad_tables_are_refused(two_clusters):
    with pytest.raises(TypeError, match="must be a pandas DataFrame"):
        maturity_index(two_clusters.to_dict())
    with pytest.raises(ValueError, match=r"missing column\(s\) \['mean_lq'\]"):
        maturity_index(two_clusters.drop(columns="mean_lq"))
    with pytest.raises(ValueError, match=r"duplicated cluster_id\(s\) \['a'\]"):
        maturity_index(two_clusters.assign(cluster_id=["a", "a"]))
    with pytest.raises(ValueError, match=r"employment must be >= 0; got \[-5.0\]"):
        maturity_index(two_clusters.assign(employment=[-5, 100]))
    with pytest.raises(ValueError, match=r"persistence must be in \[0, 1\]"):
        maturity_index(two_clusters.assign(persistence=[1.5, np.nan]))
    with pytest.raises(ValueError, match="firms has non-numeric"):
        maturity_index(two_clusters.assign(firms=["many", 10]))


def _cluster_network(prefix, edges):
    """5 firms and 1 research body, all in region r1, industry 1, founded 2000."""
    ids = [f"{prefix}{i}" for i in range(5)] + [f"{prefix}u"]
    kinds = ["firm"] * 5 + ["research"]
    actors = pd.DataFrame(
        {
            "actor_id": ids,
            "name": ids,
            "kind": kinds,
            "firm_id": None,
            "region_id": "r1",
            "industry": ["1"] * 5 + [None],
            "founded": 2000,
        }
    )
    ties = pd.DataFrame(
        [(f"{prefix}{u}", f"{prefix}{v}", t, y, False) for u, v, t, y in edges],
        columns=["source", "target", "tie_type", "year", "via_coordinator"],
    )
    return actors, ties, pd.DataFrame({"cluster_id": prefix, "actor_id": ids})


def test_dense_persistent_cluster_scores_above_sparse_group_cluster():
    everyone = list(range(5)) + ["u"]
    pairs = [(u, v) for i, u in enumerate(everyone) for v in everyone[i + 1 :]]
    dense = [(u, v, "supply", y) for u, v in pairs for y in (2014, 2015)]
    dense += [(v, u, "joint_project", 2016) for u, v in pairs]
    sparse = [(0, 1, "group_link", 2016), (0, 2, "group_link", 2016)]
    sparse += [(3, "u", "membership", 2016)]
    nets = [_cluster_network("d", dense), _cluster_network("s", sparse)]
    actors, ties, members = (
        pd.concat([n[i] for n in nets], ignore_index=True) for i in range(3)
    )
    eco = ecosystem_measures(actors, ties, members, year=2016)
    base = pd.DataFrame(
        {"cluster_id": ["d", "s"], "employment": 2000, "firms": 5, "mean_lq": 2.0}
    )
    out = maturity_index(base.merge(eco, on="cluster_id"))
    d, s = out.iloc[0], out.iloc[1]
    assert d["maturity_index"] > s["maturity_index"]
    assert d["score_collaboration"] > s["score_collaboration"]
    assert d["score_self_organisation"] > s["score_self_organisation"]
    # dense: complete graph of 6, every pair in 3 years and reciprocated
    assert eco.loc[0, ["tie_density", "persistence", "reciprocity"]].tolist() == [
        1.0,
        1.0,
        1.0,
    ]
    # sparse: no cooperation ties at all, 2 of 3 pairs are group links
    assert eco.loc[1, "entry_rule_compliance"] == 0.0
    assert eco.loc[1, "non_group_share"] == pytest.approx(1 / 3)
