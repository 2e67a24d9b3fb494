"""Spatial weights as libpysal.graph.Graph objects keyed by region id."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from libpysal.graph import Graph

from geo.crs import require_metric_crs

METHODS = ("queen", "rook", "knn", "distance_band")
TRANSFORMS = ("r", "b", "o")


def build_weights(
    regions: gpd.GeoDataFrame,
    method: str = "queen",
    *,
    id_column: str = "region_id",
    k: int = 8,
    threshold_m: float | None = None,
    transform: str = "r",
) -> Graph:
    """Spatial weights graph of ``regions``, indexed by their string ids.

    Parameters
    ----------
    regions : geopandas.GeoDataFrame
        One row per region, with the id in column ``id_column`` or in an index of
        that name. Not modified.
    method : {"queen", "rook", "knn", "distance_band"}
        ``"queen"``: polygons sharing a point; ``"rook"``: polygons sharing an edge;
        ``"knn"``: the ``k`` nearest representative points (not symmetric);
        ``"distance_band"``: representative points at most ``threshold_m`` metres
        apart (inclusive). ``"knn"`` and ``"distance_band"`` need a metric CRS.
    id_column : str
        Column (or index name) holding the unique region id; ids become strings.
    k : int
        Number of neighbours for ``"knn"``; must be below the number of regions.
    threshold_m : float, optional
        Distance band in metres; required for ``"distance_band"``.
    transform : {"r", "b", "o"}
        ``"r"`` row-standardised (default), ``"b"`` binary, ``"o"`` as built.

    Returns
    -------
    libpysal.graph.Graph
        Graph whose ``unique_ids`` are the region ids in row order. Regions without
        neighbours are kept as isolates (see :func:`isolates`).

    Raises
    ------
    TypeError
        If ``regions`` is not a GeoDataFrame.
    ValueError
        For an unknown method or transform, a missing, null or duplicate id, a null
        or empty geometry, non-polygons for contiguity, a CRS that is not metric
        for ``"knn"``/``"distance_band"``, or a bad ``k``/``threshold_m``.

    Notes
    -----
    libpysal's ``Graph.build_contiguity`` defaults to rook; ``"queen"`` passes
    ``rook=False``. Contiguity is topological, so it needs no CRS.

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
    else:
        require_metric_crs(geoms, "regions")
        points = geoms.representative_point()
        if method == "knn":
            if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
                raise ValueError(f"k must be a positive integer; got {k!r}.")
            if k >= len(points):
                raise ValueError(
                    f"k={k} neighbours need more than {k} regions; got {len(points)}. "
                    "Lower k."
                )
            graph = Graph.build_knn(points, k=int(k))
        else:
            if threshold_m is None:
                raise ValueError(
                    "method='distance_band' needs threshold_m (metres); got None. "
                    "Pass e.g. threshold_m=25_000."
                )
            if not np.isfinite(threshold_m) or threshold_m <= 0:
                raise ValueError(
                    "threshold_m must be a positive distance in metres; got "
                    f"{threshold_m}."
                )
            graph = Graph.build_distance_band(points, float(threshold_m))
    if transform != "o":
        graph = graph.transform(transform)
    return graph


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
    return [str(i) for i in graph.isolates]


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
