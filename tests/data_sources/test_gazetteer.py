"""Tests of the offline US ZIP gazetteer."""

import pandas as pd
import pytest

from data_sources.gazetteer import settlements_from_postcodes, us_zip_gazetteer


def test_georgia_zips_have_the_contract_columns():
    ga = us_zip_gazetteer(["GA"])
    assert list(ga.columns) == [
        "postcode",
        "settlement",
        "state",
        "county",
        "lat",
        "lon",
    ]
    # the package has 973 GA ZIPs; 31144 (Kennesaw) and 31169 (Peachtree City) are
    # written with coordinates 0.0000, 0.0000 and are skipped
    assert len(ga) == 971
    assert not ga["postcode"].isin(["31144", "31169"]).any()
    assert ga["postcode"].str.fullmatch(r"\d{5}").all()
    assert ga["postcode"].is_unique
    assert (ga["state"] == "GA").all()
    assert ga["lat"].between(30, 35.1).all() and ga["lon"].between(-86, -80.8).all()
    dalton = ga.set_index("postcode").loc["30720"]
    assert (dalton["settlement"], dalton["county"]) == ("Dalton", "Whitfield County")
    assert dalton["lat"] == pytest.approx(34.7698, abs=0.01)


def test_state_selection_forms():
    one = us_zip_gazetteer("ga")
    assert len(one) == 971
    both = us_zip_gazetteer(("GA", "AL"))
    assert set(both["state"]) == {"GA", "AL"}
    everything = us_zip_gazetteer()
    assert len(everything) > 40_000 and everything["state"].nunique() > 50


def test_returned_frames_are_independent():
    first = us_zip_gazetteer("GA")
    first.loc[0, "settlement"] = "changed"
    assert us_zip_gazetteer("GA").loc[0, "settlement"] != "changed"


def test_bad_states_are_refused():
    with pytest.raises(ValueError, match=r"no ZIP codes for state\(s\) \['XX'\]"):
        us_zip_gazetteer(["GA", "XX"])
    with pytest.raises(TypeError, match="states must be two-letter state codes"):
        us_zip_gazetteer(5)
    with pytest.raises(TypeError, match="states must be two-letter state codes"):
        us_zip_gazetteer(["GA", 13])


def test_georgia_settlements():
    towns = settlements_from_postcodes(us_zip_gazetteer("GA"))
    assert list(towns.columns) == ["state", "settlement", "lat", "lon", "n_postcodes"]
    assert len(towns) == 631
    assert not towns.duplicated(["state", "settlement"]).any()
    assert towns["n_postcodes"].sum() == 971
    atlanta = towns.set_index("settlement").loc["Atlanta"]
    assert atlanta["n_postcodes"] > 50
    assert isinstance(towns, pd.DataFrame)
