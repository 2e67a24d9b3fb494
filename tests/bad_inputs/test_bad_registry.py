"""Bad registry files: a clear error naming file and fix, or rows quarantined with a
reason and counted; never a library traceback, never a silent drop."""

import gzip
import warnings

import pandas as pd
import pytest
from conftest import assert_accounted, assert_our_error, tally_case

from data_sources.classification import classification_codes
from data_sources.registry import read_registry_csv
from geo.geocode import geocode_firms
from geo.registry import validate_registry

HEADER = "firm_id,industry_code,employees,founded,closed,lat,lon\n"
GOOD = "a,314110,12,1990,,34.77,-84.97\n"
CODES = set(classification_codes("naics")["code"])


def validate(raw: pd.DataFrame):
    ok, bad = validate_registry(raw, valid_codes=CODES, level=4, year=2024)
    assert_accounted(raw, ok, bad)
    return ok, bad


def read_and_validate(path, **spec):
    raw = read_registry_csv({"path": str(path), **spec})
    return raw, *validate(raw)


# ------------------------------------------------------------ errors for the file


@pytest.mark.parametrize(
    ("name", "data", "spec", "match"),
    [
        pytest.param(
            "empty.csv", b"", {}, r"empty\.csv: the file is empty", id="empty-file"
        ),
        pytest.param(
            "blank.csv",
            "\n\n \n",
            {},
            r"blank\.csv: the file is empty; expected a header and rows",
            id="only-blank-lines",
        ),
        pytest.param(
            "cp1251.csv",
            (HEADER + "а,314110,12,,,,\n").encode("cp1251"),
            {},
            r"cp1251\.csv: cannot be read as 'utf-8' .*set registry\.encoding",
            id="wrong-encoding-cp1251",
        ),
        pytest.param(
            "utf16.csv",
            (HEADER + GOOD).encode("utf-16"),
            {},
            r"utf16\.csv: cannot be read as 'utf-8'.*registry\.encoding",
            id="wrong-encoding-utf16",
        ),
        pytest.param(
            "binary.csv",
            bytes(range(128, 256)) * 4,
            {},
            r"binary\.csv: cannot be read as 'utf-8'",
            id="binary-garbage",
        ),
        pytest.param(
            "semicolon.csv",
            HEADER.replace(",", ";") + GOOD.replace(",", ";"),
            {},
            r"semicolon\.csv: the header has a single column .*Set registry\.delimiter",
            id="wrong-delimiter",
        ),
        pytest.param(
            "tabs.csv",
            HEADER.replace(",", "\t") + GOOD.replace(",", "\t"),
            {},
            r"tabs\.csv: the header has a single column",
            id="tab-delimited-read-as-comma",
        ),
        pytest.param(
            "no_employees.csv",
            "firm_id,industry_code\na,314110\n",
            {},
            r"no_employees\.csv: required column\(s\) \['employees'\] not found "
            r"\(canonical \['employees'\]\); the file has \['firm_id', "
            r"'industry_code'\]\. Map them under registry\.columns",
            id="missing-column",
        ),
        pytest.param(
            "renamed.csv",
            "ID,NAICS,Staff\na,314110,3\n",
            {},
            r"renamed\.csv: required column\(s\) \['firm_id', 'industry_code', "
            r"'employees'\] not found.*\['ID', 'NAICS', 'Staff'\]",
            id="renamed-columns-unmapped",
        ),
        pytest.param(
            "mapped_wrong.csv",
            "ID,NAICS,Staff\na,314110,3\n",
            {
                "columns": {
                    "firm_id": "ID",
                    "industry_code": "NAICS",
                    "employees": "Emp",
                }
            },
            r"mapped_wrong\.csv: required column\(s\) \['Emp'\] not found",
            id="mapping-names-absent-column",
        ),
        pytest.param(
            "x.csv",
            HEADER + GOOD,
            {"encoding": "klingon"},
            r"unknown text encoding 'klingon'; use e.g. 'utf-8'",
            id="unknown-encoding-option",
        ),
        pytest.param(
            "x.csv",
            HEADER + GOOD,
            {"delimiter": ";;"},
            r"registry\.delimiter must be one character; got ';;'",
            id="two-character-delimiter",
        ),
    ],
)
def test_unreadable_registry_is_a_clear_error(write, name, data, spec, match):
    path = write(name, data)
    with pytest.raises(ValueError, match=match) as excinfo:
        read_registry_csv({"path": str(path), **spec})
    # option errors name the study field instead of the file
    assert_our_error(excinfo, file=None if spec and "columns" not in spec else path)


def test_missing_registry_file_names_the_field(tmp_path):
    path = tmp_path / "nowhere.csv"
    with pytest.raises(ValueError, match=r"registry\.path: file not found: .*nowhere"):
        read_registry_csv({"path": str(path)})


def test_a_folder_is_not_a_registry(tmp_path):
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(ValueError, match=r"registry\.path: file not found") as exc:
        read_registry_csv({"path": str(tmp_path / "dir.csv")})
    assert_our_error(exc)


