"""Bad boundary files and degenerate region sets: clear errors, repairs counted,
regions without neighbours reported as isolates; never a library traceback."""

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import assert_our_error, tally_case
from shapely.geometry import Point, Polygon, box

from data_sources.regions import read_regions
from data_sources.study import RegionsSpec
from geo.autocorrelation import lisa_table, local_moran
from geo.regions import assign_to_regions
from geo.weights import build_weights

UTM = "EPSG:32616"


def squares(n: int = 3, *, crs: str | None = UTM, ids=None) -> gpd.GeoDataFrame:
    """n unit squares (10 km) in a row, ids r0..r{n-1}."""
    return gpd.GeoDataFrame(
        {"code": ids or [f"r{i}" for i in range(n)]},
        geometry=[box(i * 1e4, 0, (i + 1) * 1e4, 1e4) for i in range(n)],
        crs=crs,
    )


def save(gdf: gpd.GeoDataFrame, path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gdf.to_file(path)
    return path


@pytest.mark.parametrize(
    ("make", "spec", "match"),
    [
        pytest.param(
            lambda p: p.write_text("this is not GeoJSON"),
            {},
            r"regions\.geojson: cannot be read as a boundary file .*use GeoJSON, "
            r"GeoPackage or Shapefile",
            id="not-a-vector-file",
        ),
        pytest.param(
            lambda p: p.write_bytes(b""),
            {},
            r"regions\.geojson: cannot be read as a boundary file",
            id="empty-file",
        ),
        pytest.param(
            lambda p: save(squares(), p),
            {"id": "GEOID"},
            r"regions\.geojson: regions\.id column 'GEOID' not found; the file has "
            r"\['code'\]",
            id="id-column-missing",
        ),
        pytest.param(
            lambda p: save(squares(), p),
            {"name": "NAME"},
            r"regions\.name column 'NAME' not found",
            id="name-column-missing",
        ),
        pytest.param(
            lambda p: save(squares(ids=["a", "b", "a"]), p),
            {},
            r"1 duplicated region id\(s\) in 'code', first: \['a'\]; ids must be "
            r"unique \(dissolve multi-part regions first\)",
            id="duplicate-region-ids",
        ),
        pytest.param(
            lambda p: save(squares(ids=["a", " ", "c"]), p),
            {},
            r"empty 'code' in row\(s\) \[1\]; every region needs an id",
            id="empty-region-id",
        ),
        pytest.param(
            lambda p: save(
                gpd.GeoDataFrame(
                    {"code": ["a", "b"]},
                    geometry=[box(0, 0, 1, 1), Polygon()],
                    crs=UTM,
                ),
                p,
            ),
            {},
            r"1 region\(s\) have no geometry, ids: \['b'\]; repair or remove them, "
            r"or set regions\.drop_empty: true",
            id="empty-geometry",
        ),
        pytest.param(
            lambda p: save(
                gpd.GeoDataFrame(
                    {"code": ["a", "b"]}, geometry=[box(0, 0, 1, 1), None], crs=UTM
                ),
                p,
            ),
            {},
            r"1 region\(s\) have no geometry, ids: \['b'\]",
            id="missing-geometry",
        ),
        pytest.param(
            lambda p: save(squares(crs="EPSG:4326"), p),
            {"crs": "EPSG:32616"},
            r"the file declares CRS EPSG:4326 but the study says regions\.crs "
            r"'EPSG:32616'; remove regions\.crs or correct it",
            id="crs-conflict",
        ),
    ],
)
def test_bad_boundary_file_is_a_clear_error(tmp_path, make, spec, match):
    path = tmp_path / "regions.geojson"
    make(path)
    with pytest.raises(ValueError, match=match) as excinfo:
        read_regions(RegionsSpec(path=str(path), **{"id": "code", **spec}))
    assert_our_error(excinfo, file=path)


def test_missing_crs_is_a_clear_error_then_declared(tmp_path):
    # a shapefile without .prj declares no CRS
    path = save(squares(crs=None), tmp_path / "regions.shp")
    with pytest.raises(
        ValueError,
        match=r"regions\.shp: the file declares no CRS; set regions\.crs in the study "
        r"file to the CRS the coordinates are in",
    ) as excinfo:
        read_regions(RegionsSpec(path=str(path), id="code"))
    assert_our_error(excinfo, file=path)
    regions = read_regions(RegionsSpec(path=str(path), id="code", crs=UTM))
    assert regions.crs.to_epsg() == 32616


def test_missing_boundary_file_names_the_field(tmp_path):
    with pytest.raises(ValueError, match=r"regions\.path: file not found") as exc:
        read_regions(RegionsSpec(path=str(tmp_path / "none.gpkg"), id="code"))
    assert_our_error(exc)


def test_projected_coordinates_declared_geographic_is_a_clear_error(tmp_path):
    # UTM metres written into a file that says WGS84 degrees: a mixed-up CRS
    path = save(squares(crs="EPSG:4326"), tmp_path / "mixed.geojson")
    with pytest.raises(
        ValueError,
        match=r"mixed\.geojson: the file declares the geographic CRS EPSG:4326 but its "
        r"coordinates \[0, 0, 30000, 10000\] are outside -180\.\.180 / -90\.\.90 "
        r"degrees; they look projected \(metres\)\. Fix the file's CRS declaration",
    ) as excinfo:
        read_regions(RegionsSpec(path=str(path), id="code"))
    assert_our_error(excinfo, file=path)


def test_self_intersecting_region_is_repaired_and_counted(tmp_path):
    bowtie = Polygon([(0, 0), (1e4, 1e4), (1e4, 0), (0, 1e4)])
    path = save(
        gpd.GeoDataFrame(
            {"code": ["a", "b"]}, geometry=[bowtie, box(1e4, 0, 2e4, 1e4)], crs=UTM
        ),
        tmp_path / "bowtie.gpkg",
    )
    regions = read_regions(RegionsSpec(path=str(path), id="code"))
    assert regions.geometry.is_valid.all()
    assert regions.attrs["repaired_geometries"] == 1
    tally_case("reported")


def test_dropped_empty_regions_are_listed(tmp_path):
    path = save(
        gpd.GeoDataFrame(
            {"code": ["a", "b"]}, geometry=[box(0, 0, 1, 1), None], crs=UTM
        ),
        tmp_path / "r.gpkg",
    )
    spec = RegionsSpec(path=str(path), id="code")
    spec = type("Spec", (), {**spec.model_dump(), "drop_empty": True})()
    with pytest.warns(UserWarning, match=r"dropped 1 region\(s\) without geometry"):
        regions = read_regions(spec)
    assert regions.attrs["dropped_without_geometry"] == ["b"]
    tally_case("reported")


# ---------------------------------------------------- degenerate sets of regions


def test_a_single_region_cannot_have_autocorrelation():
    one = squares(1).rename(columns={"code": "region_id"})
    graph = build_weights(one, "queen")
    with pytest.raises(
        ValueError, match=r"Moran's I needs at least 3 regions; got 1\. Use a larger"
    ) as excinfo:
        local_moran(pd.Series({"r0": 1.0}), graph, permutations=99, seed=1)
    assert_our_error(excinfo)


def test_region_without_neighbours_is_an_isolate_not_dropped():
    # three squares in a row and one far away: it has no queen neighbour
    regions = pd.concat(
        [
            squares(3),
            gpd.GeoDataFrame(
                {"code": ["far"]}, geometry=[box(9e5, 9e5, 9.1e5, 9.1e5)], crs=UTM
            ),
        ]
    ).rename(columns={"code": "region_id"})
    graph = build_weights(regions, "queen")
    out = local_moran(
        pd.Series({"r0": 1.0, "r1": 2.0, "r2": 6.0, "far": 3.0}),
        graph,
        permutations=99,
        seed=1,
    )
    assert len(out) == 4
    assert out.loc["far", "quadrant"] == "isolate"
    assert np.isnan(out.loc["far", "p_value"])
    tally_case("reported")


def test_zero_variance_industry_is_skipped_with_its_reason():
    graph = build_weights(squares(4).rename(columns={"code": "region_id"}), "rook")
    table = pd.DataFrame(
        {
            "region_id": [f"r{i}" for i in range(4)] * 2,
            "industry": ["flat"] * 4 + ["varied"] * 4,
            "lq": [1.0] * 4 + [1.0, 2.0, 6.0, 3.0],
        }
    )
    out = lisa_table(table, graph, permutations=99, seed=1)
    assert out["industry"].unique().tolist() == ["varied"]
    reason = out.attrs["skipped_industries"]["flat"]
    assert "constant" in reason and "zero variance" in reason
    tally_case("reported")


def test_zero_variance_alone_is_a_clear_error():
    graph = build_weights(squares(4).rename(columns={"code": "region_id"}), "rook")
    with pytest.raises(
        ValueError, match=r"y has constant values \(1\) in all 4 regions.*zero variance"
    ) as excinfo:
        local_moran(pd.Series(1.0, index=[f"r{i}" for i in range(4)]), graph, seed=1)
    assert_our_error(excinfo)


def test_swapped_coordinates_fall_outside_every_region():
    # a firm whose lat and lon were swapped is located far away: it keeps its row and
    # gets no region (reported by firms_in_regions), it is never dropped
    regions = squares(3).rename(columns={"code": "region_id"}).to_crs("EPSG:4326")
    inside = regions.geometry.iloc[0].representative_point()
    firms = gpd.GeoDataFrame(
        {"firm_id": ["ok", "swapped"]},
        geometry=[inside, Point(inside.y, inside.x)],
        crs="EPSG:4326",
    )
    out = assign_to_regions(firms, regions)
    assert out["region_id"].tolist() == ["r0", None]
    tally_case("reported")
