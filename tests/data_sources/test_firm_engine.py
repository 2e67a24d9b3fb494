"""The firm-level engines: pandas (the pipeline's functions), chunked and Dask agree.

Registries are built in code (a hand-sized CSV, a few thousand synthetic Georgia
firms with every kind of bad row and duplicate ids across chunks, the demo registry);
the Dask engine runs on a real two-process LocalCluster started and closed here.
"""

import csv
import gzip
import os
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from benchmarks.synthetic_registry import BAD_KINDS, write_registry
from data_sources.classification import classification_codes
from data_sources.demo import georgia_counties
from data_sources.demo_study import prepare_demo_study
from data_sources.firm_engine import (
    ChainOptions,
    open_firms,
    plan_chunks,
    read_chunk,
    read_firms,
    read_rejected,
    run_firm_chain,
    run_firm_engine,
)
from data_sources.gazetteer import offline_gazetteers, us_zip_gazetteer
from data_sources.regions import read_regions
from data_sources.registry import read_registry
from data_sources.study import EngineSpec, load_study
from geo.geocode import geocode_firms
from geo.lq import employment_by_region_industry
from geo.regions import assign_to_regions
from geo.registry import active_in_year, validate_registry

CRS = "EPSG:32616"
TIERS = ("coordinates", "postcode", "settlement", "fuzzy_settlement")
SHARED = Path(
    os.environ.get(
        "AGGLO_SHARED_DATA",
        Path(__file__).resolve().parents[2] / ".." / "shared" / "data",
    )
)


@pytest.fixture(scope="module")
def regions() -> gpd.GeoDataFrame:
    """Georgia's 159 counties (libpysal, offline) in UTM 16N."""
    return georgia_counties()[["region_id", "geometry"]].to_crs(CRS)


@pytest.fixture(scope="module")
def options() -> ChainOptions:
    postcodes, settlements = offline_gazetteers("us_zip", states=["GA"])
    return ChainOptions(
        valid_codes=frozenset(classification_codes("naics")["code"]),
        level=4,
        scheme="naics",
        validation_year=2024,
        year=2024,
        crs=CRS,
        tiers=TIERS,
        postcodes=postcodes,
        settlements=settlements,
        min_industry_firms=3,
    )


