"""Known-value tests of geo.ecosystem on hand-built interaction networks."""

import math

import numpy as np
import pandas as pd
import pytest

from geo.ecosystem import (
    COMPLIANCE_COLUMNS,
    ECOSYSTEM_COLUMNS,
    FUNCTIONAL_DEPENDENCE_PRIORITY_TERRITORIES,
    FUNCTIONAL_DEPENDENCE_RUSSIA,
    NETWORK_MEASURES,
    RATE_COLUMNS,
    EntryRules,
    _as_code,
    _codes,
    actor_reputation,
    cluster_members,
    ecosystem_measures,
    entry_exit_rates,
    member_compliance,
)


def _ties(rows):
    """Ties from (source, target, tie_type, year[, via_coordinator]) tuples."""
    rows = [r if len(r) == 5 else (*r, False) for r in rows]
    return pd.DataFrame(
        rows, columns=["source", "target", "tie_type", "year", "via_coordinator"]
    ).assign(weight=1.0)


def _weighted_ties(rows):
    """Ties from (source, target, tie_type, year, weight) tuples."""
    frame = pd.DataFrame(
        rows, columns=["source", "target", "tie_type", "year", "weight"]
    )
    return frame.assign(via_coordinator=False)


def _actors(rows):
    """Actors from (actor_id, kind, region_id, industry, founded) tuples."""
    frame = pd.DataFrame(
        rows, columns=["actor_id", "kind", "region_id", "industry", "founded"]
    )
    return frame.assign(name=frame["actor_id"], firm_id=None)


def _members(cluster_id, ids):
    return pd.DataFrame({"cluster_id": cluster_id, "actor_id": list(ids)})


@pytest.fixture
def triangle_pendant():
    """Triangle A-B-C plus pendant D on C; E is a non-member partner of A.

    A, B, D: firms of industry 3141 in r1; C: research body in r2;
    E: firm of industry 9999 in r3.
    Tie rows (directed as written):
      A->B supply 2014, B->A joint_project 2015, B->C co_patent 2015,
      C->A agreement 2015 (via coordinator), C->D group_link 2016, A->E supply 2015,
      plus A->B supply 2017 (after the analysis year 2016: ignored everywhere).
    """
    actors = _actors(
        [
            ("A", "firm", "r1", "3141", 2000),
            ("B", "firm", "r1", "3141", 1990),
            ("C", "research", "r2", None, 1950),
            ("D", "firm", "r1", "3141", 2010),
            ("E", "firm", "r3", "9999", 2015),
        ]
    )
    ties = _ties(
        [
            ("A", "B", "supply", 2014),
            ("B", "A", "joint_project", 2015),
            ("B", "C", "co_patent", 2015),
            ("C", "A", "agreement", 2015, True),
            ("C", "D", "group_link", 2016),
            ("A", "E", "supply", 2015),
            ("A", "B", "supply", 2017),
        ]
    )
    return actors, ties, _members("c1", "ABCD")


