"""Spatial weights as libpysal.graph.Graph objects keyed by region id."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from libpysal.graph import Graph
from libpysal.kernels import kernel as _kernel_values
from scipy.spatial import cKDTree

from geo.crs import require_metric_crs

METHODS = ("queen", "rook", "knn", "distance_band", "kernel", "block")
TRANSFORMS = ("r", "b", "o")
ISLANDS = ("keep", "drop", "attach")
KERNELS = {
    "triangular": "triangular",
    "uniform": "boxcar",
    "epanechnikov": "parabolic",
    "quartic": "bisquare",
    "gaussian": "gaussian",
}
"""GeoDa's kernel names and the libpysal.kernels function computing each."""

# An adaptive bandwidth sits just beyond the k-th neighbour (as libpysal's legacy
# ``Kernel``), so that neighbour keeps a positive weight under every kernel.
_ADAPTIVE_STRETCH = 1.0000001


def build_weights(
    regions: gpd.GeoDataFrame,
    method: str = "queen",
    *,
    id_column: str = "region_id",
    k: int = 8,
    threshold_m: float | None = None,
    kernel: str = "triangular",
    bandwidth_m: float | None = None,
    block_column: str | None = None,
    islands: str = "keep",
    transform: str = "r",
) -> Graph:
    """Spatial weights graph of ``regions``, indexed by their string ids.

    Parameters
    ----------
    regions : geopandas.GeoDataFrame
        One row per region, with the id in column ``id_column`` or in an index of
        that name. Not modified.
    method : {"queen", "rook", "knn", "distance_band", "kernel", "block"}
        ``"queen"``: polygons sharing a point; ``"rook"``: polygons sharing an edge;
        ``"knn"``: the ``k`` nearest representative points (not symmetric);
        ``"distance_band"``: representative points at most ``threshold_m`` metres
        apart (inclusive); ``"kernel"``: distance-decay weights (see Notes);
        ``"block"``: regions with the same value in ``block_column`` (e.g. the
        state of a county) are all neighbours of each other. ``"knn"``,
        ``"distance_band"`` and ``"kernel"`` need a metric CRS.
    id_column : str
        Column (or index name) holding the unique region id; ids become strings.
    k : int
        Number of neighbours for ``"knn"``, and for an adaptive ``"kernel"``
        (``bandwidth_m=None``); must be below the number of regions.
    threshold_m : float, optional
        Distance band in metres; required for ``"distance_band"``.
    kernel : {"triangular", "uniform", "epanechnikov", "quartic", "gaussian"}
        Kernel function of ``"kernel"`` weights (GeoDa's names).
    bandwidth_m : float, optional
        Fixed kernel bandwidth in metres; None: adaptive, the distance to each
        region's ``k``-th nearest neighbour.
    block_column : str, optional
        Column holding the higher-level region; required for ``"block"``.
    islands : {"keep", "drop", "attach"}
        What to do with regions that end up without a neighbour (see
        :func:`resolve_islands`): keep them as isolates (zero lag, LISA label
        ``isolate``), drop them from the graph, or link each to its nearest
        region by centroid distance (needs a metric CRS).
    transform : {"r", "b", "o"}
        ``"r"`` row-standardised (default), ``"b"`` binary, ``"o"`` as built;
        applied after the islands are handled.

    Returns
    -------
    libpysal.graph.Graph
        Graph whose ``unique_ids`` are the region ids in row order (without the
        dropped islands when ``islands="drop"``).

    Raises
    ------
    TypeError
        If ``regions`` is not a GeoDataFrame.
    ValueError
        For an unknown method, kernel, islands choice or transform, a missing, null
        or duplicate id, a null or empty geometry, non-polygons for contiguity, a
        CRS that is not metric for the distance methods, a bad ``k``,
        ``threshold_m`` or ``bandwidth_m``, or a missing or null ``block_column``.

    Notes
    -----
    libpysal's ``Graph.build_contiguity`` defaults to rook; ``"queen"`` passes
    ``rook=False``. Contiguity and blocks are topological, so they need no CRS.

    Kernel weights are ``K(d_ij / h_i)`` with libpysal's kernel functions
    (``decay=False``: triangular ``1 - z``, epanechnikov ``0.75 (1 - z**2)``,
    quartic ``15/16 (1 - z**2)**2``, gaussian ``exp(-z**2 / 2) / sqrt(2 pi)``,
    uniform 1), between representative points closer than the bandwidth (the
    gaussian is truncated there too, as GeoDa does). A fixed bandwidth is the same
    ``h`` for everyone; an adaptive one is each region's distance to its
    ``k``-th nearest neighbour, stretched by 1e-7 so that neighbour keeps a
    positive weight. No self-weight is added.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> cells = gpd.GeoDataFrame({"region_id": ["w", "m", "e"]}, crs="EPSG:3035",
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)])
    >>> g = build_weights(cells, "rook")
    >>> g.lag([1.0, 2.0, 6.0]).tolist()
    [2.0, 3.5, 2.0]
    """
    if method not in METHODS:
        raise ValueError(
            f"Unknown weights method {method!r}. Use one of {list(METHODS)}."
        )
    if transform not in TRANSFORMS:
        raise ValueError(
            f"Unknown transform {transform!r}. Use 'r' (row-standardised), "
            "'b' (binary) or 'o' (weights as built)."
        )
    if islands not in ISLANDS:
        raise ValueError(
            f"Unknown islands choice {islands!r}. Use 'keep' (zero lag, labelled "
            "isolate), 'drop' (removed from the graph) or 'attach' (linked to the "
            "nearest region)."
        )
    geoms = _geometry_by_id(regions, id_column)
    if method in ("queen", "rook"):
        kinds = geoms.geom_type
        bad = kinds[~kinds.isin(["Polygon", "MultiPolygon"])]
        if len(bad):
            raise ValueError(
                f"{method} contiguity needs Polygon or MultiPolygon regions; got "
                f"{len(bad)} other rows ({bad.value_counts().to_dict()}; first ids: "
                f"{bad.index[:5].tolist()}). Use method='knn' or 'distance_band' "
                "for points."
            )
        graph = Graph.build_contiguity(geoms, rook=(method == "rook"))
    elif method == "block":
        graph = _block_graph(regions, geoms.index, block_column)
    else:
        require_metric_crs(geoms, "regions")
        points = geoms.representative_point()
        if method == "knn":
            _check_k(k, len(points))
            graph = Graph.build_knn(points, k=int(k))
        elif method == "distance_band":
            if threshold_m is None:
                raise ValueError(
                    "method='distance_band' needs threshold_m (metres); got None. "
                    "Pass e.g. threshold_m=25_000."
                )
            _check_distance(threshold_m, "threshold_m")
            graph = Graph.build_distance_band(points, float(threshold_m))
        else:
            graph = _kernel_graph(points, kernel, bandwidth_m, k)
    if islands != "keep":
        graph, _ = resolve_islands(graph, regions, how=islands, id_column=id_column)
    if transform != "o":
        graph = graph.transform(transform)
    return graph