@pytest.fixture(scope="module")
def client():
    """A real Dask cluster: two worker processes, one thread each."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as dask_client,
    ):
        yield dask_client


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    """3,000 Georgia firms, 5 % bad rows of every kind, row groups of 1,000."""
    path = tmp_path_factory.mktemp("registry") / "firms.parquet"
    write_registry(path, 3000, states=["GA"], row_group_rows=1000, bad_share=0.05)
    return path


def run_all(source, options, regions, tmp_path, engines, **kwargs):
    out = {}
    for engine in engines:
        result = run_firm_chain(
            source,
            options=options,
            regions=regions,
            out_dir=tmp_path / engine,
            engine=engine,
            **kwargs,
        )
        out[engine] = (
            result,
            read_firms(result.firms_path),
            read_rejected(result.rejected_path),
        )
    return out


def assert_identical(results: dict) -> None:
    (first, firms, rejected), *others = results.values()
    for result, other_firms, other_rejected in others:
        pd.testing.assert_frame_equal(result.table, first.table)
        assert result.industries == first.industries
        assert result.counts == first.counts
        pd.testing.assert_frame_equal(other_firms, firms)
        pd.testing.assert_frame_equal(other_rejected, rejected)


# --- by hand ------------------------------------------------------------------------
HAND = [
    ["firm_id", "postcode", "settlement", "state", "industry_code", "employees",
     "founded", "lat", "lon"],
    ["a", "30720", "Dalton", "GA", "314110", "10", "2000", "", ""],
    ["b", "30720-1234", "", "GA", "314110", "5", "", "", ""],
    ["c", "", "Dalton", "GA", "314110", "2", "", "", ""],
    ["a", "30161", "Rome", "GA", "311615", "1", "", "", ""],
    ["d", "30161", "Rome", "GA", "311615", "7", "1999", "", ""],
    ["e", "30161", "Rome", "GA", "311615", "-1", "", "", ""],
    ["f", "00000", "Atlantis", "GA", "311615", "4", "", "", ""],
    ["g", "", "", "GA", "311615", "3", "", "31.0", "-60.0"],
]  # fmt: skip


def write_csv(path: Path, rows, **kwargs) -> Path:
    with open(path, "w", newline="", encoding=kwargs.pop("encoding", "utf-8")) as f:
        csv.writer(f, **kwargs).writerows(rows)
    return path


@pytest.mark.parametrize("engine", ["pandas", "chunked"])
def test_hand_sized_registry_by_hand(tmp_path, options, regions, engine):
    path = write_csv(tmp_path / "firms.csv", HAND)
    result = run_firm_chain(
        {"path": str(path)},
        options=replace(options, min_industry_firms=1),
        regions=regions,
        out_dir=tmp_path / "out",
        engine=engine,
        chunk_rows=2,  # a's duplicate (row 4) is two chunks after its first row
    )
    counts = result.counts
    assert (counts["rows"], counts["validated"], counts["rejected"]) == (8, 6, 2)
    assert counts["rejected_by_field"] == {"employees": 1, "firm_id": 1}
    # a, b by postcode (b as ZIP+4), d by postcode, c by town, g at sea, f nowhere
    assert counts["by_tier"] == {
        "postcode": 3,
        "coordinates": 1,
        "settlement": 1,
        "unmatched": 1,
    }
    assert (counts["in_regions"], counts["outside_regions"]) == (4, 1)
    rejected = read_rejected(result.rejected_path)
    assert rejected["reason"].tolist() == [
        "firm_id: 'a' duplicates source row 1; registry ids must be unique",
        "employees: '-1' is negative; head counts are >= 0",
    ]
    # Whitfield (13313), carpets 3141: a 10 + b 5 + c 2 in three firms; Floyd
    # (13115), poultry 3116: d 7 (f is unmatched, g outside Georgia)
    table = result.table.set_index(["region_id", "industry"])
    assert len(table) == 159 * 2 and result.industries == ["3116", "3141"]
    assert table.loc[("13313", "3141")].tolist() == [17, 3]
    assert table.loc[("13115", "3116")].tolist() == [7, 1]
    assert table["employees"].sum() == 24
    firms = read_firms(result.firms_path)
    assert firms.crs == CRS
    assert firms["firm_id"].tolist() == ["a", "b", "c", "d", "f", "g"]
    assert firms["region_id"].fillna("-").tolist() == [
        *["13313"] * 3,
        "13115",
        "-",
        "-",
    ]
    assert result.chunks == (1 if engine == "pandas" else 4)


# --- the three engines --------------------------------------------------------------
def test_three_engines_identical_on_a_synthetic_registry(
    tmp_path, synthetic, options, regions, client
):
    results = run_all(
        {"path": str(synthetic)},
        options,
        regions,
        tmp_path,
        ["pandas", "chunked", "dask"],
        chunk_rows=450,  # row groups of 1,000 split 450 + 450 + 100
        client=client,
    )
    assert_identical(results)
    result, firms, rejected = results["dask"]
    assert result.chunks == 9
    counts = result.counts
    assert counts["rows"] == 3000 == counts["validated"] + counts["rejected"]
    assert counts["validated"] == counts["matched"] + counts["unmatched"]
    assert set(counts["by_tier"]) == {*TIERS, "unmatched"}
    assert counts["outside_regions"] > 0
    # every kind of bad row, and duplicates whose first row is in an earlier chunk
    fields = {r.split(":")[0] for text in rejected["reason"] for r in text.split(" | ")}
    assert fields == {"firm_id", "industry_code", "employees", "founded", "closed"}
    dups = rejected[rejected["reason"].str.contains("duplicates source row")]
    first = dups["reason"].str.extract(r"source row (\d+)")[0].astype(int)
    assert ((dups["source_row"] - 1) // 450 > (first - 1) // 450).any()
    assert len(BAD_KINDS) == 13
    assert firms.crs == CRS and len(firms) == counts["validated"]
    lazy = open_firms(result.firms_path)
    assert lazy.crs == CRS and lazy.npartitions == 9
    assert int(lazy["firm_id"].count().compute()) == len(firms)


def test_engines_identical_on_a_messy_csv(
    tmp_path, synthetic, options, regions, client
):
    # the synthetic registry as a CSV someone exported: BOM, CRLF line ends, a name
    # with a quoted line break, a short row, blank lines, gzipped
    text = read_registry({"path": str(synthetic)}).drop(
        columns=["source_row", "read_problem"]
    )
    text["name"] = "Firm"
    text.loc[5, "name"] = "Two\nlines, and a comma"
    rows = [list(text.columns), *text.astype(str).values.tolist()]
    rows.insert(40, ["short", "row"])
    rows.insert(41, [])
    path = tmp_path / "firms.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8-sig", newline="") as f:
        csv.writer(f, lineterminator="\r\n").writerows(rows)
    results = run_all(
        {"path": str(path), "format": "csv"},
        options,
        regions,
        tmp_path,
        ["pandas", "chunked", "dask"],
        chunk_rows=700,
        client=client,
    )
    assert_identical(results)
    result, firms, rejected = results["chunked"]
    assert result.counts["rows"] == 3001
    assert rejected["reason"].str.startswith("row: 2 fields where").sum() == 1
    assert firms.loc[firms["source_row"] == 6, "name"].item() == (
        "Two\nlines, and a comma"
    )


def test_personal_data_hashed_the_same_way(tmp_path, options, regions):
    rows = [HAND[0] + ["name"]] + [r + [f"Owner {i}"] for i, r in enumerate(HAND[1:])]
    path = write_csv(tmp_path / "firms.csv", rows)
    hashed = replace(
        options,
        personal_columns=("name", "address"),
        personal_action="hash",
        personal_salt="a-secret-of-16-chars",
    )
    results = run_all({"path": str(path)}, hashed, regions, tmp_path,
                      ["pandas", "chunked"], chunk_rows=3)  # fmt: skip
    assert_identical(results)
    firms = results["chunked"][1]
    assert firms["name"].str.len().eq(16).all() and firms["address"].eq("").all()


@pytest.mark.parametrize("kind", ["xlsx", "gpkg"])
def test_excel_and_geopackage_registries_are_staged(tmp_path, options, regions, kind):
    # read whole by read_registry (their formats bound their size), then chunked
    frame = pd.DataFrame(HAND[1:], columns=HAND[0])
    if kind == "xlsx":
        path = tmp_path / "firms.xlsx"
        frame.to_excel(path, index=False)
    else:
        path = tmp_path / "firms.gpkg"
        lon = pd.to_numeric(frame.pop("lon"), errors="coerce")
        lat = pd.to_numeric(frame.pop("lat"), errors="coerce")
        points = gpd.points_from_xy(lon, lat, crs="EPSG:4326")
        gpd.GeoDataFrame(frame, geometry=points).to_file(path, layer="firms")
    one = replace(options, min_industry_firms=1)
    engines = ["pandas", "chunked"]
    results = run_all(
        {"path": str(path)}, one, regions, tmp_path, engines, chunk_rows=3
    )
    assert_identical(results)
    assert results["chunked"][0].counts["by_tier"]["coordinates"] == 1


# --- the demo registry against the pipeline's own functions --------------------------
def pipeline_outputs(study, year, regions):
    """What the ingest, geocode and indicators assets compute, line for line."""
    raw = read_registry(study.registry)
    validated, rejected = validate_registry(
        raw,
        valid_codes=set(classification_codes("naics")["code"]),
        level=study.classification.level,
        scheme=study.classification.scheme,
        employees_required=True,
        year=max(study.analysis_years),
    )
    g = study.geocoder
    postcodes, settlements = offline_gazetteers(g.gazetteer, states=g.states)
    located = geocode_firms(
        validated,
        postcodes=postcodes,
        settlements=settlements,
        tiers=g.tiers,
        fuzzy_min_score=g.fuzzy_min_score,
        postcode_country=g.postcode_country,
        region=g.region,
    )
    firms = validated.drop(columns=["lat", "lon"]).join(
        located[["lon", "lat", "match_level", "match_score", "match_reason"]]
    )
    points = gpd.points_from_xy(firms["lon"], firms["lat"], crs="EPSG:4326")
    firm_locations = gpd.GeoDataFrame(firms, geometry=points, crs="EPSG:4326").to_crs(
        study.crs
    )
    firms_in_regions = assign_to_regions(firm_locations, regions)
    active = firms_in_regions[active_in_year(firms_in_regions, year)]
    in_study = active[active["region_id"].notna()]
    counts = in_study["industry"].value_counts()
    industries = sorted(counts[counts >= study.methods.min_industry_firms].index)
    table = employment_by_region_industry(
        in_study, regions=list(regions["region_id"]), industries=industries
    )
    return table, firms_in_regions, rejected


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Values as Python objects, every missing value None (Parquet stores text
    columns as strings: None and NaN both come back as missing)."""
    out = pd.DataFrame(frame).astype(object)
    return out.where(out.notna(), None)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    study = load_study(prepare_demo_study(tmp_path_factory.mktemp("demo")))
    regions = read_regions(study.regions).to_crs(study.crs)
    return study, regions, pipeline_outputs(study, 2022, regions)


