"""The chunk-wise firm chain equals the pipeline's per-row functions, row for row."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box

from geo.firm_chain import (
    assign_to_regions_by_point,
    earlier_duplicates,
    employment_cells,
    locate_firms,
    locate_firms_in_regions,
    reason_field_counts,
    region_industry_table,
    validate_registry_fast,
)
from geo.geocode import geocode_firms
from geo.lq import employment_by_region_industry
from geo.regions import assign_to_regions
from geo.registry import active_in_year, validate_registry

VALID = {"314110", "3141", "31", "311615", "3116", "722511", "7225"}
OPTIONS = {"valid_codes": VALID, "level": 4, "year": 2024}


def frame(rows: list[dict]) -> pd.DataFrame:
    base = {
        "firm_id": "f",
        "industry_code": "314110",
        "employees": "12",
        "founded": "1990",
        "closed": "",
        "lat": "",
        "lon": "",
        "read_problem": "",
    }
    out = pd.DataFrame([{**base, **r} for r in rows])
    out["source_row"] = np.arange(1, len(out) + 1)
    return out


def by_chunks(raw: pd.DataFrame, size: int, **options):
    """validate_registry_fast chunk by chunk with the global duplicate pass."""
    ids = raw["firm_id"].astype("string").str.strip()
    earlier = earlier_duplicates(pd.factorize(ids)[0], raw["source_row"].to_numpy())
    parts = [
        validate_registry_fast(
            raw.iloc[a : a + size], **options, earlier_rows=earlier[a : a + size]
        )
        for a in range(0, len(raw), size)
    ]
    return (
        pd.concat([p[0] for p in parts], ignore_index=True),
        pd.concat([p[1] for p in parts], ignore_index=True),
    )


# --- duplicates ---------------------------------------------------------------------
def test_earlier_duplicates_by_hand():
    # ids a b a - - b a: rows 3 and 7 repeat row 1, row 6 repeats row 2; missing
    # ids (code -1) repeat nothing
    codes = np.array([0, 1, 0, -1, -1, 1, 0])
    assert earlier_duplicates(codes, np.arange(1, 8)).tolist() == [0, 0, 1, 0, 0, 2, 1]


def test_earlier_duplicates_codes_in_any_order():
    # codes not numbered by first appearance take the sorting path: same answer
    codes = np.array([5, 2, 5, 9, 2, 2])
    rows = np.array([10, 11, 12, 13, 14, 15])
    assert earlier_duplicates(codes, rows).tolist() == [0, 0, 10, 0, 11, 11]


def test_earlier_duplicates_both_paths_agree_on_many_ids():
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 3000, 20_000)
    first_order = pd.factorize(ids)[0]  # numbered by first appearance
    rows = np.arange(1, len(ids) + 1)
    np.testing.assert_array_equal(
        earlier_duplicates(first_order, rows), earlier_duplicates(ids, rows)
    )


def test_earlier_duplicates_rejects_misaligned_input():
    with pytest.raises(ValueError, match="codes has 2 rows but source_rows 3"):
        earlier_duplicates(np.array([0, 1]), np.array([1, 2, 3]))


# --- validation ---------------------------------------------------------------------
TRICKY = [
    {"firm_id": " a "},
    {"firm_id": "a"},  # duplicates row 1 once stripped
    {"firm_id": ""},
    {"firm_id": "   "},  # empty, and duplicates row 3 once stripped
    {"firm_id": "b", "employees": "1e3"},
    {"firm_id": "c", "employees": "inf"},
    {"firm_id": "d", "employees": "nan"},
    {"firm_id": "e", "employees": " 7 "},
    {"firm_id": "f", "employees": "7.0"},
    {"firm_id": "g", "employees": "7.5"},
    {"firm_id": "h", "employees": "600000"},
    {"firm_id": "i", "founded": "2024.0"},
    {"firm_id": "j", "founded": "1599"},
    {"firm_id": "k", "founded": "2030", "closed": "2020"},
    {"firm_id": "l", "closed": "1980"},
    {"firm_id": "m", "lat": "abc", "lon": "1,5"},
    {"firm_id": "n", "lat": " 34.5 ", "lon": "-84"},
    {"firm_id": "o", "industry_code": " 3141 "},
    {"firm_id": "p", "industry_code": "31"},
    {"firm_id": "q", "industry_code": "99"},
    {"firm_id": "r", "industry_code": "3x"},
    {"firm_id": "s", "read_problem": "  "},
    {"firm_id": "t", "read_problem": "row: 3 fields where the header has 7"},
    {"firm_id": "b", "employees": "-1", "industry_code": ""},
    {"firm_id": "u"},
]


def test_fast_validation_equals_validate_registry_on_tricky_rows():
    raw = frame(TRICKY)
    want_ok, want_bad = validate_registry(raw, **OPTIONS)
    ok, bad = validate_registry_fast(raw, **OPTIONS)
    pd.testing.assert_frame_equal(ok, want_ok)
    pd.testing.assert_frame_equal(bad, want_bad)
    # the duplicate of ' a ' found after stripping, with validate_registry's words
    assert bad.loc[bad["source_row"] == 2, "reason"].item() == (
        "firm_id: 'a' duplicates source row 1; registry ids must be unique"
    )


@pytest.mark.parametrize("size", [1, 2, 7])
def test_fast_validation_by_chunks_equals_the_whole(size):
    # duplicates split across chunks keep the first row's source_row and words
    raw = frame(TRICKY)
    want_ok, want_bad = validate_registry(raw, **OPTIONS)
    ok, bad = by_chunks(raw, size, **OPTIONS)
    pd.testing.assert_frame_equal(ok, want_ok, check_dtype=False)
    pd.testing.assert_frame_equal(bad, want_bad, check_dtype=False)


def test_fast_validation_without_optional_columns():
    # no founded/closed/lat/lon and no source_row: added as validate_registry does
    raw = pd.DataFrame(
        {
            "firm_id": ["a", "a", "b"],
            "industry_code": ["314110", "314110", "nope"],
            "employees": ["1", "2", ""],
        }
    )
    for want, got in zip(
        validate_registry(raw, **OPTIONS),
        validate_registry_fast(raw, **OPTIONS),
        strict=True,
    ):
        pd.testing.assert_frame_equal(got, want)


def test_fast_validation_of_registry_without_head_counts():
    raw = frame([{"employees": ""}, {"firm_id": "g", "employees": "x"}])
    options = {**OPTIONS, "employees_required": False}
    for want, got in zip(
        validate_registry(raw, **options),
        validate_registry_fast(raw, **options),
        strict=True,
    ):
        pd.testing.assert_frame_equal(got, want)


def test_fast_validation_all_clean_and_all_bad():
    clean = frame([{"firm_id": "a"}, {"firm_id": "b"}])
    for raw in (clean, frame([{"employees": "-1"}, {"employees": "x"}])):
        want = validate_registry(raw, **OPTIONS)
        got = validate_registry_fast(raw, **OPTIONS)
        pd.testing.assert_frame_equal(got[0], want[0], check_dtype=False)
        pd.testing.assert_frame_equal(got[1], want[1], check_dtype=False)
        assert list(got[1].columns) == list(want[1].columns)


def test_fast_validation_errors_like_validate_registry():
    with pytest.raises(ValueError, match=r"registry lacks column\(s\) \['employees'\]"):
        validate_registry_fast(
            pd.DataFrame({"firm_id": ["a"], "industry_code": ["3141"]}), **OPTIONS
        )
    with pytest.raises(ValueError, match="earlier_rows has 1 values for 2 rows"):
        validate_registry_fast(frame([{}, {}]), **OPTIONS, earlier_rows=np.zeros(1))


TEXT = st.sampled_from(
    ["", " ", "a", " a", "b", "12", "-3", "1.5", "1e2", "x", "2030", "1990", "nan"]
)
CODE = st.sampled_from(["", "314110", "3141", "31", "99", " 311615", "7225", "x"])


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "firm_id": st.sampled_from(["", " ", "a", "a ", "b", "c", "d"]),
                "industry_code": CODE,
                "employees": TEXT,
                "founded": TEXT,
                "closed": TEXT,
                "lat": st.sampled_from(["", "34.5", "x", " 1 "]),
                "lon": st.sampled_from(["", "-84", "y"]),
                "read_problem": st.sampled_from(["", "", "", " ", "bad row"]),
            }
        ),
        min_size=1,
        max_size=25,
    ),
    st.integers(min_value=1, max_value=9),
)
def test_fast_validation_by_chunks_equals_validate_registry(rows, size):
    raw = frame(rows)
    want_ok, want_bad = validate_registry(raw, **OPTIONS)
    ok, bad = by_chunks(raw, size, **OPTIONS)
    assert len(ok) + len(bad) == len(raw)
    pd.testing.assert_frame_equal(ok, want_ok, check_dtype=False)
    pd.testing.assert_frame_equal(bad, want_bad, check_dtype=False)


# --- geocoding and regions ----------------------------------------------------------
POSTCODES = pd.DataFrame(
    {"postcode": ["30720", "30161"], "lat": [34.77, 34.26], "lon": [-84.97, -85.16]}
)
TOWNS = pd.DataFrame(
    {
        "state": ["GA", "GA"],
        "settlement": ["Dalton", "Rome"],
        "lat": [34.76, 34.25],
        "lon": [-84.96, -85.17],
    }
)
TIERS = ["coordinates", "postcode", "settlement", "fuzzy_settlement"]


@pytest.fixture
def firms() -> pd.DataFrame:
    """One firm per tier and way to fail, twice over (distinct rows repeat)."""
    rows = pd.DataFrame(
        {
            "firm_id": list("abcdefghij"),
            "postcode": ["", "30720", "30720-1234", "", "", "00000", "3072", "", "",
                         "30161 1234"],
            "settlement": ["", "", "", "Dalton", "Daltn", "Atlantis", "", "Rome", "",
                           ""],
            "state": "GA",
            "lat": [34.5, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan,
                    0.0, np.nan],
            "lon": [-84.1, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan,
                    -0.0, np.nan],
            "industry": "3141",
        }
    )  # fmt: skip
    twice = pd.concat([rows, rows.assign(firm_id=rows["firm_id"] + "2")])
    return twice.reset_index(drop=True)


def asset_firm_locations(validated: pd.DataFrame, crs: str, **kw) -> gpd.GeoDataFrame:
    """The pipeline's firm_locations asset, line for line."""
    located = geocode_firms(validated, **kw)
    firms = validated.drop(columns=["lat", "lon"]).join(
        located[["lon", "lat", "match_level", "match_score", "match_reason"]]
    )
    points = gpd.points_from_xy(firms["lon"], firms["lat"], crs="EPSG:4326")
    return gpd.GeoDataFrame(firms, geometry=points, crs="EPSG:4326").to_crs(crs)


