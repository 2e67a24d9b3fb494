"""Reading, validating and quarantining interaction data (actors and ties)."""

import pandas as pd
import pytest

from data_sources.interactions import (
    REJECTED_COLUMNS,
    TIE_COLUMNS,
    fill_from_registry,
    read_interactions,
    validate_interactions,
)
from data_sources.study import InteractionsSpec
from geo.ecosystem import ecosystem_measures, member_compliance

ACTORS_CSV = """\ufeffactor_id,name,kind,firm_id,region_id,industry,founded,closed
f1,Mill One,firm,GA-1,13313,3141,1990,
f2, Mill Two ,Firm,GA-2,,3141,2005,2022
u,Dalton State,research,,13313,,1963,
,No Id,firm,,,,2000,
f3,Weird,university,,,,2000,
f1,Mill One again,firm,,,,1990,
f4,Future,firm,,,,19x0,
f5,Zombie,firm,,,,2010,2001
"""
# data rows: 1 f1 ok | 2 f2 ok (kind case, padded name) | 3 u ok | 4 no id
# | 5 unknown kind | 6 duplicate f1 | 7 founded not a year | 8 closed before founded

TIES_CSV = """source,target,tie_type,year,weight,via_coordinator
f1,f2,supply,2020,2.5,false
f2,f1,supply,2020,,
u,f1,joint_project,2021,1,TRUE
f1,f2,supply,2020,1.0,false
f1,f3,supply,2020,1,false
f1,zz,supply,2020,1,false
f1,f1,agreement,2020,1,false
f1,u,loan,2020,1,false
f1,u,agreement,20x0,1,false
f1,u,agreement,2020,-1,false
f1,u,agreement,2020,1,maybe
f2,f1,agreement,2022,1,false
u,f1,agreement,1960,1,false
"""
# data rows: 1 ok | 2 ok (weight empty -> NaN, via empty -> False) | 3 ok (TRUE)
# | 4 repeats row 1 | 5 f3 was quarantined | 6 zz unknown | 7 self-loop
# | 8 unknown type | 9 bad year | 10 negative weight | 11 bad via
# | 12 f2 closed in 2022 | 13 before u (1963) and f1 (1990) were founded


@pytest.fixture
def spec(tmp_path) -> InteractionsSpec:
    (tmp_path / "actors.csv").write_text(ACTORS_CSV, encoding="utf-8")
    (tmp_path / "ties.csv").write_text(TIES_CSV, encoding="utf-8")
    return InteractionsSpec(
        actors=str(tmp_path / "actors.csv"), ties=str(tmp_path / "ties.csv")
    )


def test_every_row_is_kept_or_quarantined_with_its_reason(spec):
    actors, ties, rejected = read_interactions(spec)
    assert list(rejected.columns) == list(REJECTED_COLUMNS)
    bad_actors = rejected[rejected["file"] == spec.actors]
    bad_ties = rejected[rejected["file"] == spec.ties]
    # 8 actor rows = 3 kept + 5 quarantined; 13 tie rows = 3 kept + 10 quarantined
    assert actors["source_row"].tolist() == [1, 2, 3]
    assert bad_actors["source_row"].tolist() == [4, 5, 6, 7, 8]
    assert ties["source_row"].tolist() == [1, 2, 3]
    assert bad_ties["source_row"].tolist() == list(range(4, 14))
    reasons = dict(zip(bad_actors["source_row"], bad_actors["reason"], strict=True))
    assert reasons[4] == "actor_id: empty; every actor needs an id"
    assert reasons[5].startswith("kind: 'university' is not one of ['firm'")
    assert reasons[6] == "actor_id: 'f1' already on row 1; ids must be unique"
    assert reasons[7].startswith("founded: '19x0' is not a year (1000-2200)")
    assert reasons[8] == "closed: 2001 is before founded 2010; fix one of them"
    reasons = dict(zip(bad_ties["source_row"], bad_ties["reason"], strict=True))
    assert reasons[4].startswith("same source, target, tie_type and year as row 1")
    assert reasons[5] == "target: 'f3' was quarantined (actors row 5)"
    assert reasons[6] == "target: 'zz' is not a known actor_id; add the actor"
    assert reasons[7] == "source equals target; a tie joins two actors"
    assert reasons[8].startswith("tie_type: 'loan' is not one of ['supply'")
    assert reasons[9].startswith("year: '20x0' is not a year")
    assert reasons[10].startswith("weight: '-1' is not a number >= 0")
    assert reasons[11].startswith("via_coordinator: 'maybe' is not true/false")
    assert reasons[12] == "year: 2022 is not before source 'f2' closed (2022)"
    # every problem of a row is listed: u was founded in 1963, f1 in 1990
    assert reasons[13] == (
        "year: 1960 is before source 'u' was founded (1963); "
        "year: 1960 is before target 'f1' was founded (1990)"
    )
    # the record is the row as read, so it can be found and fixed
    assert "'19x0'" in bad_actors["record"].iloc[3]


