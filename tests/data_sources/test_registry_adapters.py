"""Registry adapters (CSV in any encoding and delimiter, Excel, Parquet, GeoPackage)
and boundary files (plain, gzipped, zipped): canonical columns, bad rows kept with a
reason so validation quarantines them."""

import gzip
import shutil
import zipfile

import geopandas as gpd
import pandas as pd
import pytest
from libpysal import examples
from shapely.geometry import Point, box

from data_sources.regions import gdal_path, read_regions, recode_region_ids
from data_sources.registry import (
    RegistrySource,
    normalise_numbers,
    read_registry,
    read_registry_csv,
    registry_source,
)
from data_sources.study import RegionsSpec, RegistrySpec
from geo.registry import validate_registry

NAICS = {"314110", "3141", "311615", "3116"}


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return str(path)


# --- CSV: encodings, delimiters, decimal marks -----------------------------------


def test_cp1251_registry_with_semicolons_and_decimal_commas(tmp_path):
    # A Russian registry as exported by Excel: cp1251, ';', decimal commas.
    text = (
        "ИНН;Наименование;Город;ОКВЭД;Численность;Широта;Долгота\n"
        '5902;ООО "Ромашка";Пермь;47.11;12;58,0105;56,2502\n'
        "5903;ИП Ёлкин;Кудымкар;47.19;1,2E+01;;\n"
    )
    path = write(tmp_path / "reestr.csv", text, "cp1251")
    firms = read_registry(
        {
            "path": path,
            "encoding": "cp1251",
            "delimiter": ";",
            "decimal": ",",
            "columns": {
                "firm_id": "ИНН",
                "name": "Наименование",
                "settlement": "Город",
                "industry_code": "ОКВЭД",
                "employees": "Численность",
                "lat": "Широта",
                "lon": "Долгота",
            },
        }
    )
    assert firms["name"].tolist() == ['ООО "Ромашка"', "ИП Ёлкин"]
    assert firms["settlement"].tolist() == ["Пермь", "Кудымкар"]
    # decimal commas become points; "1,2E+01" is 12 in scientific notation
    assert firms["lat"].tolist() == ["58.0105", ""]
    assert firms["employees"].tolist() == ["12", "1.2E+01"]
    assert firms["source_row"].tolist() == [1, 2]
    assert firms["read_problem"].tolist() == ["", ""]


def test_cp1251_file_read_as_utf8_says_which_encoding_to_set(tmp_path):
    path = write(tmp_path / "reestr.csv", "ИНН;ОКВЭД\n1;47.11\n", "cp1251")
    with pytest.raises(ValueError, match=r"cannot be read as 'utf-8'.*'cp1251'"):
        read_registry({"path": path, "delimiter": ";"})


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_any_single_character_delimiter(tmp_path, delimiter):
    header = delimiter.join(["firm_id", "industry_code", "employees", "name"])
    row = delimiter.join(["a1", "314110", "7", '"Mills, Inc."'])
    path = write(tmp_path / "r.txt", f"{header}\n{row}\n")
    firms = read_registry({"path": path, "delimiter": delimiter, "format": "csv"})
    assert firms.loc[0, ["firm_id", "employees", "name"]].tolist() == [
        "a1",
        "7",
        "Mills, Inc.",
    ]


def test_wrong_delimiter_is_reported_with_the_fix(tmp_path):
    path = write(tmp_path / "r.csv", "firm_id;industry_code;employees\na;1;2\n")
    with pytest.raises(ValueError, match=r"probably not ','-delimited.*delimiter"):
        read_registry({"path": path})


def test_utf8_bom_is_not_part_of_the_first_column_name(tmp_path):
    # encoding 'utf-8' (not 'utf-8-sig') on a file with a BOM: the id column is
    # still found by its plain name
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufefffirm_id,industry_code,employees\nx,314110,3\n".encode())
    firms = read_registry({"path": str(path), "encoding": "utf-8"})
    assert firms["firm_id"].tolist() == ["x"]


def test_gzipped_csv_is_read(tmp_path):
    path = tmp_path / "r.csv.gz"
    path.write_bytes(gzip.compress(b"firm_id,industry_code,employees\nz,314110,4\n"))
    assert read_registry({"path": str(path)})["firm_id"].tolist() == ["z"]