def assert_same_located(got: gpd.GeoDataFrame, want: gpd.GeoDataFrame) -> None:
    pd.testing.assert_frame_equal(
        pd.DataFrame(got.drop(columns="geometry")),
        pd.DataFrame(want.drop(columns="geometry")),
    )
    assert got.geometry.to_wkb().tolist() == want.geometry.to_wkb().tolist()
    assert got.crs == want.crs


@pytest.mark.parametrize("crs", ["EPSG:32616", "EPSG:4326"])
def test_locate_firms_is_the_firm_locations_asset(firms, crs):
    kw = {"postcodes": POSTCODES, "settlements": TOWNS, "tiers": TIERS}
    got = locate_firms(firms, crs=crs, **kw)
    assert_same_located(got, asset_firm_locations(firms, crs, **kw))
    assert got["match_level"].tolist()[:10] == [
        "coordinates",
        "postcode",
        "postcode",  # ZIP+4
        "settlement",
        "fuzzy_settlement",
        "unmatched",
        "unmatched",  # '3072' is ZIP 03072, not in this gazetteer
        "settlement",
        "unmatched",  # (0, 0) is a placeholder
        "postcode",  # '30161 1234' is ZIP+4 written with a space
    ]


def test_locate_firms_with_numbers_for_postcodes(firms):
    # a frame typed by hand: 30720 and 30720.0 are one ZIP but written apart in
    # notes; -5, -5.0 and "-5" are invalid and quoted as written
    mixed = firms.assign(
        postcode=pd.Series(
            [30720, 30720.0, "30720", -5, "-5", None, np.nan, 3072.5, "", -5.0] * 2,
            dtype=object,
        )
    )
    kw = {"postcodes": POSTCODES, "tiers": ["postcode"]}
    got = locate_firms(mixed, crs="EPSG:32616", **kw)
    assert_same_located(got, asset_firm_locations(mixed, "EPSG:32616", **kw))