def test_types_and_normalisation(spec):
    actors, ties, _ = read_interactions(spec)
    assert actors["kind"].tolist() == ["firm", "firm", "research"]
    assert actors["name"].tolist() == ["Mill One", "Mill Two", "Dalton State"]
    # empty text is None, not "": a blank region is unknown, not a region ""
    assert actors.loc[1, "region_id"] is None
    assert actors.loc[2, "firm_id"] is None
    assert str(actors["founded"].dtype) == "Int64"
    assert actors["closed"].tolist()[:2] == [pd.NA, 2022]
    assert list(ties.columns) == [*TIE_COLUMNS, "source_row"]
    assert ties["year"].dtype == "int64"
    assert ties["weight"].isna().tolist() == [False, True, False]
    assert ties["via_coordinator"].tolist() == [False, False, True]


def test_valid_output_feeds_the_measures(spec):
    actors, ties, _ = read_interactions(spec)
    members = pd.DataFrame({"cluster_id": "c", "actor_id": ["f1", "f2", "u"]})
    out = ecosystem_measures(actors, ties, members, year=2020).iloc[0]
    # up to 2020 only f1->f2 and f2->f1 (supply): 3 actors, 1 pair
    assert (out["actors"], out["ties"]) == (3.0, 1.0)
    # 2020 sales: f1 2.5 to member f2; f2's row to f1 has no weight -> unknown, left
    # out: the cluster's dependence is 2.5 / 2.5
    assert out["functional_dependence"] == 1.0
    per = member_compliance(actors, ties, members, year=2020)
    assert per["reason"].tolist() == ["", ""]
    assert per["functional_dependence"].isna().tolist() == [False, True]


def test_optional_columns_may_be_absent():
    actors = pd.DataFrame({"actor_id": ["a", "b"], "kind": ["firm", "support"]})
    ties = pd.DataFrame(
        {"source": ["a"], "target": ["b"], "tie_type": ["membership"], "year": ["2020"]}
    )
    a, t, rejected = validate_interactions(actors, ties)
    assert rejected.empty
    assert a["founded"].isna().all() and "closed" not in a.columns
    assert t["weight"].isna().all() and not t["via_coordinator"].any()


def test_missing_files_and_columns(tmp_path):
    (tmp_path / "a.csv").write_text("actor_id,type\nf1,firm\n", encoding="utf-8")
    (tmp_path / "t.csv").write_text("source,target,tie_type,year\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"column\(s\) \['kind'\] not found"):
        read_interactions(
            InteractionsSpec(
                actors=str(tmp_path / "a.csv"), ties=str(tmp_path / "t.csv")
            )
        )
    with pytest.raises(ValueError, match="interactions.actors: file not found"):
        read_interactions(
            InteractionsSpec(
                actors=str(tmp_path / "none.csv"), ties=str(tmp_path / "t.csv")
            )
        )
    with pytest.raises(ValueError, match=r"ties: column\(s\) \['year'\] not found"):
        validate_interactions(
            pd.DataFrame({"actor_id": [], "kind": []}),
            pd.DataFrame({"source": [], "target": [], "tie_type": []}),
        )


def test_fill_from_registry():
    actors = pd.DataFrame(
        {
            "actor_id": ["A-1", "A-2", "U"],
            "firm_id": ["1", "2", None],
            "region_id": [None, "r9", "r2"],
            "founded": pd.array([None, 2001, 1900], dtype="Int64"),
        }
    )
    firms = pd.DataFrame(
        {
            "firm_id": ["1", "2"],
            "region_id": ["r1", "r1"],
            "founded": pd.array([1990, 1999], dtype="Int64"),
            "closed": pd.array([2019, None], dtype="Int64"),
        }
    )
    before = actors.copy()
    out = fill_from_registry(actors, firms)
    pd.testing.assert_frame_equal(actors, before)
    # A-1 takes everything from firm 1; A-2 keeps its own region and founding
    # year (the actors file wins) and gets no closing year; U is not linked
    assert out["region_id"].tolist() == ["r1", "r9", "r2"]
    assert out["founded"].tolist() == [1990, 2001, 1900]
    assert out["closed"].tolist() == [2019, pd.NA, pd.NA]
    with pytest.raises(ValueError, match=r"repeats firm_id\(s\) \['1'\]"):
        fill_from_registry(actors, pd.concat([firms, firms.head(1)]))
    with pytest.raises(ValueError, match="firms has no firm_id column"):
        fill_from_registry(actors, firms.drop(columns="firm_id"))