def test_triangle_pendant_by_hand(triangle_pendant):
    actors, ties, members = triangle_pendant
    before = (actors.copy(), ties.copy(), members.copy())
    out = ecosystem_measures(actors, ties, members, year=2016)
    r = out.iloc[0]
    # inputs untouched
    for a, b in zip(before, (actors, ties, members), strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert list(out.columns) == ["cluster_id", *ECOSYSTEM_COLUMNS, "notes"]
    # no supply tie in 2016 and no closing years: those measures are NaN, said so
    assert r["notes"] == (
        "functional_dependence: no member firm has weighted supply ties in 2016; "
        "entry_rate: actors have no closed column (closing years); "
        "exit_rate: actors have no closed column (closing years)"
    )
    for m in ("functional_dependence", "entry_rate", "exit_rate"):
        assert math.isnan(r[m]), m
    assert (r["actors"], r["member_firms"], r["ties"]) == (4.0, 3.0, 4.0)
    # 4 distinct pairs (AB, BC, AC, CD) of 4*3/2 = 6 possible; mean degree 2*4/4
    assert r["tie_density"] == pytest.approx(4 / 6)
    assert r["mean_degree"] == pytest.approx(2.0)
    # local clustering A 1, B 1, C 1/3 (of AB, AD, BD only AB), D 0 -> 7/12
    assert r["clustering"] == pytest.approx(7 / 12)
    # degrees A2 B2 C3 D1: sum(3 - d) = 1+1+0+2 = 4; star maximum (n-1)(n-2) = 6
    assert r["non_hierarchy"] == pytest.approx(1 - 4 / 6)
    # directed edges A->B, B->A, B->C, C->A, C->D: 2 of 5 reciprocated
    assert r["reciprocity"] == pytest.approx(2 / 5)
    # only AB is tied in two distinct years (2014, 2015): 1 of 4 pairs
    assert r["persistence"] == pytest.approx(1 / 4)
    # BC, AC, CD join a firm and a research body; AB is firm-firm, same industry
    assert r["intersectoral_share"] == pytest.approx(3 / 4)
    # pairs touching members: AB (r1-r1), BC, AC, CD, AE (all cross-region) -> 4/5
    assert r["interregional_share"] == pytest.approx(4 / 5)
    # CD is a group link -> 3 of 4 pairs are not
    assert r["non_group_share"] == pytest.approx(3 / 4)
    # AB has a joint project, BC a co-patent -> 2 of 4 pairs
    assert r["joint_work_share"] == pytest.approx(2 / 4)
    # A and B have cooperation ties to members; D only a group link -> 2 of 3 firms
    assert r["entry_rule_compliance"] == pytest.approx(2 / 3)
    # 5 member-member rows up to 2016; C->A went via the coordinator -> 4/5
    assert r["coordinator_free_share"] == pytest.approx(4 / 5)
    # reputation = mean of age, continuity, joint work (test_reputation_of_the_fixture)
    # and compliance (A, B comply: 1; D: 0; C is not a firm: no signal), in 30ths:
    # A (16 + 12 + 6 + 30) / 4 = 16; B (26 + 12 + 12 + 30) / 4 = 20;
    # C (30 + 12 + 6) / 3 = 16; D (6 + 6 + 0 + 0) / 4 = 3 -> sum 55/30, mean 55/120
    assert r["reputation_mean"] == pytest.approx(55 / 120)
    # top ceil(0.1 * 4) = 1 actor: B holds 20 of 55
    assert r["anchor_reputation_share"] == pytest.approx(20 / 55)
    # kinds 3 firm + 1 research: H = -(.75 ln .75 + .25 ln .25) / ln 5
    h = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25)) / math.log(5)
    assert r["composition_diversity"] == pytest.approx(h)
    assert r["composition_diversity"] == pytest.approx(0.34940, abs=1e-5)
    assert (r["research_share"], r["government_share"]) == (0.25, 0.0)
    assert (r["firm_share"], r["finance_share"], r["support_share"]) == (0.75, 0, 0)


def test_reputation_of_the_fixture(triangle_pendant):
    actors, ties, _ = triangle_pendant
    rep = actor_reputation(actors, ties, year=2016)
    # A: age 16/30; tie years 2014, 2015 -> 2/5; 1 joint tie (B->A) -> 1/5
    # B: age 26/30; 2014, 2015 -> 2/5; joint B->A and co-patent B->C -> 2/5
    # C: age 1 (66 years); 2015, 2016 -> 2/5; co-patent -> 1/5
    # D: age 6/30; 2016 -> 1/5; no joint work
    # E: age 1/30; 2015 -> 1/5; none.  The 2017 tie is after the year: ignored.
    expected = {
        "A": (16 / 30 + 0.4 + 0.2) / 3,
        "B": (26 / 30 + 0.4 + 0.4) / 3,
        "C": (1 + 0.4 + 0.2) / 3,
        "D": (0.2 + 0.2 + 0) / 3,
        "E": (1 / 30 + 0.2 + 0) / 3,
    }
    assert rep.name == "reputation"
    assert rep.index.tolist() == list("ABCDE")
    np.testing.assert_allclose(rep.to_numpy(), list(expected.values()))
    assert rep["A"] == pytest.approx(34 / 90)


def test_reputation_of_two_actors_by_hand():
    actors = _actors(
        [("x", "firm", "r1", "1", 2001), ("y", "finance", "r1", None, None)]
    )
    ties = _ties(
        [
            ("x", "y", "joint_project", 2016),
            ("y", "x", "co_patent", 2015),
            ("x", "y", "supply", 2010),  # before the 5-year window 2012-2016
            ("x", "y", "joint_project", 2017),  # after the analysis year
        ]
    )
    rep = actor_reputation(actors, ties, year=2016)
    # x: age 15/30 = 0.5; active 2015, 2016 -> 0.4; 2 joint ties -> 0.4: mean 1.3/3
    # y: founded unknown -> age left out; continuity 0.4, joint 0.4: mean 0.4
    assert rep["x"] == pytest.approx(1.3 / 3)
    assert rep["y"] == pytest.approx(0.4)


def test_reputation_caps_and_future_founding():
    actors = _actors([("old", "firm", "r", "1", 1900), ("new", "firm", "r", "1", 2020)])
    ties = _ties([("old", "new", "joint_project", y) for y in range(2010, 2017)])
    rep = actor_reputation(actors, ties, year=2016)
    # old: age capped at 1, active all 5 window years -> 1, 7 joint ties capped -> 1
    # new: founded after the year -> age 0; continuity 1, joint 1 -> 2/3
    assert rep["old"] == pytest.approx(1.0)
    assert rep["new"] == pytest.approx(2 / 3)