def test_locate_firms_keeps_raw_postcodes_for_the_online_tier(firms):
    # the online tier's query text shows the postcode as written, so ZIP+4 is not
    # shortened before it (the answers here echo the query)
    def online(queries):
        return pd.DataFrame(
            {"lat": np.nan, "lon": np.nan, "score": 0.0, "reason": list(queries)}
        )

    kw = {"postcodes": POSTCODES, "tiers": ["postcode", "online"], "online": online}
    got = locate_firms(firms.assign(postcode="99999-0001"), crs="EPSG:32616", **kw)
    want = asset_firm_locations(firms.assign(postcode="99999-0001"), "EPSG:32616", **kw)
    assert_same_located(got, want)
    assert "99999-0001" in got["match_reason"].iloc[0]


def test_locate_firms_in_regions_is_assign_to_regions(firms):
    kw = {"postcodes": POSTCODES, "settlements": TOWNS, "tiers": TIERS}
    located = locate_firms(firms, crs="EPSG:32616", **kw)
    xmin, ymin, xmax, ymax = located.total_bounds
    regions = gpd.GeoDataFrame(
        {"region_id": ["w", "e"]},
        geometry=[
            box(xmin - 1, ymin - 1, (xmin + xmax) / 2, ymax + 1),
            box((xmin + xmax) / 2, ymin - 1, xmax + 1, ymax + 1),
        ],
        crs="EPSG:32616",
    )
    got = locate_firms_in_regions(firms, regions, crs="EPSG:32616", **kw)
    want = assign_to_regions(asset_firm_locations(firms, "EPSG:32616", **kw), regions)
    assert_same_located(got, want)
    assert got["region_id"].notna().sum() == 14  # 7 located firms, twice
    with pytest.raises(TypeError, match="unknown geocoding option"):
        locate_firms_in_regions(firms, regions, crs="EPSG:32616", postcode=POSTCODES)


