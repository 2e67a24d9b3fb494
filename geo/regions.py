"""Assignment of located points to the regions that contain them."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geo.crs import require_crs


def assign_to_regions(
    points: gpd.GeoDataFrame, regions: gpd.GeoDataFrame, *, id_column: str = "region_id"
) -> gpd.GeoDataFrame:
    """Add the id of the region containing each point; None when outside all or empty.

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Points (empty geometry allowed: those stay unassigned). Not modified.
    regions : geopandas.GeoDataFrame
        Polygons with ``id_column``, in the same CRS as ``points``.

    Returns
    -------
    geopandas.GeoDataFrame
        ``points`` with ``id_column`` added, same rows and order. A point inside two
        overlapping regions goes to the smallest id, so the result is deterministic.

    Raises
    ------
    ValueError
        If either frame lacks a CRS or the CRSs differ.

    Examples
    --------
    >>> from shapely.geometry import Point, box
    >>> regions = gpd.GeoDataFrame({"region_id": ["w", "e"]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs="EPSG:32617")
    >>> pts = gpd.GeoDataFrame(geometry=[Point(0.5, 0.5), Point(1.5, 0.5),
    ...     Point(5, 5), None], crs="EPSG:32617")
    >>> assign_to_regions(pts, regions)["region_id"].tolist()
    ['w', 'e', None, None]
    """
    require_crs(points, "points")
    require_crs(regions, "regions")
    if not points.crs.equals(regions.crs):
        raise ValueError(
            f"points are in {points.crs.to_string()} but regions in "
            f"{regions.crs.to_string()}; reproject one with .to_crs(...) first"
        )
    has_point = ~(points.geometry.isna() | points.geometry.is_empty)
    # 'within' is both correct for points and faster than the default 'intersects'
    # on detailed polygons (PERFORMANCE-NOTES).
    joined = gpd.sjoin(
        points.loc[has_point, [points.geometry.name]],
        regions[[id_column, regions.geometry.name]],
        how="left",
        predicate="within",
    )
    first = joined[id_column].groupby(level=0).min()
    out = points.copy()
    out[id_column] = first.reindex(points.index).astype(object)
    out[id_column] = out[id_column].where(out[id_column].notna(), None)
    return out


def label_firms_with_clusters(
    firms: pd.DataFrame, clusters: pd.DataFrame, *, id_column: str = "region_id"
) -> pd.Series:
    """Cluster id of each firm: the cluster of its industry that contains its region.

    Parameters
    ----------
    firms : pandas.DataFrame
        With ``id_column`` and ``industry``. Not modified.
    clusters : pandas.DataFrame
        With ``cluster_id``, ``industry`` and ``regions`` (comma-joined region ids).

    Returns
    -------
    pandas.Series
        Aligned with ``firms``; None for firms in no cluster.

    Examples
    --------
    >>> firms = pd.DataFrame({"region_id": ["a", "b", "a"],
    ...                       "industry": ["x", "x", "y"]})
    >>> clusters = pd.DataFrame({"cluster_id": ["x-1"], "industry": ["x"],
    ...                          "regions": ["a,c"]})
    >>> label_firms_with_clusters(firms, clusters).tolist()
    ['x-1', None, None]
    """
    pairs = [
        (region, row.industry, row.cluster_id)
        for row in clusters.itertuples()
        for region in str(row.regions).split(",")
    ]
    lookup = pd.DataFrame(pairs, columns=[id_column, "industry", "cluster_id"])
    # a region belongs to at most one cluster per industry (connected components)
    merged = firms[[id_column, "industry"]].merge(
        lookup, how="left", on=[id_column, "industry"]
    )
    merged.index = firms.index
    return merged["cluster_id"].astype(object).where(merged["cluster_id"].notna(), None)