def test_coordinator_ids_make_ties_not_free(triangle_pendant):
    actors, ties, members = triangle_pendant
    out = ecosystem_measures(actors, ties, members, year=2016, coordinator_ids=["D"])
    # C->A via the coordinator and C->D touching coordinator D: 3 of 5 rows free
    assert out.loc[0, "coordinator_free_share"] == pytest.approx(3 / 5)


def test_entry_rule_is_a_parameter(triangle_pendant):
    actors, ties, members = triangle_pendant

    def share(**rules):
        out = ecosystem_measures(
            actors, ties, members, year=2016, entry_rules=EntryRules(**rules)
        )
        return out.loc[0, "entry_rule_compliance"]

    # cooperation rows: A in A->B, B->A, C->A (3); B in A->B, B->A, B->C (3); D none
    assert share(min_cooperation_ties=3) == pytest.approx(2 / 3)
    assert share(min_cooperation_ties=4) == 0.0
    # supply A->B counts for A and B, group link C->D for D -> all 3 firms
    assert share(cooperation_types=("supply", "group_link")) == pytest.approx(1.0)
    # no supply tie in 2016: nobody can show functional dependence -> 0 comply
    assert share(min_functional_dependence=0.1) == 0.0


def test_year_filters_ties(triangle_pendant):
    actors, ties, members = triangle_pendant
    r = ecosystem_measures(actors, ties, members, year=2014).iloc[0]
    # only A->B 2014 exists: 1 pair, tied in one year
    assert r["ties"] == 1.0
    assert r["persistence"] == 0.0
    assert r["tie_density"] == pytest.approx(1 / 6)


def _edges_cluster(edges, n, kind="firm"):
    ids = [f"a{i}" for i in range(n)]
    actors = _actors([(a, kind, "r1", "1", 2000) for a in ids])
    ties = _ties([(f"a{u}", f"a{v}", "supply", 2015) for u, v in edges])
    return actors, ties, _members("c", ids)


def test_star_graph_is_fully_hierarchical():
    # centre a0 with 4 leaves: sum(4 - d) = 4 * 3 = 12 = (n-1)(n-2) -> centralisation 1
    actors, ties, members = _edges_cluster([(0, i) for i in range(1, 5)], 5)
    r = ecosystem_measures(actors, ties, members, year=2016).iloc[0]
    assert r["non_hierarchy"] == pytest.approx(0.0)
    assert r["clustering"] == 0.0  # no triangles in a star
    assert r["reciprocity"] == 0.0


def test_complete_graph_is_not_hierarchical():
    # K4: every degree 3, so sum(d_max - d) = 0; density 1, clustering 1
    edges = [(u, v) for u in range(4) for v in range(4) if u < v]
    actors, ties, members = _edges_cluster(edges, 4)
    r = ecosystem_measures(actors, ties, members, year=2016).iloc[0]
    assert r["non_hierarchy"] == pytest.approx(1.0)
    assert r["tie_density"] == pytest.approx(1.0)
    assert r["clustering"] == pytest.approx(1.0)


def test_five_kinds_equally_give_full_diversity():
    kinds = ["firm", "research", "government", "finance", "support"]
    actors = _actors([(k, k, "r1", None, 2000) for k in kinds])
    ties = _ties([("firm", k, "agreement", 2016) for k in kinds[1:]])
    r = ecosystem_measures(actors, ties, _members("c", kinds), year=2016).iloc[0]
    # entropy ln 5 / ln 5
    assert r["composition_diversity"] == pytest.approx(1.0)
    assert r["research_share"] == pytest.approx(0.2)
    assert r["government_share"] == pytest.approx(0.2)


def test_single_kind_has_zero_diversity():
    actors, ties, members = _edges_cluster([(0, 1), (1, 2)], 3)
    r = ecosystem_measures(actors, ties, members, year=2016).iloc[0]
    assert r["composition_diversity"] == 0.0
    assert not math.copysign(1.0, r["composition_diversity"]) < 0  # no -0.0


def test_two_actor_cluster_gives_nan_with_notes():
    actors, ties, members = _edges_cluster([(0, 1)], 2)
    r = ecosystem_measures(actors, ties, members, year=2016).iloc[0]
    assert (r["actors"], r["ties"]) == (2.0, 1.0)
    for m in NETWORK_MEASURES:
        assert math.isnan(r[m]), m
        assert f"{m}: fewer than 3 actors" in r["notes"]
    # actor measures are still computed
    assert r["composition_diversity"] == 0.0
    assert not math.isnan(r["reputation_mean"])