def resolve_islands(
    graph: Graph,
    regions: gpd.GeoDataFrame | None = None,
    *,
    how: str = "keep",
    id_column: str = "region_id",
) -> tuple[Graph, list[str]]:
    """Handle the regions without neighbours by an explicit choice.

    Parameters
    ----------
    graph : libpysal.graph.Graph
        Weights as built, before any transformation (transformation ``"O"`` or
        ``"B"``); ``build_weights(..., islands=...)`` calls this in that order.
    regions : geopandas.GeoDataFrame, optional
        The regions of ``graph`` (id in ``id_column`` or the index); needed for
        ``how="attach"`` only, in a metric CRS. Not modified.
    how : {"keep", "drop", "attach"}
        ``"keep"``: unchanged (an island's spatial lag is 0; LISA labels it
        ``isolate``); ``"drop"``: the islands are removed from the graph;
        ``"attach"``: each island is linked both ways to the region whose
        centroid is nearest to its own centroid, with the median positive weight
        of the graph (1 for contiguity, KNN, distance-band and block graphs).
    id_column : str
        Column (or index name) of the region id in ``regions``.

    Returns
    -------
    tuple of (libpysal.graph.Graph, list of str)
        The new graph (same transformation) and the island ids it handled (kept,
        dropped or attached), in graph order.

    Raises
    ------
    TypeError
        If ``graph`` is not a Graph.
    ValueError
        For an unknown ``how``, a transformed graph, ``"drop"`` when every region
        is an island, ``"attach"`` without ``regions``, with regions that do not
        cover the graph ids, in a CRS that is not metric, or with one region.

    Examples
    --------
    Two touching squares and an island 8 km east: attached to its nearest, "b".

    >>> from shapely.geometry import box
    >>> cells = gpd.GeoDataFrame({"region_id": ["a", "b", "island"]}, crs=3035,
    ...     geometry=[box(0, 0, 1e3, 1e3), box(1e3, 0, 2e3, 1e3),
    ...               box(9e3, 0, 1e4, 1e3)])
    >>> raw = build_weights(cells, transform="o")
    >>> graph, handled = resolve_islands(raw, cells, how="attach")
    >>> handled, sorted(graph.neighbors["island"]), sorted(graph.neighbors["b"])
    (['island'], ['b'], ['a', 'island'])
    """
    _require_graph(graph)
    if how not in ISLANDS:
        raise ValueError(f"Unknown islands choice {how!r}. Use one of {list(ISLANDS)}.")
    if graph.transformation not in ("O", "B"):
        raise ValueError(
            f"resolve_islands needs the graph as built (transformation 'O' or 'B'); "
            f"got {graph.transformation!r}. Resolve islands before transforming, "
            "e.g. build_weights(..., islands=how) does it in that order."
        )
    ids = [str(i) for i in graph.unique_ids]
    found = [str(i) for i in graph.isolates]
    order = {rid: pos for pos, rid in enumerate(ids)}
    found.sort(key=order.__getitem__)
    if how == "keep" or not found:
        return graph, found
    if how == "drop":
        kept = [rid for rid in ids if rid not in set(found)]
        if not kept:
            raise ValueError(
                f"All {len(ids)} regions are islands, so dropping them leaves no "
                "graph. Use another weights method or a larger distance."
            )
        return graph.subgraph(kept), found
    if regions is None:
        raise ValueError(
            "islands='attach' needs the regions (in a metric CRS) to find each "
            "island's nearest region; got regions=None."
        )
    geoms = _geometry_by_id(regions, id_column)
    missing = pd.Index(ids).difference(geoms.index, sort=False)
    if len(missing):
        raise ValueError(
            f"regions lacks {len(missing)} ids of the graph (first: "
            f"{missing[:5].tolist()}). Pass the regions the graph was built on."
        )
    require_metric_crs(geoms, "regions")
    if len(ids) < 2:
        raise ValueError(
            f"islands='attach' needs at least 2 regions; got {len(ids)}. Use "
            "islands='keep'."
        )
    centroids = geoms.loc[ids].centroid
    xy = np.column_stack([centroids.x.to_numpy(), centroids.y.to_numpy()])
    _, nearest = cKDTree(xy).query(xy[[order[i] for i in found]], k=2)
    adjacency = graph.adjacency
    positive = adjacency.to_numpy(dtype=float)
    positive = positive[positive > 0]
    link = float(np.median(positive)) if positive.size else 1.0
    edges = {
        (f, n): float(w)
        for (f, n), w in adjacency.items()
        if not (f == n and w == 0)  # libpysal's placeholder row of an isolate
    }
    for island, pair in zip(found, nearest, strict=True):
        # pair[0] is the island itself unless two centroids coincide
        other = ids[pair[1]] if ids[pair[0]] == island else ids[pair[0]]
        edges[(island, other)] = link
        edges[(other, island)] = link
    return _graph_from_edges(ids, edges, graph.transformation), found


