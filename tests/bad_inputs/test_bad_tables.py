"""Bad regional statistics and interaction files: clear errors naming the file, the
line or value and the fix; bad interaction rows quarantined and counted."""

import pandas as pd
import pytest
from conftest import TALLY, assert_our_error, tally_case

from data_sources.interactions import read_interactions
from data_sources.statistics import read_statistics
from data_sources.study import InteractionsSpec, StatisticsSpec

STATS = "region_id,population,total_employment\n"


@pytest.mark.parametrize(
    ("data", "match"),
    [
        pytest.param(
            b"",
            r"stats\.csv: the file is empty; expected a header line",
            id="empty-file",
        ),
        pytest.param(
            STATS,
            r"stats\.csv: the file has a header but no rows",
            id="header-only",
        ),
        pytest.param(
            STATS + "r1,10,5\nr2,10,5,7,8\n",
            r"stats\.csv: not a well-formed comma-separated file \(Expected 3 fields "
            r"in line 3, saw 5\); check the delimiter",
            id="ragged-row",
        ),
        pytest.param(
            STATS + '"r1,10,5\n',
            r"stats\.csv: not a well-formed comma-separated file \(EOF inside string",
            id="unclosed-quote",
        ),
        pytest.param(
            (STATS + "Пермь,10,5\n").encode("cp1251"),
            r"stats\.csv: not UTF-8 text \(invalid continuation byte at byte \d+\); "
            r"save it as UTF-8",
            id="wrong-encoding",
        ),
        pytest.param(
            STATS.replace(",", ";") + "r1;10;5\n",
            r"stats\.csv: column\(s\) \['region_id', 'population', "
            r"'total_employment'\] not found.*probably not comma-separated",
            id="wrong-delimiter",
        ),
        pytest.param(
            "GEOID,population,total_employment\nr1,10,5\n",
            r"stats\.csv: column\(s\) \['region_id'\] not found; the file has "
            r"\['GEOID', 'population', 'total_employment'\]\. Name the columns",
            id="renamed-id-column",
        ),
        pytest.param(
            STATS + "r1,-10,5\n",
            r"'population' must be non-negative numbers; 1 row\(s\) are not, first: "
            r"\[\{'region_id': 'r1', 'population': -10",
            id="negative-population",
        ),
        pytest.param(
            STATS + "r1,inf,5\n",
            r"'population' must be non-negative numbers.*inf",
            id="infinite-population",
        ),
        pytest.param(
            STATS + "r1,10,many\n",
            r"'total_employment' must be non-negative numbers.*'many'",
            id="text-employment",
        ),
        pytest.param(
            STATS + "r1,10,5\nr1,11,6\n",
            r"stats\.csv: region id\(s\) \['r1'\] appear twice for 2024",
            id="duplicate-region",
        ),
        pytest.param(
            "region_id,year,population,total_employment\nr1,2019,10,5\n",
            r"stats\.csv: no rows for year 2024; set statistics\.year",
            id="year-missing",
        ),
        pytest.param(
            "region_id,year,population,total_employment\nr1,last,10,5\n",
            r"stats\.csv: 'year' must be whole years; 1 row\(s\) are not.*'last'",
            id="text-year",
        ),
    ],
)
def test_bad_statistics_are_a_clear_error(write, data, match):
    path = write("stats.csv", data)
    with pytest.raises(ValueError, match=match) as excinfo:
        read_statistics(StatisticsSpec(path=str(path)), year=2024)
    assert_our_error(excinfo, file=path)


def test_statistics_with_leading_zero_ids_keep_them(write):
    path = write("stats.csv", STATS + "01001,10,5\n")
    stats = read_statistics(StatisticsSpec(path=str(path)), year=2024)
    assert stats["region_id"].tolist() == ["01001"]
    tally_case()


ACTORS = "actor_id,kind,founded\nf1,firm,1990\nf2,firm,2000\nu,research,\n"
TIES = "source,target,tie_type,year\nf1,u,joint_project,2020\n"