def test_no_ties_among_members_is_nan_not_zero():
    actors, _, members = _edges_cluster([], 3)
    ties = _ties([])
    r = ecosystem_measures(actors, ties, members, year=2016).iloc[0]
    assert (r["ties"], r["tie_density"], r["clustering"]) == (0.0, 0.0, 0.0)
    for m in ("persistence", "reciprocity", "non_hierarchy", "intersectoral_share"):
        assert math.isnan(r[m])
        assert f"{m}: no ties among members" in r["notes"]
    assert "interregional_share: members have no ties" in r["notes"]
    # no ties: every reputation is (16/30 + 0 + 0 + 0) / 4 (age, continuity, joint
    # work, compliance: no cooperation tie -> 0), all equal, so the top ceil(0.3) = 1
    # actor holds a third
    assert r["anchor_reputation_share"] == pytest.approx(1 / 3)


def test_cluster_ids_add_rows_for_empty_clusters(triangle_pendant):
    actors, ties, members = triangle_pendant
    out = ecosystem_measures(
        actors, ties, members, year=2016, cluster_ids=["empty", "c1"]
    )
    assert out["cluster_id"].tolist() == ["empty", "c1"]
    assert out.loc[0, "actors"] == 0.0
    assert math.isnan(out.loc[0, "reputation_mean"])
    assert "reputation_mean: no member actors active in 2016" in out.loc[0, "notes"]
    with pytest.raises(ValueError, match=r"cluster id\(s\) \['c1'\] that are not in"):
        ecosystem_measures(actors, ties, members, year=2016, cluster_ids=["x"])


def test_unknown_region_left_out_of_interregional(triangle_pendant):
    actors, ties, members = triangle_pendant
    actors = actors.assign(region_id=["r1", "r1", "r2", "r1", None])
    r = ecosystem_measures(actors, ties, members, year=2016).iloc[0]
    # AE has an end without region: 3 cross-region of the 4 other pairs
    assert r["interregional_share"] == pytest.approx(3 / 4)


def test_cluster_members_rule():
    actors = _actors(
        [
            ("f1", "firm", "r1", "3141", 2000),
            ("f2", "firm", "r2", "3141", 2000),
            ("f3", "firm", "r9", "3141", 2000),  # right industry, wrong region
            ("f4", "firm", "r1", "5000", 2000),  # right region, wrong industry
            ("u", "research", "r9", None, 2000),  # tied to f1 and f2 -> member
            ("bank", "finance", "r9", None, 2000),  # tied to f1 only -> not
            ("g", "government", "r1", None, 2000),  # located in r1 -> member
            ("late", "support", "r1", None, 2020),  # founded after the year
            ("f5", "firm", "r9", "5000", 2000),  # firms never join through ties
        ]
    )
    ties = _ties(
        [
            ("u", "f1", "joint_project", 2015),
            ("f2", "u", "supply", 2016),
            ("bank", "f1", "agreement", 2015),
            ("bank", "f1", "agreement", 2016),
            ("f5", "f1", "supply", 2015),
            ("f5", "f2", "supply", 2015),
            ("bank", "f2", "agreement", 2018),  # after the year
        ]
    )
    spec = {"c1": ("3141", {"r1", "r2"}), "c2": (5000, ["r1"])}
    m = cluster_members(actors, ties, spec, year=2016)
    assert m[m["cluster_id"] == "c1"]["actor_id"].tolist() == ["f1", "f2", "g", "u"]
    assert m[m["cluster_id"] == "c2"]["actor_id"].tolist() == ["f4", "g"]
    # without a year, the 2018 tie makes the bank a partner of 2 firms
    m_all = cluster_members(actors, ties, spec)
    c1 = m_all[m_all["cluster_id"] == "c1"]["actor_id"].tolist()
    assert c1 == ["bank", "f1", "f2", "g", "late", "u"]


def test_cluster_members_bad_spec():
    actors = _actors([("f1", "firm", "r1", "1", 2000)])
    with pytest.raises(TypeError, match=r"must be \(industry, region_ids\)"):
        cluster_members(actors, _ties([]), {"c": ("1", "r1")})
    with pytest.raises(TypeError, match="must be a mapping"):
        cluster_members(actors, _ties([]), [("1", {"r1"})])
    with pytest.raises(ValueError, match="min_member_firm_partners"):
        cluster_members(
            actors, _ties([]), {"c": ("1", {"r1"})}, min_member_firm_partners=0
        )


