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
        ``quadrant``, ``p_adjusted``; ``gi_z`` and ``gi_p`` (for the core);
        ``employment`` and ``firms`` are summed per cluster when present. Not
        modified.
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
        Confidence of the core: members that are Getis-Ord Gi* hot spots with
        ``gi_z > 0`` and the uncorrected ``gi_p < core_alpha`` (see Notes).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per cluster, sorted by industry and ``cluster_id``: ``cluster_id``
        (``"<industry>-<first 10 hex of sha1 of the sorted member ids>"``, stable
        across runs and row orders; see :func:`match_cluster_ids` across years),
        ``industry``, ``regions`` (sorted ids, comma-joined), ``n_regions``,
        ``core_regions`` and ``periphery_regions`` (sorted, comma-joined; the
        periphery is every member that is not core, possibly empty),
        ``employment`` and ``firms`` (when in ``lisa``), ``mean_lq``
        (unweighted) and ``geometry`` (union of the members), in the CRS of
        ``regions``. No cluster: an empty frame with these columns.

    Raises
    ------
    TypeError
        If ``regions`` is not a GeoDataFrame, ``lisa`` not a DataFrame or
        ``graph`` not a Graph.
    ValueError
        For missing columns, duplicate ids or (region, industry) rows, member
        regions absent from ``regions`` or ``graph``, or invalid thresholds.

    Notes
    -----
    Core and periphery. Every member already passed the corrected LISA test,
    so the core asks for stronger local evidence without a second correction:
    a member is core when it is a Gi* hot spot at the ``1 - core_alpha``
    confidence level before correction (``gi_z > 0`` and ``gi_p <
    core_alpha``). The corrected p-value cannot serve: with 999 permutations
    the smallest p is 0.001, and Benjamini-Hochberg over 159 regions lifts it
    to at least 0.001 * 159 / k, which stays above 0.01 unless 16 or more
    regions reach p = 0.001. A cluster none of whose members qualifies (or a
    ``lisa`` without ``gi_z``/``gi_p``) takes as core its member(s) with the
    highest LQ, so every cluster has a core. The periphery is the rest.

    Examples
    --------
    Three squares in a row; w and m are significant HH with LQ 2, e is not; only
    w is a Gi* hot spot at 99 %.

    >>> from shapely.geometry import box
    >>> from geo.weights import build_weights
    >>> cells = gpd.GeoDataFrame({"region_id": ["w", "m", "e"]}, crs="EPSG:3035",
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)])
    >>> lisa = pd.DataFrame({"region_id": ["w", "m", "e"], "industry": "x",
    ...     "lq": [2.0, 2.0, 0.5], "quadrant": ["HH", "HH", "ns"],
    ...     "p_adjusted": [0.004, 0.03, 0.6], "gi_z": [3.1, 2.0, -0.2],
    ...     "gi_p": [0.001, 0.02, 0.4]})
    >>> out = delineate_clusters(cells, lisa, build_weights(cells, "rook"))
    >>> out[["regions", "core_regions", "periphery_regions", "mean_lq"]].values.tolist()
    [['m,w', 'w', 'm', 2.0]]
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
    has_gi = "gi_z" in table.columns and "gi_p" in table.columns
    gi_z = pd.to_numeric(table["gi_z"], errors="coerce") if has_gi else None
    gi_p = pd.to_numeric(table["gi_p"], errors="coerce") if has_gi else None
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
            core = _core_members(part, gi_z, gi_p, lq, id_column, core_alpha)
            periphery = [rid for rid in ids if rid not in set(core)]
            row = {
                "cluster_id": f"{ind}-{digest}",
                "industry": ind,
                "regions": key,
                "n_regions": len(ids),
                "core_regions": ",".join(core),
                "periphery_regions": ",".join(periphery),
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
        "periphery_regions",
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


def match_cluster_ids(
    previous: pd.DataFrame,
    current: pd.DataFrame,
    *,
    min_jaccard: float = 0.5,
) -> pd.DataFrame:
    """Carry cluster ids over from a previous run or year when members overlap.

    Parameters
    ----------
    previous, current : pandas.DataFrame or geopandas.GeoDataFrame
        Clusters as from :func:`delineate_clusters` (``cluster_id``,
        ``industry``, ``regions`` as comma-joined ids). Not modified.
    min_jaccard : float
        Smallest Jaccard index ``|A & B| / |A | B|`` of the member sets for a
        current cluster to inherit a previous cluster's id; in (0, 1].

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
        A copy of ``current`` (same type, rows and order) whose ``cluster_id``
        is the matched previous id where there is a match, plus
        ``match_jaccard`` (the Jaccard index of the match; NaN for a cluster
        that keeps its own id).

    Raises
    ------
    TypeError
        If an input is not a DataFrame.
    ValueError
        For missing columns, duplicate ``cluster_id`` values, or a bad
        ``min_jaccard``.

    Notes
    -----
    The rule: within each industry, every (current, previous) pair with Jaccard
    >= ``min_jaccard`` is a candidate; candidates are taken by decreasing
    Jaccard (ties: current id, then previous id), each cluster at most once, so
    the match is one-to-one and does not depend on row order. Clusters of one
    industry and year are disjoint, so at 0.5 a previous cluster can only be
    claimed twice when it split into two equal halves. Unmatched current
    clusters keep their content id from :func:`delineate_clusters` (a new
    cluster); unmatched previous ids are not reused (a cluster that ended).
    Chained year by year, an id follows a cluster while it grows or shrinks
    gradually. A content id that equals an inherited one gets a ``-2`` suffix.

    Examples
    --------
    Last year's {a, b, c} and this year's {a, b, c, d} share 3 of 4 regions
    (Jaccard 0.75): the old id carries over. {x} is new.

    >>> prev = pd.DataFrame({"cluster_id": ["314-old"], "industry": ["314"],
    ...                      "regions": ["a,b,c"]})
    >>> cur = pd.DataFrame({"cluster_id": ["314-new", "314-xx"],
    ...                     "industry": ["314", "314"], "regions": ["a,b,c,d", "x"]})
    >>> match_cluster_ids(prev, cur)[["cluster_id", "match_jaccard"]].values.tolist()
    [['314-old', 0.75], ['314-xx', nan]]
    """
    for name, frame in (("previous", previous), ("current", current)):
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(
                f"{name} must be a pandas DataFrame; got {type(frame).__name__}."
            )
        missing = [c for c in ("cluster_id", "industry", "regions") if c not in frame]
        if missing:
            raise ValueError(
                f"{name} lacks columns {missing}; it has {list(frame.columns)[:10]}. "
                "Pass clusters as returned by delineate_clusters."
            )
        dup = frame["cluster_id"][frame["cluster_id"].duplicated()]
        if len(dup):
            raise ValueError(
                f"{name} has {len(dup)} duplicate cluster_id values (first: "
                f"{dup.head(5).tolist()}). Cluster ids must be unique."
            )
    if (
        isinstance(min_jaccard, bool)
        or not isinstance(min_jaccard, int | float | np.floating)
        or not 0 < min_jaccard <= 1
    ):
        raise ValueError(f"min_jaccard must lie in (0, 1]; got {min_jaccard!r}.")

    def members(frame: pd.DataFrame) -> list[frozenset[str]]:
        return [
            frozenset(r for r in str(text).split(",") if r)
            if isinstance(text, str)
            else frozenset()
            for text in frame["regions"]
        ]

    cur_sets, prev_sets = members(current), members(previous)
    cur_ids = current["cluster_id"].astype(str).tolist()
    prev_ids = previous["cluster_id"].astype(str).tolist()
    cur_ind = current["industry"].astype(str).tolist()
    prev_ind = previous["industry"].astype(str).tolist()
    candidates = []
    for i, (a, ind) in enumerate(zip(cur_sets, cur_ind, strict=True)):
        for j, (b, pind) in enumerate(zip(prev_sets, prev_ind, strict=True)):
            if ind != pind or not a or not b:
                continue
            jac = len(a & b) / len(a | b)
            if jac >= min_jaccard:
                candidates.append((-jac, cur_ids[i], prev_ids[j], i, j))
    candidates.sort()
    new_ids = list(cur_ids)
    score = np.full(len(cur_ids), np.nan)
    used_cur: set[int] = set()
    used_prev: set[int] = set()
    for neg_jac, _, _, i, j in candidates:
        if i in used_cur or j in used_prev:
            continue
        used_cur.add(i)
        used_prev.add(j)
        new_ids[i] = prev_ids[j]
        score[i] = -neg_jac
    inherited = {new_ids[i] for i in used_cur}
    for i in range(len(new_ids)):
        if i not in used_cur and new_ids[i] in inherited:
            new_ids[i] = f"{new_ids[i]}-2"
    out = current.copy()
    out["cluster_id"] = new_ids
    out["match_jaccard"] = score
    return out


def _core_members(
    part: pd.DataFrame,
    gi_z: pd.Series | None,
    gi_p: pd.Series | None,
    lq: pd.Series,
    id_column: str,
    core_alpha: float,
) -> list[str]:
    """Sorted core ids of one cluster: Gi* hot at 1 - core_alpha, else top LQ."""
    if gi_z is not None and gi_p is not None:
        hot = (gi_z.loc[part.index] > 0) & (gi_p.loc[part.index] < core_alpha)
        if hot.any():
            return sorted(part.loc[hot.to_numpy(), id_column])
    values = lq.loc[part.index]
    return sorted(part.loc[(values == values.max()).to_numpy(), id_column])


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
