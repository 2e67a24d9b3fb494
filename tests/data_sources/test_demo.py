"""Tests of the demo study generator: determinism, planted clusters, bad rows."""

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from libpysal.graph import Graph
from scipy.sparse.csgraph import connected_components

from data_sources.demo import (
    DEMO_BAD_ROWS,
    DEMO_GEOCODE_CASES,
    DEMO_SEED,
    DEMO_YEAR,
    DEMO_YEARS,
    PLANTED_CLUSTERS,
    PLANTED_NULL_INDUSTRIES,
    REGISTRY_COLUMNS,
    generate_interactions,
    generate_registry,
    generate_statistics,
    georgia_counties,
    write_demo_inputs,
)
from data_sources.gazetteer import us_zip_gazetteer
from geo.geocode import geocode_firms, settlements_from_postcodes

CODES = {c["naics6"] for c in PLANTED_CLUSTERS} | set(PLANTED_NULL_INDUSTRIES.values())


@pytest.fixture(scope="module")
def counties() -> gpd.GeoDataFrame:
    return georgia_counties()


@pytest.fixture(scope="module")
def postcodes() -> pd.DataFrame:
    return us_zip_gazetteer("GA")


@pytest.fixture(scope="module")
def registry(counties, postcodes) -> pd.DataFrame:
    return generate_registry(counties, postcodes, seed=DEMO_SEED)


@pytest.fixture(scope="module")
def located(counties, postcodes, registry) -> pd.DataFrame:
    """The registry as the pipeline sees it: geocoded, joined to counties, typed."""
    found = geocode_firms(
        registry, postcodes=postcodes, settlements=settlements_from_postcodes(postcodes)
    )
    points = gpd.GeoDataFrame(
        found, geometry=gpd.points_from_xy(found["lon"], found["lat"]), crs=4326
    ).to_crs(counties.crs)
    joined = gpd.sjoin(
        points[points["match_level"] != "unmatched"],
        counties[["region_id", "geometry"]],
        predicate="within",
        how="left",
    )
    out = registry.assign(
        match_level=found["match_level"],
        region_id=joined["region_id"].reindex(registry.index),
        intended=list(registry.attrs["intended_region_id"]),
        industry=registry["industry_code"].str[:4],
        emp=pd.to_numeric(registry["employees"], errors="coerce"),
        founded_y=pd.to_numeric(registry["founded"], errors="coerce"),
        closed_y=pd.to_numeric(registry["closed"], errors="coerce"),
    )
    valid = (
        out["industry_code"].isin(CODES)
        & (out["emp"] >= 0)
        & ~(out["closed_y"] < out["founded_y"])
        & ~out["firm_id"].duplicated()
    )
    active = (out["founded_y"] <= DEMO_YEAR) & ~(out["closed_y"] <= DEMO_YEAR)
    return out.assign(valid=valid, active=valid & active)


@pytest.fixture(scope="module")
def lq(counties, located) -> pd.DataFrame:
    """Employment LQ, county x NAICS-4, base = the county's registry employment."""
    act = located[located["active"] & located["region_id"].notna()]
    table = act.pivot_table(
        index="region_id", columns="industry", values="emp", aggfunc="sum", fill_value=0
    ).reindex(counties["region_id"], fill_value=0)
    shares = table.div(table.sum(axis=1), axis=0)
    return shares / (table.sum(axis=0) / table.to_numpy().sum())


def test_georgia_counties(counties):
    assert len(counties) == 159 and counties["region_id"].is_unique
    assert counties.crs.to_epsg() == 26916
    assert counties["population"].sum() == 6_478_216  # 1990 census
    whitfield = counties.set_index("region_id").loc["13313"]
    assert whitfield["name"] == "Whitfield County"
    # Dalton's county: its centroid must land near 34.8 N, 84.97 W (checks the CRS)
    centre = gpd.GeoSeries([whitfield.geometry], crs=counties.crs).centroid.to_crs(4326)
    assert centre.y.item() == pytest.approx(34.8, abs=0.1)
    assert centre.x.item() == pytest.approx(-84.97, abs=0.1)


def test_planted_clusters_are_contiguous(counties):
    graph = Graph.build_contiguity(counties.set_index("region_id"), rook=False)
    for cluster in PLANTED_CLUSTERS:
        core_a, core_b = cluster["core"]
        assert core_b in graph[core_a].index, cluster["name"]
        for ring in cluster["ring"]:
            touching = set(graph[ring].index) & set(cluster["core"] + cluster["ring"])
            assert touching, (cluster["name"], ring)