def test_bad_networks_are_refused(triangle_pendant):
    actors, ties, members = triangle_pendant
    with pytest.raises(ValueError, match=r"missing column\(s\) \['kind'\]"):
        ecosystem_measures(actors.drop(columns="kind"), ties, members, year=2016)
    with pytest.raises(TypeError, match="must be a pandas DataFrame"):
        ecosystem_measures(actors.to_dict(), ties, members, year=2016)
    with pytest.raises(ValueError, match=r"unknown value\(s\) \['university'\]"):
        ecosystem_measures(actors.assign(kind="university"), ties, members, year=2016)
    with pytest.raises(ValueError, match=r"duplicated actor_id\(s\): \['A'\]"):
        ecosystem_measures(
            pd.concat([actors, actors.head(1)]), ties, members, year=2016
        )
    with pytest.raises(ValueError, match=r"tie_type has unknown value\(s\) \['loan'\]"):
        ecosystem_measures(actors, ties.assign(tie_type="loan"), members, year=2016)
    with pytest.raises(ValueError, match="source equals target"):
        ecosystem_measures(
            actors, ties.assign(target=ties["source"]), members, year=2016
        )
    with pytest.raises(ValueError, match=r"not in actors: \['Z'\]"):
        ecosystem_measures(actors, ties.assign(target="Z"), members, year=2016)
    with pytest.raises(ValueError, match="ties.year has 1 empty"):
        ecosystem_measures(
            actors, ties.assign(year=[None, *ties["year"][1:]]), members, year=2016
        )
    with pytest.raises(ValueError, match="via_coordinator must be True or False"):
        ecosystem_measures(
            actors, ties.assign(via_coordinator="yes"), members, year=2016
        )
    with pytest.raises(ValueError, match="founded has 1 value"):
        ecosystem_measures(
            actors.assign(founded=["old", 1990, 1950, 2010, 2015]),
            ties,
            members,
            year=2016,
        )
    with pytest.raises(ValueError, match=r"members lists 1 actor id\(s\) not in"):
        ecosystem_measures(actors, ties, _members("c", ["A", "Q"]), year=2016)
    with pytest.raises(ValueError, match=r"members has 1 empty cluster_id\(s\)"):
        ecosystem_measures(
            actors, ties, members.assign(cluster_id=["c1", None, "c1", "c1"]), year=2016
        )
    with pytest.raises(ValueError, match="actors.actor_id has 1 empty id"):
        ecosystem_measures(
            actors.assign(actor_id=["A", "B", "C", "D", None]), ties, members, year=2016
        )


def test_bad_options_are_refused(triangle_pendant):
    actors, ties, members = triangle_pendant
    with pytest.raises(TypeError, match="integer year"):
        ecosystem_measures(actors, ties, members, year="2016")
    with pytest.raises(TypeError, match="not one string"):
        ecosystem_measures(actors, ties, members, year=2016, coordinator_ids="C")
    with pytest.raises(ValueError, match="min_actors must be an integer >= 1"):
        ecosystem_measures(actors, ties, members, year=2016, min_actors=0)
    with pytest.raises(ValueError, match="rate_years must be an integer >= 1"):
        ecosystem_measures(actors, ties, members, year=2016, rate_years=0)
    with pytest.raises(TypeError, match="rules must be an EntryRules; got dict"):
        ecosystem_measures(
            actors, ties, members, year=2016, entry_rules={"min_cooperation_ties": 2}
        )
    with pytest.raises(
        ValueError, match=r"basis must be one of \['registry', 'ties'\]"
    ):
        ecosystem_measures(actors, ties, members, year=2016, rate_basis="census")
    with pytest.raises(ValueError, match=r"anchor_share must be a fraction"):
        ecosystem_measures(actors, ties, members, year=2016, anchor_share=0)


# ---------------------------------------------------------------- entry rules
@pytest.fixture
def supply_chain():
    """Five member firms f1..f5 and research body u; x is a firm outside the cluster.

    Tie rows (source sells to target for supply; weight = volume), analysis year 2020:
      1 f1->f2 supply 2020 w3      2 f1->x supply 2020 w1
      3 f2->f3 supply 2020 w1      4 f2->x supply 2020 w4
      5 f3->x  supply 2020 w2      6 f3->f1 supply 2019 w5 (not in 2020)
      7 u->f1  joint_project 2020  8 f4->f2 joint_project 2018
      9 f5->f1 supply 2020, weight unknown (empty)
    """
    ids = ["f1", "f2", "f3", "f4", "f5", "u", "x"]
    kinds = ["firm"] * 5 + ["research", "firm"]
    actors = _actors(
        [
            (a, k, "r1", "9" if a == "x" else ("1" if k == "firm" else None), 2000)
            for a, k in zip(ids, kinds, strict=True)
        ]
    )
    ties = _weighted_ties(
        [
            ("f1", "f2", "supply", 2020, 3.0),
            ("f1", "x", "supply", 2020, 1.0),
            ("f2", "f3", "supply", 2020, 1.0),
            ("f2", "x", "supply", 2020, 4.0),
            ("f3", "x", "supply", 2020, 2.0),
            ("f3", "f1", "supply", 2019, 5.0),
            ("u", "f1", "joint_project", 2020, 1.0),
            ("f4", "f2", "joint_project", 2018, 1.0),
            ("f5", "f1", "supply", 2020, None),
        ]
    )
    return actors, ties, _members("c", ids[:6])