@pytest.mark.parametrize(
    "engine",
    [EngineSpec(), EngineSpec(firms="chunked", chunk_rows=1500),
     EngineSpec(firms="dask", chunk_rows=2500)],
    ids=["pandas", "chunked", "dask"],
)  # fmt: skip
def test_demo_registry_equals_the_pipeline_functions(tmp_path, demo, engine, client):
    study, regions, (table, firms, rejected) = demo
    result = run_firm_engine(
        study,
        year=2022,
        regions=regions,
        out_dir=tmp_path,
        engine=engine,
        client=client if engine.firms == "dask" else None,
    )
    pd.testing.assert_frame_equal(result.table, table)
    got_firms = read_firms(result.firms_path)
    assert got_firms.crs == firms.crs
    assert got_firms.geometry.to_wkb().tolist() == firms.geometry.to_wkb().tolist()
    pd.testing.assert_frame_equal(
        plain(got_firms.drop(columns="geometry")),
        plain(firms.drop(columns="geometry")),
    )
    pd.testing.assert_frame_equal(
        plain(read_rejected(result.rejected_path)), plain(rejected)
    )
    assert result.counts["rows"] == len(firms) + len(rejected)


# --- reading: every chunk is read_registry's rows -----------------------------------
def chunks_of(path, tmp_path, size, **source):
    plan = plan_chunks({"path": str(path), **source}, chunk_rows=size,
                       staging=tmp_path / "stage")  # fmt: skip
    frames = [read_chunk(c, plan) for c in plan.chunks]
    return pd.concat(frames, ignore_index=True), plan