def test_assign_by_point_equals_assign_to_regions():
    regions = gpd.GeoDataFrame(
        {"region_id": ["w", "e", "x"]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(0.5, 0, 1.5, 1)],
        crs="EPSG:32617",
    )
    # in w and x (smallest id wins), on the w|e edge but inside x, in e and x,
    # outside, NaN, missing, again the first, empty
    points = gpd.GeoDataFrame(
        geometry=[Point(0.5, 0.5), Point(1, 0.5), Point(1.2, 0.5), Point(5, 5),
                  Point(np.nan, np.nan), None, Point(0.5, 0.5), Point()],
        crs="EPSG:32617",
    )  # fmt: skip
    got = assign_to_regions_by_point(points, regions)
    pd.testing.assert_frame_equal(got, assign_to_regions(points, regions))
    assert got["region_id"].tolist() == ["w", "x", "e", None, None, None, "w", None]


# --- aggregation --------------------------------------------------------------------
def asset_table(firms, year, regions, industries=None, min_firms=1):
    """The pipeline's employment_by_region_industry asset, line for line."""
    active = firms[active_in_year(firms, year)]
    in_study = active[active["region_id"].notna()]
    if industries is None:
        counts = in_study["industry"].value_counts()
        industries = sorted(counts[counts >= min_firms].index)
    return employment_by_region_industry(
        in_study, regions=regions, industries=industries
    )


@pytest.fixture
def located() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 400
    return pd.DataFrame(
        {
            "region_id": pd.Series(rng.choice(["a", "b", "c", None], n), dtype=object),
            "industry": rng.choice(["x", "y", "z"], n, p=[0.6, 0.38, 0.02]),
            "employees": pd.array(
                np.where(rng.random(n) < 0.1, None, rng.integers(0, 50, n)),
                dtype="Int64",
            ),
            "founded": pd.array(rng.integers(2015, 2026, n), dtype="Int64"),
            "closed": pd.array(
                np.where(rng.random(n) < 0.8, None, rng.integers(2016, 2030, n)),
                dtype="Int64",
            ),
        }
    )


@pytest.mark.parametrize(
    ("industries", "min_firms"), [(None, 1), (None, 20), (["y", "q"], 1)]
)
def test_table_from_chunk_cells_equals_the_asset(located, industries, min_firms):
    regions = ["a", "b", "c", "d"]
    cells = [employment_cells(located.iloc[a : a + 70], year=2024)[0]
             for a in range(0, len(located), 70)]  # fmt: skip
    table, kept = region_industry_table(
        cells, regions=regions, industries=industries, min_industry_firms=min_firms
    )
    want = asset_table(located, 2024, regions, industries, min_firms)
    pd.testing.assert_frame_equal(table, want)
    assert kept == sorted(want["industry"].unique()) if industries is None else True


def test_employment_cells_counts_by_hand():
    f = pd.DataFrame(
        {
            "region_id": ["a", "a", None, "b"],
            "industry": ["x", "x", "x", "y"],
            "employees": pd.array([3, None, 5, 2], dtype="Int64"),
            "founded": pd.array([2000, 2001, 2000, 2030], dtype="Int64"),
            "closed": pd.array([None, None, None, None], dtype="Int64"),
        }
    )
    cells, counts = employment_cells(f, year=2024)
    # a/x: two active firms, 3 + unknown head count; the firm outside a region and
    # the one founded in 2030 are not counted
    assert cells.values.tolist() == [["a", "x", 3, 2]]
    assert counts == {"active_firms": 2, "inactive_firms": 1}


def test_table_without_any_firm_lists_every_region_with_no_industry():
    table, kept = region_industry_table([], regions=["a", "b"])
    assert table.empty and kept == []
    assert list(table.columns) == ["region_id", "industry", "employees", "firms"]


def test_table_refuses_regions_outside_the_study():
    cells = pd.DataFrame(
        {"region_id": ["zz"], "industry": ["x"], "employees": [1], "firms": [1]}
    )
    with pytest.raises(ValueError, match=r"not study regions, first: \['zz'\]"):
        region_industry_table(cells, regions=["a"])


def test_reason_field_counts():
    counts = reason_field_counts(
        ["firm_id: empty | employees: 'x' is not a whole number", "employees: empty"]
    )
    assert counts == {"employees": 2, "firm_id": 1}
