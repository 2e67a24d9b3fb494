"""Localized clusters: connected significant High-High regions dissolved to polygons."""

from __future__ import annotations

import hashlib

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from libpysal.graph import Graph
from scipy.sparse.csgraph import connected_components

SUMMED_COLUMNS = ("employment", "firms")


def delineate_clusters(
    regions: gpd.GeoDataFrame,
    lisa: pd.DataFrame,
    graph: Graph,
    *,
    alpha: float = 0.05,
    min_lq: float = 1.25,
    min_regions: int = 1,
    id_column: str = "region_id",
    industry: str = "industry",
    value: str = "lq",
    core_alpha: float = 0.01,
) -> gpd.GeoDataFrame:
    """Localized clusters of every industry, one dissolved polygon each.

    Members of an industry's clusters are the regions whose ``quadrant`` is
    ``HH`` (already significant after correction), whose ``p_adjusted`` is below
    ``alpha`` and whose ``value`` (LQ) is at least ``min_lq``. Members joined by
    graph edges between members (either direction) form one cluster; a cluster
    needs ``min_regions`` members.

    Parameters
    ----------
    regions : geopandas.GeoDataFrame
        Region polygons with the id in column ``id_column`` or in an index of that
        name. Not modified.
    lisa : pandas.DataFrame
        Long table as from ``lisa_table``: ``id_column``, ``industry``, ``value``,
        ``quadrant``, ``p_adjusted``; ``employment`` and ``firms`` are summed per
        cluster when present. Not modified.
    graph : libpysal.graph.Graph
        The spatial weights the LISA was computed with.
    alpha : float
        Members need ``p_adjusted < alpha``; a value below the LISA's alpha
        tightens the selection, a larger one changes nothing.
    min_lq : float
        Smallest ``value`` of a member.
    min_regions : int
        Smallest number of members of a cluster.
    id_column, industry, value : str
        Column names of the region id, the industry and the location quotient.
    core_alpha : float
        Members with ``p_adjusted < core_alpha`` are listed as ``core_regions``.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per cluster, sorted by industry and ``cluster_id``: ``cluster_id``
        (``"<industry>-<first 10 hex of sha1 of the sorted member ids>"``, stable
        across runs and row orders), ``industry``, ``regions`` (sorted ids,
        comma-joined), ``n_regions``, ``core_regions``, ``employment`` and
        ``firms`` (when in ``lisa``), ``mean_lq`` (unweighted) and ``geometry``
        (union of the members), in the CRS of ``regions``. No cluster: an empty
        frame with these columns.

    Raises
    ------
    TypeError
        If ``regions`` is not a GeoDataFrame, ``lisa`` not a DataFrame or
        ``graph`` not a Graph.
    ValueError
        For missing columns, duplicate ids or (region, industry) rows, member
        regions absent from ``regions`` or ``graph``, or invalid thresholds.

    Examples
    --------
    Three squares in a row; w and m are significant HH with LQ 2, e is not.

    >>> from shapely.geometry import box
    >>> from geo.weights import build_weights
    >>> cells = gpd.GeoDataFrame({"region_id": ["w", "m", "e"]}, crs="EPSG:3035",
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)])
    >>> lisa = pd.DataFrame({"region_id": ["w", "m", "e"], "industry": "x",
    ...     "lq": [2.0, 2.0, 0.5], "quadrant": ["HH", "HH", "ns"],
    ...     "p_adjusted": [0.004, 0.03, 0.6]})
    >>> out = delineate_clusters(cells, lisa, build_weights(cells, "rook"))
    >>> out[["regions", "n_regions", "core_regions", "mean_lq"]].values.tolist()
    [['m,w', 2, 'w', 2.0]]
    """
    geoms = _geometries(regions, id_column)
    if not isinstance(lisa, pd.DataFrame):
        raise TypeError(f"lisa must be a pandas DataFrame; got {type(lisa).__name__}.")
    if not isinstance(graph, Graph):
        raise TypeError(
            f"graph must be a libpysal.graph.Graph; got {type(graph).__name__}."
        )
    needed = [id_column, industry, value, "quadrant", "p_adjusted"]
    missing = [c for c in needed if c not in lisa.columns]
    if missing:
        raise ValueError(
            f"lisa lacks columns {missing}; it has {list(lisa.columns)[:12]}. "
            "Pass the output of lisa_table (or name the columns with id_column=, "
            "industry=, value=)."
        )
    for name, level in (("alpha", alpha), ("core_alpha", core_alpha)):
        if not 0 < level <= 1:
            raise ValueError(f"{name} must lie in (0, 1]; got {level!r}.")
    if not np.isfinite(min_lq):
        raise ValueError(f"min_lq must be a finite number; got {min_lq!r}.")
    if isinstance(min_regions, bool) or not isinstance(min_regions, int | np.integer):
        raise ValueError(f"min_regions must be an integer >= 1; got {min_regions!r}.")
    if min_regions < 1:
        raise ValueError(f"min_regions must be an integer >= 1; got {min_regions!r}.")

    table = lisa.reset_index(drop=True)
    table[id_column] = table[id_column].astype(str)
    dup = table.duplicated([id_column, industry])
    if dup.any():
        first = table.loc[dup, [id_column, industry]].head(5).values.tolist()
        raise ValueError(
            f"lisa has {int(dup.sum())} duplicate ({id_column}, {industry}) rows "
            f"(first: {first}). Give one row per region and industry."
        )
    lq = pd.to_numeric(table[value], errors="coerce")
    p_adj = pd.to_numeric(table["p_adjusted"], errors="coerce")
    is_member = (
        (table["quadrant"] == "HH") & (p_adj < alpha) & (lq >= min_lq)
    ).to_numpy()
    members = table[is_member]

    graph_ids = pd.Index([str(i) for i in graph.unique_ids])
    for where, known in (("regions", geoms.index), ("graph", graph_ids)):
        absent = pd.Index(members[id_column].unique()).difference(known, sort=False)
        if len(absent):
            raise ValueError(
                f"{len(absent)} HH regions of lisa are not in {where} (first: "
                f"{absent[:5].tolist()}). Use the regions and graph the LISA was "
                "computed on."
            )

    adjacency = graph.sparse.tocsr(copy=True)
    adjacency.eliminate_zeros()
    position = pd.Series(np.arange(len(graph_ids)), index=graph_ids)
    summed = [c for c in SUMMED_COLUMNS if c in table.columns]

    rows = []
    for ind, group in members.groupby(industry, sort=False):
        idx = position.loc[group[id_column]].to_numpy()
        sub = adjacency[idx][:, idx]
        _, labels = connected_components(sub, directed=True, connection="weak")
        for label in np.unique(labels):
            part = group[labels == label]
            if len(part) < min_regions:
                continue
            ids = sorted(part[id_column])
            key = ",".join(ids)
            digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:10]
            core = sorted(part.loc[p_adj.loc[part.index] < core_alpha, id_column])
            row = {
                "cluster_id": f"{ind}-{digest}",
                "industry": ind,
                "regions": key,
                "n_regions": len(ids),
                "core_regions": ",".join(core),
            }
            for col in summed:
                row[col] = pd.to_numeric(part[col]).sum()
            row["mean_lq"] = float(lq.loc[part.index].mean())
            row["geometry"] = shapely.union_all(geoms.loc[ids].to_numpy())
            rows.append(row)

    columns = [
        "cluster_id",
        "industry",
        "regions",
        "n_regions",
        "core_regions",
        *summed,
        "mean_lq",
        "geometry",
    ]
    if not rows:
        empty = {c: pd.Series(dtype=object) for c in columns if c != "geometry"}
        empty["n_regions"] = pd.Series(dtype="int64")
        empty["mean_lq"] = pd.Series(dtype=float)
        return gpd.GeoDataFrame(
            empty, geometry=gpd.GeoSeries([], crs=regions.crs), crs=regions.crs
        )[columns]
    out = gpd.GeoDataFrame(pd.DataFrame(rows, columns=columns), crs=regions.crs)
    out["_industry_key"] = out["industry"].astype(str)
    out = out.sort_values(["_industry_key", "cluster_id"], kind="stable")
    return out.drop(columns="_industry_key").reset_index(drop=True)


def _geometries(regions: gpd.GeoDataFrame, id_column: str) -> gpd.GeoSeries:
    """Region geometries indexed by string id (a new object)."""
    if not isinstance(regions, gpd.GeoDataFrame):
        raise TypeError(
            f"regions must be a geopandas GeoDataFrame; got {type(regions).__name__}."
        )
    if id_column in regions.columns:
        ids = regions[id_column]
    elif regions.index.name == id_column:
        ids = regions.index.to_series()
    else:
        raise ValueError(
            f"regions has no column or index named {id_column!r}; columns: "
            f"{list(regions.columns)[:10]}. Pass id_column=... naming the region id."
        )
    index = pd.Index(ids.astype(str).to_numpy(), name=id_column)
    dup = index[index.duplicated()].unique()
    if len(dup):
        raise ValueError(
            f"regions has {len(dup)} duplicate {id_column} values (first: "
            f"{dup[:5].tolist()}). Region ids must be unique."
        )
    return gpd.GeoSeries(regions.geometry.to_numpy(), index=index, crs=regions.crs)
