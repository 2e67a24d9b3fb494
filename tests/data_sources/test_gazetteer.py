"""Tests of the offline gazetteers: US ZIPs, GeoNames cities, settlement files."""

import numpy as np
import pandas as pd
import pytest

from data_sources.gazetteer import (
    country_codes,
    geonames_gazetteer,
    offline_gazetteers,
    read_settlement_gazetteer,
    read_state_codes,
    settlements_from_postcodes,
    us_zip_gazetteer,
)
from geo.geocode import normalise_place


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


def test_zip_table_is_cached_on_disk_and_rebuilt_when_unreadable(tmp_path, monkeypatch):
    from data_sources import gazetteer

    monkeypatch.setenv("AGGLO_CACHE_DIR", str(tmp_path))
    gazetteer._all_zips.cache_clear()
    try:
        parsed = gazetteer._all_zips()
        (cached,) = tmp_path.glob("us_zips-zipcodes-*.parquet")
        gazetteer._all_zips.cache_clear()
        pd.testing.assert_frame_equal(gazetteer._all_zips(), parsed)
        cached.write_bytes(b"not parquet")  # a torn or foreign file
        gazetteer._all_zips.cache_clear()
        pd.testing.assert_frame_equal(gazetteer._all_zips(), parsed)
        pd.testing.assert_frame_equal(pd.read_parquet(cached), parsed)
    finally:
        gazetteer._all_zips.cache_clear()


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


# --- GeoNames -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def geonames_it_de():
    # 15000: the smallest table of the package, shared with the doctest (cached)
    return geonames_gazetteer(["IT", "de"], min_population=15000)


def test_geonames_cities_with_aliases(geonames_it_de):
    g = geonames_it_de
    assert set(g["state"]) == {"IT", "DE"}
    assert list(g.columns) == [
        "state",
        "settlement",
        "lat",
        "lon",
        "population",
        "admin1",
        "place_id",
        "name",
    ]
    # Rome's Italian name is an alias row with Rome's point and population
    roma = g[(g["settlement"] == "Roma") & (g["name"] == "Rome")]
    assert len(roma) == 1
    assert roma["population"].item() > 2_000_000
    assert roma["lat"].item() == pytest.approx(41.89, abs=0.05)
    # "München" (alias) and "Munchen" (alias) share one key: one row keeps it
    munich = g[g["settlement"].map(normalise_place) == normalise_place("München")]
    assert munich["name"].tolist() == ["Munich"]
    # no airport codes among the aliases
    assert not g["settlement"].isin(["MUC", "ROM"]).any()
    # small places have their main name only
    assert g.loc[g["population"] < 100_000, "settlement"].equals(
        g.loc[g["population"] < 100_000, "name"]
    )


def test_geonames_arguments():
    with pytest.raises(ValueError, match="min_population must be one of"):
        geonames_gazetteer("IT", min_population=100)
    with pytest.raises(
        ValueError, match=r"no GeoNames city for country code\(s\) \['XX'\]"
    ):
        geonames_gazetteer(["XX"], min_population=15000)
    with pytest.raises(
        TypeError, match="countries must be ISO2 country codes such as 'NL'"
    ):
        geonames_gazetteer([1])


def test_country_codes():
    codes = country_codes()
    assert codes["NETHERLANDS"] == "NL"
    assert codes["ENGLAND"] == codes["UNITED KINGDOM"] == codes["GBR"] == "GB"
    assert codes["USA"] == codes["US"] == "US"
    assert codes["GERMANY"] == "DE"


# --- files ----------------------------------------------------------------------------
def _write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def test_read_state_codes(tmp_path):
    path = _write(
        tmp_path / "codes.csv",
        "code,name,short_name\n"
        "42,Кемеровская область - Кузбасс,Кемеровская область - Кузбасс\n"
        "59,Пермский край,Пермский\n",
    )
    codes = read_state_codes(path)
    # the part before " - " is a name too: gazetteers write the short form
    assert codes == {
        "Кемеровская область - Кузбасс": "42",
        "Кемеровская область": "42",
        "Пермский край": "59",
        "Пермский": "59",
    }
    clash = _write(tmp_path / "clash.csv", "code,name\n1,Алтай\n2,Алтай\n")
    with pytest.raises(
        ValueError, match="region name 'Алтай' stands for codes '1' and '2'"
    ):
        read_state_codes(clash, names=["name"])
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['short_name'\]"):
        read_state_codes(clash)
    with pytest.raises(ValueError, match="does not exist"):
        read_state_codes(tmp_path / "nowhere.csv")