def assert_reads_like_read_registry(got: pd.DataFrame, path, **source) -> None:
    want = read_registry({"path": str(path), **source})
    earlier = got.pop("__earlier_source_row")
    assert list(got.columns) == list(want.columns)
    pd.testing.assert_frame_equal(
        got.astype(object), want.astype(object), check_dtype=False
    )
    return earlier


def test_parquet_columns_read_as_read_registry_reads_them(tmp_path):
    # ids as integers with a null (pandas reads them as floats), a float column, a
    # boolean, dictionary-encoded text, a pandas index column
    table = pa.table(
        {
            "firm_id": pa.array([10, None, 12, 10, 2**40], pa.int64()),
            "industry_code": pa.array(["314110"] * 5).dictionary_encode(),
            "employees": pa.array([1.0, 2.5, None, 4.0, 1e20]),
            "founded": pa.array([1990, 1991, 1992, 1993, 1994], pa.int32()),
            "flag": pa.array([True, False, None, True, False]),
            "__index_level_0__": pa.array([5, 6, 7, 8, 9]),
        }
    )
    path = tmp_path / "firms.parquet"
    pq.write_table(table, path, row_group_size=3)
    got, plan = chunks_of(path, tmp_path, 2)
    assert [c.rows for c in plan.chunks] == [2, 1, 2]
    earlier = assert_reads_like_read_registry(got, path)
    assert got["firm_id"].tolist() == ["10", "", "12", "10", "1099511627776"]
    assert earlier.tolist() == [0, 0, 0, 1, 0]  # the second 10 repeats row 1


def test_csv_read_as_read_registry_reads_it(tmp_path):
    # cp1251, ';' and decimal commas, a ragged row, a blank line, quoted ';'
    rows = [
        ["ИНН", "Штат", "ОКВЭД", "Город"],
        ["7701", "1,2E+01", "47.11", "Пермь"],
        ["7702", "3", "47.19", "Пермь; центр", "лишнее"],
        [],
        [" 7701 ", "12 500", "47.11", "Кунгур"],
    ]
    path = write_csv(tmp_path / "firms.csv", rows, delimiter=";", encoding="cp1251")
    source = {
        "encoding": "cp1251",
        "delimiter": ";",
        "decimal": ",",
        "columns": {
            "firm_id": "ИНН",
            "employees": "Штат",
            "industry_code": "ОКВЭД",
            "settlement": "Город",
        },
    }
    got, plan = chunks_of(path, tmp_path, 2, **source)
    assert len(plan.chunks) == 2
    earlier = assert_reads_like_read_registry(got, path, **source)
    assert got["employees"].tolist() == ["1.2E+01", "3", "12500"]
    assert earlier.tolist() == [0, 0, 1]  # ' 7701 ' is 7701 once stripped