# ------------------------------------------------------- rows quarantined, counted


def test_truncated_last_line_is_quarantined(write):
    # the file was cut mid-row: row 2 has 2 of 7 fields
    path = write("cut.csv", HEADER + GOOD + "b,3141")
    raw, ok, bad = read_and_validate(path)
    assert ok["firm_id"].tolist() == ["a"]
    assert bad["source_row"].tolist() == [2]
    assert (
        bad["reason"]
        .iloc[0]
        .startswith(
            "row: 2 fields where the header has 7; check registry.delimiter and quoting"
        )
    )


def test_unclosed_quote_is_quarantined_not_lost(write):
    # the quote opened on row 2 never closes: Python's csv reads the rest of the file
    # into that field, so row 2 holds row 3's text; it is quarantined, not dropped
    path = write("quote.csv", HEADER + GOOD + 'b,"314110,3,,,,\nc,314110,4,,,,\n')
    raw, ok, bad = read_and_validate(path)
    assert len(raw) == 2 and ok["firm_id"].tolist() == ["a"]
    assert "fields where the header has 7" in bad["reason"].iloc[0]
    assert "c,314110" in bad["industry_code"].iloc[0]


def test_extra_fields_are_quarantined(write):
    path = write("extra.csv", HEADER + GOOD + "b,314110,3,,,,,surplus\n")
    raw, ok, bad = read_and_validate(path)
    assert bad["reason"].iloc[0].startswith("row: 8 fields where the header has 7")


def test_header_only_gives_no_rows_and_no_error(write):
    raw, ok, bad = read_and_validate(write("header.csv", HEADER))
    assert len(raw) == len(ok) == len(bad) == 0
    tally_case("reported")


def test_bom_crlf_and_gzip_are_read(write):
    # a UTF-8 BOM, Windows line ends and gzip are normal registry exports
    data = ("\ufeff" + HEADER + GOOD).replace("\n", "\r\n").encode("utf-8")
    raw, ok, bad = read_and_validate(write("bom.csv.gz", gzip.compress(data)))
    assert ok["firm_id"].tolist() == ["a"] and ok["employees"].tolist() == [12]
    tally_case()


def test_renamed_columns_mapped_in_the_study_are_read(write):
    path = write("renamed.csv", "ID,NAICS,Staff\na,314110,3\n")
    raw, ok, bad = read_and_validate(
        path, columns={"firm_id": "ID", "industry_code": "NAICS", "employees": "Staff"}
    )
    assert ok["employees"].tolist() == [3]
    tally_case()


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        pytest.param(
            "a,314110,5,,,,",
            "firm_id: 'a' duplicates source row 1; registry ids must be unique",
            id="duplicate-id",
        ),
        pytest.param(
            ",314110,5,,,,",
            "firm_id: empty; every firm needs a registry id",
            id="empty-id",
        ),
        pytest.param(
            "b,999999,5,,,,",
            "industry_code: '999999' is not a NAICS code",
            id="code-not-in-classification",
        ),
        pytest.param(
            "b,,5,,,,",
            "industry_code: empty; give the NAICS code",
            id="empty-code",
        ),
        pytest.param(
            "b,314,5,,,,",
            "industry_code: '314' is coarser than the study's level 4; give a "
            "4-digit or finer code, or lower classification.level",
            id="code-too-coarse",
        ),
        pytest.param(
            "b,314110,-3,,,,",
            "employees: '-3' is negative; head counts are >= 0",
            id="negative-employment",
        ),
        pytest.param(
            "b,314110,2000000000,,,,",
            "employees: '2000000000' exceeds 500,000, more than any plausible firm; "
            "check the units",
            id="huge-employment",
        ),
        pytest.param(
            "b,314110,inf,,,,",
            "employees: 'inf' exceeds 500,000",
            id="infinite-employment",
        ),
        pytest.param(
            "b,314110,twelve,,,,",
            "employees: 'twelve' is not a whole number",
            id="text-employment",
        ),
        pytest.param(
            "b,314110,3.5,,,,",
            "employees: '3.5' is not a whole number",
            id="fractional-employment",
        ),
        pytest.param(
            "b,314110,,,,,",
            "employees: empty; give the head count (0 for firms without staff)",
            id="empty-employment",
        ),
        pytest.param(
            "b,314110,3,2031,,,",
            "founded: '2031' is not a year between 1600 and 2024",
            id="founded-in-the-future",
        ),
        pytest.param(
            # found by the property test: 'inf' once crashed with OverflowError
            "b,314110,3,inf,,,",
            "founded: 'inf' is not a year between 1600 and 2024",
            id="infinite-year",
        ),
        pytest.param(
            "b,314110,3,2010,2001,,",
            "closed: 2001 is before founded 2010; check both years",
            id="closed-before-founded",
        ),
        pytest.param(
            "b,314110,3,,,north,-84.9",
            "lat: 'north' is not a number; give decimal degrees (WGS84) or leave it "
            "empty",
            id="text-latitude",
        ),
    ],
)
def test_bad_row_is_quarantined_with_its_reason(write, row, reason):
    raw, ok, bad = read_and_validate(write("firms.csv", HEADER + GOOD + row + "\n"))
    assert ok["firm_id"].tolist() == ["a"], "the good row is kept"
    assert bad["source_row"].tolist() == [2]
    assert reason in bad["reason"].iloc[0]
    tally_case()