def test_write_demo_inputs_is_deterministic(tmp_path, counties, postcodes, registry):
    first = write_demo_inputs(tmp_path / "a")
    again = write_demo_inputs(tmp_path / "b")
    assert sorted(first) == ["actors", "registry", "statistics", "ties"]
    for key, path in first.items():
        assert path.name == f"{key}.csv"
        assert path.read_bytes() == again[key].read_bytes(), key
    # the file holds the default-seed registry, read back as text
    written = pd.read_csv(first["registry"], dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(written, registry, check_dtype=False)
    other = generate_registry(counties, postcodes, seed=7)
    assert not other["name"].equals(registry["name"])


def test_registry_looks_like_a_registry(registry):
    assert list(registry.columns) == REGISTRY_COLUMNS
    n = len(registry)
    assert 6000 < n < 7000
    assert registry["firm_id"].str.fullmatch(r"GA-\d{6}").all()
    assert (registry["state"] == "GA").all()
    with_coordinates = (registry["lat"] != "").mean()
    assert 0.06 < with_coordinates < 0.10
    assert 0.03 < (registry["closed"] != "").mean() < 0.07
    assert ((registry["postcode"] == "") & (registry["lat"] == "")).mean() > 0.03
    assert registry["postcode"].str.contains("-").any()  # some ZIP+4
    founded = pd.to_numeric(registry["founded"])
    assert founded.max() <= DEMO_YEAR
    names = registry.set_index("industry_code")["name"]
    assert names.loc["314110"].str.contains("Carpet|Rug|Floor|Tuft|Broadloom").all()


def test_bad_rows_are_planted(registry):
    assert registry.attrs["bad_rows"] == DEMO_BAD_ROWS
    assert 0.005 < len(DEMO_BAD_ROWS) / len(registry) < 0.015
    assert set(DEMO_BAD_ROWS.values()) == {
        "industry_code",
        "employees",
        "closed",
        "duplicate",
    }
    for firm_id, keyword in DEMO_BAD_ROWS.items():
        rows = registry[registry["firm_id"] == firm_id]
        if keyword == "duplicate":
            assert len(rows) == 2 and rows["name"].nunique() == 2, firm_id
            continue
        assert len(rows) == 1, firm_id
        row = rows.iloc[0]
        if keyword == "industry_code":
            assert row["industry_code"] in ("", "999999"), firm_id
        elif keyword == "employees":
            emp = pd.to_numeric(row["employees"], errors="coerce")
            assert np.isnan(emp) or emp < 0, firm_id
        else:
            assert int(row["closed"]) < int(row["founded"]), firm_id
    # no other row is broken
    others = registry[~registry["firm_id"].isin(list(DEMO_BAD_ROWS))]
    assert others["industry_code"].isin(CODES).all()
    assert (pd.to_numeric(others["employees"]) >= 0).all()


def test_every_firm_geocodes_into_its_intended_county(registry, located):
    assert registry.attrs["geocode_cases"] == DEMO_GEOCODE_CASES
    cases = located.set_index("firm_id").loc[list(DEMO_GEOCODE_CASES), "match_level"]
    assert cases.to_dict() == DEMO_GEOCODE_CASES
    daltn = located[located["settlement"] == "Daltn"]
    assert len(daltn) == 2 and (daltn["region_id"] == "13313").all()
    placed = located[located["match_level"] != "unmatched"]
    assert (placed["region_id"] == placed["intended"]).all()
    unmatched = located[located["match_level"] == "unmatched"]
    assert (unmatched["settlement"] == "Atlantis").all() and len(unmatched) == 3
    assert set(located["match_level"]) == {
        "coordinates",
        "postcode",
        "settlement",
        "fuzzy_settlement",
        "unmatched",
    }


def test_planted_lq_thresholds(lq):
    for cluster in PLANTED_CLUSTERS:
        values = lq[cluster["industry"]]
        assert (values[cluster["core"]] >= 3).all(), cluster["name"]
        assert (values[cluster["ring"]] >= 1.5).all(), cluster["name"]


def _bh(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values."""
    order = np.argsort(p)
    ranked = p[order] * len(p) / np.arange(1, len(p) + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty_like(p)
    out[order] = np.minimum(adjusted, 1)
    return out


# esda 2.9 warns that its default 'directed' alternative will change; Moran_Local
# takes no `alternative` argument yet
@pytest.mark.filterwarnings("ignore:The alternative hypothesis:DeprecationWarning")
def test_planted_clusters_detected_and_null_industries_not(counties, lq):
    graph = Graph.build_contiguity(counties.set_index("region_id"), rook=False)
    graph = graph.transform("r")
    ids = np.asarray(graph.unique_ids)
    weights = graph.to_W()
    found = {}
    for industry in lq.columns:
        y = lq[industry].reindex(ids).to_numpy(float)
        lisa = esda.Moran_Local(
            y, weights, permutations=999, seed=12345, keep_simulations=False, n_jobs=1
        )
        hh = (lisa.q == 1) & (_bh(lisa.p_sim) < 0.05) & (y >= 1.25)
        chosen = np.flatnonzero(hh)
        _, label = connected_components(graph.sparse[chosen][:, chosen], directed=False)
        found[industry] = [set(ids[chosen][label == k]) for k in np.unique(label)]
    for cluster in PLANTED_CLUSTERS:
        groups = found[cluster["industry"]]
        assert any(set(cluster["core"]) & g for g in groups), (cluster["name"], groups)
    for industry in PLANTED_NULL_INDUSTRIES:
        assert found[industry] == [], industry


def test_statistics(counties, registry, located):
    every_year = generate_statistics(counties, registry, seed=DEMO_SEED)
    assert sorted(every_year["year"].unique()) == list(DEMO_YEARS)
    # employment grows towards the demo year as planted firms are founded
    by_year = every_year.groupby("year")["total_employment"].sum()
    assert by_year[DEMO_YEAR] > by_year[DEMO_YEARS[0]]
    stats = every_year[every_year["year"] == DEMO_YEAR].reset_index(drop=True)
    assert list(stats.columns) == [
        "region_id",
        "year",
        "population",
        "total_employment",
    ]
    assert stats["region_id"].tolist() == counties["region_id"].tolist()
    assert (stats["year"] == DEMO_YEAR).all()
    growth = stats["population"].to_numpy() / counties["population"].to_numpy()
    assert growth.min() >= 0.79 and growth.max() <= 3.21
    base = (
        located[located["active"]]
        .groupby("region_id")["emp"]
        .sum()
        .reindex(stats["region_id"])
        .to_numpy()
    )
    ratio = stats["total_employment"].to_numpy() / base
    assert ratio.min() >= 1.09 and ratio.max() <= 1.41


def test_interactions(counties, registry, located):
    actors, ties = generate_interactions(counties, registry, seed=DEMO_SEED)
    assert list(actors.columns) == [
        "actor_id", "name", "kind", "firm_id", "region_id", "industry", "founded"
    ]  # fmt: skip
    assert list(ties.columns) == [
        "source", "target", "tie_type", "year", "weight", "via_coordinator"
    ]  # fmt: skip
    assert actors["actor_id"].is_unique
    assert set(ties["source"]) | set(ties["target"]) <= set(actors["actor_id"])
    names = set(actors["name"])
    for org in ("Dalton State College", "Carpet and Rug Institute",
                "Georgia Department of Economic Development", "University of Georgia",
                "Georgia Institute of Technology", "University of North Georgia",
                "Georgia Poultry Federation"):  # fmt: skip
        assert org in names
    assert set(actors["kind"]) == {
        "firm",
        "research",
        "government",
        "finance",
        "support",
    }
    firms = actors[actors["kind"] == "firm"]
    assert firms["firm_id"].isin(registry["firm_id"]).all()
    assert (
        ties["tie_type"]
        .isin(
            [
                "supply",
                "joint_project",
                "co_patent",
                "agreement",
                "membership",
                "group_link",
            ]
        )
        .all()
    )
    assert ties["year"].between(2015, DEMO_YEAR).all() and (ties["weight"] > 0).all()

    region = actors.set_index("actor_id")["region_id"]
    industry = actors.set_index("actor_id")["industry"]
    summary = {}
    for cluster in PLANTED_CLUSTERS:
        members = firms[
            (firms["industry"] == cluster["industry"])
            & firms["region_id"].isin(cluster["core"] + cluster["ring"])
        ]["actor_id"]
        mine = ties[ties["source"].isin(members) | ties["target"].isin(members)]
        inside = mine[mine["source"].isin(members) & mine["target"].isin(members)]
        years_per_pair = inside.groupby(["source", "target"]).size().mean()
        density = inside.groupby("year").size().mean() / (len(members) ** 2)
        summary[cluster["profile"]] = {
            "first_year": mine["year"].min(),
            "persistence": years_per_pair,
            "density": density,
            "group_link": (mine["tie_type"] == "group_link").mean(),
            "via": mine["via_coordinator"].mean(),
            "cross": (
                mine["source"].map(industry) != mine["target"].map(industry)
            ).mean(),
        }
        assert mine["source"].map(region).notna().all()
    mature, developing, embryonic = (
        summary[k] for k in ("mature", "developing", "embryonic")
    )
    assert mature["density"] > developing["density"] > embryonic["density"]
    assert mature["persistence"] > developing["persistence"] > embryonic["persistence"]
    assert (
        mature["group_link"] < 0.05 < developing["group_link"] < embryonic["group_link"]
    )
    assert embryonic["first_year"] >= 2022 and embryonic["group_link"] > 0.4
    assert mature["via"] > 0 and developing["via"] == embryonic["via"] == 0
    assert mature["cross"] > 0.2
    # ties exist only while both firms exist
    alive = located.drop_duplicates("firm_id").set_index("firm_id")
    firm_of = firms.set_index("actor_id")["firm_id"]
    source = ties[ties["source"].isin(firm_of.index)]
    info = alive.loc[firm_of[source["source"]].to_numpy()]
    assert (info["founded_y"].to_numpy() <= source["year"].to_numpy()).all()
    closed = info["closed_y"].to_numpy()
    assert (np.isnan(closed) | (closed > source["year"].to_numpy())).all()


def test_small_registry_and_bad_size(counties, postcodes):
    small = generate_registry(counties, postcodes, seed=3, n_background=400)
    # rows that do not fit at their fixed number go to the end; all are listed
    assert len(small.attrs["bad_rows"]) == len(DEMO_BAD_ROWS)
    assert set(small.attrs["bad_rows"].values()) == set(DEMO_BAD_ROWS.values())
    with pytest.raises(ValueError, match="n_background must be at least .* got 100"):
        generate_registry(counties, postcodes, n_background=100)