@pytest.mark.shared_data
def test_companydata_preset_read_in_chunks(tmp_path):
    # ZIP+4 written as 9 digits: the preset derives postcodes from two columns
    folder = SHARED / "firms" / "companydata_cc0"
    path = folder / "los-angeles-business-dataset-sample.csv"
    if not path.exists():
        pytest.skip(f"needs {path} (real public data; see {SHARED}/README.md)")
    got, _ = chunks_of(path, tmp_path, 300, adapter="companydata")
    assert_reads_like_read_registry(got, path, adapter="companydata")


# --- bad input ----------------------------------------------------------------------
def test_bad_engine_arguments_are_named(tmp_path, options, regions):
    path = write_csv(tmp_path / "firms.csv", HAND)
    run = {"options": options, "regions": regions, "out_dir": tmp_path / "out"}
    with pytest.raises(ValueError, match="engine 'spark' is unknown; use one of"):
        run_firm_chain({"path": str(path)}, engine="spark", **run)
    with pytest.raises(ValueError, match="chunk_rows must be a positive row count"):
        run_firm_chain({"path": str(path)}, chunk_rows=0, **run)
    with pytest.raises(ValueError, match="but the analysis CRS is EPSG:32616"):
        run_firm_chain({"path": str(path)}, **{**run, "regions": regions.to_crs(4326)})
    with pytest.raises(ValueError, match="regions lack a region_id column"):
        bad = regions.rename(columns={"region_id": "fips"})
        run_firm_chain({"path": str(path)}, **{**run, "regions": bad})
    with pytest.raises(ValueError, match="cannot run the online geocoding tier"):
        run_firm_chain({"path": str(path)}, engine="dask", online=print, **run)
    with pytest.raises(ValueError, match="registry.path: file not found"):
        run_firm_chain({"path": str(tmp_path / "none.csv")}, **run)


@pytest.mark.parametrize("engine", ["pandas", "chunked"])
@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("firm_id,employees\na,1\n", r"required column\(s\) \['industry_code'\]"),
        ("\n\n", "the file is empty"),
        ("firm_id industry_code employees\na 1 2\n", "header has a single column"),
    ],
)
def test_bad_registry_fails_as_read_registry_does(
    tmp_path, options, regions, engine, content, message
):
    path = tmp_path / "firms.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        run_firm_chain({"path": str(path)}, options=options, regions=regions,
                       out_dir=tmp_path / "out", engine=engine)  # fmt: skip


@pytest.mark.parametrize("engine", ["pandas", "chunked"])
def test_registry_without_rows(tmp_path, options, regions, engine):
    path = tmp_path / "firms.csv"
    path.write_text("firm_id,industry_code,employees\n")
    result = run_firm_chain({"path": str(path)}, options=options, regions=regions,
                            out_dir=tmp_path / "out", engine=engine)  # fmt: skip
    assert result.counts["rows"] == 0 and result.table.empty
    assert read_firms(result.firms_path).empty
    assert read_rejected(result.rejected_path).empty


def test_failed_run_leaves_the_last_outputs(tmp_path, options, regions):
    good = write_csv(tmp_path / "good.csv", HAND)
    first = run_firm_chain({"path": str(good)}, options=options, regions=regions,
                           out_dir=tmp_path / "out", engine="chunked")  # fmt: skip
    before = sorted(p.name for p in first.firms_path.iterdir())
    bad = tmp_path / "bad.csv"
    bad.write_text("firm_id,employees\na,1\n")
    with pytest.raises(ValueError, match="required column"):
        run_firm_chain({"path": str(bad)}, options=options, regions=regions,
                       out_dir=tmp_path / "out", engine="chunked")  # fmt: skip
    assert sorted(p.name for p in first.firms_path.iterdir()) == before
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "firms",
        "rejected",
    ]


def test_dask_engine_refuses_the_online_tier(tmp_path, demo):
    study, regions, _ = demo
    online = study.model_copy(
        update={
            "geocoder": study.geocoder.model_copy(
                update={
                    "tiers": [*study.geocoder.tiers, "online"],
                    "online": {"provider": "nominatim", "url": "http://127.0.0.1:9"},
                }
            )
        }
    )
    with pytest.raises(ValueError, match="cannot run the 'online' geocoding tier"):
        run_firm_engine(online, year=2024, regions=regions, out_dir=tmp_path,
                        engine=EngineSpec(firms="dask"))  # fmt: skip


def test_zip_gazetteer_of_the_synthetic_registry_is_offline():
    # the synthetic registries draw from the same offline ZIPs the tests geocode with
    assert len(us_zip_gazetteer("GA")) == 971
    assert np.isfinite(us_zip_gazetteer("GA")[["lat", "lon"]].to_numpy()).all()