@pytest.mark.parametrize(
    ("actors", "ties", "match"),
    [
        pytest.param(
            b"",
            TIES,
            r"interactions\.actors: .*actors\.csv: the file is empty; expected a "
            r"header line with the columns \['actor_id', 'kind'\]",
            id="empty-actors",
        ),
        pytest.param(
            ACTORS,
            TIES + "f1,u,supply,2021,1,true,surplus\n",
            r"interactions\.ties: .*ties\.csv: not a well-formed comma-separated file "
            r"\(Expected 4 fields in line 3, saw 7\)",
            id="ragged-ties",
        ),
        pytest.param(
            ("actor_id,kind,name\nf1,firm,Пермь\n").encode("cp1251"),
            TIES,
            r"interactions\.actors: .*actors\.csv: not UTF-8 text",
            id="wrong-encoding",
        ),
        pytest.param(
            ACTORS.replace(",", ";"),
            TIES,
            r"actors\.csv: column\(s\) \['actor_id', 'kind'\] not found.*probably "
            r"not comma-separated",
            id="wrong-delimiter",
        ),
        pytest.param(
            ACTORS,
            "from,to,tie_type,year\nf1,u,supply,2020\n",
            r"ties\.csv: column\(s\) \['source', 'target'\] not found; the file has "
            r"\['from', 'to', 'tie_type', 'year'\]",
            id="renamed-columns",
        ),
    ],
)
def test_bad_interaction_files_are_a_clear_error(write, actors, ties, match):
    spec = InteractionsSpec(
        actors=str(write("actors.csv", actors)), ties=str(write("ties.csv", ties))
    )
    with pytest.raises(ValueError, match=match) as excinfo:
        read_interactions(spec)
    assert_our_error(excinfo)


def test_header_only_interactions_give_empty_tables(write):
    spec = InteractionsSpec(
        actors=str(write("a.csv", "actor_id,kind\n")),
        ties=str(write("t.csv", "source,target,tie_type,year\n")),
    )
    actors, ties, rejected = read_interactions(spec)
    assert len(actors) == len(ties) == len(rejected) == 0
    tally_case()


def test_bad_interaction_rows_are_quarantined_and_counted(write):
    actors = ACTORS + "f1,firm,1995\nx,alien,\n"
    ties = (
        TIES
        + "f1,ghost,supply,2020\n"  # unknown actor
        + "f1,x,supply,2020\n"  # an actor that was quarantined
        + "f1,f2,loan,2020\n"  # tie type not in the list
        + "f1,f2,supply,twenty\n"  # year
        + "f1,f2,supply,1980\n"  # before f1 was founded
        + "f1,f1,supply,2020\n"  # a loop
        + "f1,u,joint_project,2020\n"  # repeats row 1
        + "f1,f2,supply,2021\n"  # fine
    )
    spec = InteractionsSpec(
        actors=str(write("a.csv", actors)), ties=str(write("t.csv", ties))
    )
    valid_actors, valid_ties, rejected = read_interactions(spec)
    n_actors, n_ties = actors.count("\n") - 1, ties.count("\n") - 1
    by_file = rejected.groupby(rejected["file"].str.endswith("t.csv"))
    assert len(valid_actors) + len(by_file.get_group(False)) == n_actors
    assert len(valid_ties) + len(by_file.get_group(True)) == n_ties, "rows lost"
    reasons = dict(
        zip(
            rejected["file"].str[-5:] + ":" + rejected["source_row"].astype(str),
            rejected["reason"],
            strict=True,
        )
    )
    assert reasons["a.csv:4"] == "actor_id: 'f1' already on row 1; ids must be unique"
    assert reasons["a.csv:5"].startswith("kind: 'alien' is not one of")
    assert (
        reasons["t.csv:2"] == "target: 'ghost' is not a known actor_id; add the actor"
    )
    assert reasons["t.csv:3"] == "target: 'x' was quarantined (actors row 5)"
    assert reasons["t.csv:4"].startswith("tie_type: 'loan' is not one of")
    assert reasons["t.csv:5"].startswith("year: 'twenty' is not a year")
    assert reasons["t.csv:6"] == (
        "year: 1980 is before source 'f1' was founded (1990); "
        "year: 1980 is before target 'f2' was founded (2000)"
    )
    assert reasons["t.csv:7"] == "source equals target; a tie joins two actors"
    assert reasons["t.csv:8"].startswith(
        "same source, target, tie_type and year as row 1"
    )
    assert valid_ties["source_row"].tolist() == [1, 9]
    TALLY["quarantined_rows"] += len(rejected)
    tally_case()


def test_statistics_do_not_drop_rows_silently(write):
    path = write("stats.csv", STATS + "r1,10,5\nr2,0,0\n r3 ,7,1\n")
    stats = read_statistics(StatisticsSpec(path=str(path)), year=2024)
    assert stats["region_id"].tolist() == ["r1", "r2", "r3"]
    assert isinstance(stats, pd.DataFrame)
    tally_case()