def test_scientific_and_padded_numbers_are_read_not_rejected(write):
    raw, ok, bad = read_and_validate(
        write("sci.csv", HEADER + "a,314110, 1.2E+01 ,1990,,34.7,-84.9\n")
    )
    assert ok["employees"].tolist() == [12] and bad.empty
    tally_case()


def test_many_problems_in_one_row_are_all_named(write):
    raw, ok, bad = read_and_validate(
        write("multi.csv", HEADER + GOOD + "a,999999,-1,2090,,x,\n")
    )
    parts = bad["reason"].iloc[0].split(" | ")
    assert [p.split(":")[0] for p in parts] == [
        "firm_id",
        "industry_code",
        "employees",
        "founded",
        "lat",
    ]


# ------------------------------------------------ coordinates: reported, not lost


def test_out_of_range_and_swapped_coordinates_are_reported():
    firms = pd.DataFrame(
        {
            "firm_id": ["out", "swapped", "zero", "none"],
            # 95 N does not exist; a Georgia firm with lat/lon swapped lies at 84 S
            "lat": [95.0, -84.97, 0.0, float("nan")],
            "lon": [-84.97, 34.77, 0.0, float("nan")],
        }
    )
    located = geocode_firms(firms, tiers=["coordinates"])
    assert len(located) == len(firms), "every firm is kept"
    reasons = dict(zip(located["firm_id"], located["match_reason"], strict=True))
    assert reasons["out"] == "coordinates out of range (lat=95, lon=-84.97)"
    assert reasons["zero"] == "coordinates (0, 0) taken as a placeholder"
    assert reasons["none"] == "no coordinates"
    # in range but swapped: located, then outside every study region (see
    # test_bad_regions.test_swapped_coordinates_fall_outside_every_region)
    assert located.set_index("firm_id").loc["swapped", "match_level"] == "coordinates"
    for _ in range(3):
        tally_case("reported")


# ------------------------------------------------- other formats (read_registry)


def _firms_gpkg(path, geometries, crs="EPSG:4326"):
    import geopandas as gpd

    frame = gpd.GeoDataFrame(
        {
            "firm_id": [f"f{i}" for i in range(len(geometries))],
            "industry_code": "314110",
            "employees": 3,
        },
        geometry=geometries,
        crs=crs,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # 'crs' was not provided
        frame.to_file(path, layer="firms")
    return path


def test_gpkg_polygon_firm_is_quarantined(tmp_path):
    from shapely.geometry import Point, box

    from data_sources.registry import read_registry

    path = _firms_gpkg(
        tmp_path / "firms.gpkg", [Point(-84.97, 34.77), box(-85, 34, -84, 35), None]
    )
    raw = read_registry({"path": str(path)})
    ok, bad = validate(raw)
    assert ok["firm_id"].tolist() == ["f0", "f2"]  # no point: geocoded later
    assert bad["reason"].iloc[0].startswith("geometry: a Polygon, not a point")
    tally_case()


def test_gpkg_without_crs_is_a_clear_error(tmp_path):
    import pyogrio
    from shapely.geometry import Point

    from data_sources.registry import read_registry

    path = _firms_gpkg(tmp_path / "firms.gpkg", [Point(1, 2)], crs=None)
    assert pyogrio.read_info(path)["crs"] is None
    with pytest.raises(
        ValueError,
        match=r"firms\.gpkg: layer 'firms' declares no CRS; set registry\.crs",
    ) as excinfo:
        read_registry({"path": str(path)})
    assert_our_error(excinfo, file=path)


def test_parquet_without_required_column_is_a_clear_error(tmp_path):
    from data_sources.registry import read_registry

    path = tmp_path / "firms.parquet"
    pd.DataFrame({"firm_id": ["a"], "naics": ["314110"], "employees": [3]}).to_parquet(
        path
    )
    with pytest.raises(
        ValueError,
        match=r"firms\.parquet: required column\(s\) \['industry_code'\] not found",
    ) as excinfo:
        read_registry({"path": str(path)})
    assert_our_error(excinfo, file=path)


def test_parquet_with_numbers_keeps_every_row(tmp_path):
    from data_sources.registry import read_registry

    path = tmp_path / "firms.parquet"
    pd.DataFrame(
        {
            "firm_id": ["a", "b", "c"],
            "industry_code": ["314110", "314110", "314110"],
            "employees": [3.0, float("nan"), -1.0],
        }
    ).to_parquet(path)
    raw = read_registry({"path": str(path)})
    ok, bad = validate(raw)
    assert ok["employees"].tolist() == [3]
    assert bad["reason"].tolist() == [
        "employees: empty; give the head count (0 for firms without staff)",
        "employees: '-1' is negative; head counts are >= 0",
    ]
    tally_case()