PLACES = {"state": "region", "settlement": ["settlement", "city"], "lat": "lat",
          "lon": "lon", "population": "pop", "municipality": "district"}  # fmt: skip


def test_read_settlement_gazetteer_cp1251_semicolons_decimal_commas(tmp_path):
    path = _write(
        tmp_path / "places.csv",
        "region;city;settlement;lat;lon;pop;district\n"
        "Пермский край;Краснокамск;;58,0783;55,7364;53864;Краснокамский район\n"
        "ПЕРМСКИЙ КРАЙ;;Майский;57,9;55,9;;Краснокамский район\n"
        "Пермский край;;Нигде;;;;\n"
        "Нарния;;Кэр-Паравел;1,0;2,0;10;\n",
        encoding="cp1251",
    )
    with pytest.warns(UserWarning) as caught:
        out = read_settlement_gazetteer(
            path, columns=PLACES, state_codes={"Пермский край": "59"},
            encoding="cp1251", delimiter=";", decimal=",",
        )  # fmt: skip
    messages = [str(w.message) for w in caught]
    assert any("have no code in state_codes and keep their name: ['Нарния']" in m
               for m in messages)  # fmt: skip
    assert any("1 of 4 rows" in m and "left out" in m for m in messages)
    assert list(out.columns) == [
        "state",
        "settlement",
        "lat",
        "lon",
        "population",
        "municipality",
        "state_name",
    ]
    # settlement: the settlement column, else the city; the region by code, matched
    # ignoring case; the blank population is NaN; the row without a point is gone
    assert out["settlement"].tolist() == ["Краснокамск", "Майский", "Кэр-Паравел"]
    assert out["state"].tolist() == ["59", "59", "Нарния"]
    assert out["state_name"].tolist() == ["Пермский край", "ПЕРМСКИЙ КРАЙ", "Нарния"]
    assert out["lat"].tolist() == [58.0783, 57.9, 1.0]
    assert out["population"].iloc[0] == 53864 and np.isnan(out["population"].iloc[1])


def test_read_settlement_gazetteer_errors(tmp_path):
    path = _write(tmp_path / "p.csv", "region,name,lat,lon\nX,Y,1,2\n")
    with pytest.raises(
        ValueError, match=r"unknown: \['town'\], missing: \['settlement'\]"
    ):
        read_settlement_gazetteer(
            path,
            columns={"state": "region", "town": "name", "lat": "lat", "lon": "lon"},
        )
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['settlement'\]"):
        read_settlement_gazetteer(
            path, columns={"state": "region", "settlement": "settlement", "lat": "lat",
                           "lon": "lon"},
        )  # fmt: skip
    cyrillic = _write(
        tmp_path / "c.csv", "region,name,lat,lon\nПермь,Y,1,2\n", "cp1251"
    )
    with pytest.raises(ValueError, match="is not utf-8.*encoding='cp1251'"):
        read_settlement_gazetteer(
            cyrillic,
            columns={
                "state": "region",
                "settlement": "name",
                "lat": "lat",
                "lon": "lon",
            },
        )
    with pytest.raises(ValueError, match="does not exist"):
        read_settlement_gazetteer(
            tmp_path / "none.csv",
            columns={
                "state": "region",
                "settlement": "name",
                "lat": "lat",
                "lon": "lon",
            },
        )


def test_offline_gazetteers_of_a_study(tmp_path):
    postcodes, towns = offline_gazetteers("us_zip", states=["GA"])
    assert len(postcodes) == 971 and "n_postcodes" in towns
    codes = _write(tmp_path / "codes.csv", "code,name\n59,Пермский край\n")
    one = _write(
        tmp_path / "one.csv",
        "region,town,y,x\nПермский край,Пермь,58.01,56.23\n",
    )
    two = _write(tmp_path / "two.csv", "region;town;y;x\n59;Кунгур;57,43;56,94\n")
    columns = {"state": "region", "settlement": "town", "lat": "y", "lon": "x"}
    none, places = offline_gazetteers(
        "file",
        files=[
            {"path": one, "columns": columns,
             "state_codes": {"path": codes, "names": ["name"]}},
            {"path": two, "columns": columns, "delimiter": ";", "decimal": ","},
        ],
    )  # fmt: skip
    assert none is None
    assert places[["state", "settlement"]].values.tolist() == [
        ["59", "Пермь"],
        ["59", "Кунгур"],
    ]
    with pytest.raises(ValueError, match="gazetteer 'osm' is unknown"):
        offline_gazetteers("osm")
    with pytest.raises(ValueError, match="needs at least one file"):
        offline_gazetteers("file")