def test_decimal_comma_scientific_notation_and_thousands():
    values = pd.Series(["1,2E+03", "12 500", "1.234,5", "-0,5", "abc", ""])
    # "1.234,5" with thousands="." is 1234.5; without it the text is not a number
    assert normalise_numbers(values, decimal=",", thousands=".").tolist() == [
        "1.2E+03",
        "12500",
        "1234.5",
        "-0.5",
        "abc",
        "",
    ]


def test_scientific_employees_validate_to_whole_numbers(tmp_path):
    text = "firm_id;industry_code;employees\na;314110;1,2E+03\nb;314110;2,5\n"
    path = write(tmp_path / "r.csv", text)
    raw = read_registry({"path": path, "delimiter": ";", "decimal": ","})
    ok, bad = validate_registry(raw, valid_codes=NAICS, level=4, year=2024)
    # 1,2E+03 = 1200 employees; 2,5 is not a whole head count
    assert ok["employees"].tolist() == [1200]
    assert bad["reason"].tolist() == ["employees: '2.5' is not a whole number"]


def test_row_with_wrong_field_count_is_quarantined_not_dropped(tmp_path):
    text = "firm_id,industry_code,employees\na,314110,3\nb,314110,4,extra\nc,3141\n"
    raw = read_registry({"path": write(tmp_path / "r.csv", text)})
    assert raw["source_row"].tolist() == [1, 2, 3]
    ok, bad = validate_registry(raw, valid_codes=NAICS, level=4, year=2024)
    assert ok["firm_id"].tolist() == ["a"]
    assert bad["source_row"].tolist() == [2, 3]
    assert (
        bad["reason"]
        .iloc[0]
        .startswith("row: 4 fields where the header has 3; check registry.delimiter")
    )
    # row c is short: its missing employees are reported as well
    assert "employees: empty" in bad["reason"].iloc[1]


def test_missing_required_column_names_the_file_columns(tmp_path):
    path = write(tmp_path / "r.csv", "id,naics,staff\na,314110,3\n")
    with pytest.raises(ValueError, match=r"required column\(s\).*'id', 'naics'"):
        read_registry({"path": path})


def test_column_mapping_renames_to_canonical(tmp_path):
    path = write(tmp_path / "r.csv", "ID,NAICS,Staff,Town\n7,314110,3,Dalton\n")
    firms = read_registry(
        {
            "path": path,
            "columns": {
                "firm_id": "ID",
                "industry_code": "NAICS",
                "employees": "Staff",
                "settlement": "Town",
            },
        }
    )
    assert firms.loc[0, ["firm_id", "settlement", "postcode"]].tolist() == [
        "7",
        "Dalton",
        "",
    ]


def test_bad_options_are_refused(tmp_path):
    path = write(tmp_path / "r.csv", "firm_id,industry_code,employees\n")
    with pytest.raises(ValueError, match="unknown text encoding 'klingon'"):
        read_registry({"path": path, "encoding": "klingon"})
    with pytest.raises(ValueError, match="registry.format 'dbf' is not supported"):
        read_registry({"path": path, "format": "dbf"})
    with pytest.raises(ValueError, match=r"unknown registry option\(s\) \['sep'\]"):
        read_registry({"path": path, "sep": ";"})
    with pytest.raises(ValueError, match="unknown registry adapter 'dnb'"):
        read_registry({"path": path, "adapter": "dnb"})
    with pytest.raises(ValueError, match="registry.path: file not found"):
        read_registry({"path": str(tmp_path / "nope.csv")})
    with pytest.raises(ValueError, match="delimiter must be one character"):
        read_registry({"path": path, "delimiter": ";;"})


def test_study_spec_and_old_entry_point_still_work(tmp_path):
    path = write(tmp_path / "r.csv", "firm_id,industry_code,employees\na,314110,3\n")
    spec = RegistrySpec(path=path)
    assert read_registry_csv(spec)["employees"].tolist() == ["3"]
    assert registry_source(spec) == registry_source(RegistrySource(path=path))


# --- Excel and Parquet --------------------------------------------------------------