def isolates(graph: Graph) -> list[str]:
    """Ids of the regions that have no neighbour in ``graph``.

    Parameters
    ----------
    graph : libpysal.graph.Graph
        Spatial weights; libpysal stores an isolate as a self-loop of weight 0.

    Returns
    -------
    list of str
        Isolated ids in graph order; empty when every region has a neighbour.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> cells = gpd.GeoDataFrame({"region_id": ["a", "b", "island"]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(9, 9, 10, 10)])
    >>> isolates(build_weights(cells))
    ['island']
    """
    _require_graph(graph)
    found = {str(i) for i in graph.isolates}
    return [str(i) for i in graph.unique_ids if str(i) in found]


def components(graph: Graph) -> pd.Series:
    """Connected-component label of every region (edges taken as undirected).

    Parameters
    ----------
    graph : libpysal.graph.Graph
        Spatial weights.

    Returns
    -------
    pandas.Series
        Integer label per region id (index named ``region_id``), in graph order.
        An isolate is a component of its own.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> cells = gpd.GeoDataFrame({"region_id": ["a", "b", "island"]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(9, 9, 10, 10)])
    >>> components(build_weights(cells)).tolist()
    [0, 0, 1]
    """
    _require_graph(graph)
    labels = graph.component_labels
    return pd.Series(
        np.asarray(labels, dtype=np.int64),
        index=pd.Index([str(i) for i in labels.index], name="region_id"),
        name="component",
    )


