"""Known-value tests of geo.ecosystem on hand-built interaction networks."""

import math

import numpy as np
import pandas as pd
import pytest

from geo.ecosystem import (
    ECOSYSTEM_COLUMNS,
    NETWORK_MEASURES,
    actor_reputation,
    cluster_members,
    ecosystem_measures,
)


def _ties(rows):
    """Ties from (source, target, tie_type, year[, via_coordinator]) tuples."""
    rows = [r if len(r) == 5 else (*r, False) for r in rows]
    return pd.DataFrame(
        rows, columns=["source", "target", "tie_type", "year", "via_coordinator"]
    ).assign(weight=1.0)


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
    assert r["notes"] == ""
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
    # reputation (see test_reputation_of_the_fixture): A 34/90 B 50/90 C 48/90 D 12/90
    assert r["reputation_mean"] == pytest.approx(144 / 90 / 4)
    # top ceil(0.1 * 4) = 1 actor: B holds 50 of 144
    assert r["anchor_reputation_share"] == pytest.approx(50 / 144)
    # kinds 3 firm + 1 research: H = -(.75 ln .75 + .25 ln .25) / ln 5
    h = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25)) / math.log(5)
    assert r["composition_diversity"] == pytest.approx(h)
    assert r["composition_diversity"] == pytest.approx(0.34940, abs=1e-5)
    assert (r["research_share"], r["government_share"]) == (0.25, 0.0)


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
    strict = ecosystem_measures(
        actors, ties, members, year=2016, min_cooperation_ties=3
    )
    # cooperation rows: A in A->B, B->A, C->A (3); B in A->B, B->A, B->C (3); D none
    assert strict.loc[0, "entry_rule_compliance"] == pytest.approx(2 / 3)
    stricter = ecosystem_measures(
        actors, ties, members, year=2016, min_cooperation_ties=4
    )
    assert stricter.loc[0, "entry_rule_compliance"] == 0.0
    loose = ecosystem_measures(
        actors,
        ties,
        members,
        year=2016,
        cooperation_types=("supply", "group_link"),
    )
    # supply A->B counts for A and B, group link C->D for D -> all 3 firms
    assert loose.loc[0, "entry_rule_compliance"] == pytest.approx(1.0)


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
    # no ties: every reputation is the age part only, (16/30 + 0 + 0) / 3, all equal,
    # so the top ceil(0.3) = 1 actor holds a third
    assert r["anchor_reputation_share"] == pytest.approx(1 / 3)


def test_cluster_ids_add_rows_for_empty_clusters(triangle_pendant):
    actors, ties, members = triangle_pendant
    out = ecosystem_measures(
        actors, ties, members, year=2016, cluster_ids=["empty", "c1"]
    )
    assert out["cluster_id"].tolist() == ["empty", "c1"]
    assert out.loc[0, "actors"] == 0.0
    assert math.isnan(out.loc[0, "reputation_mean"])
    assert "reputation_mean: no member actors" in out.loc[0, "notes"]
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
    with pytest.raises(ValueError, match="min_cooperation_ties must be"):
        ecosystem_measures(actors, ties, members, year=2016, min_cooperation_ties=0)
    with pytest.raises(ValueError, match="cooperation_types must be a non-empty"):
        ecosystem_measures(
            actors, ties, members, year=2016, cooperation_types=("handshake",)
        )
    with pytest.raises(ValueError, match=r"anchor_share must be a fraction"):
        ecosystem_measures(actors, ties, members, year=2016, anchor_share=0)
