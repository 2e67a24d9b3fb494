"""Coordinate reference system guards: fail loudly instead of reprojecting quietly."""

from __future__ import annotations

import geopandas as gpd


def require_crs(gdf: gpd.GeoDataFrame | gpd.GeoSeries, name: str) -> None:
    """Raise unless ``gdf`` declares a CRS.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame or geopandas.GeoSeries
        Frame to check. Not modified.
    name : str
        Name of the frame, used in the error message.

    Raises
    ------
    TypeError
        If ``gdf`` is not a GeoDataFrame or GeoSeries.
    ValueError
        If ``gdf`` has no CRS.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> pts = gpd.GeoDataFrame(geometry=[Point(0, 0)])
    >>> require_crs(pts.set_crs("EPSG:4326"), "pts") is None
    True
    >>> require_crs(pts, "pts")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: pts has no CRS. Declare the source CRS with pts.set_crs(...) ...
    """
    _require_geo(gdf, name)
    if gdf.crs is None:
        raise ValueError(
            f"{name} has no CRS. Declare the source CRS with {name}.set_crs(...) "
            "(the CRS the coordinates are in; do not guess it) before using it."
        )


def require_metric_crs(gdf: gpd.GeoDataFrame | gpd.GeoSeries, name: str) -> None:
    """Raise unless ``gdf`` is in a projected CRS measured in metres.

    Functions that measure distances or areas call this; they never reproject
    quietly. Reprojection happens once, explicitly, into the study's analysis CRS.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame or geopandas.GeoSeries
        Frame to check. Not modified.
    name : str
        Name of the frame, used in the error message.

    Raises
    ------
    TypeError
        If ``gdf`` is not a GeoDataFrame or GeoSeries.
    ValueError
        If ``gdf`` has no CRS, a geographic CRS (degrees), or a projected CRS whose
        unit is not the metre (e.g. US survey feet).

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> pts = gpd.GeoDataFrame(geometry=[Point(0, 0)], crs="EPSG:3035")
    >>> require_metric_crs(pts, "pts") is None
    True
    >>> require_metric_crs(pts.to_crs(4326), "pts")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: pts is in geographic CRS EPSG:4326, so distances would be in ...
    """
    require_crs(gdf, name)
    crs = gdf.crs
    if not crs.is_projected:
        raise ValueError(
            f"{name} is in geographic CRS {crs.to_string()}, so distances would "
            f"be in degrees. Reproject first, e.g. {name}.to_crs('EPSG:3035')."
        )
    unit = crs.axis_info[0].unit_name if crs.axis_info else None
    if unit not in ("metre", "meter"):
        raise ValueError(
            f"{name} CRS {crs.to_string()} is not in metres (axis unit: {unit}). "
            f"Reproject to a metric CRS first, e.g. {name}.to_crs('EPSG:3035')."
        )


def _require_geo(gdf: object, name: str) -> None:
    if not isinstance(gdf, gpd.GeoDataFrame | gpd.GeoSeries):
        raise TypeError(
            f"{name} must be a geopandas GeoDataFrame or GeoSeries; got "
            f"{type(gdf).__name__}. Build one with geopandas.GeoDataFrame(crs=...)."
        )