def test_excel_sheet_by_name_keeps_text_codes(tmp_path):
    path = tmp_path / "firms.xlsx"
    firms = pd.DataFrame(
        {
            "firm_id": ["a", "b"],
            "industry_code": ["314110", "311615"],
            "employees": [12, 3],
            "postcode": ["01702", "30720"],  # text cells keep the leading zero
            "lat": [34.77, None],
        }
    )
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        pd.DataFrame({"note": ["cover sheet"]}).to_excel(writer, sheet_name="About")
        firms.to_excel(writer, sheet_name="Firms", index=False)
    raw = read_registry({"path": str(path), "sheet": "Firms"})
    assert raw["employees"].tolist() == ["12", "3"]
    assert raw["postcode"].tolist() == ["01702", "30720"]
    assert raw["lat"].tolist() == ["34.77", ""]
    with pytest.raises(ValueError, match="cannot read sheet 'Nope'"):
        read_registry({"path": str(path), "sheet": "Nope"})


def test_parquet_numbers_and_nulls_become_text(tmp_path):
    path = tmp_path / "firms.parquet"
    pd.DataFrame(
        {
            "firm_id": ["a", "b"],
            "industry_code": ["314110", "311615"],
            "employees": [12.0, None],  # float column with a null
            "founded": pd.array([1990, None], dtype="Int64"),
        }
    ).to_parquet(path)
    raw = read_registry({"path": str(path)})
    assert raw["employees"].tolist() == ["12", ""]
    assert raw["founded"].tolist() == ["1990", ""]
    ok, bad = validate_registry(raw, valid_codes=NAICS, level=4, year=2024)
    assert ok["firm_id"].tolist() == ["a"] and bad["firm_id"].tolist() == ["b"]


# --- GeoPackage ---------------------------------------------------------------------


@pytest.fixture
def firm_points(tmp_path):
    """Three firms in Web Mercator: a point at (0, 0), a point one degree east of it
    (x = 111319.49 m is 1 degree of longitude on the sphere), a polygon, no geometry."""
    frame = gpd.GeoDataFrame(
        {
            "firm_id": ["p0", "p1", "poly", "none"],
            "industry_code": ["314110"] * 4,
            "employees": [5, 6, 7, 8],
        },
        geometry=[Point(0, 0), Point(111319.49079327357, 0), box(0, 0, 10, 10), None],
        crs="EPSG:3857",
    )
    path = tmp_path / "firms.gpkg"
    frame.to_file(path, layer="firms", engine="pyogrio")
    return path


def test_geopackage_points_give_wgs84_lat_lon(firm_points):
    raw = read_registry({"path": str(firm_points)})
    lon = pd.to_numeric(raw["lon"].replace("", None))
    lat = pd.to_numeric(raw["lat"].replace("", None))
    assert lon.iloc[:2].tolist() == pytest.approx([0.0, 1.0], abs=1e-9)
    assert lat.iloc[:2].tolist() == pytest.approx([0.0, 0.0], abs=1e-9)
    # a firm without geometry is a firm without coordinates, not an error
    assert raw.loc[3, ["lat", "lon", "read_problem"]].tolist() == ["", "", ""]


def test_geopackage_polygon_is_quarantined_with_reason(firm_points):
    raw = read_registry({"path": str(firm_points), "layer": "firms"})
    ok, bad = validate_registry(raw, valid_codes=NAICS, level=4, year=2024)
    assert ok["firm_id"].tolist() == ["p0", "p1", "none"]
    assert bad["reason"].tolist() == [
        "geometry: a Polygon, not a point; give firm locations as points (e.g. "
        "representative_point()) or leave the geometry empty"
    ]


@pytest.mark.filterwarnings("ignore:'crs' was not provided:UserWarning")
def test_geopackage_without_crs_needs_one_declared(tmp_path):
    path = tmp_path / "nocrs.gpkg"
    gpd.GeoDataFrame(
        {"firm_id": ["a"], "industry_code": ["314110"], "employees": [1]},
        geometry=[Point(10.0, 50.0)],
    ).to_file(path, engine="pyogrio")
    with pytest.raises(ValueError, match="declares no CRS; set registry.crs"):
        read_registry({"path": str(path)})
    raw = read_registry({"path": str(path), "crs": "EPSG:4326"})
    assert raw.loc[0, ["lat", "lon"]].tolist() == ["50.0", "10.0"]