# ----------------------------------------------------------------- helpers


def _check_k(k: int, n: int) -> None:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"k must be a positive integer; got {k!r}.")
    if k >= n:
        raise ValueError(
            f"k={k} neighbours need more than {k} regions; got {n}. Lower k."
        )


def _check_distance(value: float, name: str) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | np.integer | np.floating)
        or not np.isfinite(value)
        or value <= 0
    ):
        raise ValueError(f"{name} must be a positive distance in metres; got {value}.")


def _block_graph(
    regions: gpd.GeoDataFrame, ids: pd.Index, block_column: str | None
) -> Graph:
    """Graph linking every pair of regions that share a ``block_column`` value."""
    if block_column is None:
        raise ValueError(
            "method='block' needs block_column naming the higher-level region "
            "(e.g. block_column='state'); got None."
        )
    if block_column not in regions.columns:
        raise ValueError(
            f"regions has no column {block_column!r} for method='block'; columns: "
            f"{list(regions.columns)[:10]}. Pass block_column=... naming it."
        )
    blocks = pd.Series(regions[block_column].to_numpy(), index=ids)
    null = blocks.isna().to_numpy()
    if null.any():
        raise ValueError(
            f"regions has {int(null.sum())} rows with a null {block_column} (first "
            f"ids: {ids[null][:5].tolist()}). Give every region its higher-level "
            "region."
        )
    return Graph.build_block_contiguity(blocks.astype(str))


def _kernel_graph(
    points: gpd.GeoSeries, kernel: str, bandwidth_m: float | None, k: int
) -> Graph:
    """Kernel weights between points: fixed bandwidth, or adaptive with ``k``."""
    if kernel not in KERNELS:
        raise ValueError(
            f"Unknown kernel {kernel!r}. Use one of {list(KERNELS)} (GeoDa's names)."
        )
    ids = list(points.index)
    n = len(ids)
    xy = np.column_stack([points.x.to_numpy(), points.y.to_numpy()])
    tree = cKDTree(xy)
    if bandwidth_m is not None:
        _check_distance(bandwidth_m, "bandwidth_m")
        pairs = tree.query_pairs(r=float(bandwidth_m), output_type="ndarray")
        focal = np.concatenate([pairs[:, 0], pairs[:, 1]])
        neighbor = np.concatenate([pairs[:, 1], pairs[:, 0]])
        dist = np.hypot(*(xy[focal] - xy[neighbor]).T)
        scale = np.full(len(dist), float(bandwidth_m))
    else:
        _check_k(k, n)
        dists, found = tree.query(xy, k=int(k) + 1)
        focal_l, neighbor_l, dist_l, scale_l = [], [], [], []
        for i in range(n):
            keep = found[i] != i
            nb, d = found[i][keep][: int(k)], dists[i][keep][: int(k)]
            focal_l.append(np.full(len(nb), i))
            neighbor_l.append(nb)
            dist_l.append(d)
            scale_l.append(np.full(len(nb), d.max() * _ADAPTIVE_STRETCH))
        focal = np.concatenate(focal_l)
        neighbor = np.concatenate(neighbor_l)
        dist = np.concatenate(dist_l)
        scale = np.concatenate(scale_l)
    # d / h is passed with h = 1 so each link can have its own bandwidth
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(scale > 0, dist / scale, 0.0)
    weight = _kernel_values(z, 1.0, kernel=KERNELS[kernel], taper=True, decay=False)
    edges = {
        (ids[f], ids[j]): float(w)
        for f, j, w in zip(focal, neighbor, weight, strict=True)
        if w > 0
    }
    return _graph_from_edges([str(i) for i in ids], edges, "O")