def test_member_compliance_by_hand(supply_chain):
    actors, ties, members = supply_chain
    before = (actors.copy(), ties.copy(), members.copy())
    out = member_compliance(
        actors,
        ties,
        members,
        year=2020,
        rules=EntryRules(min_functional_dependence=0.2),
    )
    for a, b in zip(before, (actors, ties, members), strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert list(out.columns) == list(COMPLIANCE_COLUMNS)
    # only firms are subject to the rules: u has no row
    assert out["actor_id"].tolist() == ["f1", "f2", "f3", "f4", "f5"]
    # cooperation rows with members: f1 in rows 1, 6, 7, 9; f2 in 1, 3, 8; f3 in 3, 6;
    # f4 in 8; f5 in 9
    assert out["cooperation_ties"].tolist() == [4, 3, 2, 1, 1]
    # 2020 sales: f1 4 of which 3 to members; f2 5 (1); f3 2 (0); f4 none; f5 unknown
    np.testing.assert_allclose(out["supply_out"], [4, 5, 2, np.nan, np.nan])
    np.testing.assert_allclose(out["supply_to_members"], [3, 1, 0, np.nan, np.nan])
    np.testing.assert_allclose(
        out["functional_dependence"], [0.75, 0.2, 0.0, np.nan, np.nan]
    )
    # 0.2 >= 0.2 complies (the minimum is inclusive); unknown dependence fails
    assert out["complies"].tolist() == [True, True, False, False, False]
    assert out["reason"].tolist() == [
        "",
        "",
        "functional dependence 0 < 0.2",
        "functional dependence unknown (no supply ties from it in 2020)",
        "functional dependence unknown (1 supply tie(s) in 2020 without weight)",
    ]


@pytest.mark.parametrize(
    ("rules", "share"),
    [
        ({}, 5 / 5),  # everyone has a cooperation tie
        ({"min_cooperation_ties": 2}, 3 / 5),  # f1, f2, f3
        (
            {"min_functional_dependence": FUNCTIONAL_DEPENDENCE_PRIORITY_TERRITORIES},
            2 / 5,
        ),
        ({"min_functional_dependence": FUNCTIONAL_DEPENDENCE_RUSSIA}, 2 / 5),  # f1, f2
        ({"min_functional_dependence": 0.5}, 1 / 5),  # f1 (0.75)
        ({"min_functional_dependence": 0.2, "min_cooperation_ties": 4}, 1 / 5),  # f1
        ({"cooperation_types": ("joint_project",)}, 3 / 5),  # f1 (7), f2, f4 (8)
    ],
)
def test_entry_rules_change_the_compliant_share(supply_chain, rules, share):
    actors, ties, members = supply_chain
    out = ecosystem_measures(
        actors, ties, members, year=2020, entry_rules=EntryRules(**rules)
    )
    assert out.loc[0, "entry_rule_compliance"] == pytest.approx(share)
    # cluster-level dependence ignores the rules: (3 + 1 + 0) / (4 + 5 + 2) over the
    # firms whose dependence is known
    assert out.loc[0, "functional_dependence"] == pytest.approx(4 / 11)


def test_stricter_rules_never_raise_the_share(supply_chain):
    actors, ties, members = supply_chain
    shares = [
        ecosystem_measures(actors, ties, members, year=2020, entry_rules=rules).loc[
            0, "entry_rule_compliance"
        ]
        for rules in (
            EntryRules(),
            EntryRules(min_functional_dependence=0.1),
            EntryRules(min_functional_dependence=0.5),
            EntryRules(min_functional_dependence=0.5, min_cooperation_ties=5),
        )
    ]
    # 5/5, 2/5, 1/5, 0/5 (f1 has 4 cooperation ties, not 5)
    np.testing.assert_allclose(shares, [1.0, 0.4, 0.2, 0.0])


def test_compliance_feeds_reputation(supply_chain):
    actors, ties, members = supply_chain
    loose = ecosystem_measures(actors, ties, members, year=2020)
    strict = ecosystem_measures(
        actors,
        ties,
        members,
        year=2020,
        entry_rules=EntryRules(min_functional_dependence=0.2),
    )
    # f3, f4, f5 lose their compliance point: 3 firms x (1 - 0) / 4 components,
    # averaged over the 6 members -> the mean falls by 3 / 4 / 6 = 0.125
    drop = loose.loc[0, "reputation_mean"] - strict.loc[0, "reputation_mean"]
    assert drop == pytest.approx(0.125)


def test_no_weights_make_dependence_null_not_zero(supply_chain):
    actors, ties, members = supply_chain
    out = ecosystem_measures(actors, ties.drop(columns="weight"), members, year=2020)
    assert math.isnan(out.loc[0, "functional_dependence"])
    assert (
        "functional_dependence: no member firm has weighted supply ties in 2020"
        in out.loc[0, "notes"]
    )
    per = member_compliance(actors, ties.drop(columns="weight"), members, year=2020)
    assert per["functional_dependence"].isna().all()
    # the default rule has no dependence minimum: everyone still complies
    assert per["complies"].all()


def test_entry_rules_validation():
    assert EntryRules(cooperation_types=["supply"]).cooperation_types == ("supply",)
    with pytest.raises(
        ValueError, match="min_cooperation_ties must be an integer >= 1"
    ):
        EntryRules(min_cooperation_ties=0)
    with pytest.raises(ValueError, match=r"min_functional_dependence must be a share"):
        EntryRules(min_functional_dependence=20)
    with pytest.raises(ValueError, match=r"min_functional_dependence must be a share"):
        EntryRules(min_functional_dependence=0)
    with pytest.raises(ValueError, match="cooperation_types must be a non-empty"):
        EntryRules(cooperation_types=("handshake",))
    with pytest.raises(ValueError, match="not one string"):
        EntryRules(cooperation_types="supply")
    with pytest.raises(TypeError, match="rules must be an EntryRules"):
        member_compliance(*_edges_cluster([(0, 1)], 3), year=2016, rules=("supply",))


def test_bad_weights_are_refused(supply_chain):
    actors, ties, members = supply_chain
    with pytest.raises(ValueError, match=r"ties.weight must be a number >= 0"):
        member_compliance(actors, ties.assign(weight=-1.0), members, year=2020)
    with pytest.raises(ValueError, match=r"ties.weight must be a number >= 0"):
        member_compliance(actors, ties.assign(weight="lots"), members, year=2020)


# ---------------------------------------------------------------- entry, exit
@pytest.fixture
def demography():
    """Firms a..e of one cluster, analysis year 2020.

    founded / closed: a 1990 / -, b 2010 / 2019, c 2018 / -, d 2019 / 2020,
    e unknown / -.  Ties among members: a-b 2016, a-b 2017, a-c 2018, c-d 2019,
    a-c 2020.
    """
    actors = _actors(
        [
            ("a", "firm", "r1", "1", 1990),
            ("b", "firm", "r1", "1", 2010),
            ("c", "firm", "r1", "1", 2018),
            ("d", "firm", "r1", "1", 2019),
            ("e", "firm", "r1", "1", None),
        ]
    ).assign(closed=[None, 2019, None, 2020, None])
    ties = _ties(
        [
            ("a", "b", "agreement", 2016),
            ("a", "b", "agreement", 2017),
            ("a", "c", "agreement", 2018),
            ("c", "d", "agreement", 2019),
            ("a", "c", "agreement", 2020),
        ]
    )
    return actors, ties, _members("c1", "abcde")


def test_entry_exit_rates_registry_by_hand(demography):
    actors, ties, members = demography
    r = entry_exit_rates(actors, ties, members, first_year=2018, last_year=2020)
    assert list(r.columns) == list(RATE_COLUMNS)
    # stock = entered before t, not exited before t; e (founded unknown) left out
    # 2018: a, b in stock; c enters; nobody exits
    # 2019: a, b, c; d enters; b exits (closed 2019)
    # 2020: a, c, d; d exits (closed 2020)
    assert r["stock"].tolist() == [2, 3, 3]
    assert r["entries"].tolist() == [1, 1, 0]
    assert r["exits"].tolist() == [0, 1, 1]
    np.testing.assert_allclose(r["entry_rate"], [1 / 2, 1 / 3, 0])
    np.testing.assert_allclose(r["exit_rate"], [0, 1 / 3, 1 / 3])
    # pooled over 2018-2020 in ecosystem_measures: entries 2 / stock 8, exits 2 / 8
    out = ecosystem_measures(actors, ties, members, year=2020, rate_years=3).iloc[0]
    assert (out["entry_rate"], out["exit_rate"]) == (0.25, 0.25)
    # b and d are closed by 2020: the current cluster is a, c, e
    assert out["actors"] == 3.0


def test_entry_exit_rates_from_ties_by_hand(demography):
    actors, ties, members = demography
    r = entry_exit_rates(
        actors, ties, members, first_year=2018, last_year=2020, basis="ties"
    )
    # first/last tie year: a 2016/2020 (no exit: 2021 is after the data),
    # b 2016/2017 -> exits 2018, c 2018/2020, d 2019/2019 -> exits 2020; e no tie
    # 2018: stock a, b; c enters; b exits.  2019: a, c; d enters.
    # 2020: a, c, d; d exits.
    assert r["stock"].tolist() == [2, 2, 3]
    assert r["entries"].tolist() == [1, 1, 0]
    assert r["exits"].tolist() == [1, 0, 1]
    out = ecosystem_measures(
        actors.drop(columns="closed"),
        ties,
        members,
        year=2020,
        rate_years=3,
        rate_basis="ties",
    ).iloc[0]
    # pooled: 2 entries and 2 exits over a stock of 7
    assert out["entry_rate"] == pytest.approx(2 / 7)
    assert out["exit_rate"] == pytest.approx(2 / 7)


def test_rates_without_closing_years(demography):
    actors, ties, members = demography
    with pytest.raises(ValueError, match="no 'closed' column"):
        entry_exit_rates(
            actors.drop(columns="closed"),
            ties,
            members,
            first_year=2018,
            last_year=2020,
        )
    with pytest.raises(ValueError, match="first_year 2021 is after last_year 2020"):
        entry_exit_rates(actors, ties, members, first_year=2021, last_year=2020)
    with pytest.raises(ValueError, match="basis must be one of"):
        entry_exit_rates(
            actors, ties, members, first_year=2018, last_year=2020, basis="x"
        )
    with pytest.raises(ValueError, match="closed before they were founded"):
        entry_exit_rates(
            actors.assign(closed=[1980, None, None, None, None]),
            ties,
            members,
            first_year=2018,
            last_year=2020,
        )


def test_rates_with_empty_stock_are_null(demography):
    actors, ties, members = demography
    # e alone: its founding year is unknown, so no stock in any year -> NaN, said so
    only_e = ecosystem_measures(
        actors, ties, _members("c1", "e"), year=2020, rate_years=3
    ).iloc[0]
    assert math.isnan(only_e["entry_rate"])
    assert (
        "entry_rate: no member firm with a known entry year active in 2018-2020"
        in only_e["notes"]
    )


# ---------------------------------------------------------------- reputation
def test_reputation_with_compliance_signals(triangle_pendant):
    actors, ties, _ = triangle_pendant
    signal = pd.Series({"A": True, "D": 0.0, "E": np.nan})
    rep = actor_reputation(actors, ties, year=2016, compliance=signal)
    # A: (16/30 + 0.4 + 0.2 + 1) / 4; D: (0.2 + 0.2 + 0 + 0) / 4; B, C, E: unchanged
    assert rep["A"] == pytest.approx((16 / 30 + 1.6) / 4)
    assert rep["D"] == pytest.approx(0.1)
    assert rep["B"] == pytest.approx((26 / 30 + 0.8) / 3)
    assert rep["E"] == pytest.approx((1 / 30 + 0.2) / 3)
    with pytest.raises(ValueError, match=r"not in actors: \['Z'\]"):
        actor_reputation(actors, ties, year=2016, compliance=pd.Series({"Z": 1}))
    with pytest.raises(ValueError, match=r"must be in \[0, 1\]"):
        actor_reputation(actors, ties, year=2016, compliance=pd.Series({"A": 2}))
    with pytest.raises(TypeError, match="must be a pandas Series"):
        actor_reputation(actors, ties, year=2016, compliance={"A": 1})


def test_blank_ids_are_empty_ids(triangle_pendant):
    actors, ties, members = triangle_pendant
    with pytest.raises(ValueError, match="ties.source has 1 empty id"):
        ecosystem_measures(
            actors, ties.assign(source=["", *ties["source"][1:]]), members, year=2016
        )


@pytest.mark.parametrize(
    "values, dtype",
    [
        ([" a1 ", "", None, "b2", "\tc3\n"], "string[pyarrow]"),
        ([" a1 ", "", None, "b2"], "string[python]"),
        ([" a1 ", "", None, np.nan, "b2"], object),
        ([1, "a ", 2.0, None, " ", np.nan, pd.NA, 3.5], object),
        ([3141.0, np.nan, 12.5], "float64"),
        ([1, None, 3], "Int64"),
        (["x", None, " y"], "category"),
    ],
)
def test_ids_and_codes_of_a_column_are_those_of_each_value(values, dtype):
    # _codes takes a shortcut for text columns: it must agree with _as_code
    column = pd.Series(
        values, dtype=dtype, name="id", index=range(10, 10 + len(values))
    )
    codes = _codes(column)
    assert codes.tolist() == [_as_code(v) for v in column]
    assert codes.dtype == object and codes.name == "id"
    assert codes.index.equals(column.index)