def test_geopackage_unknown_layer_lists_the_layers(firm_points):
    with pytest.raises(ValueError, match=r"set registry.layer to one of \['firms'\]"):
        read_registry({"path": str(firm_points), "layer": "shops"})


# --- boundaries: GeoJSON, GeoPackage, Shapefile; gzipped or zipped -----------------


def georgia_files():
    base = examples.get_path("G_utm.shp")[:-4]
    return [base + ext for ext in (".shp", ".shx", ".dbf")]


def test_zipped_shapefile_in_a_subfolder(tmp_path):
    archive = tmp_path / "georgia.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for name in georgia_files():
            z.write(name, "counties/G_utm" + name[-4:])
    regions = read_regions(
        RegionsSpec(path=str(archive), id="AreaKey", crs="EPSG:26916")
    )
    assert len(regions) == 159
    assert regions.crs.to_epsg() == 26916


def test_zip_with_two_datasets_needs_the_layer(tmp_path):
    archive = tmp_path / "two.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for name in georgia_files():
            z.write(name, "a/G_utm" + name[-4:])
            z.write(name, "b/G_utm" + name[-4:])
    with pytest.raises(ValueError, match="holds 2 vector datasets"):
        gdal_path(archive)
    assert gdal_path(archive, member="b/G_utm.shp").endswith("two.zip/b/G_utm.shp")


def test_gzipped_geojson_and_geopackage(tmp_path):
    squares = gpd.GeoDataFrame(
        {"code": ["w", "e"], "label": ["West", "East"]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
        crs="EPSG:4326",
    )
    plain = tmp_path / "sq.geojson"
    squares.to_file(plain, driver="GeoJSON", engine="pyogrio")
    gz = tmp_path / "sq.geojson.gz"
    with open(plain, "rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    gpkg = tmp_path / "sq.gpkg"
    squares.to_file(gpkg, layer="squares", engine="pyogrio")
    for path, layer in ((gz, None), (gpkg, "squares")):
        regions = read_regions(
            RegionsSpec(path=str(path), id="code", name="label", layer=layer)
        )
        assert regions[["region_id", "name"]].values.tolist() == [
            ["w", "West"],
            ["e", "East"],
        ]


def test_unreadable_boundary_file_is_a_clear_error(tmp_path):
    path = write(tmp_path / "x.geojson", "not json")
    with pytest.raises(ValueError, match="cannot be read as a boundary file"):
        read_regions(RegionsSpec(path=path, id="code"))


def test_recode_swaps_ids_and_refuses_unknown_ones():
    ids = pd.Series(["RU-MOS", "RU-MOW", "RU-PER"])
    # Natural Earth 1:50m has the ISO codes of Moscow city and oblast swapped
    swapped = recode_region_ids(ids, {"RU-MOS": "RU-MOW", "RU-MOW": "RU-MOS"})
    assert swapped.tolist() == ["RU-MOW", "RU-MOS", "RU-PER"]
    with pytest.raises(ValueError, match=r"names id\(s\) \['RU-XX'\] that the"):
        recode_region_ids(ids, {"RU-XX": "RU-YY"})


def test_regions_without_geometry_fail_or_are_dropped_when_asked(tmp_path):
    from types import SimpleNamespace

    from shapely.geometry import Polygon

    # a small city lost to generalisation, as Falls Church VA (51610) in us-atlas
    squares = gpd.GeoDataFrame(
        {"code": ["a", "b"]}, geometry=[box(0, 0, 1, 1), Polygon()], crs="EPSG:4326"
    )
    path = tmp_path / "sq.gpkg"
    squares.to_file(path, engine="pyogrio")
    spec = {"path": str(path), "id": "code", "name": None, "crs": None}
    with pytest.raises(ValueError, match=r"1 region\(s\) have no geometry.*drop_empty"):
        read_regions(RegionsSpec(**spec))
    loose = SimpleNamespace(**spec, layer=None, names_from=None, drop_empty=True)
    with pytest.warns(UserWarning, match=r"dropped 1 region\(s\) without geometry"):
        regions = read_regions(loose)
    assert regions["region_id"].tolist() == ["a"]
    assert regions.attrs["dropped_without_geometry"] == ["b"]