def _graph_from_edges(
    ids: list[str], edges: dict[tuple[str, str], float], transformation: str
) -> Graph:
    """Graph over ``ids`` (in that order) from ``{(focal, neighbor): weight}``."""
    order = {rid: pos for pos, rid in enumerate(ids)}
    linked = {f for f, _ in edges}
    rows = list(edges.items()) + [((rid, rid), 0.0) for rid in ids if rid not in linked]
    rows.sort(key=lambda item: (order[item[0][0]], order[item[0][1]]))
    focal = [f for (f, _), _ in rows]
    neighbor = [n for (_, n), _ in rows]
    weight = np.array([w for _, w in rows], dtype=float)
    graph = Graph.from_arrays(focal, neighbor, weight)
    if transformation != "O":
        graph = Graph(graph.adjacency, transformation=transformation, is_sorted=True)
    return graph


def _geometry_by_id(regions: gpd.GeoDataFrame, id_column: str) -> gpd.GeoSeries:
    """Return validated geometries indexed by string ids (a new object)."""
    if not isinstance(regions, gpd.GeoDataFrame):
        raise TypeError(
            f"regions must be a geopandas GeoDataFrame; got {type(regions).__name__}."
        )
    if id_column in regions.columns:
        raw = pd.Series(regions[id_column].to_numpy(), dtype=object)
    elif regions.index.name == id_column:
        raw = pd.Series(regions.index.to_numpy(), dtype=object)
    else:
        raise ValueError(
            f"regions has no column or index named {id_column!r}; columns: "
            f"{list(regions.columns)[:10]}. Pass id_column=... naming the region id."
        )
    if len(regions) == 0:
        raise ValueError("regions is empty; weights need at least one region.")
    null = raw.isna().to_numpy()
    if null.any():
        rows = np.flatnonzero(null)
        raise ValueError(
            f"regions has {len(rows)} rows with a null {id_column} (first row "
            f"positions: {rows[:5].tolist()}). Give every region an id."
        )
    ids = pd.Index(raw.astype(str), name=id_column)
    dup = ids[ids.duplicated()].unique()
    if len(dup):
        raise ValueError(
            f"regions has {len(dup)} duplicate {id_column} values (first: "
            f"{dup[:5].tolist()}). Region ids must be unique; dissolve or rename them."
        )
    geoms = gpd.GeoSeries(regions.geometry.to_numpy(), index=ids, crs=regions.crs)
    missing = geoms.isna().to_numpy()
    if missing.any():
        raise ValueError(
            f"regions has {int(missing.sum())} null geometries (first ids: "
            f"{ids[missing][:5].tolist()}). Drop or repair them before building "
            "weights."
        )
    empty = geoms.is_empty.to_numpy()
    if empty.any():
        raise ValueError(
            f"regions has {int(empty.sum())} empty geometries (first ids: "
            f"{ids[empty][:5].tolist()}). Drop or repair them before building "
            "weights."
        )
    return geoms


def _require_graph(graph: object) -> None:
    if not isinstance(graph, Graph):
        raise TypeError(
            f"graph must be a libpysal.graph.Graph; got {type(graph).__name__}. "
            "Build one with build_weights(...) or Graph.from_W(w)."
        )
